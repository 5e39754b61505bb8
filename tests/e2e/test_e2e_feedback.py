"""Joint-punishment feedback (联合惩戒反馈, issue 11 §3) through the real upload path on the local stack.

The county market regulator lists three enterprises in the abnormal-operations list; they are published; the
Fuzhou tax bureau uploads a feedback file (GBK CSV) saying what it did about two of them, with a duplicate and
mistakes among the lines. The receipt adds up, each feedback shows in the listing's timeline over HTTP, the
publishing department finds a notice in its receipts folder, and the bulletin counts listings, feedback and rate.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from shared.ledger import record_id
from shared.registry import Department, Subject
from shared.services import bulletins, publication
from shared.timeutil import local_date, utc_now
from tests import helpers as h

pytestmark = pytest.mark.e2e

LISTED_ON = "2026-11-02"
ON_TIME = "2026-11-03T02:00:00Z"
FZ_TAX = h.valid_uscc("11350100" + "MB0350100")  # 国家税务总局福州市税务局
THIRD = h.valid_uscc("91350103" + "MA2Y00083")
LIST_HEADERS = ["行政相对人名称", "统一社会信用代码", "列入文号", "列入原因", "列入日期", "作出决定机关"]
FEEDBACK_HEADERS = [
    "记录ID",
    "发布部门代码",
    "名单类别",
    "列入文号",
    "统一社会信用代码",
    "惩戒措施",
    "措施日期",
    "备注",
]
DOCS = ["鼓市监异〔2026〕1号", "鼓市监异〔2026〕2号", "鼓市监异〔2026〕3号"]
LISTED = [(h.COMPANY, h.COMPANY_NAME), (h.OTHER, h.OTHER_NAME), (THIRD, "福州第三贸易有限公司")]


def _rid(n: int) -> str:
    return record_id(h.COUNTY_REG, "abnormal_operation", DOCS[n], "列入")


# Each feedback line with what must become of it, written by hand from the rules.
LINES: list[tuple[list[str], str]] = [
    ([_rid(0), "", "", "", "", "限制参加政府采购", "2026-11-20", "依据共享名单"], "accepted"),
    (["", h.COUNTY_REG, "经营异常名录", DOCS[0], "", "暂停增值税专用发票领用", "2026-11-21", ""], "accepted"),
    ([_rid(0), "", "", "", "", "限制参加政府采购", "2026-11-20", "重复一行"], "duplicate"),
    (["", "", "", DOCS[1], h.OTHER, "不予评为A级纳税人", "2026-11-22", ""], "accepted"),
    (["0" * 24, "", "", "", "", "限制", "2026-11-20", ""], "未找到该记录ID对应的记录"),
    ([_rid(1), "", "", "", "", "限制", "2026-10-01", ""], "措施日期早于该信息的产生日期"),
    ([_rid(1), "", "", "", "", "", "2026-11-20", ""], "惩戒措施为空"),
    ([_rid(1), "", "", "", h.COMPANY, "限制", "2026-11-20", ""], "统一社会信用代码与该记录的市场主体"),
    ([_rid(1), "", "", "", "", "限制", "2099-01-01", ""], "晚于今天"),
]


def _csv(rows: list[list[str]], headers: list[str], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture(scope="module")
def listed(stack: Any) -> Any:
    """One scenario for the module: three listings and a penalty, published. Each test uploads its own files."""
    stack.reset()
    h.load_registry(stack)
    env = stack
    env.deps.tables.registry.put_departments(
        [*h.departments(), Department(code=FZ_TAX, name="国家税务总局福州市税务局", region_code="350100", level="city")]
    )
    env.deps.tables.registry.put_subjects([*h.subjects(), Subject(uscc=THIRD, name=LISTED[2][1], region_code="350103")])
    rows = [
        [name, code, doc, "未按规定公示年度报告", LISTED_ON, "福州市鼓楼区市场监督管理局"]
        for (code, name), doc in zip(LISTED, DOCS, strict=True)
    ]
    receipt = env.upload(
        h.COUNTY_REG, "abnormal_operation", "异常名录.csv", _csv(rows, LIST_HEADERS), collected_at=ON_TIME
    )
    assert receipt["counts"]["accepted"] == 3, receipt
    h.upload_penalty(env, "p.csv", "闽环罚〔2026〕9号", LISTED_ON, collected_at=ON_TIME)  # published, not a list
    assert publication.run_publication(env.deps).published == 4
    return env


@pytest.fixture(scope="module")
def api(listed: Any) -> Iterator[str]:
    with h.local_api() as url:
        yield url


def test_feedback_is_linked_shown_reported_and_counted(listed: Any, api: str) -> None:
    env = listed
    data = _csv([line for line, _ in LINES], FEEDBACK_HEADERS, encoding="gbk")
    receipt = env.upload(FZ_TAX, "feedback", "联合惩戒反馈.csv", data)
    outcomes = [o for _, o in LINES]
    counts = receipt["counts"]
    assert (counts["read"], counts["accepted"], counts["duplicates"], counts["rejected"]) == (
        len(LINES),
        outcomes.count("accepted"),
        outcomes.count("duplicate"),
        len(LINES) - outcomes.count("accepted") - outcomes.count("duplicate"),
    )
    assert receipt["category_name"] == "联合惩戒反馈"
    rejects = env.deps.objects.get_bytes(env.env["INTAKE_BUCKET"], receipt["rejects_key"]).decode("utf-8-sig")
    report = list(csv.DictReader(io.StringIO(rejects)))
    for n, (_, outcome) in enumerate(LINES, start=2):  # data rows start on line 2
        if outcome not in ("accepted", "duplicate"):
            assert any(r["行号"] == str(n) and outcome in r["退回原因"] for r in report), (n, outcome, report)

    # The listing's timeline over HTTP: both measures, and the audit entries that record them.
    token = h.api_token(env, "auditor")
    request = urllib.request.Request(f"{api}/records/{_rid(0)}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as resp:
        timeline = json.loads(resp.read())
    assert sorted(f["measure"] for f in timeline["feedback"]) == ["暂停增值税专用发票领用", "限制参加政府采购"]
    assert {f["department_name"] for f in timeline["feedback"]} == {"国家税务总局福州市税务局"}
    assert [a["event"] for a in timeline["audit"]].count("feedback_received") == 2

    # The publishing department is told, in its receipts folder.
    notices = env.deps.objects.list_keys(
        env.env["INTAKE_BUCKET"], f"receipts/{h.COUNTY_REG}/abnormal_operation/feedback/"
    )
    assert len(notices) == outcomes.count("accepted")
    notice = json.loads(env.deps.objects.get_bytes(env.env["INTAKE_BUCKET"], notices[0]))
    assert "国家税务总局福州市税务局" in notice["message"] and "联合惩戒措施" in notice["message"]

    # Uploading the same file again changes nothing: every good line is a duplicate now.
    again = env.upload(FZ_TAX, "feedback", "联合惩戒反馈（重报）.csv", data)["counts"]
    assert (again["accepted"], again["duplicates"]) == (0, outcomes.count("accepted") + outcomes.count("duplicate"))
    assert len(env.deps.tables.records.get(_rid(0)).feedback_ids) == 2

    # The bulletin counts listings shared, listings with feedback, feedback reports, and the rate.
    today = local_date(utc_now())
    bulletins.run_on_demand(today, env.deps, period="2026-11", scope="350000")
    doc = json.loads(env.deps.objects.get_bytes(env.env["REPORTS_BUCKET"], "bulletins/350000/2026-11.json"))
    (row,) = doc["feedback"]
    assert (row["code"], row["listings"], row["with_feedback"], row["feedback"]) == (h.COUNTY_REG, 3, 2, 3)
    assert row["feedback_rate"] == pytest.approx(2 / 3)
    page = env.deps.objects.get_bytes(env.env["REPORTS_BUCKET"], "bulletins/350000/2026-11.html").decode("utf-8")
    assert "六、联合惩戒反馈情况" in page and "66.7%" in page


def test_a_department_cannot_feed_back_on_its_own_listing_nor_on_an_unpublished_one(listed: Any) -> None:
    env = listed
    rows = [[_rid(0), "", "", "", "", "限制", "2026-11-20", ""]]
    receipt = env.upload(h.COUNTY_REG, "feedback", "own.csv", _csv(rows, FEEDBACK_HEADERS))
    assert receipt["counts"]["rejected"] == 1
    held = h.upload_penalty(env, "held.csv", "闽环罚〔2026〕10号", LISTED_ON, code=h.UNKNOWN, name="无名商行")
    assert held["counts"]["unattributed"] == 1
    rid = record_id(h.ENV_DEPT, "penalty", "闽环罚〔2026〕10号")
    receipt = env.upload(
        FZ_TAX, "feedback", "held.csv", _csv([[rid, "", "", "", "", "限制", "2026-11-20", ""]], FEEDBACK_HEADERS)
    )
    assert receipt["counts"]["rejected"] == 1
    rejects = env.deps.objects.get_bytes(env.env["INTAKE_BUCKET"], receipt["rejects_key"]).decode("utf-8-sig")
    assert "尚未公示" in rejects


def test_a_feedback_file_without_a_measure_column_is_refused_whole(listed: Any) -> None:
    before = listed.deps.tables.records.get(_rid(2)).feedback_ids
    receipt = listed.upload(FZ_TAX, "feedback", "bad.csv", _csv([[_rid(2), "2026-11-20"]], ["记录ID", "措施日期"]))
    assert receipt["status"] == "refused" and "惩戒措施" in receipt["message"]
    assert listed.deps.tables.records.get(_rid(2)).feedback_ids == before
