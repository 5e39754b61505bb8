"""Header mapping: which column of an uploaded file holds which canonical field.

Departments push files with four header styles (domain.md §a, §g-1): Chinese names (many variants), the
双公示 2016 codes (``XK_XDR``, ``CF_CFLB1`` …), the 双公示 2019+ codes (``XK_XDR_MC``, ``CF_NR_FK`` …), SAIC /
公示系统 codes (``EntName``, ``UniSCID``, ``PenDecNo`` …) and snake_case English (the canonical names below).

Matching ignores case, whitespace, ``_`` and ``-``, full-width/half-width forms, bracket styles (（）【】[]〔〕),
leading/trailing ``*`` and required-markers such as “（必填）”. When a header is not known as written, a
bracketed suffix is dropped (“罚款金额（万元）” → 罚款金额), then the bracket's content is tried
(“行政相对人代码_1（统一社会信用代码）” → 统一社会信用代码), then the parts of “A/B”. Unknown headers are kept
as ``extra`` and never cause a rejection. When two headers map to the same field, the better alias wins and
the other header becomes extra.

The fields themselves, their aliases and the folders' schemas are :mod:`shared.column_specs`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from shared.categories import (
    CATEGORY_INFO,
    FEEDBACK_FOLDER,
    PRODUCTION_FOLDER,
    PUBLISHED_FOLDER,
    Category,
    folder_name_zh,
)
from shared.column_specs import FALLBACK_NOTES, SCHEMAS, FieldKind, FolderSchema


class HeaderError(Exception):
    """A file's header lacks a column every row needs; ``reason_zh`` says what is missing and what was found."""

    def __init__(self, reason_zh: str) -> None:
        super().__init__(reason_zh)
        self.reason_zh = reason_zh


@dataclass(frozen=True)
class HeaderMapping:
    """How one file's headers map to canonical fields of its folder (a category, ``ledger`` or ``published``)."""

    category: Category | None
    fields: dict[str, str]  # source header -> canonical field
    extra: list[str]  # unknown headers (kept in the record's `extra`, never rejected)
    production_date_field: str  # canonical field used for the production date
    production_date_fallback: bool  # True when a weaker field stands in (licence 有效期自)
    folder: str = ""  # category slug, "ledger" or "published"
    yuan_headers: frozenset[str] = frozenset()  # amount columns whose header says 元: converted to 万元
    fallback_note_zh: str = ""  # receipt note when production_date_fallback is True
    # Per-mapping memo (compiled row validators live here); not part of the mapping's value.
    memo: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def header_of(self, canonical: str) -> str | None:
        """The source header mapped to a canonical field, if any."""
        for header, name in self.fields.items():
            if name == canonical:
                return header
        return None

    @property
    def schema(self) -> FolderSchema:
        """The folder schema this mapping was built from."""
        return SCHEMAS[self.folder or (self.category.value if self.category else "")]


# --- header normalisation and lookup ------------------------------------------------------------------------
_BRACKETS = str.maketrans(
    {"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "{": "(", "}": ")", "〈": "(", "〉": ")",
     "《": None, "》": None, "_": None, "-": None, "·": None, "\"": None, "'": None, "“": None, "”": None}
)  # fmt: skip
_MARKERS = re.compile(r"\((?:必填|必填项|必选|选填|可选|非必填|可空|不可空|required|optional)\)")
_PARENS = re.compile(r"\([^()]*\)")
_PAREN_CONTENT = re.compile(r"\(([^()]*)\)")
_SPLIT = re.compile(r"[/、或]")


def normalize_header(header: str) -> str:
    """The comparison key of a header: NFKC, lower case, no spaces/underscores/hyphens, () brackets, no markers."""
    s = unicodedata.normalize("NFKC", str(header)).lower()
    s = "".join(s.split()).translate(_BRACKETS)
    s = _MARKERS.sub("", s).strip("*:")
    return s


@cache
def _alias_index(folder: str) -> dict[str, tuple[str, int]]:
    """Normalised alias -> (canonical field, priority) for a folder; earlier definitions win."""
    index: dict[str, tuple[str, int]] = {}
    rank = 0
    for spec in SCHEMAS[folder].fields:
        for alias in spec.aliases:
            key = normalize_header(alias)
            if key and key not in index:
                index[key] = (spec.name, rank)
            rank += 1
    return index


def _match(index: dict[str, tuple[str, int]], header: str) -> tuple[str, tuple[int, int]] | None:
    """Canonical field for a header and a sort key (match quality, alias rank); None if unknown."""
    key = normalize_header(header)
    if not key:
        return None
    hit = index.get(key)
    if hit:
        return hit[0], (0, hit[1])
    stripped = _PARENS.sub("", key) if "(" in key else key
    if stripped != key and (hit := index.get(stripped)):
        return hit[0], (1, hit[1])
    for content in _PAREN_CONTENT.findall(key):
        if hit := index.get(content):
            return hit[0], (2, hit[1])
    if _SPLIT.search(stripped):
        for part in _SPLIT.split(stripped):
            if part and (hit := index.get(part)):
                return hit[0], (3, hit[1])
    return None


def _is_yuan(header: str) -> bool:
    key = normalize_header(header)
    return "万" not in key and ("(元)" in key or "(人民币元)" in key or key.endswith("元"))


def _examples(schema: FolderSchema, name: str) -> str:
    spec = schema.by_name[name]
    shown = [a for a in spec.aliases if a != name][:3]
    return f"{spec.label_zh}（如：{'、'.join(dict.fromkeys(shown))}）"


def _map(schema: FolderSchema, headers: Sequence[str]) -> HeaderMapping:
    index = _alias_index(schema.folder)
    best: dict[str, tuple[tuple[int, int], str]] = {}
    extra: list[str] = []
    for header in headers:
        hit = _match(index, header) if header else None
        if hit is None:
            extra.append(header)
            continue
        name, rank = hit
        current = best.get(name)
        if current is None:
            best[name] = (rank, header)
        elif rank < current[0]:
            extra.append(current[1])
            best[name] = (rank, header)
        else:
            extra.append(header)
    present = set(best)
    missing: list[str] = []
    if schema.name_fields and not present.intersection(schema.name_fields):
        missing.append(_examples(schema, schema.name_fields[0]))
    if schema.code_fields and not present.intersection(schema.code_fields):
        missing.append("统一社会信用代码或注册号（如：统一社会信用代码、UniSCID、工商注册号、RegNO；自然人为证件号码）")
    if schema.folder == PUBLISHED_FOLDER:
        if "record_id" not in present and not {"department", "category", "doc_no"} <= present:
            missing.append("记录ID，或部门代码、类别和文号")
    elif schema.folder == FEEDBACK_FOLDER:
        identified = {"department", "category", "doc_no"} <= present or {"uscc", "doc_no"} <= present
        if "record_id" not in present and not identified:
            missing.append(
                "被反馈名单的记录ID，或（发布部门代码、名单类别、列入文号），或（统一社会信用代码、列入文号）"
            )
        if "measure" not in present:
            missing.append(_examples(schema, "measure"))
    elif schema.folder == PRODUCTION_FOLDER:
        for name in ("doc_no", "category"):
            if name not in present:
                missing.append(_examples(schema, name))
    elif not present.intersection(schema.doc_fields) and schema.doc_optional_with is None:
        missing.append(_examples(schema, "doc_no"))
    date_field, weak = "", False
    for candidate, candidate_weak in schema.production_dates:
        if candidate in present:
            date_field, weak = candidate, candidate_weak
            break
    if not date_field:
        labels = [schema.by_name[name].label_zh for name, _ in schema.production_dates]
        first = _examples(schema, schema.production_dates[0][0])
        missing.append(first if len(labels) == 1 else f"{first}，或{'、'.join(labels[1:])}")
    if missing:
        found = "、".join(f"“{h}”" for h in headers[:40] if h) or "（无）"
        if len(headers) > 40:
            found += f"等{len(headers)}列"
        what = CATEGORY_INFO[schema.category].name_zh if schema.category else folder_name_zh(schema.folder)
        raise HeaderError(f"{what}文件的表头缺少必需的列：{'；'.join(missing)}。文件中的表头为：{found}")
    fields = {header: name for name, (_, header) in best.items()}
    amount_names = {s.name for s in schema.fields if s.kind is FieldKind.AMOUNT}
    yuan = frozenset(h for h, n in fields.items() if n in amount_names and _is_yuan(h))
    return HeaderMapping(
        category=schema.category,
        fields={h: fields[h] for h in headers if h in fields},  # keep the file's column order
        extra=extra,
        production_date_field=date_field,
        production_date_fallback=weak,
        folder=schema.folder,
        yuan_headers=yuan,
        fallback_note_zh=FALLBACK_NOTES.get((schema.folder, date_field), "") if weak else "",
    )


def map_headers(category: Category, headers: Sequence[str]) -> HeaderMapping:
    """Map a category file's headers to canonical fields; HeaderError if a required column is missing."""
    return _map(SCHEMAS[Category(category).value], headers)


def map_production_headers(headers: Sequence[str]) -> HeaderMapping:
    """Map a production list's headers (``ledger`` folder); HeaderError if a required column is missing."""
    return _map(SCHEMAS[PRODUCTION_FOLDER], headers)


def map_feedback_headers(headers: Sequence[str]) -> HeaderMapping:
    """Map a joint-punishment feedback file's headers (``feedback`` folder); HeaderError if incomplete."""
    return _map(SCHEMAS[FEEDBACK_FOLDER], headers)


def map_published_headers(headers: Sequence[str]) -> HeaderMapping:
    """Map a publication-confirmation file's headers (``published`` folder); HeaderError if incomplete."""
    return _map(SCHEMAS[PUBLISHED_FOLDER], headers)


def map_folder_headers(folder: str, headers: Sequence[str]) -> HeaderMapping:
    """Map headers for any intake folder: a category slug, ``ledger`` or ``published``."""
    if folder not in SCHEMAS:
        raise KeyError(folder)
    return _map(SCHEMAS[folder], headers)


def _looks_like(schema: FolderSchema, cells: Sequence[str], anchors: tuple[str, ...]) -> bool:
    index = _alias_index(schema.folder)
    names: set[str] = set()
    for cell in cells:
        if cell and len(cell) <= 80:  # a title row's long sentence is never a header
            hit = _match(index, cell)
            if hit:
                names.add(hit[0])
    return len(names) >= 2 and bool(names.intersection(anchors))


def looks_like_header(category: Category, cells: Sequence[str]) -> bool:
    """True if a row looks like the header of a category file: >= 2 known fields incl. a name or code column."""
    schema = SCHEMAS[Category(category).value]
    return _looks_like(schema, cells, schema.name_fields + schema.code_fields)


def looks_like_production_header(cells: Sequence[str]) -> bool:
    """True if a row looks like a production list's header (document number plus category or date)."""
    schema = SCHEMAS[PRODUCTION_FOLDER]
    return _looks_like(schema, cells, ("doc_no",))


def looks_like_published_header(cells: Sequence[str]) -> bool:
    """True if a row looks like a publication-confirmation header (an identifying column plus another)."""
    schema = SCHEMAS[PUBLISHED_FOLDER]
    return _looks_like(schema, cells, ("record_id", "doc_no"))


def looks_like_folder_header(folder: str, cells: Sequence[str]) -> bool:
    """``looks_like_header`` for any intake folder."""
    if folder == PRODUCTION_FOLDER:
        return looks_like_production_header(cells)
    if folder == PUBLISHED_FOLDER:
        return looks_like_published_header(cells)
    if folder == FEEDBACK_FOLDER:
        return _looks_like(SCHEMAS[FEEDBACK_FOLDER], cells, ("record_id", "doc_no", "measure"))
    return looks_like_header(Category(folder), cells)


_CATEGORY_WORDS: tuple[tuple[str, Category], ...] = (
    ("知识产权出质", Category.IP_PLEDGE),
    ("股权出质", Category.EQUITY_PLEDGE),
    ("动产抵押", Category.CHATTEL_MORTGAGE),
    ("商标", Category.TRADEMARK),
    ("经营异常", Category.ABNORMAL_OPERATION),
    ("严重违法", Category.SERIOUS_VIOLATION),
    ("失信", Category.SERIOUS_VIOLATION),
    ("抽查", Category.SPOT_CHECK),
    ("检查", Category.SPOT_CHECK),
    ("处罚", Category.PENALTY),
    ("许可", Category.LICENSE),
    ("注册登记", Category.REGISTRATION),
    ("登记备案", Category.REGISTRATION),
    ("设立登记", Category.REGISTRATION),
    ("变更登记", Category.REGISTRATION),
    ("注销登记", Category.REGISTRATION),
    ("备案", Category.REGISTRATION),
    ("其他", Category.OTHER),
)


def parse_category(value: str) -> Category | None:
    """A category from its slug (``penalty``), its Chinese name (行政处罚) or a close variant; None if unknown."""
    text = unicodedata.normalize("NFKC", value).strip()
    low = text.lower().replace("-", "_").replace(" ", "_")
    try:
        return Category(low)
    except ValueError:
        pass
    for info in CATEGORY_INFO.values():
        if text == info.name_zh:
            return info.category
    for word, category in _CATEGORY_WORDS:
        if word in text:
            return category
    return None
