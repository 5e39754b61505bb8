"""Issue 8 §3: figures kept per department and production day agree with the ledger, a bulletin computed from them
equals one computed from the records, and a refresh reads only what changed (services on the in-memory fakes)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.bulletins import BulletinInput, compute
from shared.figures import profiles_of
from shared.periods import parse_period
from shared.services import figures, publication
from tests import helpers as h
from tests.fakes import upload as _upload

START, END = date(2024, 9, 1), date(2024, 10, 31)


def _kept(deps: Any) -> dict[tuple[str, date], set[Any]]:
    out: dict[tuple[str, date], set[Any]] = {}
    for dept in deps.tables.registry.departments():
        for p in deps.tables.records.profiles(dept, START, END):
            out.setdefault((dept, p.production_date), set()).add(p)
    return {k: v for k, v in out.items() if v}


def _from_ledger(deps: Any) -> dict[tuple[str, date], set[Any]]:
    out: dict[tuple[str, date], set[Any]] = {}
    for dept in deps.tables.registry.departments():
        entries = list(deps.tables.records.by_department(dept, START, END))
        for p in profiles_of(entries):
            out.setdefault((dept, p.production_date), set()).add(p)
    return out


def _activity(deps: Any) -> None:
    rows = [h.penalty_row(f"闽环罚〔2024〕{i}号", f"2024-09-{2 + i % 20:02d}") for i in range(60)]
    rows += [h.penalty_row("闽环罚〔2024〕99号", "2024-09-30", code="", name="查无此人有限公司")]  # held
    _upload(deps, "a.csv", rows)
    # A correction that moves a record to another production day, and the same file again (all duplicates).
    _upload(deps, "b.csv", [h.penalty_row("闽环罚〔2024〕1号", "2024-10-09")])
    _upload(deps, "c.csv", [h.penalty_row("闽环罚〔2024〕1号", "2024-10-09")])
    publication.run_publication(deps)


def test_kept_figures_agree_with_the_ledger_and_with_a_rebuild(deps: Any) -> None:
    _activity(deps)
    report = figures.refresh(deps)
    assert report.pairs > 0
    kept = _kept(deps)
    assert kept == _from_ledger(deps)
    stored = sum(
        len(list(deps.tables.records.by_department(d, START, END))) for d in deps.tables.registry.departments()
    )
    assert sum(p.weight for ps in kept.values() for p in ps) == stored >= 60
    figures.rebuild(deps)
    assert _kept(deps) == kept


def test_a_bulletin_from_kept_figures_equals_one_from_the_records(deps: Any) -> None:
    _activity(deps)
    figures.refresh(deps)
    departments = list(deps.tables.registry.departments().values())
    period = parse_period("2024-09")
    records = [e for d in departments for e in deps.tables.records.by_department(d.code, START, END)]
    kept = [p for d in departments for p in deps.tables.records.profiles(d.code, START, END)]
    for as_of in (date(2024, 10, 8), date(2024, 10, 31), date(2024, 12, 1)):
        common = {"scope": "350000", "period": period, "departments": departments, "as_of": as_of}
        from_records = compute(BulletinInput(entries=records, previous_entries=records, **common))
        from_kept = compute(BulletinInput(entries=kept, previous_entries=kept, **common))
        assert from_kept.model_dump() == from_records.model_dump()
        assert (from_records.totals["records"] > 0) is (as_of > date(2024, 10, 16))  # collected on 10-16


def _on_day(monkeypatch: Any, days_ago: int) -> None:
    import shared.adapters.store as store
    from shared.timeutil import utc_now

    moment = utc_now() - timedelta(days=days_ago)
    for module in (store, figures):
        monkeypatch.setattr(module, "utc_now", lambda: moment)


def test_a_refresh_reads_only_what_changed_and_a_retry_counts_nothing_twice(deps: Any, monkeypatch: Any) -> None:
    _on_day(monkeypatch, 2)
    _activity(deps)
    _on_day(monkeypatch, 1)
    figures.refresh(deps)  # the nightly refresh
    before = _kept(deps)
    _on_day(monkeypatch, 0)
    _upload(deps, "again.csv", [h.penalty_row("闽环罚〔2024〕5号", "2024-09-07")])  # a duplicate
    _upload(deps, "new.csv", [h.penalty_row("闽环罚〔2024〕500号", "2024-09-12")])
    report = figures.refresh(deps)
    assert report.pairs == 1 and report.records_read <= 4  # the records of the changed department-day only
    after = _kept(deps)
    assert after == _from_ledger(deps)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {(h.ENV_DEPT, date(2024, 9, 12))}
