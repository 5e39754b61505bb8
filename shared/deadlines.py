"""Deadline rules: what a record owes (its clocks), what a scan concludes (findings, BRIEF §2.4, §3), and how far
an open breach climbs up the jurisdiction chain (BRIEF §2.5).

Everything here is a pure function of (record, scan date, calendar): scanning the same ``as_of`` twice gives the
same findings, so the scan can be re-run or run for a past date without drift.

Decisions worth knowing:

* **Point in time.** ``as_of`` is the scan's "today" in Asia/Shanghai. An act (collection, publication) whose local
  date is after ``as_of`` has not happened yet as far as that scan is concerned, and a record produced after
  ``as_of`` did not exist yet: it yields no findings at all. In the daily scan neither case arises; they make a
  scan for a past date reproduce what a scan on that date would have seen.
* **Late acts close overdue breaches.** When an act happens after its due date, ``evaluate`` returns the
  ``*_overdue`` finding *closed* (``actual`` set, final working days late) together with the ``*_late`` finding.
  A store that only keeps breaches it once saw open may use a closed overdue finding to close its breach and skip
  creating one it never saw open.
* **Both clocks are reported.** A record that was never collected and is past its 20-working-day publication
  date gets ``collection_overdue`` *and* ``publication_overdue``: both are real obligations, the first on the
  producing department, the second on the regulator, who cannot publish what it never got. Consumers that want
  to blame only the department can drop ``publication_overdue`` when ``collection_overdue`` is open for the same
  record. Held records (not attributable) are treated like any unpublished record: the time they wait counts.
* **Zero working days late.** A record collected on the Sunday after a Saturday due date is late (its local date
  is after the due date) by 0 working days. ``working_days_late`` can therefore be 0 on a real breach.
* **At risk.** One ``at_risk`` finding at most per record, for the earliest clock that is still pending and not yet
  past due: collection while uncollected and not overdue, otherwise publication. ``working_days_late`` holds the
  working days left (0 = due today). Its ``breach_id`` is ``at_risk:{record_id}`` for either clock; ``due`` tells
  them apart.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.timeutil import local_date


class CalendarLike(Protocol):
    """The working-day calendar (``shared.workdays.WorkCalendar``) as monitoring uses it."""

    def is_working_day(self, d: date) -> bool: ...

    def due_date(self, d: date, n: int) -> date: ...

    def working_days_between(self, start: date, end: date) -> int: ...

    def is_provisional(self, d: date) -> bool: ...

    def due_date_is_provisional(self, d: date, n: int) -> bool: ...

    def next_working_day(self, d: date) -> date: ...

    @property
    def version(self) -> str: ...


class BreachKind(StrEnum):
    """The five flags of BRIEF §2.4; the values are the public names (API, CLI, notices, bulletins)."""

    COLLECTION_LATE = "collection_late"  # collected after its 7-WD due date (known at upload)
    COLLECTION_OVERDUE = "collection_overdue"  # in a production list, not collected, past its due date
    PUBLICATION_OVERDUE = "publication_overdue"  # not published, past its 20-WD due date
    PUBLICATION_LATE = "publication_late"  # published after its due date
    AT_RISK = "at_risk"  # not yet done and due within the next N working days


# Kinds that stay open until the act happens (the others are recorded facts, or a passing warning).
OVERDUE_KINDS: frozenset[BreachKind] = frozenset({BreachKind.COLLECTION_OVERDUE, BreachKind.PUBLICATION_OVERDUE})
LATE_KINDS: frozenset[BreachKind] = frozenset({BreachKind.COLLECTION_LATE, BreachKind.PUBLICATION_LATE})

KIND_ZH: dict[BreachKind, str] = {
    BreachKind.COLLECTION_LATE: "归集迟报",
    BreachKind.COLLECTION_OVERDUE: "逾期未归集",
    BreachKind.PUBLICATION_OVERDUE: "逾期未公示",
    BreachKind.PUBLICATION_LATE: "公示迟延",
    BreachKind.AT_RISK: "临期预警",
}


class Obligation(BaseModel):
    """The monitor's view of one ledger record: its clocks and what has been done."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    record_id: str
    department: str
    region_code: str
    category: str
    doc_no: str
    subject_name: str
    production_date: date
    collect_due: date | None  # None when only the publication clock applies (the regulator's own records)
    publish_due: date
    collected_at: AwareDatetime | None  # instants; naive values are refused so the local date is never guessed
    published_at: AwareDatetime | None
    held: bool  # could not be attributed; waits for the regulator (the time counts against 20 days)
    provisional: bool  # a due date lies in a provisional calendar year


class Finding(BaseModel):
    """What a scan concludes about one record for one kind."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    breach_id: str  # f"{kind}:{record_id}": stable across re-scans
    kind: BreachKind
    record_id: str
    department: str
    region_code: str
    category: str
    due: date
    actual: date | None  # local (Asia/Shanghai) date of the act, None if not done
    working_days_late: int  # open: as of the scan; closed: final; at_risk: working days left
    is_open: bool
    provisional: bool


def breach_id(kind: BreachKind, record_id: str) -> str:
    """The deterministic breach id of a record for one kind."""
    return f"{kind.value}:{record_id}"


def _act_date(instant: datetime | None, as_of: date) -> date | None:
    """The local date of an act, or None if it had not happened by the end of ``as_of``."""
    if instant is None:
        return None
    day = local_date(instant)
    return day if day <= as_of else None


def _finding(
    ob: Obligation,
    cal: CalendarLike,
    kind: BreachKind,
    due: date,
    actual: date | None,
    count_to: date,
    *,
    is_open: bool,
    days: int,
) -> Finding:
    # The count runs to ``count_to``; a provisional year there makes the figure provisional as well as the due date.
    provisional = ob.provisional or cal.is_provisional(due) or cal.is_provisional(count_to)
    return Finding(
        breach_id=breach_id(kind, ob.record_id),
        kind=kind,
        record_id=ob.record_id,
        department=ob.department,
        region_code=ob.region_code,
        category=ob.category,
        due=due,
        actual=actual,
        working_days_late=days,
        is_open=is_open,
        provisional=provisional,
    )


def _clock(
    ob: Obligation,
    cal: CalendarLike,
    as_of: date,
    due: date,
    done: date | None,
    overdue: BreachKind,
    late: BreachKind,
) -> list[Finding]:
    """Findings of one clock: open overdue, or closed overdue plus late, or nothing when on time / not yet due."""
    if done is None:
        if as_of <= due:
            return []
        days = cal.working_days_between(due, as_of)
        return [_finding(ob, cal, overdue, due, None, as_of, is_open=True, days=days)]
    # BRIEF §3: on time means by 24:00 local on the due date, i.e. the act's local date is not after it.
    if done <= due:
        return []
    days = cal.working_days_between(due, done)
    return [
        _finding(ob, cal, overdue, due, done, done, is_open=False, days=days),
        _finding(ob, cal, late, due, done, done, is_open=False, days=days),
    ]


def evaluate(ob: Obligation, as_of: date, cal: CalendarLike, *, at_risk_days: int = 2) -> list[Finding]:
    """Every finding for one record as of the local date ``as_of`` (see the module notes for the rules)."""
    if at_risk_days < 0:
        raise ValueError(f"at_risk_days must be >= 0, got {at_risk_days}")
    if as_of < ob.production_date:
        return []  # not produced yet on that date: nothing can be owed
    collected = _act_date(ob.collected_at, as_of)
    published = _act_date(ob.published_at, as_of)
    findings: list[Finding] = []
    if ob.collect_due is not None:
        findings += _clock(
            ob, cal, as_of, ob.collect_due, collected, BreachKind.COLLECTION_OVERDUE, BreachKind.COLLECTION_LATE
        )
    findings += _clock(
        ob, cal, as_of, ob.publish_due, published, BreachKind.PUBLICATION_OVERDUE, BreachKind.PUBLICATION_LATE
    )
    pending_due: date | None = None
    if ob.collect_due is not None and collected is None and as_of <= ob.collect_due:
        pending_due = ob.collect_due
    elif published is None and as_of <= ob.publish_due:
        pending_due = ob.publish_due
    if pending_due is not None:
        left = cal.working_days_between(as_of, pending_due)
        if left <= at_risk_days:
            findings.append(_finding(ob, cal, BreachKind.AT_RISK, pending_due, None, as_of, is_open=True, days=left))
    return findings


# --- escalation -------------------------------------------------------------------------------------------------


class Level(StrEnum):
    """Supervision levels, lowest first."""

    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"


LEVEL_ORDER: tuple[Level, ...] = (Level.COUNTY, Level.CITY, Level.PROVINCE)
LEVEL_ZH: dict[Level, str] = {Level.COUNTY: "县级", Level.CITY: "市级", Level.PROVINCE: "省级"}


def _chain(region_code: str) -> list[str]:
    # Imported lazily: regions carries the code tables and is only needed once a breach is routed.
    from shared.regions import jurisdiction_chain

    chain = list(jurisdiction_chain(region_code))
    if not 1 <= len(chain) <= len(LEVEL_ORDER):
        raise ValueError(f"unexpected jurisdiction chain for {region_code!r}: {chain}")
    return chain


def base_level(region_code: str) -> Level:
    """The department's own level, from its region code (county → county, city or 平潭 → city, 350000 → province)."""
    # The chain is [own, …, "350000"], so its length says how far below the province the region sits.
    return LEVEL_ORDER[len(LEVEL_ORDER) - len(_chain(region_code))]


def escalation_level(base: Level, opened_on: date, as_of: date, cal: CalendarLike, escalation_days: int) -> Level:
    """The level an open breach has reached: one level up per ``escalation_days`` working days after ``opened_on``."""
    if escalation_days < 1:
        raise ValueError(f"escalation_days must be >= 1, got {escalation_days}")
    if as_of <= opened_on:
        return base
    steps = cal.working_days_between(opened_on, as_of) // escalation_days
    index = min(LEVEL_ORDER.index(base) + steps, len(LEVEL_ORDER) - 1)
    return LEVEL_ORDER[index]


def next_escalation_on(
    base: Level, opened_on: date, as_of: date, cal: CalendarLike, escalation_days: int
) -> date | None:
    """The date an open breach climbs above its level as of ``as_of``; None once it is at the province."""
    current = escalation_level(base, opened_on, as_of, cal, escalation_days)
    if current is Level.PROVINCE:
        return None
    steps_done = LEVEL_ORDER.index(current) - LEVEL_ORDER.index(base)
    # escalation_level climbs when working_days_between(opened_on, d) reaches k * escalation_days, which is the day
    # due_date(opened_on, k * escalation_days) by the calendar's own definition.
    return cal.due_date(opened_on, (steps_done + 1) * escalation_days)


def jurisdiction_for(region_code: str, level: Level) -> str:
    """The supervising region at ``level`` for a department in ``region_code`` (county code, its city, "350000")."""
    chain = _chain(region_code)
    own = LEVEL_ORDER.index(base_level(region_code))
    wanted = LEVEL_ORDER.index(level)
    if wanted < own:
        raise ValueError(f"{region_code} is above the {level.value} level")
    return chain[wanted - own]
