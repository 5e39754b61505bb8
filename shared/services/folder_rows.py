"""The two non-category folders: production ledgers (台账) and publication confirmations.

Both are small guiji-defined tables, so their header aliases live here rather than in ``shared.columns``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from shared.categories import CATEGORY_INFO, Category
from shared.ledger import LedgerEntry, UploadContext, compute_dues, expected_entry, record_id
from shared.records import RejectReason, parse_date
from shared.registry import normalize_name
from shared.services.context import Deps
from shared.services.publication import mark_published, published_instant
from shared.timeutil import BUSINESS_TZ, parse_iso_utc

LEDGER_ALIASES: dict[str, tuple[str, ...]] = {
    "doc_no": (
        "doc_no",
        "record_id",
        "记录编号",
        "文号",
        "决定书文号",
        "登记编号",
        "许可文件编号",
        "行政处罚决定书文号",
    ),
    "category": ("category", "信息类别", "类别", "信息类型"),
    "production_date": ("production_date", "产生日期", "信息产生日期", "信息产生之日", "决定日期", "日期"),
    "action": ("action", "列入/移出", "列入移出", "操作类型"),
    "subject_name": ("subject_name", "name", "名称", "企业名称", "行政相对人名称"),
    "uscc": ("uscc", "统一社会信用代码"),
}
PUBLISHED_ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": ("record_id", "记录ID", "记录标识", "guiji_id"),
    "department": ("department", "部门代码", "部门统一社会信用代码", "数据来源单位代码"),
    "category": ("category", "信息类别", "类别"),
    "doc_no": ("doc_no", "文号", "决定书文号", "登记编号", "记录编号"),
    "action": ("action", "列入/移出", "列入移出"),
    "published_at": ("published_at", "公示时间", "公示日期", "发布时间"),
}
_CATEGORY_NAMES: dict[str, Category] = {c.value: c for c in Category}
_CATEGORY_NAMES |= {info.name_zh: cat for cat, info in CATEGORY_INFO.items()}
_CATEGORY_NAMES |= {"许可": Category.LICENSE, "处罚": Category.PENALTY, "经营异常": Category.ABNORMAL_OPERATION}
_CATEGORY_NAMES |= {"严重违法失信": Category.SERIOUS_VIOLATION, "黑名单": Category.SERIOUS_VIOLATION}
_CATEGORY_NAMES |= {"抽查检查": Category.SPOT_CHECK, "商标": Category.TRADEMARK, "股权出质": Category.EQUITY_PLEDGE}
_CATEGORY_NAMES |= {"动产抵押": Category.CHATTEL_MORTGAGE, "知识产权出质": Category.IP_PLEDGE}


def _key(text: str) -> str:
    return normalize_name(text).lower()


def _mapping(headers: Sequence[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    wanted = {_key(a): f for f, names in aliases.items() for a in names}
    out: dict[str, str] = {}
    for h in headers:
        f = wanted.get(_key(h))
        if f and f not in out:
            out[f] = h
    return out


def looks_like_ledger_header(cells: Sequence[str]) -> bool:
    return {"doc_no", "category", "production_date"} <= set(_mapping(cells, LEDGER_ALIASES))


def looks_like_published_header(cells: Sequence[str]) -> bool:
    found = set(_mapping(cells, PUBLISHED_ALIASES))
    return "published_at" in found and ("record_id" in found or {"department", "category", "doc_no"} <= found)


def parse_category(text: str) -> Category | None:
    return _CATEGORY_NAMES.get(normalize_name(text)) or _CATEGORY_NAMES.get(text.strip().lower())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class LedgerSink:
    """Production-ledger rows: records a department produced, so never-collected ones can be flagged."""

    def __init__(self, headers: Sequence[str], ctx: UploadContext, deps: Deps) -> None:
        self.cols = _mapping(headers, LEDGER_ALIASES)
        self.ctx = ctx
        self.deps = deps
        self.pending: list[tuple[int, LedgerEntry]] = []

    def add(self, row: int, cells: dict[str, Any], counts: Any, rejects: list[RejectReason]) -> None:
        get = {f: _text(cells.get(h)) for f, h in self.cols.items()}
        problems: list[RejectReason] = []
        doc_no = get.get("doc_no", "")
        if not doc_no:
            problems.append(RejectReason(row=row, column=self.cols["doc_no"], value="", reason="缺少记录编号/文号"))
        category = parse_category(get.get("category", ""))
        if category is None:
            problems.append(
                RejectReason(
                    row=row,
                    column=self.cols["category"],
                    value=get.get("category", ""),
                    reason="信息类别无法识别（应为类别目录名，如 penalty，或中文名称，如 行政处罚）",
                )
            )
        produced: date | None = None
        try:
            produced = parse_date(cells.get(self.cols["production_date"]))
        except ValueError as exc:
            problems.append(
                RejectReason(
                    row=row, column=self.cols["production_date"], value=get["production_date"], reason=str(exc)
                )
            )
        if produced is None and not problems:
            problems.append(
                RejectReason(row=row, column=self.cols["production_date"], value="", reason="缺少信息产生日期")
            )
        if problems or category is None or produced is None:
            counts.rejected += 1
            rejects.extend(problems)
            return
        action = get.get("action", "")
        rid = record_id(self.ctx.department, category, doc_no, action)
        dues = compute_dues(produced, self.ctx.producer_is_regulator, self.deps.calendar)
        entry = expected_entry(
            rid=rid,
            department=self.ctx.department,
            region_code=self.ctx.region_code,
            category=category,
            doc_no=doc_no,
            action=action,
            production_date=produced,
            dues=dues,
            subject_name=get.get("subject_name", ""),
            uscc=get.get("uscc") or None,
        )
        self.pending.append((row, entry))
        if len(self.pending) >= 100:
            self.flush(counts, rejects)

    def flush(self, counts: Any, rejects: list[RejectReason]) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        existing = self.deps.tables.records.get_many(e.record_id for _, e in batch)
        writes: dict[str, LedgerEntry] = {}
        for _, entry in batch:
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
        self.cols = _mapping(headers, PUBLISHED_ALIASES)
        self.ctx = ctx
        self.deps = deps

    def add(self, row: int, cells: dict[str, Any], counts: Any, rejects: list[RejectReason]) -> None:
        get = {f: _text(cells.get(h)) for f, h in self.cols.items()}
        rid = get.get("record_id", "")
        if not rid:
            category = parse_category(get.get("category", ""))
            if category is not None:
                rid = record_id(get.get("department", ""), category, get.get("doc_no", ""), get.get("action", ""))
        instant = self._instant(cells.get(self.cols["published_at"]))
        entry = self.deps.tables.records.get(rid) if rid else None
        column = self.cols.get("record_id") or self.cols.get("doc_no", "")
        reason = None
        if instant is None:
            reason, column = "公示时间缺失或无法识别", self.cols["published_at"]
        elif entry is None or not entry.collected:
            reason = "未找到对应的已归集记录（请核对记录ID或部门代码、类别、文号）"
        if reason:
            counts.rejected += 1
            rejects.append(
                RejectReason(row=row, column=column, value=get.get("record_id") or get.get("doc_no", ""), reason=reason)
            )
            return
        assert entry is not None and instant is not None
        if entry.published_version >= entry.version:
            counts.duplicates += 1
            return
        mark_published(
            [entry], instant, self.deps, actor=f"department:{self.ctx.department}", source=self.ctx.source_key
        )
        counts.accepted += 1

    def flush(self, counts: Any, rejects: list[RejectReason]) -> None:
        return None

    @staticmethod
    def _instant(value: Any) -> datetime | None:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=BUSINESS_TZ)
        text = _text(value)
        if not text:
            return None
        try:
            if "T" in text or ("+" in text[10:]) or text.endswith("Z"):
                return parse_iso_utc(text)
            if len(text) > 10 and ":" in text:
                return datetime.fromisoformat(text.replace("/", "-")).replace(tzinfo=BUSINESS_TZ)
        except ValueError:
            pass
        try:
            day = parse_date(value)
        except ValueError:
            return None
        return published_instant(day) if day else None
