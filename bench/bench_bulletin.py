"""Benchmark: what a provincial monthly bulletin reads with N and with 10×N records in its period (moto server).

A bulletin should read in proportion to departments × categories × days (kept figures), not to the records
(issue 8 §3): the same registry, period and scope are measured with 1,000 and then 10,000 records produced in the
period (``BENCH_FULL=1``: 5,000 and 50,000). Before each bulletin the kept figures are refreshed as the nightly job
does; what that refresh read (the records written since the previous one) is printed on its own line. Run: ``.venv/bin/python -m bench.bench_bulletin``.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, date, datetime, timedelta

from shared.ledger import LedgerEntry

PERIOD = "2026-10"
FIRST_DAY = date(2026, 10, 1)


def period_entries(departments: list[tuple[str, str]], count: int, seed: int) -> list[LedgerEntry]:
    """``count`` collected penalty records produced in the period, spread over the departments (seeded)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        code, region = departments[rng.randrange(len(departments))]
        produced = FIRST_DAY + timedelta(days=rng.randrange(31))
        collected = datetime.combine(produced + timedelta(days=rng.randrange(1, 15)), datetime.min.time(), UTC)
        out.append(
            LedgerEntry(
                record_id=f"b{seed}-{i:07d}",
                department=code,
                region_code=region,
                category="penalty",
                doc_no=f"闽罚〔2026〕{seed}{i:07d}号",
                production_date=produced,
                collect_due=produced + timedelta(days=9),
                publish_due=produced + timedelta(days=28),
                version=1,
                collected_at=collected,
                attribution="matched",
                subject_name="福州昌华环保科技有限公司",
            )
        )
    return out


def main() -> None:
    from infra.demo import load_registry
    from infra.demodata import generate
    from infra.localrun import start_stack
    from shared.periods import parse_period
    from shared.registry import parse_departments, parse_subjects
    from shared.services import figures
    from shared.services.bulletins import make_bulletin
    from shared.services.deps import get_deps

    small = 5_000 if os.environ.get("BENCH_FULL") else 1_000
    server, _ = start_stack()
    try:
        deps = get_deps()
        data = generate(today=date(2026, 11, 30), subjects=50, rows_per_file=1)
        load_registry(deps, data.departments_csv(), parse_departments, "departments")
        load_registry(deps, data.subjects_csv(), parse_subjects, "subjects")
        departments = [(d.code, d.region_code) for d in data.departments if not d.is_regulator]
        entries = period_entries(departments, small * 10, seed=7)
        print(f"provincial monthly bulletin {PERIOD} on the moto server, {len(data.departments)} departments")
        print("  (figures kept per department and day are refreshed first, as the nightly job does; printed apart)")
        print(f"  {'records':>8} {'items read':>11} {'requests':>9} {'seconds':>8}")
        written = 0
        first = 0
        for total in (small, small * 10):
            deps.tables.records.put_many(entries[written:total])
            written = total
            reads = deps.stats.items_read
            kept = figures.refresh(deps)
            print(
                f"  nightly refresh: {kept.pairs:,} department-days from {kept.records_read:,} records written since"
                f" the last one ({deps.stats.items_read - reads:,} items read)"
            )
            reads, requests = deps.stats.items_read, deps.stats.requests
            t0 = time.perf_counter()
            make_bulletin("350000", parse_period(PERIOD), date(2026, 11, 2), deps)
            seconds = time.perf_counter() - t0
            read = deps.stats.items_read - reads
            first = first or read
            print(
                f"  {total:8,} {read:11,} {deps.stats.requests - requests:9,} {seconds:8.2f}"
                f"   items read vs {small:,} records: {read / first:.2f}x"
            )
        print("  goal: within 10 % (1.10x) with 10x the records")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
