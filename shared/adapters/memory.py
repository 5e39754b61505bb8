"""An in-memory stand-in for :class:`shared.adapters.dynamo.Table`: the same methods, the same semantics.

Every repository in :mod:`shared.adapters.store` runs on it unchanged, so services can be tested in milliseconds
without an emulator; ``tests/contract`` runs one behaviour suite against this and the moto server to keep the two
alike. Items are stored as DynamoDB would store them (a round trip through AttributeValues drops None values and
turns tuples into lists). Expressions: the subset guiji writes (comparisons, ``BETWEEN``, ``AND``/``OR``/``NOT``,
parentheses, ``attribute_exists``, ``attribute_not_exists``, ``begins_with``; ``SET``, ``REMOVE`` and ``ADD``).
Indexes are the ``gsiN`` convention of ``infra/resources.yaml``: index ``gsiN`` keys on ``gsiNpk``/``gsiNsk``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from shared.adapters.dynamo import ConditionFailedError, IoStats, Item, from_attr, to_attr

_TOKEN = re.compile(r"\s*(?:(<>|<=|>=|=|<|>|\(|\)|,)|(:[A-Za-z0-9_]+)|(#?[A-Za-z_][A-Za-z0-9_.]*))")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read expression at {text[pos:]!r}")
        out.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    return out


_MISSING = object()


class _Condition:
    """Recursive descent over a condition or key-condition expression, evaluated against one item."""

    def __init__(self, text: str, values: Item, names: dict[str, str]) -> None:
        self.tokens = _tokens(text)
        self.values = values
        self.names = names

    def holds(self, item: Item) -> bool:
        self.pos, self.item = 0, item
        result = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos]!r}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self.tokens[self.pos]
        if expected is not None and token.upper() != expected:
            raise ValueError(f"expected {expected}, found {token!r}")
        self.pos += 1
        return token

    def _or(self) -> bool:
        result = self._and()
        while (self._peek() or "").upper() == "OR":
            self._take()
            right = self._and()
            result = result or right
        return result

    def _and(self) -> bool:
        result = self._not()
        while (self._peek() or "").upper() == "AND":
            self._take()
            right = self._not()
            result = result and right
        return result

    def _not(self) -> bool:
        if (self._peek() or "").upper() == "NOT":
            self._take()
            return not self._not()
        return self._comparison()

    def _comparison(self) -> bool:
        token = self._peek()
        if token == "(":
            self._take()
            result = self._or()
            self._take(")")
            return result
        if token in ("attribute_exists", "attribute_not_exists", "begins_with"):
            self._take()
            self._take("(")
            first = self._operand()
            if token == "begins_with":
                self._take(",")
                prefix = self._operand()
                self._take(")")
                return isinstance(first, str) and isinstance(prefix, str) and first.startswith(prefix)
            self._take(")")
            return (first is not _MISSING) == (token == "attribute_exists")
        left = self._operand()
        op = self._take()
        if op.upper() == "BETWEEN":
            low = self._operand()
            self._take("AND")
            high = self._operand()
            return _compare(left, ">=", low) and _compare(left, "<=", high)
        return _compare(left, op, self._operand())

    def _operand(self) -> Any:
        token = self._take()
        if token.startswith(":"):
            return self.values[token]
        return self.item.get(self.names.get(token, token), _MISSING)


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is _MISSING or right is _MISSING:
        return op == "<>" and not (left is _MISSING and right is _MISSING)
    if op == "=":
        return bool(left == right)
    if op == "<>":
        return bool(left != right)
    if type(left) is not type(right) and not (isinstance(left, int | float) and isinstance(right, int | float)):
        return False  # DynamoDB compares only values of one type
    return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])


def _update(item: Item, expression: str, values: Item, names: dict[str, str]) -> None:
    """Apply ``SET a = :v, …``, ``REMOVE a, …`` and ``ADD a :n`` clauses (in any order) to ``item``."""
    tokens = _tokens(expression)
    pos = 0
    clause = ""
    while pos < len(tokens):
        if tokens[pos].upper() in ("SET", "REMOVE", "ADD"):
            clause = tokens[pos].upper()
            pos += 1
            continue
        if tokens[pos] == ",":
            pos += 1
            continue
        attr = names.get(tokens[pos], tokens[pos])
        if clause == "SET":
            if tokens[pos + 1] != "=":
                raise ValueError(f"SET {attr}: only 'name = :value' is supported")
            item[attr] = values[tokens[pos + 2]]
            pos += 3
        elif clause == "REMOVE":
            item.pop(attr, None)
            pos += 1
        elif clause == "ADD":
            item[attr] = item.get(attr, 0) + values[tokens[pos + 1]]
            pos += 2
        else:
            raise ValueError(f"cannot read update expression {expression!r}")


def _stored(item: Item) -> Item:
    """The item as DynamoDB keeps it."""
    return from_attr(to_attr(item))


class MemoryTable:
    """:class:`shared.adapters.dynamo.Table` over a dict (thread-safe, as Lambda's threads may share one)."""

    def __init__(self, name: str, stats: IoStats | None = None) -> None:
        self.name = name
        self.stats = stats if stats is not None else IoStats()
        self.items: dict[tuple[str, str], Item] = {}
        self.partitions: dict[str, dict[str, Item]] = {}
        self.lock = threading.RLock()

    # --- writes ------------------------------------------------------------------------------------------------

    def _store(self, item: Item) -> None:
        key = (str(item["pk"]), str(item["sk"]))
        self.items[key] = item
        self.partitions.setdefault(key[0], {})[key[1]] = item

    def _remove(self, pk: str, sk: str) -> None:
        self.items.pop((pk, sk), None)
        self.partitions.get(pk, {}).pop(sk, None)

    def _check(self, current: Item | None, condition: str | None, values: Item | None, names: Any) -> None:
        if condition and not _Condition(condition, values or {}, names or {}).holds(current or {}):
            raise ConditionFailedError(f"{self.name}: condition {condition!r} failed")

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        values: Item | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        try:
            with self.lock:
                self._check(self.items.get((item["pk"], item["sk"])), condition, values, names)
                self._store(_stored(item))
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
        try:
            with self.lock:
                current = self.items.get((pk, sk))
                self._check(current, condition, values, names)
                item = dict(current) if current else {"pk": pk, "sk": sk}
                _update(item, expression, _stored(values or {}), names or {})
                self._store(_stored(item))
                return dict(self.items[(pk, sk)])
        finally:
            self.stats.add("UpdateItem", written=1)

    def batch_write(self, puts: Iterable[Item] = (), deletes: Iterable[tuple[str, str]] = ()) -> int:
        items = {(i["pk"], i["sk"]): _stored(i) for i in puts}  # one write per key, the last one (as Table does)
        keys = list(dict.fromkeys(deletes))
        for key in keys:
            items.pop(key, None)
        with self.lock:
            for item in items.values():
                self._store(item)
            for pk, sk in keys:
                self._remove(pk, sk)
        count = len(items) + len(keys)
        for start in range(0, count, 25):
            self.stats.add("BatchWriteItem", written=min(25, count - start))
        return count

    def put_new_many(self, items: list[Item]) -> list[Item]:
        clashes = []
        for item in items:
            try:
                self.put(item, condition="attribute_not_exists(pk)")
            except ConditionFailedError:
                clashes.append(item)
        return clashes

    # --- reads -------------------------------------------------------------------------------------------------

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
        item = self.items.get((pk, sk))
        self.stats.add("GetItem", read=1 if item else 0)
        return dict(item) if item else None

    def batch_get(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        wanted = list(dict.fromkeys(keys))
        found = {k: dict(self.items[k]) for k in wanted if k in self.items}
        for start in range(0, len(wanted), 100):
            self.stats.add("BatchGetItem", read=sum(1 for k in wanted[start : start + 100] if k in found))
        return found

    def _candidates(self, key_condition: str, values: Item, index: str | None) -> list[tuple[str, Item]]:
        """Items of the partition a key condition names, with the sort key they are ordered by."""
        match = re.match(r"\s*(\w+)\s*=\s*(:\w+)", key_condition)
        if not match:
            raise ValueError(f"a key condition starts with 'partition key = :value': {key_condition!r}")
        attr, value = match.group(1), values[match.group(2)]
        with self.lock:
            if index is None:
                return [(sk, item) for sk, item in self.partitions.get(value, {}).items()]
            sort_attr = f"{index}sk"
            return [(str(i.get(sort_attr, "")), i) for i in self.items.values() if i.get(attr) == value]

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
        values = _stored(values)
        keyed = _Condition(key_condition, values, names or {})
        rows = sorted(self._candidates(key_condition, values, index), key=lambda r: r[0], reverse=not forward)
        if start_key:
            after = str(start_key.get(f"{index}sk" if index else "sk"))
            rows = [r for r in rows if (r[0] > after if forward else r[0] < after)]
        matched = [item for _, item in rows if keyed.holds(item)]
        self.stats.add("Query", read=len(matched))
        if filter_expression:
            kept = _Condition(filter_expression, values, names or {})
            matched = [i for i in matched if kept.holds(i)]
        return iter([dict(i) for i in (matched if limit is None else matched[:limit])])

    def scan(self, *, filter_expression: str | None = None, values: Item | None = None) -> Iterator[Item]:
        with self.lock:
            items = list(self.items.values())
        self.stats.add("Scan", read=len(items))
        keep: Callable[[Item], bool] = (
            _Condition(filter_expression, _stored(values or {}), {}).holds if filter_expression else lambda _: True
        )
        return iter([dict(i) for i in items if keep(i)])


class MemorySeals:
    """:class:`shared.adapters.seals.AuditSeals` in memory: the first version of each day's seal is the seal."""

    def __init__(self) -> None:
        self.versions: dict[str, list[dict[str, Any]]] = {}

    def put(self, day: str, seal: dict[str, Any]) -> None:
        self.versions.setdefault(day, []).append(_stored(seal))

    def all(self) -> list[dict[str, Any]]:
        return self.since("")

    def days(self) -> list[str]:
        return sorted(self.versions)

    def since(self, day: str) -> list[dict[str, Any]]:
        return [dict(self.versions[d][0]) for d in sorted(self.versions) if d >= day]
