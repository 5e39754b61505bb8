"""A large upload goes through the intake CPU path in bounded memory (streaming, batches, no retained rows).

Row count: ``GUIJI_BIG_ROWS`` (CI runs a short form; ``GUIJI_BIG_ROWS=500000`` for the full 500,000-row file).
"""

from __future__ import annotations

import os
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from bench.nullstore import null_deps, run_cpu_path
from infra.demodata import generate, write_big_csv

pytestmark = pytest.mark.slow


def test_big_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    rows = int(os.environ.get("GUIJI_BIG_ROWS", "15000"))
    today = date(2026, 11, 30)
    data = generate(today=today, subjects=200)
    dept = next(d for d in data.departments if not d.is_regulator)
    path = tmp_path / "big.csv"
    write_big_csv(path, rows, today=today, department_code=dept.code, subjects=data.subjects)
    deps = null_deps(data.subjects)
    tracemalloc.start()
    try:
        counts = run_cpu_path(path, deps, department=dept.code)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts["read"] == rows
    assert counts["read"] == counts["accepted"] + counts["rejected"] + counts["duplicates"]
    # Every row held in memory would cost well over 2 KB (record, audit entry, AttributeValues): 15,000 rows
    # would need > 30 MB, 500,000 rows > 1 GB. Streaming keeps one 100-row batch at a time.
    assert peak < 25 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"
