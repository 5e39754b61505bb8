"""A small typed layer over the low-level DynamoDB client: (de)serialisation, batching, paging, read counting."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from shared.adapters.aws import client

_DESER = TypeDeserializer()

Item = dict[str, Any]


def to_attr(item: Mapping[str, Any]) -> dict[str, Any]:
    """Python values → DynamoDB AttributeValues (None values are dropped, floats become numbers).

    Hand-written rather than boto3's TypeSerializer: it runs for every item of every upload, and the generic
    serializer was most of the intake's CPU time (bench/bench_intake.py).
    """
    # Most attributes are plain strings: answered inline, without a call (the hot path of every upload).
    return {k: {"S": v} if type(v) is str else _av(v) for k, v in item.items() if v is not None}


def _av(value: Any) -> dict[str, Any]:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is float or isinstance(value, Decimal):
        return {"N": str(value)}
    if isinstance(value, dict):
        return {"M": {k: {"S": v} if type(v) is str else _av(v) for k, v in value.items() if v is not None}}
    if isinstance(value, list | tuple):
        return {"L": [_av(v) for v in value]}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, str):  # StrEnum and other str subclasses
        return {"S": str(value)}
    if isinstance(value, int):  # IntEnum
        return {"N": str(int(value))}
    raise TypeError(f"cannot store {kind.__name__} in DynamoDB")


def from_attr(raw: Mapping[str, Any]) -> Item:
    """DynamoDB AttributeValues → Python values (whole Decimals become int)."""
    return {k: _plain(_DESER.deserialize(v)) for k, v in raw.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


@dataclass
class IoStats:
    """Counts of DynamoDB work, for benchmarks and the scan's cost report."""

    requests: int = 0
    items_read: int = 0
    items_written: int = 0
    by_op: dict[str, int] = field(default_factory=dict)

    def add(self, op: str, read: int = 0, written: int = 0) -> None:
        self.requests += 1
        self.items_read += read
        self.items_written += written
        self.by_op[op] = self.by_op.get(op, 0) + 1


class ConditionFailedError(Exception):
    """A conditional write found the item in another state."""


class Table:
    """One DynamoDB table with string ``pk``/``sk`` keys (``id`` for the idempotency table)."""

    def __init__(self, name: str, stats: IoStats | None = None) -> None:
        self.name = name
        self.stats = stats if stats is not None else IoStats()

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
        resp = self._ddb.get_item(TableName=self.name, Key=to_attr({"pk": pk, "sk": sk}), ConsistentRead=consistent)
        raw = resp.get("Item")
        self.stats.add("GetItem", read=1 if raw else 0)
        return from_attr(raw) if raw else None

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        values: Item | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": to_attr(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
            if values:
                kwargs["ExpressionAttributeValues"] = to_attr(values)
            if names:
                kwargs["ExpressionAttributeNames"] = names
        try:
            self._ddb.put_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConditionFailedError(f"{self.name}: {item.get('pk')}/{item.get('sk')}") from exc
            raise
        finally:
            self.stats.add("PutItem", written=1)

    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        values: Item | None = None,
        *,
        names: dict[str, str] | None = None,
        condition: str | None = None,
    ) -> Item:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_attr({"pk": pk, "sk": sk}),
            "UpdateExpression": expression,
            "ReturnValues": "ALL_NEW",
        }
        if values:
            kwargs["ExpressionAttributeValues"] = to_attr(values)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            resp = self._ddb.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConditionFailedError(f"{self.name}: {pk}/{sk}") from exc
            raise
        finally:
            self.stats.add("UpdateItem", written=1)
        return from_attr(resp.get("Attributes", {}))

    def batch_get(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        """BatchGetItem in chunks of 100 with retries of unprocessed keys; result keyed by (pk, sk)."""
        unique = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], Item] = {}
        for start in range(0, len(unique), 100):
            pending: list[dict[str, Any]] = [to_attr({"pk": pk, "sk": sk}) for pk, sk in unique[start : start + 100]]
            attempt = 0
            while pending:
                resp = self._ddb.batch_get_item(RequestItems={self.name: {"Keys": pending, "ConsistentRead": True}})
                rows = resp.get("Responses", {}).get(self.name, [])
                self.stats.add("BatchGetItem", read=len(rows))
                for raw in rows:
                    item = from_attr(raw)
                    found[(item["pk"], item["sk"])] = item
                pending = resp.get("UnprocessedKeys", {}).get(self.name, {}).get("Keys", [])
                attempt = _backoff(attempt) if pending else 0
        return found

    def batch_write(self, puts: Iterable[Item] = (), deletes: Iterable[tuple[str, str]] = ()) -> int:
        """BatchWriteItem in chunks of 25 with retries of unprocessed items; returns items written.

        DynamoDB refuses a request that names one key twice: the last write of a key wins, as separate writes would.
        """
        by_key: dict[tuple[str, str], dict[str, Any]] = {}
        for item in puts:
            by_key[(item["pk"], item["sk"])] = {"PutRequest": {"Item": to_attr(item)}}
        for pk, sk in deletes:
            by_key[(pk, sk)] = {"DeleteRequest": {"Key": to_attr({"pk": pk, "sk": sk})}}
        requests = list(by_key.values())
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            attempt = 0
            while pending:
                resp = self._ddb.batch_write_item(RequestItems={self.name: pending})
                self.stats.add("BatchWriteItem", written=len(pending))
                pending = resp.get("UnprocessedItems", {}).get(self.name, [])
                attempt = _backoff(attempt) if pending else 0
        return len(requests)

    def put_new_many(self, items: list[Item]) -> list[Item]:
        """Conditional puts (``attribute_not_exists``), a few in flight at once; nothing is ever overwritten.

        Returns the items that already existed. Single conditional PutItems rather than TransactWriteItems:
        the same guarantee per item at half the write cost, and moto copies a whole table per transaction,
        which made long audit trails quadratic on the local stack.
        """
        if not items:
            return []

        def put(item: Item) -> Item | None:
            try:
                self.put(item, condition="attribute_not_exists(pk)")
            except ConditionFailedError:
                return item
            return None

        if len(items) == 1:
            results = [put(items[0])]
        else:
            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(put, items))
        return [r for r in results if r is not None]

    def query(
        self,
        key_condition: str,
        values: Item,
        *,
        index: str | None = None,
        names: dict[str, str] | None = None,
        filter_expression: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        start_key: Item | None = None,
    ) -> Iterator[Item]:
        """All items matching a key condition, page by page (``limit`` caps the total)."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": to_attr(values),
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        if start_key:
            kwargs["ExclusiveStartKey"] = to_attr(start_key)
        returned = 0
        while True:
            if limit is not None:
                kwargs["Limit"] = max(1, min(1000, limit - returned))
            resp = self._ddb.query(**kwargs)
            self.stats.add("Query", read=int(resp.get("ScannedCount", len(resp.get("Items", [])))))
            for raw in resp.get("Items", []):
                yield from_attr(raw)
                returned += 1
                if limit is not None and returned >= limit:
                    return
            last = resp.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def scan(self, *, filter_expression: str | None = None, values: Item | None = None) -> Iterator[Item]:
        """Full scan: only for audit verification and admin tools, never on a scheduled hot path."""
        kwargs: dict[str, Any] = {"TableName": self.name}
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
            kwargs["ExpressionAttributeValues"] = to_attr(values or {})
        while True:
            resp = self._ddb.scan(**kwargs)
            self.stats.add("Scan", read=int(resp.get("ScannedCount", 0)))
            for raw in resp.get("Items", []):
                yield from_attr(raw)
            last = resp.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last


def _backoff(attempt: int) -> int:
    time.sleep(min(2.0, 0.05 * (2**attempt)))
    return attempt + 1
