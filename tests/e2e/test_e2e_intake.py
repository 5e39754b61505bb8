"""End to end on the moto server: upload → S3 notification → SQS → intake handler → ledger, receipts, audit.

The expected outcomes come from the demo generator's own ground truth (it writes the rows, it knows which
ones it broke), never from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest

from infra.demodata import DemoData, UploadFile, generate
from shared.ledger import record_id

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(stack: Any, today: date) -> DemoData:
    stack.reset()
    data = generate(today=today, subjects=120, rows_per_file=24)
    stack.deps.tables.registry.put_departments(_departments(data))
    stack.deps.tables.registry.put_subjects(_subjects(data))
    return data


def _departments(data: DemoData) -> list[Any]:
    from shared.registry import Department

    return [
        Department(
            code=d.code,
            name=d.name,
            region_code=d.region_code,
            level=d.level,  # type: ignore[arg-type]
            is_regulator=d.is_regulator,
            supervisor_emails=tuple(d.supervisor_emails),
        )
        for d in data.departments
    ]


def _subjects(data: DemoData) -> list[Any]:
    from shared.registry import Subject

    return [
        Subject(
            uscc=s.uscc, name=s.name, region_code=s.region_code, type=s.type, reg_no=s.reg_no, legal_rep=s.legal_rep
        )  # type: ignore[arg-type]
        for s in data.subjects
    ]


def _rejects(stack: Any, receipt: dict[str, Any]) -> list[dict[str, str]]:
    if not receipt.get("rejects_key"):
        return []
    blob = stack.deps.objects.get_bytes(stack.env["INTAKE_BUCKET"], receipt["rejects_key"])
    assert blob.startswith("\ufeff".encode()), "reject report must carry a BOM for Excel"
    return list(csv.DictReader(io.StringIO(blob.decode("utf-8-sig"))))


def _upload(stack: Any, f: UploadFile) -> dict[str, Any]:
    return stack.upload(f.department_code, f.category, f.file_name, f.content)


@pytest.fixture(scope="module")
def receipts(stack: Any, demo: DemoData) -> dict[str, dict[str, Any]]:
    """Every demo upload, processed once for the module (tests on other workers get their own stack)."""
    return {f.key: _upload(stack, f) for f in demo.uploads}


def test_every_demo_file_is_fully_accounted_for(stack: Any, demo: DemoData, receipts: dict[str, Any]) -> None:
    for f in demo.uploads:
        receipt = receipts[f.key]
        counts = receipt["counts"]
        assert receipt["status"] == "completed", (f.key, receipt)
        assert counts["read"] == counts["accepted"] + counts["rejected"] + counts["duplicates"], f.key
        assert counts["read"] == len(f.expected), (f.key, counts)
        want_rejected = {e.row_number for e in f.expected if e.outcome == "rejected"}
        got_rejected = {int(r["行号"]) for r in _rejects(stack, receipt)}
        assert got_rejected == want_rejected, (f.key, f.encoding, f.header_style)
        assert counts["duplicates"] == sum(1 for e in f.expected if e.outcome == "duplicate"), f.key
        assert counts["corrected"] == sum(1 for e in f.expected if e.reason_hint == "correction"), f.key


def test_late_and_unattributable_rows_match_ground_truth(stack: Any, demo: DemoData, receipts: Any) -> None:
    records = stack.deps.tables.records
    dept_by_code = {d.code: d for d in demo.departments}
    for f in demo.uploads:
        for e in f.expected:
            if e.outcome != "accepted" or e.doc_no is None or e.reason_hint == "correction":
                continue
            entries = [
                records.get(record_id(f.department_code, f.category, e.doc_no, action))
                for action in ("", "列入", "移出")
            ]
            entry = next((x for x in entries if x is not None), None)
            assert entry is not None, (f.key, e.row_number, e.doc_no)
            if e.production_date is not None:
                assert entry.production_date == e.production_date, (f.key, e.row_number)
            if dept_by_code[f.department_code].is_regulator:
                assert entry.collect_due is None  # regulators' own records: only the 20-day clock
            if e.late_collection is True:
                assert entry.collection_late_days > 0, (f.key, e.row_number)
            if e.late_collection is False:
                assert entry.collection_late_days == 0, (f.key, e.row_number)
            if e.reason_hint == "natural_person":
                # not a market subject: collected, ID masked, nothing to publish under an enterprise, not held
                assert entry.attribution == "natural_person" and not entry.held, (f.key, e.row_number)
                assert entry.id_number_masked and "*" in entry.id_number_masked
                assert not entry.publication_required
            elif e.attributable is False:
                assert entry.held, (f.key, e.row_number)
            if e.attributable is True:
                assert not entry.held, (f.key, e.row_number, entry.attribution)


def test_malformed_files_get_a_receipt_saying_why(stack: Any, demo: DemoData) -> None:
    from infra.cli import put_upload

    assert demo.malformed
    for f in demo.malformed:
        key = put_upload(stack.deps, f.content, f.department_code, f.category, f.file_name)
        if f.uploaded_by:
            stack.s3().copy_object(
                Bucket=stack.env["INTAKE_BUCKET"],
                Key=key,
                CopySource={"Bucket": stack.env["INTAKE_BUCKET"], "Key": key},
                Metadata={"department": f.uploaded_by},
                MetadataDirective="REPLACE",
            )
        stack.drain()
        receipt = stack.receipt(key)
        assert receipt["status"] == "refused", (f.key, receipt)
        assert receipt["errors"] and all(isinstance(e, str) and e for e in receipt["errors"])
        assert receipt["counts"]["read"] == 0
        # the raw upload is kept unchanged
        body = stack.s3().get_object(Bucket=stack.env["INTAKE_BUCKET"], Key=key)["Body"].read()
        assert body == f.content


def test_unregistered_department_is_refused(stack: Any, demo: DemoData) -> None:
    f = demo.uploads[0]
    receipt = stack.upload("11350000MB0000000X", f.category, "x.csv", f.content)
    assert receipt["status"] == "refused"
    assert "未在部门登记表中登记" in receipt["message"]


def test_reuploading_the_same_rows_counts_duplicates_and_changes_nothing(
    stack: Any, demo: DemoData, receipts: Any
) -> None:
    f = next(u for u in demo.uploads if u.encoding == "utf-8" and u.category == "penalty")
    audit_before = sum(1 for _ in stack.deps.tables.audit.table.scan())
    receipt = stack.upload(f.department_code, f.category, "again-" + f.file_name, f.content)
    counts = receipt["counts"]
    accepted_first = sum(1 for e in f.expected if e.outcome != "rejected")
    assert counts["duplicates"] == accepted_first
    assert counts["accepted"] == 0 and counts["corrected"] == 0
    audit_after = sum(1 for _ in stack.deps.tables.audit.table.scan())
    assert audit_after == audit_before + 0  # no new record entries (refusals/registry are other streams)


def test_duplicated_event_is_harmless(stack: Any, demo: DemoData, receipts: Any) -> None:
    from shared.adapters.aws import client

    f = demo.uploads[1]
    receipt = receipts[f.key]
    before = json.dumps(receipt["counts"], sort_keys=True)
    audit_before = sum(1 for _ in stack.deps.tables.audit.table.scan())
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": stack.env["INTAKE_BUCKET"]}, "object": {"key": f.key.replace("/", "%2F")}},
            }
        ]
    }
    client("sqs").send_message(QueueUrl=stack.env["INTAKE_QUEUE_URL"], MessageBody=json.dumps(event))
    client("sqs").send_message(QueueUrl=stack.env["INTAKE_QUEUE_URL"], MessageBody=json.dumps(event))
    stack.drain()
    assert json.dumps(stack.receipt(f.key)["counts"], sort_keys=True) == before
    assert sum(1 for _ in stack.deps.tables.audit.table.scan()) == audit_before


def test_test_event_is_skipped(stack: Any) -> None:
    from infra.localrun import Poller
    from shared.adapters.aws import client

    body = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": stack.env["INTAKE_BUCKET"]}
    client("sqs").send_message(QueueUrl=stack.env["INTAKE_QUEUE_URL"], MessageBody=json.dumps(body))
    poller = Poller(stack.env["INTAKE_QUEUE_URL"], "intake_upload")
    poller.drain()
    assert poller.failed == 0
