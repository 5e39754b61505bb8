"""Benchmark: cold import of the packaged handler module vs ``import boto3`` + one client (issue 8 §4).

Builds the deployment zip (``infra.build``), unpacks it read-only as Lambda does, and times ``import app`` in
fresh isolated interpreters against the floor every Python Lambda pays (``import boto3`` + a client), interleaved
in the same run. The same zip stripped of its bytecode is measured too, to show what the shipped bytecode buys.

Run: ``.venv/bin/python -m bench.bench_coldstart``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from infra.build import build
from infra.coldstart import ColdImport, measure, runtime_dir, unpack_like_lambda

RUNS = 9 if os.environ.get("BENCH_FULL") else 5


def _without_bytecode(zip_path: Path, target: Path) -> Path:
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as stripped:
        for info in source.infolist():
            if "__pycache__/" not in info.filename:
                stripped.writestr(info, source.read(info))
    return target


def _line(label: str, figure: ColdImport) -> str:
    return (
        f"{label:<28} import app {figure.handler_s * 1000:7.1f} ms   boto3+client {figure.baseline_s * 1000:7.1f} ms"
        f"   ratio {figure.ratio:.2f}x  (medians of {figure.runs}, interleaved)"
    )


def main() -> None:
    """Print the cold-import ratio of the zip as built, and of the same zip without bytecode."""
    scratch = Path(tempfile.mkdtemp(prefix="guiji-coldstart-"))
    try:
        dist = build("dev", scratch / "dist", quiet=True)
        runtime = runtime_dir(scratch / "runtime")
        shipped = measure(unpack_like_lambda(dist / "deployment.zip", scratch / "task"), runtime, RUNS)
        bare_zip = _without_bytecode(dist / "deployment.zip", scratch / "nopyc.zip")
        bare = measure(unpack_like_lambda(bare_zip, scratch / "task-nopyc"), runtime, RUNS)
        print(_line("zip as built (bytecode)", shipped))
        print(_line("same zip without bytecode", bare))
        print("goal: <= 1.5x (read-only unpacked zip, tracing off)")
    finally:
        for path in scratch.rglob("*"):
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        scratch.chmod(0o755)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
