"""Provision infra/resources.yaml into a running moto server: the local stack.

moto's CloudFormation creates the buckets, queues, tables and topic but silently ignores some properties
(serverless.md M3): bucket notifications and CORS, versioning and public-access blocks, DynamoDB TTL and point-in-time
recovery, queue policies and SNS subscriptions. ``provision`` creates the stack and then re-applies exactly
those properties, read from the same YAML, so the local stack behaves like the deployed one.

Usage::

    python -m infra.local_stack http://127.0.0.1:PORT [--stage local] [--region cn-north-1]

prints the environment (``INTAKE_BUCKET=…``) for the functions, the CLI or ``chalice local``.

Region: moto handles the China regions well (ARNs come out as ``arn:aws-cn:…``, S3 → SQS notifications work),
so the local stack defaults to cn-north-1 like production.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

RESOURCES_FILE = Path(__file__).resolve().parent / "resources.yaml"
POLICY_FILE = Path(__file__).resolve().parent / "policy.json"
DEFAULT_STAGE = "local"
DEFAULT_REGION = "cn-north-1"

# Environment variable → logical id in resources.yaml. Same names as Globals in chalice-overrides.yaml.
ENV_RESOURCES: dict[str, str] = {
    "INTAKE_BUCKET": "IntakeBucket",
    "REPORTS_BUCKET": "ReportsBucket",
    "AUDIT_SEALS_BUCKET": "AuditSealsBucket",
    "RECORDS_TABLE": "RecordsTable",
    "REGISTRY_TABLE": "RegistryTable",
    "BREACHES_TABLE": "BreachesTable",
    "AUDIT_TABLE": "AuditTable",
    "CONTROL_TABLE": "ControlTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
    "INTAKE_QUEUE_URL": "IntakeQueue",
    "NOTICES_TOPIC_ARN": "NoticesTopic",
    "SHARING_TOPIC_ARN": "SharingTopic",
    "GUIJI_TOKEN_SECRET_ARN": "TokenSecret",
}

_READY = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}


class LocalStackError(Exception):
    """Raised when the local stack cannot be provisioned."""


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
    """SafeLoader that expands CloudFormation short tags; a private subclass, so no global side effects."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = suffix if suffix in {"Ref", "Condition"} else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


_PARSED: dict[tuple[str, float], Any] = {}


def _load_yaml(path: Path) -> Any:
    """A CloudFormation YAML file with short tags expanded, parsed once per version of the file (a fresh copy each
    call: tests reset the local stack often, and parsing is most of a provisioning's own time)."""
    key = (str(path), path.stat().st_mtime)
    if key not in _PARSED:
        _PARSED[key] = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    return copy.deepcopy(_PARSED[key])


def load_resources(path: Path = RESOURCES_FILE) -> dict[str, Any]:
    """Load the resource template with short tags expanded (``!Ref X`` → ``{"Ref": "X"}``)."""
    loaded: dict[str, Any] = _load_yaml(path)
    return loaded


_CLIENTS: dict[tuple[str, str, str, str], Any] = {}


class _Stack:
    """Physical ids of a created stack plus the few attribute look-ups the template uses."""

    def __init__(self, session: boto3.session.Session, endpoint_url: str, stack_name: str, stage: str) -> None:
        self._session = session
        self._endpoint = endpoint_url
        self._clients: dict[str, Any] = {}
        self.region_name = str(session.region_name)
        self.region: str = str(session.region_name)
        self.partition: str = str(session.get_partition_for_region(self.region))
        self.account: str = str(self.client("sts").get_caller_identity()["Account"])
        self.stack_name = stack_name
        self.parameters = {"Stage": stage}
        self.template = load_resources()
        self.physical: dict[str, str] = {}
        self._queue_urls: dict[str, str] = {}
        self._attributes: dict[tuple[str, str], str] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            credentials = self._session.get_credentials()
            key = (self._endpoint, self.region_name, credentials.access_key if credentials else "", service)
            if key not in _CLIENTS:  # clients are costly to make and the same endpoint is provisioned again and again
                _CLIENTS[key] = self._session.client(service, endpoint_url=self._endpoint)
            self._clients[service] = _CLIENTS[key]
        return self._clients[service]

    def load_physical_ids(self) -> None:
        paginator = self.client("cloudformation").get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=self.stack_name):
            for summary in page["StackResourceSummaries"]:
                if summary.get("PhysicalResourceId"):
                    self.physical[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]

    def resource_type(self, logical: str) -> str:
        resource_type: str = self.template["Resources"][logical]["Type"]
        return resource_type

    def queue_url(self, logical: str) -> str:
        # moto's physical id is the canonical AWS URL; ask the server for one that points at the endpoint.
        if logical not in self._queue_urls:
            name = self.physical[logical].rstrip("/").rsplit("/", 1)[-1]
            self._queue_urls[logical] = self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        return self._queue_urls[logical]

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.physical:
            raise LocalStackError(f"unknown reference {name!r}")
        if self.resource_type(name) == "AWS::SQS::Queue":
            return self.queue_url(name)
        return self.physical[name]

    def get_att(self, logical: str, attribute: str) -> str:
        # A created resource's attributes do not change: ask the server once (policies name the same ARNs often).
        key = (logical, attribute)
        if key not in self._attributes:
            self._attributes[key] = self._get_att(logical, attribute)
        return self._attributes[key]

    def _get_att(self, logical: str, attribute: str) -> str:
        kind = self.resource_type(logical)
        physical = self.physical[logical]
        value: str
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            value = f"arn:{self.partition}:s3:::{physical}"
        elif kind == "AWS::SQS::Queue" and attribute == "Arn":
            attrs = self.client("sqs").get_queue_attributes(
                QueueUrl=self.queue_url(logical), AttributeNames=["QueueArn"]
            )
            value = attrs["Attributes"]["QueueArn"]
        elif kind == "AWS::SQS::Queue" and attribute == "QueueName":
            value = physical.rstrip("/").rsplit("/", 1)[-1]
        elif kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            value = self.client("dynamodb").describe_table(TableName=physical)["Table"]["TableArn"]
        elif kind == "AWS::IAM::Role" and attribute in {"Arn", "RoleId"}:
            value = self.client("iam").get_role(RoleName=physical)["Role"][attribute]
        elif kind == "AWS::SNS::Topic" and attribute == "TopicName":
            value = physical.rsplit(":", 1)[-1]
        else:
            raise LocalStackError(f"attribute {logical}.{attribute} is not supported by the local stack")
        return value

    def resolve(self, value: Any) -> Any:
        """Evaluate the intrinsics the template uses (Ref, GetAtt, Sub, Join) against the created stack."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(p) for p in self.resolve(parts))
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: str | list[Any]) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
        out: list[str] = []
        pos = 0
        while (start := text.find("${", pos)) != -1:
            end = text.index("}", start)
            out.append(text[pos:start])
            name = text[start + 2 : end]
            if name.startswith("!"):  # "${!Literal}" escapes the substitution
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name and not name.startswith("AWS::"):
                out.append(self.get_att(*name.split(".", 1)))
            else:
                out.append(self.ref(name))
            pos = end + 1
        out.append(text[pos:])
        return "".join(out)


def _session(region: str) -> boto3.session.Session:
    """A boto3 session for the region; moto accepts any credentials, so fake ones stand in when none are set."""
    session = boto3.session.Session(region_name=region)
    if session.get_credentials() is None:
        session = boto3.session.Session(
            region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
    return session


def _stack_status(cloudformation: Any, stack_name: str) -> str | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ValidationError":  # "Stack with id … does not exist"
            return None
        raise
    status: str | None = stacks[0]["StackStatus"] if stacks else None
    return None if status == "DELETE_COMPLETE" else status


def _ensure_stack(stack: _Stack) -> None:
    cloudformation = stack.client("cloudformation")
    status = _stack_status(cloudformation, stack.stack_name)
    if status is None:
        cloudformation.create_stack(
            StackName=stack.stack_name,
            TemplateBody=RESOURCES_FILE.read_text(encoding="utf-8"),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in stack.parameters.items()],
        )
        waiter = cloudformation.get_waiter("stack_create_complete")
        waiter.wait(StackName=stack.stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        status = _stack_status(cloudformation, stack.stack_name)
    if status not in _READY:
        raise LocalStackError(f"stack {stack.stack_name} is {status}; reset the moto server and provision again")


# --------------------------------------------------------------------------- fix-ups moto's CloudFormation skips


def _notification_key(configs: list[dict[str, Any]]) -> list[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]]:
    """Comparable form of a bucket's queue notifications (moto adds Ids, order may differ)."""
    key = []
    for config in configs:
        rules = config.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        key.append(
            (
                config["QueueArn"],
                tuple(sorted(config["Events"])),
                tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules)),
            )
        )
    return sorted(key)


def _apply_bucket(stack: _Stack, logical: str, props: dict[str, Any]) -> None:
    s3 = stack.client("s3")
    bucket = stack.physical[logical]
    if "VersioningConfiguration" in props:
        status = stack.resolve(props["VersioningConfiguration"]["Status"])
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    if "ObjectLockConfiguration" in props:  # moto's CloudFormation ignores it; S3 itself enforces it once set
        try:
            current = s3.get_object_lock_configuration(Bucket=bucket).get("ObjectLockConfiguration", {})
        except ClientError:
            current = {}
        # Only once (S3 accepts it on an empty bucket only; provisioning again must not touch a bucket with seals).
        if current.get("ObjectLockEnabled") != "Enabled":
            s3.put_object_lock_configuration(
                Bucket=bucket, ObjectLockConfiguration=stack.resolve(props["ObjectLockConfiguration"])
            )
    if "PublicAccessBlockConfiguration" in props:
        block = stack.resolve(props["PublicAccessBlockConfiguration"])
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    if "CorsConfiguration" in props:
        # CloudFormation's names differ from the S3 API's (ExposedHeaders/MaxAge vs ExposeHeaders/MaxAgeSeconds).
        names = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
        rules = [
            {names.get(k, k): v for k, v in rule.items()}
            for rule in stack.resolve(props["CorsConfiguration"]["CorsRules"])
        ]
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    notification = props.get("NotificationConfiguration")
    if notification:
        wanted = []
        for config in stack.resolve(notification.get("QueueConfigurations", [])):
            entry: dict[str, Any] = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
            rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            wanted.append(entry)
        current = s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", [])
        # Re-putting an identical configuration would make S3 send another s3:TestEvent; skip it.
        if _notification_key(current) != _notification_key(wanted):
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": wanted}
            )


def _apply_table(stack: _Stack, logical: str, props: dict[str, Any]) -> None:
    dynamodb = stack.client("dynamodb")
    table = stack.physical[logical]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and stack.resolve(ttl.get("Enabled")) in (True, "true"):
        current = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in {"ENABLED", "ENABLING"}:
            dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"AttributeName": stack.resolve(ttl["AttributeName"]), "Enabled": True},
            )
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and stack.resolve(pitr.get("PointInTimeRecoveryEnabled")) in (True, "true"):
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def _apply_queue_policy(stack: _Stack, logical: str, props: dict[str, Any]) -> None:
    del logical
    document = json.dumps(stack.resolve(props["PolicyDocument"]))
    for queue_url in stack.resolve(props["Queues"]):
        stack.client("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": document})


def _apply_subscription(stack: _Stack, logical: str, props: dict[str, Any]) -> None:
    del logical
    resolved = stack.resolve(props)
    attributes = {}
    if "RawMessageDelivery" in resolved:
        attributes["RawMessageDelivery"] = str(resolved["RawMessageDelivery"]).lower()
    # SNS returns the existing subscription for the same topic/protocol/endpoint, so this is idempotent.
    stack.client("sns").subscribe(
        TopicArn=resolved["TopicArn"],
        Protocol=resolved["Protocol"],
        Endpoint=resolved["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )


def _apply_secret(stack: _Stack, logical: str, props: dict[str, Any]) -> None:
    """moto's CloudFormation has no Secrets Manager: create the secret (once) with a generated value."""
    import secrets as random_source

    name = stack.resolve(props["Name"])
    client = stack.client("secretsmanager")
    try:
        arn = client.describe_secret(SecretId=name)["ARN"]
    except ClientError:
        generate = props.get("GenerateSecretString", {})
        length = int(generate.get("PasswordLength", 64))
        value = random_source.token_urlsafe(length)[:length]
        if "GenerateStringKey" in generate:  # CloudFormation puts the value into the JSON template under this key
            value = json.dumps({**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: value})
        arn = client.create_secret(Name=name, SecretString=value, Description=props.get("Description", ""))["ARN"]
    stack.physical[logical] = arn


_FIXUPS: dict[str, Callable[[_Stack, str, dict[str, Any]], None]] = {
    "AWS::S3::Bucket": _apply_bucket,
    "AWS::DynamoDB::Table": _apply_table,
    "AWS::SQS::QueuePolicy": _apply_queue_policy,
    "AWS::SNS::Subscription": _apply_subscription,
}

# Queue policies first: the real S3 validates the notification destination against it (so does the template).
_FIXUP_ORDER = (
    "AWS::SQS::QueuePolicy",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SNS::Subscription",
)


def _open_stack(endpoint_url: str, stage: str, region: str) -> _Stack:
    stack = _Stack(_session(region), endpoint_url, f"guiji-{stage}", stage)
    _ensure_stack(stack)
    stack.load_physical_ids()
    for logical, resource in stack.template["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret":  # not in moto's CloudFormation; idempotent
            _apply_secret(stack, logical, resource.get("Properties", {}))
    return stack


def provision(endpoint_url: str, stage: str = DEFAULT_STAGE, region: str = DEFAULT_REGION) -> dict[str, str]:
    """Create (or reuse) the stack in the moto server at ``endpoint_url``; return the functions' environment."""
    stack = _open_stack(endpoint_url, stage, region)
    resources: dict[str, dict[str, Any]] = stack.template["Resources"]
    for resource_type in _FIXUP_ORDER:
        for logical, resource in resources.items():
            if resource["Type"] == resource_type:
                _FIXUPS[resource_type](stack, logical, resource.get("Properties", {}))
    env = {name: stack.ref(logical) for name, logical in ENV_RESOURCES.items()}
    env["GUIJI_UPLOADER_ROLE_ID"] = stack.get_att("UploaderRole", "RoleId")
    env["GUIJI_UPLOADER_ROLE_ARN"] = stack.get_att("UploaderRole", "Arn")
    return env


def local_policy_document(
    endpoint_url: str, stage: str = DEFAULT_STAGE, region: str = DEFAULT_REGION
) -> dict[str, Any]:
    """infra/policy.json with its ``Fn::Sub`` ARNs resolved against the local stack (for IAM tests on moto)."""
    stack = _open_stack(endpoint_url, stage, region)
    document: dict[str, Any] = stack.resolve(json.loads(POLICY_FILE.read_text(encoding="utf-8")))
    return document


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: provision and print ``NAME=value`` lines."""
    parser = argparse.ArgumentParser(prog="python -m infra.local_stack", description=__doc__.splitlines()[0])
    parser.add_argument("endpoint_url", help="moto server URL, e.g. http://127.0.0.1:5055")
    parser.add_argument("--stage", default=DEFAULT_STAGE)
    parser.add_argument("--region", default=DEFAULT_REGION)
    args = parser.parse_args(argv)
    try:
        env = provision(args.endpoint_url, args.stage, args.region)
    except (LocalStackError, ClientError) as exc:
        print(f"provisioning failed: {exc}", file=sys.stderr)
        return 1
    print(f"AWS_ENDPOINT_URL={args.endpoint_url}")
    print(f"AWS_DEFAULT_REGION={args.region}")
    for name, value in env.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --------------------------------------------------------------------------- IAM on the local stack

OVERRIDES_FILE = Path(__file__).resolve().parent / "chalice-overrides.yaml"
ADMIN = "admin"
_ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _iam_user(stack: _Stack, name: str, policies: list[dict[str, Any]]) -> dict[str, str]:
    """Create (or reset) an IAM user carrying exactly ``policies``; returns a fresh access key."""
    iam = stack.client("iam")
    try:
        iam.create_user(UserName=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        for old in iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName=old)
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for number, document in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"policy-{number}", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"name": name, "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


def provision_identities(
    endpoint_url: str, stage: str = DEFAULT_STAGE, region: str = DEFAULT_REGION
) -> dict[str, dict[str, str]]:
    """IAM users for the local stack, created while moto does not yet enforce IAM.

    One per function, carrying that function's deployed policies (infra/policy.json plus what the overrides
    attach to its role), resolved against the local stack and made fit for moto (:func:`infra.iam.moto_compatible`);
    and ``admin`` for the CLI's operator actions (registry loads, reading receipts, …).
    Returns ``{function name or "admin": {"name", "access_key_id", "secret_access_key"}}``.
    """
    from infra.iam import moto_compatible, source_function_policies

    stack = _open_stack(endpoint_url, stage, region)
    overrides = _load_yaml(OVERRIDES_FILE)
    identities = {ADMIN: _iam_user(stack, f"guiji-{stage}-{ADMIN}", [_ADMIN_POLICY])}
    for function, documents in source_function_policies(overrides).items():
        resolved = [moto_compatible(stack.resolve(d)) for d in documents]
        identities[function] = _iam_user(stack, f"guiji-{stage}-fn-{function}", resolved)
    # moto cannot evaluate the uploader role's trust conditions (own department tag, session name, the API
    # role's name) nor an account principal: locally the operator (admin, `guiji local credentials`) and the
    # API function (POST /uploads) are the principals that start department sessions.
    iam = stack.client("iam")
    trusted = [iam.get_user(UserName=identities[n]["name"])["User"]["Arn"] for n in (ADMIN, "api_handler")]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
        ],
    }
    iam.update_assume_role_policy(RoleName=stack.physical["UploaderRole"], PolicyDocument=json.dumps(trust))
    return identities


def enforce_iam(endpoint_url: str, enforced: bool = True) -> None:
    """Switch moto's IAM enforcement on (every request must be signed by a user whose policies allow it) or off."""
    import urllib.request

    request = urllib.request.Request(
        endpoint_url.rstrip("/") + "/moto-api/reset-auth",
        data=b"0" if enforced else b"inf",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 - the local moto endpoint
        response.read()


def resolved_function_policies(
    endpoint_url: str, stage: str = DEFAULT_STAGE, region: str = DEFAULT_REGION
) -> dict[str, list[dict[str, Any]]]:
    """Each function's deployed policy documents with their ARNs resolved against the local stack."""
    from infra.iam import source_function_policies

    stack = _open_stack(endpoint_url, stage, region)
    overrides = _load_yaml(OVERRIDES_FILE)
    return {f: [stack.resolve(d) for d in docs] for f, docs in source_function_policies(overrides).items()}
