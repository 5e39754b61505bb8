"""The intake bucket's key layout: ``incoming/{department}/{folder}/{file}`` uploads, their receipts under
``receipts/``, and the identity of one upload (one arrival of one key)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shared.adapters.messaging import ObjectInfo
from shared.categories import (
    Category,
)
from shared.timeutil import iso_utc

CATEGORY_SLUGS = frozenset(c.value for c in Category)
RECEIPTS_PREFIX = "receipts/"


@dataclass
class KeyParts:
    department: str
    folder: str
    file_name: str

    @property
    def receipt_base(self) -> str:
        return f"{RECEIPTS_PREFIX}{self.department}/{self.folder}/{self.file_name}"


MAX_SEGMENT_BYTES = 255
INVALID_KEYS_PREFIX = RECEIPTS_PREFIX + "_invalid/"


def _canonical_segment(segment: str) -> bool:
    return (
        bool(segment)
        and segment not in (".", "..")
        and len(segment.encode("utf-8")) <= MAX_SEGMENT_BYTES
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in segment)
    )


def split_key(key: str) -> KeyParts | None:
    """``incoming/{department}/{folder}/{file}`` → its parts, or None for any other layout.

    The key is taken literally: ``penalty/./x.csv`` and ``penalty//x.csv`` are not ``penalty/x.csv`` (S3 keeps
    them as different objects, so their receipts must not overwrite ``x.csv``'s), and empty, ``.``/``..``,
    control-character or over-long segments are not a layout at all.
    """
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "incoming" or not all(_canonical_segment(p) for p in parts):
        return None
    return KeyParts(parts[1], parts[2], parts[3])


def receipt_key_of(upload_key: str) -> str:
    """Where the receipt of an upload is written.

    A key outside the layout gets its receipt under ``receipts/_invalid/`` with a name derived from the whole key,
    which no real upload's receipt can take; the receipt names the key it is about.
    """
    parts = split_key(upload_key)
    if parts is not None:
        return parts.receipt_base + ".json"
    return INVALID_KEYS_PREFIX + hashlib.sha256(upload_key.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".json"


def arrival_of(info: ObjectInfo) -> str:
    """Which arrival of its key an object is: its S3 version id, or (unversioned bucket) its ETag and creation
    instant, so the same content uploaded again later is a new upload. Redeliveries of a message keep it."""
    return info.version_id or f"{info.etag}@{iso_utc(info.last_modified)}"


def upload_id_of(bucket: str, key: str, arrival: str) -> str:
    """The id of one upload: one arrival of one key (never its content alone)."""
    return hashlib.sha256(f"{bucket}\x1f{key}\x1f{arrival}".encode()).hexdigest()[:24]
