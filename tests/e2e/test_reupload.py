"""Re-uploading an earlier file after a correction (issue 7 item 6): an upload is one arrival of a key.

Upload A, then the correction B, then A again under the same name: the third upload must be processed (the ledger
holds A's content again) and ``guiji upload`` must get the receipt of that very upload, while a redelivered
notification of an upload already processed changes nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.ledger import record_id
from tests import helpers as h

pytestmark = pytest.mark.e2e

DOC = "闽环罚〔2024〕90号"
A = h.csv_bytes([h.penalty_row(DOC, "2024-09-27", content="罚款人民币五万元")])
B = h.csv_bytes([h.penalty_row(DOC, "2024-09-27", content="罚款人民币三万元（更正）")])
RID = record_id(h.ENV_DEPT, "penalty", DOC)


@pytest.fixture
def env(clean_stack: Any) -> Iterator[Any]:
    """A registered province and a background poller, as on the local stack."""
    from infra.localrun import Poller

    h.load_registry(clean_stack)
    stop = threading.Event()
    poller = Poller(clean_stack.env["INTAKE_QUEUE_URL"], "intake_upload")

    def serve() -> None:
        while not stop.is_set():
            if not poller.poll_once(wait=0):
                stop.wait(0.1)

    worker = threading.Thread(target=serve)
    worker.start()
    try:
        yield clean_stack
    finally:
        stop.set()
        worker.join()


def _cli_upload(env: Any, path: Path, data: bytes) -> dict[str, Any]:
    """``guiji upload`` in a thread with a bound (the defect made it wait an hour for a receipt never written);
    returns the receipt it waited for."""
    from infra.cli import main

    path.write_bytes(data)
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(main(["upload", str(path), "--department", h.ENV_DEPT, "--category", "penalty"]))
    )
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "guiji upload is still waiting for its receipt"
    assert result == [0]
    return env.receipt(f"incoming/{h.ENV_DEPT}/penalty/{path.name}")


def _content(env: Any) -> str:
    entry = env.deps.tables.records.get(RID)
    assert entry is not None
    return json.dumps(entry.fields, ensure_ascii=False) + json.dumps(entry.extra, ensure_ascii=False)


def test_original_uploaded_again_after_a_correction_is_processed(env: Any, tmp_path: Path) -> None:
    path = tmp_path / "penalties.csv"
    key = f"incoming/{h.ENV_DEPT}/penalty/{path.name}"
    first = _cli_upload(env, path, A)
    assert first["counts"]["accepted"] == 1
    assert _cli_upload(env, path, B)["counts"]["corrected"] == 1
    assert "三万元" in _content(env)
    third = _cli_upload(env, path, A)
    assert third["counts"]["corrected"] == 1  # A's content replaces the correction: a new version, not skipped
    assert "五万元" in _content(env)
    versions = env.deps.objects.list_keys(env.env["INTAKE_BUCKET"], key)
    assert versions == [key]
    listed = env.s3().list_object_versions(Bucket=env.env["INTAKE_BUCKET"], Prefix=key)["Versions"]
    latest = next(v["VersionId"] for v in listed if v["IsLatest"])
    assert third["version_id"] == latest and first["version_id"] != latest
    assert third["upload_id"] != first["upload_id"]
    assert [v.version for v in env.deps.tables.records.versions(RID)] == [1, 2]


def _notify(env: Any, key: str, version_id: str | None) -> None:
    from shared.adapters.aws import client

    obj: dict[str, Any] = {"key": key.replace("/", "%2F")}
    if version_id:
        obj["versionId"] = version_id  # as real S3 sends it
    event = {
        "Records": [
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": env.env["INTAKE_BUCKET"]}, "object": obj}}
        ]
    }
    client("sqs").send_message(QueueUrl=env.env["INTAKE_QUEUE_URL"], MessageBody=json.dumps(event))


def _settle(env: Any) -> None:
    from shared.adapters.aws import client

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        attrs = client("sqs").get_queue_attributes(
            QueueUrl=env.env["INTAKE_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
            return
        time.sleep(0.2)
    raise AssertionError("the intake queue did not drain")


def test_redelivered_notifications_of_processed_versions_change_nothing(env: Any, tmp_path: Path) -> None:
    path = tmp_path / "penalties.csv"
    key = f"incoming/{h.ENV_DEPT}/penalty/{path.name}"
    first = _cli_upload(env, path, A)
    second = _cli_upload(env, path, B)
    audit_before = sum(1 for _ in env.deps.tables.audit.table.scan())
    # a late duplicate of A's notification naming its version, and moto-shaped ones without a version (twice)
    _notify(env, key, first["version_id"])
    _notify(env, key, None)
    _notify(env, key, None)
    _settle(env)
    assert "三万元" in _content(env)  # the old version's redelivery did not roll the ledger back
    assert env.receipt(key)["upload_id"] == second["upload_id"]
    assert sum(1 for _ in env.deps.tables.audit.table.scan()) == audit_before


def test_unversioned_bucket_tells_arrivals_apart_by_their_creation_instant(env: Any, tmp_path: Path) -> None:
    bucket = env.env["INTAKE_BUCKET"]
    env.s3().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    try:
        path = tmp_path / "penalties.csv"
        first = _cli_upload(env, path, A)
        assert first["version_id"] is None
        _cli_upload(env, path, B)
        time.sleep(1.1)  # S3 creation instants have whole seconds
        again = _cli_upload(env, path, A)
        assert again["counts"]["corrected"] == 1
        assert "五万元" in _content(env)
        assert again["upload_id"] != first["upload_id"]
    finally:
        env.s3().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
