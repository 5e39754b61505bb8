"""The web console (门户) in a real browser: headless Debian Chromium driven by Playwright, against the local stack.

Skipped (only these tests) when the system Chromium or Playwright is missing; ``bash run.sh test`` installs
Chromium when it runs as root. One browser for the module, a fresh context (empty sessionStorage) per test.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.localrun import free_port, serve_api
from shared.ledger import record_id
from shared.registry import Subject
from shared.services import bulletins, monitor, publication
from shared.timeutil import local_date, utc_now
from tests import helpers as h

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("GUIJI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ON_TIME = "2024-10-12T15:30:00Z"
EVIL_USCC = h.valid_uscc("91350102" + "MA2Y00055")
EVIL_NAME = '<img src=x onerror="window.__pwned=1">福州<b>恶意</b>名称有限公司'
OVERDUE_DOC = "闽环罚〔2024〕31号"
CITY_DOC = "榕环罚〔2024〕8号"
HELD_DOC = "闽环罚〔2024〕32号"
RECENT_DOC = "闽环罚〔2026〕1号"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -r requirements-dev.txt)"
)
if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
    pytest.skip(
        f"browser tests skipped: no Chromium at {CHROMIUM} (as root, `bash run.sh test` installs Debian's chromium)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def world(stack: Any) -> Iterator[dict[str, Any]]:
    """One scenario for every test: breaches in two jurisdictions, a held record, a published subject whose
    name holds HTML, a bulletin, and the API (with the console) on a free port."""
    stack.reset()
    h.load_registry(stack)
    stack.deps.tables.registry.put_subjects(
        [*h.subjects(), Subject(uscc=EVIL_USCC, name=EVIL_NAME, region_code="350102")]
    )
    h.upload_penalty(
        stack, "evil.csv", "闽环罚〔2024〕33号", "2024-09-27", code=EVIL_USCC, name=EVIL_NAME, collected_at=ON_TIME
    )
    publication.run_publication(stack.deps)  # published under the subject's name; the others stay unpublished
    yesterday = (local_date(utc_now()) - timedelta(days=1)).isoformat()
    h.upload_penalty(stack, "recent.csv", RECENT_DOC, yesterday)  # waits for publication, due in the coming weeks
    h.upload_penalty(stack, "overdue.csv", OVERDUE_DOC, "2024-09-27", collected_at=ON_TIME)
    h.upload_penalty(stack, "city.csv", CITY_DOC, "2024-09-27", dept=h.CITY_DEPT, collected_at=ON_TIME)
    h.upload_penalty(
        stack, "held.csv", HELD_DOC, "2024-09-27", code=h.UNKNOWN, name="无法识别的公司", collected_at=ON_TIME
    )
    monitor.run_scan(date(2024, 10, 31), stack.deps)
    assert monitor.send_notices(date(2024, 10, 31), stack.deps).digests == 2  # Fujian's and Fuzhou's
    bulletins.run_on_demand(date(2024, 11, 4), stack.deps, period="2024-10", scope="350000")
    port = free_port()
    server = serve_api(port)
    try:
        yield {"stack": stack, "base": f"http://127.0.0.1:{port}/console"}
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], errors


def token(stack: Any, role: str, region: str = "350000", department: str | None = None) -> str:
    return h.api_token(stack, role, region, department, sub="browser")


def sign_in(page: Any, world: dict[str, Any], role: str, region: str = "350000", department: str | None = None) -> None:
    page.goto(world["base"] + "/login")
    page.fill("#token", token(world["stack"], role, region, department))
    page.click("#login-form button[type=submit]")
    page.wait_for_function("() => !location.pathname.endsWith('/login')")
    sync_api.expect(page.locator("#who")).not_to_be_empty()


def test_console_root_redirects_to_sign_in_and_a_bad_token_is_refused(page: Any, world: dict[str, Any]) -> None:
    page.goto(world["base"])
    assert page.url.endswith("/console/login")
    page.fill("#token", "v1.not.valid")
    page.click("#login-form button[type=submit]")
    sync_api.expect(page.locator("#flash")).to_contain_text("登录失败")
    # A page that needs a role sends a visitor without a token back to the sign-in page.
    page.goto(world["base"] + "/breaches")
    page.wait_for_url("**/console/login")
    sync_api.expect(page.locator("#flash")).to_contain_text("请先登录")


def test_department_uploads_a_file_and_sees_its_receipt_and_reject_report(page: Any, world: dict[str, Any]) -> None:
    stack = world["stack"]
    sign_in(page, world, "department", department=h.ENV_DEPT)
    assert page.url.endswith("/console/department")
    sync_api.expect(page.locator("#who")).to_contain_text("福建省生态环境厅")
    # Its open breach and its scorecard are on the page.
    sync_api.expect(page.locator("#open-breaches")).to_contain_text(OVERDUE_DOC)
    sync_api.expect(page.locator("#open-breaches")).not_to_contain_text(CITY_DOC)
    sync_api.expect(page.locator("#scorecard")).to_contain_text("及时率")
    pending = page.locator("#pending tr", has_text=RECENT_DOC)
    sync_api.expect(pending).to_contain_text("待公示")
    due = pending.locator("td").last.inner_text()
    assert date.fromisoformat(due) > local_date(utc_now()) - timedelta(days=1)
    rows = [h.penalty_row("闽环罚〔2024〕40号", "2024-10-08"), h.penalty_row("闽环罚〔2024〕41号", "2024-13-45")]
    page.select_option("#category", "penalty")
    page.set_input_files("#file", files=[{"name": "十月处罚.csv", "mimeType": "text/csv", "buffer": h.csv_bytes(rows)}])
    page.click("#upload-button")
    sync_api.expect(page.locator("#progress-text")).to_contain_text("处理中")  # the file is in S3; no receipt yet
    stack.drain()  # the intake function (as Lambda's SQS event source would run it)
    sync_api.expect(page.locator("#receipt-message")).to_contain_text("共读取2行")
    cells = page.locator("#receipt td").all_inner_texts()
    assert cells[:3] == ["2", "1", "1"]  # read, accepted, rejected
    with page.expect_download() as info:
        page.click("#download-rejects")
    report = Path(info.value.path()).read_bytes()
    assert report.startswith(b"\xef\xbb\xbf")
    assert "2024-13-45" in report.decode("utf-8-sig")
    sync_api.expect(page.locator("#history")).to_contain_text("十月处罚.csv")
    # Accepted, not refused: the intake saw the department's own upload session as the writer (issue 9 §1).


def test_supervisor_filters_counts_exports_and_acknowledges(page: Any, world: dict[str, Any]) -> None:
    sign_in(page, world, "supervisor", region="350100")
    sync_api.expect(page.locator("#list")).to_contain_text(CITY_DOC)
    # A Fuzhou supervisor never sees the province department's breach.
    sync_api.expect(page.locator("#list")).not_to_contain_text(OVERDUE_DOC)
    page.select_option("#filter-form select[name=kind]", "publication_overdue")
    page.select_option("#filter-form select[name=status]", "open")
    page.click("#filter-form button[type=submit]")
    sync_api.expect(page.locator("#total")).to_have_text("共 1 条")
    sync_api.expect(page.locator("#counts tr", has_text="逾期未公示").locator("td").nth(1)).to_have_text("1")
    sync_api.expect(page.locator("#counts tr", has_text="临近时限").locator("td").nth(1)).to_have_text("0")
    with page.expect_download() as info:
        page.click("#export")
    blob = Path(info.value.path()).read_bytes()
    assert blob.startswith(b"\xef\xbb\xbf")
    exported = list(csv.DictReader(io.StringIO(blob.decode("utf-8-sig"))))
    assert [r["doc_no"] for r in exported] == [CITY_DOC]
    page.fill(".ack-note", "已督促福州市生态环境局整改")
    page.click("button.ack")
    sync_api.expect(page.locator("#flash")).to_contain_text("已确认")
    breach = world["stack"].deps.tables.breaches.get(
        f"publication_overdue:{record_id(h.CITY_DEPT, 'penalty', CITY_DOC)}"
    )
    assert breach is not None and breach.acks, breach


def test_regulator_attributes_a_held_record(page: Any, world: dict[str, Any]) -> None:
    sign_in(page, world, "regulator")
    assert page.url.endswith("/console/held")
    row = page.locator("#held tr", has_text=HELD_DOC)
    sync_api.expect(row).to_have_count(1)
    row.locator("input.uscc").fill(h.COMPANY)
    row.locator("button.attribute").click()
    sync_api.expect(page.locator("#flash")).to_contain_text("已记名")
    sync_api.expect(page.locator("#held")).not_to_contain_text(HELD_DOC)
    entry = world["stack"].deps.tables.records.get(record_id(h.ENV_DEPT, "penalty", HELD_DOC))
    assert entry.held is False and entry.attributed_uscc == h.COMPANY


def test_auditor_opens_a_timeline_verifies_the_trail_and_reads_a_bulletin(page: Any, world: dict[str, Any]) -> None:
    sign_in(page, world, "auditor")
    rid = record_id(h.ENV_DEPT, "penalty", OVERDUE_DOC)
    page.goto(world["base"] + "/record?id=" + rid)
    sync_api.expect(page.locator("#record")).to_contain_text("逾期未公示")
    sync_api.expect(page.locator("dl.kv dd", has_text=OVERDUE_DOC)).to_have_count(1)
    sync_api.expect(page.locator(".timeline")).to_contain_text("breach_opened")
    sync_api.expect(page.locator("#due-explain")).to_contain_text("2024-10-12")  # the make-up Saturday
    sync_api.expect(page.locator("#due-explain")).to_contain_text("调休")
    sync_api.expect(page.locator("#due-explain")).to_contain_text("国庆")
    page.goto(world["base"] + "/audit")
    page.click("#verify")
    sync_api.expect(page.locator("#verify-status")).to_contain_text("审计轨迹完整")
    page.goto(world["base"] + "/bulletins")
    page.locator("#bulletin-list tr", has_text="2024-10").locator("button").click()
    sync_api.expect(page.locator("#bulletin-title")).to_contain_text("通报")


def test_supervisor_reads_the_digests_its_jurisdiction_received(page: Any, world: dict[str, Any]) -> None:
    sign_in(page, world, "supervisor", region="350100")
    page.click("nav a[href=digests]")
    sync_api.expect(page.locator("#jurisdiction")).to_contain_text("福州市")
    sync_api.expect(page.locator("#digest-list")).to_contain_text("该期间没有收到督办日报")  # default: the last 30 days
    page.fill("#digest-form input[name=from]", "2024-10-01")
    page.fill("#digest-form input[name=to]", "2024-10-31")
    page.click("#digest-form button[type=submit]")
    row = page.locator("#digest-list tbody tr")
    sync_api.expect(row).to_have_count(1)  # Fuzhou's own digest, not the province's
    sync_api.expect(row).to_contain_text("2024-10-31")
    sync_api.expect(row).to_contain_text("市级")
    row.locator("button").click()
    sync_api.expect(page.locator("#digest")).to_contain_text(CITY_DOC)
    sync_api.expect(page.locator("#digest")).not_to_contain_text(OVERDUE_DOC)


def test_auditor_downloads_a_records_evidence_bundle(page: Any, world: dict[str, Any]) -> None:
    from shared.evidence import verify_bundle

    sign_in(page, world, "auditor")
    rid = record_id(h.ENV_DEPT, "penalty", OVERDUE_DOC)
    page.goto(world["base"] + "/record?id=" + rid)
    sync_api.expect(page.locator("#record")).to_contain_text("逾期未公示")
    with page.expect_download() as info:
        page.click("#evidence")
    assert info.value.suggested_filename == f"evidence-{rid}.zip"
    blob = Path(info.value.path()).read_bytes()
    assert blob.startswith(b"PK") and verify_bundle(blob) == []  # the zip as sent, manifest intact
    with zipfile.ZipFile(io.BytesIO(blob)) as bundle:
        assert any(OVERDUE_DOC in bundle.read(name).decode("utf-8", "replace") for name in bundle.namelist())


def test_a_department_cannot_open_another_departments_record(page: Any, world: dict[str, Any]) -> None:
    sign_in(page, world, "department", department=h.CITY_DEPT)
    page.goto(world["base"] + "/record?id=" + record_id(h.ENV_DEPT, "penalty", OVERDUE_DOC))
    sync_api.expect(page.locator("#flash")).to_contain_text("不在您的管辖范围内")
    sync_api.expect(page.locator("#record")).to_be_empty()


def test_public_search_shows_an_html_name_as_text(page: Any, world: dict[str, Any]) -> None:
    page.goto(world["base"] + "/public")
    page.fill("#q", EVIL_USCC)  # the public query matches a code or an exact name
    page.click("#search-form button[type=submit]")
    link = page.locator("#results a")
    sync_api.expect(link).to_have_text(EVIL_NAME)
    link.click()
    sync_api.expect(page.locator("#subject h2")).to_have_text(EVIL_NAME)
    sync_api.expect(page.locator("#subject")).to_contain_text("闽环罚〔2024〕33号")
    assert page.locator("main img, main b").count() == 0
    assert page.evaluate("window.__pwned") is None
