"""Working-day calendar: hand-checked State Council schedules, a naive reference walk, overrides, ranges."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from holidays.countries.china import China
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.workdays import (
    BUNDLED_DIR,
    CalendarOverride,
    CalendarOverrideError,
    CalendarRangeError,
    WorkCalendar,
    YearInfo,
    default_calendar,
    load_override_dir,
    load_override_file,
)

# The reference: python-holidays itself, asked one day at a time (lazily expands to any year).
_CN = China()  # type: ignore[no-untyped-call]


def naive_due_date(d: date, n: int) -> date:
    """Walk day by day from d + 1 and return the n-th working day (the definition, without any index)."""
    day, counted = d, 0
    while counted < n:
        day += timedelta(days=1)
        if _CN.is_working_day(day):
            counted += 1
    return day


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    # Library data only, so the reference walk is the same calendar whatever gets bundled later.
    return WorkCalendar.build(include_bundled=False)


def days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# Transcribed from the State Council notices (国务院办公厅关于2024/2025/2026年部分节假日安排的通知), not from the library.
HOLIDAY_BLOCKS: dict[int, list[tuple[str, str, str]]] = {
    2024: [
        ("元旦", "2023-12-30", "2024-01-01"),
        ("春节", "2024-02-10", "2024-02-17"),
        ("清明节", "2024-04-04", "2024-04-06"),
        ("劳动节", "2024-05-01", "2024-05-05"),
        ("端午节", "2024-06-08", "2024-06-10"),
        ("中秋节", "2024-09-15", "2024-09-17"),
        ("国庆节", "2024-10-01", "2024-10-07"),
    ],
    2025: [
        ("元旦", "2025-01-01", "2025-01-01"),
        ("春节", "2025-01-28", "2025-02-04"),
        ("清明节", "2025-04-04", "2025-04-06"),
        ("劳动节", "2025-05-01", "2025-05-05"),
        ("端午节", "2025-05-31", "2025-06-02"),
        ("国庆节、中秋节", "2025-10-01", "2025-10-08"),
    ],
    2026: [
        ("元旦", "2026-01-01", "2026-01-03"),
        ("春节", "2026-02-15", "2026-02-23"),
        ("清明节", "2026-04-04", "2026-04-06"),
        ("劳动节", "2026-05-01", "2026-05-05"),
        ("端午节", "2026-06-19", "2026-06-21"),
        ("中秋节", "2026-09-25", "2026-09-27"),
        ("国庆节", "2026-10-01", "2026-10-07"),
    ],
}
MAKE_UP_DAYS: dict[int, list[str]] = {
    2024: [
        "2024-02-04",
        "2024-02-18",
        "2024-04-07",
        "2024-04-28",
        "2024-05-11",
        "2024-09-14",
        "2024-09-29",
        "2024-10-12",
    ],
    2025: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    2026: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
}
BLOCKS = [(year, *block) for year, blocks in HOLIDAY_BLOCKS.items() for block in blocks]


# --- worked examples -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("produced", "collect_by", "publish_by"),
    [
        # BRIEF §3
        ("2024-09-27", "2024-10-12", "2024-10-30"),  # 9/29 Sun and 10/12 Sat are make-up working days
        ("2025-01-28", "2025-02-12", "2025-03-03"),  # produced on a holiday: day 1 is the first working day after
        ("2025-09-30", "2025-10-16", "2025-11-04"),  # National Day + Mid-Autumn merged
        # domain.md §b.3
        ("2016-12-23", "2017-01-04", "2017-01-22"),  # 2017-01-22 was a make-up Sunday
        ("2025-01-24", "2025-02-10", "2025-02-27"),  # across the 8-day Spring Festival
        # hand-counted here
        ("2024-04-30", "2024-05-13", "2024-05-30"),  # 5/11 Sat works
        ("2026-02-13", "2026-03-02", "2026-03-19"),  # 2/14 and 2/28 Saturdays work, 2/15-2/23 off
        ("2026-09-30", "2026-10-15", "2026-11-03"),  # 10/10 Sat works
    ],
)
def test_worked_examples(cal: WorkCalendar, produced: str, collect_by: str, publish_by: str) -> None:
    d = date.fromisoformat(produced)
    assert cal.due_date(d, 7) == date.fromisoformat(collect_by)
    assert cal.due_date(d, 20) == date.fromisoformat(publish_by)


def test_produced_on_a_working_day_does_not_count_that_day(cal: WorkCalendar) -> None:
    # 2024-10-08 (Tue) is a working day; the next working day is 10-09, not 10-08 itself.
    assert cal.is_working_day(date(2024, 10, 8))
    assert cal.due_date(date(2024, 10, 8), 1) == date(2024, 10, 9)
    assert cal.next_working_day(date(2024, 10, 8)) == date(2024, 10, 9)
    # From a Friday before a make-up Saturday: the Saturday is day 1.
    assert cal.next_working_day(date(2024, 10, 11)) == date(2024, 10, 12)
    # From a holiday: the first working day after the block.
    assert cal.next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)


# --- 2024-2026 schedules, day by day ---------------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(HOLIDAY_BLOCKS))
def test_year_matches_the_notice_exactly(cal: WorkCalendar, year: int) -> None:
    make_up = {date.fromisoformat(s) for s in MAKE_UP_DAYS[year]}
    rest = {d for _, first, last in HOLIDAY_BLOCKS[year] for d in days(first, last)}
    assert all(d.weekday() >= 5 for d in make_up)
    for d in days(f"{year}-01-01", f"{year}-12-31"):
        expected = d in make_up if d.weekday() >= 5 else d not in rest
        assert cal.is_working_day(d) is expected, d
    # Cross-check the library's own make-up list against the notices.
    assert {d for d in China(years=year).weekend_workdays if d.year == year} == make_up  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("year", sorted(MAKE_UP_DAYS))
def test_make_up_days_are_working_days(cal: WorkCalendar, year: int) -> None:
    for text in MAKE_UP_DAYS[year]:
        assert cal.is_working_day(date.fromisoformat(text)), text
        assert not cal.is_provisional(date.fromisoformat(text))


@pytest.mark.parametrize(("year", "name", "first", "last"), BLOCKS, ids=[f"{b[0]}-{b[1]}" for b in BLOCKS])
def test_due_dates_around_each_holiday_block(cal: WorkCalendar, year: int, name: str, first: str, last: str) -> None:
    block = days(first, last)
    assert not any(cal.is_working_day(d) for d in block), name
    around = [block[0] - timedelta(days=2), block[0] - timedelta(days=1), *block, block[-1] + timedelta(days=1)]
    for d in around:
        for n in (7, 20):
            assert cal.due_date(d, n) == naive_due_date(d, n), (d, n)
    # Every day produced inside the block has the same due dates (they all start counting after the block).
    assert len({cal.due_date(d, 7) for d in block}) == 1
    assert len({cal.due_date(d, 20) for d in block}) == 1


def test_working_days_between(cal: WorkCalendar) -> None:
    # (2024-09-27, 2024-10-12]: 9/29, 9/30, 10/8-10/12 = 7 working days.
    assert cal.working_days_between(date(2024, 9, 27), date(2024, 10, 12)) == 7
    assert cal.working_days_between(date(2024, 10, 12), date(2024, 9, 27)) == -7
    assert cal.working_days_between(date(2024, 10, 1), date(2024, 10, 1)) == 0
    # Whole National Day week off: nothing in (9/30, 10/7].
    assert cal.working_days_between(date(2024, 9, 30), date(2024, 10, 7)) == 0
    # 2025 has 365 - 104 weekend days - 18 weekday holidays + 5 make-up days = 248 working days.
    assert cal.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 248


# --- properties ------------------------------------------------------------------------------------------------

dates_2000_2030 = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
small_n = st.integers(min_value=1, max_value=60)


@given(d=dates_2000_2030, n=small_n)
def test_due_date_is_a_later_working_day(cal: WorkCalendar, d: date, n: int) -> None:
    due = cal.due_date(d, n)
    assert due > d
    assert cal.is_working_day(due)
    assert cal.working_days_between(d, due) == n
    assert cal.working_days_between(due, d) == -n
    assert cal.due_date(d, n + 1) > due


@given(a=dates_2000_2030, b=dates_2000_2030, n=small_n)
def test_due_date_is_monotone_in_the_production_date(cal: WorkCalendar, a: date, b: date, n: int) -> None:
    lo, hi = min(a, b), max(a, b)
    assert cal.due_date(lo, n) <= cal.due_date(hi, n)


@settings(max_examples=300)
@given(d=dates_2000_2030, n=st.sampled_from([1, 2, 7, 20]))
def test_due_date_matches_the_reference_walk(cal: WorkCalendar, d: date, n: int) -> None:
    assert cal.due_date(d, n) == naive_due_date(d, n)
    assert cal.is_working_day(d) is _CN.is_working_day(d)


@given(a=dates_2000_2030, b=dates_2000_2030)
def test_working_days_between_counts_the_half_open_interval(cal: WorkCalendar, a: date, b: date) -> None:
    lo, hi = min(a, b), max(a, b)
    if (hi - lo).days > 120:
        hi = lo + timedelta(days=120)
    expected = sum(1 for i in range(1, (hi - lo).days + 1) if _CN.is_working_day(lo + timedelta(days=i)))
    assert cal.working_days_between(lo, hi) == expected
    assert cal.working_days_between(hi, lo) == -expected


def test_whole_range_matches_the_library(cal: WorkCalendar) -> None:
    # Every single day of the range, against the library's own is_working_day.
    library = China(years=range(2000, 2041))  # type: ignore[no-untyped-call]
    mismatches = [d for d in days("2000-01-01", "2040-12-31") if cal.is_working_day(d) != library.is_working_day(d)]
    assert mismatches == []


# --- years, provisional marking, year end ----------------------------------------------------------------------


def test_year_status(cal: WorkCalendar) -> None:
    years = cal.years()
    assert [y.year for y in years] == list(range(2000, 2041))
    official = [y.year for y in years if y.status == "official"]
    assert official == list(range(2001, 2027))  # holidays 0.109 has make-up days for 2001-2026
    assert all(y.source.startswith("python-holidays") for y in years)
    assert cal.is_provisional(date(2000, 6, 1))  # the library has 2000's holidays but none of its make-up days
    assert not cal.is_provisional(date(2026, 12, 31))
    assert cal.is_provisional(date(2027, 1, 1))
    assert cal.is_provisional(date(2040, 12, 31))


def test_due_dates_into_a_provisional_year_are_flagged(cal: WorkCalendar) -> None:
    # 2026-12-25 Fri: 12/28, 29, 30, 31, (2027-01-01 New Year), 1/4, 1/5, 1/6 -> day 7 is 2027-01-06.
    assert cal.due_date(date(2026, 12, 25), 7) == date(2027, 1, 6)
    assert cal.due_date_is_provisional(date(2026, 12, 25), 7)
    assert cal.due_date_is_provisional(date(2026, 12, 25), 20)
    # Inside the official year: not flagged.
    assert cal.due_date(date(2026, 12, 18), 7) == date(2026, 12, 29)
    assert not cal.due_date_is_provisional(date(2026, 12, 18), 7)
    # Produced on the last day of 2026: every counted day is in 2027.
    assert cal.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)
    assert cal.due_date_is_provisional(date(2026, 12, 31), 1)
    # (2000-12-29, ...] includes 2000-12-30/31 (provisional 2000), (2000-12-31, ...] does not.
    assert cal.due_date_is_provisional(date(2000, 12, 29), 1)
    assert not cal.due_date_is_provisional(date(2000, 12, 31), 1)


def test_year_end_never_crashes(cal: WorkCalendar) -> None:
    for year in range(2000, 2040):
        d = date(year, 12, 31)
        assert cal.due_date(d, 20).year == year + 1
        assert cal.due_date(d - timedelta(days=3), 7) > d - timedelta(days=3)


# --- overrides -------------------------------------------------------------------------------------------------

# Made-up but well-formed: 2027-01-04 (Mon) becomes a rest day, 2027-01-09 (Sat) a make-up day; nothing else.
FAKE_2027: dict[str, Any] = {
    "year": 2027,
    "source": "测试用虚构安排 (test fixture, not a real notice)",
    "holidays": {"2027-01-01": "元旦", "2027-01-02": "元旦", "2027-01-03": "元旦", "2027-01-04": "元旦"},
    "workdays": ["2027-01-09"],
}


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_override_makes_a_year_official_and_changes_due_dates(tmp_path: Path, cal: WorkCalendar) -> None:
    override = load_override_file(write(tmp_path, "2027.json", FAKE_2027))
    assert override.year == 2027
    with_2027 = WorkCalendar.build([override], include_bundled=False)

    assert YearInfo(2027, "official", FAKE_2027["source"]) in with_2027.years()
    assert not with_2027.is_provisional(date(2027, 5, 1))
    assert with_2027.version != cal.version
    # The extra rest day pushes the deadline by one: 12/28-31, 1/5, 1/6, 1/7.
    assert with_2027.due_date(date(2026, 12, 25), 7) == date(2027, 1, 7)
    assert not with_2027.due_date_is_provisional(date(2026, 12, 25), 7)
    assert with_2027.is_working_day(date(2027, 1, 9))
    # The override replaces the library's 2027 entirely: its Spring Festival estimate (2/8-2/10) is gone.
    assert not cal.is_working_day(date(2027, 2, 8))
    assert with_2027.is_working_day(date(2027, 2, 8))
    # Other years are untouched.
    assert all(with_2027.is_working_day(d) == cal.is_working_day(d) for d in days("2026-01-01", "2026-12-31"))
    assert all(with_2027.is_working_day(d) == cal.is_working_day(d) for d in days("2028-01-01", "2028-12-31"))


def test_version_is_stable_and_tracks_the_data(tmp_path: Path, cal: WorkCalendar) -> None:
    assert len(cal.version) == 12 and int(cal.version, 16) >= 0
    assert WorkCalendar.build(include_bundled=False).version == cal.version
    one = WorkCalendar.build([CalendarOverride.model_validate_json(json.dumps(FAKE_2027))], include_bundled=False)
    # Same schedule with keys in another order: same version.
    shuffled = dict(FAKE_2027, holidays=dict(reversed(list(FAKE_2027["holidays"].items()))))
    two = WorkCalendar.build([CalendarOverride.model_validate_json(json.dumps(shuffled))], include_bundled=False)
    assert one.version == two.version != cal.version
    changed = dict(FAKE_2027, workdays=["2027-01-10"])
    three = WorkCalendar.build([CalendarOverride.model_validate_json(json.dumps(changed))], include_bundled=False)
    assert three.version not in (one.version, cal.version)


def test_example_file_is_the_real_2026_schedule(tmp_path: Path, cal: WorkCalendar) -> None:
    example = BUNDLED_DIR / "example-override.json.txt"
    copy = tmp_path / "2026.json"
    shutil.copy(example, copy)
    override = load_override_file(copy)
    with_2026 = WorkCalendar.build([override], include_bundled=False)
    assert all(with_2026.is_working_day(d) == cal.is_working_day(d) for d in days("2026-01-01", "2026-12-31"))
    assert YearInfo(2026, "official", "国务院办公厅关于2026年部分节假日安排的通知") in with_2026.years()


def test_override_directory_ignores_non_json(tmp_path: Path) -> None:
    assert isinstance(load_override_dir(BUNDLED_DIR), list)  # whatever is bundled must load
    write(tmp_path, "2027.json", FAKE_2027)
    (tmp_path / "notes.txt").write_text("not an override", encoding="utf-8")
    shutil.copy(BUNDLED_DIR / "example-override.json.txt", tmp_path)
    assert [o.year for o in load_override_dir(tmp_path)] == [2027]


def test_explicit_override_wins_over_bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled_dir = tmp_path / "bundled"
    bundled_dir.mkdir()
    write(bundled_dir, "2027.json", dict(FAKE_2027, source="bundled", workdays=[]))
    monkeypatch.setattr("shared.workdays.BUNDLED_DIR", bundled_dir)
    from_bundle = WorkCalendar.build()
    assert YearInfo(2027, "official", "bundled") in from_bundle.years()
    assert not from_bundle.is_working_day(date(2027, 1, 9))
    mine = CalendarOverride.model_validate_json(json.dumps(FAKE_2027))
    built = WorkCalendar.build([mine])
    assert YearInfo(2027, "official", mine.source) in built.years()
    assert built.is_working_day(date(2027, 1, 9))
    assert WorkCalendar.build(include_bundled=False).is_provisional(date(2027, 1, 9))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"holidays": {"2026-12-31": "元旦"}}, "dates outside 2027: 2026-12-31"),
        ({"workdays": ["2028-01-01"]}, "dates outside 2027: 2028-01-01"),
        ({"workdays": ["2027-01-02"]}, "both in holidays and in workdays: 2027-01-02"),
        ({"workdays": ["2027-01-05"]}, "Saturdays or Sundays"),  # a Tuesday
        ({"workdays": ["2027-01-09", "2027-01-09"]}, "more than once: 2027-01-09"),
        ({"holidays": {"2027-02-30": "春节"}}, "holidays.2027-02-30"),
        ({"year": "二〇二七"}, "year"),
        ({"year": 2027.5}, "year"),
        ({"year": 2041}, "year"),
        ({"year": 1999, "holidays": {}, "workdays": []}, "year"),
        ({"source": "  "}, "source"),
        ({"workday": ["2027-01-09"]}, "workday"),  # a typo of a key is not silently ignored
    ],
)
def test_bad_overrides_are_rejected_with_a_clear_reason(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = write(tmp_path, "bad.json", {**FAKE_2027, **change})
    with pytest.raises(CalendarOverrideError, match="bad.json") as info:
        load_override_file(path)
    assert message in str(info.value)


def test_override_from_a_parsed_dict() -> None:
    # An adapter reading the file from S3 may validate json.loads() output instead of the text.
    override = CalendarOverride.model_validate(json.loads(json.dumps(FAKE_2027)))
    assert override == CalendarOverride.model_validate_json(json.dumps(FAKE_2027))
    assert override.workdays == (date(2027, 1, 9),)
    assert list(override.holidays) == days("2027-01-01", "2027-01-04")
    # DynamoDB hands numbers back as Decimal.
    assert CalendarOverride.model_validate({**FAKE_2027, "year": Decimal(2027)}).year == 2027


def test_unreadable_overrides(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"year": 2027, ', encoding="utf-8")
    with pytest.raises(CalendarOverrideError, match="broken.json is invalid"):
        load_override_file(broken)
    missing_source = {k: v for k, v in FAKE_2027.items() if k != "source"}
    with pytest.raises(CalendarOverrideError, match="source"):
        load_override_file(write(tmp_path, "nosource.json", missing_source))
    with pytest.raises(CalendarOverrideError, match="cannot read"):
        load_override_file(tmp_path / "absent.json")
    with pytest.raises(CalendarOverrideError, match="does not exist"):
        load_override_dir(tmp_path / "absent")


def test_two_overrides_for_one_year_are_an_error(tmp_path: Path) -> None:
    write(tmp_path, "2027.json", FAKE_2027)
    write(tmp_path, "2027-again.json", dict(FAKE_2027, workdays=[]))
    with pytest.raises(CalendarOverrideError, match="two calendar overrides for 2027"):
        load_override_dir(tmp_path)
    override = CalendarOverride.model_validate_json(json.dumps(FAKE_2027))
    with pytest.raises(CalendarOverrideError, match="2027"):
        WorkCalendar.build([override, override], include_bundled=False)


# --- range and argument errors ---------------------------------------------------------------------------------


def test_out_of_range_raises_calendar_range_error(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarRangeError, match="1999-12-31"):
        cal.due_date(date(1999, 12, 31), 7)
    with pytest.raises(CalendarRangeError):
        cal.is_working_day(date(2041, 1, 1))
    with pytest.raises(CalendarRangeError):
        cal.working_days_between(date(2024, 1, 1), date(2041, 1, 1))
    with pytest.raises(CalendarRangeError):
        cal.is_provisional(date(1999, 1, 1))
    # In range, but the due date would be past the end.
    with pytest.raises(CalendarRangeError, match="beyond"):
        cal.due_date(date(2040, 12, 31), 1)
    with pytest.raises(CalendarRangeError, match="beyond"):
        cal.due_date_is_provisional(date(2040, 12, 20), 20)
    assert cal.is_working_day(date(2000, 1, 4))
    assert cal.due_date(date(2040, 12, 3), 7) <= date(2040, 12, 31)
    assert issubclass(CalendarRangeError, ValueError)


def test_bad_arguments(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cal.due_date(date(2024, 1, 2), 0)
    with pytest.raises(TypeError, match="datetime"):
        cal.due_date(datetime(2024, 1, 2, 23, 30), 7)


def test_default_calendar_is_built_once() -> None:
    assert default_calendar() is default_calendar()
    assert default_calendar().due_date(date(2024, 9, 27), 7) == date(2024, 10, 12)


def test_china_data_loaded_alone_is_the_library_calendar() -> None:
    # Cold start loads holidays.China by file, without the other countries; in a fresh process that must give the
    # same holidays and make-up days as the package's own import (this module imported it the usual way).
    script = (
        "import json, sys\n"
        "from shared.workdays import china_holidays_class\n"
        "cn = china_holidays_class()(years=range(2015, 2027))\n"
        "print(json.dumps({'holidays': {d.isoformat(): n for d, n in sorted(cn.items())},\n"
        "                  'workdays': sorted(d.isoformat() for d in cn.weekend_workdays),\n"
        "                  'countries': sorted(m for m in sys.modules if m.startswith('holidays.countries'))}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(result.stdout)
    library = China(years=range(2015, 2027))  # type: ignore[no-untyped-call]
    assert loaded["holidays"] == {d.isoformat(): n for d, n in sorted(library.items())}
    assert loaded["workdays"] == sorted(d.isoformat() for d in library.weekend_workdays)
    assert "2026-02-14" in loaded["workdays"]  # a make-up Saturday before the 2026 Spring Festival
    assert loaded["countries"] == ["holidays.countries.china"]


# --- explaining a due date (issue 9 §4) ---------------------------------------------------------------------------


def test_explanation_around_national_day_2024(cal: WorkCalendar) -> None:
    # Hand-checked against the State Council's 2024 schedule: 9-29 (Sun) and 10-12 (Sat) were make-up working
    # days, 10-01..10-07 the break (10-04 and 10-07 off in exchange for those weekends).
    e = cal.explain(date(2024, 9, 27), 7)
    assert e.due == date(2024, 10, 12)
    assert e.counted == [date(2024, 9, 29), date(2024, 9, 30), date(2024, 10, 8), date(2024, 10, 9),
                         date(2024, 10, 10), date(2024, 10, 11), date(2024, 10, 12)]  # fmt: skip
    assert e.make_up_days == [date(2024, 9, 29), date(2024, 10, 12)]
    holidays = [r.date for r in e.rest_days if r.kind == "holiday"]
    assert holidays == [date(2024, 10, 1), date(2024, 10, 2), date(2024, 10, 3), date(2024, 10, 4), date(2024, 10, 7)]
    assert [r.date for r in e.rest_days if r.kind == "weekend"] == [
        date(2024, 9, 28),
        date(2024, 10, 5),
        date(2024, 10, 6),
    ]
    assert next(r.reason for r in e.rest_days if r.date == date(2024, 10, 1)) == "国庆节"
    assert not e.provisional and "holidays.China" in e.sources[2024]
    text = "\n".join(e.lines_zh())
    assert "2024-10-12（周六）" in text and "国庆节" in text and "跳过的周末：3天" in text


def test_explanation_when_produced_on_a_holiday(cal: WorkCalendar) -> None:
    e = cal.explain(date(2025, 1, 28), 7)  # 除夕, a rest day: day 1 is the first working day after it
    assert e.due == date(2025, 2, 12)
    assert e.counted[0] == date(2025, 2, 5) and e.make_up_days == [date(2025, 2, 8)]
    assert "春节" in {r.reason for r in e.rest_days}


def test_explanation_flags_provisional_years() -> None:
    e = default_calendar().explain(date(2040, 12, 1), 20)
    assert e.provisional and "provisional" not in e.sources[2040]  # the source text says why
    assert "暂定" in "\n".join(e.lines_zh())


@given(st.dates(date(2015, 1, 1), date(2030, 12, 1)), st.integers(min_value=1, max_value=30))
@settings(max_examples=300)
def test_explanation_accounts_for_every_day(d: date, n: int) -> None:
    cal = default_calendar()
    e = cal.explain(d, n)
    assert len(e.counted) == n and e.counted[-1] == e.due == cal.due_date(d, n)
    days = sorted([*e.counted, *(r.date for r in e.rest_days)])
    assert days == [d + timedelta(days=i) for i in range(1, (e.due - d).days + 1)]  # each day once, nothing else
    assert all(cal.is_working_day(c) for c in e.counted) and not any(cal.is_working_day(r.date) for r in e.rest_days)
    assert e.make_up_days == [c for c in e.counted if c.weekday() >= 5]
    assert all(r.kind == "holiday" or r.date.weekday() >= 5 for r in e.rest_days)


def test_cli_calendar_due_explains(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.cli import main

    monkeypatch.delenv("CONTROL_TABLE", raising=False)
    monkeypatch.setenv("GUIJI_STATE", "/nonexistent/local.json")
    assert main(["calendar", "due", "2025-09-30", "20", "--explain"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2025-11-04") and "中秋节" in out and "2025-10-11（周六）" in out


@settings(max_examples=200)
@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)))
def test_iso_utc_is_the_documented_text(at: datetime) -> None:
    from shared.timeutil import iso_utc, parse_iso_utc

    text = iso_utc(at.astimezone(timezone(timedelta(hours=8))))
    assert text == at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # microseconds always shown, Z suffix
    assert parse_iso_utc(text) == at
