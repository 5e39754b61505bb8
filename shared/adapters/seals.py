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
        s3 = client("s3")
        first: dict[str, str] = {}  # key → its oldest version (S3 lists a key's versions newest first)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=PREFIX):
            for version in page.get("Versions", []):
                first[version["Key"]] = version["VersionId"]
        seals = []
        for key in sorted(first):
            body = s3.get_object(Bucket=self.bucket, Key=key, VersionId=first[key])["Body"].read()
            seals.append(json.loads(body))
        return seals
