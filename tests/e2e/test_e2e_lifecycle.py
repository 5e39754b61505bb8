"""A record's life on the local stack, with time driven explicitly (as-of dates and back-dated uploads).

Worked example of BRIEF §3: produced 2024-09-27 → collect by 2024-10-12 (a make-up Saturday), publish by
2024-10-30. 2024-10-13 is a Sunday, so a collection on 2024-10-14 is 1 working day late.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.ledger import record_id
from shared.services import monitor, public, publication, queries
from tests import helpers as h

pytestmark = pytest.mark.e2e

ON_TIME = "2024-10-12T15:30:00Z"  # 23:30 in Asia/Shanghai on the due date: on time
LATE = "2024-10-14T02:00:00Z"  # Monday 10:00 local: one working day late


@pytest.fixture
def env(clean_stack: Any) -> Any:
    h.load_registry(clean_stack)
    return clean_stack


def _rid(doc_no: str, dept: str = h.ENV_DEPT) -> str:
    return record_id(dept, "penalty", doc_no)


def _breach(stack: Any, kind: str, doc_no: str, dept: str = h.ENV_DEPT) -> dict[str, Any] | None:
    """The stored breach in its JSON form (dates as text), as the API shows it."""
    found = stack.deps.tables.breaches.get(f"{kind}:{_rid(doc_no, dept)}")
    return found.as_json() if found is not None else None


def _inbox(stack: Any) -> list[dict[str, Any]]:
    from shared.adapters.aws import client

    sqs = client("sqs")
    out = []
    while True:
        msgs = sqs.receive_message(QueueUrl=stack.env["GUIJI_INBOX_QUEUE_URL"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=stack.env["GUIJI_INBOX_QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"])


def test_worked_example_collection_on_time_and_late(env: Any) -> None:
    r1 = h.upload_penalty(env, "a.csv", "闽环罚〔2024〕1号", "2024-09-27", collected_at=ON_TIME)
    r2 = h.upload_penalty(env, "b.csv", "闽环罚〔2024〕2号", "2024/9/27", collected_at=LATE)
    assert r1["counts"]["late"] == 0 and r2["counts"]["late"] == 1
    on_time = env.deps.tables.records.get(_rid("闽环罚〔2024〕1号"))
    late = env.deps.tables.records.get(_rid("闽环罚〔2024〕2号"))
    assert on_time.collect_due == date(2024, 10, 12) and on_time.publish_due == date(2024, 10, 30)
    assert on_time.collection_late_days == 0
    assert late.collection_late_days == 1
    breach = _breach(env, "collection_late", "闽环罚〔2024〕2号")
    assert breach is not None and breach["working_days_late"] == 1 and breach["status"] == "closed"
    assert _breach(env, "collection_late", "闽环罚〔2024〕1号") is None


def test_publication_overdue_opens_then_closes_as_late_and_rescan_changes_nothing(env: Any) -> None:
    h.upload_penalty(env, "a.csv", "闽环罚〔2024〕7号", "2024-09-27", collected_at=ON_TIME)
    report = monitor.run_scan(date(2024, 10, 31), env.deps)
    assert report.opened >= 1
    overdue = _breach(env, "publication_overdue", "闽环罚〔2024〕7号")
    assert overdue["status"] == "open" and overdue["working_days_late"] == 1
    again = monitor.run_scan(date(2024, 10, 31), env.deps)
    assert again.opened == 0 and again.closed == 0 and again.recomputed == 0
    publication.run_publication(env.deps, now=datetime(2024, 11, 1, 3, 0, tzinfo=UTC))
    closed = _breach(env, "publication_overdue", "闽环罚〔2024〕7号")
    late = _breach(env, "publication_late", "闽环罚〔2024〕7号")
    assert closed["status"] == "closed" and closed["actual"] == "2024-11-01"
    assert late["working_days_late"] == 2  # 10-31 and 11-01
    page = public.subject_page(h.COMPANY, env.deps)
    assert page is not None
    published = [r for g in page["groups"] for s in g["sections"] for r in s["records"]]
    assert [(r["doc_no"], r["published_on"]) for r in published] == [("闽环罚〔2024〕7号", "2024-11-01")]


def test_held_record_waits_past_its_due_date_until_the_regulator_resolves_it(env: Any) -> None:
    receipt = h.upload_penalty(
        env,
        "held.csv",
        "闽环罚〔2024〕9号",
        "2024-09-27",
        name="福州未登记贸易有限公司",
        code=h.UNKNOWN,
        collected_at=ON_TIME,
    )
    assert receipt["counts"]["unattributed"] == 1
    rid = _rid("闽环罚〔2024〕9号")
    assert [r["record_id"] for r in queries.held_queue(env.deps)] == [rid]
    publication.run_publication(env.deps, now=datetime(2024, 10, 20, tzinfo=UTC))
    assert env.deps.tables.records.get(rid).published_at is None  # held records are not published
    monitor.run_scan(date(2024, 11, 5), env.deps)
    assert _breach(env, "publication_overdue", "闽环罚〔2024〕9号")["status"] == "open"
    with pytest.raises(publication.ResolutionError):
        publication.resolve_held(rid, env.deps, actor="regulator", uscc=h.UNKNOWN)
    publication.resolve_held(rid, env.deps, actor="regulator", uscc=h.OTHER)
    assert queries.held_queue(env.deps) == []
    publication.run_publication(env.deps, now=datetime(2024, 11, 6, 2, tzinfo=UTC))
    assert _breach(env, "publication_overdue", "闽环罚〔2024〕9号")["status"] == "closed"
    trail = [e["event"] for e in queries.record_timeline(rid, env.deps)["audit"]]
    assert {"collected", "attributed", "published", "breach_opened", "breach_closed"} <= set(trail)


def test_production_ledger_flags_records_never_collected(env: Any) -> None:
    ledger = "记录编号,信息类别,产生日期\n闽环罚〔2025〕1号,行政处罚,2025-01-28\n".encode()
    receipt = env.upload(h.ENV_DEPT, "ledger", "2025-01.csv", ledger)
    assert receipt["counts"] == receipt["counts"] | {"read": 1, "accepted": 1}
    rid = _rid("闽环罚〔2025〕1号")
    entry = env.deps.tables.records.get(rid)
    assert entry.collect_due == date(2025, 2, 12)  # 2025-01-28 is a holiday (除夕): day 1 is the next working day
    monitor.run_scan(date(2025, 2, 11), env.deps)
    assert _breach(env, "at_risk", "闽环罚〔2025〕1号")["status"] == "open"
    monitor.run_scan(date(2025, 2, 13), env.deps)
    assert _breach(env, "collection_overdue", "闽环罚〔2025〕1号")["working_days_late"] == 1
    assert _breach(env, "at_risk", "闽环罚〔2025〕1号")["status"] == "closed"
    h.upload_penalty(env, "late.csv", "闽环罚〔2025〕1号", "2025-01-28", collected_at="2025-02-14T02:00:00Z")
    monitor.run_scan(date(2025, 2, 14), env.deps)
    assert _breach(env, "collection_overdue", "闽环罚〔2025〕1号")["status"] == "closed"
    assert _breach(env, "collection_late", "闽环罚〔2025〕1号")["working_days_late"] == 2


def test_correction_is_a_new_version_and_the_old_one_stays_readable(env: Any) -> None:
    h.upload_penalty(env, "v1.csv", "闽环罚〔2024〕3号", "2024-09-27", collected_at=ON_TIME)
    r = h.upload_penalty(
        env, "v2.csv", "闽环罚〔2024〕3号", "2024-09-27", content="罚款人民币二万元", collected_at=LATE
    )
    assert r["counts"]["corrected"] == 1 and r["counts"]["accepted"] == 1
    rid = _rid("闽环罚〔2024〕3号")
    entry = env.deps.tables.records.get(rid)
    assert entry.version == 2
    assert entry.collection_late_days == 0  # collected on time the first time; a correction keeps that
    old = env.deps.tables.records.versions(rid)
    assert [v.version for v in old] == [1] and old[0].digest != entry.digest


def test_notices_once_per_level_then_escalation_and_acknowledgement(env: Any, monkeypatch: Any) -> None:
    h.upload_penalty(env, "a.csv", "榕环罚〔2024〕5号", "2024-09-27", dept=h.CITY_DEPT, collected_at=ON_TIME)
    _inbox(env)
    first = monitor.run_daily(date(2024, 10, 31), env.deps)
    assert first["notices"]["digests"] == 1
    msgs = _inbox(env)
    assert len(msgs) == 1
    attrs = {k: v["Value"] for k, v in msgs[0]["MessageAttributes"].items()}
    assert attrs["region"] == "350100" and attrs["level"] == "city"
    assert "逾期未公示" in msgs[0]["Message"] and "榕环罚〔2024〕5号" in msgs[0]["Message"]
    # same day again, and the next day: nothing new at this level → nothing sent
    assert monitor.run_daily(date(2024, 10, 31), env.deps)["notices"]["digests"] == 0
    assert monitor.run_daily(date(2024, 11, 1), env.deps)["notices"]["digests"] == 0
    assert _inbox(env) == []
    # escalation_days (5) working days after it opened, the province hears of it
    later = monitor.run_daily(date(2024, 11, 7), env.deps)
    assert later["notices"]["digests"] == 1
    msgs = _inbox(env)
    assert {m["MessageAttributes"]["level"]["Value"] for m in msgs} == {"province"}
    bid = f"publication_overdue:{record_id(h.CITY_DEPT, 'penalty', '榕环罚〔2024〕5号')}"
    acked = monitor.acknowledge(bid, "已督促整改", "province-supervisor", date(2024, 11, 7), env.deps)
    assert "province" in acked.acks
    assert monitor.run_daily(date(2024, 11, 20), env.deps)["notices"]["digests"] == 0


def test_two_concurrent_scans_send_each_digest_once(env: Any) -> None:
    h.upload_penalty(env, "a.csv", "榕环罚〔2024〕6号", "2024-09-27", dept=h.CITY_DEPT, collected_at=ON_TIME)
    _inbox(env)
    results: list[dict[str, Any]] = []

    def run() -> None:
        results.append(monitor.run_daily(date(2024, 10, 31), env.deps))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2  # neither scan crashed
    assert sum(r["notices"]["digests"] for r in results) == 1
    assert len(_inbox(env)) == 1


def test_scan_reads_grow_with_open_records_not_with_the_ledger(env: Any) -> None:
    from bench.bench_scan import ledger_entries

    env.deps.tables.records.put_many(ledger_entries(404, 4))  # 400 published on time, 4 never published
    report = monitor.run_scan(date(2024, 11, 5), env.deps)
    assert report.records_examined == 4
    assert report.opened == 4
    assert report.items_read < 40, report  # 4 records + their breach lookups, not 404 records


def test_provisional_due_date_is_recomputed_when_the_schedule_is_loaded(env: Any) -> None:
    from shared.ledger import compute_dues, expected_entry
    from shared.workdays import CalendarOverride

    # Far enough ahead that the pinned calendar data cannot know the year yet: 2031 is provisional.
    produced = date(2030, 12, 20)
    rid = _rid("闽环罚〔2030〕9号")
    dues = compute_dues(produced, False, env.deps.calendar)
    assert dues.provisional and dues.publish_due.year == 2031
    entry = expected_entry(
        rid=rid,
        department=h.ENV_DEPT,
        region_code="350000",
        category="penalty",  # type: ignore[arg-type]
        doc_no="闽环罚〔2030〕9号",
        action="",
        production_date=produced,
        dues=dues,
    )
    env.deps.tables.records.put_many([entry])
    # Made-up schedules for both years the count crosses; 2031 gets an extra rest week.
    y2030 = {"2030-01-01": "元旦", "2030-10-01": "国庆节"}
    rest = {"2031-01-01": "元旦", **{f"2031-01-{d:02d}": "测试" for d in range(6, 11)}}
    for year, days in ((2030, y2030), (2031, rest)):
        override = CalendarOverride.model_validate(
            {"year": year, "source": "测试用安排", "holidays": days, "workdays": []}
        )
        result = monitor.load_calendar_override(override, env.deps, actor="test")
        assert result["records_recomputed"] == 1
    after = env.deps.tables.records.get(rid)
    assert not after.provisional
    assert after.publish_due > dues.publish_due  # five more rest days push the 20th working day out
    events = [e["event"] for e in queries.record_timeline(rid, env.deps)["audit"]]
    assert "due_dates_recomputed" in events


def test_crash_between_batches_then_retry_loses_and_duplicates_nothing(env: Any, monkeypatch: Any) -> None:
    from shared.services import record_sink

    rows = [h.penalty_row(f"闽环罚〔2024〕{1000 + i}号", "2024-09-27") for i in range(250)]
    real = record_sink.apply_batch
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        real(*args, **kwargs)
        if calls["n"] == 2:
            raise RuntimeError("injected fault after the second batch was written")

    monkeypatch.setattr(record_sink, "apply_batch", flaky)
    receipt = env.upload(h.ENV_DEPT, "penalty", "big.csv", h.csv_bytes(rows), collected_at=ON_TIME)
    assert calls["n"] >= 5  # 3 batches failed attempt (2) + full retry (3)
    assert receipt["counts"]["read"] == 250
    assert receipt["counts"]["accepted"] == 250 and receipt["counts"]["duplicates"] == 0
    # Stored once each (the retried batches found their blocks), whether alone or in a block.
    stored = list(env.deps.tables.audit.table.scan())
    audit_rows = [i for i in stored if i["pk"].startswith("REC#")]
    audit_rows += [e for i in stored if i["pk"].startswith("BLK#") for e in i["entries"] if e["stream"][:4] == "REC#"]
    assert len(audit_rows) == 250
    assert len({(e["stream"], e["seq"]) for e in audit_rows}) == 250
    assert env.deps.tables.verify_audit()[1] == []


def test_large_file_is_processed_in_chunks_with_one_receipt(env: Any, monkeypatch: Any, request: Any) -> None:
    from shared.services.deps import reset

    monkeypatch.setenv("GUIJI_CHUNK_ROWS", "100")
    reset()
    request.addfinalizer(reset)
    rows = [h.penalty_row(f"闽环罚〔2024〕{2000 + i}号", "2024-09-27") for i in range(230)]
    rows.insert(120, ["", "", "", "", "", ""])  # a blank row in the middle
    rows.append(h.penalty_row("", "2024-09-27"))  # no document number: rejected
    receipt = env.upload(h.ENV_DEPT, "penalty", "chunks.csv", h.csv_bytes(rows), collected_at=ON_TIME)
    assert receipt["counts"]["read"] == 231
    assert receipt["counts"]["accepted"] == 230 and receipt["counts"]["rejected"] == 1
    assert receipt["counts"]["blank_rows"] == 1
    chunks = env.deps.tables.uploads.chunks(receipt["upload_id"])
    assert len(chunks) == 3


def test_department_folder_typed_in_lower_case_is_recognised(env: Any) -> None:
    folder = h.ENV_DEPT.lower()
    receipt = h.upload_penalty(env, "lower.csv", "闽环罚〔2024〕70号", "2024-09-27", dept=folder)
    assert receipt["status"] == "completed" and receipt["department"] == h.ENV_DEPT
    assert env.deps.tables.records.get(_rid("闽环罚〔2024〕70号")) is not None
