"""Identifier checks: USCC (GB 32100), 注册号 (GS15), 组织机构代码 (GB 11714), 居民身份证 masking."""

from __future__ import annotations

from datetime import date

import pytest
import stdnum.cn.uscc as stdnum_uscc
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.identifiers import (
    id_number_check_char,
    is_person_id_shape,
    is_valid_org_code,
    is_valid_reg_no,
    is_valid_uscc,
    looks_like_id_number,
    mask_id_number,
    mask_person_ids,
    normalize_code,
    org_code_problem,
    reg_no_problem,
    subject_type_of,
    uscc_check_char,
    uscc_problem,
)

# Test-side USCC generator, written from domain.md §c.1 (not from the code under test).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_uscc(body17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(body17, WEIGHTS, strict=True))
    return body17 + CHARSET[(31 - total % 31) % 31]


VALID = ["91110000600037341L", "91330203674737244W", "91230500MA1B3N1N2M", "11230500001755309F"]
REGIONS = ["350102", "350128", "350182", "110000", "330203", "230500", "350000"]

uscc_bodies = st.builds(
    lambda dept, kind, region, rest: dept + kind + region + rest,
    st.sampled_from("123456789ANY"),
    st.sampled_from("123459"),
    st.sampled_from(REGIONS),
    st.text(alphabet=CHARSET, min_size=9, max_size=9),
)


@pytest.mark.parametrize("code", VALID)
def test_known_valid_codes(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_problem(code) is None


def test_generator_agrees_with_the_published_vectors() -> None:
    assert [make_uscc(c[:17]) for c in VALID] == VALID


def test_problems_are_explained_in_chinese() -> None:
    assert uscc_problem("91110000600037341") == "统一社会信用代码应为18位，实际为17位"
    assert uscc_problem("9111000060003734IL") == "统一社会信用代码含非法字符“I”"
    assert uscc_problem("91110000600037341A") == "统一社会信用代码校验位错误（应为L）"
    assert uscc_problem(make_uscc("91999999600037341")) == "统一社会信用代码中的登记管理机关行政区划码“999999”不存在"
    assert "登记管理部门代码“0”" in (uscc_problem(make_uscc("01350102600037341")) or "")


def test_national_registration_region_is_known() -> None:
    # Subjects registered at national level carry 100000 in the region part.
    assert uscc_problem(make_uscc("91100000100003962")) is None


def test_letter_department_codes_are_accepted_where_stdnum_refuses() -> None:
    for body in ("Y1350102MA2Y3K4L5", "N2350128MA34P8QW0"):
        code = make_uscc(body)
        assert not stdnum_uscc.is_valid(code)
        assert is_valid_uscc(code)
        assert uscc_problem(code) is None


@settings(max_examples=400)
@given(
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet=CHARSET, min_size=9, max_size=9),
    st.sampled_from(CHARSET),
    st.booleans(),
)
def test_agrees_with_stdnum_on_digit_prefixed_codes(head: str, middle: str, check: str, fix: bool) -> None:
    code = make_uscc(head + middle) if fix else head + middle + check
    assert is_valid_uscc(code) == stdnum_uscc.is_valid(code)


@given(uscc_bodies)
def test_any_generated_code_is_valid(body: str) -> None:
    code = make_uscc(body)
    assert is_valid_uscc(code)
    assert uscc_problem(code) is None


@given(uscc_bodies, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_any_single_substitution_is_detected(body: str, position: int, replacement: str) -> None:
    code = make_uscc(body)
    mutated = code[:position] + replacement + code[position + 1 :]
    if mutated != code:
        assert not is_valid_uscc(mutated)
        assert uscc_problem(mutated) is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),  # full width
        (" 9111 0000-6000\u30003734 1l ", "91110000600037341L"),  # spaces, ideographic space, hyphen, lower case
        ("91330282l07196379d", "91330282L07196379D"),
        (330203000030639, "330203000030639"),
        (330203000030639.0, "330203000030639"),  # a 注册号 that Excel stored as a number
        ("60003734-1", "600037341"),
        ("'91110000600037341L", "91110000600037341L"),  # Excel text prefix
    ],
)
def test_normalize_code(raw: object, expected: str) -> None:
    assert normalize_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "  ",
        "空",
        "无",
        "/",
        "-",
        "—",
        "null",
        "NONE",
        "N/A",
        "0",
        "000000",
        "00000000000000000X",
        "000000000000000001",
        None,
    ],
)
def test_placeholders_mean_missing(raw: object) -> None:
    assert normalize_code(raw) is None


def test_zero_led_code_is_not_a_placeholder() -> None:
    assert normalize_code("100000000000000000") == "100000000000000000"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("91350102MA2XXXXX0", "enterprise"),
        ("92350102MA2XXXXX0", "individual_business"),
        ("93350102MA2XXXXX0", "cooperative"),
        ("11350100003613048", "government"),
        ("12350100003613048", "government"),
        ("51350100003613048", "other"),
        ("Y1350100003613048", "other"),
    ],
)
def test_subject_type_of(code: str, kind: str) -> None:
    assert subject_type_of(code) == kind


@pytest.mark.parametrize(
    "code", ["330203000030639", "110000000343473", "330200400081147", "3502002001234", "35020020012345"]
)
def test_valid_registration_numbers(code: str) -> None:
    assert is_valid_reg_no(code)


def test_registration_number_problems() -> None:
    assert reg_no_problem("330203000030630") == "注册号校验位错误（应为9）"
    assert reg_no_problem("3302030000306") is None  # 13 digits: pre-2007, no checksum
    assert reg_no_problem("33020300003063") is None
    assert reg_no_problem("3302030000306391") == "注册号应为15位数字，实际为16位"
    assert reg_no_problem("33020300003063A") == "注册号只能由数字组成"


def test_organisation_codes() -> None:
    # By hand: 6·3+0+0+0+3·5+7·8+3·4+4·2 = 109, 109 mod 11 = 10, 11-10 = 1.
    assert is_valid_org_code("600037341")
    # M·3+A·7+1·9+B·10+3·5+N·8+1·4+N·2 = 504, 504 mod 11 = 9, 11-9 = 2.
    assert is_valid_org_code("MA1B3N1N2")
    assert is_valid_org_code("00000006X")  # 6·2 = 12 ≡ 1 → 10 → X
    assert is_valid_org_code("000000000")  # 0 → 11 → 0
    assert org_code_problem("600037342") == "组织机构代码校验位错误（应为1）"
    assert org_code_problem("60003734") == "组织机构代码应为9位，实际为8位"
    assert org_code_problem("6000!7341") == "组织机构代码含非法字符"


def test_embedded_org_codes_of_the_vectors() -> None:
    for code in VALID:
        assert is_valid_org_code(code[8:17])


def test_id_numbers() -> None:
    # GB 11643 example: Σ = 167, 167 mod 11 = 2 → X.
    assert looks_like_id_number("11010519491231002X")
    assert looks_like_id_number("11010519491231002x")
    assert not looks_like_id_number("110105194912310021")
    assert looks_like_id_number("110105491231002")  # legacy 15 digits
    assert not looks_like_id_number("91110000600037341L")


def test_masking() -> None:
    assert mask_id_number("350102199001011234") == "350102********1234"
    assert mask_id_number("35010219900101123X") == "350102********123X"
    assert mask_id_number("350102900101123") == "350102*****1123"
    assert mask_id_number("E12345678") == "E*******8"
    assert mask_id_number("AB") == "**"


# --- ID numbers by shape (issue 9 §6) -----------------------------------------------------------------------------

PERSON = "35010219800101123"


def _with_check(body: str, wrong: bool = False) -> str:
    right = id_number_check_char(body)
    return body + ("0" if right != "0" else "1") if wrong else body + right


def test_an_id_with_a_mistyped_check_character_is_still_a_persons_id() -> None:
    assert is_person_id_shape(_with_check(PERSON))
    assert is_person_id_shape(_with_check(PERSON, wrong=True))
    assert is_person_id_shape("350102800101123")  # legacy 15 digits: region + YYMMDD
    assert not is_person_id_shape("99010219800101123" + "4")  # no such region
    assert not is_person_id_shape("35010219801301123" + "4")  # no 13th month
    assert not is_person_id_shape("913501027054712345")  # an all-digit credit code shape, region 913501 unknown


def test_credit_codes_and_document_numbers_are_not_masked() -> None:
    uscc = valid_uscc_for_test("91350102MA2Y0000")
    text = f"统一社会信用代码{uscc}，决定书文号闽环罚〔2024〕350102198001011号，编号2024350102198001"
    assert mask_person_ids(text) == text
    assert not is_person_id_shape(uscc)


def test_ids_in_free_text_are_masked_whatever_their_check_character() -> None:
    wrong = _with_check(PERSON, wrong=True)
    text = f"当事人张三（身份证{wrong}）与李四{_with_check(PERSON)}"
    masked = mask_person_ids(text)
    assert wrong not in masked and _with_check(PERSON) not in masked
    assert masked.count("350102********") == 2 and masked.startswith("当事人张三（身份证")


def valid_uscc_for_test(body16: str) -> str:
    body17 = body16 + "7"
    return body17 + uscc_check_char(body17)


@given(
    region=st.sampled_from(["350102", "350203", "350583", "350128", "110101", "440305"]),
    birth=st.dates(date(1920, 1, 1), date(2020, 12, 31)),
    serial=st.integers(0, 999),
    check=st.sampled_from("0123456789X"),
)
def test_every_well_formed_id_is_masked_whatever_its_check_character(
    region: str, birth: date, serial: int, check: str
) -> None:
    number = f"{region}{birth:%Y%m%d}{serial:03d}{check}"
    assert is_person_id_shape(number)
    assert number not in mask_person_ids(f"备注：{number}。")


@given(
    st.sampled_from(["350102", "350203", "350583", "350128"]),
    st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9),
)
def test_no_valid_credit_code_is_taken_for_an_id(region: str, body: str) -> None:
    code = valid_uscc_for_test(("91" + region + body)[:16])
    assert not is_person_id_shape(code)
    assert mask_person_ids(f"代码{code}") == f"代码{code}"
