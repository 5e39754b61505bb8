"""Cold start of the packaged handler module, measured the way Lambda pays for it.

Lambda unpacks ``deployment.zip`` into a read-only directory and adds its own boto3 to ``sys.path``. The figure
that matters is how long ``import app`` takes there, in a fresh interpreter, against the floor every Python
Lambda pays anyway: ``import boto3`` and one client. Both are timed in the same run, interleaved, so a busy
machine slows both alike. Used by ``tests/infra/test_packaging.py`` (a loose budget) and ``bench`` (the figure).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

# What the Lambda Python runtime provides besides the standard library (boto3 and its dependencies).
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")

HANDLER_IMPORT = "import app"
BASELINE_IMPORT = "import boto3; boto3.client('dynamodb')"


@dataclass(frozen=True)
class ColdImport:
    """Median seconds of each import over ``runs`` fresh interpreters, and their ratio."""

    handler_s: float
    baseline_s: float
    runs: int

    @property
    def ratio(self) -> float:
        return self.handler_s / self.baseline_s


def unpack_like_lambda(zip_path: Path, task_dir: Path) -> Path:
    """Unpack the zip into ``task_dir`` and make it read-only (no bytecode can be written beside it)."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task_dir)
    for path in sorted(task_dir.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    task_dir.chmod(0o555)
    return task_dir


def runtime_dir(target: Path) -> Path:
    """A directory holding only what the Lambda runtime adds (symlinks into this interpreter's site-packages)."""
    import boto3

    site_packages = Path(boto3.__file__).resolve().parent.parent
    target.mkdir(parents=True, exist_ok=True)
    for module in RUNTIME_MODULES:
        link = target / module
        if not link.exists():
            link.symlink_to(site_packages / module)
    return target


def time_import(task_dir: Path, runtime: Path, statement: str) -> float:
    """Seconds one fresh, isolated interpreter (``-I -S``: no site-packages, no PYTHON* variables) spends on it."""
    script = (
        "import sys, time\n"
        f"sys.path[:0] = [{str(task_dir)!r}, {str(runtime)!r}]\n"
        "t = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - t)\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "AWS_DEFAULT_REGION": "cn-north-1",
        "AWS_LAMBDA_FUNCTION_NAME": "guiji-coldstart",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "guiji",
    }
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        cwd=task_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{statement!r} failed in the unpacked zip:\n{result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


def measure(task_dir: Path, runtime: Path, runs: int = 5) -> ColdImport:
    """Interleave handler and baseline imports ``runs`` times each; medians."""
    handler, baseline = [], []
    for _ in range(runs):
        baseline.append(time_import(task_dir, runtime, BASELINE_IMPORT))
        handler.append(time_import(task_dir, runtime, HANDLER_IMPORT))
    return ColdImport(statistics.median(handler), statistics.median(baseline), runs)
