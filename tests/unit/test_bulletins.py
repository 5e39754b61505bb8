"""Supervision bulletins: periods and run days, every indicator against hand arithmetic, ranking, renderings.

The main scenario (province, November 2026, data as of 2026-12-01) — expected figures worked out by hand:

| dept | region | records | collected | on time / with clock | published on time / published | attributed / collected |
|---|---|---|---|---|---|---|
| A 福州市生态环境局 | 350100 | 5 (a4 only in a ledger) | 4 | 3 / 4 | 2 / 3 | 3 / 4 (a3 held) |
| B 鼓楼区市场监管局 (regulator) | 350102 | 3 | 3 | — (no collection clock) | 1 / 2 (b3 published after as_of) | 3 / 3 |
| C 厦门市交通运输局 | 350200 | 4 (c5 collected after as_of, in a ledger) | 3 | 3 / 3 | 3 / 3 | 3 / 3 |
| D 思明区税务局 | 350203 | 2 | 2 | 1 / 2 | 2 / 2 | 2 / 2 |
| E 福建省交通运输厅 | 350000 | 0 | 0 | — | — | — |

Ignored on purpose: b-old (produced in October), c4 (collected after as_of and in no ledger).
Uploads in November: A 100/10 and 50/0, B 40/0, C 30/3, D 20/5 (read/rejected); D's October upload, a December
upload and an unregistered department's upload do not count. Open overdue breaches: A collection_overdue (7 WD),
B publication_overdue (30 WD, subject with <script>), C publication_overdue (4 WD, stored as ISO text + Decimal);
a closed one, an at_risk one, a collection_late one and one outside Fujian do not count.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.breaches import Breach
from shared.bulletin_render import announcement, render_csv, render_html, render_json, render_markdown
from shared.bulletins import OVERDUE_LIST_MAX, Bulletin, BulletinInput, UploadStat, bulletin_key, compute, pct
from shared.categories import Category
from shared.ledger import Attribution, LedgerEntry
from shared.periods import (
    Period,
    PeriodError,
    parse_period,
    period_containing,
    period_for_run,
    periods_for_run,
    previous_period,
)
from shared.registry import Department
from shared.timeutil import BUSINESS_TZ
from shared.workdays import default_calendar

CAL = default_calendar()
NOV = parse_period("2026-11")
OCT = parse_period("2026-10")
AS_OF = date(2026, 12, 1)

A = "11350100MB0000001X"
B = "11350102MB0000002X"
C = "11350200MB0000003X"
D = "11350203MB0000004X"
E = "11350000MB0000005X"

DEPTS = [
    Department(code=A, name="福州市生态环境局", region_code="350100", level="city"),
    Department(code=B, name="福州市鼓楼区市场监督管理局", region_code="350102", level="county", is_regulator=True),
    Department(code=C, name="厦门市交通运输局", region_code="350200", level="city"),
    Department(code=D, name="国家税务总局厦门市思明区税务局", region_code="350203", level="county"),
    Department(code=E, name="福建省交通运输厅", region_code="350000", level="province"),
]
REGION = {A: "350100", B: "350102", C: "350200", D: "350203", E: "350000"}
SCRIPT = "<script>alert(1)</script>某某有限公司"


def at(d: date, hh: int = 10, mm: int = 0) -> datetime:
    """A local (Asia/Shanghai) instant."""
    return datetime.combine(d, time(hh, mm), tzinfo=BUSINESS_TZ)


def entry(
    rid: str,
    dept: str,
    produced: date,
    *,
    collect_due: date | None,
    publish_due: date,
    collected: datetime | None,
    published: datetime | None = None,
    attribution: Attribution | None = Attribution.MATCHED,
    held: bool = False,
    ledger: bool = False,
    category: Category = Category.PENALTY,
) -> LedgerEntry:
    return LedgerEntry(
        record_id=rid,
        department=dept,
        region_code=REGION[dept],
        category=category,
        doc_no=f"文号{rid}",
        subject_name=f"主体{rid}",
        production_date=produced,
        collect_due=collect_due,
        publish_due=publish_due,
        collected_at=collected,
        attribution=attribution if collected else None,
        held=held,
        published_at=published,
        version=1 if collected else 0,
        in_production_ledger=ledger,
    )


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def current_entries() -> list[LedgerEntry]:
    cd, pd = d(11, 11), d(11, 30)  # due dates used by most records (values chosen by hand, not computed)
    return [
        # A: 3 of 4 collected on time (a3 at 23:30 on its due date is on time), 2 of 3 published on time.
        entry("a1", A, d(11, 2), collect_due=cd, publish_due=pd, collected=at(d(11, 10)), published=at(d(11, 20))),
        entry(
            "a2", A, d(11, 2), collect_due=cd, publish_due=d(11, 20), collected=at(d(11, 13)), published=at(d(11, 25))
        ),
        entry(
            "a3",
            A,
            d(11, 2),
            collect_due=cd,
            publish_due=pd,
            collected=at(d(11, 11), 23, 30),
            attribution=Attribution.CODE_UNKNOWN,
            held=True,
        ),
        entry("a4", A, d(11, 10), collect_due=d(11, 20), publish_due=d(12, 8), collected=None, ledger=True),
        entry(
            "a5",
            A,
            d(11, 3),
            collect_due=d(11, 12),
            publish_due=pd,
            collected=at(d(11, 4)),
            published=at(d(11, 27)),
            attribution=Attribution.NAME_ONLY,
            category=Category.LICENSE,
        ),
        # B (regulator, publication clock only): 1 of 2 published on time; b3 is published only after as_of.
        entry(
            "b1",
            B,
            d(11, 4),
            collect_due=None,
            publish_due=d(12, 2),
            collected=at(d(11, 5)),
            published=at(d(11, 6)),
            category=Category.REGISTRATION,
        ),
        entry(
            "b2", B, d(11, 4), collect_due=None, publish_due=d(11, 18), collected=at(d(11, 5)), published=at(d(11, 19))
        ),
        entry(
            "b3", B, d(11, 20), collect_due=None, publish_due=d(12, 18), collected=at(d(11, 21)), published=at(d(12, 3))
        ),
        entry("b-old", B, d(10, 30), collect_due=None, publish_due=d(11, 27), collected=at(d(10, 31))),
        # C: all on time; c4 reached the regulator after as_of and was in no ledger; c5 is in a ledger, not yet due.
        *(
            entry(
                f"c{i}",
                C,
                d(11, 16),
                collect_due=d(11, 25),
                publish_due=d(12, 14),
                collected=at(d(11, 17)),
                published=at(d(11, 18)),
            )
            for i in (1, 2, 3)
        ),
        entry("c4", C, d(11, 23), collect_due=d(12, 2), publish_due=d(12, 21), collected=at(d(12, 2))),
        entry("c5", C, d(11, 23), collect_due=d(12, 2), publish_due=d(12, 21), collected=at(d(12, 2)), ledger=True),
        # D: d2 is late (collected two days after its due date), both published on time.
        entry(
            "d1",
            D,
            d(11, 9),
            collect_due=d(11, 18),
            publish_due=d(12, 7),
            collected=at(d(11, 9)),
            published=at(d(11, 30)),
        ),
        entry(
            "d2",
            D,
            d(11, 9),
            collect_due=d(11, 18),
            publish_due=d(12, 7),
            collected=at(d(11, 20)),
            published=at(d(12, 1)),
        ),
    ]


def previous_entries() -> list[LedgerEntry]:
    # As of 2026-11-01 (one day after October, as 2026-12-01 is after November).
    return [
        entry(
            "p1",
            A,
            d(10, 9),
            collect_due=d(10, 20),
            publish_due=d(11, 6),
            collected=at(d(10, 10)),
            published=at(d(10, 12)),
        ),
        entry("p2", A, d(10, 9), collect_due=d(10, 20), publish_due=d(11, 6), collected=at(d(10, 25))),
        entry("p3", A, d(10, 20), collect_due=d(10, 29), publish_due=d(11, 17), collected=at(d(11, 2)), ledger=True),
        entry(
            "b-old",
            B,
            d(10, 30),
            collect_due=None,
            publish_due=d(11, 27),
            collected=at(d(10, 31)),
            published=at(d(11, 5)),
        ),
    ]


UPLOADS = [
    UploadStat(department=A, collected_on=d(11, 10), read=100, rejected=10),
    UploadStat(department=A, collected_on=d(11, 13), read=50, rejected=0),
    UploadStat(department=B, collected_on=d(11, 5), read=40, rejected=0),
    UploadStat(department=C, collected_on=d(11, 17), read=30, rejected=3),
    UploadStat(department=D, collected_on=d(11, 9), read=20, rejected=5),
    UploadStat(department=D, collected_on=d(10, 31), read=99, rejected=99),  # October
    UploadStat(department=D, collected_on=d(12, 1), read=99, rejected=99),  # December
    UploadStat(department="11350100MB0000099X", collected_on=d(11, 9), read=10, rejected=10),  # unregistered
]
PREVIOUS_UPLOADS = [UploadStat(department=D, collected_on=d(10, 31), read=60, rejected=6)]


def breach(bid: str, kind: str, dept: str, due: Any, late: Any, *, status: str = "open", **kw: Any) -> Breach:
    item = {
        "breach_id": bid,
        "record_id": bid.split(":")[1],
        "kind": kind,
        "department": dept,
        "region_code": REGION.get(dept, "440100"),
        "category": "penalty",
        "doc_no": f"文号{bid}",
        "subject_name": f"主体{bid}",
        "due": due,
        "working_days_late": late,
        "status": status,
        "opened_at": "2026-11-01T00:00:00Z",
        "opened_on": "2026-11-01",
        "base_level": "county",
    }
    item.update(kw)
    return Breach.model_validate(item)  # as the store reads an item back


BREACHES = [
    breach("collection_overdue:a4", "collection_overdue", A, d(11, 20), 7),
    breach("publication_overdue:old-b", "publication_overdue", B, d(10, 20), 30, subject_name=SCRIPT),
    breach("publication_overdue:old-c", "publication_overdue", C, "2026-11-25", Decimal("4"), category="license"),
    breach("collection_overdue:fixed", "collection_overdue", A, d(11, 2), 3, status="closed"),
    breach("at_risk:c5", "at_risk", C, d(12, 2), 1),
    breach("collection_late:a2", "collection_late", A, d(11, 11), 2),
    breach("collection_overdue:gd", "collection_overdue", "44010000MB0000001X", d(11, 2), 9, region_code="440100"),
]


def make_input(**kw: Any) -> BulletinInput:
    args: dict[str, Any] = {
        "scope": "350000",
        "period": NOV,
        "departments": DEPTS,
        "entries": current_entries(),
        "previous_entries": previous_entries(),
        "uploads": UPLOADS,
        "previous_uploads": PREVIOUS_UPLOADS,
        "open_breaches": BREACHES,
        "as_of": AS_OF,
    }
    args.update(kw)
    return BulletinInput(**args)


@pytest.fixture(scope="module")
def bulletin() -> Bulletin:
    return compute(make_input())


def row(rows: list[dict[str, Any]], code: str) -> dict[str, Any]:
    (found,) = [r for r in rows if r["code"] == code]
    return found


# --- periods ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "key", "start", "end"),
    [
        ("2026-11", "month", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-12", "month", "2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2028-02", "month", "2028-02", date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        ("2026-W48", "week", "2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
        ("2026-W01", "week", "2026-W01", date(2025, 12, 29), date(2026, 1, 4)),  # starts in the previous year
        ("2026-W53", "week", "2026-W53", date(2026, 12, 28), date(2027, 1, 3)),  # 2026 starts on a Thursday
        (" 2026-w05 ", "week", "2026-W05", date(2026, 1, 26), date(2026, 2, 1)),
    ],
)
def test_parse_period(text: str, kind: str, key: str, start: date, end: date) -> None:
    p = parse_period(text)
    assert (p.kind, p.key, p.start, p.end) == (kind, key, start, end)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2025-W53", "2025年共有52周"),
        ("2026-W00", "2026年共有53周"),
        ("2026-13", "月份应为01至12"),
        ("2026-00", "月份应为01至12"),
        ("1999-12", "年份应在2000至2099之间"),
        ("2026/11", "格式不正确"),
        ("2026-11-01", "格式不正确"),
        ("2026-W4", "格式不正确"),
        ("", "格式不正确"),
        ("十一月", "格式不正确"),
    ],
)
def test_parse_period_rejects_with_a_chinese_reason(text: str, fragment: str) -> None:
    with pytest.raises(PeriodError, match=fragment):
        parse_period(text)
    assert issubclass(PeriodError, ValueError)


def test_period_labels_and_consistency() -> None:
    assert NOV.label == "2026年11月"
    assert NOV.span_zh == "2026年11月1日至2026年11月30日"
    assert parse_period("2026-W48").label == "2026年第48周"
    assert parse_period("2026-W53").span_zh == "2026年12月28日至2027年1月3日"
    # A period read back from JSON is checked: the key decides the dates.
    assert Period.model_validate_json(NOV.model_dump_json()) == NOV
    with pytest.raises(ValidationError):
        Period(kind="month", key="2026-11", start=date(2026, 11, 1), end=date(2026, 11, 29))
    with pytest.raises(ValidationError):
        Period(kind="week", key="2026-11", start=date(2026, 11, 1), end=date(2026, 11, 30))


@pytest.mark.parametrize(
    ("key", "previous"),
    [("2026-11", "2026-10"), ("2026-01", "2025-12"), ("2027-W01", "2026-W53"), ("2026-W01", "2025-W52")],
)
def test_previous_period(key: str, previous: str) -> None:
    assert previous_period(parse_period(key)).key == previous


@settings(max_examples=200, deadline=None)
# From February 2000: the period before must itself be in range (2000-2099).
@given(st.dates(min_value=date(2000, 2, 1), max_value=date(2099, 12, 1)), st.sampled_from(["week", "month"]))
def test_period_containing_properties(day: date, kind: Any) -> None:
    p = period_containing(day, kind)
    assert p.start <= day <= p.end
    assert parse_period(p.key) == p
    prev = previous_period(p)
    assert prev.end + timedelta(days=1) == p.start
    if kind == "week":
        assert p.start.weekday() == 0 and (p.end - p.start).days == 6


# --- run days ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_day", "kind", "expected"),
    [
        # National Day 2025: 1-8 October are rest days, so September's and W40's bulletins are due on the 9th.
        (date(2025, 10, 9), "month", "2025-09"),
        (date(2025, 10, 9), "week", "2025-W40"),
        (date(2025, 10, 1), "month", None),
        (date(2025, 10, 8), "week", None),
        (date(2025, 10, 10), "month", None),
        # 2025-10-11 is a make-up Saturday, but W41 (6..12 October) has not ended yet.
        (date(2025, 10, 11), "week", None),
        (date(2025, 10, 13), "week", "2025-W41"),
        # An ordinary week: W05 of 2026 ends on Sunday 1 February, the bulletin is due on Monday the 2nd.
        (date(2026, 2, 2), "week", "2026-W05"),
        (date(2026, 2, 2), "month", "2026-01"),
        (date(2026, 11, 30), "week", "2026-W48"),
        (date(2026, 12, 1), "month", "2026-11"),
        (date(2026, 12, 1), "week", None),
        # 2026-01-04 is a make-up Sunday after New Year (1-3 January off): December's bulletin falls due on it.
        (date(2026, 1, 4), "month", "2025-12"),
        (date(2026, 1, 4), "week", None),
        # 2026-02-14 is a make-up Saturday in the middle of W07: nothing is due.
        (date(2026, 2, 14), "week", None),
        (date(2026, 2, 14), "month", None),
    ],
)
def test_period_for_run(run_day: date, kind: Any, expected: str | None) -> None:
    p = period_for_run(run_day, kind, CAL)
    assert (p.key if p else None) == expected


def test_spring_festival_week_shares_its_run_day() -> None:
    # Spring Festival 2026: 15..23 February are rest days, so W08 (16..22 February) has no working day at all.
    # W07 (ends Sunday 15th) and W08 (ends Sunday 22nd) both fall due on Tuesday 24 February.
    assert [p.key for p in periods_for_run(date(2026, 2, 24), "week", CAL)] == ["2026-W07", "2026-W08"]
    assert period_for_run(date(2026, 2, 24), "week", CAL) == parse_period("2026-W08")
    assert periods_for_run(date(2026, 2, 16), "week", CAL) == []
    assert periods_for_run(date(2026, 2, 25), "week", CAL) == []


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2039, 11, 30)), st.sampled_from(["week", "month"]))
def test_every_period_is_due_exactly_on_the_first_working_day_after_it(day: date, kind: Any) -> None:
    p = period_containing(day, kind)
    run_day = CAL.next_working_day(p.end)
    assert p in periods_for_run(run_day, kind, CAL)
    for other in periods_for_run(run_day, kind, CAL):
        assert CAL.next_working_day(other.end) == run_day
    # The day before is either a rest day or too early.
    assert p not in periods_for_run(run_day - timedelta(days=1), kind, CAL)


def test_bulletin_key() -> None:
    assert bulletin_key("350100", NOV, "html") == "bulletins/350100/2026-11.html"
    assert bulletin_key("350000", "2026-w48", "json") == "bulletins/350000/2026-W48.json"
    with pytest.raises(ValueError):
        bulletin_key("350000", NOV, "pdf")


# --- inputs -----------------------------------------------------------------------------------------------------


def test_upload_stat_and_scope_validation() -> None:
    with pytest.raises(ValidationError):
        UploadStat(department=A, collected_on=AS_OF, read=3, rejected=4)
    with pytest.raises(ValidationError):
        UploadStat(department=A, collected_on=AS_OF, read=-1, rejected=0)
    with pytest.raises(ValidationError, match="不是福建省的行政区划代码"):
        make_input(scope="440100")


# --- indicators -------------------------------------------------------------------------------------------------


def test_totals_match_hand_counts(bulletin: Bulletin) -> None:
    t = bulletin.totals
    assert t["departments"] == 5
    assert t["records"] == 14  # A 5 + B 3 + C 4 + D 2
    assert t["collected"] == 12  # A 4 + B 3 + C 3 + D 2
    assert t["timely_base"] == 9  # A 4 + C 3 + D 2 (B is the regulator)
    assert t["collected_on_time"] == 7  # A 3 + C 3 + D 1
    assert t["collected_late"] == 2  # a2, d2
    assert t["not_collected"] == 2  # a4, c5
    assert t["not_collected_overdue"] == 1  # a4 (due 11-20); c5 is due 12-02
    assert t["published"] == 10  # A 3 + B 2 + C 3 + D 2
    assert t["published_on_time"] == 8  # A 2 + B 1 + C 3 + D 2
    assert t["published_late"] == 2  # a2, b2
    assert t["unpublished"] == 2  # a3, b3
    assert t["held"] == 1  # a3
    assert t["attributed"] == 11  # all but a3
    assert t["uploads"] == 5
    assert t["rows_read"] == 240  # 100 + 50 + 40 + 30 + 20
    assert t["rows_rejected"] == 18  # 10 + 0 + 0 + 3 + 5
    assert t["open_overdue"] == 3
    assert bulletin.open_overdue == {"collection_overdue": 1, "publication_overdue": 2}


def test_rates_match_hand_arithmetic(bulletin: Bulletin) -> None:
    r = bulletin.rates
    assert r["timely_rate"] == pytest.approx(7 / 9)
    assert r["publication_timely_rate"] == pytest.approx(8 / 10)
    assert r["compliance_rate"] == pytest.approx(222 / 240)
    assert r["attribution_rate"] == pytest.approx(11 / 12)
    assert [pct(r[k]) for k in ("timely_rate", "publication_timely_rate", "compliance_rate", "attribution_rate")] == [
        "77.8%",
        "80.0%",
        "92.5%",
        "91.7%",
    ]


def test_department_rows(bulletin: Bulletin) -> None:
    a = row(bulletin.by_department, A)
    assert (a["records"], a["collected"], a["collected_on_time"], a["timely_base"]) == (5, 4, 3, 4)
    assert a["timely_rate"] == pytest.approx(0.75)
    assert a["publication_timely_rate"] == pytest.approx(2 / 3)
    assert a["attribution_rate"] == pytest.approx(0.75)
    assert a["compliance_rate"] == pytest.approx(140 / 150)
    assert (a["not_collected"], a["not_collected_overdue"], a["held"]) == (1, 1, 1)
    assert (a["open_collection_overdue"], a["open_publication_overdue"]) == (1, 0)
    assert a["region_name"] == "福州市"

    b = row(bulletin.by_department, B)
    assert b["timely_base"] == 0 and b["timely_rate"] is None  # the regulator's own records have no 7-day clock
    assert b["publication_timely_rate"] == pytest.approx(0.5)
    assert b["attribution_rate"] == 1.0 and b["compliance_rate"] == 1.0
    assert (b["records"], b["unpublished"]) == (3, 1)
    assert b["region_name"] == "鼓楼区" and b["is_regulator"] is True

    c = row(bulletin.by_department, C)
    assert (c["records"], c["collected"], c["not_collected"], c["not_collected_overdue"]) == (4, 3, 1, 0)
    assert c["timely_rate"] == 1.0 and c["publication_timely_rate"] == 1.0
    assert c["compliance_rate"] == pytest.approx(0.9)

    dd = row(bulletin.by_department, D)
    assert dd["timely_rate"] == pytest.approx(0.5) and dd["publication_timely_rate"] == 1.0
    assert dd["compliance_rate"] == pytest.approx(0.75)

    e = row(bulletin.by_department, E)
    assert e["records"] == 0 and e["uploads"] == 0
    assert all(e[k] is None for k in ("timely_rate", "publication_timely_rate", "compliance_rate", "attribution_rate"))


def test_department_ranking_and_rectification(bulletin: Bulletin) -> None:
    # 及时率 first, then 公示及时率; B has no 及时率 so it follows everyone who has one; E has no rate at all.
    assert [(r["code"], r["rank"]) for r in bulletin.by_department] == [(C, 1), (A, 2), (D, 3), (B, 4), (E, None)]
    flags = {r["code"]: r["needs_rectification"] for r in bulletin.by_department}
    # C is fully on time but has an open publication_overdue breach; E has nothing to show and nothing open.
    assert flags == {A: True, B: True, C: True, D: True, E: False}
    assert row(bulletin.by_department, A)["rectification_reasons"] == [
        "及时率75.0%，低于90%",
        "公示及时率66.7%，低于90%",
        "逾期未归集1条",
    ]
    assert row(bulletin.by_department, C)["rectification_reasons"] == ["逾期未公示1条"]


def test_region_rows(bulletin: Bulletin) -> None:
    codes = [r["code"] for r in bulletin.by_region]
    # The nine cities and 平潭 are always listed, plus 省本级 (E sits at 350000).
    assert sorted(codes) == sorted(
        ["350100", "350200", "350300", "350400", "350500", "350600", "350700", "350800", "350900", "350128", "350000"]
    )
    fz = row(bulletin.by_region, "350100")  # A + B (鼓楼区 counts under 福州市)
    assert (fz["name"], fz["departments"], fz["records"], fz["collected"]) == ("福州市", 2, 8, 7)
    assert fz["timely_rate"] == pytest.approx(3 / 4)
    assert fz["publication_timely_rate"] == pytest.approx(3 / 5)
    assert fz["attribution_rate"] == pytest.approx(6 / 7)
    assert fz["compliance_rate"] == pytest.approx(180 / 190)
    assert (fz["open_collection_overdue"], fz["open_publication_overdue"]) == (1, 1)
    xm = row(bulletin.by_region, "350200")  # C + D
    assert (xm["records"], xm["collected"], xm["timely_base"], xm["collected_on_time"]) == (6, 5, 5, 4)
    assert xm["timely_rate"] == pytest.approx(0.8) and xm["publication_timely_rate"] == 1.0
    assert xm["compliance_rate"] == pytest.approx(42 / 50)
    prov = row(bulletin.by_region, "350000")
    assert (prov["name"], prov["departments"], prov["records"], prov["rank"]) == ("省本级", 1, 0, None)
    assert row(bulletin.by_region, "350128")["name"] == "平潭综合实验区"
    # Ranked rows first (厦门 80 % before 福州 75 %), then the unranked ones.
    assert [(r["code"], r["rank"]) for r in bulletin.by_region[:2]] == [("350200", 1), ("350100", 2)]
    assert all(r["rank"] is None for r in bulletin.by_region[2:])
    # Region rows add up to the totals.
    for key in ("records", "collected", "published", "rows_read", "open_overdue"):
        assert sum(r[key] for r in bulletin.by_region) == bulletin.totals[key]


def test_rectification_list_is_worst_first(bulletin: Bulletin) -> None:
    assert [(r["type"], r["code"]) for r in bulletin.rectification] == [
        ("region", "350100"),
        ("region", "350200"),
        ("department", B),
        ("department", D),
        ("department", A),
        ("department", C),
    ]


def test_by_category(bulletin: Bulletin) -> None:
    cats = {c["category"]: c for c in bulletin.by_category}
    assert set(cats) == {"penalty", "license", "registration"}
    assert (cats["license"]["records"], cats["license"]["attribution_rate"]) == (1, 1.0)  # a5, name_only
    assert (cats["registration"]["records"], cats["registration"]["timely_rate"]) == (1, None)  # b1
    assert cats["penalty"]["records"] == 12
    assert cats["penalty"]["name"] == "行政处罚"


def test_overdue_list(bulletin: Bulletin) -> None:
    assert [o["breach_id"] for o in bulletin.overdue] == [
        "publication_overdue:old-b",  # 30 working days late
        "collection_overdue:a4",  # 7
        "publication_overdue:old-c",  # 4
    ]
    first = bulletin.overdue[0]
    assert first["kind"] == "publication_overdue" and first["kind_zh"] == "逾期未公示"
    assert first["department_name"] == "福州市鼓楼区市场监督管理局"
    assert first["region_name"] == "鼓楼区"
    assert first["due"] == date(2026, 10, 20) and first["working_days_late"] == 30
    assert first["subject_name"] == SCRIPT
    last = bulletin.overdue[2]
    assert last["due"] == date(2026, 11, 25) and last["working_days_late"] == 4 and last["category_zh"] == "行政许可"
    assert (bulletin.overdue_total, bulletin.overdue_more) == (3, 0)


def test_overdue_list_is_capped() -> None:
    many = [
        breach(f"collection_overdue:r{i}", "collection_overdue", A, d(11, 2), i) for i in range(OVERDUE_LIST_MAX + 3)
    ]
    b = compute(make_input(open_breaches=many))
    assert len(b.overdue) == OVERDUE_LIST_MAX
    assert (b.overdue_total, b.overdue_more) == (53, 3)
    assert b.overdue[0]["working_days_late"] == 52 and b.overdue[-1]["working_days_late"] == 3
    assert "另有3条" in render_html(b).decode()
    assert "另有3条" in render_markdown(b).decode()


def test_comparison_with_previous_period(bulletin: Bulletin) -> None:
    # October as of 2026-11-01: p3 (collected 11-02) is not collected yet, b-old (published 11-05) not published.
    assert bulletin.previous_period == OCT
    assert bulletin.previous_as_of == date(2026, 11, 1)
    c = bulletin.comparison
    assert (c["records"]["previous"], c["records"]["change"]) == (4, 10)
    assert (c["collected"]["current"], c["collected"]["previous"], c["collected"]["change"]) == (12, 3, 9)
    assert c["collected"]["change_pct"] == pytest.approx(300.0)
    assert c["collected"]["text"] == "较上期增加9条（+300.0%）"
    assert (c["not_collected"]["previous"], c["not_collected"]["change"]) == (1, 1)
    assert (c["published"]["previous"], c["published"]["change"]) == (1, 9)
    assert (c["rows_read"]["previous"], c["rows_read"]["text"]) == (60, "较上期增加180行（+300.0%）")
    # Rates: October had 1 of 2 on time, 1 of 1 published on time, 54 of 60 rows passing, 3 of 3 attributed.
    assert c["timely_rate"]["previous"] == pytest.approx(0.5)
    assert c["timely_rate"]["change"] == pytest.approx(27.7778, abs=1e-4)
    assert c["timely_rate"]["text"] == "较上期上升27.8个百分点"
    assert c["publication_timely_rate"]["change"] == pytest.approx(-20.0)
    assert c["publication_timely_rate"]["text"] == "较上期下降20.0个百分点"
    assert c["compliance_rate"]["change"] == pytest.approx(2.5)
    assert c["compliance_rate"]["text"] == "较上期上升2.5个百分点"
    assert c["attribution_rate"]["change"] == pytest.approx(-8.3333, abs=1e-4)
    assert c["attribution_rate"]["text"] == "较上期下降8.3个百分点"


def test_comparison_as_of_can_be_given() -> None:
    # Seen from 2026-12-01 instead, October's p3 is collected (late: due 10-29) and b-old is published.
    b = compute(make_input(previous_as_of=AS_OF))
    c = b.comparison
    assert b.previous_as_of == AS_OF
    assert (c["collected"]["previous"], c["not_collected"]["previous"], c["published"]["previous"]) == (4, 0, 2)
    assert c["timely_rate"]["previous"] == pytest.approx(1 / 3)


def test_zero_denominators_give_none_and_dashes() -> None:
    b = compute(
        make_input(entries=[], previous_entries=[], uploads=[], previous_uploads=[], open_breaches=[], departments=[])
    )
    assert all(v is None for v in b.rates.values())
    assert all(v == 0 for v in b.totals.values())
    assert all(r["rank"] is None and not r["needs_rectification"] for r in b.by_region)
    assert b.by_department == [] and b.rectification == [] and b.overdue == []
    assert b.comparison["timely_rate"]["text"] == "本期无数据"
    assert b.comparison["collected"]["text"] == "与上期持平"
    assert b.comparison["collected"]["change_pct"] is None
    page = render_html(b).decode()
    assert "—" in page and "本期无需整改的单位" in page and "无逾期未归集或未公示" in page
    render_markdown(b)
    render_csv(b)
    json.loads(render_json(b))
    subject, message, _ = announcement(b)
    assert "及时率—" in subject


def test_previous_period_without_data_is_not_comparable() -> None:
    b = compute(make_input(previous_entries=[], previous_uploads=[]))
    assert b.comparison["timely_rate"]["change"] is None
    assert b.comparison["timely_rate"]["text"] == "上期无可比数据"
    assert b.comparison["collected"]["change_pct"] is None
    assert b.comparison["collected"]["text"] == "较上期增加12条"


def test_equal_rates_share_a_rank() -> None:
    # A and D both: 1 of 2 on time, 1 of 1 published on time.
    entries = [
        entry(
            f"{k}{i}",
            dept,
            d(11, 2),
            collect_due=d(11, 11),
            publish_due=d(11, 30),
            collected=at(d(11, day)),
            published=at(d(11, 20)) if i == 1 else None,
        )
        for k, dept in (("x", A), ("y", D))
        for i, day in ((1, 10), (2, 12))
    ]
    entries.append(
        entry(
            "z1",
            C,
            d(11, 2),
            collect_due=d(11, 11),
            publish_due=d(11, 30),
            collected=at(d(11, 12)),
            published=at(d(11, 20)),
        )
    )
    b = compute(make_input(entries=entries, open_breaches=[], uploads=[]))
    assert [(r["code"], r["rank"]) for r in b.by_department[:3]] == [(A, 1), (D, 1), (C, 3)]


def test_on_demand_mid_period() -> None:
    # As of 2026-11-15: records produced after that day do not exist yet; later acts have not happened.
    b = compute(make_input(as_of=d(11, 15)))
    t = b.totals
    # a1 a2 a3 a4 a5 b1 b2 d1 (b3 and c1-c5 are produced from 11-16 on); d2 is left out: collected only on 11-20
    # and in no ledger, nobody knew of it on 11-15.
    assert t["records"] == 8
    # a4 is in a ledger and not collected; its collection is due only on 11-20.
    assert (t["collected"], t["not_collected"], t["not_collected_overdue"]) == (7, 1, 0)
    assert t["published"] == 1  # only b1 (11-06) was published by 11-15
    assert t["rows_read"] == 210  # A 100 + 50, B 40, D 20; C's upload is on 11-17
    assert b.previous_as_of == date(2026, 10, 16)  # 15 days before October's end, like 11-15 before November's


def test_city_scope() -> None:
    b = compute(make_input(scope="350100"))
    assert (b.scope_name, b.level) == ("福州市", "city")
    assert b.title == "福州市涉企信息归集公示工作通报（2026年11月）"
    assert [(r["code"], r["name"]) for r in b.by_region] == [("350100", "福州市本级"), ("350102", "鼓楼区")]
    assert [r["code"] for r in b.by_department] == [A, B]
    assert b.totals["records"] == 8 and b.totals["departments"] == 2
    assert [o["breach_id"] for o in b.overdue] == ["publication_overdue:old-b", "collection_overdue:a4"]
    assert b.totals["rows_read"] == 190


def test_pingtan_scope_is_its_own_row() -> None:
    b = compute(make_input(scope="350128"))
    assert b.scope_name == "平潭综合实验区"
    assert [(r["code"], r["name"]) for r in b.by_region] == [("350128", "平潭综合实验区本级")]
    assert b.totals["records"] == 0 and b.by_department == []


def test_entries_outside_scope_or_period_are_ignored() -> None:
    extra = entry("b-old2", B, d(12, 1), collect_due=None, publish_due=d(12, 29), collected=at(d(12, 1)))
    b = compute(make_input(entries=[*current_entries(), extra]))
    assert b.totals["records"] == 14


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from([A, B, C, D]),
            st.integers(1, 30),  # production day in November
            st.one_of(st.none(), st.integers(0, 25)),  # days until collection
            st.one_of(st.none(), st.integers(0, 40)),  # days until publication after collection
            st.booleans(),  # attributable
            st.booleans(),  # in a ledger
        ),
        max_size=30,
    ),
    st.lists(st.tuples(st.sampled_from([A, B, C, D]), st.integers(1, 30), st.integers(0, 50), st.integers(0, 50))),
)
def test_tables_add_up_and_rates_are_fractions(raw: list[Any], raw_uploads: list[Any]) -> None:
    entries = []
    for i, (dept, day, to_collect, to_publish, attributable, ledger) in enumerate(raw):
        produced = d(11, day)
        collected = at(produced + timedelta(days=to_collect)) if to_collect is not None else None
        published = collected + timedelta(days=to_publish) if collected and to_publish is not None else None
        entries.append(
            entry(
                f"r{i}",
                dept,
                produced,
                collect_due=None if dept == B else produced + timedelta(days=9),
                publish_due=produced + timedelta(days=28),
                collected=collected,
                published=published,
                attribution=Attribution.MATCHED if attributable else Attribution.NO_SUBJECT,
                held=not attributable,
                ledger=ledger,
            )
        )
    uploads = [
        UploadStat(department=u, collected_on=d(11, day), read=r + j, rejected=r) for u, day, r, j in raw_uploads
    ]
    b = compute(make_input(entries=entries, uploads=uploads, previous_entries=[], previous_uploads=[]))
    for rows in (b.by_region, b.by_department):
        for key in ("records", "collected", "timely_base", "collected_on_time", "published", "rows_read", "held"):
            assert sum(r[key] for r in rows) == b.totals[key]
    t = b.totals
    assert t["collected"] + t["not_collected"] == t["records"]
    assert t["collected_on_time"] + t["collected_late"] == t["timely_base"]
    assert t["published_on_time"] + t["published_late"] == t["published"]
    assert t["published"] + t["unpublished"] == t["collected"]
    for rates in [b.rates, *[{k: r[k] for k in b.rates} for r in b.by_region + b.by_department]]:
        assert all(v is None or 0.0 <= v <= 1.0 for v in rates.values())
    ranks = [r["rank"] for r in b.by_department if r["rank"] is not None]
    assert ranks == sorted(ranks)


# --- renderings -------------------------------------------------------------------------------------------------


def test_html_is_self_contained_printable_and_escaped(bulletin: Bulletin) -> None:
    page = render_html(bulletin).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>福建省涉企信息归集公示工作通报（2026年11月）</title>" in page
    assert "<h1>福建省涉企信息归集公示工作通报（2026年11月）</h1>" in page
    for heading in ("一、总体情况", "二、各地区情况", "三、各部门情况", "四、逾期未归集/未公示名单", "五、整改要求"):
        assert f"<h2>{heading}</h2>" in page
    assert page.index("一、总体情况") < page.index("二、各地区情况") < page.index("五、整改要求")
    assert "@page { size: A4" in page and "border: 1px solid" in page and "Noto" in page
    # The subject name from an upload never becomes markup.
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;某某有限公司" in page
    # No external assets, no JavaScript.
    for forbidden in ("<link", "src=", "href=", "@import", "url(", "javascript:"):
        assert forbidden not in page
    # One inline SVG chart with one bar per region and rate that has a value (厦门 and 福州: two each).
    assert page.count("<svg") == 1 and "</svg>" in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<rect") == 2 + 4  # two legend swatches + four bars
    assert "厦门市" in svg and "80.0%" in svg and "75.0%" in svg
    # Headline figures and the ranking table.
    assert "及时率77.8%" in page and "公示及时率80.0%" in page and "合规率92.5%" in page and "记名率91.7%" in page
    assert "逾期未公示（publication_overdue）" in page
    assert 'class="flag"' in page


def test_html_escapes_department_and_region_names() -> None:
    depts = [
        *DEPTS[:4],
        Department(code=E, name='省厅"><img src=x onerror=alert(1)>', region_code="350000", level="province"),
    ]
    page = render_html(compute(make_input(departments=depts))).decode()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_markdown_has_the_same_sections_and_tables(bulletin: Bulletin) -> None:
    md = render_markdown(bulletin).decode("utf-8")
    assert md.startswith("# 福建省涉企信息归集公示工作通报（2026年11月）\n")
    for heading in ("一、总体情况", "二、各地区情况", "三、各部门情况", "四、逾期未归集/未公示名单", "五、整改要求"):
        assert f"\n## {heading}\n" in md
    assert "| 排名 | 部门 | 所属地区 | 应归集 | 归集量 |" in md
    assert (
        "| 1 | 厦门市交通运输局 | 厦门市 | 4 | 3 | 0 | 1 | 3 | 100.0% | 100.0% | 90.0% | 100.0% | 0 | 1 | 需整改 |"
        in md
    )
    assert "<script" not in md and "&lt;script&gt;" in md


def test_markdown_escapes_pipes() -> None:
    breaches = [breach("publication_overdue:x", "publication_overdue", A, d(11, 2), 5, subject_name="甲|乙\n公司")]
    md = render_markdown(compute(make_input(open_breaches=breaches))).decode()
    assert "甲\\|乙 公司" in md


def test_csv_has_bom_and_both_ranking_tables(bulletin: Bulletin) -> None:
    blob = render_csv(bulletin)
    assert blob.startswith(b"\xef\xbb\xbf")
    text = blob.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    dept_header = rows.index(["各部门情况"]) + 1
    assert rows[dept_header][:5] == ["排名", "部门", "部门统一社会信用代码", "所属地区", "行政区划代码"]
    dept_rows = rows[dept_header + 1 : dept_header + 6]
    assert [r[2] for r in dept_rows] == [C, A, D, B, E]
    col = rows[dept_header].index("及时率")
    assert [r[col] for r in dept_rows] == ["100.0%", "75.0%", "50.0%", "—", "—"]
    assert dept_rows[1][-1] == "及时率75.0%，低于90%；公示及时率66.7%，低于90%；逾期未归集1条"
    region_header = rows.index(["各地区情况"]) + 1
    assert rows[region_header][:3] == ["排名", "地区", "行政区划代码"]
    assert rows[region_header + 1][:3] == ["1", "厦门市", "350200"]
    assert len(rows) == region_header + 1 + 11


def test_csv_defuses_formulas() -> None:
    depts = [*DEPTS[:4], Department(code=E, name='=HYPERLINK("http://x")', region_code="350000", level="province")]
    text = render_csv(compute(make_input(departments=depts))).decode("utf-8-sig")
    names = [r[1] for r in csv.reader(io.StringIO(text)) if len(r) > 2 and r[2] == E]
    assert names == ['\'=HYPERLINK("http://x")']


def test_json_is_the_model_dump(bulletin: Bulletin) -> None:
    data = json.loads(render_json(bulletin))
    assert data["scope"] == "350000" and data["period"] == {
        "kind": "month",
        "key": "2026-11",
        "start": "2026-11-01",
        "end": "2026-11-30",
    }
    assert data["as_of"] == "2026-12-01"
    assert data["overdue"][0]["due"] == "2026-10-20" and data["overdue"][0]["kind"] == "publication_overdue"
    assert data["rates"]["timely_rate"] == pytest.approx(7 / 9)
    assert data["open_overdue"] == {"collection_overdue": 1, "publication_overdue": 2}
    assert Bulletin.model_validate(data) == bulletin.model_validate(bulletin.model_dump(mode="json"))


def test_announcement(bulletin: Bulletin) -> None:
    subject, message, attributes = announcement(bulletin)
    assert attributes == {
        "region": "350000",
        "type": "bulletin",
        "period": "2026-11",
        "period_kind": "month",
        "level": "province",
    }
    assert subject == "【涉企信息通报】福建省2026年11月：归集12条，及时率77.8%"
    assert len(subject) <= 100 and "\n" not in subject
    assert "bulletins/350000/2026-11.html" in message
    assert "及时率77.8%（较上期上升27.8个百分点）" in message
    assert "逾期未归集1条、逾期未公示2条" in message
    assert "需整改地区2个、部门4个" in message
    _, message, _ = announcement(bulletin, location="s3://reports/bulletins/350000/2026-11.html")
    assert "s3://reports/bulletins/350000/2026-11.html" in message


def test_weekly_bulletin_title_and_announcement() -> None:
    week = parse_period("2026-W48")
    b = compute(make_input(period=week, as_of=date(2026, 11, 30)))
    assert b.title == "福建省涉企信息归集公示工作通报（2026年第48周）"
    assert b.previous_period.key == "2026-W47" and b.previous_as_of == date(2026, 11, 23)
    # Produced 23..29 November: c1-c5 on the 16th are outside; b3 (11-20) too; c4, c5 (11-23) count if known.
    assert b.totals["records"] == 1  # c5 (in a ledger); c4 reached the regulator only on 12-02
    _, _, attributes = announcement(b)
    assert attributes["period"] == "2026-W48" and attributes["period_kind"] == "week"
