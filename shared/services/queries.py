"""Read side for auditors, supervisors and the public: breach listings, timelines, scorecards, held queue."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from shared.auditchain import ENTRY_FIELDS
from shared.auth import Principal
from shared.breaches import Breach
from shared.bulletins import UploadStat, unit_figures
from shared.categories import COLLECT_DAYS, PUBLISH_DAYS
from shared.deadlines import LEVEL_ORDER, LEVEL_ZH, BreachKind, Level
from shared.evidence import build_bundle
from shared.exports import excel_safe
from shared.ledger import LedgerEntry
from shared.notices import SEVERITY_ZH
from shared.regions import city_of, in_jurisdiction, region_level, region_name
from shared.registry import Department
from shared.services.deps import Deps
from shared.services.upload_keys import receipt_key_of
from shared.timeutil import local_date, utc_now

BREACH_COLUMNS = (
    "breach_id",
    "kind",
    "status",
    "record_id",
    "department",
    "region_code",
    "category",
    "doc_no",
    "subject_name",
    "due",
    "actual",
    "working_days_late",
    "provisional",
    "calendar_version",
    "opened_on",
    "opened_at",
    "closed_at",
    "base_level",
    "announced",
)


class QueryError(ValueError):
    """A query parameter is invalid (message in Chinese)."""


class BreachFilter(BaseModel):
    model_config = ConfigDict(defer_build=True)
    region: str | None = None
    department: str | None = None
    category: str | None = None
    kind: str | None = None
    status: str | None = None
    start: date | None = None  # opened on or after
    end: date | None = None  # opened on or before
    as_of: date | None = None  # breaches opened by that date, in the state they were in then (open/closed)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        if v is not None:
            for part in v.split(","):
                if part not in {k.value for k in BreachKind}:
                    allowed = ", ".join(k.value for k in BreachKind)
                    raise ValueError(f"未知的违规类型“{part}”，可选：{allowed}")
        return v

    @field_validator("status")
    @classmethod
    def _status(cls, v: str | None) -> str | None:
        if v is not None and v not in ("open", "closed"):
            raise ValueError("status 只能为 open 或 closed")
        return v


def parse_filter(params: dict[str, str]) -> BreachFilter:
    """Query-string parameters (API and CLI share the names: region, department, … from, to, as_of)."""
    data = dict(params)
    if "from" in data:
        data["start"] = data.pop("from")
    if "to" in data:
        data["end"] = data.pop("to")
    try:
        return BreachFilter.model_validate(data)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc


def breach(breach_id: str, deps: Deps) -> Breach | None:
    """One breach, or None."""
    return deps.tables.breaches.get(breach_id)


def record(record_id: str, deps: Deps) -> LedgerEntry | None:
    """A record's current state, or None."""
    return deps.tables.records.get(record_id)


def department(code: str, deps: Deps) -> Department | None:
    """A registered department, or None."""
    return deps.tables.registry.department(code)


def list_breaches(f: BreachFilter, deps: Deps) -> list[dict[str, Any]]:
    """Breaches matching a filter, newest first; uses an index for department, region or kind."""
    kinds = f.kind.split(",") if f.kind else [k.value for k in BreachKind]
    city = None
    if f.region and f.region != "350000":
        try:
            city = city_of(f.region)
        except ValueError as exc:
            raise QueryError(f"行政区划代码“{f.region}”不是福建省的行政区划") from exc
    end = f.end
    if f.as_of and (end is None or f.as_of < end):
        end = f.as_of
    items = deps.tables.breaches.listing(department=f.department, city=city, kinds=kinds, start=f.start, end=end)
    out = []
    for b in items:
        if b.kind not in kinds:
            continue
        if f.region and not in_jurisdiction(f.region, b.region_code):
            continue
        if f.category and b.category != f.category:
            continue
        status = _status_as_of(b, f.as_of)
        if f.status and status != f.status:
            continue
        out.append(_public_breach(b, status))
    out.sort(key=lambda b: (b["opened_on"], b["breach_id"]), reverse=True)
    return out


def _status_as_of(b: Breach, as_of: date | None) -> str:
    closed_on = b.closed_on()
    if as_of is None or b.is_open or closed_on is None:
        return b.status
    return "open" if closed_on > as_of and b.kind is not BreachKind.AT_RISK else b.status


def _public_breach(b: Breach, status: str | None = None) -> dict[str, Any]:
    """A breach as auditors and the console see it (its audit bookkeeping left out)."""
    data = b.model_dump(mode="json", include=set(BREACH_COLUMNS))
    out = {k: data.get(k) for k in BREACH_COLUMNS}
    out["status"] = status or b.status
    out["acknowledged"] = sorted(level.value for level in b.acks)
    return out


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def paginate(items: list[dict[str, Any]], cursor: str | None, limit: int) -> Page:
    """Opaque cursor pagination over a stable ordering."""
    start = 0
    if cursor:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())["o"])
        except (ValueError, KeyError) as exc:
            raise QueryError("cursor 无效") from exc
    end = start + limit
    nxt = base64.urlsafe_b64encode(json.dumps({"o": end}).encode()).decode() if end < len(items) else None
    return Page(items=items[start:end], next_cursor=nxt)


def to_csv(rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> str:
    """CSV export with a BOM so Excel shows the Chinese correctly."""
    cols = list(columns)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in cols])
    return "\ufeff" + out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = "；".join(map(str, value)) if isinstance(value, list) else str(value)
    return excel_safe(text)


def due_date_explanations(entry: LedgerEntry, deps: Deps) -> dict[str, Any]:
    """Each clock of a record with the rest days skipped and the make-up days counted (today's calendar)."""
    clocks = {"collect": COLLECT_DAYS if entry.collect_due is not None else None, "publish": PUBLISH_DAYS}
    out: dict[str, Any] = {}
    for name, days in clocks.items():
        if days is None:
            continue
        explanation = deps.calendar.explain(entry.production_date, days)
        out[name] = {**explanation.model_dump(mode="json"), "text": explanation.lines_zh()}
    return out


def record_timeline(record_id: str, deps: Deps) -> dict[str, Any] | None:
    """A record's current state, earlier versions, breaches, joint-punishment feedback and full audit trail."""
    entry = deps.tables.records.get(record_id)
    if entry is None:
        return None
    breaches = deps.tables.breaches.get_many(f"{k.value}:{record_id}" for k in BreachKind)
    trail = deps.tables.audit.stream(f"REC#{record_id}", entry.audit_block)
    for b in breaches.values():
        trail += deps.tables.audit.stream(f"BR#{b.breach_id}", b.audit_block)
    trail.sort(key=lambda i: (i["at"], i["pk"], i["seq"]))
    return {
        "record": entry.model_dump(mode="json"),
        "due_dates": due_date_explanations(entry, deps),
        "versions": [v.model_dump(mode="json") for v in deps.tables.records.versions(record_id)],
        "breaches": [_public_breach(b) for b in breaches.values()],
        "feedback": [
            {
                k: f.get(k)
                for k in ("feedback_id", "department", "department_name", "measure", "measure_date", "note", "at")
            }
            for f in deps.tables.records.feedback_of(record_id)
        ],
        "audit": [{k: i[k] for k in ("pk", "seq", "event", "actor", "at", "detail", "hash")} for i in trail],
    }


def evidence_bundle(record_id: str, deps: Deps) -> bytes | None:
    """The evidence zip of one record (:mod:`shared.evidence`), or None if there is no such record."""
    entry = deps.tables.records.get(record_id)
    if entry is None:
        return None
    breaches = deps.tables.breaches.get_many(f"{k.value}:{record_id}" for k in BreachKind)
    streams = {f"REC#{record_id}": (entry.audit_seq, entry.audit_head)}
    streams.update((f"BR#{bid}", (b.audit_seq, b.audit_head)) for bid, b in breaches.items())
    blocks = {f"REC#{record_id}": entry.audit_block}
    blocks.update((f"BR#{bid}", b.audit_block) for bid, b in breaches.items())
    audit = [e for stream in sorted(streams) for e in deps.tables.audit.stream(stream, blocks.get(stream))]
    audit = [{k: e[k] for k in (*ENTRY_FIELDS, "hash")} for e in audit]
    notices = [
        {"breach": e["stream"], "event": e["event"], "at": e["at"], "detail": e["detail"]}
        for e in audit
        if e["stream"].startswith("BR#") and e["event"] in ("notified", "escalated", "acknowledged")
    ]
    receipt_key = receipt_key_of(entry.source_key) if entry.source_key else None
    # The raw upload's ETag pins the very bytes the record came from (the intake keeps uploads unchanged).
    stored = deps.objects.head(deps.settings.intake_bucket, entry.source_key) if entry.source_key else None
    return build_bundle(
        record=entry.model_dump(mode="json"),
        versions=[v.model_dump(mode="json") for v in deps.tables.records.versions(record_id)],
        source={
            "bucket": deps.settings.intake_bucket,
            "key": entry.source_key,
            "row": entry.source_row,
            "upload_id": entry.upload_id,
            "receipt_key": receipt_key,
            "etag": stored.etag if stored else None,
            "size": stored.size if stored else None,
            "published_source": entry.published_source,
        },
        breaches=[_public_breach(b) for b in breaches.values()],
        notices=notices,
        due_dates=due_date_explanations(entry, deps),
        audit=audit,
        anchors={s: (seq, head) for s, (seq, head) in streams.items() if seq > 0},
        created_at=utc_now(),
    )


def scorecard(code: str, period: str, deps: Deps) -> dict[str, Any]:
    """A department's record for one month (``YYYY-MM``): volumes, on-time rates, attribution rate."""
    try:
        year, month = (int(p) for p in period.split("-"))
        start = date(year, month, 1)
    except ValueError as exc:
        raise QueryError("period 应为 YYYY-MM 格式，例如 2026-11") from exc
    end = date(year + (month == 12), month % 12 + 1, 1)
    dept = deps.tables.registry.department(code)
    if dept is None:
        raise QueryError(f"部门“{code}”未登记")
    entries = [e for e in deps.tables.records.by_department(code, start, end) if e.production_date < end]
    # Rows of the month's upload receipts (the same items a bulletin's 合规率 counts).
    uploads = [u for u in deps.tables.uploads.counted(code, start, end) if u["collected_on"] < end.isoformat()]
    stats = [
        UploadStat(department=code, collected_on=start, read=int(u["read"]), rejected=int(u["rejected"]))
        for u in uploads
    ]
    # One definition of each rate: the bulletin's (shared/bulletins.py), as of today.
    f = unit_figures(entries, stats, local_date(utc_now()))
    return {
        "department": code,
        "department_name": dept.name,
        "region_code": dept.region_code,
        "level": region_level(dept.region_code).value,
        "period": period,
        "produced_known": f["records"],
        "collected": f["collected"],
        "never_collected": f["not_collected"],
        "collected_on_time": f["collected_on_time"],
        "on_time_rate": f["timely_rate"],  # 及时率 (7 working days)
        "published": f["published"],
        "published_on_time": f["published_on_time"],
        "publication_on_time_rate": f["publication_timely_rate"],  # 公示及时率 (20 working days)
        "attributed": f["attributed"],
        "attribution_base": f["attribution_base"],
        "attribution_rate": f["attribution_rate"],  # 记名率 (natural persons left out, as in bulletins)
        "rows_read": f["rows_read"],
        "rows_rejected": f["rows_rejected"],
        "compliance_rate": f["compliance_rate"],  # 合规率 (rows passing validation)
        "clocks": {"collect_days": COLLECT_DAYS if not dept.is_regulator else None, "publish_days": PUBLISH_DAYS},
        "pending": [_pending(e) for e in entries if not e.collected or e.published_at is None],
    }


def _pending(e: LedgerEntry) -> dict[str, Any]:
    """A record still waiting: to be collected (known from a production list) or to be published; its due date."""
    due = e.collect_due if not e.collected else e.publish_due
    return {
        "record_id": e.record_id,
        "category": e.category.value,
        "doc_no": e.doc_no,
        "subject_name": e.subject_name,
        "production_date": e.production_date.isoformat(),
        "waiting_for": "collection" if not e.collected else "publication",
        "due": due.isoformat() if due else None,
        "held": e.held,
    }


def held_queue(deps: Deps) -> list[dict[str, Any]]:
    """Records waiting for the regulator, oldest first, with how long the 20-day clock has left."""
    out = []
    for e in deps.tables.records.held():
        out.append(
            {
                "record_id": e.record_id,
                "department": e.department,
                "region_code": e.region_code,
                "category": e.category.value,
                "doc_no": e.doc_no,
                "subject_name": e.subject_name,
                "uscc": e.uscc,
                "reg_no": e.reg_no,
                "attribution": e.attribution.value if e.attribution else None,
                "held_reason": e.held_reason,
                "collected_at": e.collected_at.isoformat() if e.collected_at else None,
                "publish_due": e.publish_due.isoformat(),
            }
        )
    out.sort(key=lambda r: (r["publish_due"], r["record_id"]))
    return out


def caller(principal: Principal, deps: Deps) -> dict[str, Any]:
    """Who the caller is, for display (the console's header): role, jurisdiction, department and their names."""
    dept = deps.tables.registry.department(principal.department) if principal.department else None
    return {
        "role": principal.role.value,
        "region": principal.region,
        "region_name": region_name(principal.region),
        "department": principal.department,
        "department_name": dept.name if dept else None,
        "expires_at": principal.exp,
    }


DIGEST_DAYS = 30  # what ``GET /digests`` shows when no dates are given


def received_digests(jurisdiction: str, since: date | None, until: date | None, deps: Deps) -> dict[str, Any]:
    """The supervision digests sent to one jurisdiction (every level it is addressed at), newest first."""
    until = until or local_date(utc_now())
    since = since or until - timedelta(days=DIGEST_DAYS - 1)
    items = deps.tables.control.digests(jurisdiction, [level.value for level in LEVEL_ORDER], since, until)
    digests = []
    for item in items:
        if item.get("status") != "sent":
            continue  # a claim whose sender has not finished (or crashed): nothing was received yet
        attributes = item.get("attributes") or {}
        level = Level(str(item["level"]))
        severity = str(attributes.get("severity", ""))
        digests.append(
            {
                "as_of": item["as_of"],
                "level": level.value,
                "level_name": LEVEL_ZH[level],
                "severity": severity,
                "severity_name": SEVERITY_ZH.get(severity, ""),
                "subject": item.get("subject", ""),
                "body": item.get("body", ""),
                "breach_count": len(item.get("breach_ids") or []),
                "sent_at": item.get("sent_at"),
            }
        )
    return {
        "jurisdiction": jurisdiction,
        "jurisdiction_name": region_name(jurisdiction),
        "from": since.isoformat(),
        "to": until.isoformat(),
        "items": digests,
        "total": len(digests),
    }
