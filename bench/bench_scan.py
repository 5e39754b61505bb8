"""Benchmark: the daily scan's cost against ledgers of different sizes and open-record counts (moto server).

Issue: "scan cost (items read, requests, seconds) for 100,000 ledger records with 1,000 open, against the same
ledger with 10,000 open". ``BENCH_FULL=1`` runs exactly that; the default is a 10x smaller ledger.
Run: ``.venv/bin/python -m bench.bench_scan``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

from shared.ledger import LedgerEntry


def ledger_entries(total: int, open_: int) -> list[LedgerEntry]:
    """A ledger of ``total`` collected penalty records, the first ``open_`` of them never published."""
    base = {
        "department": "113500000035910115",
        "region_code": "350000",
        "category": "penalty",
        "production_date": date(2024, 9, 27),
        "collect_due": date(2024, 10, 12),
        "publish_due": date(2024, 10, 30),
        "version": 1,
        "collected_at": datetime(2024, 10, 10, tzinfo=UTC),
        "attribution": "matched",
        "subject_name": "福州昌华环保科技有限公司",
    }
    published = datetime(2024, 10, 20, tzinfo=UTC)
    out = []
    for i in range(total):
        done = i >= open_
        out.append(
            LedgerEntry(
                record_id=f"r{i:07d}",
                doc_no=f"闽环罚〔2024〕{i}号",
                published_at=published if done else None,
                published_version=1 if done else 0,
                **base,  # type: ignore[arg-type]
            )
        )
    return out


def main() -> None:
    from infra.localrun import start_stack
    from shared.services import monitor
    from shared.services.context import get_deps

    full = bool(os.environ.get("BENCH_FULL"))
    total = 100_000 if full else 10_000
    server, env = start_stack()
    try:
        print(f"daily scan on the moto server, ledger of {total:,} records")
        print(f"  {'open':>7} {'examined':>9} {'items read':>11} {'requests':>9} {'seconds':>8}  items read / open")
        previous = 0
        for open_ in (total // 100, total // 10):
            deps = get_deps()
            entries = ledger_entries(total, open_)
            t0 = time.perf_counter()
            # Rewrite only what changes between the two runs (the first run writes the whole ledger).
            deps.tables.records.put_many(entries[previous:open_] if previous else entries)
            write_s = time.perf_counter() - t0
            previous = open_
            report = monitor.run_scan(date(2024, 11, 5), deps)
            print(
                f"  {open_:7,} {report.records_examined:9,} {report.items_read:11,} {report.requests:9,} "
                f"{report.seconds:8.2f}  {report.items_read / open_:.2f}   (ledger write {write_s:.0f} s)"
            )
        print("  reads follow the open records (sparse indexes), not the ledger size")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
