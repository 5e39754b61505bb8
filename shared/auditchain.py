"""The audit trail's hash chain, as pure functions: the adapter writes and verifies with them, and so does the
offline check of an evidence bundle (``guiji audit verify-bundle``), which needs no AWS at all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

GENESIS = "0" * 64
ENTRY_FIELDS = ("stream", "seq", "event", "actor", "at", "detail", "prev")


def audit_hash(prev: str, entry: dict[str, Any]) -> str:
    """Hash of an audit entry chained to its predecessor."""
    body = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


def chain_problems(stream: str, items: Iterable[dict[str, Any]], *, start: int = 1, prev: str = GENESIS) -> list[str]:
    """Where one stream's chain breaks (first problem only: what follows a break cannot be trusted).

    ``start`` and ``prev`` check a stretch of a stream: its first entry's number and the hash before it.
    """
    for expected_seq, item in enumerate(sorted(items, key=lambda i: int(i["seq"])), start=start):
        if int(item["seq"]) != expected_seq:
            return [f"{stream}: entry {expected_seq} missing"]
        entry = {k: item[k] for k in ENTRY_FIELDS}
        if item["prev"] != prev or audit_hash(prev, entry) != item["hash"]:
            return [f"{stream}: entry {item['seq']} altered"]
        prev = item["hash"]
    return []


def anchor_problems(stream: str, seq: int, head: str, items: list[dict[str, Any]]) -> list[str]:
    """How a stream disagrees with the head anchored outside it (on its record or breach); empty when it agrees."""
    if seq <= 0:
        return []
    if not items:
        return [f"{stream}: whole stream missing (its item records {seq} entries)"]
    by_seq = {int(i["seq"]): i for i in items}
    last = max(by_seq)
    if seq not in by_seq:
        return [f"{stream}: entries {last + 1}..{seq} missing (its item records {seq})"]
    if by_seq[seq]["hash"] != head:
        return [f"{stream}: entry {seq} differs from the head anchored on its item (rewritten)"]
    if last > seq:
        return [f"{stream}: entries {seq + 1}..{last} are not anchored on its item (inserted, or a write cut short)"]
    return []


# --- sealed digests -----------------------------------------------------------------------------------------------
#
# A seal is a small JSON document written to a bucket under Object Lock (COMPLIANCE): once written, no credentials
# can change or remove it. Each seal holds the heads (sequence number and hash) of the streams that changed since
# the previous seal, and that seal's digest. The heads a trail had at any sealed moment are the union of the seals
# up to it; a rewritten entry, however carefully its chain and its record's anchor are recomputed, no longer has
# the hash a seal recorded for it.


def seal_digest(document: dict[str, Any]) -> str:
    """SHA-256 of a seal's canonical JSON."""
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sealed_heads(seals: Iterable[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """The latest sealed head of every stream (seals oldest first)."""
    heads: dict[str, tuple[int, str]] = {}
    for seal in seals:
        heads.update((stream, (int(seq), str(head))) for stream, (seq, head) in seal["heads"].items())
    return heads


def next_seal(
    day: str, current: dict[str, tuple[int, str]], seals: list[dict[str, Any]], sealed_at: str
) -> dict[str, Any]:
    """The seal of ``day``: the heads that differ from what the earlier seals hold, chained to the last seal."""
    before = sealed_heads(seals)
    changed = {
        stream: [seq, head] for stream, (seq, head) in sorted(current.items()) if before.get(stream) != (seq, head)
    }
    return {
        "day": day,
        "sealed_at": sealed_at,
        "previous": seal_digest(seals[-1]) if seals else None,
        "streams": len(current),
        "heads": changed,
    }


def seal_problems(
    seals: list[dict[str, Any]], streams: dict[str, list[dict[str, Any]]], *, previous: str | None = None
) -> list[str]:
    """Seals (oldest first) against the trail: the chain of seals, and every head each seal recorded.

    ``previous`` is the digest of the seal before the first one given (None: they start from the first seal).
    """
    problems: list[str] = []
    for seal in seals:
        if seal.get("previous") != previous:
            problems.append(f"seal {seal.get('day')}: does not follow the seal before it")
        previous = seal_digest(seal)
        for stream, (seq, head) in seal["heads"].items():
            found = next((i for i in streams.get(stream, []) if int(i["seq"]) == int(seq)), None)
            if found is None:
                problems.append(f"{stream}: entry {seq}, sealed on {seal['day']}, is missing")
            elif found["hash"] != head:
                problems.append(f"{stream}: entry {seq} differs from what the seal of {seal['day']} recorded")
    return problems
