"""In-memory fakes of every port a service uses, so service tests run without an emulator (issue 8 §1).

The tables are :class:`shared.adapters.store.Tables` over :class:`shared.adapters.memory.MemoryTable` (the same
repositories, the same item layouts); ``tests/contract`` checks that they behave as the moto server does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.messaging import ObjectInfo
from shared.adapters.store import Tables
from shared.services.deps import Deps
from shared.settings import Settings
from shared.workdays import default_calendar


class MemoryObjects:
    """:class:`shared.adapters.messaging.Objects` over a dict (one version per key)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, datetime]] = {}

    def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str = "") -> None:
        self.objects[(bucket, key)] = (data, datetime.now(UTC))

    def put_json(self, bucket: str, key: str, value: Any) -> None:
        self.put_bytes(bucket, key, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json")

    def get_bytes(self, bucket: str, key: str) -> bytes | None:
        found = self.objects.get((bucket, key))
        return found[0] if found else None

    def head(self, bucket: str, key: str, version_id: str = "") -> ObjectInfo | None:
        found = self.objects.get((bucket, key))
        return ObjectInfo(len(found[0]), str(hash(found[0])), found[1], {}) if found else None

    def download(self, bucket: str, key: str, path: Path, version_id: str = "") -> None:
        path.write_bytes(self.objects[(bucket, key)][0])

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def list_modified(self, bucket: str, prefix: str) -> list[tuple[str, datetime]]:
        return [(k, self.objects[(bucket, k)][1]) for k in self.list_keys(bucket, prefix)]

    def delete_prefix(self, bucket: str, prefix: str) -> None:
        for key in self.list_keys(bucket, prefix):
            del self.objects[(bucket, key)]


class MemoryQueue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, body: dict[str, Any]) -> None:
        self.sent.append(body)


class MemoryTopic:
    """The notices topic and the sharing topic: what was published, in order."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []
        self.subscriptions: dict[str, tuple[str, str, dict[str, list[str]]]] = {}

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        self.published.append((subject, message, dict(attributes)))
        return f"m{len(self.published)}"

    def publish_many(self, messages: list[tuple[str, str, str, dict[str, str | list[str]]]]) -> dict[str, str]:
        return {mid: self.publish(subject, message, dict(attrs)) for mid, subject, message, attrs in messages}  # type: ignore[arg-type]

    def subscribe(self, protocol: str, endpoint: str, filter_policy: dict[str, list[str]]) -> str:
        arn = f"arn:memory:sub:{len(self.subscriptions) + 1}"
        self.subscriptions[arn] = (protocol, endpoint, filter_policy)
        return arn

    def unsubscribe(self, subscription_arn: str) -> None:
        self.subscriptions.pop(subscription_arn, None)


def fake_deps(**settings: Any) -> Deps:
    """A :class:`Deps` whose every port is in memory (settings may be overridden by their environment names)."""
    config = Settings.placeholders(**settings)
    tables = Tables(config, in_memory=True)
    return Deps(
        settings=config,
        tables=tables,
        objects=MemoryObjects(),  # type: ignore[arg-type]
        queue=MemoryQueue(),  # type: ignore[arg-type]
        notifier=MemoryTopic(),  # type: ignore[arg-type]
        sharing=MemoryTopic(),  # type: ignore[arg-type]
        calendar=default_calendar(),
        stats=tables.stats,
    )


UPLOADER_ROLE = "AROAUPLOADER"


def upload(deps: Deps, name: str, rows: list[list[str]], dept: str = "", category: str = "penalty") -> dict[str, Any]:
    """Put a CSV where a department's upload lands (collected 2024-10-16 10:00 local), run the intake, return the
    receipt."""
    from shared.services import intake, upload_keys
    from tests import helpers as h

    dept = dept or h.ENV_DEPT
    bucket, key = deps.settings.intake_bucket, f"incoming/{dept}/{category}/{name}"
    objects: MemoryObjects = deps.objects  # type: ignore[assignment]
    objects.objects[(bucket, key)] = (h.csv_bytes(rows), datetime(2024, 10, 16, 2, tzinfo=UTC))
    ref = intake.UploadRef(bucket=bucket, key=key, uploader=f"AWS:{UPLOADER_ROLE}:{dept}-session")
    outcome = intake.process_upload(ref, deps)
    assert outcome.status == "done", outcome
    receipt: dict[str, Any] = json.loads(objects.get_bytes(bucket, upload_keys.receipt_key_of(key)) or b"{}")
    return receipt
