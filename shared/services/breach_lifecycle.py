"""Turn monitoring findings into durable breach records, with an audit entry for every state change."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.adapters.store import AuditLog, BreachConflictError
from shared.auditchain import GENESIS
from shared.breaches import Breach
from shared.deadlines import LATE_KINDS, BreachKind, Finding, Obligation, base_level, evaluate
from shared.ledger import LedgerEntry
from shared.services.deps import Deps
from shared.timeutil import local_date, utc_now


def obligation_of(entry: LedgerEntry) -> Obligation:
    """The monitor's view of a ledger entry."""
    return Obligation(
        record_id=entry.record_id,
        department=entry.department,
        region_code=entry.region_code,
        category=entry.category.value,
        doc_no=entry.doc_no,
        subject_name=entry.attributed_name or entry.subject_name,
        production_date=entry.production_date,
        collect_due=entry.collect_due,
        publish_due=entry.publish_due,
        collected_at=entry.collected_at,
        published_at=entry.published_at,
        held=entry.held,
        provisional=entry.provisional,
    )


@dataclass
class BreachChanges:
    opened: list[Breach] = field(default_factory=list)
    closed: list[Breach] = field(default_factory=list)
    updated: list[Breach] = field(default_factory=list)


def _state(f: Finding, calendar_version: str) -> dict[str, Any]:
    """The fields of a breach that follow its latest finding (the rest is fixed when it opens)."""
    return {
        "due": f.due,
        "actual": f.actual,
        "working_days_late": f.working_days_late,
        "status": "open" if f.is_open else "closed",
        "provisional": f.provisional,
        "calendar_version": calendar_version,
    }


def _new_breach(f: Finding, entry: LedgerEntry, as_of: date, calendar_version: str) -> Breach:
    now = utc_now()
    return Breach(
        breach_id=f.breach_id,
        kind=f.kind,
        record_id=f.record_id,
        department=f.department,
        region_code=f.region_code,  # (its city is derived by the model)
        category=f.category,
        doc_no=entry.doc_no,
        subject_name=entry.attributed_name or entry.subject_name,
        **_state(f, calendar_version),
        opened_at=now,
        opened_on=as_of,
        closed_at=None if f.is_open else now,
        base_level=base_level(f.region_code),
    )


@dataclass
class BreachEdit:
    """A change to one breach: its new state and, unless it is only the age moving on, an audit event."""

    breach: Breach
    event: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


Change = Callable[[Breach | None], BreachEdit | None]
ATTEMPTS = 12


class BreachBusyError(Exception):
    """A breach kept changing under a writer, or its stream holds an entry no breach state records."""


def change_breach(breach_id: str, change: Change, deps: Deps, *, actor: str, at: datetime) -> Breach | None:
    """Read a breach, apply ``change`` to it, audit and store the result; on a conflict re-read and re-apply.

    ``change`` gets the current breach (None if there is none) and returns the edit, or None when there is
    nothing (left) to do. ``at`` stamps the audit entry, so that a retry after a lost breach write reproduces the
    entry it already appended (a replay) instead of clashing with it.
    """
    for attempt in range(ATTEMPTS):
        current = deps.tables.breaches.get(breach_id)
        edit = change(current.model_copy(deep=True) if current is not None else None)
        if edit is None:
            return current
        if edit.event is not None:
            item = _audit(edit.breach, edit.event, actor, edit.detail, at=at)
            if deps.tables.audit.append_many([item], tolerate_races=True):
                _pause(attempt)  # another writer holds this position of the stream; its breach write follows
                continue
        try:
            return deps.tables.breaches.put(edit.breach)
        except BreachConflictError:
            continue
    raise BreachBusyError(f"违规记录 {breach_id} 正在被其他操作修改，请稍后重试")


def change_breaches(
    edits: dict[str, BreachEdit], retry: Callable[[str], Change], deps: Deps, *, actor: str, at: datetime
) -> dict[str, Breach | None]:
    """Apply prepared edits in bulk; those that raced another writer are re-read and re-applied one by one.

    Returns the stored state of every breach (None where the re-applied change found nothing to do).
    """
    audits = [_audit(e.breach, e.event, actor, e.detail, at=at) for e in edits.values() if e.event is not None]
    lost = deps.tables.audit.append_many(audits, tolerate_races=True) if audits else set()
    stored, conflicts = deps.tables.breaches.put_many(e.breach for bid, e in edits.items() if f"BR#{bid}" not in lost)
    result: dict[str, Breach | None] = {s.breach_id: s for s in stored}
    for bid in edits:
        if bid in conflicts or f"BR#{bid}" in lost:
            result[bid] = change_breach(bid, retry(bid), deps, actor=actor, at=at)
    return result


def _pause(attempt: int) -> None:
    time.sleep(min(0.5, 0.01 * 2**attempt) * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto


def _apply_finding(
    old: Breach | None, f: Finding, entry: LedgerEntry | None, as_of: date, version: str
) -> tuple[BreachEdit, str] | None:
    """The edit a finding makes to a breach and which change it is (opened, closed, updated, or '' for age)."""
    detail = {"finding": f.model_dump(mode="json"), "as_of": as_of.isoformat()}
    if old is None:
        if entry is None or not (f.is_open or f.kind in LATE_KINDS):
            return None  # a closed overdue finding only closes a breach someone saw open; it never creates one
        breach = _new_breach(f, entry, as_of, version)
        return BreachEdit(breach, "breach_opened" if f.is_open else "breach_recorded", detail), "opened"
    update = _state(f, version)
    if all(getattr(old, k) == v for k, v in update.items()):
        return None
    breach = old.model_copy(update=update)
    if old.is_open and not f.is_open:
        breach.closed_at = utc_now()
        return BreachEdit(breach, "breach_closed", detail), "closed"
    if old.due != f.due or old.calendar_version != version:
        return BreachEdit(breach, "breach_recomputed", detail), "updated"
    # Only the age moved on: no audit entry for a breach growing one day older.
    return BreachEdit(breach), ""


def apply_findings(
    findings: Iterable[Finding],
    entries: dict[str, LedgerEntry],
    deps: Deps,
    *,
    as_of: date,
    actor: str,
    existing: dict[str, Breach] | None = None,
) -> BreachChanges:
    """Create or update breach records for findings; idempotent for the same inputs, safe against racing writers."""
    by_breach = {f.breach_id: f for f in findings}
    if not by_breach:
        return BreachChanges()
    current = existing if existing is not None else deps.tables.breaches.get_many(by_breach)
    version = deps.calendar.version
    kinds: dict[str, str] = {}
    edits: dict[str, BreachEdit] = {}
    for bid, f in by_breach.items():
        applied = _apply_finding(current.get(bid), f, entries.get(f.record_id), as_of, version)
        if applied is not None:
            edits[bid], kinds[bid] = applied

    def retry(bid: str) -> Change:
        f = by_breach[bid]

        def change(old: Breach | None) -> BreachEdit | None:
            applied = _apply_finding(old, f, entries.get(f.record_id), as_of, version)
            kinds.pop(bid, None)
            if applied is None:
                return None
            kinds[bid] = applied[1]
            return applied[0]

        return change

    stored = change_breaches(edits, retry, deps, actor=actor, at=utc_now())
    changes = BreachChanges()
    for bid, breach in stored.items():
        if breach is not None and kinds.get(bid):
            getattr(changes, kinds[bid]).append(breach)
    return changes


def _audit(
    breach: Breach, event: str, actor: str, detail: dict[str, Any], *, at: datetime | None = None
) -> dict[str, Any]:
    """Prepare the next audit entry of a breach's stream and move the breach's head to it."""
    seq = breach.audit_seq + 1
    item = AuditLog.make_item(f"BR#{breach.breach_id}", seq, breach.audit_head or GENESIS, event, actor, detail, at)
    breach.audit_seq, breach.audit_head = seq, item["hash"]
    return item


PUBLICATION_KINDS = frozenset({BreachKind.PUBLICATION_OVERDUE, BreachKind.PUBLICATION_LATE})


def applies(f: Finding, entry: LedgerEntry) -> bool:
    """Publication findings only concern records that must be published (not natural persons')."""
    return entry.publication_required or f.kind not in PUBLICATION_KINDS


def resolved_finding(breach: Breach, entry: LedgerEntry) -> Finding:
    """A closing finding for an open breach whose condition no longer holds for its record."""
    done = entry.collected_at if breach.kind is BreachKind.COLLECTION_OVERDUE else entry.published_at
    return Finding(
        breach_id=breach.breach_id,
        kind=breach.kind,
        record_id=breach.record_id,
        department=breach.department,
        region_code=breach.region_code,
        category=breach.category,
        due=breach.due,
        actual=local_date(done) if done else None,
        working_days_late=breach.working_days_late,
        is_open=False,
        provisional=breach.provisional,
    )


def open_for_new_records(
    entries: list[LedgerEntry], deps: Deps, *, as_of: date, actor: str, at: datetime, block: str
) -> tuple[list[Breach], list[dict[str, Any]]]:
    """The breaches that records being created open, with their first audit entries (to go in ``block``).

    Nobody else can hold these breaches yet: their records do not exist until this write stores them. Returns
    (breaches, audit entries); the caller writes the entries, then the breaches, then the records.
    """
    by_id = {e.record_id: e for e in entries}
    breaches: list[Breach] = []
    audits: list[dict[str, Any]] = []
    for f in _findings_of(entries, as_of, deps):
        applied = _apply_finding(None, f, by_id[f.record_id], as_of, deps.calendar.version)
        event = applied[0].event if applied else None
        if applied is None or event is None:
            continue
        edit = applied[0]
        audits.append(_audit(edit.breach, event, actor, edit.detail, at=at))
        edit.breach.audit_block = block
        breaches.append(edit.breach)
    return breaches, audits


def _findings_of(entries: list[LedgerEntry], as_of: date, deps: Deps) -> list[Finding]:
    """What records just written show as of a day, at-risk warnings left to the daily scan."""
    return [
        f
        for e in entries
        for f in evaluate(obligation_of(e), as_of, deps.calendar, at_risk_days=deps.settings.at_risk_days)
        if f.kind is not BreachKind.AT_RISK and applies(f, e)
    ]


def reconcile(
    entries: list[LedgerEntry], deps: Deps, *, as_of: date, actor: str, new_records: frozenset[str] = frozenset()
) -> BreachChanges:
    """Bring the breaches of records just written up to date: open what is new, close what no longer holds.

    At-risk warnings are the daily scan's business and are not opened here, only closed. ``new_records`` are
    records that did not exist before this write, so they cannot have breaches yet: nothing is looked up for them.
    """
    by_id = {e.record_id: e for e in entries}
    findings = _findings_of(entries, as_of, deps)
    found = {f.breach_id for f in findings}
    existing = deps.tables.breaches.get_many(
        f"{k.value}:{rid}" for rid in by_id if rid not in new_records for k in BreachKind
    )
    for bid, breach in existing.items():
        if breach.is_open and bid not in found:
            findings.append(resolved_finding(breach, by_id[breach.record_id]))
    return apply_findings(findings, by_id, deps, as_of=as_of, actor=actor, existing=existing)
