"""Issue 8 §2: the audit verification the API answers is incremental: it reads what was written since the last full
verification (a nightly job whose result is kept and shown), so its cost follows recent activity, not the trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests

from shared.adapters.dynamo import to_attr
from shared.ledger import record_id
from shared.timeutil import local_date, utc_now
from tests import helpers as h

pytestmark = pytest.mark.e2e


def _on_day(monkeypatch: Any, days_ago: int) -> None:
    """Write (and verify) as if it were ``days_ago`` days ago; 0 puts the clock back."""
    import shared.adapters.store as store

    if days_ago == 0:
        monkeypatch.setattr(store, "utc_now", utc_now)
    else:
        moment = utc_now() - timedelta(days=days_ago)
        monkeypatch.setattr(store, "utc_now", lambda: moment)


def _edit_first_entry(env: Any, doc_no: str) -> None:
    """Change the first entry of a record's stream in place (it sits in a block), as a forger with table access."""
    from shared.adapters.dynamo import from_attr

    stream = f"REC#{record_id(h.ENV_DEPT, 'penalty', doc_no)}"
    first = env.deps.tables.trail(stream)[0]
    pk, sk = first["block"].split("/")
    ddb, table = boto3.client("dynamodb"), env.env["AUDIT_TABLE"]
    part = from_attr(ddb.get_item(TableName=table, Key=to_attr({"pk": pk, "sk": sk}))["Item"])
    for entry in part["entries"]:
        if entry["stream"] == stream:
            entry["actor"] = "department:someone-else"
    ddb.put_item(TableName=table, Item=to_attr(part))


@pytest.fixture
def trail(env: Any, monkeypatch: Any) -> Any:
    """Record A written two days ago, a full verification yesterday, record B written today."""
    _on_day(monkeypatch, 2)
    h.upload_penalty(env, "a.csv", "闽环罚〔2024〕1号", "2024-09-27")
    _on_day(monkeypatch, 1)
    from functions.app import run_job

    full = run_job("audit_verify", {"detail": {}})
    assert full["ok"] and full["entries"] >= 1
    _on_day(monkeypatch, 0)
    h.upload_penalty(env, "b.csv", "闽环罚〔2024〕2号", "2024-09-27")
    return env


def test_the_incremental_check_reads_only_what_changed_since_the_full_one(trail: Any) -> None:
    result = trail.deps.tables.verify_audit_recent()
    a = f"REC#{record_id(h.ENV_DEPT, 'penalty', '闽环罚〔2024〕1号')}"
    b = f"REC#{record_id(h.ENV_DEPT, 'penalty', '闽环罚〔2024〕2号')}"
    assert result["mode"] == "incremental" and result["ok"], result
    assert result["last_full_verification"]["ok"] and result["last_full_verification"]["entries"] >= 1
    checked = result["entries"]
    assert 1 <= checked < trail.deps.tables.verify_audit()[0]  # less than the whole trail
    streams = trail.deps.tables.audit.written_on([local_date(utc_now())])
    assert b in streams and a not in streams


def test_tampering_since_the_full_verification_is_found_at_once(trail: Any) -> None:
    _edit_first_entry(trail, "闽环罚〔2024〕2号")
    result = trail.deps.tables.verify_audit_recent()
    assert not result["ok"] and any("entry 1 altered" in p for p in result["problems"]), result


def test_older_tampering_waits_for_the_next_full_verification(trail: Any) -> None:
    from functions.app import run_job

    _edit_first_entry(trail, "闽环罚〔2024〕1号")  # written before the last full verification
    assert trail.deps.tables.verify_audit_recent()["ok"]  # not re-read by the incremental check ...
    full = run_job("audit_verify", {"detail": {}})  # ... the nightly job finds it and keeps what it found
    assert not full["ok"] and full["problem_count"] >= 1
    shown = trail.deps.tables.verify_audit_recent()["last_full_verification"]
    assert shown["ok"] is False and shown["problems"] == full["problems"]


def test_the_api_answers_with_the_incremental_check_and_the_last_full_one(trail: Any, api: str) -> None:
    token = h.api_token(trail, "auditor")
    body = requests.get(f"{api}/audit/verify", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert body["mode"] == "incremental" and body["ok"] is True
    assert body["last_full_verification"]["through_day"] == local_date(utc_now() - timedelta(days=1)).isoformat()
