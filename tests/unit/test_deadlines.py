"""Breach evaluation and escalation: the brief's worked examples, hand-counted on a small fake calendar."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.deadlines import (
    BreachKind,
    CalendarLike,
    Finding,
    Level,
    Obligation,
    base_level,
    escalation_level,
    evaluate,
    jurisdiction_for,
    next_escalation_on,
)

# --- a tiny calendar: Mon–Fri, minus holidays, plus make-up days (2024–2025 State Council schedules) ------------

HOLIDAYS = {
    *(date(2024, 9, d) for d in (15, 16, 17)),  # 中秋
    *(date(2024, 10, d) for d in range(1, 8)),  # 国庆
    date(2025, 1, 1),
    *(date(2025, 1, 28) + timedelta(days=i) for i in range(8)),  # 春节 01-28 … 02-04
}
MAKEUP = {date(2024, 9, 14), date(2024, 9, 29), date(2024, 10, 12), date(2025, 1, 26), date(2025, 2, 8)}


class FakeCalendar:
    """Same methods as shared.workdays.WorkCalendar, computed by walking day by day."""

    version = "fake-1"

    def __init__(self, provisional_years: frozenset[int] = frozenset()) -> None:
        self.provisional_years = provisional_years

    def is_working_day(self, d: date) -> bool:
        return d in MAKEUP or (d.weekday() < 5 and d not in HOLIDAYS)

    def due_date(self, d: date, n: int) -> date:
        while n > 0:
            d += timedelta(days=1)
            n -= self.is_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))

    def is_provisional(self, d: date) -> bool:
        return d.year in self.provisional_years

    def due_date_is_provisional(self, d: date, n: int) -> bool:
        return self.is_provisional(self.due_date(d, n))

    def next_working_day(self, d: date) -> date:
        return self.due_date(d, 1)


CAL = FakeCalendar()
CST = timezone(timedelta(hours=8))


def test_fake_calendar_reproduces_the_brief_due_dates() -> None:
    # BRIEF §3 worked examples; if the fake is wrong every expectation below is too.
    assert CAL.due_date(date(2024, 9, 27), 7) == date(2024, 10, 12)
    assert CAL.due_date(date(2024, 9, 27), 20) == date(2024, 10, 30)
    assert CAL.due_date(date(2025, 1, 28), 7) == date(2025, 2, 12)
    assert CAL.due_date(date(2025, 1, 28), 20) == date(2025, 3, 3)


def _cal_is_calendar_like(cal: CalendarLike) -> CalendarLike:
    return cal


def ob(**changes: object) -> Obligation:
    """The brief's record produced 2024-09-27 by a non-regulator department, nothing done yet."""
    base: dict[str, object] = {
        "record_id": "r1",
        "department": "11350100MB0000001X",
        "region_code": "350102",
        "category": "penalty",
        "doc_no": "榕环罚〔2024〕12号",
        "subject_name": "福州某某有限公司",
        "production_date": date(2024, 9, 27),
        "collect_due": date(2024, 10, 12),
        "publish_due": date(2024, 10, 30),
        "collected_at": None,
        "published_at": None,
        "held": False,
        "provisional": False,
    }
    base.update(changes)
    return Obligation.model_validate(base)


def by_kind(findings: list[Finding]) -> dict[BreachKind, Finding]:
    out = {f.kind: f for f in findings}
    assert len(out) == len(findings), "one finding per kind"
    return out


# --- collection clock ----------------------------------------------------------------------------------------------


def test_collected_2330_local_on_the_due_date_is_on_time() -> None:
    # Given 2024-10-12T15:30Z, which is 23:30 in Asia/Shanghai on the due date (a make-up Saturday)
    record = ob(collected_at=datetime(2024, 10, 12, 15, 30, tzinfo=UTC))
    # Then no collection finding, and publication (due 10-30) is neither overdue nor at risk on 10-14
    assert evaluate(record, date(2024, 10, 14), _cal_is_calendar_like(CAL)) == []


def test_collected_0030_local_the_next_day_is_late_by_zero_working_days() -> None:
    # 2024-10-12T16:30Z is 00:30 on Sunday 10-13 local: late, but no working day has passed
    found = by_kind(evaluate(ob(collected_at=datetime(2024, 10, 12, 16, 30, tzinfo=UTC)), date(2024, 10, 14), CAL))
    assert set(found) == {BreachKind.COLLECTION_LATE, BreachKind.COLLECTION_OVERDUE}
    assert found[BreachKind.COLLECTION_LATE].actual == date(2024, 10, 13)
    assert found[BreachKind.COLLECTION_LATE].working_days_late == 0


def test_collected_monday_after_the_saturday_due_date_is_one_working_day_late() -> None:
    record = ob(collected_at=datetime(2024, 10, 14, 10, 0, tzinfo=CST))
    found = by_kind(evaluate(record, date(2024, 10, 15), CAL))
    late = found[BreachKind.COLLECTION_LATE]
    assert late == Finding(
        breach_id="collection_late:r1",
        kind=BreachKind.COLLECTION_LATE,
        record_id="r1",
        department="11350100MB0000001X",
        region_code="350102",
        category="penalty",
        due=date(2024, 10, 12),
        actual=date(2024, 10, 14),
        working_days_late=1,  # 10-13 is a Sunday
        is_open=False,
        provisional=False,
    )
    closed = found[BreachKind.COLLECTION_OVERDUE]
    assert (closed.breach_id, closed.is_open, closed.actual, closed.working_days_late) == (
        "collection_overdue:r1",
        False,
        date(2024, 10, 14),
        1,
    )
    assert set(found) == {BreachKind.COLLECTION_LATE, BreachKind.COLLECTION_OVERDUE}


def test_uncollected_record_is_overdue_and_counts_working_days() -> None:
    # 10-14 and 10-15 are the working days after the due date
    found = by_kind(evaluate(ob(), date(2024, 10, 15), CAL))
    assert set(found) == {BreachKind.COLLECTION_OVERDUE}
    overdue = found[BreachKind.COLLECTION_OVERDUE]
    assert (overdue.is_open, overdue.actual, overdue.working_days_late) == (True, None, 2)


def test_overdue_on_the_sunday_after_the_due_date_with_zero_working_days() -> None:
    found = by_kind(evaluate(ob(), date(2024, 10, 13), CAL))
    assert found[BreachKind.COLLECTION_OVERDUE].working_days_late == 0
    assert found[BreachKind.COLLECTION_OVERDUE].is_open


def test_overdue_collection_later_collected_closes_and_adds_late() -> None:
    # Given the record was open-overdue on 10-15 and is collected on 10-17 (Thursday)
    record = ob(collected_at=datetime(2024, 10, 17, 9, 0, tzinfo=CST))
    found = by_kind(evaluate(record, date(2024, 10, 18), CAL))
    # 10-14, 15, 16, 17 → 4 working days
    assert found[BreachKind.COLLECTION_OVERDUE].is_open is False
    assert found[BreachKind.COLLECTION_OVERDUE].working_days_late == 4
    assert found[BreachKind.COLLECTION_LATE].working_days_late == 4
    assert found[BreachKind.COLLECTION_LATE].actual == date(2024, 10, 17)


# --- publication clock ---------------------------------------------------------------------------------------------


def test_unpublished_on_the_day_after_the_publication_due_date() -> None:
    record = ob(collected_at=datetime(2024, 10, 8, 9, 0, tzinfo=CST))
    found = by_kind(evaluate(record, date(2024, 10, 31), CAL))
    assert set(found) == {BreachKind.PUBLICATION_OVERDUE}
    overdue = found[BreachKind.PUBLICATION_OVERDUE]
    assert (overdue.breach_id, overdue.due, overdue.working_days_late, overdue.is_open) == (
        "publication_overdue:r1",
        date(2024, 10, 30),
        1,
        True,
    )


def test_published_2359_local_on_the_due_date_is_on_time() -> None:
    record = ob(
        collected_at=datetime(2024, 10, 8, 9, 0, tzinfo=CST),
        published_at=datetime(2024, 10, 30, 15, 59, 59, tzinfo=UTC),
    )
    assert evaluate(record, date(2024, 11, 10), CAL) == []


def test_published_late_closes_overdue_and_records_late() -> None:
    # Published Monday 2024-11-04 09:00 local (01:00Z); working days after 10-30: 10-31, 11-01, 11-04 → 3
    record = ob(
        collected_at=datetime(2024, 10, 8, 9, 0, tzinfo=CST),
        published_at=datetime(2024, 11, 4, 1, 0, tzinfo=UTC),
    )
    found = by_kind(evaluate(record, date(2024, 11, 10), CAL))
    assert set(found) == {BreachKind.PUBLICATION_OVERDUE, BreachKind.PUBLICATION_LATE}
    assert found[BreachKind.PUBLICATION_LATE].working_days_late == 3
    assert found[BreachKind.PUBLICATION_LATE].actual == date(2024, 11, 4)
    assert not found[BreachKind.PUBLICATION_LATE].is_open
    assert not found[BreachKind.PUBLICATION_OVERDUE].is_open
    assert found[BreachKind.PUBLICATION_OVERDUE].working_days_late == 3


def test_held_record_counts_against_the_publication_clock() -> None:
    held = ob(collected_at=datetime(2024, 10, 8, 9, 0, tzinfo=CST), held=True)
    found = by_kind(evaluate(held, date(2024, 11, 1), CAL))
    assert set(found) == {BreachKind.PUBLICATION_OVERDUE}
    assert found[BreachKind.PUBLICATION_OVERDUE].working_days_late == 2  # 10-31, 11-01


def test_never_collected_record_reports_both_clocks() -> None:
    # As of Friday 2024-11-01: collection late by 10-14…10-18 (5) + 10-21…10-25 (5) + 10-28…11-01 (5) = 15;
    # publication late by 10-31, 11-01 = 2
    found = by_kind(evaluate(ob(), date(2024, 11, 1), CAL))
    assert set(found) == {BreachKind.COLLECTION_OVERDUE, BreachKind.PUBLICATION_OVERDUE}
    assert found[BreachKind.COLLECTION_OVERDUE].working_days_late == 15
    assert found[BreachKind.PUBLICATION_OVERDUE].working_days_late == 2
    assert all(f.is_open for f in found.values())


def test_regulator_record_has_only_the_publication_clock() -> None:
    own = ob(collect_due=None, collected_at=datetime(2024, 9, 27, 17, 0, tzinfo=CST))
    # 10-31, 11-01, 11-04, 11-05 → 4
    found = by_kind(evaluate(own, date(2024, 11, 5), CAL))
    assert set(found) == {BreachKind.PUBLICATION_OVERDUE}
    assert found[BreachKind.PUBLICATION_OVERDUE].working_days_late == 4
    # Even uploaded weeks late it has no collection clock to break
    late_upload = ob(collect_due=None, collected_at=datetime(2024, 10, 25, 9, 0, tzinfo=CST))
    assert evaluate(late_upload, date(2024, 10, 25), CAL) == []


# --- at risk -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected_left"),
    [
        (date(2024, 9, 30), None),  # 10-08 … 10-12: 5 working days left across the holiday
        (date(2024, 10, 9), None),  # 10-10, 10-11, 10-12: 3 left
        (date(2024, 10, 10), 2),  # 10-11, 10-12
        (date(2024, 10, 11), 1),
        (date(2024, 10, 12), 0),  # due today (make-up Saturday)
        (date(2024, 10, 13), None),  # overdue now, publication has 13 working days left
    ],
)
def test_collection_at_risk_window(as_of: date, expected_left: int | None) -> None:
    risk = [f for f in evaluate(ob(), as_of, CAL) if f.kind is BreachKind.AT_RISK]
    if expected_left is None:
        assert risk == []
    else:
        assert len(risk) == 1
        assert risk[0].due == date(2024, 10, 12)
        assert risk[0].working_days_late == expected_left
        assert risk[0].is_open and risk[0].actual is None
        assert risk[0].breach_id == "at_risk:r1"


def test_at_risk_days_setting_widens_and_narrows_the_window() -> None:
    assert [f.working_days_late for f in evaluate(ob(), date(2024, 10, 9), CAL, at_risk_days=3)] == [3]
    assert evaluate(ob(), date(2024, 10, 11), CAL, at_risk_days=0) == []
    assert [f.working_days_late for f in evaluate(ob(), date(2024, 10, 12), CAL, at_risk_days=0)] == [0]
    with pytest.raises(ValueError):
        evaluate(ob(), date(2024, 10, 12), CAL, at_risk_days=-1)


def test_publication_at_risk_once_collected() -> None:
    record = ob(collected_at=datetime(2024, 10, 8, 9, 0, tzinfo=CST))
    found = evaluate(record, date(2024, 10, 28), CAL)  # 10-29, 10-30 left
    assert [(f.kind, f.due, f.working_days_late) for f in found] == [(BreachKind.AT_RISK, date(2024, 10, 30), 2)]


def test_publication_at_risk_while_collection_is_already_overdue() -> None:
    # 10-14 … 10-29 is 12 working days late; publication has 10-30 left
    found = by_kind(evaluate(ob(), date(2024, 10, 29), CAL))
    assert set(found) == {BreachKind.COLLECTION_OVERDUE, BreachKind.AT_RISK}
    assert found[BreachKind.COLLECTION_OVERDUE].working_days_late == 12
    assert (found[BreachKind.AT_RISK].due, found[BreachKind.AT_RISK].working_days_late) == (date(2024, 10, 30), 1)


def test_regulator_record_at_risk_on_publication() -> None:
    found = evaluate(ob(collect_due=None), date(2024, 10, 29), CAL)
    assert [(f.kind, f.working_days_late) for f in found] == [(BreachKind.AT_RISK, 1)]


# --- point in time, provisional years, input checks -----------------------------------------------------------------


def test_record_not_produced_yet_has_no_findings() -> None:
    assert evaluate(ob(), date(2024, 9, 26), CAL) == []
    # produced on as_of: 7 working days left, not at risk
    assert evaluate(ob(), date(2024, 9, 27), CAL) == []


def test_scan_for_a_past_date_ignores_acts_after_it() -> None:
    record = ob(collected_at=datetime(2024, 10, 14, 10, 0, tzinfo=CST))
    found = by_kind(evaluate(record, date(2024, 10, 13), CAL))
    assert set(found) == {BreachKind.COLLECTION_OVERDUE}
    assert found[BreachKind.COLLECTION_OVERDUE].is_open
    assert found[BreachKind.COLLECTION_OVERDUE].actual is None


def test_same_scan_twice_is_identical() -> None:
    record = ob(collected_at=datetime(2024, 10, 14, 10, 0, tzinfo=CST))
    assert evaluate(record, date(2024, 11, 4), CAL) == evaluate(record, date(2024, 11, 4), CAL)


def test_provisional_due_or_count_makes_the_finding_provisional() -> None:
    cal = FakeCalendar(provisional_years=frozenset({2025}))
    # due in 2024, counted into 2025 (01-02, 01-03) → provisional figure
    record = ob(production_date=date(2024, 12, 18), collect_due=date(2024, 12, 27), publish_due=date(2025, 1, 16))
    overdue = by_kind(evaluate(record, date(2025, 1, 3), cal))[BreachKind.COLLECTION_OVERDUE]
    assert overdue.working_days_late == 4  # 12-30, 12-31, 01-02, 01-03
    assert overdue.provisional
    # the same record with an official 2025 is not
    assert not by_kind(evaluate(record, date(2025, 1, 3), CAL))[BreachKind.COLLECTION_OVERDUE].provisional
    # and the record's own flag carries through
    flagged = ob(provisional=True)
    assert all(f.provisional for f in evaluate(flagged, date(2024, 10, 15), CAL))


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValidationError):
        ob(collected_at=datetime(2024, 10, 12, 23, 30))


def test_obligation_and_finding_are_frozen() -> None:
    record = ob()
    with pytest.raises(ValidationError):
        record.held = True  # type: ignore[misc]


# --- properties ----------------------------------------------------------------------------------------------------

days = st.integers(min_value=0, max_value=120)
offsets = st.sampled_from([UTC, CST, timezone(timedelta(hours=-5)), timezone(timedelta(hours=12))])


@st.composite
def obligations(draw: st.DrawFn) -> Obligation:
    produced = date(2024, 9, 1) + timedelta(days=draw(st.integers(0, 150)))
    regulator = draw(st.booleans())

    def instant() -> datetime | None:
        if draw(st.booleans()):
            return None
        return datetime.combine(produced, datetime.min.time(), tzinfo=UTC) + timedelta(
            minutes=draw(st.integers(0, 60 * 24 * 60))
        )

    return ob(
        production_date=produced,
        collect_due=None if regulator else CAL.due_date(produced, 7),
        publish_due=CAL.due_date(produced, 20),
        collected_at=instant(),
        published_at=instant(),
        held=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(record=obligations(), offset=days, risk=st.integers(0, 5))
def test_findings_are_well_formed_and_repeatable(record: Obligation, offset: int, risk: int) -> None:
    as_of = record.production_date + timedelta(days=offset)
    found = evaluate(record, as_of, CAL, at_risk_days=risk)
    assert found == evaluate(record, as_of, CAL, at_risk_days=risk)
    kinds = [f.kind for f in found]
    assert len(kinds) == len(set(kinds))
    for f in found:
        assert f.breach_id == f"{f.kind.value}:{record.record_id}"
        assert f.working_days_late >= 0
        if f.kind in (BreachKind.COLLECTION_LATE, BreachKind.PUBLICATION_LATE):
            assert not f.is_open and f.actual is not None and f.actual > f.due
        if f.kind in (BreachKind.COLLECTION_OVERDUE, BreachKind.PUBLICATION_OVERDUE):
            assert f.is_open == (f.actual is None)
        if f.kind is BreachKind.AT_RISK:
            assert f.is_open and as_of <= f.due and f.working_days_late <= risk
    if record.collect_due is None:
        assert not {BreachKind.COLLECTION_LATE, BreachKind.COLLECTION_OVERDUE} & set(kinds)
    # a late act always comes with its closed overdue twin
    assert (BreachKind.COLLECTION_LATE in kinds) == (
        BreachKind.COLLECTION_OVERDUE in kinds and not by_kind(found)[BreachKind.COLLECTION_OVERDUE].is_open
    )


@settings(max_examples=200, deadline=None)
@given(record=obligations(), offset=days, tz=offsets)
def test_the_zone_an_instant_is_written_in_does_not_matter(record: Obligation, offset: int, tz: timezone) -> None:
    shifted = record.model_copy(
        update={
            "collected_at": record.collected_at.astimezone(tz) if record.collected_at else None,
            "published_at": record.published_at.astimezone(tz) if record.published_at else None,
        }
    )
    as_of = record.production_date + timedelta(days=offset)
    assert evaluate(shifted, as_of, CAL) == evaluate(record, as_of, CAL)


@settings(max_examples=200, deadline=None)
@given(record=obligations(), offset=days)
def test_open_overdue_age_never_shrinks(record: Obligation, offset: int) -> None:
    as_of = record.production_date + timedelta(days=offset)
    today = {f.kind: f for f in evaluate(record, as_of, CAL) if f.is_open and f.kind is not BreachKind.AT_RISK}
    tomorrow = {f.kind: f for f in evaluate(record, as_of + timedelta(days=1), CAL)}
    for kind, f in today.items():
        # still there tomorrow: either still open and at least as late, or closed by the act
        assert kind in tomorrow
        if tomorrow[kind].is_open:
            assert tomorrow[kind].working_days_late >= f.working_days_late


# --- escalation ----------------------------------------------------------------------------------------------------


def _fake_chain(code: str) -> list[str]:
    if code == "350000":
        return ["350000"]
    if code.endswith("00") or code == "350128":
        return [code, "350000"]
    return [code, code[:4] + "00", "350000"]


@pytest.fixture(params=["real", "fake"])
def regions(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run escalation routing on the real shared.regions when it exists, and always on a stand-in."""
    if request.param == "real":
        pytest.importorskip("shared.regions")
    else:
        fake = types.ModuleType("shared.regions")
        fake.jurisdiction_chain = _fake_chain  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "shared.regions", fake)
    yield request.param


@pytest.mark.parametrize(
    ("code", "level"),
    [("350102", Level.COUNTY), ("350100", Level.CITY), ("350128", Level.CITY), ("350000", Level.PROVINCE)],
)
def test_base_level(regions: str, code: str, level: Level) -> None:
    assert base_level(code) is level


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [
        ("350102", Level.COUNTY, "350102"),
        ("350102", Level.CITY, "350100"),
        ("350102", Level.PROVINCE, "350000"),
        ("350128", Level.CITY, "350128"),  # 平潭 is city-level: it supervises itself at the city step
        ("350128", Level.PROVINCE, "350000"),
        ("350200", Level.CITY, "350200"),
        ("350000", Level.PROVINCE, "350000"),
    ],
)
def test_jurisdiction_for(regions: str, code: str, level: Level, expected: str) -> None:
    assert jurisdiction_for(code, level) == expected


def test_jurisdiction_below_the_department_level_is_an_error(regions: str) -> None:
    with pytest.raises(ValueError):
        jurisdiction_for("350128", Level.COUNTY)
    with pytest.raises(ValueError):
        jurisdiction_for("350000", Level.CITY)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 10, 14), Level.COUNTY),  # the day it opened
        (date(2024, 10, 18), Level.COUNTY),  # 4 working days
        (date(2024, 10, 21), Level.CITY),  # 5
        (date(2024, 10, 25), Level.CITY),  # 9
        (date(2024, 10, 28), Level.PROVINCE),  # 10
        (date(2024, 12, 31), Level.PROVINCE),  # capped
        (date(2024, 10, 1), Level.COUNTY),  # before it opened
    ],
)
def test_escalation_steps(as_of: date, expected: Level) -> None:
    assert escalation_level(Level.COUNTY, date(2024, 10, 14), as_of, CAL, 5) is expected


def test_escalation_waits_out_the_national_day_holiday() -> None:
    opened = date(2024, 9, 27)
    # working days after 09-27: 09-29 (make-up Sunday), 09-30, 10-08, 10-09 → 4; 10-10 is the 5th
    assert escalation_level(Level.COUNTY, opened, date(2024, 10, 9), CAL, 5) is Level.COUNTY
    assert escalation_level(Level.COUNTY, opened, date(2024, 10, 10), CAL, 5) is Level.CITY
    assert next_escalation_on(Level.COUNTY, opened, date(2024, 10, 9), CAL, 5) == date(2024, 10, 10)
    # then 10-11, 10-12 (make-up Saturday), 10-14, 10-15, 10-16 → province on 10-16
    assert next_escalation_on(Level.COUNTY, opened, date(2024, 10, 10), CAL, 5) == date(2024, 10, 16)
    assert escalation_level(Level.CITY, opened, date(2024, 10, 10), CAL, 5) is Level.PROVINCE
    assert next_escalation_on(Level.CITY, opened, date(2024, 10, 10), CAL, 5) is None


def test_escalation_days_must_be_positive() -> None:
    with pytest.raises(ValueError):
        escalation_level(Level.COUNTY, date(2024, 10, 14), date(2024, 10, 30), CAL, 0)


@settings(max_examples=200, deadline=None)
@given(
    base=st.sampled_from(list(Level)),
    opened_offset=st.integers(0, 200),
    gap=st.integers(0, 120),
    step=st.integers(1, 15),
)
def test_escalation_is_monotonic_and_next_date_is_exact(base: Level, opened_offset: int, gap: int, step: int) -> None:
    order = list(Level)
    opened = date(2024, 9, 1) + timedelta(days=opened_offset)
    as_of = opened + timedelta(days=gap)
    now = escalation_level(base, opened, as_of, CAL, step)
    later = escalation_level(base, opened, as_of + timedelta(days=1), CAL, step)
    assert order.index(base) <= order.index(now) <= order.index(later)
    nxt = next_escalation_on(base, opened, as_of, CAL, step)
    if now is Level.PROVINCE:
        assert nxt is None
    else:
        assert nxt is not None and nxt > as_of
        assert escalation_level(base, opened, nxt, CAL, step) is order[order.index(now) + 1]
        assert escalation_level(base, opened, nxt - timedelta(days=1), CAL, step) is now


# --- the same scenarios on the real calendar (shared.workdays) -----------------------------------------------------


@pytest.fixture(scope="module")
def real_cal() -> CalendarLike:
    workdays = pytest.importorskip("shared.workdays")
    cal: CalendarLike = workdays.default_calendar()
    return cal


def test_fake_calendar_agrees_with_the_real_one_where_the_tests_use_it(real_cal: CalendarLike) -> None:
    day = date(2024, 9, 1)
    while day <= date(2025, 3, 31):
        assert CAL.is_working_day(day) == real_cal.is_working_day(day), day
        day += timedelta(days=1)


def test_brief_example_on_the_real_calendar(real_cal: CalendarLike) -> None:
    on_time = ob(collected_at=datetime(2024, 10, 12, 15, 30, tzinfo=UTC))
    assert evaluate(on_time, date(2024, 10, 14), real_cal) == []
    late = by_kind(evaluate(ob(collected_at=datetime(2024, 10, 14, 10, 0, tzinfo=CST)), date(2024, 10, 14), real_cal))
    assert late[BreachKind.COLLECTION_LATE].working_days_late == 1
    unpublished = by_kind(evaluate(on_time, date(2024, 10, 31), real_cal))
    assert set(unpublished) == {BreachKind.PUBLICATION_OVERDUE}
    assert unpublished[BreachKind.PUBLICATION_OVERDUE].working_days_late == 1


def test_spring_festival_example_on_the_real_calendar(real_cal: CalendarLike) -> None:
    # Produced 2025-01-28 (a holiday): collect by 2025-02-12, publish by 2025-03-03 (BRIEF §3)
    record = ob(
        production_date=date(2025, 1, 28),
        collect_due=real_cal.due_date(date(2025, 1, 28), 7),
        publish_due=real_cal.due_date(date(2025, 1, 28), 20),
        collected_at=datetime(2025, 2, 13, 9, 0, tzinfo=CST),
    )
    assert (record.collect_due, record.publish_due) == (date(2025, 2, 12), date(2025, 3, 3))
    found = by_kind(evaluate(record, date(2025, 2, 28), real_cal))  # publication: 03-03 is 1 working day away
    assert found[BreachKind.COLLECTION_LATE].working_days_late == 1
    assert (found[BreachKind.AT_RISK].due, found[BreachKind.AT_RISK].working_days_late) == (date(2025, 3, 3), 1)


def test_escalation_on_the_real_calendar(real_cal: CalendarLike) -> None:
    assert next_escalation_on(Level.COUNTY, date(2024, 9, 27), date(2024, 9, 27), real_cal, 5) == date(2024, 10, 10)
    assert escalation_level(Level.COUNTY, date(2024, 9, 27), date(2024, 10, 16), real_cal, 5) is Level.PROVINCE
