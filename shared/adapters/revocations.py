"""Issued and revoked API tokens, kept in the control table.

``TOKEN`` / ``{jti}``          issuance record (who, role, jurisdiction, expiry) — for revocation and review
``TOKEN_REVOKED`` / ``{jti}``  deny-list entry read by the authorizer

Both expire through the table's TTL (``expires_at``, epoch seconds) once the token itself has expired: an
expired token is refused anyway, so the deny list never grows beyond the tokens still alive.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo import Item, Table

ISSUED_PK = "TOKEN"
REVOKED_PK = "TOKEN_REVOKED"


class TokenRegistry:
    """The control table's token items."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def record_issued(self, jti: str, expires_at: int, detail: dict[str, Any]) -> None:
        self.table.put({"pk": ISSUED_PK, "sk": jti, "expires_at": expires_at, **detail})

    def issued(self, jti: str) -> Item | None:
        return self.table.get(ISSUED_PK, jti)

    def revoke(self, jti: str, expires_at: int, detail: dict[str, Any]) -> None:
        self.table.put({"pk": REVOKED_PK, "sk": jti, "expires_at": expires_at, **detail})

    def is_revoked(self, jti: str) -> bool:
        # A strongly consistent read: a revocation is in force for the next authorizer call (cache aside).
        return self.table.get(REVOKED_PK, jti) is not None
