"""Benchmark: +7 / +20 working-day due dates with the precomputed index vs a naive day-by-day walk (perf-limits §4).

Run: ``.venv/bin/python -m bench.bench_calendar``. Figures are medians of a few repetitions after a warm-up.
"""

from __future__ import annotations

import gc
import importlib
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

INDEX_DATES = 100_000
NAIVE_DATES = 10_000
REPEAT_INDEX = 5
REPEAT_NAIVE = 3


def _measure(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median, min and max seconds of ``repeat`` timed runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def _all_due(due: Callable[[date, int], date], dates: list[date], n: int) -> list[date]:
    return [due(d, n) for d in dates]


def main() -> None:
    """Print the build time of the index and deadlines/s for the index and the naive loop."""
    start = time.perf_counter()
    workdays = importlib.import_module("shared.workdays")
    import_s = time.perf_counter() - start

    from holidays.countries.china import China

    start = time.perf_counter()
    calendar = workdays.WorkCalendar.build()
    first_build_s = time.perf_counter() - start
    rebuild_s, rebuild_min, rebuild_max = _measure(workdays.WorkCalendar.build, REPEAT_INDEX)

    official = [y.year for y in calendar.years() if y.status == "official"]
    print(f"calendar {workdays.FIRST_DAY}..{workdays.LAST_DAY}, version {calendar.version}, ", end="")
    print(f"official years {min(official)}-{max(official)} ({len(official)})")
    print(f"import shared.workdays (holidays package): {import_s * 1000:7.1f} ms  (only cold if not imported before)")
    print(f"first build (library data + index):        {first_build_s * 1000:7.1f} ms")
    print(
        f"rebuild (index only, library data cached):  {rebuild_s * 1000:7.1f} ms"
        f"  (min {rebuild_min * 1000:.1f}, max {rebuild_max * 1000:.1f})"
    )

    rng = random.Random(42)
    lo, hi = date(2015, 1, 1).toordinal(), date(2026, 12, 31).toordinal()
    dates = [date.fromordinal(rng.randint(lo, hi)) for _ in range(INDEX_DATES)]
    naive_dates = dates[:NAIVE_DATES]
    cn = China(years=range(2014, 2028))  # type: ignore[no-untyped-call]

    def naive_due(d: date, n: int) -> date:
        day, counted = d, 0
        while counted < n:
            day += timedelta(days=1)
            if cn.is_working_day(day):
                counted += 1
        return day

    due = calendar.due_date
    for n in (7, 20):
        # Same answers first: a fast wrong calendar is worthless.
        mismatches = sum(1 for d in naive_dates if due(d, n) != naive_due(d, n))
        index_s, index_min, index_max = _measure(partial(_all_due, due, dates, n), REPEAT_INDEX)
        naive_s, naive_min, naive_max = _measure(partial(_all_due, naive_due, naive_dates, n), REPEAT_NAIVE)
        index_rate = INDEX_DATES / index_s
        naive_rate = NAIVE_DATES / naive_s
        print(
            f"N={n:<2}  index {INDEX_DATES:,} dates: {index_rate:>12,.0f} deadlines/s "
            f"({index_s:.4f} s, {index_min:.4f}-{index_max:.4f})"
        )
        print(
            f"      naive {NAIVE_DATES:,} dates:  {naive_rate:>12,.0f} deadlines/s "
            f"({naive_s:.4f} s, {naive_min:.4f}-{naive_max:.4f})"
        )
        print(f"      ratio index/naive: {index_rate / naive_rate:,.0f}x; mismatches vs naive: {mismatches}")


if __name__ == "__main__":
    main()
