"""Public query use cases: find market subjects, and show what is published under one of them (no sign-in).

Only public information leaves here: a subject's registration identity (name, codes, type, region) and the
public views the publication run wrote (natural persons' ID numbers already masked there).
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.categories import CATEGORY_INFO, Category
from shared.identifiers import normalize_code
from shared.regions import is_fujian_region, region_name
from shared.registry import Subject
from shared.search import DEFAULT_PAGE, MAX_PAGE, Posting, SearchError, matches, plan, posting_of, search_names
from shared.services.deps import Deps
from shared.timeutil import local_date, parse_iso_utc

# How the national publicity system (国家企业信用信息公示系统) groups what it shows under an enterprise.
PUBLIC_GROUPS: tuple[tuple[str, tuple[Category, ...]], ...] = (
    (
        "基础信息",
        (
            Category.REGISTRATION,
            Category.CHATTEL_MORTGAGE,
            Category.EQUITY_PLEDGE,
            Category.IP_PLEDGE,
            Category.TRADEMARK,
            Category.SPOT_CHECK,
        ),
    ),
    ("行政许可信息", (Category.LICENSE,)),
    ("行政处罚信息", (Category.PENALTY,)),
    ("列入经营异常名录信息", (Category.ABNORMAL_OPERATION,)),
    ("列入严重违法失信企业名单（黑名单）信息", (Category.SERIOUS_VIOLATION,)),
    ("其他依法应当公示的信息", (Category.OTHER,)),
)
# Subjects examined at most for the publication filters (category / from / to), one query each.
MAX_FILTERED = 200


class PublicQuery(BaseModel):
    """``GET /public/subjects`` parameters."""

    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    q: str = ""
    region: str | None = None
    category: Category | None = None
    published_from: date | None = Field(None, alias="from")
    published_to: date | None = Field(None, alias="to")
    cursor: str | None = None
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE)

    @field_validator("region")
    @classmethod
    def _fujian(cls, value: str | None) -> str | None:
        if value and not is_fujian_region(value):
            raise ValueError("region 应为福建省的行政区划代码（如 350100）")
        return value or None


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError as exc:
        raise SearchError("cursor 无效，请从第一页重新查询") from exc
    if value < 0:
        raise SearchError("cursor 无效，请从第一页重新查询")
    return value


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _hit(p: Posting) -> dict[str, Any]:
    return {
        "uscc": p.uscc,
        "name": p.name,
        "type": p.type,
        "region_code": p.region_code,
        "region_name": region_name(p.region_code) if is_fujian_region(p.region_code) else None,
    }


def _published_on(view: dict[str, Any]) -> date | None:
    stamp = view.get("published_at")
    return local_date(parse_iso_utc(stamp)) if stamp else None


def _has_publication(uscc: str, query: PublicQuery, deps: Deps) -> bool:
    for view in deps.tables.registry.public_views(uscc, query.category):
        day = _published_on(view)
        if day is None:
            continue
        if query.published_from and day < query.published_from:
            continue
        if query.published_to and day > query.published_to:
            continue
        return True
    return False


def search_subjects(query: PublicQuery, deps: Deps) -> dict[str, Any]:
    """Ranked, paginated subjects matching the query (see :mod:`shared.search`)."""
    parsed = plan(query.q)
    truncated = False
    if parsed.code or parsed.reg_no:
        subject = deps.tables.registry.subject(parsed.code) if parsed.code else None
        if parsed.reg_no:
            subject = deps.tables.registry.lookup([], [parsed.reg_no], []).by_reg_no.get(parsed.reg_no)
        hits = [_posting_of(subject)] if subject and _in_region(subject, query.region) else []
    else:
        outcome = search_names(deps.tables.registry.names, parsed.words, query.region)
        hits, truncated = outcome.hits, outcome.truncated
    filtered = query.category is not None or query.published_from is not None or query.published_to is not None
    if filtered:
        truncated = truncated or len(hits) > MAX_FILTERED
        hits = [p for p in hits[:MAX_FILTERED] if _has_publication(p.uscc, query, deps)]
    start = _offset(query.cursor)
    page = hits[start : start + query.limit]
    more = start + query.limit < len(hits)
    return {
        "items": [_hit(p) for p in page],
        "total": len(hits),
        "next_cursor": _cursor(start + query.limit) if more else None,
        "truncated": truncated,
        "hint": "结果较多，仅列出最相关的部分，请输入更精确的查询条件" if truncated else None,
    }


def _posting_of(subject: Subject) -> Posting:
    return posting_of(subject.uscc, subject.name, subject.region_code, subject.type)


def _in_region(subject: Subject, region: str | None) -> bool:
    return matches(_posting_of(subject), (), region)


def subject_page(code: str, deps: Deps) -> dict[str, Any] | None:
    """What is published under one subject, grouped as the national publicity system groups it."""
    normalised = normalize_code(code) or ""
    subject = deps.tables.registry.subject(normalised)
    if subject is None and len(normalised) == 15:
        subject = deps.tables.registry.lookup([], [normalised], []).by_reg_no.get(normalised)
    if subject is None:
        return None
    views = deps.tables.registry.public_views(subject.uscc)
    by_category: dict[str, list[dict[str, Any]]] = {}
    for view in views:
        day = _published_on(view)
        record = {**view, "published_on": day.isoformat() if day else None}
        by_category.setdefault(view["category"], []).append(record)
    groups: list[dict[str, Any]] = []
    published: list[dict[str, Any]] = []
    for title, categories in PUBLIC_GROUPS:
        sections: list[dict[str, Any]] = [
            {
                "category": c.value,
                "title": CATEGORY_INFO[c].name_zh,
                "records": sorted(by_category.get(c.value, []), key=lambda r: r["published_on"] or "", reverse=True),
            }
            for c in categories
        ]
        for section in sections:
            published += section["records"]
        groups.append({"title": title, "sections": sections, "count": sum(len(s["records"]) for s in sections)})
    return {
        "uscc": subject.uscc,
        "name": subject.name,
        "type": subject.type,
        "reg_no": subject.reg_no,
        "region_code": subject.region_code,
        "region_name": region_name(subject.region_code) if is_fujian_region(subject.region_code) else None,
        "groups": groups,
        # Every published record in one list as well (the page's earlier shape, kept for existing consumers).
        "records": published,
    }
