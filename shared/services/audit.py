"""Verifying the audit trail: the quick check of what changed since the last full verification (the API's), and
the full one the nightly job runs and keeps (see docs/audit.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.services.deps import Deps


def verify_recent(deps: Deps) -> dict[str, Any]:
    """Every stream written and every seal made since the last full verification (``GET /audit/verify``)."""
    return deps.tables.verify_audit_recent()


def verify_full(as_of: date, deps: Deps) -> dict[str, Any]:
    """The whole trail, every anchor and every seal; the result is kept and the job's heartbeat says how it went."""
    result = deps.tables.verify_audit_full_and_keep()
    deps.tables.control.heartbeat("audit_verify", as_of, {k: result[k] for k in ("entries", "ok", "problem_count")})
    return result
