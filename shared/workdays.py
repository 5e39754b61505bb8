"""Chinese working-day calendar: python-holidays' China data plus official override files, with O(1) due dates.

A working day is Monday–Friday, minus statutory rest days, plus the weekend days the State Council designates
as make-up working days (调休). The data comes from ``holidays.China`` and from per-year **override files**.

Counting (BRIEF §3, domain.md §b.3): "within N working days of day D" — D itself never counts, also when D is
a rest day; day 1 is the first working day after D; the due date is the N-th such day.

Years and provisional data
--------------------------
The calendar covers 2000-01-01 .. 2040-12-31; any date outside raises :class:`CalendarRangeError`. A year is
**official** when its make-up days are known: an override exists for it, or the library has at least one
make-up working day dated in it (holidays 0.109: 2001–2026). Every other year is **provisional**: the library
applies the statutory holiday rules (with its own in-lieu estimates) but no make-up days, so due dates that
reach into such a year must be flagged and recomputed once the year's notice is loaded.

Override files
--------------
The State Council publishes next year's schedule in Oct–Dec (国务院办公厅关于YYYY年部分节假日安排的通知). An
operator writes it as one JSON file per year; bundled files live in ``shared/data/calendar/*.json`` and extra ones
are passed to :meth:`WorkCalendar.build` (see :func:`load_override_dir`). Only ``*.json`` is loaded, so
``example-override.json.txt`` next to them is ignored. Format::

    {
      "year": 2026,
      "source": "国务院办公厅关于2026年部分节假日安排的通知",
      "holidays": {"2026-01-01": "元旦", "2026-01-02": "元旦", "2026-02-16": "春节", ...},
      "workdays": ["2026-01-04", "2026-02-14", ...]
    }

- ``year``: the calendar year, 2000–2040.
- ``source``: where the schedule comes from (non-empty); reported as :attr:`YearInfo.source`.
- ``holidays``: rest days, ``"YYYY-MM-DD": name``. Weekday rest days are what matter; weekend dates are accepted
  (so a block such as 2月15日至23日 can be copied whole from the notice) and change nothing.
- ``workdays``: make-up working days (上班的周末); each must be a Saturday or Sunday.
- Every date must lie inside ``year``; no date may be in both lists; unknown keys are rejected.

An override **replaces the library's data for its year entirely**: in that year exactly the weekdays not in
``holidays`` plus the ``workdays`` are working days. A notice that also moves days of the previous December (the
notices for 2002, 2006, 2007 and 2012 did) therefore needs a complete override for that previous year as well.
Explicitly passed overrides take precedence over bundled ones for the same year.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

if TYPE_CHECKING:
    from holidays.holiday_base import HolidayBase

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2040, 12, 31)
BUNDLED_DIR = Path(__file__).parent / "data" / "calendar"


def _library() -> str:
    """The calendar library and its version (part of the calendar's version)."""
    from holidays.version import __version__

    return f"python-holidays {__version__}"


# Part of `version`: bump it when the way the index is derived from the data changes.
_INDEX_FORMAT = 1

YearStatus = Literal["official", "provisional"]


def china_holidays_class() -> type[HolidayBase]:
    """``holidays.China``, loaded without the other 249 countries.

    ``import holidays.countries.china`` first runs ``holidays/countries/__init__.py``, which imports every country
    (0.19 s of a 0.9 s cold start, measured). ``china.py`` uses absolute imports only, so its file is loaded under
    its own module name; a later ``import holidays.countries`` reuses this module object.
    """
    import holidays  # here, not at the top: the package loads its lunar calendar (~30 ms) and only a calendar build
    # needs it; a cold API call that computes no due date never pays for it

    name = "holidays.countries.china"
    module = sys.modules.get(name)
    if module is None:
        path = Path(holidays.__file__).parent / "countries" / "china.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the pinned package
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    china: type[HolidayBase] = module.China
    return china


class CalendarRangeError(ValueError):
    """A date, or a due date, outside the calendar's range (2000-01-01 .. 2040-12-31)."""


class CalendarOverrideError(ValueError):
    """An override file that cannot be read or does not describe a valid year schedule."""


@dataclass(frozen=True, slots=True)
class YearInfo:
    """Whether one year's schedule is official and where it comes from."""

    year: int
    status: YearStatus
    source: str


class CalendarOverride(BaseModel):
    """One year's official schedule (a parsed override file); see the module docstring for the format."""

    # Lax mode: besides JSON text, dicts from json.loads() ("YYYY-MM-DD" dates) and from DynamoDB (Decimal year)
    # must validate too.
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid", str_strip_whitespace=True)

    year: int = Field(ge=FIRST_DAY.year, le=LAST_DAY.year)
    source: str = Field(min_length=1)
    holidays: dict[date, str] = Field(default_factory=dict)
    workdays: tuple[date, ...] = ()

    @field_validator("holidays")
    @classmethod
    def _sort_holidays(cls, value: dict[date, str]) -> dict[date, str]:
        # Sorted so that the canonical dump (and so the calendar version) does not depend on key order.
        return dict(sorted(value.items()))

    @field_validator("workdays")
    @classmethod
    def _unique_workdays(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        repeated = sorted({d for d in value if value.count(d) > 1})
        if repeated:
            raise ValueError(f"workdays listed more than once: {_dates(repeated)}")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _check_dates(self) -> CalendarOverride:
        problems: list[str] = []
        outside = sorted(d for d in (*self.holidays, *self.workdays) if d.year != self.year)
        if outside:
            problems.append(f"dates outside {self.year}: {_dates(outside)}")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            problems.append(f"dates both in holidays and in workdays: {_dates(both)}")
        weekdays = [d for d in self.workdays if d.weekday() < 5]
        if weekdays:
            problems.append(f"workdays must be Saturdays or Sundays (make-up days), not: {_dates(weekdays)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def canonical_json(self) -> str:
        """A stable JSON text of the schedule (sorted keys), used for the calendar version."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _dates(days: Iterable[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def load_override_file(path: Path) -> CalendarOverride:
    """Read and validate one override file; raise CalendarOverrideError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarOverrideError(f"calendar override {path}: cannot read it ({exc})") from exc
    try:
        return CalendarOverride.model_validate_json(text)
    except ValidationError as exc:
        details = "; ".join(_describe(err) for err in exc.errors(include_url=False))
        raise CalendarOverrideError(f"calendar override {path} is invalid: {details}") from exc


def _describe(error: ErrorDetails) -> str:
    # JSON syntax errors arrive as a single error with an empty location.
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def load_override_dir(path: Path) -> list[CalendarOverride]:
    """Load every ``*.json`` override in a directory (sorted by year); two files for one year is an error."""
    if not path.is_dir():
        raise CalendarOverrideError(f"calendar override directory {path} does not exist")
    by_year: dict[int, tuple[Path, CalendarOverride]] = {}
    for file in sorted(path.glob("*.json")):
        override = load_override_file(file)
        if override.year in by_year:
            raise CalendarOverrideError(
                f"two calendar overrides for {override.year}: {by_year[override.year][0]} and {file}"
            )
        by_year[override.year] = (file, override)
    return [by_year[year][1] for year in sorted(by_year)]


@dataclass(frozen=True, slots=True)
class _LibraryData:
    rest_days: frozenset[date]
    make_up_days: frozenset[date]
    official_years: frozenset[int]
    names: dict[date, str]  # rest days' names in Chinese (国庆节, 春节, 休息日（由 … 调休）)


@lru_cache(maxsize=1)
def _library_data() -> _LibraryData:
    # Built once per process: computing the lunar holidays for 41 years is most of the build cost.
    cn = china_holidays_class()(years=range(FIRST_DAY.year, LAST_DAY.year + 1), language="zh_CN")
    make_up = frozenset(d for d in cn.weekend_workdays if FIRST_DAY <= d <= LAST_DAY)
    rest = {d: str(name) for d, name in cn.items() if FIRST_DAY <= d <= LAST_DAY}
    return _LibraryData(
        rest_days=frozenset(rest),
        make_up_days=make_up,
        official_years=frozenset(d.year for d in make_up),
        names=rest,
    )


_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class RestDay(BaseModel):
    """A day not counted: a weekend or a (statutory or bridge) holiday."""

    model_config = ConfigDict(defer_build=True)

    date: date
    kind: Literal["weekend", "holiday"]
    reason: str  # the holiday's name, or the weekday


class DueDateExplanation(BaseModel):
    """Why a due date falls where it does: what a department needs to accept (or dispute) a breach."""

    model_config = ConfigDict(defer_build=True)

    produced: date
    days: int
    due: date
    counted: list[date]  # the N working days, day 1 being the first working day after ``produced``
    make_up_days: list[date]  # weekend days among them (调休)
    rest_days: list[RestDay]  # every day after ``produced`` up to ``due`` that was not counted
    provisional: bool
    sources: dict[int, str]  # year → where its schedule comes from
    calendar_version: str

    def lines_zh(self) -> list[str]:
        """The explanation as a clerk reads it."""
        head = (
            f"信息产生之日 {self.produced.isoformat()}（当日不计），其后第{self.days}个工作日为 {self.due.isoformat()}"
            f"（{_WEEKDAYS_ZH[self.due.weekday()]}），当日24:00（北京时间）前完成即未逾期。"
        )
        lines = [head]
        if self.make_up_days:
            lines.append(
                "计入的调休工作日："
                + "、".join(f"{d.isoformat()}（{_WEEKDAYS_ZH[d.weekday()]}）" for d in self.make_up_days)
            )
        holidays = [r for r in self.rest_days if r.kind == "holiday"]
        weekends = len(self.rest_days) - len(holidays)
        if holidays:
            lines.append("跳过的节假日：" + "、".join(f"{r.date.isoformat()}（{r.reason}）" for r in holidays))
        if weekends:
            lines.append(f"跳过的周末：{weekends}天")
        for year, source in sorted(self.sources.items()):
            lines.append(f"{year}年日历来源：{source}")
        if self.provisional:
            lines.append("注意：期限落在尚未公布放假安排的年份，为暂定值，载入国务院办公厅通知后将重新计算")
        return lines


class WorkCalendar:
    """An immutable working-day calendar with a precomputed index (cumulative counts + working-day list)."""

    __slots__ = ("_base", "_cum", "_flags", "_names", "_ndays", "_provisional_years", "_version", "_wd", "_years")

    def __init__(
        self, flags: bytearray, years: list[YearInfo], version: str, names: dict[date, str] | None = None
    ) -> None:
        """Use :meth:`build`; ``flags[i]`` is 1 when FIRST_DAY + i days is a working day."""
        self._base = FIRST_DAY.toordinal()
        self._ndays = len(flags)
        self._flags = bytes(flags)
        # _cum[i] = working days in [FIRST_DAY, FIRST_DAY + i]; _wd[k] = the (k+1)-th working day. The n-th working
        # day strictly after day i is then _wd[_cum[i] + n - 1]: an O(1) lookup (perf-limits §4 method (c)).
        self._cum = list(accumulate(flags))
        self._wd = [date.fromordinal(self._base + i) for i, flag in enumerate(flags) if flag]
        self._years = tuple(years)
        self._provisional_years = frozenset(y.year for y in years if y.status == "provisional")
        self._version = version
        self._names = names or {}

    @classmethod
    def build(cls, overrides: Iterable[CalendarOverride] = (), *, include_bundled: bool = True) -> WorkCalendar:
        """Build the calendar from the library, the bundled overrides (optional) and the given overrides."""
        explicit: dict[int, CalendarOverride] = {}
        for override in overrides:
            if override.year in explicit:
                raise CalendarOverrideError(f"two calendar overrides given for {override.year}")
            explicit[override.year] = override
        chosen: dict[int, CalendarOverride] = {}
        if include_bundled:
            chosen.update((o.year, o) for o in load_override_dir(BUNDLED_DIR))
        chosen.update(explicit)

        library = _library_data()
        base = FIRST_DAY.toordinal()
        ndays = LAST_DAY.toordinal() - base + 1
        # date.weekday() of ordinal x is (x - 1) % 7 (ordinal 1 = 0001-01-01, a Monday).
        flags = bytearray(1 if (base + i - 1) % 7 < 5 else 0 for i in range(ndays))
        for d in library.rest_days:
            if d.year not in chosen:
                flags[d.toordinal() - base] = 0
        for d in library.make_up_days:
            if d.year not in chosen:
                flags[d.toordinal() - base] = 1
        for override in chosen.values():
            for d in override.holidays:
                flags[d.toordinal() - base] = 0
            for d in override.workdays:
                flags[d.toordinal() - base] = 1

        library_name = _library()
        years: list[YearInfo] = []
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            if year in chosen:
                years.append(YearInfo(year, "official", chosen[year].source))
            elif year in library.official_years:
                years.append(YearInfo(year, "official", f"{library_name} (holidays.China)"))
            else:
                years.append(YearInfo(year, "provisional", f"{library_name}: statutory rules only, no make-up days"))

        digest = hashlib.sha256()
        digest.update(f"index={_INDEX_FORMAT};library={library_name};range={FIRST_DAY}..{LAST_DAY}".encode())
        for year in sorted(chosen):
            digest.update(b"\n" + chosen[year].canonical_json().encode())
        names = {d: n for d, n in library.names.items() if d.year not in chosen}
        for override in chosen.values():
            names.update(override.holidays)
        return cls(flags, years, digest.hexdigest()[:12], names)

    def _day(self, d: date) -> int:
        i = d.toordinal() - self._base
        if isinstance(d, datetime):
            # A datetime would silently use its naive date; deadlines need the Asia/Shanghai local date.
            raise TypeError("expected a date, got a datetime: take the local date first (timeutil.local_date)")
        if not 0 <= i < self._ndays:
            raise CalendarRangeError(
                f"date {d.isoformat()} is outside the working-day calendar ({FIRST_DAY}..{LAST_DAY})"
            )
        return i

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a Chinese working day."""
        return self._flags[self._day(d)] == 1

    def due_date(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d`` (n >= 1); ``d`` itself never counts, also when it is a rest day."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        k = self._cum[self._day(d)] + n - 1
        if k >= len(self._wd):
            raise CalendarRangeError(
                f"{n} working days after {d.isoformat()} is beyond the calendar's end ({LAST_DAY})"
            )
        return self._wd[k]

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.due_date(d, 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; the negative of those in (end, start] if end < start; 0 if equal."""
        return self._cum[self._day(end)] - self._cum[self._day(start)]

    def is_provisional(self, d: date) -> bool:
        """Whether ``d``'s year has no official schedule yet."""
        self._day(d)
        return d.year in self._provisional_years

    def due_date_is_provisional(self, d: date, n: int) -> bool:
        """Whether any day in (d, due_date(d, n)] lies in a provisional year."""
        due = self.due_date(d, n)
        first_year = d.year if (d.month, d.day) != (12, 31) else d.year + 1
        return any(year in self._provisional_years for year in range(first_year, due.year + 1))

    def explain(self, d: date, n: int) -> DueDateExplanation:
        """The working days counted, the make-up days among them and the rest days skipped from ``d`` to its due
        date, with each year's source (see :class:`DueDateExplanation`)."""
        due = self.due_date(d, n)
        counted: list[date] = []
        rest: list[RestDay] = []
        day = d
        while day < due:
            day = date.fromordinal(day.toordinal() + 1)
            if self.is_working_day(day):
                counted.append(day)
            else:
                name = self._names.get(day)
                kind: Literal["weekend", "holiday"] = "holiday" if name else "weekend"
                rest.append(RestDay(date=day, kind=kind, reason=name or _WEEKDAYS_ZH[day.weekday()]))
        sources = {y.year: y.source for y in self._years if d.year <= y.year <= due.year}
        return DueDateExplanation(
            produced=d,
            days=n,
            due=due,
            counted=counted,
            make_up_days=[c for c in counted if c.weekday() >= 5],
            rest_days=rest,
            provisional=self.due_date_is_provisional(d, n),
            sources=sources,
            calendar_version=self._version,
        )

    def years(self) -> list[YearInfo]:
        """Status and source of every year in the calendar's range, in order."""
        return list(self._years)

    @property
    def version(self) -> str:
        """Short hex digest of the data used (library version and overrides); stored with every breach."""
        return self._version


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The calendar from the library and the bundled overrides, built once per process."""
    return WorkCalendar.build()
