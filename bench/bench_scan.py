"""Benchmark: the daily scan's reads against ledgers of different sizes with the same open records (moto server).

A scan should read in proportion to the records that can be due (sparse indexes), not to the ledger: the same
``OPEN`` unpublished records sit in a 10,000-record and then a 50,000-record ledger (``BENCH_FULL=1``: also 100,000),
and the items read must not grow. Run: ``.venv/bin/python -m bench.bench_scan``.
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
    from shared.services.deps import get_deps

    sizes = (10_000, 50_000, 100_000) if os.environ.get("BENCH_FULL") else (10_000, 50_000)
    open_ = 500
    server, _ = start_stack()
    try:
        deps = get_deps()
        entries = ledger_entries(sizes[-1], open_)
        print(f"daily scan on the moto server, {open_:,} open records in ledgers of growing size")
        print(f"  {'ledger':>8} {'examined':>9} {'items read':>11} {'requests':>9} {'scan s':>7}")
        written = 0
        first_read = 0
        for total in sizes:
            t0 = time.perf_counter()
            deps.tables.records.put_many(entries[written:total])  # grow the ledger with published records
            write_s = time.perf_counter() - t0
            if not written:
                # Settle first: the first scan opens the open records' breaches, which every later scan reads too.
                monitor.run_scan(date(2024, 11, 5), deps)
            written = total
            report = monitor.run_scan(date(2024, 11, 5), deps)
            first_read = first_read or report.items_read
            print(
                f"  {total:8,} {report.records_examined:9,} {report.items_read:11,} {report.requests:9,} "
                f"{report.seconds:7.2f}   items read vs smallest ledger {report.items_read / first_read:.2f}x"
                f"   (ledger write {write_s:.0f} s)"
            )
        print("  goal: items read do not grow with the ledger (same open count)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
