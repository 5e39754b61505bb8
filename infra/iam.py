"""IAM as guiji uses it: which permission each AWS call needs, and an evaluator for the policy subset guiji writes.

Three users:

* tests record every call a function makes (service, operation, parameters) and check, with :func:`evaluate`,
  that the function's deployed policies allow each one (:func:`required` turns a call into IAM actions on ARNs,
  the way the service authorises it: ``HeadObject`` needs ``s3:GetObject``, ``DeleteObjects`` needs
  ``s3:DeleteObject`` on every key, ``Query`` on an index needs the ``…/index/NAME`` ARN);
* the local stack gives every function an identity that carries exactly its deployed policies
  (:func:`function_policies`), so moto's IAM enforcement rejects what AWS would reject;
* the same policies, made fit for moto's partial enforcement (:func:`moto_compatible`).

The evaluator covers what guiji's policies use: Allow/Deny, ``Action``/``Resource`` with ``*`` and ``?``
wildcards, ``NotAction`` is refused (not used), no ``Condition`` (refused, so a policy that starts using one
cannot pass silently). An explicit Deny wins over any Allow; nothing allowed means denied.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

INFRA_DIR = Path(__file__).resolve().parent
POLICY_FILE = INFRA_DIR / "policy.json"

# The role Chalice generates for each handler of functions/app.py ("<CamelCaseName>Role"; "ApiHandlerRole" for
# the API, whose function is "APIHandler").
FUNCTIONS: dict[str, str] = {
    "intake_upload": "IntakeUploadRole",
    "intake_dead_letter": "IntakeDeadLetterRole",
    "publish_run": "PublishRunRole",
    "daily_scan": "DailyScanRole",
    "run_job": "RunJobRole",
    "api_handler": "ApiHandlerRole",
    "token_authorizer": "TokenAuthorizerRole",
}
# Functions whose role carries its own policy file instead of infra/policy.json (chalice.json iam_policy_file).
OWN_POLICY_FILES: dict[str, Path] = {"token_authorizer": INFRA_DIR / "authorizer-policy.json"}

# moto checks S3 and SQS calls against the real resource ARN, and STS AssumeRole against the role; for the
# other services it asks "may this principal call X on *" (moto 5.2.5, core/responses.py call_action).
_MOTO_RESOURCE_AWARE = frozenset({"s3", "sqs", "sts"})


class PolicyError(Exception):
    """A policy uses an element the evaluator does not implement (so it would be judged wrongly)."""


@dataclass(frozen=True)
class Call:
    """One AWS API call as a function made it."""

    function: str
    service: str
    operation: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Need:
    """One permission a call needs."""

    action: str
    resource: str


@dataclass(frozen=True)
class Place:
    """Where ARNs live (partition, region, account of the deployment)."""

    partition: str
    region: str
    account: str


# ------------------------------------------------------------------------------------------- call → permissions


def _s3_object(place: Place, bucket: str, key: str) -> str:
    return f"arn:{place.partition}:s3:::{bucket}/{key}"


def _table_arn(place: Place, table: str, index: str | None = None) -> str:
    arn = f"arn:{place.partition}:dynamodb:{place.region}:{place.account}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _queue_arn(place: Place, url: str) -> str:
    name = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1] if "/" in url else url
    return f"arn:{place.partition}:sqs:{place.region}:{place.account}:{name}"


_S3_ACTIONS = {
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CopyObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
}
_S3_BUCKET_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket", "HeadBucket": "s3:ListBucket"}
_S3_BUCKET_ACTIONS |= {"ListObjectVersions": "s3:ListBucketVersions"}
_DDB_TRANSACT = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem"}
_DDB_TRANSACT |= {"ConditionCheck": "dynamodb:ConditionCheckItem"}


def required(service: str, operation: str, params: Mapping[str, Any], place: Place) -> list[Need]:
    """The IAM actions and resource ARNs AWS checks for one call (the services and operations guiji uses)."""
    if service == "s3":
        if operation in _S3_ACTIONS:
            needs = [Need(_S3_ACTIONS[operation], _s3_object(place, params["Bucket"], params["Key"]))]
            if operation == "GetObject" and params.get("VersionId"):
                needs = [Need("s3:GetObjectVersion", needs[0].resource)]
            return needs
        if operation in _S3_BUCKET_ACTIONS:
            return [Need(_S3_BUCKET_ACTIONS[operation], f"arn:{place.partition}:s3:::{params['Bucket']}")]
        if operation == "DeleteObjects":
            return [
                Need("s3:DeleteObject", _s3_object(place, params["Bucket"], o["Key"]))
                for o in params["Delete"]["Objects"]
            ]
    elif service == "dynamodb":
        if operation in {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable"}:
            return [Need(f"dynamodb:{operation}", _table_arn(place, params["TableName"]))]
        if operation in {"Query", "Scan"}:
            return [Need(f"dynamodb:{operation}", _table_arn(place, params["TableName"], params.get("IndexName")))]
        if operation in {"BatchGetItem", "BatchWriteItem"}:
            return [Need(f"dynamodb:{operation}", _table_arn(place, table)) for table in params["RequestItems"]]
        if operation == "TransactWriteItems":
            needs = []
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                needs.append(Need(_DDB_TRANSACT[kind], _table_arn(place, body["TableName"])))
            return needs
        if operation == "TransactGetItems":
            return [Need("dynamodb:GetItem", _table_arn(place, i["Get"]["TableName"])) for i in params["TransactItems"]]
    elif service == "sqs" and "QueueUrl" in params:
        return [Need(f"sqs:{operation}", _queue_arn(place, params["QueueUrl"]))]
    elif service == "sns" and operation == "Publish":
        return [Need("sns:Publish", params.get("TopicArn") or params["TargetArn"])]
    elif service == "sns" and operation == "PublishBatch":
        return [Need("sns:Publish", params["TopicArn"])]
    elif service == "sns" and operation == "Subscribe":
        return [Need("sns:Subscribe", params["TopicArn"])]
    elif service == "sns" and operation == "Unsubscribe":  # IAM checks it against the subscription's topic
        return [Need("sns:Unsubscribe", params["SubscriptionArn"].rsplit(":", 1)[0])]
    elif service == "secretsmanager" and operation in {"GetSecretValue", "DescribeSecret"}:
        return [Need(f"secretsmanager:{operation}", params["SecretId"])]
    elif service == "sts" and operation == "AssumeRole":
        needs = [Need("sts:AssumeRole", params["RoleArn"])]
        if params.get("Tags"):
            needs.append(Need("sts:TagSession", params["RoleArn"]))
        return needs
    elif service == "sts" and operation == "GetCallerIdentity":
        return []  # always allowed, even under an explicit Deny
    raise PolicyError(f"no IAM mapping for {service}:{operation}; add it to infra/iam.py:required")


# ------------------------------------------------------------------------------------------- evaluation


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _statement_applies(statement: Mapping[str, Any], need: Need) -> bool:
    for element in ("NotAction", "NotResource", "Condition", "Principal", "NotPrincipal"):
        if element in statement:
            raise PolicyError(f"statement {statement.get('Sid', '?')} uses {element}, which the evaluator lacks")
    actions = _as_list(statement["Action"])
    resources = _as_list(statement["Resource"])
    for resource in resources:
        if not isinstance(resource, str):
            raise PolicyError(f"unresolved resource {resource!r} in statement {statement.get('Sid', '?')}")
    # Action names are case-insensitive in IAM; ARNs are case-sensitive.
    return any(_matches(a, need.action, case_sensitive=False) for a in actions) and any(
        _matches(r, need.resource, case_sensitive=True) for r in resources
    )


def evaluate(policies: Iterable[Mapping[str, Any]], need: Need) -> str:
    """``"allow"``, ``"deny"`` (an explicit Deny matched) or ``"implicit-deny"`` (nothing allowed it)."""
    allowed = False
    for policy in policies:
        for statement in _as_list(policy["Statement"]):
            if not _statement_applies(statement, need):
                continue
            if statement["Effect"] == "Deny":
                return "deny"
            allowed = True
    return "allow" if allowed else "implicit-deny"


# ------------------------------------------------------------------------------------------- deployed policies


def function_policies(template: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every function's policy documents in a template: its role's inline policies plus any
    ``AWS::IAM::Policy`` attached to that role (as infra/chalice-overrides.yaml adds for the API)."""
    resources: Mapping[str, Any] = template["Resources"]
    out: dict[str, list[dict[str, Any]]] = {}
    for name, role_id in FUNCTIONS.items():
        role = resources.get(role_id)
        if role is None:
            continue
        docs = [copy.deepcopy(p["PolicyDocument"]) for p in role["Properties"].get("Policies", [])]
        for resource in resources.values():
            if resource.get("Type") != "AWS::IAM::Policy":
                continue
            if {"Ref": role_id} in resource["Properties"].get("Roles", []):
                docs.append(copy.deepcopy(resource["Properties"]["PolicyDocument"]))
        out[name] = docs
    return out


def source_function_policies(overrides: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What :func:`function_policies` finds in the packaged template, from the sources alone: Chalice puts
    infra/policy.json (or the function's own policy file) into every function's role; the overrides add policies
    to chosen roles."""
    template: dict[str, Any] = {"Resources": dict(overrides.get("Resources", {}))}
    for function, role_id in FUNCTIONS.items():
        base = json.loads(OWN_POLICY_FILES.get(function, POLICY_FILE).read_text(encoding="utf-8"))
        template["Resources"][role_id] = {
            "Type": "AWS::IAM::Role",
            "Properties": {"Policies": [{"PolicyName": f"{role_id}Policy", "PolicyDocument": base}]},
        }
    return function_policies(template)


def moto_compatible(document: Mapping[str, Any]) -> dict[str, Any]:
    """A resolved policy document moto 5.2.5 enforces the way AWS would, as far as moto can.

    moto checks S3, SQS and STS calls against their resource ARNs but every other service against ``*``. So:
    statements on S3/SQS/STS are kept; Allow statements on other services keep their actions but apply to
    ``*``; Deny statements on other services are dropped (on ``*`` they would deny the tables they do not
    name). The exact resource checks for those services are made by tests with :func:`evaluate`.
    """
    statements = []
    for statement in _as_list(document["Statement"]):
        services = {a.split(":", 1)[0] for a in _as_list(statement["Action"])}
        if services <= _MOTO_RESOURCE_AWARE:
            statements.append(dict(statement))
        elif statement["Effect"] == "Allow":
            actions = _as_list(statement["Action"])
            # AWS authorises PublishBatch with sns:Publish; moto asks for an action named after the operation.
            extra = [_MOTO_ACTION_ALIASES[a] for a in actions if a in _MOTO_ACTION_ALIASES]
            statements.append({**statement, "Action": actions + extra, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


_MOTO_ACTION_ALIASES = {"sns:Publish": "sns:PublishBatch"}
