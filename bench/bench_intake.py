"""Benchmark: the intake CPU path (parse → validate → attribute → date → serialise) with a null store.

Two files, reproducible (seeded) and dated relative to the run day, so "on time" and "late" mean the same thing
whenever the benchmark runs: an on-time file (rows produced 0–7 days ago) and a late-heavy one (30–60 days ago).
Each is reported against the best plain baseline measured in the same run on the same file: ``csv.reader`` plus a
pydantic ``model_validate`` of all 17 columns (the same fields, plain types). Also printed: the DynamoDB requests and
items the real tables would receive per 1,000 rows, by operation. ``BENCH_FULL=1`` uses 200,000 rows.
Run: ``.venv/bin/python -m bench.bench_intake``.
"""

from __future__ import annotations

import csv
import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bench.nullstore import null_deps, run_cpu_path
from shared.timeutil import local_date, utc_now

REPEAT = 3
FILES = {"on-time (0-7 days old)": range(8), "late-heavy (30-60 days old)": range(30, 61)}


class BareRow(BaseModel):
    """The 17 columns of the generated penalty file, validated the plain way (the baseline)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    subject_kind: str = Field(max_length=20)
    uscc: str = Field(min_length=18, max_length=18)
    reg_no: str = Field(max_length=50)
    legal_rep: str = Field(max_length=50)
    id_type: str = Field(max_length=20)
    id_no: str = Field(max_length=64)
    doc_no: str = Field(min_length=1, max_length=128)
    violation: str = Field(max_length=2000)
    facts: str = Field(max_length=2000)
    basis: str = Field(max_length=2048)
    kind: str = Field(max_length=255)
    content: str = Field(max_length=4000)
    fine: Decimal | None = Field(default=None, ge=0)
    decided: date
    authority: str = Field(max_length=64)
    note: str = Field(max_length=512)


FIELDS = list(BareRow.model_fields)


def bare_loop(path: Path) -> int:
    """``csv.reader`` + one ``model_validate`` per row over the same 17 columns."""
    n = 0
    validate = BareRow.model_validate
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        assert len(header) == len(FIELDS), header
        for row in reader:
            cells = dict(zip(FIELDS, row, strict=True))
            cells["fine"] = cells["fine"] or None
            validate(cells)
            n += 1
    return n


def read_and_validate(path: Path, today: date) -> int:
    """guiji's reader and row validator alone (no attribution, no dates, no writes): the share of the CPU path
    that the file's rules cost, printed so the ratio above can be read against it."""
    from shared.categories import Category
    from shared.columns import looks_like_header, map_headers
    from shared.readers import open_table
    from shared.row_validation import is_layout_row, validate_row

    table = open_table(path, path.name, lambda cells: looks_like_header(Category.PENALTY, cells))
    mapping = map_headers(Category.PENALTY, table.headers)
    n = 0
    for row, cells in table.rows():
        if not is_layout_row(mapping, cells):
            validate_row(mapping, row, cells, today=today)
        n += 1
    return n


def _best(fn: Callable[[], object]) -> float:
    """Median seconds of ``REPEAT`` runs."""
    times = []
    for _ in range(REPEAT):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from infra.demodata import generate, write_big_csv

    rows = 200_000 if os.environ.get("BENCH_FULL") else int(os.environ.get("BENCH_ROWS", "30000"))
    today = local_date(utc_now())
    data = generate(today=today, subjects=300)
    dept = next(d for d in data.departments if not d.is_regulator)
    print(f"intake CPU path, {rows:,} penalty rows (17 columns, UTF-8 CSV), null store, run day {today}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, ages in FILES.items():
            path = Path(tmp) / "big.csv"
            write_big_csv(path, rows, today=today, department_code=dept.code, subjects=data.subjects, ages=ages)
            t_bare = _best(lambda path=path: bare_loop(path))  # type: ignore[misc]
            t_rules = _best(lambda path=path: read_and_validate(path, today))  # type: ignore[misc]
            runs: list[float] = []
            counts: dict[str, int] = {}
            deps = null_deps(data.subjects)
            for _ in range(REPEAT):
                deps = null_deps(data.subjects)  # fresh counters and an empty ledger each run
                gc.collect()
                start = time.perf_counter()
                counts = run_cpu_path(path, deps, department=dept.code)
                runs.append(time.perf_counter() - start)
            t_full = statistics.median(runs)
            stats = deps.stats
            per_k = 1000 / max(counts["read"], 1)
            print(f"\n  {label}: {path.stat().st_size / 1e6:.1f} MB; outcome {counts}")
            print(f"    bare csv.reader + 17-field model_validate : {rows / t_bare:10,.0f} rows/s ({t_bare:.2f} s)")
            print(
                f"    guiji CPU path                            : {counts['read'] / t_full:10,.0f} rows/s ({t_full:.2f} s)"
            )
            print(f"    ratio guiji / bare                        : {t_bare / t_full:.3f}x")
            print(
                f"    of which reading + row validation alone   : {rows / t_rules:10,.0f} rows/s, ratio"
                f" {t_bare / t_rules:.3f}x (the ceiling of the ratio above, with attribution and writes free)"
            )
            print(
                f"    DynamoDB requests per 1,000 rows          : {stats.requests * per_k:.1f}  by op: "
                + ", ".join(f"{op} {n * per_k:.1f}" for op, n in sorted(stats.by_op.items()))
            )
            print(f"    items written per row                     : {stats.items_written / max(counts['read'], 1):.2f}")


if __name__ == "__main__":
    main()
