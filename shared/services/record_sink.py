"""Where valid rows of a category file go: the record sink validates each row and writes batches to the record
ledger (attribution, due dates, duplicates and corrections, breaches, audit entries in blocks); ``Counts`` are a
receipt's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from shared.adapters.store import BLOCK_PREFIX, AuditLog
from shared.attribution import RegisterCache, attribute
from shared.auditchain import GENESIS
from shared.ledger import (
    ATTRIBUTION_ZH,
    Dues,
    LedgerEntry,
    UploadContext,
    compute_dues,
    decide,
    legal_reps_of,
    record_id,
)
from shared.row_validation import CanonicalRecord, RejectReason, SubjectKind, is_layout_row, validate_row
from shared.services.breach_lifecycle import open_for_new_records, reconcile
from shared.services.deps import Deps
from shared.timeutil import iso_utc, local_date, utc_now

BATCH = 100


@dataclass
class Counts:
    """A receipt's counts; ``read == accepted + rejected + duplicates`` always."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    corrected: int = 0
    late: int = 0
    unattributed: int = 0
    blank_rows: int = 0
    layout_rows: int = 0  # repeated headers, “合计…”/“填表人…” lines: not data, counted apart like blank rows

    def add(self, other: dict[str, int]) -> None:
        for key, value in other.items():
            setattr(self, key, getattr(self, key) + int(value))

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class RowSink(Protocol):
    """Receives the data rows of one chunk."""

    def add(self, row: int, cells: dict[str, Any], counts: Counts, rejects: list[RejectReason]) -> None: ...

    def flush(self, counts: Counts, rejects: list[RejectReason]) -> None: ...


# A stored record holds the row plus bookkeeping; DynamoDB's item limit is 400 KB (UTF-8 bytes of names and values).
MAX_RECORD_BYTES = 300 * 1024


def record_bytes(record: CanonicalRecord) -> int:
    """UTF-8 size of a validated row as it will be stored (its JSON form approximates the item's size).

    Ordinary rows are far below the limit: an upper bound (4 bytes a character) answers for them without
    serialising the record.
    """
    chars = sum(len(v) for v in record.fields.values()) + sum(len(v) for v in record.extra.values())
    if 4 * chars + 4096 < MAX_RECORD_BYTES:
        return 4 * chars + 4096
    return len(record.model_dump_json().encode("utf-8"))


class RecordSink:
    """Validates category rows and writes them to the ledger in batches."""

    def __init__(self, mapping: Any, ctx: UploadContext, deps: Deps) -> None:
        self.mapping = mapping
        self.ctx = ctx
        self.deps = deps
        self.today = ctx.validation_day(utc_now())
        self.pending: list[tuple[int, CanonicalRecord]] = []
        self.reps_seen: set[tuple[str, str]] = set()  # legal representatives this chunk already indexed
        self.register = RegisterCache(deps.tables.registry.lookup)

    def add(self, row: int, cells: dict[str, Any], counts: Counts, rejects: list[RejectReason]) -> None:
        if is_layout_row(self.mapping, cells):
            counts.read -= 1  # a repeated header, total or sign-off line is not a row of data
            counts.layout_rows += 1
            return
        result = validate_row(self.mapping, row, cells, today=self.today)
        if isinstance(result, list):
            counts.rejected += 1
            rejects.extend(result)
            return
        size = record_bytes(result)
        if size > MAX_RECORD_BYTES:
            # The reader bounds characters; this bounds the stored item (DynamoDB refuses items over 400 KB, and a
            # batch with one such item would fail after its audit entries were written).
            counts.rejected += 1
            reason = f"该行内容过大（约{size // 1024:,} KB，上限{MAX_RECORD_BYTES // 1024:,} KB），无法保存，请精简后重新上传该行"
            rejects.append(RejectReason(row=row, column="", value="", reason=reason))
            return
        self.pending.append((row, result))
        if len(self.pending) >= BATCH:
            self.flush(counts, rejects)

    def flush(self, counts: Counts, rejects: list[RejectReason]) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        apply_batch(batch, self.ctx, self.deps, counts, self.reps_seen, self.register)


def apply_batch(
    batch: list[tuple[int, CanonicalRecord]],
    ctx: UploadContext,
    deps: Deps,
    counts: Counts,
    reps_seen: set[tuple[str, str]] | None = None,
    register: RegisterCache | None = None,
) -> None:
    """Attribute, decide and write one batch of valid rows.

    The first audit entries of the records this batch creates, and of their breaches, go into one block (a single
    write; the department's intake lease means nobody else can be creating them). Entries that extend existing
    streams are appended one by one at the position each claims. Order: audit, breaches, records, so a crash
    leaves nothing the retry does not reproduce identically (``block`` is named after the upload and first row).
    """
    block = f"{ctx.upload_id}#{batch[0][0]}" if batch else ""
    tables = deps.tables
    ids = [record_id(ctx.department, rec.category, rec.doc_no, rec.action) for _, rec in batch]
    state: dict[str, LedgerEntry] = tables.records.get_many(ids)
    new_records = frozenset(ids) - state.keys()
    # A code decides alone when present (attribute() never falls back from it): 注册号 and names only without one.
    lookup = (register or RegisterCache(tables.registry.lookup)).lookup(
        (rec.uscc for _, rec in batch if rec.uscc),
        (rec.reg_no for _, rec in batch if rec.reg_no and not rec.uscc),
        (rec.subject_name for _, rec in batch if not rec.uscc),
    )
    writes: dict[str, LedgerEntry] = {}
    previous: list[LedgerEntry] = []
    audit_items: list[dict[str, Any]] = []
    block_items: list[dict[str, Any]] = []
    dues_on: dict[date, Dues] = {}
    collected_at = iso_utc(ctx.collected_at)
    for (row, rec), rid in zip(batch, ids, strict=True):
        found = attribute(
            rec.uscc,
            rec.reg_no,
            rec.subject_name,
            lookup,
            natural_person=rec.subject_kind == SubjectKind.NATURAL_PERSON,
        )
        dues = dues_on.get(rec.production_date)
        if dues is None:  # rows of a file share a few production days
            dues = dues_on[rec.production_date] = compute_dues(
                rec.production_date, ctx.producer_is_regulator, deps.calendar
            )
        decision = decide(
            state.get(rid),
            rid=rid,
            content=rec.content(),  # what decides duplicate vs correction
            row=row,
            ctx=ctx,
            dues=dues,
            attribution=found.outcome,
            attributed_uscc=found.subject.uscc if found.subject else None,
            attributed_name=found.subject.name if found.subject else None,
            cal=deps.calendar,
        )
        if decision.outcome == "duplicate":
            counts.duplicates += 1
            continue
        counts.accepted += 1
        if decision.outcome == "corrected":
            counts.corrected += 1
        entry = decision.entry if decision.entry is not None else state[rid]
        if entry.collection_late_days > 0:
            counts.late += 1
        if entry.held:
            counts.unattributed += 1
        if decision.entry is None:  # replay of an earlier attempt: already written
            continue
        seq = entry.audit_seq + 1
        item = AuditLog.make_item(
            f"REC#{rid}",
            seq,
            entry.audit_head or GENESIS,
            "corrected" if decision.outcome == "corrected" else "collected",
            f"department:{ctx.department}",
            {
                "version": entry.version,
                "digest": entry.digest,
                "previous_digest": decision.previous.digest if decision.previous else None,
                "source_key": ctx.source_key,
                "row": row,
                "collected_at": collected_at,
                "collect_due": str(entry.collect_due) if entry.collect_due else None,
                "publish_due": str(entry.publish_due),
                "late_working_days": entry.collection_late_days,
                "attribution": entry.attribution.value if entry.attribution else None,
                "attribution_zh": ATTRIBUTION_ZH[entry.attribution] if entry.attribution else None,
                "calendar_version": entry.calendar_version,
            },
            at=ctx.collected_at,  # deterministic, so a retried chunk reproduces the identical entry
        )
        opens_stream = seq == 1 and rid in new_records
        (block_items if opens_stream else audit_items).append(item)
        update: dict[str, Any] = {"audit_seq": seq, "audit_head": item["hash"]}
        if opens_stream:
            update["audit_block"] = f"{BLOCK_PREFIX}{block}"
        entry = entry.model_copy(update=update)
        state[rid] = entry
        writes[rid] = entry
        if decision.previous is not None:
            previous.append(decision.previous)
    if not writes:
        return
    as_of = local_date(ctx.collected_at)
    created = [e for rid, e in writes.items() if rid in new_records]
    breaches, breach_audit = open_for_new_records(
        created, deps, as_of=as_of, actor="intake", at=ctx.collected_at, block=f"{BLOCK_PREFIX}{block}"
    )
    # Audit first: a crash after it and before the ledger write replays the row, whose audit entry then
    # already exists at the same position with identical content (the block and append_many accept that).
    replay = tables.audit.write_block(block, block_items + breach_audit)
    tables.audit.append_many(audit_items)
    if replay:
        # A retried batch: a breach the first attempt stored may have moved on since (a scan announced it); keep it.
        tables.breaches.put_many(breaches)
    else:
        tables.breaches.put_new_many(breaches)
    tables.records.put_many(writes.values(), previous)
    reps = [r for r in legal_reps_of(writes.values()) if (r.name_key, r.uscc) not in (reps_seen or set())]
    tables.registry.index_legal_reps(reps)
    if reps_seen is not None:
        reps_seen.update((r.name_key, r.uscc) for r in reps)
    changed = [e for rid, e in writes.items() if rid not in new_records]
    if changed:
        reconcile(changed, deps, as_of=as_of, actor="intake")
