"""Issue 7 §7: tampering with the audit trail is detected, also when the chain itself still checks out, because
each record's and breach's stream head is anchored on the item outside the trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import boto3
import pytest

from shared.adapters.dynamo import from_attr, to_attr
from shared.auditchain import GENESIS, audit_hash
from shared.ledger import record_id
from shared.services import monitor
from tests import helpers as h

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(clean_stack: Any) -> Any:
    h.load_registry(clean_stack)
    h.upload_penalty(clean_stack, "a.csv", "闽环罚〔2024〕1号", "2024-09-27", collected_at="2024-10-16T02:00:00Z")
    h.upload_penalty(
        clean_stack,
        "b.csv",
        "闽环罚〔2024〕1号",
        "2024-09-27",
        collected_at="2024-10-17T02:00:00Z",
        content="罚款两万元",
    )  # a correction: the record's stream has two entries
    monitor.run_scan(date(2024, 10, 31), clean_stack.deps)
    return clean_stack


def _stream(env: Any) -> str:
    return f"REC#{record_id(h.ENV_DEPT, 'penalty', '闽环罚〔2024〕1号')}"


def _entries(env: Any, stream: str) -> list[dict[str, Any]]:
    return sorted(env.deps.tables.trail(stream), key=lambda e: e["seq"])


def _ddb() -> Any:
    return boto3.client("dynamodb")


def _rewrite_block(env: Any, entry: dict[str, Any], replacement: dict[str, Any] | None) -> None:
    """Edit the block an entry was written in, as someone with write access to the table could."""
    pk, sk = entry["block"].split("/")
    table = env.env["AUDIT_TABLE"]
    part = from_attr(_ddb().get_item(TableName=table, Key=to_attr({"pk": pk, "sk": sk}))["Item"])
    position = (entry["stream"], int(entry["sk"]))
    kept = [e for e in part["entries"] if (e["stream"], int(e["seq"])) != position]
    if replacement is not None:
        kept.append({k: v for k, v in replacement.items() if k not in ("pk", "sk", "block")})
    _ddb().put_item(TableName=table, Item=to_attr({**part, "entries": kept}))


def _put(env: Any, item: dict[str, Any]) -> None:
    if item.get("block"):
        _rewrite_block(env, item, item)
        return
    _ddb().put_item(TableName=env.env["AUDIT_TABLE"], Item=to_attr(item))


def _delete(env: Any, item: dict[str, Any]) -> None:
    if item.get("block"):
        _rewrite_block(env, item, None)
        return
    _ddb().delete_item(TableName=env.env["AUDIT_TABLE"], Key=to_attr({"pk": item["pk"], "sk": item["sk"]}))


def _rechain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recompute every prev/hash, as a forger who knows the algorithm would."""
    prev = GENESIS
    out = []
    for e in entries:
        body = {k: e[k] for k in ("stream", "seq", "event", "actor", "at", "detail")}
        body["prev"] = prev
        body["hash"] = audit_hash(prev, body)
        out.append({**e, **body})
        prev = body["hash"]
    return out


def delete_last(env: Any) -> None:
    _delete(env, _entries(env, _stream(env))[-1])


def delete_stream(env: Any) -> None:
    for e in _entries(env, _stream(env)):
        _delete(env, e)


def edit_with_recomputed_hashes(env: Any) -> None:
    entries = _entries(env, _stream(env))
    entries[0]["detail"] = {**entries[0]["detail"], "late_working_days": 0}
    for e in _rechain(entries):
        _put(env, e)


def edit_middle(env: Any) -> None:
    entry = _entries(env, _stream(env))[0]
    entry["actor"] = "department:someone-else"
    _put(env, entry)


def insert_at_end(env: Any) -> None:
    entries = _entries(env, _stream(env))
    forged = dict(entries[-1], seq=entries[-1]["seq"] + 1, sk=f"{entries[-1]['seq'] + 1:08d}", event="published")
    for e in _rechain([*entries, forged])[-1:]:
        _put(env, e)


def reorder(env: Any) -> None:
    first, second = _entries(env, _stream(env))[:2]
    _put(env, {**first, "seq": second["seq"], "sk": second["sk"]})
    _put(env, {**second, "seq": first["seq"], "sk": first["sk"]})


def move_keys_only(env: Any) -> None:
    """Swap two entries' keys, leaving every attribute (seq, prev, hash) as it was."""
    first, second = _entries(env, _stream(env))[:2]
    _put(env, {**first, "sk": second["sk"]})
    _put(env, {**second, "sk": first["sk"]})


def delete_block(env: Any) -> None:
    """Remove the whole block holding the record's first entry (and the first entries of others)."""
    pk, sk = _entries(env, _stream(env))[0]["block"].split("/")
    _ddb().delete_item(TableName=env.env["AUDIT_TABLE"], Key=to_attr({"pk": pk, "sk": sk}))


def delete_breach_stream(env: Any) -> None:
    streams = {s for s in env.deps.tables.audit.all_streams() if s.startswith("BR#")}
    for e in _entries(env, sorted(streams)[0]):
        _delete(env, e)


def test_an_untouched_trail_verifies(env: Any) -> None:
    count, problems = env.deps.tables.verify_audit()
    assert count >= 3 and problems == []
    assert len(_entries(env, _stream(env))) == 2


@pytest.mark.parametrize(
    "tamper",
    [
        delete_last,
        delete_stream,
        edit_with_recomputed_hashes,
        edit_middle,
        insert_at_end,
        reorder,
        move_keys_only,
        delete_block,
        delete_breach_stream,
    ],
)
def test_tampering_is_detected(env: Any, tamper: Callable[[Any], None]) -> None:
    tamper(env)
    _, problems = env.deps.tables.verify_audit()
    assert problems, tamper.__name__


def test_verify_over_the_cli_and_the_api_uses_the_anchors(env: Any, capsys: Any) -> None:
    from infra.cli import main

    delete_last(env)
    assert main(["audit", "verify"]) != 0
    captured = capsys.readouterr()
    assert _stream(env) in captured.out + captured.err


# --- sealed digests -----------------------------------------------------------------------------------------------


def _seal(env: Any, day: str = "2024-10-31") -> dict[str, Any]:
    from functions.app import run_job

    result: dict[str, Any] = run_job("scan", {"detail": {"as_of": day}})["audit_seal"]
    return result


def _forge_record_consistently(env: Any) -> None:
    """Rewrite the record's stream with recomputed hashes AND move the record's anchor to the new head."""
    edit_with_recomputed_hashes(env)
    head = _entries(env, _stream(env))[-1]
    _ddb().update_item(
        TableName=env.env["RECORDS_TABLE"],
        Key=to_attr({"pk": _stream(env), "sk": "CUR"}),
        UpdateExpression="SET audit_head = :h",
        ExpressionAttributeValues=to_attr({":h": head["hash"]}),
    )


def test_the_daily_job_seals_the_heads_once_a_day(env: Any) -> None:
    first = _seal(env)
    assert first["sealed"] and first["heads"] == first["streams"] >= 3
    assert _seal(env)["sealed"] is False  # a seal is written once
    h.upload_penalty(env, "c.csv", "闽环罚〔2024〕2号", "2024-09-27", collected_at="2024-10-16T02:00:00Z")
    second = _seal(env, "2024-11-01")
    assert second["sealed"] and 0 < second["heads"] < second["streams"]  # only what changed since the first
    seals = env.deps.tables.seals.all()
    assert [s["day"] for s in seals] == ["2024-10-31", "2024-11-01"]
    assert env.deps.tables.verify_audit()[1] == []


def test_a_forgery_that_fools_the_anchors_is_caught_by_the_seal(env: Any) -> None:
    _seal(env)
    _forge_record_consistently(env)
    _, problems = env.deps.tables.audit.verify({_stream(env): _anchor(env)})
    assert problems == []  # chain and anchor agree: only the seal can tell
    _, problems = env.deps.tables.verify_audit()
    assert any("seal of 2024-10-31" in p for p in problems), problems


def _anchor(env: Any) -> tuple[int, str]:
    item = env.deps.tables.records.get(_stream(env).removeprefix("REC#"))
    return item.audit_seq, item.audit_head


def test_a_seal_can_be_neither_removed_nor_replaced(env: Any) -> None:
    from botocore.exceptions import ClientError

    from shared.auditchain import next_seal

    _seal(env)
    _forge_record_consistently(env)
    bucket = env.env["AUDIT_SEALS_BUCKET"]
    s3 = boto3.client("s3")
    (version,) = s3.list_object_versions(Bucket=bucket, Prefix="seals/")["Versions"]
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    # A new version of the same seal, and a later seal, both agreeing with the forged trail: the first seal stands.
    forged = {s: (max(int(i["seq"]) for i in items), max(items, key=lambda i: int(i["seq"]))["hash"])
              for s, items in env.deps.tables.audit.all_streams().items()}  # fmt: skip
    env.deps.tables.seals.put("2024-10-31", next_seal("2024-10-31", forged, [], "2024-10-31T17:00:00Z"))
    env.deps.tables.seals.put("2099-01-01", next_seal("2099-01-01", forged, env.deps.tables.seals.all(), "x"))
    _, problems = env.deps.tables.verify_audit()
    assert any("seal of 2024-10-31" in p for p in problems), problems
