"""Region codes: hand-checked Fujian codes, jurisdiction chains and the nationwide check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.regions import (
    FUJIAN_CITIES,
    RegionCodeError,
    RegionLevel,
    city_of,
    in_jurisdiction,
    is_fujian_region,
    is_known_region_code,
    jurisdiction_chain,
    region_level,
    region_name,
)


def test_fujian_cities_are_the_nine_cities_and_pingtan() -> None:
    assert FUJIAN_CITIES == {
        "350100": "福州市",
        "350200": "厦门市",
        "350300": "莆田市",
        "350400": "三明市",
        "350500": "泉州市",
        "350600": "漳州市",
        "350700": "南平市",
        "350800": "龙岩市",
        "350900": "宁德市",
        "350128": "平潭综合实验区",
    }


@pytest.mark.parametrize(
    ("code", "name", "level", "city"),
    [
        ("350000", "福建省", RegionLevel.PROVINCE, "350000"),
        ("350100", "福州市", RegionLevel.CITY, "350100"),
        ("350102", "鼓楼区", RegionLevel.COUNTY, "350100"),
        ("350112", "长乐区", RegionLevel.COUNTY, "350100"),
        ("350182", "长乐市", RegionLevel.COUNTY, "350100"),  # 1994-2017, historical but still Fujian
        ("350128", "平潭综合实验区", RegionLevel.CITY, "350128"),
        ("350203", "思明区", RegionLevel.COUNTY, "350200"),
        ("350404", "三元区", RegionLevel.COUNTY, "350400"),  # since 2021
        ("350405", "沙县区", RegionLevel.COUNTY, "350400"),
        ("350427", "沙县", RegionLevel.COUNTY, "350400"),  # until 2021
        ("350527", "金门县", RegionLevel.COUNTY, "350500"),
        ("350604", "龙海区", RegionLevel.COUNTY, "350600"),
        ("350703", "建阳区", RegionLevel.COUNTY, "350700"),
        ("350803", "永定区", RegionLevel.COUNTY, "350800"),
        ("350982", "福鼎市", RegionLevel.COUNTY, "350900"),
        ("350111", "晋安区", RegionLevel.COUNTY, "350100"),  # "[1983-1994]郊区,[1995-]晋安区": latest name
    ],
)
def test_fujian_codes(code: str, name: str, level: RegionLevel, city: str) -> None:
    assert is_fujian_region(code)
    assert is_known_region_code(code)
    assert region_name(code) == name
    assert region_level(code) is level
    assert city_of(code) == city


@pytest.mark.parametrize(
    ("code", "city"),
    [
        ("352101", "350700"),  # 南平市 when it was under 南平地区
        ("352201", "350900"),  # 宁德市 under 宁德地区
        ("352222", "350100"),  # 连江县 moved from 宁德地区 to 福州 in 1983
        ("352323", "350100"),  # 长乐县 moved from 莆田地区 to 福州 in 1983
        ("352325", "350128"),  # 平潭县 under 莆田地区 → today's 平潭 unit
        ("352326", "350300"),  # 莆田县 stayed with 莆田
        ("352401", "350500"),  # 泉州市 under 晋江地区
        ("359002", "350500"),  # 石狮市 as a province-administered city (1987-1989)
    ],
)
def test_former_prefecture_codes_map_to_todays_city(code: str, city: str) -> None:
    assert is_fujian_region(code)
    assert city_of(code) == city


def test_jurisdiction_chains() -> None:
    assert jurisdiction_chain("350102") == ["350102", "350100", "350000"]
    assert jurisdiction_chain("350100") == ["350100", "350000"]
    assert jurisdiction_chain("350128") == ["350128", "350000"]
    assert jurisdiction_chain("350000") == ["350000"]
    assert jurisdiction_chain("350182") == ["350182", "350100", "350000"]
    assert jurisdiction_chain("352325") == ["352325", "350128", "350000"]


def test_in_jurisdiction() -> None:
    assert in_jurisdiction("350000", "350102")
    assert in_jurisdiction("350100", "350102")
    assert in_jurisdiction("350102", "350102")
    assert in_jurisdiction("350100", "350100")
    assert not in_jurisdiction("350102", "350100")  # a county does not see its city
    assert not in_jurisdiction("350200", "350102")  # 厦门 does not see 福州's counties
    assert not in_jurisdiction("350102", "350103")  # sibling counties
    # 平潭 is its own supervision unit: 福州 does not see it, the province does.
    assert not in_jurisdiction("350100", "350128")
    assert in_jurisdiction("350128", "350128")
    assert in_jurisdiction("350000", "350128")
    # Unknown or non-Fujian codes are never in anyone's jurisdiction.
    assert not in_jurisdiction("350000", "359999")
    assert not in_jurisdiction("350000", "110105")
    assert not in_jurisdiction("110000", "110105")


def test_nationwide_codes() -> None:
    assert is_known_region_code("110105")  # 北京市朝阳区
    assert not is_fujian_region("110105")
    assert region_name("110105") == "朝阳区"
    assert is_known_region_code("110000")
    assert is_known_region_code("440300")  # 深圳市
    assert is_known_region_code("110103")  # 崇文区, abolished 2010: historical codes count
    assert not is_known_region_code("359999")
    assert not is_fujian_region("359999")
    assert region_name("359999") is None
    assert not is_known_region_code("000000")
    assert not is_known_region_code("35010")  # wrong length
    assert not is_known_region_code("３５０１０２")  # full-width digits are not a code
    assert not is_known_region_code("35010a")


@pytest.mark.parametrize("bad", ["110105", "359999", "", "3501"])
def test_fujian_only_functions_reject_other_codes(bad: str) -> None:
    with pytest.raises(RegionCodeError):
        region_level(bad)
    with pytest.raises(RegionCodeError):
        city_of(bad)
    with pytest.raises(RegionCodeError):
        jurisdiction_chain(bad)


def test_chain_properties_for_every_fujian_code() -> None:
    # Exhaustive over 350000-359999: cheap, and covers every historical code in the list.
    known = [f"{n:06d}" for n in range(350000, 360000) if is_fujian_region(f"{n:06d}")]
    assert len(known) > 150  # about 200 current and historical Fujian codes
    for code in known:
        chain = jurisdiction_chain(code)
        assert chain[0] == code
        assert chain[-1] == "350000"
        assert len(chain) == len(set(chain)) <= 3
        assert in_jurisdiction("350000", code)
        assert in_jurisdiction(code, code)
        assert region_name(code)
        city = city_of(code)
        assert city == "350000" or city in FUJIAN_CITIES
        # A city-level supervisor sees the code exactly when it is that code's city (or the code itself).
        for other in FUJIAN_CITIES:
            assert in_jurisdiction(other, code) == (other in (code, city))


@given(st.text(max_size=8))
def test_arbitrary_text_never_crashes_the_checks(text: str) -> None:
    assert is_known_region_code(text) in (True, False)
    assert is_fujian_region(text) == (text.startswith("35") and is_known_region_code(text))
    assert not in_jurisdiction("350000", text) or is_fujian_region(text)
