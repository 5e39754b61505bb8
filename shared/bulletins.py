"""Supervision bulletins (通报, BRIEF §2.6): periods, indicators, ranked tables and the four renderings.

Pure: the caller loads the ledger entries, upload receipts and open breaches of a scope and period and stores or
announces what comes out. Everything is a function of the input, so a bulletin can be recomputed for any past
``as_of`` and gives the same bytes.

Periods
-------
A period is a calendar month (key ``2026-11``) or an ISO week, Monday..Sunday (key ``2026-W48``). A bulletin falls
due on the first working day after its period ends. Weeks made only of rest days (2026-W08, inside the Spring
Festival) share that day with the week before: :func:`periods_for_run` returns every period due on a day,
:func:`period_for_run` only the latest of them.

What is counted
---------------
A record belongs to the period when its production date (信息产生之日) lies in it, and to the scope when its
producing department's region is the scope or lies under it. Facts are taken **as of** ``as_of`` (the local
Asia/Shanghai date): a record produced after ``as_of`` is left out, an act (collection, publication) whose local
date is after ``as_of`` has not happened yet, and a record that was neither collected by then nor listed in a
production ledger (台账) is left out because nobody could have known it. Entries outside the period or scope that
the caller passes anyway are ignored, so a superset is harmless.

Indicators (a rate is ``None`` when its denominator is 0 and is shown as "—"; nothing divides by zero):

* 应归集 ``records``: the records counted above (collected, or known from a production ledger).
* 归集量 ``collected``: records collected by ``as_of``.
* 及时率 ``timely_rate`` = ``collected_on_time`` / ``timely_base``: among collected records that have a 7-working-day
  collection clock (``timely_base``; the market regulator's own records have none), those whose collection date is
  on or before the due date. 迟报 ``collected_late`` = ``timely_base`` − ``collected_on_time``.
* 未归集 ``not_collected``: records from production ledgers not collected by ``as_of``; of them
  ``not_collected_overdue`` are past their collection due date.
* 公示及时率 ``publication_timely_rate`` = ``published_on_time`` / ``published``: among records published by ``as_of``,
  those first published on or before the 20-working-day due date. 公示迟延 ``published_late`` is the rest.
  ``unpublished``: collected, not yet published; ``held`` of them wait because they cannot be attributed.
* 记名率 ``attribution_rate`` = ``attributed`` / ``attribution_base``: collected records matched to a market subject
  (by code, or by a unique name: attribution ``matched`` or ``name_only``), among collected records whose subject
  is meant to be a market subject (natural persons, who have no enterprise page, are left out of both).
* 合规率 ``compliance_rate`` = (``rows_read`` − ``rows_rejected``) / ``rows_read`` over the period's upload receipts
  (collected on a day of the period, by ``as_of``) of the departments in scope. ``uploads`` counts the receipts.
  Receipts of departments missing from ``departments`` are ignored: their region, hence their scope, is unknown.
* 逾期未整改 ``open_overdue``: open breaches of the overdue kinds (``collection_overdue``, ``publication_overdue``) in
  scope, whatever period their record comes from: they are the state on ``as_of``. Other kinds are not listed.

Tables and ranking
------------------
Regions: under the province, the ten city-level units (nine cities and 平潭, always listed) plus 省本级 (departments
at 350000); under a city, the city's own level (本级) and each county met in the registry or the data. Departments:
every registered department in scope, plus any code met in the data. Rows are ranked by 及时率, then 公示及时率,
highest first; equal rates share a rank (and keep the registry or region order); a missing rate sorts after every
present one, and a row with neither rate is not ranked ("—"). A row **needs rectification** (需整改) when its
及时率 or 公示及时率 is below 90 % or it has open overdue breaches; section 五 names those rows worst first.

The previous period is compared like for like: its facts are taken as of the same number of days after its end
as ``as_of`` is after the current period's end (``BulletinInput.previous_as_of`` overrides that). Counts change in
records (and per cent), rates in percentage points.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.breaches import Breach
from shared.categories import CATEGORY_INFO, SHARED_LISTS, Category
from shared.deadlines import KIND_ZH, BreachKind
from shared.exports import excel_safe
from shared.figures import Countable, RecordProfile, profile_of
from shared.ledger import Attribution, LedgerEntry
from shared.regions import (
    FUJIAN_CITIES,
    PROVINCE_CODE,
    city_of,
    in_jurisdiction,
    is_fujian_region,
    region_level,
    region_name,
)
from shared.registry import Department
from shared.timeutil import local_date

PeriodKind = Literal["week", "month"]

RECTIFY_THRESHOLD = 0.9  # 及时率 / 公示及时率 below this names a unit for rectification
OVERDUE_LIST_MAX = 50  # named overdue items in the bulletin; the rest are counted ("另有N条")
SUBJECT_MAX = 100  # SNS subject limit
MIN_YEAR, MAX_YEAR = 2000, 2099
BULLETIN_FORMATS = ("html", "md", "csv", "json")

# The overdue kinds, in the order the bulletin lists their counts.
OVERDUE_ORDER: tuple[BreachKind, ...] = (BreachKind.COLLECTION_OVERDUE, BreachKind.PUBLICATION_OVERDUE)

RATE_KEYS: tuple[str, ...] = ("timely_rate", "publication_timely_rate", "compliance_rate", "attribution_rate")
RATE_ZH: dict[str, str] = {
    "timely_rate": "及时率",
    "publication_timely_rate": "公示及时率",
    "compliance_rate": "合规率",
    "attribution_rate": "记名率",
}


class PeriodError(ValueError):
    """A period text that is neither ``YYYY-MM`` nor ``YYYY-Www``, or a period whose fields disagree."""


# --- periods ----------------------------------------------------------------------------------------------------

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_WEEK_RE = re.compile(r"(\d{4})-[Ww](\d{2})")


def _bounds(text: str) -> tuple[PeriodKind, str, date, date]:
    """Kind, canonical key, first and last day of a period text."""
    value = text.strip()
    if m := _MONTH_RE.fullmatch(value):
        year, month = int(m.group(1)), int(m.group(2))
        _check_year(year, text)
        if not 1 <= month <= 12:
            raise PeriodError(f"统计期间“{text}”的月份应为01至12")
        start = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        return "month", f"{year:04d}-{month:02d}", start, after - timedelta(days=1)
    if m := _WEEK_RE.fullmatch(value):
        year, week = int(m.group(1)), int(m.group(2))
        _check_year(year, text)
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            weeks = date(year, 12, 28).isocalendar().week  # 28 December always lies in the year's last ISO week
            raise PeriodError(f"统计期间“{text}”无效：{year}年共有{weeks}周（W01至W{weeks:02d}）") from None
        return "week", f"{year:04d}-W{week:02d}", monday, monday + timedelta(days=6)
    raise PeriodError(f"统计期间“{text}”格式不正确：月报应为YYYY-MM（如2026-11），周报应为YYYY-Www（如2026-W48）")


def _check_year(year: int, text: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"统计期间“{text}”的年份应在{MIN_YEAR}至{MAX_YEAR}之间")


class Period(BaseModel):
    """A bulletin period: a calendar month or an ISO week (Monday..Sunday); ``end`` is inclusive."""

    model_config = ConfigDict(frozen=True)

    kind: PeriodKind
    key: str  # "2026-11" or "2026-W48"
    start: date
    end: date

    @model_validator(mode="after")
    def _consistent(self) -> Period:
        kind, key, start, end = _bounds(self.key)
        if (kind, key, start, end) != (self.kind, self.key, self.start, self.end):
            raise PeriodError(f"统计期间“{self.key}”与其类型或起止日期不一致")
        return self

    @property
    def label(self) -> str:
        """Short Chinese name: "2026年11月" or "2026年第48周"."""
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        year, week = self.key.split("-W")
        return f"{int(year)}年第{int(week)}周"

    @property
    def span_zh(self) -> str:
        """The dates covered, in Chinese: "2026年11月1日至2026年11月30日"."""
        return f"{_date_zh(self.start)}至{_date_zh(self.end)}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """Parse "2026-11" (a month) or "2026-W48" (an ISO week); PeriodError (a ValueError) with a Chinese message."""
    kind, key, start, end = _bounds(text)
    return Period(kind=kind, key=key, start=start, end=end)


def period_containing(day: date, kind: PeriodKind) -> Period:
    """The month or ISO week that contains ``day``."""
    if kind == "month":
        return parse_period(f"{day.year:04d}-{day.month:02d}")
    if kind == "week":
        iso = day.isocalendar()
        return parse_period(f"{iso.year:04d}-W{iso.week:02d}")
    raise PeriodError(f"统计期间类型“{kind}”无效，应为 week 或 month")


def previous_period(p: Period) -> Period:
    """The period of the same kind just before ``p``."""
    return period_containing(p.start - timedelta(days=1), p.kind)


def bulletin_key(scope: str, period: Period | str, ext: str) -> str:
    """Object key of a bulletin in the reports bucket: ``bulletins/{scope}/{period}.{ext}``."""
    if ext not in BULLETIN_FORMATS:
        raise ValueError(f"unknown bulletin format {ext!r}; expected one of {BULLETIN_FORMATS}")
    key = period.key if isinstance(period, Period) else parse_period(period).key
    return f"bulletins/{scope}/{key}.{ext}"


class RunCalendar(Protocol):
    """The part of the working-day calendar (``shared.workdays.WorkCalendar``) the schedule needs."""

    def is_working_day(self, d: date) -> bool: ...

    def next_working_day(self, d: date) -> date: ...


def periods_for_run(run_day: date, kind: PeriodKind, cal: RunCalendar) -> list[Period]:
    """Every period whose bulletin falls due on ``run_day`` (the first working day after it ends), oldest first."""
    if not cal.is_working_day(run_day):
        return []
    found: list[Period] = []
    p = period_containing(run_day - timedelta(days=1), kind)
    if p.end >= run_day:  # run_day lies inside this period: it has not ended yet
        p = previous_period(p)
    # next_working_day(end) only moves back as periods move back, so stop at the first one due earlier.
    while cal.next_working_day(p.end) == run_day:
        found.append(p)
        p = previous_period(p)
    return found[::-1]


def period_for_run(run_day: date, kind: PeriodKind, cal: RunCalendar) -> Period | None:
    """The period whose bulletin falls due on ``run_day``, or None; the latest one when several are (see module)."""
    due = periods_for_run(run_day, kind, cal)
    return due[-1] if due else None


# --- input and output models ------------------------------------------------------------------------------------


class UploadStat(BaseModel):
    """One upload receipt's counts (合规率 = (read − rejected) / read)."""

    model_config = ConfigDict(frozen=True)

    department: str
    collected_on: date  # local date the upload reached the regulator
    read: int = Field(ge=0)
    rejected: int = Field(ge=0)

    @model_validator(mode="after")
    def _not_more_rejected_than_read(self) -> UploadStat:
        if self.rejected > self.read:
            raise ValueError(f"rejected ({self.rejected}) exceeds rows read ({self.read})")
        return self


class BulletinInput(BaseModel):
    """Everything one bulletin is computed from (see the module notes for what is counted)."""

    scope: str  # "350000" (province) or a city-level unit ("350100", "350128" 平潭); a county works too
    period: Period
    departments: list[Department]
    # Records produced in the period by departments in scope (or their profiles, as the kept figures hold them).
    entries: list[LedgerEntry | RecordProfile]
    previous_entries: list[LedgerEntry | RecordProfile] = []  # the same for the previous period
    uploads: list[UploadStat] = []
    previous_uploads: list[UploadStat] = []
    open_breaches: list[Breach] = []
    as_of: date
    previous_as_of: date | None = None  # default: as many days after the previous period's end as as_of is

    @field_validator("scope")
    @classmethod
    def _fujian_scope(cls, value: str) -> str:
        if not is_fujian_region(value):
            raise ValueError(f"通报范围“{value}”不是福建省的行政区划代码")
        return value


class Bulletin(BaseModel):
    """A computed bulletin: figures, ranked tables, named overdue list and the comparison with the last period."""

    scope: str
    scope_name: str
    level: str  # province / city / county
    title: str
    period: Period
    period_label: str
    previous_period: Period
    as_of: date
    previous_as_of: date
    totals: dict[str, int]
    rates: dict[str, float | None]
    open_overdue: dict[str, int]  # open breaches by kind (English kind names)
    by_category: list[dict[str, Any]]
    by_region: list[dict[str, Any]]
    by_department: list[dict[str, Any]]
    overdue: list[dict[str, Any]]  # worst first, at most OVERDUE_LIST_MAX
    overdue_total: int
    overdue_more: int  # open overdue breaches not named in ``overdue``
    rectification: list[dict[str, Any]]  # units needing rectification, worst first
    comparison: dict[str, dict[str, Any]]
    # Joint-punishment feedback on the lists shared in the period, by publishing department (联合惩戒反馈).
    feedback: list[dict[str, Any]] = []
    feedback_totals: dict[str, Any] = {}


# --- counting ---------------------------------------------------------------------------------------------------

COUNT_KEYS: tuple[str, ...] = (
    "records",
    "collected",
    "timely_base",
    "collected_on_time",
    "collected_late",
    "not_collected",
    "not_collected_overdue",
    "published",
    "published_on_time",
    "published_late",
    "unpublished",
    "held",
    "attributed",
    "attribution_base",
    "uploads",
    "rows_read",
    "rows_rejected",
    "open_collection_overdue",
    "open_publication_overdue",
    "open_overdue",
)


def _done_by(instant: datetime | date | None, as_of: date) -> date | None:
    """Local date of an act, or None if it had not happened by the end of ``as_of``."""
    if instant is None:
        return None
    day = local_date(instant) if isinstance(instant, datetime) else instant
    return day if day <= as_of else None


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class _Tally:
    """Counts of one unit (the whole scope, a region, a department or a category)."""

    c: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))

    def add_entry(self, e: Countable, as_of: date) -> None:
        c = self.c
        n = e.weight if isinstance(e, RecordProfile) else 1
        c["records"] += n
        collected = _done_by(e.collected_at, as_of)
        if collected is None:
            c["not_collected"] += n
            if e.collect_due is not None and as_of > e.collect_due:
                c["not_collected_overdue"] += n
            return
        c["collected"] += n
        if e.collect_due is not None:
            c["timely_base"] += n
            if collected <= e.collect_due:
                c["collected_on_time"] += n
            else:
                c["collected_late"] += n
        if e.attribution is not Attribution.NATURAL_PERSON:
            c["attribution_base"] += n
        if e.attribution is not None and e.attribution.publishable:
            c["attributed"] += n
        published = _done_by(e.published_at, as_of)
        if published is None:
            c["unpublished"] += n
            if e.held:
                c["held"] += n
        else:
            c["published"] += n
            c["published_on_time" if published <= e.publish_due else "published_late"] += n

    def add_upload(self, u: UploadStat) -> None:
        self.c["uploads"] += 1
        self.c["rows_read"] += u.read
        self.c["rows_rejected"] += u.rejected

    def add_breach(self, kind: BreachKind) -> None:
        self.c[f"open_{kind.value}"] += 1
        self.c["open_overdue"] += 1

    def rates(self) -> dict[str, float | None]:
        c = self.c
        return {
            "timely_rate": _rate(c["collected_on_time"], c["timely_base"]),
            "publication_timely_rate": _rate(c["published_on_time"], c["published"]),
            "compliance_rate": _rate(c["rows_read"] - c["rows_rejected"], c["rows_read"]),
            "attribution_rate": _rate(c["attributed"], c["attribution_base"]),
        }

    def row(self) -> dict[str, Any]:
        return {**self.c, **self.rates()}


def unit_figures(entries: Iterable[Countable], uploads: Iterable[UploadStat], as_of: date) -> dict[str, Any]:
    """One unit's counts and its four rates (及时率, 公示及时率, 合规率, 记名率) as of a day, by the definitions of this
    module: what a bulletin shows in each row, and what a department's scorecard shows for its month."""
    tally = _Tally()
    for entry in entries:
        tally.add_entry(entry, as_of)
    for upload in uploads:
        tally.add_upload(upload)
    return tally.row()


def _open_overdue(items: Iterable[Breach], scope: str) -> list[Breach]:
    """The open breaches of an overdue kind in scope."""
    return [b for b in items if b.kind in OVERDUE_ORDER and b.is_open and in_jurisdiction(scope, b.region_code)]


@dataclass
class _Aggregate:
    total: _Tally = field(default_factory=_Tally)
    regions: dict[str, _Tally] = field(default_factory=dict)
    departments: dict[str, _Tally] = field(default_factory=dict)
    categories: dict[str, _Tally] = field(default_factory=dict)
    dept_region: dict[str, str] = field(default_factory=dict)  # departments met only in the data

    def units(self, region_unit: str, department: str) -> list[_Tally]:
        return [
            self.total,
            self.regions.setdefault(region_unit, _Tally()),
            self.departments.setdefault(department, _Tally()),
        ]


def _unit_of(scope: str, region: str) -> str:
    """The region row a region code is counted in: its city under the province, itself under a city."""
    return city_of(region) if scope == PROVINCE_CODE else region


def _aggregate(
    scope: str,
    period: Period,
    as_of: date,
    entries: Iterable[Countable],
    uploads: Iterable[UploadStat],
    breaches: Iterable[Breach],
    depts: dict[str, Department],
) -> _Aggregate:
    agg = _Aggregate()
    for e in entries:
        if e.production_date not in period or e.production_date > as_of:
            continue
        if not in_jurisdiction(scope, e.region_code):
            continue
        if _done_by(e.collected_at, as_of) is None and not e.in_production_ledger:
            continue  # unknown on as_of: neither collected nor listed in a production ledger
        agg.dept_region.setdefault(e.department, e.region_code)
        for tally in agg.units(_unit_of(scope, e.region_code), e.department):
            tally.add_entry(e, as_of)
        agg.categories.setdefault(e.category.value, _Tally()).add_entry(e, as_of)
    for u in uploads:
        dept = depts.get(u.department)
        if dept is None or u.collected_on not in period or u.collected_on > as_of:
            continue
        for tally in agg.units(_unit_of(scope, dept.region_code), u.department):
            tally.add_upload(u)
    for b in breaches:
        agg.dept_region.setdefault(b.department, b.region_code)
        for tally in agg.units(_unit_of(scope, b.region_code), b.department):
            tally.add_breach(b.kind)
    return agg


# --- ranking ----------------------------------------------------------------------------------------------------


def _rank_key(row: dict[str, Any]) -> tuple[bool, float, bool, float]:
    t, p = row["timely_rate"], row["publication_timely_rate"]
    return (t is None, -(t or 0.0), p is None, -(p or 0.0))


def _rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort best first and set ``rank`` (equal rates share a rank; rows with no rate are unranked, last)."""
    rows.sort(key=_rank_key)  # stable: equal rows keep the registry / fixed region order
    rank = 0
    previous: tuple[bool, float, bool, float] | None = None
    for position, row in enumerate(rows, start=1):
        key = _rank_key(row)
        if row["timely_rate"] is None and row["publication_timely_rate"] is None:
            row["rank"] = None
            continue
        if key != previous:
            rank, previous = position, key
        row["rank"] = rank
    return rows


def _rectification_reasons(row: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    for key in ("timely_rate", "publication_timely_rate"):
        value = row[key]
        if value is not None and value < RECTIFY_THRESHOLD:
            reasons.append(f"{RATE_ZH[key]}{pct(value)}，低于{pct(RECTIFY_THRESHOLD, 0)}")
    for kind in OVERDUE_ORDER:
        n = row[f"open_{kind.value}"]
        if n:
            reasons.append(f"{KIND_ZH[kind]}{n}条")
    return reasons


def _flag(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        reasons = _rectification_reasons(row)
        row["needs_rectification"] = bool(reasons)
        row["rectification_reasons"] = reasons


# --- compute ----------------------------------------------------------------------------------------------------


def _unit_name(scope: str, code: str) -> str:
    if code == scope:
        return "省本级" if code == PROVINCE_CODE else f"{region_name(code) or code}本级"
    if code == PROVINCE_CODE:
        return "省本级"
    return region_name(code) or code


def _category_zh(category: str) -> str:
    try:
        return CATEGORY_INFO[Category(category)].name_zh
    except ValueError:
        return category


def _comparison(
    cur: _Tally, prev: _Tally, cur_rates: dict[str, float | None], prev_rates: dict[str, float | None]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, label, unit in (
        ("records", "应归集", "条"),
        ("collected", "归集量", "条"),
        ("not_collected", "未归集", "条"),
        ("published", "已公示", "条"),
        ("rows_read", "上报数据行数", "行"),
    ):
        now, before = cur.c[key], prev.c[key]
        change = now - before
        out[key] = {
            "label": label,
            "current": now,
            "previous": before,
            "change": change,
            "change_pct": round(change / before * 100, 4) if before else None,
            "unit": unit,
            "text": _count_change_zh(change, before, unit),
        }
    for key in RATE_KEYS:
        now_rate, before_rate = cur_rates[key], prev_rates[key]
        pp = round((now_rate - before_rate) * 100, 4) if now_rate is not None and before_rate is not None else None
        out[key] = {
            "label": RATE_ZH[key],
            "current": now_rate,
            "previous": before_rate,
            "change": pp,  # percentage points
            "unit": "pp",
            "text": _rate_change_zh(now_rate, before_rate, pp),
        }
    return out


def compute(inp: BulletinInput) -> Bulletin:
    """Compute a bulletin's figures, tables, overdue list and comparison (definitions in the module docstring)."""
    scope, period, as_of = inp.scope, inp.period, inp.as_of
    in_scope = [d for d in inp.departments if in_jurisdiction(scope, d.region_code)]
    depts = {d.code: d for d in in_scope}
    prev_period = previous_period(period)
    prev_as_of = inp.previous_as_of or prev_period.end + (as_of - period.end)

    breaches = _open_overdue(inp.open_breaches, scope)
    cur = _aggregate(scope, period, as_of, inp.entries, inp.uploads, breaches, depts)
    prev = _aggregate(scope, prev_period, prev_as_of, inp.previous_entries, inp.previous_uploads, [], depts)

    # Region rows: the fixed units first, then whatever the registry and the data bring in.
    units: dict[str, None] = {}
    if scope == PROVINCE_CODE:
        units.update(dict.fromkeys(FUJIAN_CITIES))
    else:
        units[scope] = None
    units.update(dict.fromkeys(_unit_of(scope, d.region_code) for d in in_scope))
    units.update(dict.fromkeys(cur.regions))
    dept_count: dict[str, int] = {}
    for d in in_scope:
        unit = _unit_of(scope, d.region_code)
        dept_count[unit] = dept_count.get(unit, 0) + 1
    by_region = [
        {
            "code": code,
            "name": _unit_name(scope, code),
            "departments": dept_count.get(code, 0),
            **cur.regions.get(code, _Tally()).row(),
        }
        for code in units
    ]

    codes: dict[str, None] = dict.fromkeys(d.code for d in in_scope)
    codes.update(dict.fromkeys(cur.departments))
    by_department: list[dict[str, Any]] = []
    for code in codes:
        dept = depts.get(code)
        region = dept.region_code if dept else cur.dept_region.get(code, "")
        by_department.append(
            {
                "code": code,
                "name": dept.name if dept else code,
                "region_code": region,
                "region_name": _unit_name("", region) if region else "",
                "level": dept.level if dept else "",
                "is_regulator": dept.is_regulator if dept else False,
                **cur.departments.get(code, _Tally()).row(),
            }
        )
    for rows in (by_region, by_department):
        _rank(rows)
        _flag(rows)

    by_category = [
        {"category": c.value, "name": CATEGORY_INFO[c].name_zh, **cur.categories[c.value].row()}
        for c in Category
        if c.value in cur.categories
    ]

    names = {d.code: d.name for d in in_scope}
    ordered = sorted(breaches, key=lambda b: (-b.working_days_late, b.due, b.department, b.breach_id))
    overdue = [
        {
            "breach_id": b.breach_id,
            "kind": b.kind.value,
            "kind_zh": KIND_ZH[b.kind],
            "department": b.department,
            "department_name": names.get(b.department, b.department),
            "region_code": b.region_code,
            "region_name": _unit_name("", b.region_code),
            "category": b.category,
            "category_zh": _category_zh(b.category),
            "doc_no": b.doc_no,
            "subject_name": b.subject_name,
            "due": b.due,
            "working_days_late": b.working_days_late,
        }
        for b in ordered[:OVERDUE_LIST_MAX]
    ]

    rectification: list[dict[str, Any]] = []
    for unit_type, rows in (("region", by_region), ("department", by_department)):
        ranked = [r for r in rows if r["rank"] is not None]
        unranked = [r for r in rows if r["rank"] is None]
        for r in ranked[::-1] + unranked:
            if r["needs_rectification"]:
                rectification.append(
                    {"type": unit_type, "code": r["code"], "name": r["name"], "reasons": r["rectification_reasons"]}
                )

    rates = cur.total.rates()
    scope_name = region_name(scope) or scope
    feedback, feedback_totals = _feedback(inp.entries, as_of, by_department)
    return Bulletin(
        scope=scope,
        scope_name=scope_name,
        level=region_level(scope).value,
        title=f"{scope_name}涉企信息归集公示工作通报（{period.label}）",
        period=period,
        period_label=period.label,
        previous_period=prev_period,
        as_of=as_of,
        previous_as_of=prev_as_of,
        totals={**cur.total.c, "departments": len(in_scope)},
        rates=rates,
        open_overdue={k.value: cur.total.c[f"open_{k.value}"] for k in OVERDUE_ORDER},
        by_category=by_category,
        by_region=by_region,
        by_department=by_department,
        overdue=overdue,
        overdue_total=len(ordered),
        overdue_more=max(len(ordered) - OVERDUE_LIST_MAX, 0),
        rectification=rectification,
        comparison=_comparison(cur.total, prev.total, rates, prev.total.rates()),
        feedback=feedback,
        feedback_totals=feedback_totals,
    )


def _feedback(
    entries: Iterable[Countable], as_of: date, by_department: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per publishing department: list entries shared (published by ``as_of``), how many drew feedback from other
    departments, how many feedback reports, and the feedback rate (listings with feedback ÷ listings shared)."""
    listings: dict[str, list[RecordProfile]] = {}
    for e in entries:
        if e.category in SHARED_LISTS and _done_by(e.published_at, as_of) is not None:
            listings.setdefault(e.department, []).append(e if isinstance(e, RecordProfile) else profile_of(e))
    rows = []
    for dept in by_department:
        shared = listings.get(dept["code"], [])
        if not shared:
            continue
        count = sum(p.weight for p in shared)
        answered = sum(p.weight for p in shared if p.feedback)
        rows.append(
            {
                "code": dept["code"],
                "name": dept["name"],
                "region_name": dept["region_name"],
                "listings": count,
                "with_feedback": answered,
                "feedback": sum(p.feedback * p.weight for p in shared),
                "feedback_rate": _rate(answered, count),
            }
        )
    total_listings = sum(r["listings"] for r in rows)
    total_answered = sum(r["with_feedback"] for r in rows)
    totals = {
        "listings": total_listings,
        "with_feedback": total_answered,
        "feedback": sum(r["feedback"] for r in rows),
        "feedback_rate": _rate(total_answered, total_listings),
    }
    return rows, totals


# --- text helpers -----------------------------------------------------------------------------------------------


def _round_half_up(value: float, places: int) -> Decimal:
    # Round the float's noise away first (0.1 * 3 * 100 is 30.000000000000004), then round half up as people do.
    exact = Decimal(repr(round(value, 9)))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def pct(rate: float | None, places: int = 1) -> str:
    """A rate as a percentage ("87.5%"), or "—" when it has no denominator."""
    if rate is None:
        return "—"
    return f"{_round_half_up(rate * 100, places)}%"


def _date_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _count_change_zh(change: int, before: int, unit: str) -> str:
    if change == 0:
        return "与上期持平"
    word = "增加" if change > 0 else "减少"
    text = f"较上期{word}{abs(change)}{unit}"
    if before:
        text += f"（{'+' if change > 0 else '-'}{_round_half_up(abs(change) / before * 100, 1)}%）"
    return text


def _rate_change_zh(now: float | None, before: float | None, pp: float | None) -> str:
    if now is None:
        return "本期无数据"
    if before is None or pp is None:
        return "上期无可比数据"
    shown = _round_half_up(abs(pp), 1)
    if shown == 0:
        return "与上期持平"
    return f"较上期{'上升' if pp > 0 else '下降'}{shown}个百分点"


def _pp_cell(item: dict[str, Any]) -> str:
    if item["unit"] == "pp":
        change = item["change"]
        if change is None:
            return "—"
        shown = _round_half_up(change, 1)
        return f"{'+' if shown > 0 else ''}{shown}个百分点"
    change = item["change"]
    return f"{'+' if change > 0 else ''}{change}"


# --- document model shared by HTML and Markdown -----------------------------------------------------------------


@dataclass
class _Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    flagged: list[bool] = field(default_factory=list)  # rows to highlight (需整改)


@dataclass
class _List:
    items: list[str]
    ordered: bool = False


@dataclass
class _Chart:
    caption: str


_Block = str | _Table | _List | _Chart


@dataclass
class _Section:
    heading: str
    blocks: list[_Block]


_UNIT_HEADER = ["应归集", "归集量", "迟报", "未归集", "已公示", "及时率", "公示及时率", "合规率", "记名率"]
_UNIT_HEADER += ["逾期未归集", "逾期未公示", "评价"]


def _unit_cells(row: dict[str, Any]) -> list[str]:
    return [
        str(row["records"]),
        str(row["collected"]),
        str(row["collected_late"]),
        str(row["not_collected"]),
        str(row["published"]),
        pct(row["timely_rate"]),
        pct(row["publication_timely_rate"]),
        pct(row["compliance_rate"]),
        pct(row["attribution_rate"]),
        str(row["open_collection_overdue"]),
        str(row["open_publication_overdue"]),
        "需整改" if row["needs_rectification"] else "—",
    ]


def _rank_cell(row: dict[str, Any]) -> str:
    return "—" if row["rank"] is None else str(row["rank"])


def _region_table(b: Bulletin) -> _Table:
    rows = [[_rank_cell(r), r["name"], str(r["departments"]), *_unit_cells(r)] for r in b.by_region]
    return _Table(
        caption="表2 各地区归集公示情况（按及时率、公示及时率排名）",
        header=["排名", "地区", "部门数", *_UNIT_HEADER],
        rows=rows,
        flagged=[r["needs_rectification"] for r in b.by_region],
    )


def _department_table(b: Bulletin) -> _Table:
    rows = [[_rank_cell(r), r["name"], r["region_name"], *_unit_cells(r)] for r in b.by_department]
    return _Table(
        caption="表3 各部门归集公示情况（按及时率、公示及时率排名）",
        header=["排名", "部门", "所属地区", *_UNIT_HEADER],
        rows=rows,
        flagged=[r["needs_rectification"] for r in b.by_department],
    )


def _summary_text(b: Bulletin) -> str:
    t, r = b.totals, b.rates
    return (
        f"本期{b.scope_name}纳入统计的部门{t['departments']}个，应归集涉企信息{t['records']}条，"
        f"已归集{t['collected']}条，其中按时归集{t['collected_on_time']}条、迟报{t['collected_late']}条，"
        f"及时率{pct(r['timely_rate'])}；未归集{t['not_collected']}条，其中已超过归集期限{t['not_collected_overdue']}条。"
        f"已公示{t['published']}条，其中按期公示{t['published_on_time']}条、迟延公示{t['published_late']}条，"
        f"公示及时率{pct(r['publication_timely_rate'])}；已归集尚未公示{t['unpublished']}条，"
        f"其中无法记名、待人工处理{t['held']}条；记名率{pct(r['attribution_rate'])}。"
        f"本期上报文件{t['uploads']}个、数据{t['rows_read']}行，拒收{t['rows_rejected']}行，"
        f"合规率{pct(r['compliance_rate'])}。截至{_date_zh(b.as_of)}，"
        f"逾期未归集{b.open_overdue['collection_overdue']}条、逾期未公示{b.open_overdue['publication_overdue']}条尚未整改。"
    )


def _ranking_text(rows: list[dict[str, Any]], what: str) -> str:
    ranked = [r for r in rows if r["rank"] is not None]
    flagged = sum(1 for r in rows if r["needs_rectification"])
    if not ranked:
        return f"本期各{what}均无可计算及时率或公示及时率的数据；需整改{what}{flagged}个。"
    # A row without 及时率 (the regulator's own records have no collection clock) sorts last but is not "worst".
    timed = [r for r in ranked if r["timely_rate"] is not None] or ranked
    best, worst = timed[0], timed[-1]
    text = f"共{len(rows)}个{what}，按及时率、公示及时率排名，{best['name']}居首"
    text += f"（及时率{pct(best['timely_rate'])}，公示及时率{pct(best['publication_timely_rate'])}）"
    if len(timed) > 1:
        text += f"，{worst['name']}居末（及时率{pct(worst['timely_rate'])}，"
        text += f"公示及时率{pct(worst['publication_timely_rate'])}）"
    return text + f"；需整改{what}{flagged}个。"


def _sections(b: Bulletin) -> list[_Section]:
    comparison_rows = [
        [c["label"], _value_cell(c, c["current"]), _value_cell(c, c["previous"]), _pp_cell(c), c["text"]]
        for c in b.comparison.values()
    ]
    overall: list[_Block] = [
        _summary_text(b),
        _Table(
            caption=f"表1 主要指标与上期（{b.previous_period.label}）对比",
            header=["指标", "本期", "上期", "变化", "说明"],
            rows=comparison_rows,
        ),
    ]
    if b.by_category:
        overall.append(
            _Table(
                caption="表1-1 分类别情况",
                header=["类别", "应归集", "归集量", "迟报", "未归集", "已公示", "及时率", "公示及时率", "记名率"],
                rows=[
                    [
                        c["name"],
                        str(c["records"]),
                        str(c["collected"]),
                        str(c["collected_late"]),
                        str(c["not_collected"]),
                        str(c["published"]),
                        pct(c["timely_rate"]),
                        pct(c["publication_timely_rate"]),
                        pct(c["attribution_rate"]),
                    ]
                    for c in b.by_category
                ],
            )
        )

    overdue_blocks: list[_Block] = []
    if b.overdue_total:
        overdue_blocks.append(
            f"截至{_date_zh(b.as_of)}，逾期未整改共{b.overdue_total}条"
            f"（逾期未归集{b.open_overdue['collection_overdue']}条、逾期未公示{b.open_overdue['publication_overdue']}条），"
            f"按超期工作日数从多到少列出如下。"
        )
        overdue_blocks.append(
            _Table(
                caption="表4 逾期未归集/未公示名单",
                header=["序号", "类型", "部门", "地区", "类别", "文号", "市场主体", "期限", "超期（工作日）"],
                rows=[
                    [
                        str(i),
                        f"{o['kind_zh']}（{o['kind']}）",
                        o["department_name"],
                        o["region_name"],
                        o["category_zh"],
                        o["doc_no"] or "无文号",
                        o["subject_name"] or "未记名",
                        o["due"].isoformat(),
                        str(o["working_days_late"]),
                    ]
                    for i, o in enumerate(b.overdue, start=1)
                ],
            )
        )
        if b.overdue_more:
            overdue_blocks.append(f"另有{b.overdue_more}条未列出，详见违约清单（/breaches）。")
    else:
        overdue_blocks.append(f"截至{_date_zh(b.as_of)}，本范围内无逾期未归集或未公示的信息。")

    rectify: list[_Block] = []
    if b.rectification:
        rectify.append("以下单位需整改（按排名从后往前列出）：")
        rectify.append(
            _List(
                [
                    f"{'地区' if r['type'] == 'region' else '部门'}：{r['name']}——{'；'.join(r['reasons'])}"
                    for r in b.rectification
                ],
                ordered=True,
            )
        )
    else:
        rectify.append("本期无需整改的单位。")
    rectify.append(
        _List(
            [
                "各数据提供部门应在信息产生之日起7个工作日内将涉企信息归集至市场监管部门；"
                "逾期未归集的信息请于收到本通报后立即补报。",
                "市场监管部门应在信息产生之日起20个工作日内将其公示于企业名下；无法记名的信息请及时核实处理。",
                "上报数据应符合归集格式要求，被拒收的数据请按拒收报告逐行修正后重新上报。",
                f"及时率或公示及时率低于{pct(RECTIFY_THRESHOLD, 0)}、或有逾期未整改信息的单位，"
                "请认真查找原因，限期整改并反馈整改情况。",
            ]
        )
    )

    definitions = _List(
        [
            "统计口径：按信息产生日期统计本期产生的涉企信息；截至数据日期尚未发生的归集、公示不计。",
            "及时率＝7个工作日内归集的信息数÷已归集且适用归集时限的信息数（市场监管部门自身产生的信息不适用）。",
            "公示及时率＝20个工作日内公示的信息数÷已公示信息数。",
            "合规率＝（上报数据行数－拒收行数）÷上报数据行数。",
            "记名率＝已记于市场主体名下的信息数÷已归集信息数。",
            "联合惩戒反馈率＝收到其他部门联合惩戒反馈的名单信息数÷本期已公示（共享）的经营异常名录、严重违法失信名单信息数。",
            "未归集：部门生产台账中已登记、尚未归集的信息。分母为0时显示“—”。",
        ]
    )
    return [
        _Section("一、总体情况", overall),
        _Section(
            "二、各地区情况",
            [_ranking_text(b.by_region, "地区"), _region_table(b), _Chart("图1 各地区及时率与公示及时率")],
        ),
        _Section("三、各部门情况", [_ranking_text(b.by_department, "部门"), _department_table(b)]),
        _Section("四、逾期未归集/未公示名单", overdue_blocks),
        _Section("五、整改要求", rectify),
        _Section("六、联合惩戒反馈情况", _feedback_blocks(b)),
        _Section("附：指标说明", [definitions]),
    ]


_FEEDBACK_HEADER = ["部门", "所属地区", "共享名单信息", "收到反馈的名单", "反馈次数", "反馈率"]


def _feedback_cells(r: dict[str, Any]) -> list[str]:
    return [
        r["name"],
        r["region_name"],
        str(r["listings"]),
        str(r["with_feedback"]),
        str(r["feedback"]),
        pct(r["feedback_rate"]),
    ]


def _feedback_blocks(b: Bulletin) -> list[_Block]:
    t = b.feedback_totals
    if not b.feedback:
        return ["本期无已公示、共享的经营异常名录或严重违法失信名单信息。"]
    return [
        f"本期各部门共享经营异常名录、严重违法失信名单信息{t['listings']}条，其中{t['with_feedback']}条收到其他部门的"
        f"联合惩戒反馈（共{t['feedback']}次），反馈率{pct(t['feedback_rate'])}。",
        _Table(
            caption="表5 联合惩戒反馈情况（按发布部门）",
            header=_FEEDBACK_HEADER,
            rows=[_feedback_cells(r) for r in b.feedback],
        ),
    ]


def _value_cell(item: dict[str, Any], value: Any) -> str:
    if item["unit"] == "pp":
        return pct(value)
    return str(value)


def _meta_lines(b: Bulletin) -> list[str]:
    return [
        f"统计期间：{b.period.span_zh}（按信息产生日期统计）",
        f"数据截至：{_date_zh(b.as_of)}",
        f"对比期间：{b.previous_period.label}（{b.previous_period.span_zh}，数据截至{_date_zh(b.previous_as_of)}）",
    ]


# --- renderings -------------------------------------------------------------------------------------------------


def render_json(b: Bulletin) -> bytes:
    """The bulletin as JSON (the model dump; dates ISO, rates as fractions, English keys)."""
    return json.dumps(b.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8")


def render_csv(b: Bulletin) -> bytes:
    """The department and region ranking tables as one CSV (UTF-8 with BOM, CRLF) that Excel opens directly."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([excel_safe(b.title)])
    w.writerow([f"统计期间：{b.period.span_zh}", f"数据截至：{_date_zh(b.as_of)}"])
    w.writerow([])
    w.writerow(["各部门情况"])
    w.writerow(["排名", "部门", "部门统一社会信用代码", "所属地区", "行政区划代码", *_UNIT_HEADER, "整改原因"])
    for r in b.by_department:
        cells = [_rank_cell(r), r["name"], r["code"], r["region_name"], r["region_code"], *_unit_cells(r)]
        w.writerow([excel_safe(c) for c in cells] + [excel_safe("；".join(r["rectification_reasons"]))])
    w.writerow([])
    w.writerow(["各地区情况"])
    w.writerow(["排名", "地区", "行政区划代码", "部门数", *_UNIT_HEADER, "整改原因"])
    for r in b.by_region:
        cells = [_rank_cell(r), r["name"], r["code"], str(r["departments"]), *_unit_cells(r)]
        w.writerow([excel_safe(c) for c in cells] + [excel_safe("；".join(r["rectification_reasons"]))])
    if b.feedback:
        w.writerow([])
        w.writerow(["联合惩戒反馈情况"])
        w.writerow(["部门统一社会信用代码", *_FEEDBACK_HEADER])
        for r in b.feedback:
            w.writerow([excel_safe(c) for c in [r["code"], *_feedback_cells(r)]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _md(text: str) -> str:
    # Markdown viewers render raw HTML, and a | would split a table cell: neutralise both.
    text = html.escape(text, quote=False).replace("|", "\\|")
    return " ".join(text.split())


def render_markdown(b: Bulletin) -> bytes:
    """The bulletin as Markdown: the same sections and tables as the HTML, without the chart."""
    lines = [f"# {_md(b.title)}", ""]
    lines += [f"- {_md(m)}" for m in _meta_lines(b)] + [""]
    for section in _sections(b):
        lines += [f"## {_md(section.heading)}", ""]
        for block in section.blocks:
            if isinstance(block, str):
                lines += [_md(block), ""]
            elif isinstance(block, _Table):
                lines += [f"**{_md(block.caption)}**", ""]
                lines.append("| " + " | ".join(_md(h) for h in block.header) + " |")
                lines.append("|" + "|".join("---" for _ in block.header) + "|")
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
                lines.append("")
            elif isinstance(block, _List):
                marks = [f"{i}." if block.ordered else "-" for i in range(1, len(block.items) + 1)]
                lines += [f"{m} {_md(item)}" for m, item in zip(marks, block.items, strict=True)] + [""]
            # The chart exists only in the HTML; its figures are in the region table above it.
    return "\n".join(lines).encode("utf-8")


_CSS = """
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", "Noto Sans CJK SC",
  "Microsoft YaHei", "PingFang SC", serif; font-size: 11pt; line-height: 1.6; color: #000; margin: 0 auto;
  max-width: 190mm; }
h1 { font-size: 18pt; text-align: center; margin: 0.5em 0; }
h2 { font-size: 14pt; margin: 1.2em 0 0.4em; page-break-after: avoid; }
p.meta { text-align: center; margin: 0; font-size: 10pt; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 8.5pt; }
caption { caption-side: top; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #000; padding: 2px 4px; text-align: center; }
th { background: #e8e8e8; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
tr.flag td { background: #fde2e2; }
figure { margin: 0.5em 0 1em; page-break-inside: avoid; }
figcaption { text-align: center; font-weight: bold; font-size: 10pt; }
svg { width: 100%; height: auto; }
@media print {
  body { max-width: none; }
  th, tr.flag td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_BAR_COLOURS = {"timely_rate": "#2f5597", "publication_timely_rate": "#c55a11"}


def _svg_chart(b: Bulletin, caption: str) -> str:
    """Horizontal grouped bars of 及时率 and 公示及时率 per region: inline SVG, no script, no external assets."""
    e = html.escape
    rows = b.by_region
    left, bar_w, right = 170, 420, 70
    bar_h, gap, group_gap, top = 11, 2, 10, 40
    width = left + bar_w + right
    group_h = 2 * bar_h + gap + group_gap
    height = top + len(rows) * group_h + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{e(caption)}" font-size="11">',
        f"<title>{e(caption)}</title>",
    ]
    # Legend.
    x = left
    for key, colour in _BAR_COLOURS.items():
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18">{e(RATE_ZH[key])}</text>')
        x += 110
    # Grid every 20 %.
    axis_bottom = top + len(rows) * group_h
    for tick in range(0, 101, 20):
        gx = left + bar_w * tick / 100
        parts.append(f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{axis_bottom}" stroke="#bbb"/>')
        parts.append(f'<text x="{gx:.1f}" y="{axis_bottom + 14}" text-anchor="middle">{tick}%</text>')
    for i, row in enumerate(rows):
        y = top + i * group_h
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h + gap / 2 + 4:.1f}" text-anchor="end">{e(str(row["name"]))}</text>'
        )
        for j, (key, colour) in enumerate(_BAR_COLOURS.items()):
            by = y + j * (bar_h + gap)
            value = row[key]
            length = 0.0 if value is None else bar_w * max(0.0, min(1.0, value))
            if value is not None:
                parts.append(
                    f'<rect x="{left}" y="{by}" width="{length:.1f}" height="{bar_h}" fill="{colour}">'
                    f"<title>{e(str(row['name']))} {e(RATE_ZH[key])} {e(pct(value))}</title></rect>"
                )
            parts.append(f'<text x="{left + length + 4:.1f}" y="{by + bar_h - 2}">{e(pct(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(b: Bulletin) -> bytes:
    """The bulletin as one self-contained, printable HTML page (A4, bordered tables, inline SVG chart)."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(b.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(b.title)}</h1>",
    ]
    out += [f'<p class="meta">{e(m)}</p>' for m in _meta_lines(b)]
    for section in _sections(b):
        out.append(f"<h2>{e(section.heading)}</h2>")
        for block in section.blocks:
            if isinstance(block, str):
                out.append(f"<p>{e(block)}</p>")
            elif isinstance(block, _Table):
                out.append(f"<table><caption>{e(block.caption)}</caption><thead><tr>")
                out.append("".join(f"<th>{e(h)}</th>" for h in block.header) + "</tr></thead><tbody>")
                flags = block.flagged or [False] * len(block.rows)
                for row, flagged in zip(block.rows, flags, strict=True):
                    cls = ' class="flag"' if flagged else ""
                    out.append(f"<tr{cls}>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
                out.append("</tbody></table>")
            elif isinstance(block, _List):
                tag = "ol" if block.ordered else "ul"
                out.append(f"<{tag}>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + f"</{tag}>")
            else:
                out.append(
                    f"<figure>{_svg_chart(b, block.caption)}<figcaption>{e(block.caption)}</figcaption></figure>"
                )
    out += ["</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def announcement(b: Bulletin, location: str | None = None) -> tuple[str, str, dict[str, str]]:
    """SNS subject, a short Chinese message with the headline figures and where the bulletin is, and attributes."""
    r = b.rates
    where = location or bulletin_key(b.scope, b.period, "html")
    subject = (
        f"【涉企信息通报】{b.scope_name}{b.period_label}：归集{b.totals['collected']}条，及时率{pct(r['timely_rate'])}"
    )
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    regions = sum(1 for x in b.rectification if x["type"] == "region")
    departments = sum(1 for x in b.rectification if x["type"] == "department")
    lines = [
        b.title,
        f"统计期间：{b.period.span_zh}；数据截至{_date_zh(b.as_of)}。",
        f"归集量{b.totals['collected']}条，{b.comparison['collected']['text']}；"
        f"未归集{b.totals['not_collected']}条；已公示{b.totals['published']}条。",
        "；".join(f"{RATE_ZH[k]}{pct(r[k])}（{b.comparison[k]['text']}）" for k in RATE_KEYS) + "。",
        f"逾期未归集{b.open_overdue['collection_overdue']}条、逾期未公示{b.open_overdue['publication_overdue']}条尚未整改；"
        f"需整改地区{regions}个、部门{departments}个。",
        f"完整通报：{where}（另有Markdown、CSV、JSON版本）",
    ]
    attributes = {
        "region": b.scope,
        "type": "bulletin",
        "period": b.period.key,
        "period_kind": b.period.kind,
        "level": b.level,
    }
    return subject, "\n".join(lines), attributes


def department_view(document: dict[str, Any], department: str) -> dict[str, Any]:
    """What a department may read of a bulletin (JSON form): every figure and ranking — a 通报 is circulated to be
    read — but of the named overdue list only its own rows; the others are counted, not named."""
    own = [row for row in document.get("overdue", []) if row.get("department") == department]
    return {
        **document,
        "overdue": own,
        "overdue_other_departments": len(document.get("overdue", []))
        - len(own)
        + int(document.get("overdue_more", 0) or 0),
        "overdue_more": 0,
    }
