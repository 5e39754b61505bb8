"""The sealed audit digests in their Object Lock bucket (see ``shared.auditchain``)."""

from __future__ import annotations

import json
from typing import Any

from shared.adapters.aws import client

PREFIX = "seals/"


class AuditSeals:
    """Write-once seals: the first version of each key is the seal; later versions (if anyone writes one) are
    ignored, and under COMPLIANCE retention no version can be removed."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, day: str, seal: dict[str, Any]) -> None:
        body = json.dumps(seal, ensure_ascii=False, sort_keys=True).encode("utf-8")
        client("s3").put_object(
            Bucket=self.bucket, Key=f"{PREFIX}{day}.json", Body=body, ContentType="application/json"
        )

    def all(self) -> list[dict[str, Any]]:
        """Every seal, oldest first, each as first written."""
        return self.since("")

    def days(self) -> list[str]:
        """The days sealed so far, oldest first (a listing: no seal is read)."""
        found: set[str] = set()
        for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=PREFIX):
            found.update(o["Key"].removeprefix(PREFIX).removesuffix(".json") for o in page.get("Contents", []))
        return sorted(found)

    def since(self, day: str) -> list[dict[str, Any]]:
        """The seals of ``day`` and later (ISO dates), oldest first, each as first written."""
        s3 = client("s3")
        first: dict[str, str] = {}  # key → its oldest version (S3 lists a key's versions newest first)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=PREFIX):
            for version in page.get("Versions", []):
                first[version["Key"]] = version["VersionId"]
        seals = []
        for key in sorted(k for k in first if k >= f"{PREFIX}{day}"):
            body = s3.get_object(Bucket=self.bucket, Key=key, VersionId=first[key])["Body"].read()
            seals.append(json.loads(body))
        return seals
