"""One behaviour suite for the repositories, run on the in-memory fakes and on the moto server (issue 8 §1).

Service tests use the fakes (tests/fakes.py) because this suite shows the two agree on what services rely on:
round trips, conditional writes and their conflicts, sparse indexes and ranges, blocks of audit entries, leases,
and skipping an item that cannot be read back. Each test uses its own keys, so the moto stack is reset once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.adapters.dynamo import ConditionFailedError
from shared.adapters.store import (
    AuditConflictError,
    AuditLog,
    BreachConflictError,
    BreachStore,
    Tables,
    UnreadableItemError,
)
from shared.auditchain import GENESIS
from shared.breaches import Breach
from shared.categories import Category
from shared.deadlines import Level
from shared.ledger import LedgerEntry
from shared.registry import Department, Subject
from shared.sharing import Subscription

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def moto_tables(stack: Any) -> Tables:
    stack.reset()
    tables: Tables = stack.deps.tables
    return tables


@pytest.fixture(params=["memory", "moto"])
def tables(request: Any) -> Iterator[Tables]:
    if request.param == "memory":
        from tests.fakes import fake_deps

        yield fake_deps().tables
    else:
        yield request.getfixturevalue("moto_tables")


def _id() -> str:
    return uuid.uuid4().hex[:12]


def _entry(rid: str, **changes: Any) -> LedgerEntry:
    values: dict[str, Any] = {
        "record_id": rid,
        "department": "D" + rid,
        "region_code": "350102",
        "category": Category.PENALTY,
        "doc_no": f"罚〔2024〕{rid}号",
        "subject_name": "某公司",
        "production_date": date(2024, 9, 27),
        "collect_due": date(2024, 10, 11),
        "publish_due": date(2024, 10, 29),
        "version": 1,
    }
    values.update(changes)
    return LedgerEntry.model_validate(values)


def test_a_record_round_trips_and_keeps_its_history(tables: Tables) -> None:
    rid = _id()
    first = _entry(rid)
    tables.records.put_many([first])
    assert tables.records.get(rid) == first
    second = first.model_copy(update={"version": 2, "subject_name": "另一公司"})
    tables.records.put_many([second], previous=[first])
    assert tables.records.get(rid) == second
    assert [v.version for v in tables.records.versions(rid)] == [1]
    assert set(tables.records.get_many([rid, "nope"])) == {rid}


def test_a_conditional_record_write_refuses_a_stale_version(tables: Tables) -> None:
    rid = _id()
    tables.records.put(_entry(rid), expect_version=0)
    tables.records.put(_entry(rid, version=2), expect_version=1)
    with pytest.raises(ConditionFailedError):
        tables.records.put(_entry(rid, version=3), expect_version=1)


def test_sparse_indexes_hold_what_is_still_due(tables: Tables) -> None:
    dept = "D" + _id()
    expected = _entry(_id(), department=dept, in_production_ledger=True)  # not collected: open for collection
    collected = _entry(_id(), department=dept, collected_at=datetime(2024, 10, 8, 2, tzinfo=UTC))
    tables.records.put_many([expected, collected])
    open_col = {e.record_id for e in tables.records.open_collection(date(2024, 10, 11))}
    assert expected.record_id in open_col and collected.record_id not in open_col
    assert expected.record_id not in {e.record_id for e in tables.records.open_collection(date(2024, 10, 10))}
    open_pub = {e.record_id for e in tables.records.open_publication(date(2024, 10, 29))}
    assert collected.record_id in open_pub and expected.record_id not in open_pub
    in_range = [e.record_id for e in tables.records.by_department(dept, date(2024, 9, 1), date(2024, 9, 30))]
    assert sorted(in_range) == sorted([expected.record_id, collected.record_id])
    assert list(tables.records.by_department(dept, date(2024, 10, 1), date(2024, 10, 31))) == []


def test_an_unreadable_record_is_skipped_and_reported(tables: Tables) -> None:
    good, bad = _id(), _id()
    tables.records.put_many([_entry(good)])
    tables.records.table.put({"pk": f"REC#{bad}", "sk": "CUR", "record_id": bad, "version": "not a number"})
    assert set(tables.records.get_many([good, bad])) == {good}
    assert tables.records.take_quarantined() == [f"REC#{bad}/CUR"]


def _breach(bid: str, **changes: Any) -> Breach:
    breach = {
        "breach_id": bid,
        "record_id": "r" + bid,
        "kind": "collection_overdue",
        "status": "open",
        "category": "penalty",
        "due": "2024-10-11",
        "region_code": "350102",
        "department": "D" + bid,
        "opened_at": "2024-10-14T01:00:00.000000Z",
        "opened_on": "2024-10-14",
        "base_level": "county",
    }
    return Breach.model_validate({**breach, **changes})


def test_a_breach_reads_back_as_written(tables: Tables) -> None:
    bid = _id()
    written = _breach(bid, acks={"county": {"note": "已督办", "by": "supervisor:fz", "at": "2024-10-15T02:00:00Z"}})
    stored = tables.breaches.put(written)
    assert stored == written.model_copy(update={"version": 1})
    assert tables.breaches.get(bid) == stored
    assert stored.city == "350100"  # derived from its region when not given
    assert tables.breaches.get("collection_overdue:nothing") is None


def test_breach_writes_are_versioned(tables: Tables) -> None:
    bid = _id()
    stored = tables.breaches.put(_breach(bid))
    assert stored.version == 1
    with pytest.raises(BreachConflictError):
        tables.breaches.put(_breach(bid))  # written by someone who read no breach: a conflict
    tables.breaches.put(stored.model_copy(update={"status": "closed", "announced": ["county"]}))
    with pytest.raises(BreachConflictError):
        tables.breaches.put(stored)  # read at version 1, stored meanwhile as 2
    again = tables.breaches.get(bid)
    assert again is not None and again.version == 2 and again.announced == [Level.COUNTY]


def test_an_unreadable_breach_item_is_skipped_and_reported(tables: Tables) -> None:
    good, bad = _id(), _id()
    tables.breaches.put(_breach(good))
    item = BreachStore.to_item(_breach(bad))
    tables.breaches.table.put({**item, "due": "not a date"})  # written by hand, as a broken migration would
    assert good in {b.breach_id for b in tables.breaches.active()}
    assert bad not in {b.breach_id for b in tables.breaches.active()}
    assert f"BR#{bad}/CUR" in tables.breaches.take_quarantined()
    with pytest.raises(UnreadableItemError):
        tables.breaches.get(bad)


def test_breach_indexes_list_open_ones_and_ranges(tables: Tables) -> None:
    a, b, c = _id(), _id(), _id()
    tables.breaches.put_new_many([_breach(a), _breach(b, status="closed", announced=["county"])])
    tables.breaches.put(_breach(c, department="D" + a, opened_on="2024-11-20"))
    active = {x.breach_id for x in tables.breaches.active()}
    assert a in active and c in active and b not in active
    in_city = {x.breach_id for x in tables.breaches.open_in("350100")}
    assert {a, c} <= in_city and b not in in_city
    read = tables.breaches.get(a)
    assert read is not None
    tables.breaches.put(read.model_copy(update={"status": "closed", "announced": ["county"]}))
    assert a not in {x.breach_id for x in tables.breaches.open_in("350100")}
    assert not any(x.breach_id == c for x in tables.breaches.open_in("350200"))
    october = {x.breach_id for x in tables.breaches.listing(department="D" + a, end=date(2024, 10, 31))}
    assert october == {a}
    by_kind = {x.breach_id for x in tables.breaches.listing(kinds=["collection_overdue"], start=date(2024, 11, 1))}
    assert c in by_kind and a not in by_kind


def _items(stream: str, n: int) -> list[dict[str, Any]]:
    at = datetime(2024, 10, 16, 2, tzinfo=UTC)
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        item = AuditLog.make_item(stream, seq, prev, "collected", "test", {"seq": seq}, at=at)
        out.append(item)
        prev = item["hash"]
    return out


def test_audit_appends_claim_positions(tables: Tables) -> None:
    stream = f"REC#{_id()}"
    first = tables.audit.append(stream, "collected", "test", {})
    second = tables.audit.append(stream, "published", "test", {})
    assert (first["seq"], second["seq"], second["prev"]) == (1, 2, first["hash"])
    again = AuditLog.make_item(stream, 3, second["hash"], "x", "test", {}, at=datetime(2024, 1, 1, tzinfo=UTC))
    assert tables.audit.append_many([again]) == set()
    assert tables.audit.append_many([again]) == set()  # the same entry again: a replay
    other = AuditLog.make_item(stream, 3, second["hash"], "y", "test", {}, at=datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(AuditConflictError):
        tables.audit.append_many([other])
    assert tables.audit.append_many([other], tolerate_races=True) == {stream}
    assert [e["event"] for e in tables.audit.stream(stream)] == ["collected", "published", "x"]


def test_audit_blocks_replay_and_read_back(tables: Tables) -> None:
    base, stream = _id(), f"REC#{_id()}"
    (first,) = _items(stream, 1)
    assert tables.audit.write_block(base, [first]) is False
    assert tables.audit.write_block(base, [first]) is True
    tables.audit.append_many(_items(stream, 2)[1:])
    trail = tables.audit.stream(stream, f"BLK#{base}")
    assert [e["seq"] for e in trail] == [1, 2] and trail[0]["block"] == f"BLK#{base}/0000"
    assert [e["seq"] for e in tables.audit.stream(stream)] == [2]  # without its block: only the single entry
    count, problems = tables.audit.verify({stream: (2, trail[1]["hash"])}, {stream: trail})
    assert (count, problems) == (2, [])


def test_leases_go_to_one_holder_at_a_time(tables: Tables) -> None:
    name = f"intake#{_id()}"
    assert tables.control.acquire_lease(name, "a", 60)
    assert not tables.control.acquire_lease(name, "b", 60)
    tables.control.release_lease(name, "b")
    assert not tables.control.acquire_lease(name, "b", 60)
    tables.control.release_lease(name, "a")
    assert tables.control.acquire_lease(name, "b", 60)


def test_digests_are_listed_newest_first_within_the_range(tables: Tables) -> None:
    jurisdiction = _id()
    for day, level in (("2024-10-14", "county"), ("2024-10-15", "city"), ("2024-10-20", "county")):
        pk, sk = tables.control.digest_key(jurisdiction, level, date.fromisoformat(day))
        tables.control.put({"pk": pk, "sk": sk, "status": "sent"}, condition="attribute_not_exists(pk)")
    with pytest.raises(ConditionFailedError):  # a digest is claimed once
        tables.control.put({"pk": pk, "sk": sk, "status": "sent"}, condition="attribute_not_exists(pk)")
    found = tables.control.digests(jurisdiction, ["county", "city"], date(2024, 10, 14), date(2024, 10, 15))
    assert [(i["as_of"], i["level"]) for i in found] == [("2024-10-15", "city"), ("2024-10-14", "county")]


def test_subscriptions_and_pushes(tables: Tables) -> None:
    sub = Subscription.model_validate(
        {
            "subscription_id": _id(),
            "department": "D1",
            "categories": ["penalty"],
            "protocol": "sqs",
            "endpoint": "arn:aws-cn:sqs:cn-north-1:123456789012:q",
            "created_at": "2024-10-16T02:00:00Z",
        }
    )
    tables.sharing.put_subscription(sub)
    assert tables.sharing.subscription(sub.subscription_id) == sub
    assert sub in tables.sharing.subscriptions()
    tables.sharing.delete_subscription(sub.subscription_id)
    assert tables.sharing.subscription(sub.subscription_id) is None
    day = date(2031, 1, int(_id()[:2], 16) % 28 + 1)
    tables.sharing.record_pushes(day, [{"record_id": "r1", "version": 1, "subscriptions": ["s"]}] * 2)
    assert len(list(tables.sharing.pushes(day, day))) == 1  # the same record version once


def test_the_register_versions_its_loads_and_looks_subjects_up(tables: Tables) -> None:
    code = "D" + _id()
    before = len(tables.registry.versions("departments"))
    tables.registry.put_departments([Department(code=code, name="某局", region_code="350100", level="city")])
    tables.registry.put_departments([Department(code=code, name="某某局", region_code="350100", level="city")])
    assert len(tables.registry.versions("departments")) == before + 2
    assert tables.registry.department(code).name == "某某局"
    assert [h["name"] for h in tables.registry.history("DEPT", code)] == ["某局"]
    uscc = "91350100" + _id()[:10].upper()
    tables.registry.put_subjects([Subject(uscc=uscc, name=f"福州{uscc}科技有限公司", reg_no="R" + uscc)])
    found = tables.registry.lookup([uscc], ["R" + uscc], [f"福州{uscc}科技有限公司"])
    assert found.by_uscc[uscc].reg_no == "R" + uscc
    assert found.by_reg_no["R" + uscc].uscc == uscc and [s.uscc for s in found.by_name[f"福州{uscc}科技有限公司"]] == [
        uscc
    ]


def test_expressions_the_adapters_rely_on(tables: Tables) -> None:
    table, pk = tables.control.table, f"T#{_id()}"
    for sk in ("a1", "a2", "b1", "b2"):
        table.put({"pk": pk, "sk": sk, "n": int(sk[1])})
    assert [i["sk"] for i in table.query("pk = :p AND begins_with(sk, :s)", {":p": pk, ":s": "a"})] == ["a1", "a2"]
    assert [i["sk"] for i in table.query("pk = :p AND sk BETWEEN :a AND :b", {":p": pk, ":a": "a2", ":b": "b1"})] == [
        "a2",
        "b1",
    ]
    assert [i["sk"] for i in table.query("pk = :p", {":p": pk}, forward=False, limit=1)] == ["b2"]
    assert table.update(pk, "c", "ADD v :one", {":one": 1})["v"] == 1
    assert table.update(pk, "c", "ADD v :one", {":one": 1})["v"] == 2
    table.update(pk, "c", "SET #s = :s, w = :w", {":s": "x", ":w": 5}, names={"#s": "status"})
    table.update(
        pk,
        "c",
        "REMOVE w",
        condition="attribute_exists(w) AND NOT (#s = :t)",
        values={":t": "y"},
        names={"#s": "status"},
    )
    assert table.get(pk, "c") == {"pk": pk, "sk": "c", "v": 2, "status": "x"}
    with pytest.raises(ConditionFailedError):
        table.update(pk, "c", "SET w = :w", {":w": 1, ":n": 3}, condition="v > :n OR attribute_exists(w)")
    table.put({"pk": pk, "sk": "d", "none": None})
    assert "none" not in table.get(pk, "d")  # DynamoDB keeps no None values
