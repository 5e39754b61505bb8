"""Evidence an auditor can take away: one record's story in a zip, with a manifest that is checked offline.

The bundle holds the record, its earlier versions, where it came from (upload key, version, receipt), its
breaches, the notices sent about them, the due dates explained, and every audit entry of its streams. The
manifest lists each file's SHA-256 and each stream's head (sequence number and hash, as anchored on the record
or breach). :func:`verify_bundle` needs nothing but the zip: it recomputes the file hashes and every audit chain,
and checks each chain ends at its anchored head, so a bundle cannot be edited without it showing.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from shared.auditchain import anchor_problems, chain_problems

MANIFEST = "manifest.json"
FILES = ("record.json", "versions.json", "source.json", "breaches.json", "notices.json", "due_dates.json", "audit.json")


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8")


def build_bundle(
    *,
    record: dict[str, Any],
    versions: list[dict[str, Any]],
    source: dict[str, Any],
    breaches: list[dict[str, Any]],
    notices: list[dict[str, Any]],
    due_dates: dict[str, Any],
    audit: list[dict[str, Any]],
    anchors: dict[str, tuple[int, str]],
    created_at: datetime,
) -> bytes:
    """The zip (see the module docstring); ``anchors`` are stream → (seq, head) from the record and breaches."""
    contents = {
        "record.json": _dump(record),
        "versions.json": _dump(versions),
        "source.json": _dump(source),
        "breaches.json": _dump(breaches),
        "notices.json": _dump(notices),
        "due_dates.json": _dump(due_dates),
        "audit.json": _dump(audit),
    }
    manifest = {
        "record_id": record.get("record_id"),
        "created_at": created_at.isoformat(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()},
        "audit_heads": {stream: {"seq": seq, "hash": head} for stream, (seq, head) in sorted(anchors.items())},
        "how_to_verify": "guiji audit verify-bundle <本文件>：校验每个文件的SHA-256及审计记录哈希链",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        archive.writestr(MANIFEST, _dump(manifest))
    return out.getvalue()


def verify_bundle(data: bytes) -> list[str]:
    """Problems found in a bundle (empty when it is intact): files against the manifest, chains against heads."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["not a zip file"]
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names:
            return ["manifest.json missing"]
        try:
            manifest = json.loads(archive.read(MANIFEST))
            listed: dict[str, str] = dict(manifest["files"])
            heads = {s: (int(h["seq"]), str(h["hash"])) for s, h in manifest["audit_heads"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            return [f"manifest.json unreadable: {exc}"]
        problems = [f"{name}: not in the manifest" for name in sorted(names - set(listed) - {MANIFEST})]
        problems += [f"{name}: missing" for name in sorted(set(listed) - names)]
        for name in sorted(set(listed) & names):
            if hashlib.sha256(archive.read(name)).hexdigest() != listed[name]:
                problems.append(f"{name}: content differs from the manifest")
        if problems or "audit.json" not in names:
            return problems or ["audit.json missing"]
        try:
            entries = json.loads(archive.read("audit.json"))
        except ValueError:
            return ["audit.json unreadable"]
    streams: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        streams.setdefault(str(entry["stream"]), []).append(entry)
    for stream, items in sorted(streams.items()):
        problems += chain_problems(stream, items)
    for stream, (seq, head) in sorted(heads.items()):
        problems += anchor_problems(stream, seq, head, streams.get(stream, []))
    return problems
