"""Supervision bulletins (通报, BRIEF §2.6): indicators, ranked tables and comparison with the previous period.

Pure: the caller loads the ledger entries, upload receipts and open breaches of a scope and period and stores or
announces what comes out. Everything is a function of the input, so a bulletin can be recomputed for any past
``as_of`` and gives the same bytes. Periods are :mod:`shared.periods`; the four renderings and the announcement are
:mod:`shared.bulletin_render`.

What is counted
---------------
A record belongs to the period when its production date (信息产生之日) lies in it, and to the scope when its
producing department's region is the scope or lies under it. Facts are taken **as of** ``as_of`` (the local
Asia/Shanghai date): a record produced after ``as_of`` is left out, an act (collection, publication) whose local
date is after ``as_of`` has not happened yet, and a record that was neither collected by then nor listed in a
production list (台账) is left out because nobody could have known it. Entries outside the period or scope that
the caller passes anyway are ignored, so a superset is harmless.

Indicators (a rate is ``None`` when its denominator is 0 and is shown as "—"; nothing divides by zero):

* 应归集 ``records``: the records counted above (collected, or known from a production list).
* 归集量 ``collected``: records collected by ``as_of``.
* 及时率 ``timely_rate`` = ``collected_on_time`` / ``timely_base``: among collected records that have a 7-working-day
  collection clock (``timely_base``; the market regulator's own records have none), those whose collection date is
  on or before the due date. 迟报 ``collected_late`` = ``timely_base`` − ``collected_on_time``.
* 未归集 ``not_collected``: records from production lists not collected by ``as_of``; of them
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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.breaches import Breach
from shared.categories import CATEGORY_INFO, SHARED_LISTS, Category
from shared.deadlines import KIND_ZH, BreachKind
from shared.figures import Countable, RecordProfile, profile_of
from shared.ledger import Attribution, LedgerEntry
from shared.periods import (
    Period,
    parse_period,
    previous_period,
)
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

RECTIFY_THRESHOLD = 0.9  # 及时率 / 公示及时率 below this names a unit for rectification
OVERDUE_LIST_MAX = 50  # named overdue items in the bulletin; the rest are counted ("另有N条")
SUBJECT_MAX = 100  # SNS subject limit
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


def bulletin_key(scope: str, period: Period | str, ext: str) -> str:
    """Object key of a bulletin in the reports bucket: ``bulletins/{scope}/{period}.{ext}``."""
    if ext not in BULLETIN_FORMATS:
        raise ValueError(f"unknown bulletin format {ext!r}; expected one of {BULLETIN_FORMATS}")
    key = period.key if isinstance(period, Period) else parse_period(period).key
    return f"bulletins/{scope}/{key}.{ext}"


# --- input and output models ------------------------------------------------------------------------------------


class UploadStat(BaseModel):
    """One upload receipt's counts (合规率 = (read − rejected) / read)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

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

    model_config = ConfigDict(defer_build=True)

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

    model_config = ConfigDict(defer_build=True)

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
            continue  # unknown on as_of: neither collected nor listed in a production list
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


def round_half_up(value: float, places: int) -> Decimal:
    # Round the float's noise away first (0.1 * 3 * 100 is 30.000000000000004), then round half up as people do.
    exact = Decimal(repr(round(value, 9)))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def pct(rate: float | None, places: int = 1) -> str:
    """A rate as a percentage ("87.5%"), or "—" when it has no denominator."""
    if rate is None:
        return "—"
    return f"{round_half_up(rate * 100, places)}%"


def _count_change_zh(change: int, before: int, unit: str) -> str:
    if change == 0:
        return "与上期持平"
    word = "增加" if change > 0 else "减少"
    text = f"较上期{word}{abs(change)}{unit}"
    if before:
        text += f"（{'+' if change > 0 else '-'}{round_half_up(abs(change) / before * 100, 1)}%）"
    return text


def _rate_change_zh(now: float | None, before: float | None, pp: float | None) -> str:
    if now is None:
        return "本期无数据"
    if before is None or pp is None:
        return "上期无可比数据"
    shown = round_half_up(abs(pp), 1)
    if shown == 0:
        return "与上期持平"
    return f"较上期{'上升' if pp > 0 else '下降'}{shown}个百分点"
