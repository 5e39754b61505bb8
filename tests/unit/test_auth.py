"""API tokens (standard JWTs) and jurisdiction rules (hand-checked against BRIEF §1: a city sees its city and counties).

Tokens are checked against PyJWT's own decoder and hand-built JWTs, never against values copied from the issuer.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.auth import (
    AuthError,
    ForbiddenError,
    KeySet,
    KeySetError,
    Principal,
    Role,
    bearer,
    issue_token,
    verify_token,
)

SECRET = "s" * 48
KEYS = KeySet(current="k1", keys={"k1": SECRET})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "guiji",
        "aud": "guiji-api",
        "sub": "张三",
        "jti": "abc123",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "role": "supervisor",
        "region": "350100",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def _hand_signed(claims: dict[str, object], *, kid: str = "k1", key: str = SECRET) -> str:
    return jwt.encode(claims, key.encode(), algorithm="HS256", headers={"kid": kid})


def test_issued_token_is_a_standard_jwt_with_kid_and_the_registered_claims() -> None:
    issued = issue_token(KEYS, "supervisor", region="350100", sub="张三", ttl_seconds=3600)
    header = jwt.get_unverified_header(issued.token)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    # decoded by PyJWT itself, with the deployment's audience and issuer
    claims = jwt.decode(issued.token, SECRET.encode(), algorithms=["HS256"], audience="guiji-api", issuer="guiji")
    assert claims["role"] == "supervisor" and claims["region"] == "350100" and claims["sub"] == "张三"
    assert claims["jti"] == issued.jti and len(issued.jti) == 32
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert "department" not in claims
    p = verify_token(issued.token, KEYS)
    assert (p.role, p.region, p.sub, p.jti) == (Role.SUPERVISOR, "350100", "张三", issued.jti)


def test_department_claim_round_trips() -> None:
    token = _hand_signed(_claims(role="department", region="350000", department="11350000003591011X"))
    p = verify_token(token, KEYS)
    assert p.role is Role.DEPARTMENT and p.department == "11350000003591011X"


def test_a_hand_built_token_with_valid_claims_is_accepted() -> None:
    assert verify_token(_hand_signed(_claims()), KEYS).region == "350100"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(exp=int(time.time()) - 120), "过期"),
        (_claims(nbf=int(time.time()) + 3600), "尚未生效"),
        (_claims(aud="another-api"), "aud"),
        (_claims(iss="someone-else"), "iss"),
        (_claims(jti=None), "jti"),
        (_claims(exp=None), "exp"),
        (_claims(role="admin"), "内容无效"),
        (_claims(region="110000"), "福建"),
        (_claims(role="department"), "部门代码"),
    ],
    ids=["expired", "not-yet-valid", "wrong-aud", "wrong-iss", "no-jti", "no-exp", "bad-role", "not-fujian", "no-dept"],
)
def test_invalid_claims_are_refused(claims: dict[str, object], reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        verify_token(_hand_signed(claims), KEYS)


def test_expiry_tolerates_only_a_small_clock_skew() -> None:
    assert verify_token(_hand_signed(_claims(exp=int(time.time()) - 5)), KEYS)  # within the 30 s leeway
    with pytest.raises(AuthError, match="过期"):
        verify_token(_hand_signed(_claims(exp=int(time.time()) - 31)), KEYS)


def test_tampered_payload_and_wrong_key_are_refused() -> None:
    token = issue_token(KEYS, "auditor", region="350100").token
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["region"] = "350000"  # widen the jurisdiction, keep the signature
    forged = f"{head}.{_b64(json.dumps(claims).encode())}.{sig}"
    with pytest.raises(AuthError, match="签名无效"):
        verify_token(forged, KEYS)
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    with pytest.raises(AuthError, match="签名无效"):
        verify_token(f"{head}.{body}.{flipped}", KEYS)
    with pytest.raises(AuthError, match="签名无效"):
        verify_token(_hand_signed(_claims(), key="x" * 48), KEYS)  # right kid, someone else's key


def test_alg_none_and_other_algorithms_are_refused() -> None:
    unsigned = jwt.encode(_claims(), None, algorithm="none", headers={"kid": "k1"})
    with pytest.raises(AuthError):
        verify_token(unsigned, KEYS)
    hs512 = jwt.encode(_claims(), SECRET.encode(), algorithm="HS512", headers={"kid": "k1"})
    with pytest.raises(AuthError, match="算法"):
        verify_token(hs512, KEYS)


def test_unknown_or_missing_kid_is_refused() -> None:
    with pytest.raises(AuthError, match="密钥未知"):
        verify_token(_hand_signed(_claims(), kid="k9"), KEYS)
    no_kid = jwt.encode(_claims(), SECRET.encode(), algorithm="HS256")
    with pytest.raises(AuthError, match="kid"):
        verify_token(no_kid, KEYS)


def test_rotation_signs_with_the_new_key_and_still_verifies_the_old_one() -> None:
    old = issue_token(KEYS, "regulator").token
    rotated = KEYS.rotated()
    assert rotated.current != "k1" and rotated.keys["k1"] == SECRET
    new = issue_token(rotated, "regulator")
    assert new.kid == rotated.current and jwt.get_unverified_header(new.token)["kid"] == rotated.current
    assert verify_token(old, rotated).role is Role.REGULATOR  # tokens of the previous key stay valid
    assert verify_token(new.token, rotated).role is Role.REGULATOR
    with pytest.raises(AuthError, match="密钥未知"):
        verify_token(new.token, KEYS)  # a verifier that has not seen the rotation refuses the new kid


def test_key_set_secret_format() -> None:
    parsed = KeySet.parse('{"current": "k1", "k1": "' + SECRET + '", "k0": "' + "o" * 40 + '"}')
    assert parsed.current == "k1" and set(parsed.keys) == {"k0", "k1"}
    assert KeySet.parse(parsed.to_json()) == parsed
    for bad in ("not json", "{}", '{"current": "k2", "k1": "' + SECRET + '"}', '{"current": "k1", "k1": "short"}'):
        with pytest.raises(KeySetError):
            KeySet.parse(bad)


@given(st.text(max_size=60))
def test_garbage_never_authenticates(text: str) -> None:
    with pytest.raises(AuthError):
        verify_token(text, KEYS)


def test_issue_rules() -> None:
    with pytest.raises(ValueError):
        issue_token(KEYS, "department")  # needs its department code
    with pytest.raises(ValueError):
        issue_token(KEYS, "auditor", region="110000")  # not Fujian
    with pytest.raises(ValueError):
        issue_token(KEYS, "auditor", ttl_seconds=400 * 86400)  # longer than a year


def test_bearer_header() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer  abc ") == "abc"
    for bad in (None, "", "Basic abc", "Bearer", "Bearer   "):
        with pytest.raises(AuthError):
            bearer(bad)


def test_principal_survives_the_authorizer_context() -> None:
    p = Principal(role=Role.DEPARTMENT, region="350100", department="D1", sub="李四", jti="j", exp=123)
    context = p.to_context()
    assert all(isinstance(v, str) for v in context.values())  # API Gateway context values are flat scalars
    assert Principal.from_context({**context, "principalId": "x"}) == p
    auditor = Principal(role=Role.AUDITOR)
    assert "department" not in auditor.to_context()
    assert Principal.from_context(auditor.to_context()) == auditor


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
