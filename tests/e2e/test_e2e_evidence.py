"""Issue 9 §5: a record's evidence bundle over HTTP and the CLI, checked offline; any edit to it shows."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from infra.localrun import free_port, serve_api
from shared.auditchain import GENESIS, audit_hash
from shared.evidence import verify_bundle
from shared.ledger import record_id
from shared.services import monitor
from tests import helpers as h

pytestmark = pytest.mark.e2e
RID = record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕1号")


def boto3_head(env: Any, bucket: str, key: str) -> Any:
    from shared.adapters.aws import client

    return client("s3").head_object(Bucket=bucket, Key=key)


@pytest.fixture(scope="module")
def env(stack: Any) -> Any:
    """One record's story, shared by the module: its tests only read the stack (they edit bundles, not the trail)."""
    stack.reset()
    h.load_registry(stack)
    h.upload_penalty(stack, "a.csv", "闽环罚〔2024〕1号", "2024-09-27", collected_at="2024-10-16T02:00:00Z")
    monitor.run_scan(date(2024, 10, 31), stack.deps)
    monitor.send_notices(date(2024, 10, 31), stack.deps)
    return stack


@pytest.fixture(scope="module")
def bundle(env: Any) -> Iterator[bytes]:
    port = free_port()
    server = serve_api(port)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/records/{RID}/evidence",
            headers={"Authorization": f"Bearer {h.api_token(env)}", "Accept": "application/zip"},
        )
        with urllib.request.urlopen(request) as resp:
            assert resp.headers["Content-Type"] == "application/zip"
            yield resp.read()
    finally:
        server.shutdown()


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_bundle_holds_the_records_story_and_verifies_offline(bundle: bytes) -> None:
    files = _files(bundle)
    assert set(files) >= {"manifest.json", "record.json", "versions.json", "source.json", "breaches.json",
                          "notices.json", "due_dates.json", "audit.json"}  # fmt: skip
    assert json.loads(files["record.json"])["doc_no"] == "闽环罚〔2024〕1号"
    source = json.loads(files["source.json"])
    assert source["key"].endswith("/penalty/a.csv")
    head = boto3_head(env, source["bucket"], source["key"])
    assert source["etag"] == head["ETag"].strip('"') and source["size"] == head["ContentLength"]
    # Collected 2024-10-16 (due 10-12), unpublished on 10-31 (due 10-30): late, then overdue.
    assert {b["kind"] for b in json.loads(files["breaches.json"])} == {"collection_late", "publication_overdue"}
    assert [n["event"] for n in json.loads(files["notices.json"])] == ["notified", "notified"]
    assert json.loads(files["due_dates.json"])["collect"]["due"] == "2024-10-12"
    streams = {e["stream"] for e in json.loads(files["audit.json"])}
    assert f"REC#{RID}" in streams and any(s.startswith("BR#") for s in streams)
    assert verify_bundle(bundle) == []


def _edit_record(files: dict[str, bytes]) -> None:
    files["record.json"] = files["record.json"].replace("闽环罚".encode(), "闽罚".encode())


def _drop_breaches(files: dict[str, bytes]) -> None:
    del files["breaches.json"]


def _add_file(files: dict[str, bytes]) -> None:
    files["note.txt"] = b"added later"


def _rewrite_audit_and_manifest(files: dict[str, bytes]) -> None:
    """A careful forger: edits an entry, recomputes the chain and the file's hash in the manifest."""
    import hashlib

    entries = json.loads(files["audit.json"])
    prev: dict[str, str] = {}
    for e in sorted(entries, key=lambda e: (e["stream"], e["seq"])):
        if e["seq"] == 1:
            e["actor"] = "department:someone-else"
        body = {k: e[k] for k in ("stream", "seq", "event", "actor", "at", "detail")}
        body["prev"] = prev.get(e["stream"], GENESIS)
        e["prev"], e["hash"] = body["prev"], audit_hash(body["prev"], body)
        prev[e["stream"]] = e["hash"]
    files["audit.json"] = json.dumps(entries).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["audit.json"] = hashlib.sha256(files["audit.json"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize("tamper", [_edit_record, _drop_breaches, _add_file, _rewrite_audit_and_manifest])
def test_any_edit_to_the_bundle_is_found(bundle: bytes, tamper: Callable[[dict[str, bytes]], None]) -> None:
    files = _files(bundle)
    tamper(files)
    assert verify_bundle(_zip(files)) != []


def test_cli_writes_and_verifies_the_bundle(env: Any, tmp_path: Path, capsys: Any) -> None:
    from infra.cli import main

    path = tmp_path / "evidence.zip"
    assert main(["record", RID, "--evidence", str(path)]) == 0
    assert main(["audit", "verify-bundle", str(path)]) == 0
    assert main(["audit", "verify-bundle", str(path), "--online"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(": ok")
    files = _files(path.read_bytes())
    _edit_record(files)
    path.write_bytes(_zip(files))
    assert main(["audit", "verify-bundle", str(path)]) == 1
    assert "record.json" in capsys.readouterr().out
