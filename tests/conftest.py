"""Shared fixtures: a moto *server* on 127.0.0.1 provisioned from infra/resources.yaml, as the local stack runs.

End-to-end tests go through the real path: PutObject → S3 notification → SQS → the Chalice handler (invoked
like Lambda's event source would) → DynamoDB/S3, and read results back with boto3 over HTTP.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import settings

# CI explores the same examples every run (a landing must not depend on luck); local runs keep exploring.
# No per-example deadline anywhere: tests assert correctness, speed is for `bash run.sh bench` (a deadline turns a
# busy machine into a failure).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Nothing may reach real AWS, whatever the developer's shell holds.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(_name, None)
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "cn-north-1")
os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Guiji"


@dataclass
class Stack:
    """A running local stack for tests."""

    server: Any
    env: dict[str, str]

    @property
    def endpoint(self) -> str:
        return self.env["AWS_ENDPOINT_URL"]

    @property
    def deps(self) -> Any:
        from shared.services.deps import get_deps

        return get_deps()

    def s3(self) -> Any:
        from shared.adapters.aws import client

        return client("s3")

    def drain(self) -> None:
        """Deliver every pending upload notification to the intake handler (and failures to the DLQ handler)."""
        from infra.localrun import Poller

        Poller(self.env["INTAKE_QUEUE_URL"], "intake_upload").drain()

    def upload(
        self, department: str, category: str, name: str, data: bytes, *, collected_at: str | None = None
    ) -> dict[str, Any]:
        """Upload as a department would, run the intake, return the receipt."""
        from infra.cli import put_upload

        key = put_upload(self.deps, data, department, category, name, collected_at)
        self.drain()
        return self.receipt(key)

    def receipt(self, key: str) -> dict[str, Any]:
        from shared.services.upload_keys import receipt_key_of

        blob = self.deps.objects.get_bytes(self.env["INTAKE_BUCKET"], receipt_key_of(key))
        assert blob is not None, f"no receipt for {key}"
        value: dict[str, Any] = json.loads(blob)
        return value

    def truncate(self) -> None:
        """Empty what the stack holds (every table, bucket and queue) and keep what it is (the resources, their
        policies and identities): an empty ledger in a fraction of :meth:`reset`'s time.

        Objects are dropped from the in-process moto backend directly: sealed digests sit under Object Lock
        (COMPLIANCE), which no API call may lift, and the versioned buckets keep every version. Tests that change
        more than data (a rotated secret, a bucket's versioning) use :meth:`reset`.
        """
        from moto.s3.models import s3_backends

        from infra.localrun import apply_env
        from shared.adapters.aws import client

        apply_env(self.env)  # a test may have pointed this process elsewhere (another stack, other identities)

        ddb = client("dynamodb")
        for name in ddb.list_tables()["TableNames"]:
            keys = [k["AttributeName"] for k in ddb.describe_table(TableName=name)["Table"]["KeySchema"]]
            names = {f"#k{i}": k for i, k in enumerate(keys)}
            pages = ddb.get_paginator("scan").paginate(
                TableName=name, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
            )
            items = [item for page in pages for item in page["Items"]]
            for start in range(0, len(items), 25):
                requests = [{"DeleteRequest": {"Key": item}} for item in items[start : start + 25]]
                ddb.batch_write_item(RequestItems={name: requests})
        for _, _, backend in s3_backends.iter_backends():
            for bucket in backend.buckets.values():
                bucket.keys.clear()
        sqs = client("sqs")
        os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"  # (AWS allows a purge a minute)
        for url in sqs.list_queues().get("QueueUrls", []):
            sqs.purge_queue(QueueUrl=url)
        sns = client("sns")  # subscriptions tests made (sharing); the inbox the tests read stays
        inbox = sqs.get_queue_attributes(QueueUrl=self.env["GUIJI_INBOX_QUEUE_URL"], AttributeNames=["QueueArn"])
        for sub in sns.list_subscriptions().get("Subscriptions", []):
            if sub["Endpoint"] != inbox["Attributes"]["QueueArn"]:
                sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
        import functions.app as app_module

        app_module._process_chunk.cache_clear()  # (apply_env above already forgot the cached deps)

    def reset(self) -> None:
        """Wipe all state and provision again (for tests that need an empty ledger)."""
        import urllib.request

        from infra.local_stack import enforce_iam
        from infra.localrun import base_env, provision_enforced

        enforce_iam(self.endpoint, False)
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")).read()
        self.env.update(base_env(self.endpoint))
        self.env.update(provision_enforced(self.endpoint))
        import functions.app as app_module

        app_module._process_chunk.cache_clear()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    from infra.localrun import start_stack

    server, env = start_stack()
    try:
        yield Stack(server, env)
    finally:
        server.stop()


@pytest.fixture
def clean_stack(stack: Stack) -> Stack:
    stack.truncate()
    return stack


@pytest.fixture(scope="session")
def today() -> date:
    from shared.timeutil import local_date, utc_now

    return local_date(utc_now())


@pytest.fixture
def env(clean_stack: Stack) -> Stack:
    """An empty local stack with the hand-written registry of tests/helpers.py (files may override it)."""
    from tests import helpers

    helpers.load_registry(clean_stack)
    return clean_stack


@pytest.fixture
def api(env: Stack) -> Iterator[str]:
    """The local API over real HTTP, on a free port (files may override it)."""
    from tests.helpers import local_api

    with local_api() as url:
        yield url
