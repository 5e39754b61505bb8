"""infra/local_stack.py: the same resources.yaml provisioned into a moto server, plus the parts moto skips."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.local_stack import ENV_RESOURCES, enforce_iam, load_resources, local_policy_document, provision
from tests.helpers import FUNCTION_ENV

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .*QueuePolicy:UserWarning")

REGION = "cn-north-1"
ENV_NAMES = FUNCTION_ENV


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto's IAM switch is process-wide: a local stack started earlier in this worker may have turned it on.
    from moto import settings

    enforced = settings.INITIAL_NO_AUTH_ACTION_COUNT == 0
    endpoint = f"http://{host}:{port}"
    enforce_iam(endpoint, False)
    try:
        yield endpoint
    finally:
        enforce_iam(endpoint, enforced)
        server.stop()


@pytest.fixture(scope="module")
def env(endpoint: str) -> dict[str, str]:
    return provision(endpoint)


@pytest.fixture(scope="module")
def session() -> boto3.session.Session:
    return boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def _client(session: boto3.session.Session, endpoint: str, service: str) -> Any:
    return session.client(service, endpoint_url=endpoint)


def _drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message currently in the queue (bodies parsed), deleting as it goes."""
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_returns_the_functions_environment(env: dict[str, str]) -> None:
    assert set(env) - {"GUIJI_UPLOADER_ROLE_ID", "GUIJI_UPLOADER_ROLE_ARN"} == ENV_NAMES == set(ENV_RESOURCES)
    assert env["GUIJI_UPLOADER_ROLE_ID"].startswith("AROA")  # the uploader role's unique id
    assert "intake" in env["INTAKE_BUCKET"]
    assert "reports" in env["REPORTS_BUCKET"]
    assert env["INTAKE_BUCKET"] == f"guiji-local-intake-123456789012-{REGION}"
    assert env["RECORDS_TABLE"] == "guiji-local-records"
    assert env["AUDIT_TABLE"] == "guiji-local-audit"
    assert env["IDEMPOTENCY_TABLE"] == "guiji-local-idempotency"
    # China region: the partition is aws-cn, exactly as in production.
    assert env["NOTICES_TOPIC_ARN"] == "arn:aws-cn:sns:cn-north-1:123456789012:guiji-local-notices"


def test_queue_url_points_at_the_local_endpoint(env: dict[str, str], endpoint: str) -> None:
    assert env["INTAKE_QUEUE_URL"] == f"{endpoint}/123456789012/guiji-local-intake"


def test_tables_exist_with_their_keys(env: dict[str, str], session: boto3.session.Session, endpoint: str) -> None:
    dynamodb = _client(session, endpoint, "dynamodb")
    records = dynamodb.describe_table(TableName=env["RECORDS_TABLE"])["Table"]
    assert sorted(i["IndexName"] for i in records["GlobalSecondaryIndexes"]) == ["gsi1", "gsi2", "gsi3", "gsi4", "gsi5"]
    idempotency = dynamodb.describe_table(TableName=env["IDEMPOTENCY_TABLE"])["Table"]
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_uploads_under_incoming_notify_the_intake_queue(
    env: dict[str, str], session: boto3.session.Session, endpoint: str
) -> None:
    s3 = _client(session, endpoint, "s3")
    sqs = _client(session, endpoint, "sqs")
    _drain(sqs, env["INTAKE_QUEUE_URL"])  # S3 sends s3:TestEvent when the notification is configured
    s3.put_object(Bucket=env["INTAKE_BUCKET"], Key="incoming/x/penalty/a.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket=env["INTAKE_BUCKET"], Key="other/x.csv", Body=b"a,b\n1,2\n")
    bodies = [b for b in _drain(sqs, env["INTAKE_QUEUE_URL"]) if b.get("Event") != "s3:TestEvent"]
    keys = [unquote_plus(r["s3"]["object"]["key"]) for body in bodies for r in body["Records"]]
    assert keys == ["incoming/x/penalty/a.csv"]
    (record,) = bodies[0]["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == env["INTAKE_BUCKET"]


def test_ttl_is_enabled_where_the_template_asks(
    env: dict[str, str], session: boto3.session.Session, endpoint: str
) -> None:
    dynamodb = _client(session, endpoint, "dynamodb")
    control = dynamodb.describe_time_to_live(TableName=env["CONTROL_TABLE"])["TimeToLiveDescription"]
    assert control == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    idempotency = dynamodb.describe_time_to_live(TableName=env["IDEMPOTENCY_TABLE"])["TimeToLiveDescription"]
    assert idempotency == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}
    records = dynamodb.describe_time_to_live(TableName=env["RECORDS_TABLE"])["TimeToLiveDescription"]
    assert records["TimeToLiveStatus"] == "DISABLED"


def test_other_skipped_properties_are_reapplied(
    env: dict[str, str], session: boto3.session.Session, endpoint: str
) -> None:
    s3 = _client(session, endpoint, "s3")
    assert s3.get_bucket_versioning(Bucket=env["INTAKE_BUCKET"])["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=env["REPORTS_BUCKET"])["PublicAccessBlockConfiguration"]
    assert all(block.values())
    dynamodb = _client(session, endpoint, "dynamodb")
    backups = dynamodb.describe_continuous_backups(TableName=env["AUDIT_TABLE"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    sqs = _client(session, endpoint, "sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=env["INTAKE_QUEUE_URL"], AttributeNames=["All"])["Attributes"]
    (statement,) = json.loads(attributes["Policy"])["Statement"]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws-cn:s3:::{env['INTAKE_BUCKET']}"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": "arn:aws-cn:sqs:cn-north-1:123456789012:guiji-local-intake-dlq",
        "maxReceiveCount": 5,
    }
    assert attributes["VisibilityTimeout"] == "5400"


def test_provisioning_twice_is_idempotent(env: dict[str, str], session: boto3.session.Session, endpoint: str) -> None:
    sqs = _client(session, endpoint, "sqs")
    _drain(sqs, env["INTAKE_QUEUE_URL"])
    again = provision(endpoint)
    assert again == env
    cloudformation = _client(session, endpoint, "cloudformation")
    assert [s["StackName"] for s in cloudformation.describe_stacks()["Stacks"]] == ["guiji-local"]
    s3 = _client(session, endpoint, "s3")
    configs = s3.get_bucket_notification_configuration(Bucket=env["INTAKE_BUCKET"])["QueueConfigurations"]
    assert len(configs) == 1
    # An unchanged notification is not re-put, so no second s3:TestEvent reaches the handler's queue.
    assert _drain(sqs, env["INTAKE_QUEUE_URL"]) == []


def test_another_stage_gets_its_own_resources(endpoint: str) -> None:
    other = provision(endpoint, stage="demo")
    assert other["INTAKE_BUCKET"] == f"guiji-demo-intake-123456789012-{REGION}"
    assert other["RECORDS_TABLE"] == "guiji-demo-records"


def test_policy_document_resolves_to_local_arns(env: dict[str, str], endpoint: str) -> None:
    document = local_policy_document(endpoint)
    assert "${" not in json.dumps(document)
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    audit_arn = f"arn:aws-cn:dynamodb:cn-north-1:123456789012:table/{env['AUDIT_TABLE']}"
    assert by_sid["AppendAndReadAuditTrail"]["Resource"] == [audit_arn, f"{audit_arn}/index/*"]
    assert by_sid["WriteReceipts"]["Resource"] == f"arn:aws-cn:s3:::{env['INTAKE_BUCKET']}/receipts/*"
    assert by_sid["PublishNotices"]["Resource"] == env["NOTICES_TOPIC_ARN"]


def test_short_tags_load_in_long_form() -> None:
    template = load_resources()
    bucket = template["Resources"]["IntakeBucket"]["Properties"]
    assert bucket["NotificationConfiguration"]["QueueConfigurations"][0]["Queue"] == {
        "Fn::GetAtt": ["IntakeQueue", "Arn"]
    }
    assert template["Resources"]["IntakeQueuePolicy"]["Properties"]["Queues"] == [{"Ref": "IntakeQueue"}]
