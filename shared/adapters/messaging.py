"""S3 objects, the intake queue and the notices topic."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.aws import client


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str
    last_modified: datetime
    metadata: dict[str, str]
    version_id: str = ""  # the S3 object version; "" in a bucket that never had versioning enabled


def version_id_of(value: Any) -> str:
    """An S3 version id; "null" (an object written while versioning was off or suspended) names no version."""
    return "" if value in (None, "", "null") else str(value)


class Objects:
    """S3 access for uploads, receipts and reports."""

    def head(self, bucket: str, key: str, version_id: str = "") -> ObjectInfo | None:
        """An object's facts: its current version, or the given one."""
        try:
            resp = client("s3").head_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectInfo(
            size=int(resp["ContentLength"]),
            etag=str(resp["ETag"]).strip('"'),
            last_modified=resp["LastModified"],
            metadata={k.lower(): v for k, v in resp.get("Metadata", {}).items()},
            version_id=version_id_of(resp.get("VersionId")),
        )

    def download(self, bucket: str, key: str, path: Path, version_id: str = "") -> None:
        """Stream an object (its current version, or the given one) to a local file (bounded memory)."""
        extra = {"VersionId": version_id} if version_id else None
        client("s3").download_file(bucket, key, str(path), ExtraArgs=extra)

    def get_bytes(self, bucket: str, key: str) -> bytes | None:
        try:
            body: bytes = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
                return None
            raise
        return body

    def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)

    def put_json(self, bucket: str, key: str, value: Any) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        self.put_bytes(bucket, key, data, "application/json; charset=utf-8")

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys

    def list_modified(self, bucket: str, prefix: str) -> list[tuple[str, datetime]]:
        """Keys under a prefix with their last-modified instants."""
        found: list[tuple[str, datetime]] = []
        for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [(o["Key"], o["LastModified"]) for o in page.get("Contents", [])]
        return found

    def delete_prefix(self, bucket: str, prefix: str) -> None:
        keys = self.list_keys(bucket, prefix)
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[start : start + 1000]]
            client("s3").delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})


class Queue:
    """Sends continuation messages to the intake queue."""

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, body: dict[str, Any]) -> None:
        client("sqs").send_message(QueueUrl=self.url, MessageBody=json.dumps(body, ensure_ascii=False))


class Notifier:
    """Publishes digests to the notices topic, with message attributes for subscription filters."""

    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        attrs = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v != ""}
        resp = client("sns").publish(
            TopicArn=self.topic_arn, Subject=subject[:100], Message=message, MessageAttributes=attrs
        )
        return str(resp["MessageId"])


class SharingTopic:
    """Publishes records to the sharing topic (同级推送) and manages its subscriptions with filter policies."""

    BATCH = 10  # PublishBatch's limit

    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn

    @staticmethod
    def _attributes(attributes: dict[str, str | list[str]]) -> dict[str, dict[str, str]]:
        out = {}
        for name, value in attributes.items():
            if isinstance(value, list):
                out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
            elif value != "":
                out[name] = {"DataType": "String", "StringValue": value}
        return out

    def publish_many(self, messages: list[tuple[str, str, str, dict[str, str | list[str]]]]) -> dict[str, str]:
        """Publish (id, subject, body, attributes) messages; the SNS message id of each id that was accepted."""
        sent: dict[str, str] = {}
        for start in range(0, len(messages), self.BATCH):
            entries = [
                {
                    "Id": str(i),
                    "Subject": subject[:100],
                    "Message": body,
                    "MessageAttributes": self._attributes(attributes),
                }
                for i, (_, subject, body, attributes) in enumerate(messages[start : start + self.BATCH])
            ]
            resp = client("sns").publish_batch(TopicArn=self.topic_arn, PublishBatchRequestEntries=entries)
            for ok in resp.get("Successful", []):
                sent[messages[start + int(ok["Id"])][0]] = str(ok["MessageId"])
        return sent

    def subscribe(self, protocol: str, endpoint: str, filter_policy: dict[str, list[str]]) -> str:
        resp = client("sns").subscribe(
            TopicArn=self.topic_arn,
            Protocol=protocol,
            Endpoint=endpoint,
            Attributes={"FilterPolicy": json.dumps(filter_policy), "FilterPolicyScope": "MessageAttributes"},
            ReturnSubscriptionArn=True,
        )
        return str(resp["SubscriptionArn"])

    def unsubscribe(self, subscription_arn: str) -> None:
        try:
            client("sns").unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NotFound":
                raise
