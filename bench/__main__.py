"""``bash run.sh bench``: every benchmark in turn (``BENCH_FULL=1`` for the long forms)."""

from __future__ import annotations

from bench import (
    bench_audit_verify,
    bench_bulletin,
    bench_calendar,
    bench_coldstart,
    bench_e2e,
    bench_intake,
    bench_public,
    bench_scan,
    bench_uscc,
)

for module in (
    bench_calendar,
    bench_uscc,
    bench_intake,
    bench_e2e,
    bench_scan,
    bench_bulletin,
    bench_public,
    bench_audit_verify,
    bench_coldstart,
):
    print(f"\n=== {module.__name__} ===", flush=True)
    module.main()
