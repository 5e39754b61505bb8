"""Benchmark: +7 / +20 working-day due dates, the precomputed index vs python-holidays' own ``get_nth_working_day``.

The baseline is the library's fastest call for the same question (perf-limits §4), on the same China data.

Run: ``.venv/bin/python -m bench.bench_calendar``. Figures are medians of a few repetitions after a warm-up.
"""

from __future__ import annotations

import gc
import importlib
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from functools import partial

INDEX_DATES = 100_000
LIBRARY_DATES = 10_000
REPEAT_INDEX = 5
REPEAT_LIBRARY = 3


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
    """Print the build time of the index and deadlines/s for the index and the library's own call."""
    start = time.perf_counter()
    workdays = importlib.import_module("shared.workdays")
    import_s = time.perf_counter() - start

    start = time.perf_counter()
    calendar = workdays.WorkCalendar.build()
    first_build_s = time.perf_counter() - start
    rebuild_s, rebuild_min, rebuild_max = _measure(workdays.WorkCalendar.build, REPEAT_INDEX)

    official = [y.year for y in calendar.years() if y.status == "official"]
    print(f"calendar {workdays.FIRST_DAY}..{workdays.LAST_DAY}, version {calendar.version}, ", end="")
    print(f"official years {min(official)}-{max(official)} ({len(official)})")
    print(f"import shared.workdays:                     {import_s * 1000:7.1f} ms  (only cold if not imported before)")
    print(f"first build (holidays import, data, index): {first_build_s * 1000:7.1f} ms")
    print(
        f"rebuild (index only, library data cached):  {rebuild_s * 1000:7.1f} ms"
        f"  (min {rebuild_min * 1000:.1f}, max {rebuild_max * 1000:.1f})"
    )

    rng = random.Random(42)
    lo, hi = date(2015, 1, 1).toordinal(), date(2026, 12, 31).toordinal()
    dates = [date.fromordinal(rng.randint(lo, hi)) for _ in range(INDEX_DATES)]
    library_dates = dates[:LIBRARY_DATES]
    cn = workdays.china_holidays_class()(years=range(2014, 2028))

    def library_due(d: date, n: int) -> date:
        return cn.get_nth_working_day(d, n)

    due = calendar.due_date
    for n in (7, 20):
        # Same answers first: a fast wrong calendar is worthless.
        mismatches = sum(1 for d in library_dates if due(d, n) != library_due(d, n))
        index_s, index_min, index_max = _measure(partial(_all_due, due, dates, n), REPEAT_INDEX)
        library_s, library_min, library_max = _measure(partial(_all_due, library_due, library_dates, n), REPEAT_LIBRARY)
        index_rate = INDEX_DATES / index_s
        library_rate = LIBRARY_DATES / library_s
        print(
            f"N={n:<2}  index {INDEX_DATES:,} dates: {index_rate:>12,.0f} deadlines/s "
            f"({index_s:.4f} s, {index_min:.4f}-{index_max:.4f})"
        )
        print(
            f"      holidays.get_nth_working_day {LIBRARY_DATES:,} dates:  {library_rate:>12,.0f} deadlines/s "
            f"({library_s:.4f} s, {library_min:.4f}-{library_max:.4f})"
        )
        print(f"      ratio index/library: {index_rate / library_rate:,.0f}x; mismatches vs library: {mismatches}")


if __name__ == "__main__":
    main()
