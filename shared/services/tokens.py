"""API tokens: issue, verify (the authorizer's check), revoke, rotate keys.

Used by the API Gateway authorizer (``functions.app.token_authorizer``) and by ``guiji token …``. Needs only the
key set secret and the control table, so it works against the local stack and against a deployment alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.adapters.dynamo import Table
from shared.adapters.revocations import TokenRegistry
from shared.adapters.secrets import TokenKeyStore
from shared.auth import (
    MAX_TTL_SECONDS,
    AuthError,
    IssuedToken,
    KeySet,
    Principal,
    Role,
    bearer,
    issue_token,
    token_kid,
    unverified_claims,
    verify_token,
)
from shared.timeutil import iso_utc


@dataclass
class TokenService:
    """The key set and the token items of one deployment (or of the local stack)."""

    keys: TokenKeyStore
    registry: TokenRegistry

    @classmethod
    def for_names(cls, secret_id: str, control_table: str) -> TokenService:
        return cls(TokenKeyStore(secret_id), TokenRegistry(Table(control_table)))

    def issue(
        self,
        role: Role | str,
        *,
        region: str = "350000",
        department: str | None = None,
        sub: str = "",
        ttl_seconds: int,
        issued_by: str = "",
        now: float | None = None,
    ) -> IssuedToken:
        """Sign a token with the current key and record its issuance (jti, who, expiry) for review and revoking."""
        issued = issue_token(
            self.keys.load(), role, region=region, department=department, sub=sub, ttl_seconds=ttl_seconds, now=now
        )
        p = issued.principal
        detail = {"role": p.role.value, "region": p.region, "department": p.department, "sub": p.sub}
        detail |= {"kid": issued.kid, "issued_by": issued_by, "issued_at": _iso(now), "expires": _iso(p.exp)}
        self.registry.record_issued(issued.jti, p.exp, detail)
        return issued

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller of an ``Authorization`` header: a valid, unrevoked token; AuthError (in Chinese) otherwise."""
        token = bearer(authorization)
        principal = verify_token(token, self.keys.load(want_kid=token_kid(token)))
        if self.registry.is_revoked(principal.jti):
            raise AuthError("访问令牌已被吊销")
        return principal

    def revoke(self, token_or_id: str, *, actor: str = "", reason: str = "", now: float | None = None) -> RevokedToken:
        """Put a token (its ``jti``, or the token itself) on the deny list until the token would have expired."""
        if "." in token_or_id:  # a whole token: take jti and exp from it (a forged one only denies itself)
            claims = unverified_claims(token_or_id.strip())
            jti, expires = str(claims.get("jti") or ""), claims.get("exp")
            if not jti:
                raise AuthError("访问令牌没有 jti，无法吊销")
        else:
            jti = token_or_id.strip()
            issued = self.registry.issued(jti)
            expires = issued.get("expires_at") if issued else None
        moment = now if now is not None else time.time()
        # Unknown expiry (not issued through guiji, or its record already expired): keep the entry for as long
        # as any token can live.
        until = int(expires) if isinstance(expires, int | float) else int(moment) + MAX_TTL_SECONDS
        self.registry.revoke(jti, until, {"revoked_at": _iso(moment), "revoked_by": actor, "reason": reason})
        return RevokedToken(jti=jti, until=until, known=expires is not None)

    def rotate(self, *, now: float | None = None) -> KeySet:
        """A new current key; the previous keys keep verifying the tokens they signed until those expire."""
        keys = self.keys.load().rotated(now=now)
        self.keys.save(keys)
        return keys


@dataclass(frozen=True)
class RevokedToken:
    jti: str
    until: int
    known: bool  # whether the token's own expiry was known (from the token or its issuance record)


def _iso(epoch: float | None) -> str:
    return iso_utc(datetime.fromtimestamp(epoch if epoch is not None else time.time(), UTC))
