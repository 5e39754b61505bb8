"""Identifiers of market subjects and persons: normalisation and check characters.

* 统一社会信用代码 (USCC, GB 32100-2015): 18 characters, mod-31 check character (domain.md §c.1).
* 工商注册号 (GS15-2006): 15 digits, ISO 7064 MOD 11,10 check digit; 13/14-digit pre-2007 numbers carry no
  check digit and are accepted as they are (domain.md §c.3).
* 组织机构代码 (GB 11714-1997): 8 body characters and a mod-11 check character (domain.md §c.4).
* 居民身份证号码 (GB 11643): 18 characters with an ISO 7064 MOD 11-2 check, or a legacy 15-digit number;
  never published unmasked (BRIEF §3).

All functions are pure and cheap: the USCC check runs for every row of 500k-row uploads (perf-limits §3).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Literal

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# 3^(i-1) mod 31 for positions 1..17 (GB 32100).
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
# 登记管理部门代码 (first character): 1 机构编制 … 9 工商/市场监管, A 军队编制, N 农业, Y 其他.
USCC_DEPARTMENT_CODES = frozenset("123456789ANY")
# 100000 is the code of central-level registration (国家市场监督管理总局 / 中央机构编制); it is not a GB/T 2260
# region but appears in the region part of USCCs and 注册号 of subjects registered at national level.
NATIONAL_REGION_CODE = "100000"

SubjectType = Literal["enterprise", "individual_business", "cooperative", "government", "other"]

# Per-position lookup tables: character -> value * weight (mod 31). A missing key means an illegal character;
# unrolling the 17 look-ups is what makes the check ~13x faster than python-stdnum (perf-limits §3).
_T: tuple[dict[str, int], ...] = tuple({ch: (v * w) % 31 for v, ch in enumerate(USCC_CHARSET)} for w in USCC_WEIGHTS)
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7, _T8, _T9, _T10, _T11, _T12, _T13, _T14, _T15, _T16 = _T
_USCC_CHECK: tuple[str, ...] = tuple(USCC_CHARSET[(31 - s) % 31] for s in range(31 * 17))
_USCC_VALUES: dict[str, int] = {ch: v for v, ch in enumerate(USCC_CHARSET)}

# Values recognised as "no identifier given" (after NFKC, whitespace/hyphen removal and upper-casing).
_PLACEHOLDERS = frozenset({"", "空", "无", "暂无", "/", "\\", "NULL", "NONE", "N/A", "NA", "NIL", "—", "――", "…"})
_HYPHENS = str.maketrans("", "", "-‐‑‒–—―－")

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalize_code(raw: object) -> str | None:
    """Normalise an identifier cell: NFKC, no whitespace or hyphens, upper case; placeholders → None."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        # A 15-digit 注册号 typed into Excel arrives as a float; only whole numbers can be identifiers.
        if raw != raw or raw in (float("inf"), float("-inf")):
            return None
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    else:
        text = str(raw)
    if not (text.isascii() and text.isalnum()):
        text = unicodedata.normalize("NFKC", text)
        text = "".join(text.split()).translate(_HYPHENS).strip("'\"`‘’“”")
    text = text.upper()
    if text in _PLACEHOLDERS:
        return None
    # "0", "000…" and the all-zero USCC placeholder 00000000000000000X (any trailing check character).
    if not text.lstrip("0") or (len(text) == 18 and not text[:17].lstrip("0")):
        return None
    return text


def is_valid_uscc(code: str) -> bool:
    """True if ``code`` (already normalised) has 18 characters of the USCC charset and a correct check character.

    Structural check only (charset + GB 32100 mod-31 checksum), the same scope as python-stdnum but without
    its digits-only rule for positions 1–8, so letter department codes (``Y1…``, ``N2…``) pass.
    """
    if len(code) != 18:
        return False
    try:
        s = (
            _T0[code[0]]
            + _T1[code[1]]
            + _T2[code[2]]
            + _T3[code[3]]
            + _T4[code[4]]
            + _T5[code[5]]
            + _T6[code[6]]
            + _T7[code[7]]
            + _T8[code[8]]
            + _T9[code[9]]
            + _T10[code[10]]
            + _T11[code[11]]
            + _T12[code[12]]
            + _T13[code[13]]
            + _T14[code[14]]
            + _T15[code[15]]
            + _T16[code[16]]
        )
    except KeyError:
        return False
    return _USCC_CHECK[s] == code[17]


def uscc_check_char(body17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC (ValueError on illegal characters)."""
    if len(body17) != 17:
        raise ValueError("a USCC body has 17 characters")
    try:
        s = sum(_T[i][ch] for i, ch in enumerate(body17))
    except KeyError as exc:
        raise ValueError(f"illegal USCC character {exc.args[0]!r}") from None
    return _USCC_CHECK[s]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a valid USCC, in Chinese; None if it is valid.

    Checked in order: length, charset, check character, 登记管理部门代码 (first character), and that the
    登记管理机关行政区划码 (characters 3–8) is a current or historical GB/T 2260 code.
    """
    if not is_valid_uscc(code):  # the fast check first; explain only what failed
        if len(code) != 18:
            return f"统一社会信用代码应为18位，实际为{len(code)}位"
        bad = [ch for ch in dict.fromkeys(code) if ch not in _USCC_VALUES]
        if bad:
            return "统一社会信用代码含非法字符" + "".join(f"“{ch}”" for ch in bad)
        return f"统一社会信用代码校验位错误（应为{uscc_check_char(code[:17])}）"
    if code[0] not in USCC_DEPARTMENT_CODES:
        return f"统一社会信用代码首位登记管理部门代码“{code[0]}”无效（应为1-9、A、N或Y）"
    region = code[2:8]
    if not is_known_region(region):
        return f"统一社会信用代码中的登记管理机关行政区划码“{region}”不存在"
    return None


def subject_type_of(uscc: str) -> SubjectType:
    """Kind of subject from the first two characters of a USCC (9 1 企业, 9 2 个体工商户, 9 3 农民专业合作社, 1x 机关)."""
    if uscc[:1] == "9":
        second = uscc[1:2]
        if second == "1":
            return "enterprise"
        if second == "2":
            return "individual_business"
        if second == "3":
            return "cooperative"
        return "other"
    if uscc[:1] == "1":
        return "government"
    return "other"


def _mod11_10_remainder(digits: str) -> int:
    """ISO 7064 MOD 11,10 running product after ``digits``."""
    p = 10
    for ch in digits:
        s = (p + ord(ch) - 48) % 10 or 10
        p = (2 * s) % 11
    return p


def reg_no_check_digit(body14: str) -> str:
    """The GS15-2006 check digit for the first 14 digits of a 注册号."""
    return str((11 - _mod11_10_remainder(body14)) % 10)


def is_valid_reg_no(code: str) -> bool:
    """True for a 15-digit 注册号 with a correct check digit, or a 13/14-digit pre-2007 number (no checksum)."""
    return reg_no_problem(code) is None


def reg_no_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a valid 工商注册号, in Chinese; None if it is valid."""
    if not (code.isascii() and code.isdigit()):
        return "注册号只能由数字组成"
    n = len(code)
    if n in (13, 14):
        return None  # pre-2007 numbers have no check digit (domain.md §c.3)
    if n != 15:
        return f"注册号应为15位数字，实际为{n}位"
    if (_mod11_10_remainder(code[:14]) + ord(code[14]) - 48) % 10 != 1:
        return f"注册号校验位错误（应为{reg_no_check_digit(code[:14])}）"
    return None


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character for 8 body characters (ValueError on illegal characters)."""
    total = 0
    for ch, w in zip(body8, _ORG_WEIGHTS, strict=True):
        if "0" <= ch <= "9":
            v = ord(ch) - 48
        elif "A" <= ch <= "Z":
            v = ord(ch) - 55
        else:
            raise ValueError(f"illegal organisation-code character {ch!r}")
        total += v * w
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid_org_code(code: str) -> bool:
    """True for a 9-character 组织机构代码 (hyphen already removed) with a correct check character."""
    return org_code_problem(code) is None


def org_code_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a valid 组织机构代码, in Chinese; None if it is valid."""
    if len(code) != 9:
        return f"组织机构代码应为9位，实际为{len(code)}位"
    try:
        expected = org_code_check_char(code[:8])
    except ValueError:
        return "组织机构代码含非法字符"
    if expected != code[8]:
        return f"组织机构代码校验位错误（应为{expected}）"
    return None


def id_number_check_char(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an 18-digit 居民身份证号码."""
    return _ID_CHECK[sum((ord(ch) - 48) * w for ch, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def _plausible_birth(text: str) -> bool:
    try:
        date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return True


def looks_like_id_number(s: str) -> bool:
    """True for an 18-character 居民身份证号码 with a valid check character, or a 15-digit legacy number."""
    s = s.upper()
    if len(s) == 18:
        body = s[:17]
        return body.isascii() and body.isdigit() and id_number_check_char(body) == s[17]
    return len(s) == 15 and s.isascii() and s.isdigit()


_ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def is_person_id_shape(s: str) -> bool:
    """Whether ``s`` has the shape of a 居民身份证号码, whatever its check character: a known region code and a
    real birth date (18 characters: YYYYMMDD; 15 digits, the legacy form: YYMMDD). A mistyped check character
    does not make a person's number anyone else's, so it is masked all the same.

    A credit code is not an ID: one in 31 all-digit strings passes the USCC checksum by chance, so a code counts
    as a USCC only when its characters 3–8 are a region code as well (the registering authority's).
    """
    s = s.upper()
    if len(s) == 18:
        if not (s[:17].isascii() and s[:17].isdigit() and s[17] in "0123456789X"):
            return False
        if is_valid_uscc(s) and is_known_region(s[2:8]):
            return False
        birth = s[6:14]
    elif len(s) == 15 and s.isascii() and s.isdigit():
        birth = "19" + s[6:12]
    else:
        return False
    return 1900 <= int(birth[:4]) <= 2100 and _plausible_birth(birth) and is_known_region(s[:6])


def mask_person_ids(text: str) -> str:
    """``text`` with every ID-shaped number in it masked (see :func:`is_person_id_shape`)."""
    if len(text) < 15:
        return text

    def masked(m: re.Match[str]) -> str:
        return mask_id_number(m.group(0).upper()) if is_person_id_shape(m.group(0)) else m.group(0)

    return _ID_SHAPE.sub(masked, text)


def mask_id_number(s: str) -> str:
    """Mask a person's ID number for display: first 6 + ``*`` + last 4 (``350102********123X``).

    Shorter documents (passports, permits) keep only their first and last character.
    """
    n = len(s)
    if n >= 11:
        return s[:6] + "*" * (n - 10) + s[-4:]
    if n >= 3:
        return s[0] + "*" * (n - 2) + s[-1]
    return "*" * n


_region_lookup: Callable[[str], bool] | None = None
_region_cache: dict[str, bool] = {}


def _fallback_region_check(code6: str) -> bool:
    """Shape-only check used if shared.regions is unavailable: 6 digits, province part 11..82."""
    return len(code6) == 6 and code6.isascii() and code6.isdigit() and 11 <= int(code6[:2]) <= 82


def is_known_region(code6: str) -> bool:
    """True if ``code6`` is a current or historical GB/T 2260 code (via shared.regions), or 100000 (national)."""
    known = _region_cache.get(code6)
    if known is None:
        global _region_lookup
        if _region_lookup is None:
            try:
                from shared.regions import is_known_region_code
            except ImportError:  # pragma: no cover - only while shared.regions is absent
                _region_lookup = _fallback_region_check
            else:
                _region_lookup = is_known_region_code
        known = code6 == NATIONAL_REGION_CODE or _region_lookup(code6)
        if len(_region_cache) < 100_000:  # the set of real codes is a few thousand; bound garbage input
            _region_cache[code6] = known
    return known
