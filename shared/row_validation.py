"""Row validation: one data row of an upload → a ``CanonicalRecord`` or the Chinese reasons it was rejected.

Every problem of a row is reported (not only the first), each naming the column as written in the file, the
value and the reason in Chinese, so a clerk can fix the row from the reject report alone.

Speed matters (500k-row files): ``compile_validator`` turns a ``HeaderMapping`` into a list of per-column
converter closures once; a row then costs one dict lookup and one small function call per mapped column, plus
the identity and date rules. The result is built with ``model_construct`` after these checks (the values are
already validated and normalised here; pydantic re-validation would double the per-row cost).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import partial

from pydantic import BaseModel, ConfigDict, field_validator

from shared.categories import CATEGORY_INFO, Category
from shared.column_specs import FieldKind, FieldSpec, FolderSchema
from shared.columns import HeaderMapping, parse_category
from shared.identifiers import (
    id_number_check_char,
    is_known_region,
    is_person_id_shape,
    is_valid_uscc,
    mask_id_number,
    mask_person_ids,
    normalize_code,
    org_code_problem,
    reg_no_problem,
    uscc_problem,
)
from shared.timeutil import BUSINESS_TZ

Cell = str | int | float | bool | date | datetime | None

EARLIEST_PRODUCTION_DATE = date(2000, 1, 1)
LONG_TERM = date(2099, 12, 31)  # 双公示: 2099-12-31 means 长期 (no end)
LIST_IN = "列入"
LIST_OUT = "移出"
EXCLUDED_STATISTICS_ZH = "统计抽查检查结果和企业统计年报不属于涉企信息归集范围（实施方案第三条）"
ROW_ERROR_KEY = "__error__"


class SubjectKind(StrEnum):
    """Who the record is about."""

    LEGAL_PERSON = "legal_person"
    INDIVIDUAL_BUSINESS = "individual_business"
    NATURAL_PERSON = "natural_person"
    UNKNOWN = "unknown"


class CanonicalRecord(BaseModel):
    """A validated record of one category, identified by (category, doc_no, action) within its department."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    category: Category
    doc_no: str  # normalised document number (NFKC, stripped, inner whitespace collapsed)
    action: str  # "" or "列入"/"移出"
    subject_name: str
    uscc: str | None
    reg_no: str | None
    subject_kind: SubjectKind
    id_number_masked: str | None  # natural persons: masked; the raw ID number is never stored
    production_date: date
    production_date_field: str
    production_date_fallback: bool
    fields: dict[str, str]  # canonical fields as text (dates ISO, amounts in 万元 as decimal text, IDs masked)
    extra: dict[str, str]  # unknown columns as text (embedded ID numbers masked)

    def content(self) -> dict[str, object]:
        """What decides duplicate vs correction: every field, as ``model_dump`` would give it (enums and the date
        serialise to the same JSON text), without pydantic's serialiser on the per-row path."""
        return {
            "category": self.category,
            "doc_no": self.doc_no,
            "action": self.action,
            "subject_name": self.subject_name,
            "uscc": self.uscc,
            "reg_no": self.reg_no,
            "subject_kind": self.subject_kind,
            "id_number_masked": self.id_number_masked,
            "production_date": self.production_date,
            "production_date_field": self.production_date_field,
            "production_date_fallback": self.production_date_fallback,
            "fields": self.fields,
            "extra": self.extra,
        }


class RejectReason(BaseModel):
    """One problem of one row, for the reject report."""

    model_config = ConfigDict(defer_build=True)

    row: int
    column: str  # the header as in the file ("" for a whole-row problem)
    value: str
    reason: str

    @field_validator("value", "reason")
    @classmethod
    def _no_person_ids(cls, text: str) -> str:
        # Reasons quote what the clerk typed; whatever quotes it, a person's ID number leaves the system masked.
        return mask_person_ids(text)


class ProductionListRow(BaseModel):
    """One line of a department's production list (台账): a record it produced."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    category: Category
    doc_no: str
    action: str
    production_date: date
    subject_name: str | None
    uscc: str | None
    reg_no: str | None
    extra: dict[str, str]


class PublicationConfirmation(BaseModel):
    """One line of a publication-confirmation file: a record and when it was published."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    record_id: str | None
    department: str | None
    category: Category | None
    doc_no: str | None
    action: str
    published_at: datetime  # UTC
    published_date: date  # Asia/Shanghai local date of publication


class FeedbackRow(BaseModel):
    """One line of a joint-punishment feedback file: which listing, what was done about it, and when."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    record_id: str | None
    department: str | None
    category: Category | None
    doc_no: str | None
    uscc: str | None
    measure: str
    measure_date: date
    note: str = ""


class _BadValueError(Exception):
    """A cell value failed its column's rule; ``reason`` is Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- dates ---------------------------------------------------------------------------------------------------
_EXCEL_EPOCH = date(1899, 12, 30)
_EMPTY_WORDS = frozenset({"", "空", "无", "暂无", "/", "-", "—", "——", "null", "NULL", "None", "none", "N/A", "n/a"})
_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[T\s]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(?:\.\d+)?秒?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\s*(\d{2}):?(\d{2}):?(\d{2}))?")


def _bad_date(text: str) -> ValueError:
    return ValueError(f"无法识别的日期“{text}”，请使用YYYY-MM-DD格式（如2026-11-03）")


def _parse_date_parts(value: Cell) -> tuple[date, time | None, bool] | None:
    """(date, time or None, True if the text carried a UTC offset already applied) or None for empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            local = value.astimezone(BUSINESS_TZ)
            return local.date(), local.time(), True
        return value.date(), value.time(), False
    if isinstance(value, date):
        return value, None, False
    if isinstance(value, bool):
        raise _bad_date(str(value))
    if isinstance(value, int | float):
        if value != value:  # NaN
            return None
        if 20000 <= value <= 80000:  # Excel serial day number (1954–2119)
            whole = int(value)
            seconds = min(round((float(value) - whole) * 86400), 86399)
            return (
                _EXCEL_EPOCH + timedelta(days=whole),
                (time(*divmod(seconds // 60, 60), seconds % 60) if seconds else None),
                False,
            )
        if isinstance(value, int) or value.is_integer():
            return _parse_date_parts(str(int(value)))
        raise _bad_date(repr(value))
    text = str(value).strip()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if text in _EMPTY_WORDS:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # fast path: ISO date
        try:
            return date.fromisoformat(text), None, False
        except ValueError:
            pass
    m = _DATE_RE.fullmatch(text) or _COMPACT_RE.fullmatch(text)
    if m is None:
        if text.isdigit() and len(text) == 5:
            return _parse_date_parts(int(text))
        raise _bad_date(text)
    groups = m.groups()
    try:
        day = date(int(groups[0]), int(groups[1]), int(groups[2]))
        clock = time(int(groups[3]), int(groups[4]), int(groups[5] or 0)) if groups[3] else None
    except ValueError:
        raise ValueError(f"日期“{text}”不存在") from None
    offset = groups[6] if len(groups) > 6 else None
    if offset:
        instant = datetime.fromisoformat(
            f"{day.isoformat()}T{(clock or time()).isoformat()}{offset.replace('Z', '+00:00')}"
        )
        local = instant.astimezone(BUSINESS_TZ)
        return local.date(), local.time(), True
    return day, clock, False


def parse_date(value: Cell) -> date | None:
    """A calendar date from a cell (ISO and Chinese forms, 20261103, Excel serials, XLSX dates); None if empty.

    Raises ValueError with a Chinese message for text that is not a date. A time part is ignored; a UTC offset
    is honoured (the date is the Asia/Shanghai local date of that instant).
    """
    parts = _parse_date_parts(value)
    return None if parts is None else parts[0]


def parse_instant(value: Cell) -> datetime | None:
    """A UTC instant from a cell; naive values are Asia/Shanghai local time, a bare date means local midnight."""
    parts = _parse_date_parts(value)
    if parts is None:
        return None
    day, clock, _ = parts
    return datetime.combine(day, clock or time(), tzinfo=BUSINESS_TZ).astimezone(UTC)


# --- cell text -----------------------------------------------------------------------------------------------
def _text(value: Cell) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() and value.tzinfo is None else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _show(value: Cell, personal: bool = False) -> str:
    """A cell value as shown in the reject report (ID numbers masked, long text shortened)."""
    s = _text(value)
    if personal:
        return mask_id_number(s)
    s = mask_person_ids(s)
    return s if len(s) <= 200 else s[:200] + "…"


# --- code lists ----------------------------------------------------------------------------------------------
_LICENSE_KINDS = ("普通", "特许", "认可", "核准", "登记", "其他")
_LICENSE_KIND_MAP: dict[str, str] = {k: k for k in _LICENSE_KINDS}
_LICENSE_KIND_MAP.update({f"0{i + 1}": k for i, k in enumerate(_LICENSE_KINDS)})
_LICENSE_KIND_MAP.update({str(i + 1): k for i, k in enumerate(_LICENSE_KINDS)})
_LICENSE_KIND_MAP["其它"] = "其他"

_PENALTY_KINDS = (
    "警告",
    "罚款",
    "没收违法所得、没收非法财物",
    "责令停产停业",
    "暂扣或者吊销许可证、暂扣或者吊销执照",
    "行政拘留",
    "其他",
)
# Kinds added by the 2021 行政处罚法 (第九条); real files use them, so they are accepted as they are.
_PENALTY_KINDS_2021 = ("通报批评", "降低资质等级", "限制开展生产经营活动", "责令关闭", "限制从业")
_CONFISCATE, _SUSPEND = _PENALTY_KINDS[2], _PENALTY_KINDS[4]
_PENALTY_TOKEN_MAP: dict[str, str] = {k: k for k in _PENALTY_KINDS + _PENALTY_KINDS_2021}
_PENALTY_TOKEN_MAP.update(
    {
        "没收违法所得": _CONFISCATE,
        "没收非法财物": _CONFISCATE,
        "没收违法所得和非法财物": _CONFISCATE,
        "没收违法所得及非法财物": _CONFISCATE,
        "没收": _CONFISCATE,
        "暂扣或者吊销许可证": _SUSPEND,
        "暂扣或者吊销执照": _SUSPEND,
        "暂扣或吊销许可证": _SUSPEND,
        "暂扣或吊销执照": _SUSPEND,
        "暂扣许可证": _SUSPEND,
        "吊销许可证": _SUSPEND,
        "暂扣执照": _SUSPEND,
        "吊销执照": _SUSPEND,
        "吊销营业执照": _SUSPEND,
        "暂扣许可证件": _SUSPEND,
        "吊销许可证件": _SUSPEND,
        "暂扣或者吊销许可证件": _SUSPEND,
        "责令停产": "责令停产停业",
        "责令停业": "责令停产停业",
        "其它": "其他",
    }
)
_PENALTY_SPLIT = re.compile(r"[;；,，、/\s]+")
_PAREN_NOTE = re.compile(r"\([^()]*\)")  # “罚款(2000元)”: a note in brackets after the kind
_PENALTY_ALLOWED_ZH = "；".join(_PENALTY_KINDS + _PENALTY_KINDS_2021)

_STATUS_MAP = {"0": "0", "1": "1", "2": "2", "3": "3", "正常": "0", "有效": "0", "撤销": "1", "已撤销": "1"}
_STATUS_MAP.update({"异议": "2", "其他": "3", "其它": "3"})

SUBJECT_LEGAL_ZH = "法人及非法人组织"
SUBJECT_NATURAL_ZH = "自然人"
SUBJECT_INDIVIDUAL_ZH = "个体工商户"
_SUBJECT_CATEGORY_MAP = {
    SUBJECT_LEGAL_ZH: SUBJECT_LEGAL_ZH,
    "法人和非法人组织": SUBJECT_LEGAL_ZH,
    "法人及其他组织": SUBJECT_LEGAL_ZH,
    "法人或其他组织": SUBJECT_LEGAL_ZH,
    "法人和其他组织": SUBJECT_LEGAL_ZH,
    "法人": SUBJECT_LEGAL_ZH,
    "非法人组织": SUBJECT_LEGAL_ZH,
    "其他组织": SUBJECT_LEGAL_ZH,
    "企业": SUBJECT_LEGAL_ZH,
    "单位": SUBJECT_LEGAL_ZH,
    SUBJECT_NATURAL_ZH: SUBJECT_NATURAL_ZH,
    "个人": SUBJECT_NATURAL_ZH,
    SUBJECT_INDIVIDUAL_ZH: SUBJECT_INDIVIDUAL_ZH,
    "个体户": SUBJECT_INDIVIDUAL_ZH,
    "个体": SUBJECT_INDIVIDUAL_ZH,
}
_ACTION_CODES = {"0": LIST_IN, "否": LIST_IN, "N": LIST_IN, "IN": LIST_IN, "1": LIST_OUT, "2": LIST_OUT}
_ACTION_CODES.update({"是": LIST_OUT, "Y": LIST_OUT, "OUT": LIST_OUT})
_LONG_WORDS = frozenset({"长期", "长期有效", "永久", "永久有效", "无固定期限", "无期限", "不限期"})


def _enum_text(value: Cell) -> str:
    s = _text(value)
    if not s.isascii():
        s = "".join(unicodedata.normalize("NFKC", s).split())
    return s


# --- converters ----------------------------------------------------------------------------------------------
Converter = Callable[[Cell], str | None]


def _code_converter(problem_of: Callable[[str], str | None], *, prefix: str = "") -> Callable[[Cell], str | None]:
    """A converter for an identifier column: normalise (case, full width, spaces, placeholders), then check."""

    def convert(v: Cell) -> str | None:
        code = normalize_code(v)
        if code is None:
            return None
        problem = problem_of(code)
        if problem:
            raise _BadValueError(prefix + problem)
        return code

    return convert


def _code_list(col: str, allowed: Mapping[str, str], shown: str) -> Callable[[Cell], str | None]:
    """A converter for a closed code list: blank → None, a known value → its canonical text, else a reason."""

    def convert(v: Cell) -> str | None:
        s = _enum_text(v)
        if not s or s in _EMPTY_WORDS:
            return None
        hit = allowed.get(s)
        if hit is None:
            raise _BadValueError(f"{col}填写的“{s}”无效，应为：{shown}")
        return hit

    return convert


def _too_long(col: str, max_len: int, s: str) -> _BadValueError:
    return _BadValueError(f"{col}超过{max_len}个字符（实际{len(s)}个）")


# One factory per field kind: (the column as quoted in reasons, the length limit, whether the header says 元) →
# the converter of that column's cells. The table below says which kind uses which.
def _text_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def text(v: Cell) -> str | None:
        s = v.strip() if type(v) is str else _text(v)
        if len(s) > max_len:
            raise _too_long(col, max_len, s)
        s = mask_person_ids(s)  # an ID typed into free text is still a person's ID
        return s or None

    return text


def _name_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def name(v: Cell) -> str | None:
        s = v.strip() if type(v) is str else _text(v)
        if len(s) > max_len:
            raise _too_long(col, max_len, s)
        return None if s in _EMPTY_WORDS else mask_person_ids(s)

    return name


def _doc_no_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def doc_no(v: Cell) -> str | None:
        s = v if type(v) is str else _text(v)
        if not s.isascii():
            s = unicodedata.normalize("NFKC", s)
        s = " ".join(s.split())
        if len(s) > max_len:
            raise _too_long(col, max_len, s)
        return None if s in _EMPTY_WORDS else s

    return doc_no


def _uscc_cells(col: str, max_len: int, yuan: bool) -> Converter:
    # A 注册号 in the credit-code column (“统一社会信用代码/注册号”) is moved to reg_no by the row rules.
    return _code_converter(
        lambda c: reg_no_problem(c) if len(c) != 18 and c.isdigit() and 13 <= len(c) <= 15 else uscc_problem(c)
    )


def _auth_uscc_cells(col: str, max_len: int, yuan: bool) -> Converter:
    return _code_converter(uscc_problem, prefix=f"{col}：")


def _reg_no_cells(col: str, max_len: int, yuan: bool) -> Converter:
    return _code_converter(lambda c: uscc_problem(c) if len(c) == 18 else reg_no_problem(c))


def _org_code_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def org_code(v: Cell) -> str | None:
        code = normalize_code(v)
        if code is None:
            return None
        if len(code) == 18 and is_valid_uscc(code):
            return code[8:17]  # a credit code in the org-code column: its positions 9–17 are the org code
        problem = org_code_problem(code)
        if problem:
            raise _BadValueError(problem)
        return code

    return org_code


def _id_number_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def id_number(v: Cell) -> str | None:
        code = normalize_code(v)
        if code is None:
            return None
        if len(code) == 18 and code[:17].isdigit():
            if id_number_check_char(code[:17]) != code[17]:
                raise _BadValueError(f"居民身份证号码校验位错误（应为{id_number_check_char(code[:17])}）")
        elif len(code) == 18 and is_valid_uscc(code):
            return code  # an organisation's credit code, not personal data
        return mask_id_number(code)

    return id_number


def _cert_no_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def cert_no(v: Cell) -> str | None:
        code = normalize_code(v)
        if code is None:
            return None
        if is_person_id_shape(code):
            return mask_id_number(code)
        if len(code) > max_len:
            raise _too_long(col, max_len, code)
        return code

    return cert_no


def _region_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def region(v: Cell) -> str | None:
        code = normalize_code(v)
        if code is None:
            return None
        if not (len(code) == 6 and code.isdigit() and is_known_region(code)):
            raise _BadValueError(f"{col}填写的“{code}”不是有效的行政区划代码（GB/T 2260，6位数字）")
        return code

    return region


def _date_cells(col: str, max_len: int, yuan: bool, *, allow_long: bool = False) -> Converter:
    def a_date(v: Cell) -> str | None:
        if allow_long and type(v) is str and v.strip() in _LONG_WORDS:
            return LONG_TERM.isoformat()
        try:
            d = parse_date(v)
        except ValueError as exc:
            raise _BadValueError(f"{col}：{exc}") from None
        return None if d is None else d.isoformat()

    return a_date


def _datetime_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def instant(v: Cell) -> str | None:
        try:
            at = parse_instant(v)
        except ValueError as exc:
            raise _BadValueError(f"{col}：{exc}") from None
        return None if at is None else at.isoformat()

    return instant


def _amount_cells(col: str, max_len: int, yuan: bool) -> Converter:
    return _amount_converter(col, yuan)


def _license_kind_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def license_kind(v: Cell) -> str | None:
        s = _enum_text(v)
        if not s or s in _EMPTY_WORDS:
            return None
        hit = _LICENSE_KIND_MAP.get(s) or _LICENSE_KIND_MAP.get(s.removesuffix("类").removesuffix("许可"))
        if hit is None:
            raise _BadValueError(f"{col}填写的“{s}”无效，应为：普通、特许、认可、核准、登记、其他（或代码01-06）")
        return hit

    return license_kind


def _penalty_kind_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def penalty_kind(v: Cell) -> str | None:
        s = _enum_text(v) if type(v) is not str else unicodedata.normalize("NFKC", v).strip()
        if not s or s in _EMPTY_WORDS:
            return None
        out: list[str] = []
        for token in _PENALTY_SPLIT.split(s):
            if not token:
                continue
            hit = _PENALTY_TOKEN_MAP.get(token) or _PENALTY_TOKEN_MAP.get(_PAREN_NOTE.sub("", token))
            if hit is None and token.startswith(("其他", "其它")):
                hit = "其他"
            if hit is None:
                raise _BadValueError(
                    f"{col}填写的“{token}”不是有效的处罚类别，应为：{_PENALTY_ALLOWED_ZH}（多个用分号分隔）"
                )
            if hit not in out:
                out.append(hit)
        return ";".join(out) or None

    return penalty_kind


def _status_cells(col: str, max_len: int, yuan: bool) -> Converter:
    return _code_list(col, _STATUS_MAP, "0正常、1撤销、2异议、3其他")


def _subject_category_cells(col: str, max_len: int, yuan: bool) -> Converter:
    return _code_list(col, _SUBJECT_CATEGORY_MAP, "法人及非法人组织、自然人、个体工商户")


def _action_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def action(v: Cell) -> str | None:
        s = _enum_text(v).upper()
        if not s or s in _EMPTY_WORDS:
            return None
        hit = _ACTION_CODES.get(s)
        if hit is None:
            if "移出" in s or "移除" in s or "恢复" in s or "撤销" in s:
                hit = LIST_OUT
            elif "列入" in s or "纳入" in s or "标记" in s:
                hit = LIST_IN
            else:
                raise _BadValueError(f"{col}填写的“{s}”无效，应为：列入、移出（或0列入、1移出）")
        return hit

    return action


def _category_cells(col: str, max_len: int, yuan: bool) -> Converter:
    def category(v: Cell) -> str | None:
        s = _text(v)
        if not s:
            return None
        hit = parse_category(s)
        if hit is None:
            names = "、".join(info.name_zh for info in CATEGORY_INFO.values())
            raise _BadValueError(f"{col}填写的“{s}”无法识别，应为以下类别之一：{names}（或其英文代码）")
        return hit.value

    return category


_CONVERTERS: dict[FieldKind, Callable[[str, int, bool], Converter]] = {
    FieldKind.TEXT: _text_cells,
    FieldKind.NAME: _name_cells,
    FieldKind.DOC_NO: _doc_no_cells,
    FieldKind.USCC: _uscc_cells,
    FieldKind.AUTH_USCC: _auth_uscc_cells,
    FieldKind.REG_NO: _reg_no_cells,
    FieldKind.ORG_CODE: _org_code_cells,
    FieldKind.ID_NUMBER: _id_number_cells,
    FieldKind.CERT_NO: _cert_no_cells,
    FieldKind.REGION: _region_cells,
    FieldKind.DATE: _date_cells,
    FieldKind.DATE_OR_LONG: partial(_date_cells, allow_long=True),
    FieldKind.DATETIME: _datetime_cells,
    FieldKind.AMOUNT: _amount_cells,
    FieldKind.LICENSE_KIND: _license_kind_cells,
    FieldKind.PENALTY_KIND: _penalty_kind_cells,
    FieldKind.STATUS: _status_cells,
    FieldKind.SUBJECT_CATEGORY: _subject_category_cells,
    FieldKind.ACTION: _action_cells,
    FieldKind.CATEGORY: _category_cells,
}


def _make_converter(spec: FieldSpec, header: str, yuan: bool) -> Converter:
    """The converter of one column: validates and normalises its cells (raises _BadValueError)."""
    return _CONVERTERS[spec.kind](f"“{header}”", spec.max_len, yuan)


_AMOUNT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_AMOUNT_PREFIXES = ("人民币", "¥", "￥", "RMB")


def _amount_converter(col: str, yuan_column: bool) -> Converter:
    def amount(v: Cell) -> str | None:
        if isinstance(v, bool):
            raise _BadValueError(f"{col}应填写金额数字（单位：万元）")
        in_yuan = yuan_column
        if isinstance(v, int):
            d = Decimal(v)
        elif isinstance(v, float):
            if v != v:
                return None
            d = Decimal(repr(v))
        else:
            s = _text(v)
            if not s.isascii():
                s = unicodedata.normalize("NFKC", s)
            s = s.replace(",", "").replace(" ", "")
            if s in _EMPTY_WORDS:
                return None
            raw = s
            for prefix in _AMOUNT_PREFIXES:
                s = s.removeprefix(prefix)
            # A unit written in the cell wins over the column's unit: “2000元” in a 万元 column is 0.2 万元.
            if s.endswith("万元"):
                s, in_yuan = s[:-2], False
            elif s.endswith("万"):
                s, in_yuan = s[:-1], False
            elif s.endswith("元"):
                s, in_yuan = s[:-1], True
            if not _AMOUNT_RE.fullmatch(s):
                raise _BadValueError(f"{col}填写的“{raw}”不是金额：只能填写数字（单位：万元），如0.2表示2000元")
            try:
                d = Decimal(s)
            except InvalidOperation:  # pragma: no cover - the regex admits only decimal literals
                raise _BadValueError(f"{col}填写的“{raw}”不是金额") from None
        if d < 0:
            raise _BadValueError(f"{col}金额不能为负数")
        if in_yuan:
            d = d.scaleb(-4)  # 元 → 万元, exact
        return format(d.normalize(), "f") if d else "0"

    return amount


# --- compiled row validator ----------------------------------------------------------------------------------
_PERSONAL_KINDS = frozenset({FieldKind.ID_NUMBER, FieldKind.CERT_NO})
# (later field, earlier field): the later date must not precede the earlier one.
_DATE_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    Category.LICENSE.value: (("valid_to", "decision_date"), ("valid_to", "valid_from")),
    Category.PENALTY.value: (("publicity_end", "decision_date"),),
    Category.ABNORMAL_OPERATION.value: (("remove_date", "list_in_date"),),
    Category.SERIOUS_VIOLATION.value: (("remove_date", "list_in_date"),),
}
# Statistical spot checks and statistical annual reports are outside the scope (BRIEF §3, 实施方案第三条).
_EXCLUSION_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    Category.SPOT_CHECK.value: (("check_type", "统计"), ("check_name", "统计"), ("check_authority", "统计")),
    Category.OTHER.value: (("info_category", "统计年报"), ("title", "统计年报")),
}


@dataclass(frozen=True, slots=True)
class _Step:
    header: str
    name: str
    convert: Converter
    personal: bool


class RowValidator:
    """Validates rows of one file; build it once per mapping with ``compile_validator``."""

    def __init__(self, mapping: HeaderMapping) -> None:
        self.mapping = mapping
        schema: FolderSchema = mapping.schema
        self.schema = schema
        self.folder = schema.folder
        by_name = schema.by_name
        self.steps: tuple[_Step, ...] = tuple(
            _Step(h, n, _make_converter(by_name[n], h, h in mapping.yuan_headers), by_name[n].kind in _PERSONAL_KINDS)
            for h, n in mapping.fields.items()
        )
        self.extra = tuple(mapping.extra)
        self.header = {n: h for h, n in mapping.fields.items()}
        self.label = {n: spec.label_zh for n, spec in by_name.items()}
        self.name_fields = tuple(n for n in schema.name_fields if n in self.header)
        self.cert_fallbacks = tuple(n for n in schema.code_fields[3:] if n in self.header)
        self.doc_fields = tuple(n for n in schema.doc_fields if n in self.header)
        self.date_order = tuple(
            (a, b) for a, b in _DATE_ORDER.get(self.folder, ()) if a in self.header and b in self.header
        )
        self.exclusions = tuple((n, w) for n, w in _EXCLUSION_FIELDS.get(self.folder, ()) if n in self.header)
        self.has_action = schema.has_action
        self.category = mapping.category

    def _reject(self, rejects: list[RejectReason], row: int, name: str, value: str, reason: str) -> None:
        rejects.append(RejectReason(row=row, column=self.header.get(name, ""), value=value, reason=reason))

    def _raw(self, cells: Mapping[str, Cell], name: str) -> str:
        """The cell as written (e.g. a placeholder “空” that counts as empty), for the reject report."""
        header = self.header.get(name)
        return _show(cells.get(header)) if header else ""

    def convert(self, row: int, cells: Mapping[str, Cell]) -> tuple[dict[str, str], dict[str, str], list[RejectReason]]:
        """Run every column's converter: (canonical fields, extra, rejects)."""
        fields: dict[str, str] = {}
        rejects: list[RejectReason] = []
        for step in self.steps:
            v = cells.get(step.header)
            if v is None or v == "":
                continue
            try:
                out = step.convert(v)
            except _BadValueError as exc:
                rejects.append(
                    RejectReason(row=row, column=step.header, value=_show(v, step.personal), reason=exc.reason)
                )
                continue
            if out is not None:
                fields[step.name] = out
        extra: dict[str, str] = {}
        for header in self.extra:
            v = cells.get(header)
            if v is None or v == "":
                continue
            s = mask_person_ids(_text(v))
            if s:
                extra[header] = s
        return fields, extra, rejects

    def _production_date(
        self, row: int, fields: dict[str, str], name: str, today: date, failed: set[str], rejects: list[RejectReason]
    ) -> date | None:
        text = fields.get(name)
        label = self.label[name]
        if text is None:
            if self.header.get(name) not in failed:
                self._reject(rejects, row, name, "", f"{label}为空：信息产生日期为必填项")
            return None
        day = date.fromisoformat(text)
        if day > today:
            self._reject(rejects, row, name, text, f"{label}{text}晚于今天（{today.isoformat()}），不能是将来的日期")
            return None
        if day < EARLIEST_PRODUCTION_DATE:
            self._reject(rejects, row, name, text, f"{label}{text}早于2000-01-01，请核对")
            return None
        return day

    def validate(self, row: int, cells: Mapping[str, Cell], today: date) -> CanonicalRecord | list[RejectReason]:
        """Validate one data row of a category file."""
        if ROW_ERROR_KEY in cells:
            return [RejectReason(row=row, column="", value="", reason=str(cells[ROW_ERROR_KEY]))]
        fields, extra, rejects = self.convert(row, cells)
        failed = {r.column for r in rejects}
        header = self.header

        # Subject name (or its stand-in, e.g. 抵押人 for chattel mortgages).
        subject_name = ""
        for n in self.name_fields:
            if n in fields:
                subject_name = fields[n]
                break
        if not subject_name and not failed.intersection(header.get(n) for n in self.name_fields):
            first = self.name_fields[0] if self.name_fields else "subject_name"
            self._reject(
                rejects, row, first, self._raw(cells, first), f"{self.label.get(first, '行政相对人名称')}为空（必填）"
            )

        # Identifiers: a 注册号 typed into the credit-code column (and vice versa) is taken for what it is.
        uscc = fields.get("uscc")
        reg_no = fields.get("reg_no")
        if uscc is not None and len(uscc) != 18:
            del fields["uscc"]
            if reg_no is None:
                reg_no = fields["reg_no"] = uscc
            uscc = None
        if reg_no is not None and len(reg_no) == 18:
            del fields["reg_no"]
            if uscc is None:
                uscc = fields["uscc"] = reg_no
            reg_no = None
        id_masked = fields.get("id_number")
        if id_masked is not None and "*" not in id_masked:
            id_masked = None  # a credit code in the ID column is not a person's ID
        if uscc is None and reg_no is None:
            for n in self.cert_fallbacks:
                cert = fields.get(n)
                if cert is None:
                    continue
                if len(cert) == 18 and uscc_problem(cert) is None:
                    uscc = cert
                elif cert.isdigit() and 13 <= len(cert) <= 15 and reg_no_problem(cert) is None:
                    reg_no = cert
                elif "*" in cert and id_masked is None:
                    id_masked = cert
                break
        category = fields.get("subject_category")
        kind = SubjectKind.UNKNOWN
        if uscc is not None:
            kind = (
                SubjectKind.INDIVIDUAL_BUSINESS
                if uscc.startswith("92") or category == SUBJECT_INDIVIDUAL_ZH
                else SubjectKind.LEGAL_PERSON
            )
        elif reg_no is not None:
            # GS15 sequence codes starting 6–9 are individual businesses (domain.md §c.3).
            individual = category == SUBJECT_INDIVIDUAL_ZH or (len(reg_no) == 15 and reg_no[6] in "6789")
            kind = SubjectKind.INDIVIDUAL_BUSINESS if individual else SubjectKind.LEGAL_PERSON
        elif id_masked is not None and category != SUBJECT_LEGAL_ZH:
            kind = SubjectKind.INDIVIDUAL_BUSINESS if category == SUBJECT_INDIVIDUAL_ZH else SubjectKind.NATURAL_PERSON
        else:
            code_headers = [header[n] for n in ("uscc", "reg_no", "id_number", *self.cert_fallbacks) if n in header]
            if not failed.intersection(code_headers):
                column = code_headers[0] if code_headers else ""
                if category == SUBJECT_NATURAL_ZH:
                    reason = "行政相对人类别为自然人，但证件号码为空"
                else:
                    reason = "统一社会信用代码和注册号均为空：至少填写一项（自然人填写证件号码）"
                value = _show(cells.get(column)) if column else ""
                rejects.append(RejectReason(row=row, column=column, value=value, reason=reason))
        if kind is SubjectKind.NATURAL_PERSON or kind is SubjectKind.INDIVIDUAL_BUSINESS:
            person_id = id_masked if uscc is None and reg_no is None else None
        else:
            person_id = None

        # List-in / list-out: explicit column, otherwise a filled 移出日期 means list-out.
        action = ""
        date_name = self.mapping.production_date_field
        if self.has_action:
            action = fields.get("action") or (LIST_OUT if "remove_date" in fields else LIST_IN)
            date_name = "remove_date" if action == LIST_OUT else "list_in_date"
            if date_name not in header:
                self._reject(rejects, row, "action", action, f"{action}记录需要{self.label[date_name]}，但文件没有该列")
                date_name = ""

        # Document number.
        doc_no = ""
        if action == LIST_OUT and "remove_doc_no" in fields:
            doc_no = fields["remove_doc_no"]
        else:
            for n in self.doc_fields:
                if n in fields and (n != "remove_doc_no" or action != LIST_IN):
                    doc_no = fields[n]
                    break
        derive = self.schema.doc_optional_with
        if not doc_no and derive is None and not failed.intersection(header[n] for n in self.doc_fields):
            first = self.doc_fields[0]
            self._reject(
                rejects, row, first, self._raw(cells, first), f"{self.label[first]}为空（必填）：文号用于识别记录"
            )

        production_date = self._production_date(row, fields, date_name, today, failed, rejects) if date_name else None
        if not doc_no and derive is not None and production_date is not None:
            # No 文号 in this kind of export: the subject, the date and what happened identify the record.
            who = uscc or reg_no or person_id or subject_name
            what = next((str(fields[n]) for n in derive if fields.get(n)), "")
            doc_no = "｜".join(p for p in ("无文号", who, production_date.isoformat(), what) if p)[:256]

        for later, earlier in self.date_order:
            a, b = fields.get(later), fields.get(earlier)
            if a is not None and b is not None and a < b:
                self._reject(rejects, row, later, a, f"{self.label[later]}（{a}）早于{self.label[earlier]}（{b}）")

        for n, word in self.exclusions:
            said = fields.get(n)
            if said is not None and word in said:
                self._reject(rejects, row, n, said, EXCLUDED_STATISTICS_ZH)

        if rejects or production_date is None or self.category is None:
            return rejects
        return CanonicalRecord.model_construct(
            category=self.category,
            doc_no=doc_no,
            action=action,
            subject_name=subject_name,
            uscc=uscc,
            reg_no=reg_no,
            subject_kind=kind,
            id_number_masked=person_id,
            production_date=production_date,
            production_date_field=date_name,
            production_date_fallback=self.mapping.production_date_fallback,
            fields=fields,
            extra=extra,
        )

    def validate_production(
        self, row: int, cells: Mapping[str, Cell], today: date
    ) -> ProductionListRow | list[RejectReason]:
        """Validate one line of a production list."""
        if ROW_ERROR_KEY in cells:
            return [RejectReason(row=row, column="", value="", reason=str(cells[ROW_ERROR_KEY]))]
        fields, extra, rejects = self.convert(row, cells)
        failed = {r.column for r in rejects}
        for n in ("doc_no", "category"):
            if n not in fields and self.header[n] not in failed:
                self._reject(rejects, row, n, "", f"{self.label[n]}为空（必填）")
        production_date = self._production_date(row, fields, "production_date", today, failed, rejects)
        if rejects or production_date is None:
            return rejects
        category = Category(fields["category"])
        action = fields.get("action", LIST_IN) if CATEGORY_INFO[category].has_action else ""
        uscc, reg_no = fields.get("uscc"), fields.get("reg_no")
        if uscc is not None and len(uscc) != 18:
            uscc, reg_no = None, reg_no or uscc
        return ProductionListRow(
            category=category,
            doc_no=fields["doc_no"],
            action=action,
            production_date=production_date,
            subject_name=fields.get("subject_name"),
            uscc=uscc,
            reg_no=reg_no,
            extra=extra,
        )

    def validate_published(
        self, row: int, cells: Mapping[str, Cell], today: date
    ) -> PublicationConfirmation | list[RejectReason]:
        """Validate one line of a publication-confirmation file."""
        if ROW_ERROR_KEY in cells:
            return [RejectReason(row=row, column="", value="", reason=str(cells[ROW_ERROR_KEY]))]
        fields, _, rejects = self.convert(row, cells)
        failed = {r.column for r in rejects}
        record_id = fields.get("record_id")
        if record_id is None and not failed:
            missing = [self.label[n] for n in ("department", "category", "doc_no") if n not in fields]
            if missing:
                column = self.header.get("record_id") or next(
                    (self.header[n] for n in ("department", "category", "doc_no") if n in self.header), ""
                )
                reason = f"记录ID为空时须填写部门代码、类别和文号，缺少：{'、'.join(missing)}"
                rejects.append(RejectReason(row=row, column=column, value="", reason=reason))
        published_at: datetime | None = None
        text = fields.get("published_at")
        if text is None:
            if self.header["published_at"] not in failed:
                self._reject(rejects, row, "published_at", "", f"{self.label['published_at']}为空（必填）")
        else:
            published_at = datetime.fromisoformat(text)
            local = published_at.astimezone(BUSINESS_TZ).date()
            if local > today:
                self._reject(
                    rejects, row, "published_at", text, f"公示日期{local.isoformat()}晚于今天，不能是将来的日期"
                )
        if rejects or published_at is None:
            return rejects
        category = Category(fields["category"]) if "category" in fields else None
        action = fields.get("action", "")
        if category is not None and CATEGORY_INFO[category].has_action and not action:
            action = LIST_IN
        return PublicationConfirmation(
            record_id=record_id,
            department=fields.get("department"),
            category=category,
            doc_no=fields.get("doc_no"),
            action=action,
            published_at=published_at,
            published_date=published_at.astimezone(BUSINESS_TZ).date(),
        )

    def validate_feedback(self, row: int, cells: Mapping[str, Cell], today: date) -> FeedbackRow | list[RejectReason]:
        """Validate one line of a feedback file (the listing is looked up by the caller)."""
        if ROW_ERROR_KEY in cells:
            return [RejectReason(row=row, column="", value="", reason=str(cells[ROW_ERROR_KEY]))]
        fields, _, rejects = self.convert(row, cells)
        failed = {r.column for r in rejects}
        identified = (
            "record_id" in fields
            or {"department", "category", "doc_no"} <= set(fields)
            or {"uscc", "doc_no"} <= set(fields)
        )
        if not identified and not failed:
            column = next((self.header[n] for n in ("record_id", "doc_no") if n in self.header), "")
            reason = (
                "未写明被反馈的名单：请填写记录ID，或发布部门代码、名单类别和列入文号，或统一社会信用代码和列入文号"
            )
            rejects.append(RejectReason(row=row, column=column, value="", reason=reason))
        for name in ("measure", "measure_date"):
            if name not in fields and self.header.get(name) not in failed:
                self._reject(rejects, row, name, "", f"{self.label[name]}为空（必填）")
        measure_date = date.fromisoformat(fields["measure_date"]) if "measure_date" in fields else None
        if measure_date is not None and measure_date > today:
            self._reject(
                rejects,
                row,
                "measure_date",
                fields["measure_date"],
                f"措施日期{measure_date}晚于今天，不能是将来的日期",
            )
        if rejects or measure_date is None:
            return rejects
        return FeedbackRow(
            record_id=fields.get("record_id"),
            department=fields.get("department"),
            category=Category(fields["category"]) if "category" in fields else None,
            doc_no=fields.get("doc_no"),
            uscc=fields.get("uscc"),
            measure=fields["measure"],
            measure_date=measure_date,
            note=fields.get("note", ""),
        )


def compile_validator(mapping: HeaderMapping) -> RowValidator:
    """The row validator for a mapping, built once and memoised on the mapping."""
    validator = mapping.memo.get("validator")
    if not isinstance(validator, RowValidator):
        validator = mapping.memo["validator"] = RowValidator(mapping)
    return validator


def validate_row(
    mapping: HeaderMapping, row_number: int, cells: Mapping[str, Cell], *, today: date
) -> CanonicalRecord | list[RejectReason]:
    """Validate one data row of a category file into a record, or every reason (Chinese) it is rejected."""
    return compile_validator(mapping).validate(row_number, cells, today)


def validate_production_row(
    mapping: HeaderMapping, row_number: int, cells: Mapping[str, Cell], *, today: date
) -> ProductionListRow | list[RejectReason]:
    """Validate one line of a production list (mapping from ``columns.map_production_headers``)."""
    return compile_validator(mapping).validate_production(row_number, cells, today)


def validate_published_row(
    mapping: HeaderMapping, row_number: int, cells: Mapping[str, Cell], *, today: date
) -> PublicationConfirmation | list[RejectReason]:
    """Validate one line of a publication-confirmation file (mapping from ``columns.map_published_headers``)."""
    return compile_validator(mapping).validate_published(row_number, cells, today)


def validate_feedback_row(
    mapping: HeaderMapping, row_number: int, cells: Mapping[str, Cell], *, today: date
) -> FeedbackRow | list[RejectReason]:
    """Validate one line of a feedback file (mapping from ``columns.map_feedback_headers``)."""
    return compile_validator(mapping).validate_feedback(row_number, cells, today)


_FOOTER = re.compile(
    r"^(合计|总计|小计|共计|填表人|填报人|制表人|审核人|负责人|联系人|联系电话|填报单位|填表日期|制表日期|备注|说明|注)"
    r"(\s*[:：].*|\s*[0-9共].*|\s*)$"
)


def is_layout_row(mapping: HeaderMapping, cells: Mapping[str, Cell]) -> bool:
    """A row that belongs to the sheet's layout, not its data: the header repeated (paged exports) or a total /
    sign-off line under the table (“合计：120条”, “填表人：张三”).

    A total line only when every identifying column (name, code, document number) is empty or holds such a word
    and at most three cells are filled; anything else is a data row and is validated (and rejected with reasons
    if incomplete).
    """
    filled = [(h, str(v).strip()) for h, v in cells.items() if v is not None and str(v).strip()]
    if not filled:
        return False
    if len(filled) >= 2 and all(_same_header(h, v) for h, v in filled):
        return True
    if len(filled) > 3:
        return False
    schema = mapping.schema
    identifying = set(schema.name_fields) | set(schema.code_fields) | set(schema.doc_fields)
    for header, value in filled:
        if mapping.fields.get(header) in identifying and not _FOOTER.match(value):
            return False
    return any(_FOOTER.match(v) for _, v in filled)


def _same_header(header: str, value: str) -> bool:
    return unicodedata.normalize("NFKC", header).strip() == unicodedata.normalize("NFKC", value).strip()
