"""The local stack keeps its data across restarts and stops cleanly after its current batch (issue 7 item 9).

These tests run ``guiji local up``/``down`` for real: a background process with its own moto server, a state file
and a data directory under ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import helpers as h

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The CLI pointed at a state file of its own; this process's environment is put back afterwards."""
    import infra.cli as cli
    from infra.localrun import apply_env

    saved = dict(os.environ)
    monkeypatch.setattr(cli, "STATE_FILE", tmp_path / "state" / "local.json")
    try:
        yield cli
    finally:
        if cli._state() is not None:
            cli.main(["local", "down", "--timeout", "60"])
        os.environ.clear()
        apply_env(saved)  # the environment, and the identities the CLI's stack replaced


def _up(cli: Any, *extra: str) -> dict[str, Any]:
    assert cli.main(["local", "up", *extra]) == 0
    state = cli._connect()
    assert state is not None
    return dict(state)


def _rows(n: int) -> bytes:
    """Rows produced yesterday: on time, so the test's time goes to the intake itself, not to late breaches."""
    from datetime import timedelta

    from shared.timeutil import local_date, utc_now

    produced = (local_date(utc_now()) - timedelta(days=1)).isoformat()
    return h.csv_bytes([h.penalty_row(f"闽环罚〔2024〕{1000 + i}号", produced) for i in range(n)])


def test_data_survives_down_and_up(local: Any, tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "data"
    first = _up(local, "--data", str(data))
    capsys.readouterr()
    assert local.main(["local", "token", "--role", "auditor"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    deps = local._deps()
    h.load_registry(type("S", (), {"deps": deps})())
    key, uid = local.send_upload(deps, _rows(3), h.ENV_DEPT, "penalty", "kept.csv")
    receipt = local.wait_receipt(deps, key, 60, quiet=True, upload_id=uid)
    assert receipt["counts"]["accepted"] == 3
    assert local.main(["local", "down", "--timeout", "60"]) == 0
    assert json.loads((data / "manifest.json").read_text())["counts"]["items"] > 0

    second = _up(local, "--data", str(data))
    assert second["pid"] != first["pid"]
    deps = local._deps()
    assert deps.tables.registry.department(h.ENV_DEPT) is not None
    assert local.wait_receipt(deps, key, 10, quiet=True)["upload_id"] == uid  # same object version, same upload
    from shared.ledger import record_id

    assert deps.tables.records.get(record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕1000号")) is not None
    count, problems = deps.tables.audit.verify()
    assert problems == [] and count > 0
    # the API token key is kept too: a token issued before the restart still works
    request = urllib.request.Request(f"{second['api_url']}/breaches", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_memory_only_stack_starts_empty_after_a_restart(local: Any, tmp_path: Path) -> None:
    _up(local, "--no-data")
    h.load_registry(type("S", (), {"deps": local._deps()})())
    assert local.main(["local", "down", "--timeout", "60"]) == 0
    state = _up(local, "--no-data")
    assert state["data_dir"] is None
    assert local._deps().tables.registry.department(h.ENV_DEPT) is None


def test_down_during_a_long_upload_finishes_the_batch_and_the_rest_follows_the_restart(
    local: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUIJI_CHUNK_ROWS", "250")  # inherited by the stack's process: a file of several batches
    data = tmp_path / "data"
    state = _up(local, "--data", str(data))
    deps = local._deps()
    h.load_registry(type("S", (), {"deps": deps})())
    rows = 1000
    key, uid = local.send_upload(deps, _rows(rows), h.ENV_DEPT, "penalty", "long.csv")
    deadline = time.monotonic() + 60
    while not deps.tables.uploads.chunks(uid) and time.monotonic() < deadline:
        time.sleep(0.05)  # the first batch is done: the stack is inside the file
    started = time.monotonic()
    assert local.main(["local", "down", "--timeout", "60"]) == 0
    assert time.monotonic() - started < 60
    log = (Path(local.STATE_FILE).with_suffix(".log")).read_text(encoding="utf-8")
    assert "stopping after the current batch" in log
    assert not local._alive(int(state["pid"]))
    saved = json.loads((data / "manifest.json").read_text())
    assert saved["counts"]["messages"] >= 1  # the continuation of the file waits for the next start

    _up(local, "--data", str(data))
    deps = local._deps()
    receipt = local.wait_receipt(deps, key, 120, quiet=True, upload_id=uid)
    counts = receipt["counts"]
    assert counts["read"] == rows == counts["accepted"] + counts["rejected"] + counts["duplicates"]
    assert counts["accepted"] == rows
