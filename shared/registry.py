"""Department registry and market-subject register: models and loading from CSV/XLSX rows (BRIEF §4)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

from shared.identifiers import is_valid_reg_no, normalize_code, uscc_problem
from shared.regions import is_fujian_region, is_known_region_code, region_level

SubjectType = Literal["enterprise", "individual_business", "cooperative"]

DEPARTMENT_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "统一社会信用代码", "部门统一社会信用代码", "部门代码"),
    "name": ("name", "部门名称", "名称", "单位名称"),
    "region_code": ("region_code", "行政区划代码", "区划代码", "地区代码"),
    "level": ("level", "层级", "级别"),
    "is_regulator": ("is_regulator", "是否市场监管部门", "是否市场监管", "市场监管部门"),
    "supervisor_emails": ("supervisor_emails", "督查联系人", "督查联系人邮箱", "联系人邮箱"),
}
SUBJECT_HEADERS: dict[str, tuple[str, ...]] = {
    "uscc": ("uscc", "统一社会信用代码", "信用代码"),
    "name": ("name", "名称", "企业名称", "市场主体名称"),
    "region_code": ("region_code", "行政区划代码", "区划代码", "地区代码"),
    "type": ("type", "类型", "主体类型", "市场主体类型"),
    "reg_no": ("reg_no", "注册号", "工商注册号"),
    "legal_rep": ("legal_rep", "法定代表人", "法定代表人（负责人）", "负责人", "经营者"),
}
_LEVELS = {"province": "province", "省": "province", "省级": "province", "city": "city", "市": "city"}
_LEVELS |= {"市级": "city", "设区市": "city", "county": "county", "县": "county", "县级": "county", "区县": "county"}
_TYPES: dict[str, SubjectType] = {
    "enterprise": "enterprise",
    "企业": "enterprise",
    "individual_business": "individual_business",
    "个体工商户": "individual_business",
    "个体": "individual_business",
    "cooperative": "cooperative",
    "农民专业合作社": "cooperative",
    "合作社": "cooperative",
}
_TRUE = {"true", "1", "yes", "y", "是", "√", "t"}
_FALSE = {"false", "0", "no", "n", "否", "", "f"}


def normalize_name(name: str) -> str:
    """Compare names as a clerk would: full-width/half-width, brackets and spaces do not matter."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(text.split()).replace("（", "(").replace("）", ")")


class Department(BaseModel):
    """A data-providing department, identified by its own 统一社会信用代码."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    code: str
    name: str
    region_code: str
    level: Literal["province", "city", "county"]
    is_regulator: bool = False
    supervisor_emails: tuple[str, ...] = ()


class LegalRep(BaseModel):
    """A legal representative (法定代表人) of a subject, as the register or a record names them. The ID number is
    only ever kept masked, as the intake stores it."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    name: str
    uscc: str
    subject_name: str = ""
    id_masked: str = ""
    source: str = ""  # "register" or the record id it was read from

    @staticmethod
    def key_of(name: str) -> str:
        """The name as it is matched: width folded, spaces and the middle dot of minority names removed."""
        folded = unicodedata.normalize("NFKC", name or "")
        return "".join(ch for ch in folded if not ch.isspace() and ch not in "·•．.").strip()

    @property
    def name_key(self) -> str:
        return self.key_of(self.name)


class Subject(BaseModel):
    """A market subject in the register records are matched against."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    uscc: str
    name: str
    region_code: str = ""
    type: SubjectType = "enterprise"
    reg_no: str | None = None
    legal_rep: str = ""

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()


class RegistryRowError(BaseModel):
    """One registry row that could not be loaded."""

    model_config = ConfigDict(defer_build=True)

    row: int
    reason: str


def _header_map(headers: Sequence[str], spec: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    wanted = {normalize_name(alias).lower(): field for field, aliases in spec.items() for alias in aliases}
    mapping: dict[str, str] = {}
    for header in headers:
        field = wanted.get(normalize_name(header).lower())
        if field and field not in mapping.values():
            mapping[header] = field
    return mapping


def department_header(cells: Sequence[str]) -> bool:
    """Is this row the header of a department registry file?"""
    return {"code", "name", "region_code"} <= set(_header_map(cells, DEPARTMENT_HEADERS).values())


def subject_header(cells: Sequence[str]) -> bool:
    """Is this row the header of a market-subject register file?"""
    return {"uscc", "name"} <= set(_header_map(cells, SUBJECT_HEADERS).values())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


Row = dict[str, str]
T = TypeVar("T", Department, Subject)


def _parse(
    headers: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    spec: Mapping[str, tuple[str, ...]],
    build: Callable[[Row, list[str]], T | None],
) -> tuple[list[T], list[RegistryRowError]]:
    """Map and validate registry rows; a row with problems is reported with all of them, never dropped silently."""
    mapping = _header_map(headers, spec)
    good: list[T] = []
    bad: list[RegistryRowError] = []
    for number, cells in rows:
        row = {field: _text(cells.get(header)) for header, field in mapping.items()}
        problems: list[str] = []
        item = build(row, problems)
        if problems or item is None:
            bad.append(RegistryRowError(row=number, reason="；".join(problems)))
        else:
            good.append(item)
    return good, bad


def _code(row: Row, key: str, missing: str, problems: list[str]) -> str:
    code = normalize_code(row.get(key)) or ""
    problem = uscc_problem(code) if code else missing
    if problem:
        problems.append(problem)
    return code


def _department(row: Row, problems: list[str]) -> Department | None:
    code = _code(row, "code", "缺少部门统一社会信用代码", problems)
    if not row.get("name"):
        problems.append("缺少部门名称")
    region = row.get("region_code", "")
    if not is_fujian_region(region):
        problems.append(f"行政区划代码“{region}”不是福建省的行政区划")
    level_text = row.get("level", "").lower()
    level = _LEVELS.get(level_text) if level_text else (region_level(region).value if not problems else None)
    if level is None:
        problems.append(f"层级“{row.get('level', '')}”无法识别（应为 province/city/county 或 省/市/县）")
    flag = row.get("is_regulator", "").lower()
    if flag not in _TRUE | _FALSE:
        problems.append(f"是否市场监管部门“{row.get('is_regulator')}”应为 true/false 或 是/否")
    if problems:
        return None
    emails = tuple(e.strip() for e in row.get("supervisor_emails", "").replace("；", ";").split(";") if e.strip())
    return Department(
        code=code,
        name=row["name"],
        region_code=region,
        level=level,
        is_regulator=flag in _TRUE,
        supervisor_emails=emails,
    )


def _subject(row: Row, problems: list[str]) -> Subject | None:
    code = _code(row, "uscc", "缺少统一社会信用代码", problems)
    if not row.get("name"):
        problems.append("缺少名称")
    region = row.get("region_code", "")
    if region and not is_known_region_code(region):
        problems.append(f"行政区划代码“{region}”不存在")
    reg_no = normalize_code(row.get("reg_no"))
    if reg_no and not is_valid_reg_no(reg_no):
        problems.append(f"注册号“{reg_no}”校验位错误")
    type_text = row.get("type", "").lower()
    subject_type = _TYPES.get(type_text) if type_text else _type_from_code(code)
    if subject_type is None:
        problems.append(f"主体类型“{row.get('type')}”无法识别（enterprise/individual_business/cooperative）")
    if problems or subject_type is None:
        return None
    return Subject(
        uscc=code,
        name=row["name"],
        region_code=region,
        type=subject_type,
        reg_no=reg_no,
        legal_rep=row.get("legal_rep", ""),
    )


def parse_departments(
    headers: Sequence[str], rows: Iterable[tuple[int, Mapping[str, Any]]]
) -> tuple[list[Department], list[RegistryRowError]]:
    """Validate department rows (BRIEF §4 columns, English or Chinese headers)."""
    return _parse(headers, rows, DEPARTMENT_HEADERS, _department)


def parse_subjects(
    headers: Sequence[str], rows: Iterable[tuple[int, Mapping[str, Any]]]
) -> tuple[list[Subject], list[RegistryRowError]]:
    """Validate market-subject rows (BRIEF §4 columns, English or Chinese headers)."""
    return _parse(headers, rows, SUBJECT_HEADERS, _subject)


def _type_from_code(code: str) -> SubjectType:
    return {"92": "individual_business", "93": "cooperative"}.get(code[:2], "enterprise")  # type: ignore[return-value]
