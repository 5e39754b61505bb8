"""The HTTP API over real HTTP (the local stack's WSGI server), the CLI, registries, and the failure paths."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from infra.localrun import free_port, serve_api
from shared.ledger import record_id
from shared.services import monitor, publication
from tests import helpers as h

pytestmark = pytest.mark.e2e

ON_TIME = "2024-10-12T15:30:00Z"


@pytest.fixture
def api(env: Any) -> Any:
    port = free_port()
    server = serve_api(port)
    _TOKEN["default"] = token(env, "auditor")  # province-wide, read-only: the default caller of these tests
    yield f"http://127.0.0.1:{port}"
    _TOKEN.clear()
    server.shutdown()


def token(stack: Any, role: str = "auditor", region: str = "350000", department: str | None = None) -> str:
    return h.api_token(stack, role, region, department)


_TOKEN: dict[str, str] = {}


def _headers(tok: str | None) -> dict[str, str]:
    tok = tok if tok is not None else _TOKEN.get("default")
    return {"Authorization": f"Bearer {tok}"} if tok else {}


def _get(url: str, tok: str | None = None) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=_headers(tok))) as resp:
            body = resp.read().decode("utf-8")
            kind = resp.headers.get("Content-Type", "")
            return resp.status, json.loads(body) if "json" in kind else body
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read().decode("utf-8"))


def _post(url: str, body: dict[str, Any], tok: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **_headers(tok)},
    )
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _overdue_record(env: Any, doc_no: str = "闽环罚〔2024〕11号", **kw: str) -> str:
    receipt = h.upload_penalty(env, f"{doc_no}.csv", doc_no, "2024-09-27", **kw, collected_at=ON_TIME)
    assert receipt["status"] == "completed", receipt
    monitor.run_scan(date(2024, 10, 31), env.deps)
    return record_id(h.ENV_DEPT, "penalty", doc_no)


def test_calendar_deadline_route(api: str) -> None:
    status, body = _get(f"{api}/calendar/deadline?date=2024-09-27&days=7")
    assert status == 200 and body["due"] == "2024-10-12" and body["provisional"] is False
    status, body = _get(f"{api}/calendar/deadline?date=2024-13-01&days=7")
    assert status == 400 and "YYYY-MM-DD" in body["Message"]


def test_breach_listing_filters_csv_and_cursor(env: Any, api: str) -> None:
    for i in range(3):
        _overdue_record(env, f"闽环罚〔2024〕{20 + i}号")
    status, body = _get(f"{api}/breaches?kind=publication_overdue&status=open&limit=2")
    assert status == 200 and body["total"] == 3 and len(body["items"]) == 2 and body["next_cursor"], body
    status, rest = _get(f"{api}/breaches?kind=publication_overdue&status=open&limit=2&cursor={body['next_cursor']}")
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    seen = {b["breach_id"] for b in body["items"] + rest["items"]}
    assert len(seen) == 3
    status, text = _get(f"{api}/breaches?kind=publication_overdue&format=csv")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3 and {r["kind"] for r in rows} == {"publication_overdue"}
    assert _get(f"{api}/breaches?region=350100")[1]["total"] == 0  # a province department is not Fuzhou's
    assert _get(f"{api}/breaches?department={h.ENV_DEPT}")[1]["total"] == 3
    status, body = _get(f"{api}/breaches?kind=nonsense")
    assert status == 400 and "未知的违规类型" in body["Message"]


def test_record_timeline_ack_and_audit_verify(env: Any, api: str) -> None:
    rid = _overdue_record(env)
    status, body = _get(f"{api}/records/{rid}")
    assert status == 200 and body["record"]["record_id"] == rid
    assert {"collected", "breach_opened"} <= {e["event"] for e in body["audit"]}
    bid = f"publication_overdue:{rid}"
    supervisor = token(env, "supervisor")
    assert _post(f"{api}/breaches/{bid}/ack", {"note": "x"})[0] == 403  # an auditor may not acknowledge
    assert _post(f"{api}/breaches/{bid}/ack", {}, supervisor)[0] == 400  # a note is required
    status, body = _post(f"{api}/breaches/{bid}/ack", {"note": "已督办", "as_of": "2024-10-31"}, supervisor)
    assert status == 200 and body["acknowledged"] == ["province"]
    assert _get(f"{api}/records/nope")[0] == 404
    status, body = _get(f"{api}/audit/verify")
    assert status == 200 and body["ok"] and body["entries"] >= 3


def test_held_queue_and_attribution_over_http(env: Any, api: str) -> None:
    rid = _overdue_record(env, name="无名商行", code=h.UNKNOWN)
    status, body = _get(f"{api}/held")
    assert [r["record_id"] for r in body["items"]] == [rid]
    regulator = token(env, "regulator")
    status, body = _post(f"{api}/records/{rid}/attribute", {"uscc": "913501020000000000"}, regulator)
    assert status == 400
    status, body = _post(f"{api}/records/{rid}/attribute", {"uscc": h.COMPANY}, regulator)
    assert status == 200 and body["held"] is False
    publication.run_publication(env.deps, now=datetime(2024, 11, 1, tzinfo=UTC))
    status, body = _get(f"{api}/public/subjects/{h.COMPANY}")
    assert status == 200 and [r["record_id"] for r in body["records"]] == [rid]
    status, body = _get(f"{api}/public/subjects?q={urllib.request.quote(h.COMPANY_NAME)}")
    assert [s["uscc"] for s in body["items"]] == [h.COMPANY]


def test_regulator_rejects_a_held_record_back_to_the_department(env: Any) -> None:
    rid = _overdue_record(env, name="无名商行", code=h.UNKNOWN)
    publication.resolve_held(rid, env.deps, actor="regulator", reject_reason="代码与名称均无法核实")
    key = f"receipts/{h.ENV_DEPT}/penalty/regulator-rejections/{rid}.json"
    notice = json.loads(env.deps.objects.get_bytes(env.env["INTAKE_BUCKET"], key))
    assert "代码与名称均无法核实" in notice["message"]
    assert env.deps.tables.records.get(rid).rejected_by_regulator


def test_roles_and_jurisdiction(env: Any, api: str) -> None:
    _overdue_record(env, "闽环罚〔2024〕50号")  # the province environment department
    h.upload_penalty(env, "c.csv", "榕环罚〔2024〕50号", "2024-09-27", dept=h.CITY_DEPT, collected_at=ON_TIME)
    monitor.run_scan(date(2024, 10, 31), env.deps)
    assert _get(f"{api}/breaches", tok="")[0] == 401
    assert _get(f"{api}/breaches", tok="v1.forged.token")[0] == 401
    assert _get(f"{api}/calendar/deadline?date=2024-09-27&days=7", tok="")[0] == 200  # open route
    fuzhou = token(env, "supervisor", region="350100")
    seen = _get(f"{api}/breaches?status=open", fuzhou)[1]["items"]
    assert {b["department"] for b in seen} == {h.CITY_DEPT}
    assert _get(f"{api}/breaches?region=350200", fuzhou)[0] == 403  # Xiamen is not Fuzhou's
    dept = token(env, "department", department=h.ENV_DEPT)
    own = _get(f"{api}/breaches", dept)[1]["items"]
    assert own and {b["department"] for b in own} == {h.ENV_DEPT}
    assert _get(f"{api}/breaches?department={h.CITY_DEPT}", dept)[0] == 403
    other = record_id(h.CITY_DEPT, "penalty", "榕环罚〔2024〕50号")
    assert _get(f"{api}/records/{other}", dept)[0] == 403
    assert _get(f"{api}/audit/verify", fuzhou)[0] == 403  # auditors only
    assert _get(f"{api}/held", dept)[0] == 403


def test_scorecard(env: Any, api: str) -> None:
    _overdue_record(env)
    status, card = _get(f"{api}/departments/{h.ENV_DEPT}/scorecard?period=2024-09")
    assert status == 200 and card["collected"] == 1 and card["on_time_rate"] == 1.0
    assert card["publication_on_time_rate"] is None  # nothing published yet
    assert _get(f"{api}/departments/{h.ENV_DEPT}/scorecard?period=2024-9x")[0] == 400


def test_publication_confirmations_and_republishing_a_correction(env: Any) -> None:
    rid = _overdue_record(env, "闽环罚〔2024〕30号")
    confirm = f"记录ID,公示时间\n{rid},2024-10-29 10:00:00\nnope,2024-10-29\n".encode()
    receipt = env.upload(h.COUNTY_REG, "published", "confirm.csv", confirm)
    assert receipt["counts"]["accepted"] == 1 and receipt["counts"]["rejected"] == 1
    entry = env.deps.tables.records.get(rid)
    assert entry.published_at is not None and entry.published_version == 1
    assert env.deps.tables.breaches.get(f"publication_overdue:{rid}").status == "closed"
    again = env.upload(h.COUNTY_REG, "published", "confirm-again.csv", confirm)
    assert again["counts"]["duplicates"] == 1
    # a department may not confirm publication
    refused = env.upload(h.ENV_DEPT, "published", "mine.csv", confirm)
    assert refused["status"] == "refused"
    # a correction of a published record is published again, as an update
    h.upload_penalty(
        env,
        "fix.csv",
        "闽环罚〔2024〕30号",
        "2024-09-27",
        content="更正后的处罚内容",
        collected_at="2024-11-02T02:00:00Z",
    )
    report = publication.run_publication(env.deps, now=datetime(2024, 11, 3, tzinfo=UTC))
    assert report.updates == 1 and report.published == 0
    entry = env.deps.tables.records.get(rid)
    assert entry.published_version == 2 and entry.published_at.date() == date(2024, 10, 29)  # first publication kept
    assert publication.run_publication(env.deps, now=datetime(2024, 11, 4, tzinfo=UTC)).updates == 0


def test_reject_report_neutralises_formulas(env: Any) -> None:
    row = h.penalty_row('=HYPERLINK("http://x")', "2024-09-27", code="91350102MA2Y0001X9")
    receipt = env.upload(h.ENV_DEPT, "penalty", "formula.csv", h.csv_bytes([row]), collected_at=ON_TIME)
    assert receipt["counts"]["rejected"] == 1
    blob = env.deps.objects.get_bytes(env.env["INTAKE_BUCKET"], receipt["rejects_key"])
    values = [r["值"] for r in csv.DictReader(io.StringIO(blob.decode("utf-8-sig")))]
    assert values and not any(v[:1] in "=+-@" for v in values)


def test_a_file_that_fails_every_retry_ends_on_the_dead_letter_queue_with_a_receipt(env: Any, monkeypatch: Any) -> None:
    from infra.localrun import Poller
    from shared.services import record_sink

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("storage unavailable")

    monkeypatch.setattr(record_sink, "apply_batch", broken)
    from infra.cli import put_upload

    key = put_upload(
        env.deps, h.csv_bytes([h.penalty_row("闽环罚〔2024〕40号", "2024-09-27")]), h.ENV_DEPT, "penalty", "x.csv"
    )
    env.drain()  # five receives, then the queue's redrive policy moves it to the dead-letter queue
    import boto3

    sqs = boto3.client("sqs")
    dlq_url = sqs.get_queue_url(QueueName="guiji-local-intake-dlq")["QueueUrl"]
    Poller(dlq_url, "intake_dead_letter").drain()
    receipt = env.receipt(key)
    assert receipt["status"] == "failed" and "无需重复上传" in receipt["message"]


def test_cli_registry_load_versions_and_rejects(env: Any, tmp_path: Path, capsys: Any) -> None:
    from infra.cli import main

    good = tmp_path / "depts.csv"
    good.write_text(
        "统一社会信用代码,部门名称,行政区划代码,层级,是否市场监管部门,督查联系人\n"
        f"{h.CITY_DEPT},福州市生态环境局,350100,市,否,a@fj.example.cn;b@fj.example.cn\n"
        f"{h.ENV_DEPT},福建省生态环境厅,110000,province,false,\n",
        encoding="utf-8",
    )
    assert main(["registry", "load", "departments", str(good)]) == 1  # one bad row
    out = capsys.readouterr().out
    assert "rejected 1" in out and "不是福建省的行政区划" in out
    dept = env.deps.tables.registry.department(h.CITY_DEPT)
    assert dept.supervisor_emails == ("a@fj.example.cn", "b@fj.example.cn")
    versions = env.deps.tables.registry.versions("departments")
    assert [v["changed"] for v in versions][-1] == 1
    history = env.deps.tables.registry.history("DEPT", h.CITY_DEPT)
    assert len(history) == 1 and history[0]["supervisor_emails"] == []


def test_cli_local_token_verifies(env: Any, capsys: Any) -> None:
    from infra.cli import main
    from shared.services.tokens import TokenService

    assert main(["local", "token", "--role", "supervisor", "--region", "350100"]) == 0
    tok = capsys.readouterr().out.strip()
    service = TokenService.for_names(env.env["GUIJI_TOKEN_SECRET_ARN"], env.env["CONTROL_TABLE"])
    principal = service.authenticate(f"Bearer {tok}")
    assert principal.role == "supervisor" and principal.region == "350100"
    assert main(["local", "token", "--role", "department"]) == 2  # a department token needs its code


def test_cli_calendar_and_breaches(env: Any, capsys: Any) -> None:
    from infra.cli import main

    assert main(["calendar", "due", "2025-01-28", "7"]) == 0
    assert capsys.readouterr().out.strip() == "2025-02-12"
    _overdue_record(env)
    capsys.readouterr()  # drop the functions' log lines
    assert main(["breaches", "--format", "json", "--kind", "publication_overdue"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [b["kind"] for b in items] == ["publication_overdue"]
    assert main(["breaches", "--region", "999999"]) == 2
    assert "不是福建省的行政区划" in capsys.readouterr().err


def test_bulletin_written_in_four_formats_announced_once_and_served(env: Any, api: str, capsys: Any) -> None:
    from infra.cli import main

    _overdue_record(env, "闽环罚〔2024〕60号")
    h.upload_penalty(
        env, "late.csv", "榕环罚〔2024〕60号", "2024-09-27", dept=h.CITY_DEPT, collected_at="2024-10-16T02:00:00Z"
    )
    capsys.readouterr()
    assert main(["invoke", "bulletin", "--period", "2024-09", "--scope", "350000", "--as-of", "2024-10-31"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["announced"] == 1 and len(out["written"]) == 4
    bucket = env.env["REPORTS_BUCKET"]
    data = json.loads(env.deps.objects.get_bytes(bucket, "bulletins/350000/2024-09.json"))
    assert data["totals"]["collected"] == 2
    assert data["rates"]["timely_rate"] == 0.5  # one of the two collected within 7 working days
    html = env.deps.objects.get_bytes(bucket, "bulletins/350000/2024-09.html").decode()
    assert "<svg" in html and "2024年9月" in html
    assert env.deps.objects.get_bytes(bucket, "bulletins/350000/2024-09.csv").startswith("\ufeff".encode())
    assert main(["invoke", "bulletin", "--period", "2024-09", "--scope", "350000", "--as-of", "2024-10-31"]) == 0
    assert json.loads(capsys.readouterr().out)["announced"] == 0  # rewritten, not announced twice
    status, listing = _get(f"{api}/bulletins")
    assert (
        status == 200
        and {"scope": "350000", "period": "2024-09", "key": "bulletins/350000/2024-09.json"} in listing["items"]
    )
    status, body = _get(f"{api}/bulletins/350000/2024-09")
    assert status == 200 and body["totals"]["collected"] == 2
    assert _get(f"{api}/bulletins/350200/2024-09", token(env, "supervisor", region="350100"))[0] == 403
    assert main(["invoke", "bulletin", "--period", "2024-13"]) == 2


def test_cli_upload_waits_for_the_receipt_of_this_very_upload(env: Any, tmp_path: Path, capsys: Any) -> None:
    import threading

    from infra.cli import main
    from infra.localrun import Poller

    path = tmp_path / "same-name.csv"
    stop = threading.Event()
    poller = Poller(env.env["INTAKE_QUEUE_URL"], "intake_upload")

    def serve() -> None:  # what the local stack's poller does in the background
        while not stop.is_set():
            if not poller.poll_once(wait=0):
                stop.wait(0.1)

    worker = threading.Thread(target=serve)
    worker.start()
    try:
        path.write_bytes(h.csv_bytes([h.penalty_row("闽环罚〔2024〕80号", "2024-09-27")]))
        assert main(["upload", str(path), "--department", h.ENV_DEPT, "--category", "penalty"]) == 0
        assert '"accepted": 1' in capsys.readouterr().out
        # the same file name with changed content: the earlier receipt must not be taken for this one
        path.write_bytes(h.csv_bytes([h.penalty_row("闽环罚〔2024〕80号", "2024-09-27", content="更正")]))
        assert main(["upload", str(path), "--department", h.ENV_DEPT, "--category", "penalty"]) == 0
        assert '"corrected": 1' in capsys.readouterr().out
    finally:
        stop.set()
        worker.join()
