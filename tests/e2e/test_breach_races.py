"""Writers racing over the same breaches (issue 7 item 5): acknowledgements against the scan and notify jobs.

Every write to a breach is conditional on its version and, on a conflict, re-read and re-applied: no
acknowledgement may vanish, and a breach's ``audit_seq``/``audit_head`` must stay the head of its audit stream.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.breaches import Ack, Breach
from shared.deadlines import Level
from shared.ledger import record_id
from shared.services import monitor
from shared.services.breach_lifecycle import BreachEdit, change_breach
from shared.timeutil import utc_now
from tests import helpers as h

pytestmark = pytest.mark.e2e

ON_TIME = "2024-10-12T15:30:00Z"
FIRST_SCAN = date(2024, 10, 31)  # the 20-working-day publication clock of 2024-09-27 has run out
BREACHES = 12
CITY_ACK = Ack(note="x", by="t", at=datetime(2024, 10, 31, tzinfo=UTC))


@pytest.fixture
def env(clean_stack: Any) -> Any:
    h.load_registry(clean_stack)
    return clean_stack


def _open_breaches(env: Any, count: int) -> list[str]:
    rows = [h.penalty_row(f"榕环罚〔2024〕{100 + i}号", "2024-09-27") for i in range(count)]
    receipt = env.upload(h.CITY_DEPT, "penalty", "many.csv", h.csv_bytes(rows), collected_at=ON_TIME)
    assert receipt["counts"]["accepted"] == count
    assert monitor.run_scan(FIRST_SCAN, env.deps).opened == count
    return [
        f"publication_overdue:{record_id(h.CITY_DEPT, 'penalty', f'榕环罚〔2024〕{100 + i}号')}" for i in range(count)
    ]


def _assert_head_matches_stream(env: Any, breach: Breach | None) -> None:
    assert breach is not None
    stream = env.deps.tables.audit.stream(f"BR#{breach.breach_id}")
    assert [e["seq"] for e in stream] == list(range(1, len(stream) + 1))
    assert breach.audit_seq == len(stream), breach.breach_id
    assert breach.audit_head == stream[-1]["hash"]


def test_acks_racing_scans_and_notices_are_never_lost(env: Any) -> None:
    ids = _open_breaches(env, BREACHES)
    acked: dict[str, str] = {}
    errors: list[BaseException] = []
    stop = threading.Event()

    def jobs() -> None:
        # Scans of later days move every open breach (age), notices mark them announced: both rewrite breaches.
        day = FIRST_SCAN
        try:
            while not stop.is_set():
                day += timedelta(days=1)
                monitor.run_scan(day, env.deps)
                monitor.send_notices(day, env.deps)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread below
            errors.append(exc)

    def acks() -> None:
        try:
            for bid in ids:
                breach = monitor.acknowledge(bid, f"已督促整改 {bid[-6:]}", "city-supervisor", FIRST_SCAN, env.deps)
                acked[bid] = next(iter(breach.acks))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=jobs), threading.Thread(target=jobs), threading.Thread(target=acks)]
    started = time.monotonic()
    for w in workers:
        w.start()
    workers[2].join(timeout=120)
    stop.set()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "a writer hung"
    assert time.monotonic() - started < 180
    assert errors == []
    assert len(acked) == BREACHES

    stored = env.deps.tables.breaches.get_many(ids)
    lost = [bid for bid in ids if acked[bid] not in stored[bid].acks]
    assert lost == [], f"{len(lost)} of {BREACHES} acknowledgements vanished"
    for bid in ids:
        _assert_head_matches_stream(env, stored[bid])
        assert sum(e["event"] == "acknowledged" for e in env.deps.tables.audit.stream(f"BR#{bid}")) == 1
        # a re-ack answers with the breach as it is, and the breach can still close
        again = monitor.acknowledge(bid, "再次确认", "city-supervisor", FIRST_SCAN, env.deps)
        assert again.acks[acked[bid]].note == f"已督促整改 {bid[-6:]}"
    count, problems = env.deps.tables.audit.verify()
    assert problems == [] and count > 0


def test_a_write_between_read_and_store_is_re_read_and_re_applied(env: Any) -> None:
    (bid,) = _open_breaches(env, 1)
    breaches = env.deps.tables.breaches
    before = breaches.get(bid)
    calls = 0

    def ack(breach: Breach | None) -> BreachEdit | None:
        nonlocal calls
        calls += 1
        assert breach is not None
        if calls == 1:
            # Another writer stores a change without an audit entry (the scan's age update) after our read.
            breaches.put(breach.model_copy(update={"working_days_late": 99}))
        if Level.CITY in breach.acks:
            return None
        breach.acks = {Level.CITY: CITY_ACK}
        return BreachEdit(breach, "acknowledged", {"level": "city", "note": "x"})

    stored = change_breach(bid, ack, env.deps, actor="t", at=utc_now())
    assert calls == 2  # the first write conflicted, the change was applied again to what the other writer stored
    assert stored is not None and stored.working_days_late == 99 and Level.CITY in stored.acks
    assert before is not None and stored.version == before.version + 2
    # the audit entry appended by the first attempt was reproduced, not duplicated or clashing
    _assert_head_matches_stream(env, breaches.get(bid))
    assert stored.audit_seq == before.audit_seq + 1


def test_an_audited_change_taken_by_another_writer_is_retried_at_the_next_position(env: Any) -> None:
    (bid,) = _open_breaches(env, 1)
    before = env.deps.tables.breaches.get(bid)
    calls = 0

    def announce(breach: Breach | None) -> BreachEdit | None:
        assert breach is not None
        return BreachEdit(breach.model_copy(update={"announced": [Level.CITY]}), "notified", {"level": "city"})

    def ack(breach: Breach | None) -> BreachEdit | None:
        nonlocal calls
        calls += 1
        assert breach is not None
        if calls == 1:
            change_breach(bid, announce, env.deps, actor="notify", at=utc_now())  # takes audit position seq + 1
        breach.acks = {Level.CITY: CITY_ACK}
        return BreachEdit(breach, "acknowledged", {"level": "city", "note": "x"})

    stored = change_breach(bid, ack, env.deps, actor="t", at=utc_now())
    assert calls == 2
    assert stored is not None and stored.announced == [Level.CITY] and Level.CITY in stored.acks
    assert before is not None and stored.audit_seq == before.audit_seq + 2
    events = [e["event"] for e in env.deps.tables.audit.stream(f"BR#{bid}")]
    assert events[-2:] == ["notified", "acknowledged"]
    _assert_head_matches_stream(env, stored)


def test_a_legacy_breach_without_a_version_is_written_once_then_versioned(env: Any) -> None:
    (bid,) = _open_breaches(env, 1)
    table = env.deps.tables.breaches.table
    legacy = {k: v for k, v in table.get(f"BR#{bid}", "CUR").items() if k != "version"}
    table.put(legacy)  # as stored before versions existed
    acked = monitor.acknowledge(bid, "已督促整改", "city-supervisor", FIRST_SCAN, env.deps)
    assert acked.version == 1 and Level.CITY in acked.acks
    _assert_head_matches_stream(env, acked)
