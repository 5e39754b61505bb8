"""Roles and jurisdiction for the HTTP API (BRIEF §4: every route but the calendar and the public ones).

A caller presents a bearer token: ``v1.<payload>.<signature>``, the payload being base64url JSON
``{"role", "region", "department", "sub", "exp"}`` and the signature HMAC-SHA256 over it with the deployment's
token secret. Tokens are issued by operators (``guiji local token`` locally; the same function with the
deployment's secret in production) — no Cognito, which the AWS China regions do not offer.

Jurisdiction follows BRIEF §1: a region role sees its region and everything below it (the province sees all);
a department sees only its own records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.regions import in_jurisdiction, is_fujian_region, jurisdiction_chain

TOKEN_PREFIX = "v1"
DEFAULT_TTL_SECONDS = 8 * 3600


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

    model_config = ConfigDict(frozen=True)

    role: Role
    region: str = "350000"
    department: str | None = None
    sub: str = ""
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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    secret: bytes,
    role: Role | str,
    *,
    region: str = "350000",
    department: str | None = None,
    sub: str = "",
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> str:
    """Sign a token for a role (a department role needs its department code; a region must be a Fujian region)."""
    role = Role(role)
    if role is Role.DEPARTMENT and not department:
        raise ValueError("a department token needs --department CODE")
    if not is_fujian_region(region):
        raise ValueError(f"not a Fujian region code: {region}")
    exp = int((now if now is not None else time.time()) + ttl_seconds)
    payload = Principal(role=role, region=region, department=department, sub=sub, exp=exp).model_dump(mode="json")
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(secret, f"{TOKEN_PREFIX}.{body}".encode(), hashlib.sha256).digest())
    return f"{TOKEN_PREFIX}.{body}.{signature}"


def verify_token(token: str, secret: bytes, *, now: float | None = None) -> Principal:
    """The principal of a valid token; AuthError otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise AuthError("访问令牌格式不正确")
    expected = _b64(hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, parts[2]):
        raise AuthError("访问令牌签名无效")
    try:
        principal = Principal.model_validate(json.loads(_unb64(parts[1])))
    except (ValueError, ValidationError) as exc:
        raise AuthError("访问令牌内容无效") from exc
    if principal.exp < (now if now is not None else time.time()):
        raise AuthError("访问令牌已过期，请重新申请")
    return principal


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    if not header:
        raise AuthError("缺少访问令牌（Authorization: Bearer …）")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("访问令牌应以 Bearer 方式提供")
    return token
