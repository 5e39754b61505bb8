"""Business time: instants are UTC, local dates are derived explicitly in Asia/Shanghai (UTC+8, no DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

# Fixed offset instead of zoneinfo: China has had no DST since 1991 and a fixed zone needs no tzdata in Lambda.
BUSINESS_TZ = timezone(timedelta(hours=8), name="Asia/Shanghai")


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def local_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an instant (naive instants are rejected)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: instants must be timezone-aware")
    return instant.astimezone(BUSINESS_TZ).date()


def iso_utc(instant: datetime) -> str:
    """ISO-8601 text of an instant in UTC with a ``Z`` suffix."""
    # isoformat, not strftime: the same text (microseconds always shown) at a fraction of the cost; it runs for
    # every audit entry and record an upload writes.
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_iso_utc(text: str) -> datetime:
    """Parse an ISO-8601 instant (``Z`` or offset); the result is UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"instant without zone: {text!r}")
    return value.astimezone(UTC)
