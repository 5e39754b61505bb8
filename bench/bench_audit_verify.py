"""Benchmark: the audit verification ``GET /audit/verify`` answers (incremental) against the full one, at a million
entries (issue 8 §2).

A trail of N entries written on earlier days (as the intake writes them: first entries in blocks of 100, later
entries one by one, every record item anchoring its head), a full verification as the nightly job runs it (the
baseline, timed), then one day's activity (2,000 new records and 500 later entries), then the incremental check.
Printed: seconds and DynamoDB items read and requests of each, and their ratio. The tables are the in-memory fakes
(``shared.adapters.memory``, the same repositories the functions use): the seconds are the verification's own
work, the items and requests what DynamoDB would serve. Seeded and dated relative to the run day.
``BENCH_FULL=1`` adds 2,000,000 entries. Run: ``.venv/bin/python -m bench.bench_audit_verify``.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta
from typing import Any

from shared.adapters.dynamo import IoStats
from shared.adapters.store import AuditLog, Tables
from shared.auditchain import GENESIS
from shared.settings import Settings
from shared.timeutil import local_date, utc_now


def _detail(rng: random.Random) -> dict[str, Any]:
    return {
        "version": 1,
        "digest": f"{rng.getrandbits(128):032x}",
        "source_key": "incoming/11350000003591037R/penalty/2026-11.csv",
        "row": rng.randint(2, 50_000),
        "late_working_days": 0,
        "attribution": "matched",
        "calendar_version": "a6e0ec93dc07",
    }


def _load(tables: Tables, entries: int, day: str, seed: int, prefix: str) -> None:
    """Bulk-load a trail as the intake would have left it (straight into the fake's dicts: a fixture, not a write)."""
    rng = random.Random(seed)
    audit, records = tables.audit.table, tables.records.table
    at = utc_now() - timedelta(days=3)
    index = {"gsi1pk": f"DAY#{day}"}
    records_n = int(entries * 0.8)
    for start in range(0, records_n, 100):
        block, parts = f"BLK#{prefix}{start}", []
        for n in range(start, min(start + 100, records_n)):
            stream = f"REC#{prefix}{n:08d}"
            first = AuditLog.make_item(stream, 1, GENESIS, "collected", "department:x", _detail(rng), at=at)
            head, seq = first, 1
            parts.append({k: v for k, v in first.items() if k not in ("pk", "sk")})
            if n < entries - records_n:  # a fifth of the records got a later entry (published, corrected)
                head = AuditLog.make_item(stream, 2, first["hash"], "published", "publish", {"v": 1}, at=at)
                seq = 2
                audit._store({**head, **index, "gsi1sk": f"{stream}#{head['sk']}"})
            records._store(
                {"pk": stream, "sk": "CUR", "audit_seq": seq, "audit_head": head["hash"], "audit_block": block}
            )
        audit._store({"pk": block, "sk": "0000", "entries": parts, **index, "gsi1sk": f"{block}#0000"})


def _today(tables: Tables, seed: int) -> None:
    """One day's activity through the real write path: 2,000 new records in blocks, 500 later entries."""
    rng = random.Random(seed)
    items, owners = [], []
    for n in range(2_000):
        stream = f"REC#today{n:06d}"
        item = AuditLog.make_item(stream, 1, GENESIS, "collected", "department:x", _detail(rng))
        items.append(item)
        owners.append({"pk": stream, "sk": "CUR", "audit_seq": 1, "audit_head": item["hash"]})
    for start in range(0, 2_000, 100):
        tables.audit.write_block(f"today#{start}", items[start : start + 100])
        for owner in owners[start : start + 100]:
            owner["audit_block"] = f"BLK#today#{start}"
    later = []
    for owner in owners[:500]:
        item = AuditLog.make_item(owner["pk"], 2, owner["audit_head"], "published", "publish", {"v": 1})
        later.append(item)
        owner.update(audit_seq=2, audit_head=item["hash"])
    tables.audit.append_many(later)
    tables.records.table.batch_write(owners)


def _measure(label: str, stats: IoStats, fn: Any) -> tuple[float, int, int, Any]:
    read0, req0 = stats.items_read, stats.requests
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, stats.items_read - read0, stats.requests - req0, result


def run(entries: int) -> None:
    tables = Tables(Settings.placeholders(), in_memory=True)
    old_day = (local_date(utc_now()) - timedelta(days=3)).isoformat()
    t0 = time.perf_counter()
    _load(tables, entries, old_day, seed=entries, prefix="old")
    load_s = time.perf_counter() - t0
    full_s, full_items, full_req, full = _measure(
        "full", tables.stats, lambda: tables.verify_audit_full_and_keep(utc_now() - timedelta(days=1))
    )
    assert full["ok"], full["problems"][:3]
    _today(tables, seed=7)
    inc_s, inc_items, inc_req, inc = _measure("incremental", tables.stats, tables.verify_audit_recent)
    assert inc["ok"] and inc["mode"] == "incremental", inc["problems"][:3]
    print(f"\n  trail of {full['entries']:,} entries before today (loaded in {load_s:.0f} s), then 2,500 entries today")
    print(
        f"    full verification (nightly job)   : {full_s:7.2f} s   items read {full_items:>10,}   requests {full_req:>8,}"
    )
    print(
        f"    incremental (GET /audit/verify)   : {inc_s:7.2f} s   items read {inc_items:>10,}   requests {inc_req:>8,}"
        f"   ({inc['streams']:,} streams, {inc['entries']:,} entries checked)"
    )
    print(
        f"    ratio incremental / full           : time {inc_s / full_s:.4f}x, items read {inc_items / full_items:.4f}x"
        f"   (API Gateway limit 29 s: {'within' if inc_s < 29 else 'OVER'})"
    )


def main() -> None:
    print(
        "audit verification on the in-memory tables (seconds: the verification's own work; items/requests: DynamoDB's)"
    )
    for entries in (100_000, 1_000_000, *((2_000_000,) if os.environ.get("BENCH_FULL") else ())):
        run(entries)


if __name__ == "__main__":
    main()
