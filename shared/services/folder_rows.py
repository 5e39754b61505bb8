"""The non-category folders: production lists (台账), publication confirmations and joint-punishment feedback.

Their headers and rows are mapped and validated by ``shared.columns`` / ``shared.row_validation`` like any category;
this module applies the valid rows to the ledger.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from shared.categories import CATEGORY_INFO
from shared.columns import HeaderError, map_feedback_headers, map_production_headers, map_published_headers
from shared.ledger import LedgerEntry, UploadContext, compute_dues, expected_entry, record_id
from shared.row_validation import (
    LIST_IN,
    FeedbackRow,
    RejectReason,
    validate_feedback_row,
    validate_production_row,
    validate_published_row,
)
from shared.services.deps import Deps
from shared.services.publication import audit_record_event, mark_published
from shared.timeutil import iso_utc, utc_now

__all__ = ["FeedbackSink", "HeaderError", "ProductionListSink", "PublishedSink"]


class ProductionListSink:
    """Production-ledger rows: records a department produced, so never-collected ones can be flagged."""

    def __init__(self, headers: Sequence[str], ctx: UploadContext, deps: Deps) -> None:
        self.mapping = map_production_headers(headers)
        self.ctx = ctx
        self.deps = deps
        self.today = ctx.validation_day(utc_now())
        self.pending: list[LedgerEntry] = []

    def add(self, row: int, cells: dict[str, Any], counts: Any, rejects: list[RejectReason]) -> None:
        result = validate_production_row(self.mapping, row, cells, today=self.today)
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


class FeedbackSink:
    """Joint-punishment feedback (联合惩戒反馈): a department reports what it did about another's published listing.

    Each accepted line is kept under the listing (``feedback_of``), audited on the listing's own stream, counted on
    the listing (``feedback_ids``, which also makes a re-uploaded line a duplicate) and reported to the publishing
    department in its receipts folder. The listing's audit entry is built from the upload's instant, so a replay
    after a crash reproduces it exactly.
    """

    def __init__(self, headers: Sequence[str], ctx: UploadContext, deps: Deps) -> None:
        self.mapping = map_feedback_headers(headers)
        self.ctx = ctx
        self.deps = deps
        self.today = ctx.validation_day(utc_now())

    def _reject(self, row: int, name: str, value: str, reason: str, counts: Any, rejects: list[RejectReason]) -> None:
        counts.rejected += 1
        rejects.append(RejectReason(row=row, column=self.mapping.header_of(name) or "", value=value, reason=reason))

    def _listing(self, fb: FeedbackRow) -> tuple[LedgerEntry | None, str]:
        """The listing a line names, or None and why not."""
        records = self.deps.tables.records
        if fb.record_id:
            return records.get(fb.record_id), "未找到该记录ID对应的记录"
        if fb.department and fb.category and fb.doc_no:
            action = LIST_IN if CATEGORY_INFO[fb.category].has_action else ""
            rid = record_id(fb.department, fb.category, fb.doc_no, action)
            return records.get(rid), "未找到该部门、类别和文号对应的记录"
        matches = [
            e
            for e in records.about_subject(fb.uscc or "")
            if e.doc_no == fb.doc_no and (fb.category is None or e.category == fb.category)
        ]
        if len(matches) > 1:
            return None, "该统一社会信用代码和文号对应多条记录，请改填记录ID"
        return (matches[0] if matches else None), "未找到该统一社会信用代码和文号对应的记录"

    def add(self, row: int, cells: dict[str, Any], counts: Any, rejects: list[RejectReason]) -> None:
        fb = validate_feedback_row(self.mapping, row, cells, today=self.today)
        if isinstance(fb, list):
            counts.rejected += 1
            rejects.extend(fb)
            return
        entry, why = self._listing(fb)
        which = "record_id" if fb.record_id else "doc_no"
        named = fb.record_id or fb.doc_no or ""
        if entry is None or not entry.collected:
            return self._reject(row, which, named, why, counts, rejects)
        if entry.published_at is None:
            return self._reject(row, which, named, "该信息尚未公示，不能反馈联合惩戒措施", counts, rejects)
        if entry.department == self.ctx.department:
            return self._reject(row, which, named, "不能对本部门发布的信息反馈联合惩戒措施", counts, rejects)
        if fb.uscc and fb.uscc not in (entry.attributed_uscc, entry.uscc):
            reason = f"统一社会信用代码与该记录的市场主体（{entry.attributed_uscc or entry.uscc}）不一致"
            return self._reject(row, "uscc", fb.uscc, reason, counts, rejects)
        if fb.measure_date < entry.production_date:
            reason = f"措施日期早于该信息的产生日期（{entry.production_date.isoformat()}）"
            return self._reject(row, "measure_date", fb.measure_date.isoformat(), reason, counts, rejects)
        key = "|".join((entry.record_id, self.ctx.department, fb.measure, fb.measure_date.isoformat()))
        feedback_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
        if feedback_id in entry.feedback_ids:
            stored = next(
                (
                    f
                    for f in self.deps.tables.records.feedback_of(entry.record_id)
                    if f.get("feedback_id") == feedback_id
                ),
                {},
            )
            if stored.get("upload_id") == self.ctx.upload_id and stored.get("row") == row:
                counts.accepted += 1  # this very line recorded it before a crash: a replay keeps its outcome
            else:
                counts.duplicates += 1
            return
        self._record(entry, fb, feedback_id, row)
        counts.accepted += 1

    def _record(self, entry: LedgerEntry, fb: FeedbackRow, feedback_id: str, row: int) -> None:
        deps, ctx = self.deps, self.ctx
        department = deps.tables.registry.department(ctx.department)
        name = department.name if department else ctx.department
        detail = {
            "feedback_id": feedback_id,
            "department": ctx.department,
            "department_name": name,
            "measure": fb.measure,
            "measure_date": fb.measure_date.isoformat(),
            "note": fb.note,
        }
        audit, anchored = audit_record_event(
            entry,
            "feedback_received",
            f"department:{ctx.department}",
            {**detail, "upload_id": ctx.upload_id},
            ctx.collected_at,
        )
        deps.tables.audit.append_many([audit])
        item = {
            **detail,
            "record_id": entry.record_id,
            "upload_id": ctx.upload_id,
            "source_key": ctx.source_key,
            "row": row,
            "at": iso_utc(ctx.collected_at),
        }
        deps.tables.records.add_feedback(entry.record_id, feedback_id, item)
        updated = anchored.model_copy(update={"feedback_ids": [*entry.feedback_ids, feedback_id]})
        deps.tables.records.put(updated, expect_version=entry.version)
        publisher = deps.tables.registry.department(entry.department)
        deps.objects.put_json(
            deps.settings.intake_bucket,
            f"receipts/{entry.department}/{entry.category.value}/feedback/{feedback_id}.json",
            {
                **detail,
                "record_id": entry.record_id,
                "doc_no": entry.doc_no,
                "subject_name": entry.attributed_name or entry.subject_name,
                "uscc": entry.attributed_uscc or entry.uscc,
                "message": (
                    f"{name}对贵单位{publisher.name if publisher else ''}公示的"
                    f"{CATEGORY_INFO[entry.category].name_zh}（文号“{entry.doc_no or '无文号'}”，"
                    f"市场主体“{entry.attributed_name or entry.subject_name}”）反馈了联合惩戒措施："
                    f"{fb.measure}（{fb.measure_date.isoformat()}）。"
                ),
                "at": iso_utc(ctx.collected_at),
            },
        )

    def flush(self, counts: Any, rejects: list[RejectReason]) -> None:
        return None
