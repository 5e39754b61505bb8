"""Publication (BRIEF §2.3): publish attributed records under the subject's name; hold and resolve the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.adapters.dynamo import ConditionFailedError
from shared.adapters.store import AuditLog
from shared.auditchain import GENESIS
from shared.categories import CATEGORY_INFO
from shared.deadlines import BreachKind
from shared.ledger import Attribution, LedgerEntry
from shared.observability import logger, metrics
from shared.services import sharing
from shared.services.breach_lifecycle import BreachChanges, reconcile
from shared.services.deps import Deps
from shared.sharing import PushKind
from shared.timeutil import iso_utc, local_date, utc_now

PUBLIC_FIELDS_EXCLUDED = {"id_number", "legal_rep_id_number", "zjhm", "cer_no"}


def public_view(entry: LedgerEntry, department_name: str) -> dict[str, Any]:
    """What the public sees for one record: public fields only; natural persons' ID numbers stay masked."""
    fields = {k: v for k, v in entry.fields.items() if k not in PUBLIC_FIELDS_EXCLUDED}
    return {
        "record_id": entry.record_id,
        "category": entry.category.value,
        "category_name": CATEGORY_INFO[entry.category].name_zh,
        "doc_no": entry.doc_no,
        "action": entry.action,
        "subject_name": entry.attributed_name or entry.subject_name,
        "uscc": entry.attributed_uscc or entry.uscc,
        "production_date": entry.production_date.isoformat(),
        "department": entry.department,
        "department_name": department_name,
        "version": entry.version,
        "published_at": iso_utc(entry.published_at) if entry.published_at else None,
        "fields": fields,
        "id_number_masked": entry.id_number_masked,
    }


def audit_record_event(
    entry: LedgerEntry, event: str, actor: str, detail: dict[str, Any], at: datetime | None = None
) -> tuple[dict[str, Any], LedgerEntry]:
    """The next entry of a record's audit stream, and the record with its anchor moved to it (write both).
    Pass ``at`` when a retry must reproduce the very same entry."""
    seq = entry.audit_seq + 1
    item = AuditLog.make_item(f"REC#{entry.record_id}", seq, entry.audit_head or GENESIS, event, actor, detail, at)
    return item, entry.model_copy(update={"audit_seq": seq, "audit_head": item["hash"]})


@dataclass
class PublishReport:
    published: int = 0
    updates: int = 0
    held: int = 0
    late: int = 0


def mark_published(
    entries: list[LedgerEntry], instant: datetime, deps: Deps, *, actor: str, source: str
) -> tuple[list[LedgerEntry], BreachChanges]:
    """Record publication of the current version of each entry, write public views, audit, breaches."""
    departments = deps.tables.registry.departments()
    done: list[LedgerEntry] = []
    audits: list[dict[str, Any]] = []
    views: list[tuple[str, str, str, dict[str, Any]]] = []
    pushed: list[tuple[LedgerEntry, dict[str, Any], PushKind]] = []
    for entry in entries:
        first = entry.published_at is None
        updated = entry.model_copy(
            update={
                "published_at": entry.published_at or instant,
                "published_version": entry.version,
                "published_source": source,
            }
        )
        event: PushKind = "published" if first else "published_update"
        item, updated = audit_record_event(
            updated, event, actor, {"version": entry.version, "published_at": iso_utc(instant), "source": source}
        )
        audits.append(item)
        dept = departments.get(entry.department)
        view = public_view(updated, dept.name if dept else entry.department)
        if not first:
            view["updated_at"] = iso_utc(instant)
        code = updated.attributed_uscc or updated.uscc or ""
        views.append((code, updated.category.value, updated.record_id, view))
        pushed.append((updated, view, event))
        done.append(updated)
    if not done:
        return [], BreachChanges()
    deps.tables.audit.append_many(audits)
    deps.tables.registry.put_public_views(views)
    deps.tables.records.put_many(done)
    changes = reconcile(done, deps, as_of=local_date(instant), actor=actor)
    sharing.push(pushed, instant, deps)
    return done, changes


def run_scheduled(as_of: date, deps: Deps) -> PublishReport:
    """The hourly publication job: a run, then its heartbeat (the scan warns when it stops beating)."""
    report = run_publication(deps)
    deps.tables.control.heartbeat("publish", as_of, {"published": report.published})
    return report


def run_publication(deps: Deps, *, now: datetime | None = None) -> PublishReport:
    """Publish every attributed record whose current version is unpublished (hourly, and on demand)."""
    instant = now or utc_now()
    report = PublishReport()
    batch: list[LedgerEntry] = []
    for entry in deps.tables.records.to_publish():
        if not entry.needs_publication:
            continue
        batch.append(entry)
        if len(batch) >= 100:
            _publish_batch(batch, instant, deps, report)
            batch = []
    _publish_batch(batch, instant, deps, report)
    report.held = sum(1 for _ in deps.tables.records.held())
    metrics.add_metric(name="RecordsPublished", unit="Count", value=report.published + report.updates)
    logger.info("publication run", extra={"report": report.__dict__})
    return report


def _publish_batch(batch: list[LedgerEntry], instant: datetime, deps: Deps, report: PublishReport) -> None:
    if not batch:
        return
    done, changes = mark_published(batch, instant, deps, actor="publication_run", source="guiji")
    for old in batch:
        if old.published_at is None:
            report.published += 1
        else:
            report.updates += 1
    report.late += sum(1 for b in changes.opened if b.kind is BreachKind.PUBLICATION_LATE)
    del done


class ResolutionError(Exception):
    """A held record cannot be resolved as asked; the message is Chinese for the regulator."""


def resolve_held(
    record_id: str, deps: Deps, *, actor: str, uscc: str | None = None, reject_reason: str | None = None
) -> LedgerEntry:
    """The regulator attributes a held record to a subject, or rejects it back to the department."""
    entry = deps.tables.records.get(record_id)
    if entry is None:
        raise ResolutionError(f"记录 {record_id} 不存在")
    if not entry.held or entry.rejected_by_regulator:
        raise ResolutionError("该记录不在待处理队列中")
    if reject_reason:
        updated = entry.model_copy(update={"rejected_by_regulator": reject_reason})
        item, updated = audit_record_event(updated, "held_rejected", actor, {"reason": reject_reason})
        _write_back_rejection(updated, reject_reason, deps)
    else:
        subject = deps.tables.registry.subject((uscc or "").strip().upper())
        if subject is None:
            raise ResolutionError(f"市场主体登记库中没有统一社会信用代码为“{uscc}”的主体")
        updated = entry.model_copy(
            update={
                "held": False,
                "held_reason": "",
                "attribution": Attribution.MATCHED,
                "attributed_uscc": subject.uscc,
                "attributed_name": subject.name,
            }
        )
        item, updated = audit_record_event(
            updated, "attributed", actor, {"uscc": subject.uscc, "name": subject.name, "was": entry.held_reason}
        )
    deps.tables.audit.append_many([item])
    try:
        deps.tables.records.put(updated, expect_version=entry.version)
    except ConditionFailedError as exc:
        raise ResolutionError("记录已被更新，请刷新后重试") from exc
    return updated


def _write_back_rejection(entry: LedgerEntry, reason: str, deps: Deps) -> None:
    """Tell the department, in its receipts folder, which record was rejected and why."""
    key = f"receipts/{entry.department}/{entry.category.value}/regulator-rejections/{entry.record_id}.json"
    deps.objects.put_json(
        deps.settings.intake_bucket,
        key,
        {
            "record_id": entry.record_id,
            "doc_no": entry.doc_no,
            "subject_name": entry.subject_name,
            "uscc": entry.uscc,
            "reason": reason,
            "message": f"文号“{entry.doc_no}”的记录无法记于市场主体名下，已被市场监管部门退回：{reason}。请核实后重新报送。",
            "at": iso_utc(utc_now()),
        },
    )
