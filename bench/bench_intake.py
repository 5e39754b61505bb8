"""Benchmark: the intake CPU path (parse → validate → attribute → date → serialise) with a null store.

Reported against a bare ``csv.reader`` + pydantic ``model_validate`` loop measured in the same run, plus the
DynamoDB requests the real tables would receive per 1,000 rows. ``BENCH_FULL=1`` uses 200,000 rows.
Run: ``.venv/bin/python -m bench.bench_intake``.
"""

from __future__ import annotations

import csv
import gc
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from bench.nullstore import null_deps, run_cpu_path


class BareRow(BaseModel):
    """Roughly the penalty row, validated the plain way (the baseline)."""

    name: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=18, max_length=18)
    doc_no: str = Field(min_length=1, max_length=128)
    kind: str
    decided: date
    content: str = ""


def bare_loop(path: Path) -> int:
    n = 0
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        idx = {h: i for i, h in enumerate(header)}
        for row in reader:
            BareRow.model_validate(
                {
                    "name": row[idx["行政相对人名称"]],
                    "code": row[idx["统一社会信用代码"]],
                    "doc_no": row[idx["行政处罚决定书文号"]],
                    "kind": row[idx["处罚类别"]],
                    "decided": row[idx["处罚决定日期"]].replace("/", "-"),
                    "content": row[idx.get("处罚内容", 0)],
                }
            )
            n += 1
    return n


def main() -> None:
    from infra.demodata import generate, write_big_csv

    rows = 200_000 if os.environ.get("BENCH_FULL") else 30_000
    today = date(2026, 11, 30)
    data = generate(today=today, subjects=300)
    dept = next(d for d in data.departments if not d.is_regulator)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        write_big_csv(path, rows, today=today, department_code=dept.code, subjects=data.subjects)
        size_mb = path.stat().st_size / 1e6
        gc.collect()
        t0 = time.perf_counter()
        bare = bare_loop(path)
        t_bare = time.perf_counter() - t0
        deps = null_deps(data.subjects)
        gc.collect()
        t0 = time.perf_counter()
        counts = run_cpu_path(path, deps, department=dept.code)
        t_full = time.perf_counter() - t0
    stats = deps.stats
    print(f"intake CPU path, {rows:,} penalty rows ({size_mb:.1f} MB UTF-8 CSV), null store")
    print(f"  bare csv.reader + model_validate : {bare / t_bare:10,.0f} rows/s  ({t_bare:.2f} s)")
    print(
        f"  guiji parse→validate→attribute→date→serialise : {counts['read'] / t_full:10,.0f} rows/s  ({t_full:.2f} s)"
    )
    print(f"  ratio guiji / bare               : {t_bare / t_full:.2f}  (perf-limits §6: CPU stages ~27–34k rows/s)")
    print(f"  outcome: {counts}")
    per_k = 1000 / max(counts["read"], 1)
    print(
        f"  DynamoDB requests per 1,000 rows : {stats.requests * per_k:.1f}  by op: "
        + ", ".join(f"{op} {n * per_k:.1f}" for op, n in sorted(stats.by_op.items()))
    )
    print(f"  items written per 1,000 rows     : {stats.items_written * per_k:.0f}")


if __name__ == "__main__":
    main()
