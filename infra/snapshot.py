"""Persistence of the local stack across restarts (issue 7 item 9): its data saved on a clean stop, restored on start.

The resources themselves are provisioned from ``infra/resources.yaml`` on every start, so a changed template
(a new index, a new table) applies to restored data too. What is saved is the *data* of the stack:

* DynamoDB: every item of every table, through the API (DynamoDB JSON lines, binary as base64);
* S3: the version history of the intake and reports buckets, as moto's own object store. Through the API a
  restore would give every object a new version id and creation instant, which are what identify an upload and
  date its collection; moto supports pickling its object versions (``FakeKey.__getstate__``), so the snapshot is
  tied to the moto version that wrote it and refused by another;
* SQS: the messages waiting in the intake queue, its dead-letter queue and the notices inbox (continuations of a
  file cut short by a stop are processed after the restart);
* Secrets Manager: the API token key, so tokens issued before a restart stay valid.

A snapshot is written to a temporary directory and swapped in whole, so a failed save keeps the previous one.
The directory holds the stack's token key and pickles that are loaded on start: keep it private to its owner.
"""

from __future__ import annotations

import base64
import json
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

FORMAT = 1
MANIFEST = "manifest.json"
BUCKETS = ("INTAKE_BUCKET", "REPORTS_BUCKET")
SECRETS = ("GUIJI_TOKEN_SECRET_ARN",)


class SnapshotError(Exception):
    """A snapshot that cannot be restored (written by another moto version or format)."""


def _moto_version() -> str:
    import moto

    return str(moto.__version__)


def _encode(value: Any) -> Any:
    """DynamoDB AttributeValues with bytes made JSON-safe (``B``/``BS``), recursively."""
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _tables(env: dict[str, str]) -> list[str]:
    return sorted({v for k, v in env.items() if k.endswith("_TABLE")})


def _s3_bucket(name: str) -> Any:
    """moto's in-process bucket object (the local stack runs the moto server in its own process)."""
    from moto.s3.models import s3_backends

    partition, account = s3_backends.bucket_accounts[name]
    return s3_backends[account][partition].buckets[name]


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def save(env: dict[str, str], queue_urls: list[str], directory: Path) -> dict[str, int]:
    """Write the stack's data to ``directory`` (replacing an earlier snapshot); returns what was saved.

    Call it when nothing else writes to the stack (the poller and the API stopped).
    """
    import boto3

    directory = directory.resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.with_name(f"{directory.name}.saving")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "tables").mkdir(parents=True)
    (tmp / "buckets").mkdir()
    (tmp / "queues").mkdir()
    tmp.chmod(0o700)
    counts: dict[str, int] = {"items": 0, "object_versions": 0, "messages": 0}

    ddb = boto3.client("dynamodb")
    for table in _tables(env):
        with (tmp / "tables" / f"{table}.jsonl").open("w", encoding="utf-8") as out:
            for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                for item in page.get("Items", []):
                    out.write(json.dumps(_encode(item), ensure_ascii=False) + "\n")
                    counts["items"] += 1

    for name in (env[k] for k in BUCKETS if k in env):
        keys = _s3_bucket(name).keys
        counts["object_versions"] += sum(len(keys.getlist(k)) for k in keys)
        (tmp / "buckets" / f"{name}.pickle").write_bytes(pickle.dumps(keys))

    sqs = boto3.client("sqs")
    for url in queue_urls:
        messages = _take_all(sqs, url)
        counts["messages"] += len(messages)
        (tmp / "queues" / f"{_queue_name(url)}.json").write_text(json.dumps(messages, ensure_ascii=False), "utf-8")

    secrets = boto3.client("secretsmanager")
    # Keyed by environment name: a secret's ARN gets a new random suffix each time it is created.
    values = {k: secrets.get_secret_value(SecretId=env[k])["SecretString"] for k in SECRETS if k in env}
    (tmp / "secrets.json").write_text(json.dumps(values), encoding="utf-8")
    (tmp / "secrets.json").chmod(0o600)

    manifest = {
        "format": FORMAT,
        "moto": _moto_version(),
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (tmp / MANIFEST).write_text(json.dumps({**manifest, "counts": counts}, indent=2), encoding="utf-8")
    old = directory.with_name(f"{directory.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return counts


def _take_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message of a queue, in-flight ones included once they are visible again (bounded wait)."""
    taken: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for m in batch:
            attributes = {
                name: {k: v for k, v in attr.items() if k in ("DataType", "StringValue", "BinaryValue")}
                for name, attr in m.get("MessageAttributes", {}).items()
            }
            taken.append({"body": m["Body"], "attributes": attributes})
        if batch:
            continue
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        in_flight = int(attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"]) - len(taken)
        if in_flight <= 0 or time.monotonic() > deadline:
            return taken
        time.sleep(0.2)  # a message that failed comes back after its (short) visibility timeout


def restore(env: dict[str, str], queue_urls: list[str], directory: Path) -> dict[str, int] | None:
    """Load a snapshot into a freshly provisioned stack; None when ``directory`` holds none."""
    import boto3

    manifest_file = directory / MANIFEST
    if not manifest_file.exists():
        return None
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("moto") != _moto_version():
        raise SnapshotError(
            f"snapshot {directory} was written by format {manifest.get('format')} / moto {manifest.get('moto')}; "
            f"this stack runs format {FORMAT} / moto {_moto_version()}"
        )
    counts: dict[str, int] = {"items": 0, "object_versions": 0, "messages": 0}

    ddb = boto3.client("dynamodb")
    for path in sorted((directory / "tables").glob("*.jsonl")):
        table = path.name.removesuffix(".jsonl")
        if table not in _tables(env):
            continue  # a table the template no longer has
        with path.open(encoding="utf-8") as lines:
            batch: list[dict[str, Any]] = []
            for line in lines:
                batch.append({"PutRequest": {"Item": _decode(json.loads(line))}})
                if len(batch) == 25:
                    counts["items"] += _write(ddb, table, batch)
                    batch = []
            counts["items"] += _write(ddb, table, batch)

    for name in (env[k] for k in BUCKETS if k in env):
        path = directory / "buckets" / f"{name}.pickle"
        if path.exists():
            keys = pickle.loads(path.read_bytes())  # noqa: S301 - our own snapshot, in the owner's state directory
            _s3_bucket(name).keys = keys
            counts["object_versions"] += sum(len(keys.getlist(k)) for k in keys)

    sqs = boto3.client("sqs")
    for url in queue_urls:
        path = directory / "queues" / f"{_queue_name(url)}.json"
        if path.exists():
            for m in json.loads(path.read_text(encoding="utf-8")):
                extra = {"MessageAttributes": m["attributes"]} if m["attributes"] else {}
                sqs.send_message(QueueUrl=url, MessageBody=m["body"], **extra)
                counts["messages"] += 1

    secrets = boto3.client("secretsmanager")
    for name, value in json.loads((directory / "secrets.json").read_text(encoding="utf-8")).items():
        if name in SECRETS and name in env:
            secrets.put_secret_value(SecretId=env[name], SecretString=value)
    return counts


def _write(ddb: Any, table: str, batch: list[dict[str, Any]]) -> int:
    pending = batch
    while pending:
        pending = ddb.batch_write_item(RequestItems={table: pending}).get("UnprocessedItems", {}).get(table, [])
    return len(batch)
