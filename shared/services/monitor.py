"""The daily scan (BRIEF §2.4), the supervisors' digests (§2.5), acknowledgements and job heartbeats."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared.breaches import Ack, Breach
from shared.deadlines import (
    OVERDUE_KINDS,
    BreachKind,
    Finding,
    Level,
    base_level,
    escalation_level,
    evaluate,
    jurisdiction_for,
)
from shared.ledger import LedgerEntry, compute_dues
from shared.notices import Digest, DigestItem, breach_list_url, compose_digest
from shared.observability import logger, metrics
from shared.regions import region_name
from shared.services import figures
from shared.services.breach_lifecycle import (
    BreachBusyError,
    BreachChanges,
    BreachEdit,
    applies,
    apply_findings,
    change_breach,
    change_breaches,
    obligation_of,
    resolved_finding,
)
from shared.services.deps import Deps, load_calendar
from shared.services.publication import audit_record_event
from shared.timeutil import iso_utc, local_date, utc_now
from shared.workdays import CalendarOverride

LEASE_SECONDS = 300


@dataclass
class ScanReport:
    as_of: str
    records_examined: int = 0
    findings: int = 0
    opened: int = 0
    closed: int = 0
    recomputed: int = 0
    items_read: int = 0
    requests: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)


def quarantine(keys: list[str], job: str, deps: Deps) -> list[str]:
    """Audit the items a job had to skip (each run that meets one says so) and count them."""
    for key in keys:
        deps.tables.audit.append("QUARANTINE", "item_unreadable", job, {"key": key})
    if keys:
        metrics.add_metric(name="ItemsQuarantined", unit="Count", value=len(keys))
    return keys


def run_scan(as_of: date, deps: Deps) -> ScanReport:
    """Open and close breach records as of a local date; re-running it for the same date changes nothing."""
    started = time.perf_counter()
    read0, req0 = deps.stats.items_read, deps.stats.requests
    cal = deps.calendar
    at_risk = deps.settings.at_risk_days
    horizon = cal.due_date(as_of, at_risk) if at_risk > 0 else as_of
    records = deps.tables.records
    entries: dict[str, LedgerEntry] = {e.record_id: e for e in records.open_collection(horizon)}
    entries.update((e.record_id, e) for e in records.open_publication(horizon))
    active = {b.breach_id: b for b in deps.tables.breaches.active()}
    open_breaches = {bid: b for bid, b in active.items() if b.is_open}
    missing = {b.record_id for b in open_breaches.values()} - entries.keys()
    entries.update(records.get_many(missing))

    findings: list[Finding] = []
    for entry in entries.values():
        findings += [f for f in evaluate(obligation_of(entry), as_of, cal, at_risk_days=at_risk) if applies(f, entry)]
    found = {f.breach_id for f in findings}
    # An open breach its record no longer produces (an at-risk record now done or overdue) closes.
    for bid, breach in open_breaches.items():
        if bid in found:
            continue
        current = entries.get(breach.record_id)
        if current is not None:
            findings.append(resolved_finding(breach, current))
    known = dict(active)
    unknown = {f.breach_id for f in findings} - known.keys()
    known.update(deps.tables.breaches.get_many(unknown))
    changes = apply_findings(findings, entries, deps, as_of=as_of, actor="scan", existing=known)

    report = ScanReport(
        as_of=as_of.isoformat(),
        records_examined=len(entries),
        findings=len(findings),
        opened=len(changes.opened),
        closed=len(changes.closed),
        recomputed=len(changes.updated),
    )
    report.warnings = health_warnings(as_of, deps)
    report.quarantined = quarantine(records.take_quarantined() + deps.tables.breaches.take_quarantined(), "scan", deps)
    if report.quarantined:
        report.warnings.append(
            f"有{len(report.quarantined)}条记录的数据无法读取，已跳过并隔离（本次扫描未处理），请运维人员检查："
            + "、".join(report.quarantined[:5])
            + ("等" if len(report.quarantined) > 5 else "")
        )
    report.items_read = deps.stats.items_read - read0
    report.requests = deps.stats.requests - req0
    report.seconds = round(time.perf_counter() - started, 3)
    metrics.add_metric(name="BreachesOpened", unit="Count", value=report.opened)
    metrics.add_metric(name="BreachesClosed", unit="Count", value=report.closed)
    metrics.add_metric(name="ScanItemsRead", unit="Count", value=report.items_read)
    metrics.add_metric(name="HealthWarnings", unit="Count", value=len(report.warnings))
    deps.tables.control.heartbeat(
        "scan", as_of, {"opened": report.opened, "closed": report.closed, "quarantined": len(report.quarantined)}
    )
    logger.info("scan done", extra={"report": report.__dict__})
    return report


def health_warnings(as_of: date, deps: Deps) -> list[str]:
    """Jobs that have not run on time, and a next-year calendar still provisional after 1 December."""
    warnings: list[str] = []
    beats = deps.tables.control.heartbeats()
    publish = beats.get("publish")
    if publish is not None:
        last = datetime.fromisoformat(publish["last_success"].replace("Z", "+00:00"))
        if local_date(last) < as_of - timedelta(days=1):
            warnings.append(f"公示任务最近一次成功运行于{local_date(last).isoformat()}，已超过1天未运行，请检查")
    if as_of.month == 12 and deps.calendar.is_provisional(date(as_of.year + 1, 1, 1)):
        warnings.append(
            f"{as_of.year + 1}年节假日安排尚未载入（当前为暂定日历），跨年的期限为暂定值；"
            "请在国务院办公厅发布通知后执行 guiji calendar load 载入"
        )
    return warnings


@dataclass
class NoticeReport:
    digests: int = 0
    announced: int = 0
    skipped_already_sent: int = 0
    subjects: list[str] = field(default_factory=list)


def _item(b: Breach, names: dict[str, str]) -> DigestItem:
    return DigestItem(
        breach_id=b.breach_id,
        kind=b.kind,
        record_id=b.record_id,
        department=b.department,
        department_name=names.get(b.department, b.department),
        category=b.category,
        doc_no=b.doc_no,
        subject_name=b.subject_name,
        due=b.due,
        working_days_late=b.working_days_late,
        opened_on=b.opened_on,
    )


def send_notices(as_of: date, deps: Deps, *, warnings: list[str] | None = None) -> NoticeReport:
    """One digest per jurisdiction and level with something new; never the same breach twice at a level."""
    cal = deps.calendar
    names = {code: d.name for code, d in deps.tables.registry.departments().items()}
    groups: dict[tuple[str, Level], dict[str, list[Breach]]] = defaultdict(lambda: {"new": [], "open": [], "risk": []})
    silent: list[Breach] = []
    for b in deps.tables.breaches.active():
        if b.opened_on > as_of:
            continue
        base = base_level(b.region_code)
        if b.is_open and b.kind is not BreachKind.AT_RISK:
            level = escalation_level(base, b.opened_on, as_of, cal, deps.settings.escalation_days)
        else:
            level = base
        if level in b.acks:
            continue  # acknowledged at this level: quiet until it escalates
        if not b.is_open and b.kind in OVERDUE_KINDS and not b.announced:
            silent.append(b)  # overdue and already resolved before anyone was told: its *_late fact says it all
            continue
        bucket = groups[(jurisdiction_for(b.region_code, level), level)]
        if level not in b.announced:
            bucket["risk" if b.kind is BreachKind.AT_RISK else "new"].append(b)
        elif b.is_open and b.kind is not BreachKind.AT_RISK:
            bucket["open"].append(b)
    report = NoticeReport()
    province_extra = list(warnings or [])
    for (jur, level), bucket in sorted(groups.items()):
        if not bucket["new"] and not bucket["risk"]:
            continue  # nothing new to say: a quiet day sends nothing
        digest = compose_digest(
            jurisdiction=jur,
            jurisdiction_name=region_name(jur) or jur,
            level=level,
            as_of=as_of,
            new=[_item(b, names) for b in bucket["new"]],
            still_open=[_item(b, names) for b in bucket["open"]],
            at_risk=[_item(b, names) for b in bucket["risk"]],
            list_url=breach_list_url(jur, deps.settings.public_base_url),
        )
        if digest is None:
            continue
        if jur == "350000" and province_extra:
            digest = _with_warnings(digest, province_extra)
            province_extra = []
        announced = bucket["new"] + bucket["risk"]
        if _deliver(digest, announced, deps, level):
            report.digests += 1
            report.announced += len(announced)
            report.subjects.append(digest.subject)
        else:
            report.skipped_already_sent += 1
    if province_extra:
        _deliver_ops_notice(as_of, province_extra, deps)
    # Silent ones leave the index of things needing attention, marked as announced at their base level.
    change_breaches(
        {b.breach_id: BreachEdit(_announced(b, base_level(b.region_code))) for b in silent},
        lambda bid: _silence,
        deps,
        actor="notify",
        at=utc_now(),
    )
    deps.tables.control.heartbeat("notify", as_of, {"digests": report.digests})
    metrics.add_metric(name="DigestsSent", unit="Count", value=report.digests)
    return report


def _announced(breach: Breach, level: Level) -> Breach:
    return breach.model_copy(update={"announced": sorted(set(breach.announced) | {level})})


def _silence(breach: Breach | None) -> BreachEdit | None:
    """Re-applied to a silent breach that changed meanwhile: still closed and never announced?"""
    if breach is None or breach.is_open or breach.announced:
        return None
    return BreachEdit(_announced(breach, base_level(breach.region_code)))


def _with_warnings(digest: Digest, warnings: list[str]) -> Digest:
    body = digest.body + "\n\n运行提示：\n" + "\n".join(f"- {w}" for w in warnings)
    return digest.model_copy(update={"body": body})


def _deliver(digest: Digest, announced: list[Breach], deps: Deps, level: Level) -> bool:
    control = deps.tables.control
    if not control.claim_digest(digest.jurisdiction, level.value, digest.as_of, LEASE_SECONDS):
        return False
    message_id = deps.notifier.publish(digest.subject, digest.body, digest.attributes)
    pk, sk = control.digest_key(digest.jurisdiction, level.value, digest.as_of)
    detail = {"digest": f"{pk}/{sk}", "level": level.value}

    def announce(breach: Breach | None) -> BreachEdit | None:
        if breach is None or level in breach.announced:
            return None
        return BreachEdit(_announced(breach, level), "notified", detail)

    change_breaches(
        {b.breach_id: BreachEdit(_announced(b, level), "notified", detail) for b in announced},
        lambda bid: announce,
        deps,
        actor="notify",
        at=utc_now(),
    )
    control.digest_sent(
        digest.jurisdiction,
        level.value,
        digest.as_of,
        {
            "subject": digest.subject,
            "body": digest.body,
            "attributes": digest.attributes,
            "breach_ids": [b.breach_id for b in announced],
            "message_id": message_id,
            "sent_at": iso_utc(utc_now()),
        },
    )
    return True


def _deliver_ops_notice(as_of: date, warnings: list[str], deps: Deps) -> None:
    if not deps.tables.control.claim_digest("ops", "", as_of, LEASE_SECONDS):
        return
    body = "涉企信息归集公示监测系统运行提示\n" + "\n".join(f"- {w}" for w in warnings)
    subject = f"【归集督办】运行提示 {as_of.isoformat()}"
    deps.notifier.publish(subject, body, {"region": "350000", "level": "province", "severity": "medium", "type": "ops"})
    deps.tables.control.digest_sent("ops", "", as_of, {"subject": subject, "body": body})


class AckError(Exception):
    """An acknowledgement that cannot be recorded (message in Chinese)."""


def acknowledge(breach_id: str, note: str, actor: str, as_of: date, deps: Deps) -> Breach:
    """Acknowledge a breach at its current level: no repeats until it escalates. Safe against racing jobs."""
    at = utc_now()

    def ack(breach: Breach | None) -> BreachEdit | None:
        if breach is None:
            raise AckError(f"违规记录 {breach_id} 不存在")
        base = base_level(breach.region_code)
        level = escalation_level(base, breach.opened_on, as_of, deps.calendar, deps.settings.escalation_days)
        if level in breach.acks:
            return None
        breach.acks = {**breach.acks, level: Ack(note=note, by=actor, at=at)}
        return BreachEdit(breach, "acknowledged", {"level": level.value, "note": note})

    try:
        stored = change_breach(breach_id, ack, deps, actor=actor, at=at)
    except BreachBusyError as exc:
        raise AckError(str(exc)) from exc
    if stored is None:
        raise AckError(f"违规记录 {breach_id} 不存在")
    return stored


def load_calendar_override(override: CalendarOverride, deps: Deps, *, actor: str) -> dict[str, int]:
    """Load an official schedule; recompute provisional due dates of open records and audit each change."""
    deps.tables.control.put_calendar_override(override.year, override.model_dump(mode="json"))
    deps.tables.audit.append("CALENDAR", "calendar_loaded", actor, {"year": override.year, "source": override.source})
    old_version = deps.calendar.version
    deps.calendar = load_calendar(deps.tables)
    far = date(2100, 1, 1)
    records = deps.tables.records
    candidates = {e.record_id: e for e in records.open_collection(far)}
    candidates.update((e.record_id, e) for e in records.open_publication(far))
    changed: list[LedgerEntry] = []
    audits = []
    departments = deps.tables.registry.departments()
    for entry in candidates.values():
        if not entry.provisional:
            continue
        dept = departments.get(entry.department)
        dues = compute_dues(entry.production_date, bool(dept and dept.is_regulator), deps.calendar)
        item, anchored = audit_record_event(
            entry,
            "due_dates_recomputed",
            actor,
            {
                "old": {"collect_due": str(entry.collect_due), "publish_due": str(entry.publish_due)},
                "new": {"collect_due": str(dues.collect_due), "publish_due": str(dues.publish_due)},
                "calendar_version": {"old": old_version, "new": deps.calendar.version},
            },
        )
        audits.append(item)
        changed.append(
            anchored.model_copy(
                update={
                    "collect_due": dues.collect_due,
                    "publish_due": dues.publish_due,
                    "provisional": dues.provisional,
                    "calendar_version": dues.calendar_version,
                }
            )
        )
    deps.tables.audit.append_many(audits)
    records.put_many(changed)
    return {"records_recomputed": len(changed)}


def run_daily(as_of: date, deps: Deps) -> dict[str, Any]:
    """The 01:00 job: scan, then notify."""
    scan = run_scan(as_of, deps)
    notices = send_notices(as_of, deps, warnings=scan.warnings)
    # Last, so a seal that fails cannot hold up the notices: the day's audit heads, written where nobody can
    # rewrite them (docs/audit.md).
    seal = deps.tables.seal_audit(as_of)
    kept = figures.refresh(deps)  # so the day's bulletins and scorecards read figures kept up to the night
    return {"scan": scan.__dict__, "notices": notices.__dict__, "audit_seal": seal, "figures": kept.__dict__}


__all__ = ["BreachChanges", "run_scan", "send_notices", "acknowledge", "run_daily", "load_calendar_override"]
