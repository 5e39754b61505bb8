"""Issue 7 §1 and §10 over real HTTP: every request is validated (400 in Chinese, nothing malformed stored), one
unreadable item never stops a job, and a department reads only its own rows of a bulletin's named overdue list."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date
from typing import Any

import boto3
import pytest

from functions.app import run_job
from shared.ledger import record_id
from shared.services import monitor
from tests import helpers as h

pytestmark = pytest.mark.e2e
ON_TIME = "2024-10-12T15:30:00Z"


def _call(url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", **({"Content-Type": "application/json"} if data else {})}
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET", headers=headers)
    try:
        with urllib.request.urlopen(request) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _chinese(body: dict[str, Any]) -> str:
    message = str(body.get("Message") or body.get("message"))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert "Traceback" not in message and "invalid literal" not in message and "Input should" not in message
    return message


def _held(env: Any) -> str:
    h.upload_penalty(env, "held.csv", "闽环罚〔2024〕9号", "2024-09-27", name="福州未登记贸易有限公司", code=h.UNKNOWN)
    return record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕9号")


@pytest.mark.parametrize("body", [{"reject": {"a": 1}}, {"uscc": ["a"]}, {"uscc": 5}, {}, {"uscc": "x", "reject": "y"}])
def test_attribute_bodies_of_the_wrong_shape_are_refused_and_nothing_is_stored(
    env: Any, api: str, body: dict[str, Any]
) -> None:
    rid = _held(env)
    regulator = h.api_token(env, "regulator", "350000")
    status, answer = _call(f"{api}/records/{rid}/attribute", regulator, body)
    assert status == 400
    _chinese(answer)
    status, record = _call(f"{api}/records/{rid}", regulator)
    assert status == 200 and record["record"]["held"] is True
    assert run_job("scan", {"detail": {"as_of": "2024-10-31"}})["job"] == "scan"


def test_an_ack_note_must_be_text(env: Any, api: str) -> None:
    h.upload_penalty(env, "late.csv", "闽环罚〔2024〕1号", "2024-09-27", collected_at="2024-10-16T02:00:00Z")
    monitor.run_scan(date(2024, 10, 31), env.deps)
    breach = next(iter(env.deps.tables.breaches.listing(kinds=["collection_late"])))
    supervisor = h.api_token(env, "supervisor", "350000")
    url = f"{api}/breaches/{breach.breach_id}/ack"
    for body in ({"note": {"text": "已整改"}}, {"note": ["已整改"]}, {"note": "   "}, {"note": "好", "as_of": "昨天"}):
        status, answer = _call(url, supervisor, body)
        assert status == 400, body
        _chinese(answer)
    assert not env.deps.tables.breaches.get(breach.breach_id).acks
    status, answer = _call(url, supervisor, {"note": "已督促整改"})
    assert status == 200 and answer["acknowledged"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("from=2024-13-01", "YYYY-MM-DD"),
        ("as_of=yesterday", "YYYY-MM-DD"),
        ("format=xml", "format"),
        ("kind=late", "违规类型"),
        ("colour=red", "colour"),
    ],
)
def test_breach_query_parameters_are_validated(env: Any, api: str, query: str, fragment: str) -> None:
    status, body = _call(f"{api}/breaches?{query}", h.api_token(env))
    assert status == 400
    assert fragment in _chinese(body)


def test_other_routes_validate_their_parameters(env: Any, api: str) -> None:
    auditor = h.api_token(env)
    for url in (
        f"{api}/departments/{h.ENV_DEPT}/scorecard?period=2024-13",
        f"{api}/calendar/deadline?date=2024-09-27&days=abc",
        f"{api}/calendar/deadline?days=7",
        f"{api}/held?format=pdf",
        f"{api}/bulletins/350000/2024-13",
    ):
        status, body = _call(url, auditor)
        assert status == 400, url
        _chinese(body)


def _corrupt(env: Any) -> str:
    """A record item written directly with a field of the wrong type, in the open-publication index."""
    h.upload_penalty(env, "bad.csv", "闽环罚〔2024〕66号", "2024-09-27", collected_at=ON_TIME)
    rid = record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕66号")
    boto3.client("dynamodb").update_item(
        TableName=env.env["RECORDS_TABLE"],
        Key={"pk": {"S": f"REC#{rid}"}, "sk": {"S": "CUR"}},
        UpdateExpression="SET version = :v, rejected_by_regulator = :r",
        ExpressionAttributeValues={":v": {"S": "not a number"}, ":r": {"M": {"a": {"N": "1"}}}},
    )
    return rid


def test_an_unreadable_record_is_quarantined_and_the_scan_still_sends_every_digest(env: Any, api: str) -> None:
    bad = _corrupt(env)
    h.upload_penalty(env, "good.csv", "闽环罚〔2024〕67号", "2024-09-27", collected_at=ON_TIME)
    result = run_job("scan", {"detail": {"as_of": "2024-10-31"}})
    assert result["scan"]["quarantined"] == [f"REC#{bad}/CUR"]
    assert result["scan"]["opened"] >= 1  # the readable record's breach still opened
    assert result["notices"]["digests"] >= 1
    messages = [
        json.loads(m["Body"])["Message"]
        for m in boto3.client("sqs")
        .receive_message(QueueUrl=env.env["GUIJI_INBOX_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        .get("Messages", [])
    ]
    assert any("无法读取" in m and "闽环罚〔2024〕67号" in m for m in messages), messages
    audit = env.deps.tables.audit.stream("QUARANTINE")
    assert [e["detail"]["key"] for e in audit] == [f"REC#{bad}/CUR"]
    status, body = _call(f"{api}/records/{bad}", h.api_token(env))
    assert status == 500 and "隔离" in _chinese(body)


def test_the_cli_reports_an_unreadable_record_in_one_line(env: Any, capsys: Any) -> None:
    from infra.cli import main

    bad = _corrupt(env)
    assert main(["record", bad]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("guiji:") and "隔离" in err and "\n" not in err


def test_a_department_reads_only_its_own_rows_of_the_named_overdue_list(env: Any, api: str) -> None:
    from infra.cli import main

    h.upload_penalty(env, "a.csv", "闽环罚〔2024〕60号", "2024-09-27", collected_at=ON_TIME)
    h.upload_penalty(env, "b.csv", "榕环罚〔2024〕60号", "2024-09-27", dept=h.CITY_DEPT, collected_at=ON_TIME)
    monitor.run_scan(date(2024, 10, 31), env.deps)
    assert main(["invoke", "bulletin", "--period", "2024-09", "--scope", "350000", "--as-of", "2024-10-31"]) == 0
    status, full = _call(f"{api}/bulletins/350000/2024-09", h.api_token(env, "supervisor", "350000"))
    assert status == 200 and {r["department"] for r in full["overdue"]} == {h.ENV_DEPT, h.CITY_DEPT}
    city = h.api_token(env, "department", "350100", h.CITY_DEPT)
    status, mine = _call(f"{api}/bulletins/350000/2024-09", city)
    assert status == 200
    assert [r["department"] for r in mine["overdue"]] == [h.CITY_DEPT]
    assert mine["overdue_other_departments"] == 1
    assert mine["totals"] == full["totals"] and mine["by_department"] == full["by_department"]  # circulated
    assert h.ENV_DEPT not in json.dumps(mine["overdue"])
    assert _call(f"{api}/bulletins/350200/2024-09", city)[0] == 403  # another city's bulletin


def test_deadline_and_timeline_explain_their_due_dates(env: Any, api: str) -> None:
    status, body = _call(f"{api}/calendar/deadline?date=2024-09-27&days=20", h.api_token(env))
    assert status == 200 and body["due"] == "2024-10-30"
    explained = body["explanation"]
    assert explained["make_up_days"] == ["2024-09-29", "2024-10-12"]
    assert {"date": "2024-10-01", "kind": "holiday", "reason": "国庆节"} in explained["rest_days"]
    assert len(explained["counted"]) == 20 and any("国庆节" in line for line in explained["text"])
    h.upload_penalty(env, "x.csv", "闽环罚〔2024〕5号", "2024-09-27", collected_at=ON_TIME)
    status, timeline = _call(f"{api}/records/{record_id(h.ENV_DEPT, 'penalty', '闽环罚〔2024〕5号')}", h.api_token(env))
    assert status == 200
    assert timeline["due_dates"]["collect"]["due"] == "2024-10-12"
    assert timeline["due_dates"]["publish"]["due"] == "2024-10-30"
