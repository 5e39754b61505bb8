"""Roles, jurisdiction and API access tokens (BRIEF §4: every route but the calendar and the public ones).

A caller presents ``Authorization: Bearer <JWT>``: a standard JSON Web Token (RFC 7519) signed with HS256.
The header names the signing key (``kid``); the claims are ``iss``, ``aud``, ``sub``, ``jti``, ``iat``, ``nbf``,
``exp`` and guiji's own ``role``, ``region`` (the jurisdiction) and, for a department, ``department``.

Keys: a *key set* kept as one Secrets Manager secret, ``{"current": "<kid>", "<kid>": "<secret>", …}``. The
current key signs; every key in the set verifies, so rotating (a new current kid, the old ones kept) leaves
tokens already issued valid until they expire. HS256 rather than RS256/EdDSA: issuer and verifier are the same
operator's code reading the same secret, and a symmetric key keeps compiled crypto out of the Lambda zip.

This module is pure (no AWS): the key set is loaded by ``shared.adapters.secrets`` and the revocation list lives
in the control table (``shared.adapters.revocations``). No Cognito, which the AWS China regions do not offer.

Jurisdiction follows BRIEF §1: a region role sees its region and everything below it (the province sees all);
a department sees only its own records.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.regions import in_jurisdiction, is_fujian_region, jurisdiction_chain

ISSUER = "guiji"
AUDIENCE = "guiji-api"
ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 24 * 3600
MAX_TTL_SECONDS = 366 * 24 * 3600  # a revocation entry lives this long when the token's own expiry is unknown
LEEWAY_SECONDS = 30  # clock skew tolerated between the machine that issued a token and the authorizer
_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "jti", "role", "region"]
_CURRENT = "current"


class Role(StrEnum):
    DEPARTMENT = "department"  # a data-providing department: its own records, breaches and scorecard
    REGULATOR = "regulator"  # the market regulator: held queue, attribution, records in its jurisdiction
    SUPERVISOR = "supervisor"  # 督查: breaches in its jurisdiction, acknowledgements
    AUDITOR = "auditor"  # 审计: read everything in its jurisdiction, verify the audit trail


class AuthError(Exception):
    """The caller is not authenticated (401); message in Chinese."""


class ForbiddenError(Exception):
    """The caller may not do this (403); message in Chinese."""


class Principal(BaseModel):
    """Who is calling."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    role: Role
    region: str = "350000"
    department: str | None = None
    sub: str = ""
    jti: str = ""
    exp: int = 0

    @property
    def label(self) -> str:
        who = self.department or self.region
        return f"{self.role.value}:{who}" + (f":{self.sub}" if self.sub else "")

    def sees(self, *, region_code: str, department: str) -> bool:
        """Whether a record or breach of ``department`` in ``region_code`` is in this caller's jurisdiction."""
        if self.role is Role.DEPARTMENT:
            return department == self.department
        return in_jurisdiction(self.region, region_code)

    def sees_region(self, region: str) -> bool:
        """Whether a region-wide view (a filter, a bulletin scope) is open to this caller."""
        if self.role is Role.DEPARTMENT:
            return False
        return in_jurisdiction(self.region, region)

    def reads_bulletin(self, scope: str) -> bool:
        """Bulletins of the caller's jurisdiction and of the levels above it (they are circulated downwards)."""
        return in_jurisdiction(self.region, scope) or scope in jurisdiction_chain(self.region)

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = "、".join(r.value for r in roles)
            raise ForbiddenError(f"角色“{self.role.value}”无权执行此操作（需要：{allowed}）")

    def to_context(self) -> dict[str, str]:
        """The authorizer context API Gateway hands to the route (flat strings, no nulls)."""
        context = {"role": self.role.value, "region": self.region, "sub": self.sub, "jti": self.jti}
        context["exp"] = str(self.exp)
        if self.department:
            context["department"] = self.department
        return context

    @classmethod
    def from_context(cls, context: dict[str, Any]) -> Principal:
        """The principal the authorizer put into the request context (API Gateway may stringify numbers)."""
        fields = {k: context[k] for k in ("role", "region", "department", "sub", "jti") if context.get(k)}
        return cls.model_validate({**fields, "exp": int(context.get("exp") or 0)})


class KeySetError(ValueError):
    """The key set secret is not usable (operator error; message in English for the logs and the CLI)."""


@dataclass(frozen=True)
class KeySet:
    """Signing keys by id: ``current`` signs, all verify (rotation keeps old kids until their tokens expire)."""

    current: str
    keys: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> KeySet:
        """Read the secret's JSON ``{"current": kid, kid: key, …}``."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise KeySetError("the token key set is not JSON") from exc
        if not isinstance(data, dict) or not isinstance(data.get(_CURRENT), str):
            raise KeySetError('the token key set needs "current": "<kid>"')
        keys = {k: v for k, v in data.items() if k != _CURRENT}
        if not all(isinstance(v, str) and len(v) >= 32 for v in keys.values()):
            raise KeySetError("every key of the token key set must be a string of at least 32 characters")
        if data[_CURRENT] not in keys:
            raise KeySetError(f"the current kid {data[_CURRENT]!r} has no key")
        return cls(current=data[_CURRENT], keys=keys)

    def to_json(self) -> str:
        return json.dumps({_CURRENT: self.current, **self.keys}, sort_keys=True)

    def rotated(self, *, now: float | None = None) -> KeySet:
        """A new random key becomes current; the previous ones stay for verification."""
        stamp = datetime.fromtimestamp(now if now is not None else time.time(), UTC).strftime("%Y%m%d%H%M%S")
        kid = f"k{stamp}-{secrets.token_hex(3)}"
        return KeySet(current=kid, keys={**self.keys, kid: secrets.token_urlsafe(48)})


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and what an operator needs to revoke it."""

    token: str
    jti: str
    kid: str
    principal: Principal

    @property
    def expires_at(self) -> int:
        return self.principal.exp


def issue_token(
    keys: KeySet,
    role: Role | str,
    *,
    region: str = "350000",
    department: str | None = None,
    sub: str = "",
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> IssuedToken:
    """Sign a token with the current key (a department role needs its code; the region must be in Fujian)."""
    role = Role(role)
    if role is Role.DEPARTMENT and not department:
        raise ValueError("a department token needs --department CODE")
    if not is_fujian_region(region):
        raise ValueError(f"not a Fujian region code: {region}")
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"a token lives between 1 second and {MAX_TTL_SECONDS // 86400} days")
    issued = int(now if now is not None else time.time())
    principal = Principal(
        role=role, region=region, department=department, sub=sub, jti=uuid.uuid4().hex, exp=issued + ttl_seconds
    )
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "jti": principal.jti,
        "iat": issued,
        "nbf": issued,
        "exp": principal.exp,
        "role": role.value,
        "region": region,
    }
    if department:
        claims["department"] = department
    token = jwt.encode(claims, keys.keys[keys.current].encode(), algorithm=ALGORITHM, headers={"kid": keys.current})
    return IssuedToken(token=token, jti=principal.jti, kid=keys.current, principal=principal)


_REFUSALS: list[tuple[type[jwt.PyJWTError], str]] = [
    (jwt.ExpiredSignatureError, "访问令牌已过期，请重新申请"),
    (jwt.ImmatureSignatureError, "访问令牌尚未生效"),
    (jwt.InvalidAudienceError, "访问令牌不是签发给本系统的（aud 不符）"),
    (jwt.InvalidIssuerError, "访问令牌的签发方不正确（iss 不符）"),
    (jwt.InvalidSignatureError, "访问令牌签名无效"),
    (jwt.InvalidAlgorithmError, "访问令牌的签名算法不被接受"),
]


def token_kid(token: str) -> str:
    """The ``kid`` of a token's header (unverified; only to choose the key)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AuthError("访问令牌格式不正确") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthError("访问令牌缺少签名密钥标识（kid）")
    return kid


def verify_token(token: str, keys: KeySet, *, leeway: int = LEEWAY_SECONDS) -> Principal:
    """The principal of a valid token (signature, kid, iss, aud, exp, nbf, claims); AuthError otherwise.

    Revocation is not checked here: the deny list lives in the control table (``shared.services.tokens``).
    """
    kid = token_kid(token)
    key = keys.keys.get(kid)
    if key is None:
        raise AuthError("访问令牌的签名密钥未知或已停用，请重新申请")
    try:
        claims = jwt.decode(
            token,
            key.encode(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=leeway,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(f"访问令牌缺少必要的声明：{exc.claim}") from exc
    except jwt.PyJWTError as exc:
        message = next((text for kind, text in _REFUSALS if isinstance(exc, kind)), "访问令牌无效")
        raise AuthError(message) from exc
    try:
        principal = Principal.model_validate(
            {k: claims.get(k) for k in ("role", "region", "jti", "exp")}
            | {
                "department": claims.get("department"),
                "sub": claims.get("sub") or "",
            }
        )
    except ValidationError as exc:
        raise AuthError("访问令牌内容无效") from exc
    if principal.role is Role.DEPARTMENT and not principal.department:
        raise AuthError("部门访问令牌缺少部门代码")
    if not is_fujian_region(principal.region):
        raise AuthError("访问令牌的行政区划不是福建省的")
    return principal


def unverified_claims(token: str) -> dict[str, Any]:
    """A token's claims without checking anything (revoking a token needs its ``jti`` and ``exp`` only)."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise AuthError("访问令牌格式不正确") from exc
    return claims


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    if not header:
        raise AuthError("缺少访问令牌（Authorization: Bearer …）")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("访问令牌应以 Bearer 方式提供")
    return token.strip()
