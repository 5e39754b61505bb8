"""Upload identity (issue 9, item 1): IAM lets a department write only into its own folder, and the intake
refuses, with a receipt naming who, a file another identity wrote into a department's folder.

Runs on the local stack with IAM enforced by moto: department credentials are sessions of the uploader role
(infra/resources.yaml) tagged with the department, exactly what ``guiji local credentials`` prints.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from shared.services.intake import uploader_of
from tests import helpers as h

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(clean_stack: Any) -> Any:
    h.load_registry(clean_stack)
    return clean_stack


def _s3_as(identity: Any, endpoint: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id=identity.access_key_id,
        aws_secret_access_key=identity.secret_access_key,
        aws_session_token=identity.session_token,
        region_name="cn-north-1",
    ).client("s3", endpoint_url=endpoint)


def _csv() -> bytes:
    return h.csv_bytes([h.penalty_row("闽环罚〔2024〕7号", "2024-09-27")])


def test_a_department_may_write_its_own_folder_and_not_another(env: Any) -> None:
    from infra.localrun import department_identity

    s3 = _s3_as(department_identity(h.ENV_DEPT), env.endpoint)
    bucket = env.env["INTAKE_BUCKET"]
    s3.put_object(Bucket=bucket, Key=f"incoming/{h.ENV_DEPT}/penalty/own.csv", Body=_csv())
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key=f"incoming/{h.CITY_DEPT}/penalty/theirs.csv", Body=_csv())
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError):  # nor anywhere else in the bucket (receipts, work files)
        s3.put_object(Bucket=bucket, Key=f"receipts/{h.ENV_DEPT}/penalty/own.csv.json", Body=b"{}")
    env.drain()
    receipt = env.receipt(f"incoming/{h.ENV_DEPT}/penalty/own.csv")
    assert receipt["status"] == "completed" and receipt["counts"]["accepted"] == 1


def test_a_file_someone_else_wrote_into_a_department_folder_is_refused_naming_the_writer(env: Any) -> None:
    # The operator (admin) can write anywhere, but is not the department: the intake refuses and says who.
    from shared.adapters.aws import client

    key = f"incoming/{h.CITY_DEPT}/penalty/planted.csv"
    client("s3").put_object(Bucket=env.env["INTAKE_BUCKET"], Key=key, Body=_csv(), Metadata={"department": h.CITY_DEPT})
    env.drain()
    receipt = env.receipt(key)
    assert receipt["status"] == "refused"
    iam = client("iam")
    admin_id = iam.get_user(UserName="guiji-local-admin")["User"]["UserId"]
    assert admin_id in receipt["message"]  # who wrote it
    assert "福州市生态环境局" in receipt["message"]  # whose folder
    assert receipt["counts"]["read"] == 0
    assert not list(env.deps.tables.records.by_department(h.CITY_DEPT, *_any_dates()))


def test_another_departments_session_is_named_in_the_refusal(env: Any) -> None:
    # IAM keeps a department session out of other folders; should one still get there (a wrong bucket policy,
    # a future grant), the intake refuses it by the principal AWS reports.
    import json

    from shared.adapters.aws import client

    key = f"incoming/{h.CITY_DEPT}/penalty/wrong-folder.csv"
    client("s3").put_object(Bucket=env.env["INTAKE_BUCKET"], Key=key, Body=_csv())
    sqs = client("sqs")
    # Swallow moto's notification of that write and deliver one that names a session of ENV_DEPT instead.
    while messages := sqs.receive_message(QueueUrl=env.env["INTAKE_QUEUE_URL"], WaitTimeSeconds=1).get("Messages"):
        for m in messages:
            sqs.delete_message(QueueUrl=env.env["INTAKE_QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"])
    role_id = env.env["GUIJI_UPLOADER_ROLE_ID"]
    record = {
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": f"AWS:{role_id}:{h.ENV_DEPT}-clerk7"},
        "s3": {"bucket": {"name": env.env["INTAKE_BUCKET"]}, "object": {"key": key.replace("/", "%2F")}},
    }
    client("sqs").send_message(QueueUrl=env.env["INTAKE_QUEUE_URL"], MessageBody=json.dumps({"Records": [record]}))
    env.drain()
    receipt = env.receipt(key)
    assert receipt["status"] == "refused"
    assert f"部门{h.ENV_DEPT}（会话 {h.ENV_DEPT}-clerk7）" in receipt["message"]


def test_only_sessions_of_the_uploader_role_name_a_department() -> None:
    role = "AROAUPLOADER0000001"
    assert uploader_of(f"AWS:{role}:{h.ENV_DEPT}-local", role).department == h.ENV_DEPT
    # the same session name on another role, a user, an empty or missing role id: no department
    assert uploader_of(f"AWS:AROAOTHER000000001:{h.ENV_DEPT}-local", role).department is None
    assert uploader_of("AWS:AIDAUSER00000000001", role).department is None
    assert uploader_of("", role).department is None
    assert uploader_of(f"AWS:{role}:{h.ENV_DEPT}-local", None).department is None
    assert "身份不明" in uploader_of("", role).label_zh


def test_local_credentials_prints_export_lines(env: Any, capsys: Any, monkeypatch: Any, tmp_path: Any) -> None:
    import json
    import os

    from infra import cli

    state = tmp_path / "local.json"
    state.write_text(
        json.dumps({"pid": os.getpid(), "endpoint": env.endpoint, "region": "cn-north-1", "env": env.env}),
        encoding="utf-8",
    )
    monkeypatch.setattr(cli, "STATE_FILE", state)
    assert cli.main(["local", "credentials", "--department", h.ENV_DEPT]) == 0
    lines = dict(
        line.removeprefix("export ").split("=", 1)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("export ")
    )
    assert lines["AWS_ACCESS_KEY_ID"].startswith("ASIA") and lines["AWS_SESSION_TOKEN"]
    s3 = boto3.session.Session(
        aws_access_key_id=lines["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=lines["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=lines["AWS_SESSION_TOKEN"],
        region_name=lines["AWS_DEFAULT_REGION"],
    ).client("s3", endpoint_url=lines["AWS_ENDPOINT_URL"])
    with pytest.raises(ClientError):
        s3.put_object(Bucket=env.env["INTAKE_BUCKET"], Key=f"incoming/{h.CITY_DEPT}/penalty/a.csv", Body=b"x")
    assert cli.main(["local", "credentials", "--department", "NOSUCHDEPT"]) == 2


def _any_dates() -> tuple[Any, Any]:
    from datetime import date

    return date(2000, 1, 1), date(2100, 1, 1)


# ----------------------------------------------------------------------------- people: POST /uploads


@pytest.fixture
def api(env: Any) -> Any:
    from infra.localrun import free_port, serve_api

    port = free_port()
    server = serve_api(port)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def _post_json(url: str, body: Any, tok: str | None) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {tok}"} if tok else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _token(env: Any, role: str, department: str | None = None) -> str:
    return h.api_token(env, role, department=department, sub="zhang.san")


def _submit(form: dict[str, Any], data: bytes, **overrides: str) -> int:
    import requests

    fields = {**form["fields"], **overrides}
    return int(requests.post(form["url"], data=fields, files={"file": ("f.csv", data)}, timeout=30).status_code)


def test_a_department_token_gets_a_form_for_its_own_folder_that_the_intake_accepts(env: Any, api: str) -> None:
    data = _csv()
    status, form = _post_json(
        f"{api}/uploads",
        {"category": "penalty", "file_name": "处罚.csv", "size": len(data)},
        _token(env, "department", h.ENV_DEPT),
    )
    assert status == 200, form
    assert form["key"] == f"incoming/{h.ENV_DEPT}/penalty/处罚.csv"
    # the form cannot be bent: another key, a bigger file → refused by the store (S3's POST policy check)
    assert _submit(form, data, key=f"incoming/{h.CITY_DEPT}/penalty/x.csv") == 403
    assert _submit(form, data + b"x" * 10) == 403
    assert _submit(form, data) == 204
    env.drain()
    receipt = env.receipt(form["key"])
    assert receipt["status"] == "completed" and receipt["counts"]["accepted"] == 1


def test_upload_forms_are_for_department_tokens_and_valid_requests_only(env: Any, api: str) -> None:
    dept = _token(env, "department", h.ENV_DEPT)
    url = f"{api}/uploads"
    assert _post_json(url, {"category": "penalty", "file_name": "a.csv", "size": 10}, None)[0] == 401
    assert _post_json(url, {"category": "penalty", "file_name": "a.csv", "size": 10}, _token(env, "auditor"))[0] == 403
    bad = [
        {"category": "nonsense", "file_name": "a.csv", "size": 10},
        {"category": "penalty", "file_name": "../a.csv", "size": 10},
        {"category": "penalty", "file_name": "..", "size": 10},
        {"category": "penalty", "file_name": "a.csv", "size": 0},
        {"category": "penalty", "file_name": "a.csv", "size": 10**12},
        {"category": "penalty", "file_name": "a.csv", "size": "10"},
        {"category": "published", "file_name": "a.csv", "size": 10},  # regulators only
        {"category": "penalty", "file_name": "a.csv"},
    ]
    for body in bad:
        status, answer = _post_json(url, body, dept)
        assert status == 400, body
        assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["Message"]), answer  # a Chinese message
