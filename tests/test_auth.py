"""Access tokens and jurisdiction rules (hand-checked against BRIEF §1: a city sees its city and counties)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.auth import AuthError, ForbiddenError, Principal, Role, bearer, issue_token, verify_token

KEY = b"k" * 32


def test_round_trip_and_expiry() -> None:
    tok = issue_token(KEY, "supervisor", region="350100", sub="张三", ttl_seconds=60, now=1000)
    p = verify_token(tok, KEY, now=1059)
    assert p.role is Role.SUPERVISOR and p.region == "350100" and p.sub == "张三"
    with pytest.raises(AuthError, match="过期"):
        verify_token(tok, KEY, now=1061)


def test_wrong_key_and_tampering_are_refused() -> None:
    tok = issue_token(KEY, "auditor", now=0, ttl_seconds=10**9)
    with pytest.raises(AuthError, match="签名"):
        verify_token(tok, b"other-key", now=1)
    prefix, body, sig = tok.split(".")
    forged = issue_token(KEY, "supervisor", now=0, ttl_seconds=10**9).split(".")[1]  # another payload
    with pytest.raises(AuthError):
        verify_token(f"{prefix}.{forged}.{sig}", KEY, now=1)


@given(st.text(max_size=40))
def test_garbage_never_authenticates(text: str) -> None:
    with pytest.raises(AuthError):
        verify_token(text, KEY, now=0)


def test_issue_rules() -> None:
    with pytest.raises(ValueError):
        issue_token(KEY, "department")  # needs its department code
    with pytest.raises(ValueError):
        issue_token(KEY, "auditor", region="110000")  # not Fujian


def test_bearer_header() -> None:
    assert bearer("Bearer abc") == "abc"
    for bad in (None, "", "Basic abc", "Bearer"):
        with pytest.raises(AuthError):
            bearer(bad)


def test_jurisdiction() -> None:
    fuzhou = Principal(role=Role.SUPERVISOR, region="350100")
    assert fuzhou.sees(region_code="350102", department="x")  # 鼓楼区 is in 福州
    assert fuzhou.sees(region_code="350100", department="x")
    assert not fuzhou.sees(region_code="350000", department="x")  # a province department is above Fuzhou
    assert not fuzhou.sees(region_code="350128", department="x")  # 平潭 is its own city-level unit
    assert not fuzhou.sees(region_code="350203", department="x")  # 厦门
    province = Principal(role=Role.AUDITOR)
    assert province.sees(region_code="350128", department="x")
    dept = Principal(role=Role.DEPARTMENT, region="350100", department="D1")
    assert dept.sees(region_code="350203", department="D1") and not dept.sees(region_code="350100", department="D2")
    assert fuzhou.reads_bulletin("350000") and fuzhou.reads_bulletin("350100")
    assert not fuzhou.reads_bulletin("350200")
    with pytest.raises(ForbiddenError):
        fuzhou.require(Role.AUDITOR)
