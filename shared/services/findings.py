"""Turn monitoring findings into durable breach records, with an audit entry for every state change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.adapters.store import AuditLog
from shared.auditchain import GENESIS
from shared.ledger import LedgerEntry
from shared.monitoring import LATE_KINDS, BreachKind, Finding, Obligation, base_level, evaluate
from shared.regions import city_of
from shared.services.context import Deps
from shared.timeutil import iso_utc, local_date, utc_now


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
    opened: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)


def _state(f: Finding, calendar_version: str) -> dict[str, Any]:
    """The fields of a breach that follow its latest finding (the rest is fixed when it opens)."""
    return {
        "due": f.due.isoformat(),
        "actual": f.actual.isoformat() if f.actual else None,
        "working_days_late": f.working_days_late,
        "status": "open" if f.is_open else "closed",
        "provisional": f.provisional,
        "calendar_version": calendar_version,
    }


def _new_breach(f: Finding, entry: LedgerEntry, as_of: date, calendar_version: str) -> dict[str, Any]:
    now = iso_utc(utc_now())
    return {
        "breach_id": f.breach_id,
        "kind": f.kind.value,
        "record_id": f.record_id,
        "department": f.department,
        "region_code": f.region_code,
        "city": city_of(f.region_code),
        "category": f.category,
        "doc_no": entry.doc_no,
        "subject_name": entry.attributed_name or entry.subject_name,
        **_state(f, calendar_version),
        "opened_at": now,
        "opened_on": as_of.isoformat(),
        "closed_at": None if f.is_open else now,
        "base_level": base_level(f.region_code).value,
        "announced": [],
        "acks": {},
        "audit_seq": 0,
        "audit_head": GENESIS,
    }


def apply_findings(
    findings: Iterable[Finding],
    entries: dict[str, LedgerEntry],
    deps: Deps,
    *,
    as_of: date,
    actor: str,
    existing: dict[str, dict[str, Any]] | None = None,
) -> BreachChanges:
    """Create or update breach records for findings; idempotent for the same inputs."""
    findings = list(findings)
    if not findings:
        return BreachChanges()
    current = existing if existing is not None else deps.tables.breaches.get_many(f.breach_id for f in findings)
    # A closed overdue finding only closes a breach someone saw open; it never creates one.
    findings = [f for f in findings if f.is_open or f.kind in LATE_KINDS or f.breach_id in current]
    version = deps.calendar.version
    changes = BreachChanges()
    writes: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for f in findings:
        old = current.get(f.breach_id)
        if old is None:
            breach = _new_breach(f, entries[f.record_id], as_of, version)
            event = "breach_opened" if f.is_open else "breach_recorded"
            changes.opened.append(breach)
        else:
            update = _state(f, version)
            if all(old.get(k) == v for k, v in update.items()):
                continue
            breach = {**old, **update}
            if old.get("status") == "open" and not f.is_open:
                breach["closed_at"] = iso_utc(utc_now())
                event = "breach_closed"
                changes.closed.append(breach)
            elif old.get("due") != update["due"] or old.get("calendar_version") != version:
                event = "breach_recomputed"
                changes.updated.append(breach)
            else:
                # Only the age moved on: no audit entry for a breach growing one day older.
                writes.append(breach)
                continue
        item = _audit(breach, event, actor, {"finding": f.model_dump(mode="json"), "as_of": as_of.isoformat()})
        audits.append(item)
        writes.append(breach)
    # Two scans racing over the same breach: whoever appended its audit entry first owns the change.
    lost = deps.tables.audit.append_many(audits, tolerate_races=True) if audits else set()
    if lost:
        writes = [b for b in writes if f"BR#{b['breach_id']}" not in lost]
        changes.opened = [b for b in changes.opened if f"BR#{b['breach_id']}" not in lost]
        changes.closed = [b for b in changes.closed if f"BR#{b['breach_id']}" not in lost]
        changes.updated = [b for b in changes.updated if f"BR#{b['breach_id']}" not in lost]
    if writes:
        deps.tables.breaches.put_many(writes)
    return changes


def _audit(breach: dict[str, Any], event: str, actor: str, detail: dict[str, Any]) -> dict[str, Any]:
    """Prepare the next audit entry of a breach's stream and move the breach's head to it."""
    seq = int(breach.get("audit_seq", 0)) + 1
    item = AuditLog.make_item(
        f"BR#{breach['breach_id']}", seq, breach.get("audit_head") or GENESIS, event, actor, detail
    )
    breach["audit_seq"], breach["audit_head"] = seq, item["hash"]
    return item


PUBLICATION_KINDS = frozenset({BreachKind.PUBLICATION_OVERDUE, BreachKind.PUBLICATION_LATE})


def applies(f: Finding, entry: LedgerEntry) -> bool:
    """Publication findings only concern records that must be published (not natural persons')."""
    return entry.publication_required or f.kind not in PUBLICATION_KINDS


def resolved_finding(breach: dict[str, Any], entry: LedgerEntry) -> Finding:
    """A closing finding for an open breach whose condition no longer holds for its record."""
    done = entry.collected_at if breach["kind"] == BreachKind.COLLECTION_OVERDUE.value else entry.published_at
    return Finding(
        breach_id=breach["breach_id"],
        kind=BreachKind(breach["kind"]),
        record_id=breach["record_id"],
        department=breach["department"],
        region_code=breach["region_code"],
        category=breach["category"],
        due=date.fromisoformat(breach["due"]),
        actual=local_date(done) if done else None,
        working_days_late=int(breach["working_days_late"]),
        is_open=False,
        provisional=bool(breach.get("provisional")),
    )


def reconcile(
    entries: list[LedgerEntry], deps: Deps, *, as_of: date, actor: str, new_records: frozenset[str] = frozenset()
) -> BreachChanges:
    """Bring the breaches of records just written up to date: open what is new, close what no longer holds.

    At-risk warnings are the daily scan's business and are not opened here, only closed. ``new_records`` are
    records that did not exist before this write, so they cannot have breaches yet: nothing is looked up for them.
    """
    by_id = {e.record_id: e for e in entries}
    findings = [
        f
        for e in entries
        for f in evaluate(obligation_of(e), as_of, deps.calendar, at_risk_days=deps.settings.at_risk_days)
        if f.kind is not BreachKind.AT_RISK and applies(f, e)
    ]
    found = {f.breach_id for f in findings}
    existing = deps.tables.breaches.get_many(
        f"{k.value}:{rid}" for rid in by_id if rid not in new_records for k in BreachKind
    )
    for bid, breach in existing.items():
        if breach["status"] == "open" and bid not in found:
            findings.append(resolved_finding(breach, by_id[breach["record_id"]]))
    return apply_findings(findings, by_id, deps, as_of=as_of, actor=actor, existing=existing)
