"""The ledger: one entry per record identity, its versions, due dates and the duplicate/correction decision.

A record's identity is (department, category, document number, list-in/list-out action) — BRIEF §3. Its id is a
short digest of that identity so it is stable across uploads and safe in a URL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from shared.categories import COLLECT_DAYS, PUBLISH_DAYS, Category, has_collection_clock
from shared.registry import LegalRep
from shared.timeutil import local_date


class DueCalendar(Protocol):
    """The part of the working-day calendar the ledger needs."""

    def due_date(self, d: date, n: int) -> date: ...

    def due_date_is_provisional(self, d: date, n: int) -> bool: ...

    def working_days_between(self, start: date, end: date) -> int: ...

    @property
    def version(self) -> str: ...


class Attribution(StrEnum):
    """How a record was matched to the market-subject register (decides publication)."""

    MATCHED = "matched"  # code (or 注册号) found and the name agrees
    NAME_ONLY = "name_only"  # no usable code, exactly one subject of that name
    NAME_DIFFERS = "name_differs"  # code found, name disagrees with the register: held
    CODE_UNKNOWN = "code_unknown"  # code not in the register: held
    NO_SUBJECT = "no_subject"  # no code and no name match: held
    # A natural person (自然人) is not a market subject: the record is collected (双公示 feeds carry such rows)
    # but there is no enterprise to publish it under, so no publication clock runs and nothing waits in the queue.
    NATURAL_PERSON = "natural_person"

    @property
    def publishable(self) -> bool:
        return self in (Attribution.MATCHED, Attribution.NAME_ONLY)

    @property
    def held(self) -> bool:
        return not self.publishable and self is not Attribution.NATURAL_PERSON


ATTRIBUTION_ZH: dict[Attribution, str] = {
    Attribution.MATCHED: "已记于市场主体名下",
    Attribution.NAME_ONLY: "按名称记于市场主体名下",
    Attribution.NAME_DIFFERS: "统一社会信用代码与名称不一致，待人工处理",
    Attribution.CODE_UNKNOWN: "市场主体登记库中无此代码，待人工处理",
    Attribution.NO_SUBJECT: "无法匹配市场主体，待人工处理",
    Attribution.NATURAL_PERSON: "行政相对人为自然人，不记于市场主体名下",
}

Outcome = Literal["accepted", "corrected", "duplicate"]


class Dues(BaseModel):
    """Due dates of one record under the calendar in force."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    collect_due: date | None
    publish_due: date
    provisional: bool
    calendar_version: str


def compute_dues(production_date: date, producer_is_regulator: bool, cal: DueCalendar) -> Dues:
    """The 7- and 20-working-day due dates (BRIEF §3 "Counting" and "Which clocks apply")."""
    collect = has_collection_clock(producer_is_regulator)
    return Dues(
        collect_due=cal.due_date(production_date, COLLECT_DAYS) if collect else None,
        publish_due=cal.due_date(production_date, PUBLISH_DAYS),
        provisional=cal.due_date_is_provisional(production_date, PUBLISH_DAYS),
        calendar_version=cal.version,
    )


def record_id(department: str, category: Category | str, doc_no: str, action: str = "") -> str:
    """Stable id of a record identity: 24 hex characters of SHA-256."""
    text = "\x1f".join((department, str(category), doc_no, action))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def content_digest(content: dict[str, Any]) -> str:
    """Digest of a record's content, independent of key order."""
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class LedgerEntry(BaseModel):
    """Current state of one record (the ``CUR`` item of the records table)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    record_id: str
    department: str
    region_code: str  # the producing department's region (jurisdiction)
    category: Category
    doc_no: str
    action: str = ""
    subject_name: str = ""
    uscc: str | None = None
    reg_no: str | None = None
    subject_kind: str = "unknown"
    id_number_masked: str | None = None
    production_date: date
    production_date_field: str = ""
    production_date_fallback: bool = False
    collect_due: date | None = None
    publish_due: date
    provisional: bool = False
    calendar_version: str = ""
    # Collection: None while the record is only known from a production list.
    collected_at: datetime | None = None
    collection_late_days: int = 0  # working days late (0 = on time or no collection clock)
    attribution: Attribution | None = None
    attributed_uscc: str | None = None
    attributed_name: str | None = None
    held: bool = False
    held_reason: str = ""
    rejected_by_regulator: str = ""  # a held record the regulator rejected (reason sent back to the department)
    published_at: datetime | None = None
    published_version: int = 0
    published_source: str = ""  # what published it: "guiji" (the run) or the confirmation upload's id
    version: int = 0  # 0: expected from a production list, never collected
    digest: str = ""
    source_key: str = ""
    source_row: int = 0
    upload_id: str = ""
    last_outcome: str = ""
    in_production_ledger: bool = False
    feedback_ids: list[str] = []  # joint-punishment feedback received on this listing (联合惩戒反馈)
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    audit_seq: int = 0
    audit_head: str = ""
    audit_block: str | None = None  # where the stream's first entry was written, when it went in a block

    @property
    def collected(self) -> bool:
        return self.collected_at is not None

    @property
    def publication_required(self) -> bool:
        """Whether the 20-day publication clock applies (not for natural persons, who have no enterprise page)."""
        return self.attribution is not Attribution.NATURAL_PERSON

    @property
    def needs_publication(self) -> bool:
        """Collected, attributable and this version not yet published."""
        return (
            self.collected
            and not self.held
            and not self.rejected_by_regulator
            and self.attribution is not None
            and self.attribution.publishable
            and self.published_version < self.version
        )


class UploadContext(BaseModel):
    """Where a batch of rows came from."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    upload_id: str
    department: str
    region_code: str
    producer_is_regulator: bool
    source_key: str
    collected_at: datetime

    def validation_day(self, now: datetime) -> date:
        """The local date rows are checked against ("not in the future"): today, or a back-dated collection's
        day if that is later."""
        return max(local_date(now), local_date(self.collected_at))


class Decision(BaseModel):
    """What to do with one valid row."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    outcome: Outcome
    entry: LedgerEntry | None  # the new state to write; None when nothing changes
    previous: LedgerEntry | None = None  # the version a correction replaces (kept readable)
    replay: bool = False  # the row was already applied by an earlier attempt of this same upload


def decide(
    existing: LedgerEntry | None,
    *,
    rid: str,
    content: dict[str, Any],
    row: int,
    ctx: UploadContext,
    dues: Dues,
    attribution: Attribution,
    attributed_uscc: str | None,
    attributed_name: str | None,
    cal: DueCalendar,
) -> Decision:
    """Decide whether a valid row is new, a duplicate or a correction, and build the resulting entry.

    ``content`` holds the canonical fields of the row (identity, subject, production date, fields, extra).
    A retry of the same upload finds its own earlier writes (same upload id and row) and reports them with
    their original outcome, so a crash half-way through a file neither loses nor double-counts a row.
    """
    digest = content_digest(content)
    if existing is not None and existing.digest == digest and existing.version > 0:
        if existing.upload_id == ctx.upload_id and existing.source_row == row:
            return Decision(outcome=_as_outcome(existing.last_outcome), entry=None, replay=True)
        return Decision(outcome="duplicate", entry=None)

    first_collection = existing is None or existing.version == 0
    collected_at = ctx.collected_at if first_collection or existing is None else existing.collected_at
    assert collected_at is not None
    late_days = 0
    if dues.collect_due is not None:
        collected_on = local_date(collected_at)
        if collected_on > dues.collect_due:
            late_days = cal.working_days_between(dues.collect_due, collected_on)
    outcome: Outcome = "accepted" if first_collection else "corrected"
    held = attribution.held
    base = existing.model_dump() if existing is not None else {}
    entry = LedgerEntry.model_validate(
        {
            **base,
            "record_id": rid,
            "department": ctx.department,
            "region_code": ctx.region_code,
            **{k: content[k] for k in _ENTRY_CONTENT_KEYS},
            "collect_due": dues.collect_due,
            "publish_due": dues.publish_due,
            "provisional": dues.provisional,
            "calendar_version": dues.calendar_version,
            "collected_at": collected_at,
            "collection_late_days": late_days,
            "attribution": attribution,
            "attributed_uscc": attributed_uscc,
            "attributed_name": attributed_name,
            "held": held,
            "held_reason": ATTRIBUTION_ZH[attribution] if held else "",
            "rejected_by_regulator": "",
            "version": (existing.version if existing is not None else 0) + 1,
            "digest": digest,
            "source_key": ctx.source_key,
            "source_row": row,
            "upload_id": ctx.upload_id,
            "last_outcome": outcome,
        }
    )
    previous = existing if existing is not None and existing.version > 0 else None
    return Decision(outcome=outcome, entry=entry, previous=previous)


_ENTRY_CONTENT_KEYS = (
    "category",
    "doc_no",
    "action",
    "subject_name",
    "uscc",
    "reg_no",
    "subject_kind",
    "id_number_masked",
    "production_date",
    "production_date_field",
    "production_date_fallback",
    "fields",
    "extra",
)


def _as_outcome(text: str) -> Outcome:
    return "corrected" if text == "corrected" else "accepted"


def expected_entry(
    *,
    rid: str,
    department: str,
    region_code: str,
    category: Category,
    doc_no: str,
    action: str,
    production_date: date,
    dues: Dues,
    subject_name: str = "",
    uscc: str | None = None,
) -> LedgerEntry:
    """An entry known only from a department's production list (produced, not yet collected)."""
    return LedgerEntry(
        record_id=rid,
        department=department,
        region_code=region_code,
        category=category,
        doc_no=doc_no,
        action=action,
        subject_name=subject_name,
        uscc=uscc,
        production_date=production_date,
        production_date_field="production_ledger",
        collect_due=dues.collect_due,
        publish_due=dues.publish_due,
        provisional=dues.provisional,
        calendar_version=dues.calendar_version,
        in_production_ledger=True,
    )


def legal_reps_of(entries: Iterable[LedgerEntry]) -> list[LegalRep]:
    """The legal representatives records name for the market subjects they are attributed to."""
    reps = []
    for e in entries:
        name = e.fields.get("legal_rep", "")
        code = e.attributed_uscc or e.uscc
        if name and code and e.attribution is not Attribution.NATURAL_PERSON:
            reps.append(
                LegalRep(
                    name=name,
                    uscc=code,
                    subject_name=e.attributed_name or e.subject_name,
                    id_masked=e.fields.get("legal_rep_id_number", ""),
                    source=e.record_id,
                )
            )
    return reps
