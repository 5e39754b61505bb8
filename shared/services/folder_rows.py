"""The two non-category folders: production ledgers (台账) and publication confirmations.

Their headers and rows are mapped and validated by ``shared.columns`` / ``shared.records`` like any category;
this module applies the valid rows to the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.columns import HeaderError, map_ledger_headers, map_published_headers
from shared.ledger import LedgerEntry, UploadContext, compute_dues, expected_entry, record_id
from shared.records import RejectReason, validate_ledger_row, validate_published_row
from shared.services.context import Deps
from shared.services.publication import mark_published
from shared.timeutil import utc_now

__all__ = ["HeaderError", "LedgerSink", "PublishedSink"]


class LedgerSink:
    """Production-ledger rows: records a department produced, so never-collected ones can be flagged."""

    def __init__(self, headers: Sequence[str], ctx: UploadContext, deps: Deps) -> None:
        self.mapping = map_ledger_headers(headers)
        self.ctx = ctx
        self.deps = deps
        self.today = ctx.validation_day(utc_now())
        self.pending: list[LedgerEntry] = []

    def add(self, row: int, cells: dict[str, Any], counts: Any, rejects: list[RejectReason]) -> None:
        result = validate_ledger_row(self.mapping, row, cells, today=self.today)
        if isinstance(result, list):
            counts.rejected += 1
            rejects.extend(result)
            return
        rid = record_id(self.ctx.department, result.category, result.doc_no, result.action)
        dues = compute_dues(result.production_date, self.ctx.producer_is_regulator, self.deps.calendar)
        self.pending.append(
            expected_entry(
                rid=rid,
                department=self.ctx.department,
                region_code=self.ctx.region_code,
                category=result.category,
                doc_no=result.doc_no,
                action=result.action,
                production_date=result.production_date,
                dues=dues,
                subject_name=result.subject_name or "",
                uscc=result.uscc,
            )
        )
        if len(self.pending) >= 100:
            self.flush(counts, rejects)

    def flush(self, counts: Any, rejects: list[RejectReason]) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        existing = self.deps.tables.records.get_many(e.record_id for e in batch)
        writes: dict[str, LedgerEntry] = {}
        for entry in batch:
            old = writes.get(entry.record_id) or existing.get(entry.record_id)
            if old is None:
                writes[entry.record_id] = entry
                counts.accepted += 1
            elif not old.in_production_ledger:
                writes[entry.record_id] = old.model_copy(update={"in_production_ledger": True})
                counts.accepted += 1
            else:
                counts.duplicates += 1
        self.deps.tables.records.put_many(writes.values())


class PublishedSink:
    """Publication confirmations from an external publicity system (uploaded by the regulator)."""

    def __init__(self, headers: Sequence[str], ctx: UploadContext, deps: Deps) -> None:
        self.mapping = map_published_headers(headers)
        self.ctx = ctx
        self.deps = deps
        self.today = ctx.validation_day(utc_now())

    def add(self, row: int, cells: dict[str, Any], counts: Any, rejects: list[RejectReason]) -> None:
        result = validate_published_row(self.mapping, row, cells, today=self.today)
        if isinstance(result, list):
            counts.rejected += 1
            rejects.extend(result)
            return
        rid = result.record_id
        if not rid and result.category is not None:
            rid = record_id(result.department or "", result.category, result.doc_no or "", result.action)
        entry = self.deps.tables.records.get(rid) if rid else None
        if entry is None or not entry.collected:
            column = self.mapping.header_of("record_id") or self.mapping.header_of("doc_no") or ""
            counts.rejected += 1
            rejects.append(
                RejectReason(
                    row=row,
                    column=column,
                    value=result.record_id or result.doc_no or "",
                    reason="未找到对应的已归集记录（请核对记录ID，或部门代码、类别、文号）",
                )
            )
            return
        if entry.published_version >= entry.version:
            # This very upload applied it before a crash: a replay keeps its first outcome.
            if entry.published_source == self.ctx.upload_id:
                counts.accepted += 1
            else:
                counts.duplicates += 1
            return
        mark_published(
            [entry],
            result.published_at,
            self.deps,
            actor=f"department:{self.ctx.department}",
            source=self.ctx.upload_id,
        )
        counts.accepted += 1

    def flush(self, counts: Any, rejects: list[RejectReason]) -> None:
        return None
