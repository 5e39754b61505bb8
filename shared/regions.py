"""Administrative division codes (GB/T 2260): Fujian jurisdiction (county → city → province) and a nationwide check.

The nationwide list is python-stdnum's ``stdnum/cn/loc.dat`` (historical county list with validity years), parsed
once at first use. Historical codes count as known because the region digits of a credit code or 注册号 are frozen
at issuance.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources

PROVINCE_CODE = "350000"
PINGTAN_CODE = "350128"  # 平潭县, governed by 平潭综合实验区 ("政区合一"); a supervision unit beside the nine cities

# The ten city-level supervision units (BRIEF §1). 平潭 has no code of its own in GB/T 2260, so 350128 stands for it.
FUJIAN_CITIES: dict[str, str] = {
    "350100": "福州市",
    "350200": "厦门市",
    "350300": "莆田市",
    "350400": "三明市",
    "350500": "泉州市",
    "350600": "漳州市",
    "350700": "南平市",
    "350800": "龙岩市",
    "350900": "宁德市",
    PINGTAN_CODE: "平潭综合实验区",
}

# Pre-1999 prefectures (地区) and the 1986-1989 province-administered unit no longer exist; their codes still
# appear in old 注册号, so they map to the unit that governs the same area today. Keyed by the first four digits.
_FORMER_PREFECTURES: dict[str, str] = {
    "3521": "350700",  # 建阳地区 / 南平地区 → 南平市 (1994)
    "3522": "350900",  # 宁德地区 → 宁德市 (1999)
    "3523": "350300",  # 莆田地区 → 莆田市 (1983)
    "3524": "350500",  # 晋江地区 → 泉州市 (1985)
    "3525": "350600",  # 龙溪地区 → 漳州市 (1985)
    "3526": "350800",  # 龙岩地区 → 龙岩市 (1996)
    "3527": "350400",  # 三明地区 → 三明市 (1983)
    "3590": PROVINCE_CODE,  # 省直辖县级行政单位 (1986-1989): no city above it
}
# Counties of a former prefecture that went to a different city than the prefecture's successor.
_FORMER_COUNTIES: dict[str, str] = {
    "352222": "350100",  # 连江县: 宁德地区 → 福州市 (350122)
    "352223": "350100",  # 罗源县: 宁德地区 → 福州市 (350123)
    "352321": "350100",  # 闽清县: 莆田地区 → 福州市 (350124)
    "352322": "350100",  # 永泰县: 莆田地区 → 福州市 (350125)
    "352323": "350100",  # 长乐县: 莆田地区 → 福州市 (350126)
    "352324": "350100",  # 福清县: 莆田地区 → 福州市 (350127)
    "352325": PINGTAN_CODE,  # 平潭县: 莆田地区 → 350128
    "359001": "350400",  # 永安市 → 三明市 (350481)
    "359002": "350500",  # 石狮市 → 泉州市 (350581)
}

# One name period inside a loc.dat value: "[1983-1994]郊区" or a bare "福州市" (valid throughout).
_PERIOD = re.compile(r"(?:\[(\d*)-(\d*)\])?([^,\[\]]+)")
_VALUE = re.compile(r'(?:province|county)="([^"]*)"')


class RegionLevel(StrEnum):
    """Administrative level of a code as used for supervision."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class RegionCodeError(ValueError):
    """A code that is not a known Fujian region code where one is required."""


@cache
def _names() -> dict[str, str]:
    """Every code in stdnum's loc.dat mapped to its latest name (parsed once)."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        value = _VALUE.search(line)
        if value is None:
            continue
        if not line[0].isspace():
            province = line[:2]  # "35 province=..." opens a province block
            continue
        code = province + line.split(maxsplit=1)[0]
        names[code] = _latest_name(value.group(1))
    return names


def _latest_name(value: str) -> str:
    """The name of the most recent period of a loc.dat value ("[1983-1994]郊区,[1995-]晋安区" → "晋安区")."""
    best_name = value
    best_end = -1
    for match in _PERIOD.finditer(value):
        end_text = match.group(2)
        # An open end ("[1995-]" or no bracket at all) means still in use: it beats any closed period.
        end = 10_000 if not end_text else int(end_text)
        if end >= best_end:
            best_end, best_name = end, match.group(3).strip()
    return best_name


def _is_code_shape(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def is_known_region_code(code6: str) -> bool:
    """True if the 6-digit code is or was a province, city or county code anywhere in China."""
    return _is_code_shape(code6) and code6 in _names()


@lru_cache(maxsize=4096)  # asked for every breach and route; bounded, as codes can come from a query string
def is_fujian_region(code: str) -> bool:
    """True if the code is a current or historical Fujian (35xxxx) code."""
    return code.startswith("35") and is_known_region_code(code)


def _require_fujian(code: str) -> None:
    if not is_fujian_region(code):
        raise RegionCodeError(f"not a known Fujian region code: {code!r}")


def region_name(code: str) -> str | None:
    """Latest name of a known code ("350102" → "鼓楼区", "350128" → "平潭综合实验区"); None if unknown."""
    if code in FUJIAN_CITIES:
        return FUJIAN_CITIES[code]
    if not _is_code_shape(code):
        return None
    return _names().get(code)


def region_level(code: str) -> RegionLevel:
    """Supervision level of a Fujian code; 350128 (平潭) is city-level."""
    _require_fujian(code)
    if code == PROVINCE_CODE:
        return RegionLevel.PROVINCE
    if code == PINGTAN_CODE or code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def city_of(code: str) -> str:
    """The city-level unit a Fujian code belongs to (the code itself for a city, 350000 for the province)."""
    _require_fujian(code)
    if code == PROVINCE_CODE or code in FUJIAN_CITIES:
        return code
    if code in _FORMER_COUNTIES:
        return _FORMER_COUNTIES[code]
    prefix = code[:4]
    if prefix in _FORMER_PREFECTURES:
        return _FORMER_PREFECTURES[prefix]
    return prefix + "00"


def jurisdiction_chain(code: str) -> list[str]:
    """The code and every unit above it, nearest first, ending with 350000."""
    _require_fujian(code)
    if code == PROVINCE_CODE:
        return [PROVINCE_CODE]
    chain = [code]
    city = city_of(code)
    if city != code and city != PROVINCE_CODE:
        chain.append(city)
    chain.append(PROVINCE_CODE)
    return chain


def in_jurisdiction(supervisor_region: str, record_region: str) -> bool:
    """Whether a supervisor at ``supervisor_region`` oversees records of ``record_region`` (unknown codes: no)."""
    if not is_fujian_region(supervisor_region) or not is_fujian_region(record_region):
        return False
    return supervisor_region in jurisdiction_chain(record_region)
