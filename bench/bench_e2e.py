"""Benchmark: upload → receipt on the moto server against raw ``BatchWriteItem`` of the same items (issue 8 §6).

Three on-time penalty files (dated relative to the run day, seeded, each with its own documents) go the real path: PutObject → S3 notification →
SQS → the intake handler → DynamoDB/S3 → receipt. Then every item that upload left in the tables (read back) is
written again with a bare boto3 ``batch_write_item`` (25 per request, one thread) into fresh tables of the same
shape on the same server: the emulator's own ceiling for the same work. ``BENCH_FULL=1`` uses 20,000 rows.
Run: ``.venv/bin/python -m bench.bench_e2e``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from shared.timeutil import local_date, utc_now

# Tables an upload writes to (the registry is loaded before the clock starts).
ROUNDS = 3  # each a new file, each against its own raw write: the median round is printed
WRITTEN_TABLES = ("RECORDS_TABLE", "BREACHES_TABLE", "AUDIT_TABLE", "CONTROL_TABLE", "IDEMPOTENCY_TABLE")


def _scan(ddb: Any, table: str) -> dict[str, dict[str, Any]]:
    """Every item of a table, keyed by its primary key (low-level AttributeValues, ready to write back)."""
    keys = [k["AttributeName"] for k in ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
    items: dict[str, dict[str, Any]] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            items[repr([item[k] for k in keys])] = item
    return items


def _clone(ddb: Any, table: str, round_no: int) -> str:
    """An empty table with the same keys and indexes."""
    desc = ddb.describe_table(TableName=table)["Table"]
    name = f"{table}-raw{round_no}"
    spec: dict[str, Any] = {
        "TableName": name,
        "KeySchema": desc["KeySchema"],
        "AttributeDefinitions": desc["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if desc.get("GlobalSecondaryIndexes"):
        spec["GlobalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
            for g in desc["GlobalSecondaryIndexes"]
        ]
    ddb.create_table(**spec)
    return name


def _raw_write(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        pending = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _upload_round(
    deps: Any, env: dict[str, str], ddb: Any, tables: list[str], data: Any, dept: str, rows: int, today: Any, seed: int
) -> tuple[float, dict[str, list[dict[str, Any]]]]:
    """One file of new records (its own document numbers) the real way; (seconds, the items it left)."""
    from infra.cli import put_upload
    from infra.demodata import write_big_csv
    from infra.localrun import Poller

    before = {t: _scan(ddb, t) for t in tables}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "penalty.csv"
        write_big_csv(path, rows, today=today, seed=seed, department_code=dept, subjects=data.subjects, ages=range(8))
        blob = path.read_bytes()
    start = time.perf_counter()
    key = put_upload(deps, blob, dept, "penalty", f"bench-{seed}.csv", None)
    Poller(env["INTAKE_QUEUE_URL"], "intake_upload").drain()
    if deps.objects.get_bytes(env["INTAKE_BUCKET"], "receipts/" + key.removeprefix("incoming/") + ".json") is None:
        raise SystemExit("no receipt: the upload did not complete")
    seconds = time.perf_counter() - start
    return seconds, {t: [v for k, v in _scan(ddb, t).items() if before[t].get(k) != v] for t in tables}


def main() -> None:
    import boto3

    from infra.demo import load_registry
    from infra.demodata import generate
    from infra.localrun import start_stack
    from shared.registry import parse_departments, parse_subjects
    from shared.services.deps import get_deps

    rows = 20_000 if os.environ.get("BENCH_FULL") else 2_000
    today = local_date(utc_now())
    server, env = start_stack()
    try:
        deps = get_deps()
        data = generate(today=today, subjects=300)
        load_registry(deps, data.departments_csv(), parse_departments, "departments")
        load_registry(deps, data.subjects_csv(), parse_subjects, "subjects")
        dept = next(d for d in data.departments if not d.is_regulator)
        ddb = boto3.client("dynamodb")
        tables = [env[t] for t in WRITTEN_TABLES]
        rounds: list[tuple[float, float, dict[str, int]]] = []
        for round_no in range(1, ROUNDS + 1):
            t_e2e, written = _upload_round(deps, env, ddb, tables, data, dept.code, rows, today, round_no)
            clones = {t: _clone(ddb, t, round_no) for t in tables}
            start = time.perf_counter()
            for table, items in written.items():
                _raw_write(ddb, clones[table], items)
            t_raw = time.perf_counter() - start
            rounds.append((t_e2e, t_raw, {t: len(v) for t, v in written.items()}))
    finally:
        server.stop()
    t_e2e, t_raw, counts = sorted(rounds, key=lambda r: r[1] / r[0])[len(rounds) // 2]  # the median round
    total = sum(counts.values())
    print(f"upload → receipt on the moto server, {rows:,} on-time penalty rows, run day {today}")
    print("  items the upload left: " + ", ".join(f"{t.split('-')[-1]} {n:,}" for t, n in counts.items()))
    print(f"  guiji upload → receipt          : {rows / t_e2e:8,.0f} rows/s ({t_e2e:.1f} s)")
    print(f"  raw BatchWriteItem, same {total:,} items: {rows / t_raw:8,.0f} rows/s ({t_raw:.1f} s)")
    ratios = ", ".join(f"{r[1] / r[0]:.2f}x" for r in rounds)
    print(
        f"  ratio guiji / raw               : {t_raw / t_e2e:.2f}x  (goal >= 0.7x; median of {ROUNDS} rounds: {ratios})"
    )


if __name__ == "__main__":
    main()
