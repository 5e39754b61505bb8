"""Issue 9 §6: ID numbers typed anywhere (free text, a name cell, an unknown column), with a right or a mistyped
check character, never leave the system unmasked: a sweep over every output of one realistic run."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import boto3
import pytest

from functions.app import run_job
from infra.localrun import free_port, serve_api
from shared.identifiers import id_number_check_char, is_person_id_shape
from shared.ledger import record_id
from shared.services import publication
from shared.services.upload_keys import receipt_key_of
from tests import helpers as h

pytestmark = pytest.mark.e2e

BODY = "35010219850315201"
VALID = BODY + id_number_check_char(BODY)
WRONG = BODY + ("0" if id_number_check_char(BODY) != "0" else "1")  # a mistyped check character
LEGACY = "350102850315201"  # the 15-digit form
DIGITS = re.compile(r"\d{15,18}[\dXx]?")


def unmasked(text: str) -> list[str]:
    """ID-shaped numbers in ``text`` (each run of digits is tried at both lengths)."""
    found = []
    for m in DIGITS.finditer(text):
        run = m.group(0)
        for cut in (run[:18], run[:15]):
            if is_person_id_shape(cut):
                found.append(cut)
    return found


def _get(url: str, token: str) -> str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as resp:
        return str(resp.read().decode("utf-8"))


def test_no_output_shows_an_id_number_unmasked(clean_stack: Any, capsys: Any) -> None:
    from infra.cli import main

    env = clean_stack
    h.load_registry(env)
    headers = [*h.PENALTY_HEADERS, "备注"]
    rows = [
        h.penalty_row("闽环罚〔2024〕1号", "2024-09-27", content=f"罚款，当事人身份证{WRONG}") + [f"联系人{VALID}"],
        h.penalty_row("闽环罚〔2024〕2号", "2024-09-27", name=f"{h.COMPANY_NAME}{LEGACY}") + [WRONG],
        h.penalty_row("闽环罚〔2024〕3号", f"2024-13-01 {WRONG}") + [""],  # rejected: its value is reported
    ]
    receipt = env.upload(
        h.ENV_DEPT, "penalty", "ids.csv", h.csv_bytes(rows, headers=headers), collected_at="2024-10-16T02:00:00Z"
    )
    assert receipt["counts"]["accepted"] == 2 and receipt["counts"]["rejected"] == 1
    run_job("scan", {"detail": {"as_of": "2024-10-31"}})
    publication.run_publication(env.deps)
    main(["invoke", "bulletin", "--period", "2024-09", "--scope", "350000", "--as-of", "2024-10-31"])

    outputs: dict[str, str] = {}
    bucket = env.env["INTAKE_BUCKET"]
    key = f"incoming/{h.ENV_DEPT}/penalty/ids.csv"
    outputs["receipt"] = json.dumps(receipt, ensure_ascii=False)
    rejects = env.deps.objects.get_bytes(bucket, receipt_key_of(key).removesuffix(".json") + ".rejects.csv")
    outputs["rejects"] = (rejects or b"").decode("utf-8-sig")
    assert "2024-13-01" in outputs["rejects"]

    port = free_port()
    server = serve_api(port)
    try:
        api, token = f"http://127.0.0.1:{port}", h.api_token(env)
        for n in (1, 2):
            rid = record_id(h.ENV_DEPT, "penalty", f"闽环罚〔2024〕{n}号")
            outputs[f"record {n}"] = _get(f"{api}/records/{rid}", token)
        outputs["breaches csv"] = _get(f"{api}/breaches?format=csv", token)
        outputs["public"] = _get(f"{api}/public/subjects/{h.COMPANY}", token)
        outputs["related"] = _get(f"{api}/subjects/{h.COMPANY}/related", token)
        outputs["digests api"] = _get(f"{api}/digests?from=2024-10-01&to=2024-10-31", token)
        outputs["bulletin api"] = _get(f"{api}/bulletins/350000/2024-09", token)
    finally:
        server.shutdown()
    for ext in ("html", "md", "csv", "json"):
        blob = env.deps.objects.get_bytes(env.env["REPORTS_BUCKET"], f"bulletins/350000/2024-09.{ext}")
        outputs[f"bulletin {ext}"] = (blob or b"").decode("utf-8-sig")
    messages = boto3.client("sqs").receive_message(
        QueueUrl=env.env["GUIJI_INBOX_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1
    )
    outputs["digests"] = json.dumps([m["Body"] for m in messages.get("Messages", [])], ensure_ascii=False)
    assert outputs["digests"] != "[]"
    main(["record", record_id(h.ENV_DEPT, "penalty", "闽环罚〔2024〕1号")])
    main(["breaches", "--format", "csv"])
    outputs["cli and logs"] = capsys.readouterr().out

    assert "350102" in outputs["record 1"]  # the masked form is there: the data was not simply dropped
    leaks = {name: unmasked(text) for name, text in outputs.items() if unmasked(text)}
    assert leaks == {}
