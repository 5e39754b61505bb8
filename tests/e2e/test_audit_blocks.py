"""Issue 8 §2: the first audit entries of what an upload creates are written in blocks (one conditional PutItem per
batch), retried batches neither lose nor duplicate an entry, and one department's intake runs one chunk at a time."""

from __future__ import annotations

from typing import Any

import pytest

from shared.adapters.store import AuditConflictError, AuditLog
from shared.auditchain import GENESIS
from shared.ledger import record_id
from tests import helpers as h

pytestmark = pytest.mark.e2e

LATE = "2024-09-02"  # produced a month before collection: late, and overdue for publication


def _stored(env: Any) -> list[dict[str, Any]]:
    return list(env.deps.tables.audit.table.scan())


def test_a_late_upload_writes_one_block_per_batch_and_verifies(env: Any) -> None:
    rows = [h.penalty_row(f"闽环罚〔2024〕{3000 + i}号", LATE) for i in range(150)]
    receipt = env.upload(h.ENV_DEPT, "penalty", "late.csv", h.csv_bytes(rows), collected_at="2024-10-16T02:00:00Z")
    assert receipt["counts"]["accepted"] == 150 and receipt["counts"]["late"] == 150
    stored = _stored(env)
    blocks = [i for i in stored if i["pk"].startswith("BLK#")]
    assert len({b["pk"] for b in blocks}) == 2  # 150 rows: batches of 100 and 50
    entries = [e for b in blocks for e in b["entries"]]
    streams = {e["stream"] for e in entries}
    record_streams = {s for s in streams if s.startswith("REC#")}
    assert len(record_streams) == 150
    # Each record opened two breaches (collected late; publication overdue): their first entries are in the blocks.
    assert len(streams - record_streams) == 300 and all(s.startswith("BR#") for s in streams - record_streams)
    assert not [i for i in stored if i["pk"].startswith(("REC#", "BR#"))]  # nothing written entry by entry
    assert env.deps.tables.verify_audit()[1] == []

    rid = record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕3000号")
    entry = env.deps.tables.records.get(rid)
    assert entry.audit_block and entry.audit_seq == 1
    (first,) = env.deps.tables.trail(f"REC#{rid}")
    assert first["hash"] == entry.audit_head and first["event"] == "collected"
    breach = env.deps.tables.breaches.get(f"collection_late:{rid}")
    assert breach is not None and breach.version == 1 and breach.audit_block == entry.audit_block
    assert [e["event"] for e in env.deps.tables.trail(f"BR#collection_late:{rid}")] == ["breach_recorded"]


def test_later_changes_extend_the_streams_entry_by_entry(env: Any) -> None:
    h.upload_penalty(env, "a.csv", "闽环罚〔2024〕1号", LATE, collected_at="2024-10-16T02:00:00Z")
    h.upload_penalty(env, "b.csv", "闽环罚〔2024〕1号", LATE, collected_at="2024-10-17T02:00:00Z", content="罚款两万元")
    rid = record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕1号")
    trail = env.deps.tables.trail(f"REC#{rid}")
    assert [(e["event"], bool(e.get("block"))) for e in trail] == [("collected", True), ("corrected", False)]
    assert trail[1]["prev"] == trail[0]["hash"]
    assert env.deps.tables.verify_audit()[1] == []


def _entries(prefix: str, n: int, at: str = "2024-10-16T02:00:00Z") -> list[dict[str, Any]]:
    from shared.timeutil import parse_iso_utc

    when = parse_iso_utc(at)
    return [AuditLog.make_item(f"{prefix}{i}", 1, GENESIS, "collected", "test", {"n": i}, at=when) for i in range(n)]


def test_a_retried_block_adds_only_what_the_first_attempt_did_not_write(stack: Any) -> None:
    env = stack  # blocks of their own keys: no need for an empty stack
    audit = env.deps.tables.audit
    items = _entries("REC#t", 5)
    import uuid

    base = f"u{uuid.uuid4().hex[:8]}#2"
    assert audit.write_block(base, items[:3]) is False
    assert audit.write_block(base, items[:3]) is True  # the very same batch again: nothing new stored
    assert len([i for i in _stored(env) if i["pk"] == f"BLK#{base}"]) == 1
    assert audit.write_block(base, items[1:]) is True  # a retry that also holds two new entries
    parts = [i for i in _stored(env) if i["pk"] == f"BLK#{base}"]
    assert sorted(e["stream"] for p in parts for e in p["entries"]) == [f"REC#t{i}" for i in range(5)]
    other = _entries("REC#t", 1, at="2024-10-17T02:00:00Z")  # the same position, other content
    with pytest.raises(AuditConflictError):
        audit.write_block(base, other)


def test_a_block_too_big_for_one_item_is_split(stack: Any) -> None:
    env = stack
    audit = env.deps.tables.audit
    items = [
        AuditLog.make_item(f"REC#big{i}", 1, GENESIS, "collected", "test", {"text": "字" * 20_000}) for i in range(12)
    ]
    import uuid

    base = f"u{uuid.uuid4().hex[:8]}#1"
    audit.write_block(base, items)
    parts = [i for i in _stored(env) if i["pk"] == f"BLK#{base}"]
    assert len(parts) > 1
    assert sum(len(p["entries"]) for p in parts) == 12
    assert {e["stream"] for e in audit.block_entries(f"BLK#{base}")} == {f"REC#big{i}" for i in range(12)}


def test_one_chunk_at_a_time_per_department(env: Any, monkeypatch: Any) -> None:
    from shared.services import intake

    control = env.deps.tables.control
    assert control.acquire_lease("intake#X", "a", 60)
    assert not control.acquire_lease("intake#X", "b", 60)
    assert control.acquire_lease("intake#X", "a", 60)  # its holder may renew it
    control.release_lease("intake#X", "b")  # not b's to give back
    assert not control.acquire_lease("intake#X", "b", 60)
    control.release_lease("intake#X", "a")
    assert control.acquire_lease("intake#X", "b", 60)
    assert control.acquire_lease("intake#Y", "c", -1)  # already lapsed (a crashed holder) ...
    assert control.acquire_lease("intake#Y", "d", 60)  # ... so anyone may take it

    # While another chunk of the department holds its lease, an upload waits, then gives up to be retried.
    monkeypatch.setattr(intake, "LEASE_WAIT", 0.3)
    assert control.acquire_lease(f"intake#{h.ENV_DEPT}", "someone-else", 60)
    from infra.cli import put_upload

    key = put_upload(env.deps, h.csv_bytes([h.penalty_row("闽环罚〔2024〕9号", LATE)]), h.ENV_DEPT, "penalty", "w.csv")
    info = env.deps.objects.head(env.env["INTAKE_BUCKET"], key, None)
    ref = intake.UploadRef(bucket=env.env["INTAKE_BUCKET"], key=key, version_id=info.version_id, uploader="")
    monkeypatch.setattr(
        intake, "_check_department", lambda parts, *a, **k: env.deps.tables.registry.department(h.ENV_DEPT)
    )
    with pytest.raises(intake.IntakeBusyError):
        intake.process_upload(ref, env.deps)
    assert env.deps.tables.records.get(record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕9号")) is None
    control.release_lease(f"intake#{h.ENV_DEPT}", "someone-else")
    assert intake.process_upload(ref, env.deps).status == "done"
    assert env.deps.tables.records.get(record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕9号")) is not None
