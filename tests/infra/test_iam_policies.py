"""The deployed IAM policies allow every AWS call each function makes (issue 7, item 2).

The end-to-end flows run on the local stack; a botocore hook records every call with the function that made
it (service, operation, parameters); each call is turned into the IAM actions and ARNs AWS checks
(``infra.iam.required``) and evaluated against that function's deployed policies (infra/policy.json plus what
infra/chalice-overrides.yaml attaches to its role), with the ``Fn::Sub`` ARNs resolved against the stack.
moto enforces IAM on the local stack too, but only partly (not DynamoDB/SNS resources); this test is exact.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from infra.iam import FUNCTIONS, Call, Need, Place, PolicyError, evaluate, required, source_function_policies
from tests import helpers as h

pytestmark = pytest.mark.e2e

PLACE = Place(partition="aws-cn", region="cn-north-1", account="123456789012")


# ----------------------------------------------------------------------------- the evaluator itself


def test_explicit_deny_beats_allow_and_wildcards_match() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws-cn:s3:::b/*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws-cn:s3:::b/keep/*"},
        ]
    }
    assert evaluate([policy], Need("s3:PutObject", "arn:aws-cn:s3:::b/x/y.csv")) == "allow"
    assert evaluate([policy], Need("S3:putobject", "arn:aws-cn:s3:::b/x")) == "allow"  # actions: any case
    assert evaluate([policy], Need("s3:DeleteObject", "arn:aws-cn:s3:::b/keep/a")) == "deny"
    assert evaluate([policy], Need("s3:PutObject", "arn:aws-cn:s3:::B/x")) == "implicit-deny"  # ARNs: exact case
    assert evaluate([policy], Need("sqs:SendMessage", "arn:aws-cn:s3:::b/x")) == "implicit-deny"


def test_conditions_are_refused_rather_than_misjudged() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {}}}]}
    with pytest.raises(PolicyError):
        evaluate([policy], Need("s3:GetObject", "arn:aws-cn:s3:::b/x"))


def test_calls_map_to_what_the_service_authorises() -> None:
    delete = required(
        "s3", "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "w/1"}, {"Key": "w/2"}]}}, PLACE
    )
    assert delete == [
        Need("s3:DeleteObject", "arn:aws-cn:s3:::b/w/1"),
        Need("s3:DeleteObject", "arn:aws-cn:s3:::b/w/2"),
    ]
    assert required("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, PLACE) == [
        Need("s3:GetObject", "arn:aws-cn:s3:::b/k")
    ]
    query = required("dynamodb", "Query", {"TableName": "t", "IndexName": "gsi1"}, PLACE)
    assert query == [Need("dynamodb:Query", "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t/index/gsi1")]
    with pytest.raises(PolicyError):
        required("dynamodb", "DeleteTable", {"TableName": "t"}, PLACE)


# ----------------------------------------------------------------------------- every call of the e2e flows


@pytest.fixture
def recorded(clean_stack: Any) -> Iterator[list[Call]]:
    from shared.adapters import aws

    calls: list[Call] = []

    def hook(created: Any, identity: aws.Identity | None) -> None:
        if identity is None or identity.name not in FUNCTIONS:
            return  # the test's own set-up and checks, or a department uploading: not a function

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            service = model.service_model.service_name
            calls.append(Call(identity.name, service, model.name, json.loads(json.dumps(params, default=str))))

        created.meta.events.register("before-parameter-build", record)

    aws.CLIENT_HOOKS.append(hook)
    aws.clear_clients()
    try:
        yield calls
    finally:
        aws.CLIENT_HOOKS.remove(hook)
        aws.clear_clients()


def _run_flows(stack: Any) -> None:
    from infra.cli import main
    from infra.localrun import free_port, serve_api

    h.load_registry(stack)
    port = free_port()
    server = serve_api(port)
    try:
        _flows(stack, main, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()


def _call(url: str, token: str, method: str = "GET", body: Any = None) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request) as response:
        assert response.status in (200, 201)
        return json.loads(response.read())


def _flows(stack: Any, main: Any, api: str) -> None:
    # another department subscribes to what is published (SNS Subscribe by the API; PublishBatch by publication)
    fuzhou = h.api_token(stack, "department", "350100", h.CITY_DEPT)
    subscription = _call(f"{api}/subscriptions", fuzhou, "POST", {"endpoint": "duty@example.cn", "protocol": "email"})
    # accepted rows, a rejected row (reject report in work/, then deleted), a correction, a refused file
    good = h.penalty_row("闽环罚〔2024〕1号", "2024-09-27")
    bad = h.penalty_row("闽环罚〔2024〕2号", "2024-09-27", code="123")
    receipt = stack.upload(h.ENV_DEPT, "penalty", "mixed.csv", h.csv_bytes([good, bad]))
    assert receipt["counts"]["rejected"] == 1 and receipt["rejects_key"]
    h.upload_penalty(stack, "fix.csv", "闽环罚〔2024〕1号", "2024-09-27", content="更正")
    assert stack.upload(h.ENV_DEPT, "nonsense", "x.csv", b"a,b\n1,2\n")["status"] == "refused"
    # the scheduled and on-demand jobs, through their functions
    for job in (["invoke", "publish"], ["invoke", "scan", "--as-of", "2024-12-02"], ["invoke", "notify"]):
        assert main(job) == 0
    assert main(["invoke", "bulletin", "--period", "2024-09", "--scope", "350000", "--as-of", "2024-10-31"]) == 0
    # the API function
    for role, path in (("auditor", "/breaches"), ("auditor", "/audit/verify"), ("supervisor", "/bulletins")):
        _call(api + path, h.api_token(stack, role))
    with urllib.request.urlopen(f"{api}/public/subjects?q={h.COMPANY}") as response:
        assert response.status == 200
    # POST /uploads: the API starts an upload session of the caller's department
    dept = h.api_token(stack, "department", department=h.ENV_DEPT)
    _call(f"{api}/uploads", dept, "POST", {"category": "penalty", "file_name": "a.csv", "size": 100})
    assert _call(f"{api}/subscriptions", fuzhou)["items"][0]["delivered"] >= 1
    _call(f"{api}/subscriptions/{subscription['subscription_id']}", fuzhou, "DELETE")


def test_every_call_of_every_function_is_allowed_by_its_deployed_policy(clean_stack: Any, recorded: list[Call]) -> None:
    from infra.local_stack import resolved_function_policies

    _run_flows(clean_stack)
    policies = resolved_function_policies(clean_stack.endpoint)
    functions = {c.function for c in recorded}
    assert {"intake_upload", "daily_scan", "publish_run", "run_job", "api_handler"} <= functions
    assert any(c.service == "s3" and c.operation == "DeleteObjects" for c in recorded)  # work files cleared
    assert any(c.service == "sts" and c.operation == "AssumeRole" for c in recorded)  # an upload session
    shared = {(c.function, c.operation) for c in recorded if c.service == "sns"}
    assert {("api_handler", "Subscribe"), ("publish_run", "PublishBatch"), ("api_handler", "Unsubscribe")} <= shared
    refused = sorted(
        {
            f"{call.function}: {need.action} on {need.resource} ({verdict})"
            for call in recorded
            for need in required(call.service, call.operation, call.params, PLACE)
            if (verdict := evaluate(policies[call.function], need)) != "allow"
        }
    )
    assert refused == []


def _unsub(node: Any) -> Any:
    """``{"Fn::Sub": "${IntakeBucket.Arn}/work/*"}`` → the template text itself, for symbolic checks."""
    if isinstance(node, dict):
        return node["Fn::Sub"] if set(node) == {"Fn::Sub"} else {k: _unsub(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_unsub(v) for v in node]
    return node


def test_the_intake_may_write_and_clear_its_work_files_but_not_touch_uploads() -> None:
    documents = _unsub(source_function_policies({})["intake_upload"])
    work = "${IntakeBucket.Arn}/work/abc/rejects-00000.json"
    upload = "${IntakeBucket.Arn}/incoming/X/penalty/a.csv"
    assert evaluate(documents, Need("s3:PutObject", work)) == "allow"
    assert evaluate(documents, Need("s3:DeleteObject", work)) == "allow"
    assert evaluate(documents, Need("s3:DeleteObject", upload)) == "implicit-deny"
    assert evaluate(documents, Need("s3:PutObject", upload)) == "implicit-deny"
