"""Services on the in-memory fakes (issue 8 §1): the whole intake → scan → notices → seal path in milliseconds.

The fakes' agreement with the moto server is tests/contract's business; these check the services' rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.ledger import record_id
from shared.services import monitor
from tests import helpers as h
from tests.fakes import upload as _upload


def test_a_late_file_is_recorded_breached_and_audited(deps: Any) -> None:
    rows = [h.penalty_row(f"闽环罚〔2024〕{i}号", "2024-09-02") for i in range(120)]
    rows.append(h.penalty_row("", "2024-09-02"))  # no document number: rejected with a reason
    receipt = _upload(deps, "late.csv", rows)
    counts = receipt["counts"]
    assert counts["read"] == 121 and counts["accepted"] == 120 and counts["rejected"] == 1 and counts["late"] == 120
    assert counts["read"] == counts["accepted"] + counts["rejected"] + counts["duplicates"]
    rid = record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕7号")
    late = deps.tables.breaches.get(f"collection_late:{rid}")
    assert late is not None and late.status == "closed" and late.working_days_late > 0
    overdue = deps.tables.breaches.get(f"publication_overdue:{rid}")
    assert overdue is not None and overdue.is_open
    assert deps.tables.verify_audit()[1] == []
    assert deps.tables.control.acquire_lease(f"intake#{h.ENV_DEPT}", "next", 60)  # given back when done


def test_the_same_file_again_is_all_duplicates_and_changes_nothing(deps: Any) -> None:
    rows = [h.penalty_row(f"闽环罚〔2024〕{i}号", "2024-10-10") for i in range(5)]
    _upload(deps, "a.csv", rows)
    before = dict(deps.tables.records.table.items)
    receipt = _upload(deps, "b.csv", rows)
    assert receipt["counts"]["duplicates"] == 5 and receipt["counts"]["accepted"] == 0
    assert {k: v for k, v in deps.tables.records.table.items.items() if k[0].startswith("REC#")} == {
        k: v for k, v in before.items() if k[0].startswith("REC#")
    }


def test_the_daily_job_notifies_once_and_seals(deps: Any) -> None:
    _upload(deps, "late.csv", [h.penalty_row("闽环罚〔2024〕1号", "2024-09-02")])
    first = monitor.run_daily(date(2024, 10, 31), deps)
    assert first["notices"]["digests"] >= 1 and first["audit_seal"]["sealed"]
    sent = len(deps.notifier.published)
    again = monitor.run_daily(date(2024, 10, 31), deps)
    assert again["notices"]["digests"] == 0 and len(deps.notifier.published) == sent
    assert deps.tables.verify_audit()[1] == []


def test_a_corrupt_record_is_quarantined_and_every_digest_still_goes(deps: Any) -> None:
    _upload(deps, "late.csv", [h.penalty_row("闽环罚〔2024〕1号", "2024-09-02")])
    rid = record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕1号")
    bad = dict(deps.tables.records.table.get(f"REC#{rid}", "CUR"), record_id="other", version="x")
    deps.tables.records.table.put({**bad, "pk": "REC#other", "sk": "CUR"})
    result = monitor.run_daily(date(2024, 10, 31), deps)
    assert result["scan"]["quarantined"] == ["REC#other/CUR"]
    assert result["notices"]["digests"] >= 1
    assert [e["event"] for e in deps.tables.audit.stream("QUARANTINE")] == ["item_unreadable"]


def test_warnings_on_a_quiet_day_reach_the_province_once_as_an_operations_notice(deps: Any) -> None:
    warning = "公示任务最近一次成功运行于2024-10-28，已超过1天未运行，请检查"
    report = monitor.send_notices(date(2024, 10, 31), deps, warnings=[warning])
    assert report.digests == 0  # nothing was breached: no digest to carry the warning
    ((subject, body, attributes),) = deps.notifier.published
    assert subject == "【归集督办】运行提示 2024-10-31"
    assert warning in body
    assert attributes["region"] == "350000" and attributes["type"] == "ops"
    monitor.send_notices(date(2024, 10, 31), deps, warnings=[warning])  # the job retried: not told twice
    assert len(deps.notifier.published) == 1
