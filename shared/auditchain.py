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


def chain_problems(stream: str, items: Iterable[dict[str, Any]]) -> list[str]:
    """Where one stream's chain breaks (first problem only: what follows a break cannot be trusted)."""
    prev = GENESIS
    for expected_seq, item in enumerate(sorted(items, key=lambda i: int(i["seq"])), start=1):
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
