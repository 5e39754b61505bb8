"""Same-level push (同级推送, issue 11 §2) over real HTTP and SNS → SQS on the local stack.

Departments subscribe through the API; publication fans each record out through the sharing topic; what an SQS
queue subscribed with the filter policy receives is compared with what the subscription asked for, worked out
here from the uploads themselves.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from shared.ledger import record_id
from shared.registry import Department
from shared.services import publication
from tests import helpers as h

pytestmark = pytest.mark.e2e

ON_TIME = "2026-11-02T02:00:00Z"
PRODUCED = "2026-10-30"
QZ_TAX = h.valid_uscc("11350500" + "MB0350501")  # 国家税务总局泉州市税务局 (subscriber, city)
QZ_ENV = h.valid_uscc("11350582" + "MB0350582")  # 晋江市生态环境局 (a county of 泉州)
LICENSE_HEADERS = ["行政相对人名称", "统一社会信用代码", "行政许可决定文书号", "许可类别", "许可决定日期", "许可内容"]


def _call(api: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(api + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _queue(stack: Any, name: str) -> tuple[str, str]:
    from shared.adapters.aws import client

    url = client("sqs").create_queue(QueueName=name)["QueueUrl"]
    arn = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _received(url: str) -> list[dict[str, Any]]:
    """Every push waiting in the queue: the record's public view, as the SNS envelope carries it."""
    from shared.adapters.aws import client

    out = []
    while True:
        batch = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = batch.get("Messages", [])
        if not messages:
            return out
        for m in messages:
            envelope = json.loads(m["Body"])
            out.append({"view": json.loads(envelope["Message"]), "attributes": envelope.get("MessageAttributes", {})})
            client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def _upload(stack: Any, dept: str, name: str, doc_no: str, category: str = "penalty", content: str = "罚款") -> str:
    if category == "penalty":
        data = h.csv_bytes([h.penalty_row(doc_no, PRODUCED, content=content)])
    else:
        row = [h.COMPANY_NAME, h.COMPANY, doc_no, "普通", PRODUCED, content]
        data = h.csv_bytes([row], headers=LICENSE_HEADERS)
    receipt = stack.upload(dept, category, name, data, collected_at=ON_TIME)
    assert receipt["counts"]["accepted"] == 1, receipt
    return record_id(dept, category, doc_no)


@pytest.fixture(scope="module")
def world(stack: Any) -> Any:
    """One stack for the module; each test makes its own queues, subscriptions and records."""
    stack.reset()
    h.load_registry(stack)
    env = stack
    env.deps.tables.registry.put_departments(
        [
            *h.departments(),
            Department(code=QZ_TAX, name="国家税务总局泉州市税务局", region_code="350500", level="city"),
            Department(code=QZ_ENV, name="晋江市生态环境局", region_code="350582", level="county"),
        ]
    )
    return env


@pytest.fixture(scope="module")
def api(world: Any) -> Iterator[str]:
    with h.local_api() as url:
        yield url


def test_a_subscription_receives_exactly_the_matching_publications(world: Any, api: str) -> None:
    tax = h.api_token(world, "department", "350500", QZ_TAX)
    city = h.api_token(world, "department", "350100", h.CITY_DEPT)
    tax_url, tax_arn = _queue(world, "qz-tax-inbox")
    city_url, city_arn = _queue(world, "fz-env-inbox")

    status, sub = _call(
        api, "POST", "/subscriptions", tax, {"categories": ["penalty"], "regions": ["350500"], "endpoint": tax_arn}
    )
    assert status == 201, sub
    assert sub["department"] == QZ_TAX and sub["description"] == "泉州市（350500）的行政处罚"
    status, updates = _call(api, "POST", "/subscriptions", city, {"kinds": ["published_update"], "endpoint": city_arn})
    assert status == 201, updates
    # The province's bureau takes everything, so every record below goes out on the topic and SNS's filter
    # policies, not guiji's choice of what to send, decide what the other two queues get.
    all_url, all_arn = _queue(world, "fj-env-inbox")
    province = h.api_token(world, "department", "350000", h.ENV_DEPT)
    assert _call(api, "POST", "/subscriptions", province, {"endpoint": all_arn})[0] == 201

    uploads = {
        "jinjiang penalty": (QZ_ENV, "penalty", "晋环罚〔2026〕1号"),
        "jinjiang penalty 2": (QZ_ENV, "penalty", "晋环罚〔2026〕2号"),
        "jinjiang licence": (QZ_ENV, "license", "晋环许〔2026〕3号"),
        "province penalty": (h.ENV_DEPT, "penalty", "闽环罚〔2026〕4号"),
        "fuzhou penalty": (h.CITY_DEPT, "penalty", "榕环罚〔2026〕5号"),
    }
    ids = {k: _upload(world, d, f"{i}.csv", doc, c) for i, (k, (d, c, doc)) in enumerate(uploads.items())}
    assert publication.run_publication(world.deps).published == len(uploads)

    # 泉州's tax bureau asked for penalties in 泉州 (its counties included): the two from 晋江, not the licence.
    got = _received(tax_url)
    assert sorted(m["view"]["record_id"] for m in got) == sorted([ids["jinjiang penalty"], ids["jinjiang penalty 2"]])
    assert all(m["view"]["kind"] == "published" and m["view"]["department_name"] == "晋江市生态环境局" for m in got)
    assert json.loads(got[0]["attributes"]["regions"]["Value"]) == ["350582", "350500", "350000"]
    assert _received(city_url) == []  # updates only, and nothing was updated yet
    everything = sorted(m["view"]["record_id"] for m in _received(all_url))
    assert everything == sorted(v for k, v in ids.items() if k != "province penalty")  # all but its own

    # A correction of the province's penalty is re-published as an update: Fuzhou's subscription gets it.
    _upload(world, h.ENV_DEPT, "fix.csv", "闽环罚〔2026〕4号", content="罚款人民币五万元")
    assert publication.run_publication(world.deps).updates == 1
    (update,) = _received(city_url)
    assert (update["view"]["record_id"], update["view"]["kind"]) == (ids["province penalty"], "published_update")
    assert update["view"]["fields"]  # the public view travels whole
    assert _received(tax_url) == []

    # Deliveries are recorded and counted per subscription.
    status, listing = _call(api, "GET", "/subscriptions", tax)
    assert status == 200 and [(s["subscription_id"], s["delivered"]) for s in listing["items"]] == [
        (sub["subscription_id"], 2)
    ]
    status, everyone = _call(api, "GET", "/subscriptions", h.api_token(world, "auditor"))
    assert {s["department"]: s["delivered"] for s in everyone["items"]} == {QZ_TAX: 2, h.CITY_DEPT: 1, h.ENV_DEPT: 4}
    status, fuzhou = _call(api, "GET", "/subscriptions", h.api_token(world, "supervisor", "350100"))
    assert [s["department"] for s in fuzhou["items"]] == [h.CITY_DEPT]  # a city sees its own departments'

    # Removed: nothing more arrives, and another department cannot remove it.
    path = f"/subscriptions/{sub['subscription_id']}"
    assert _call(api, "DELETE", path, city)[0] == 404
    status, body = _call(api, "DELETE", path, tax)
    assert status == 200 and body["removed"] is True
    _upload(world, QZ_ENV, "late.csv", "晋环罚〔2026〕6号")
    assert publication.run_publication(world.deps).published == 1
    assert _received(tax_url) == []
    assert _call(api, "GET", "/subscriptions", tax)[1]["items"] == []


def test_a_retried_publication_is_logged_once(world: Any, api: str) -> None:
    from shared.services import sharing

    tax = h.api_token(world, "department", "350500", QZ_TAX)
    _, arn = _queue(world, "qz-tax-retry")
    status, sub = _call(api, "POST", "/subscriptions", tax, {"regions": ["350500"], "endpoint": arn})
    assert status == 201, sub
    rid = _upload(world, QZ_ENV, "a.csv", "晋环罚〔2026〕7号")
    entry = world.deps.tables.records.get(rid)
    done, _ = publication.mark_published([entry], entry.collected_at, world.deps, actor="t", source="guiji")
    sharing.push([(done[0], {"record_id": rid}, "published")], entry.collected_at, world.deps)  # a retry
    delivered, failed = sharing.deliveries(entry.collected_at.date(), entry.collected_at.date(), world.deps)
    assert delivered[sub["subscription_id"]] == 1 and not failed


def test_subscription_requests_are_checked_in_chinese(world: Any, api: str) -> None:
    tax = h.api_token(world, "department", "350500", QZ_TAX)
    status, body = _call(api, "POST", "/subscriptions", tax, {"endpoint": "https://example.invalid", "protocol": "sqs"})
    assert status == 400 and "SQS 队列的 ARN" in body["Message"]
    status, body = _call(
        api, "POST", "/subscriptions", tax, {"regions": ["110000"], "endpoint": "a@b.cn", "protocol": "email"}
    )
    assert status == 400 and "不是福建省的行政区划代码" in body["Message"]
    status, body = _call(
        api, "POST", "/subscriptions", tax, {"categories": ["lottery"], "endpoint": "a@b.cn", "protocol": "email"}
    )
    assert status == 400 and "categories" in body["Message"]
    status, body = _call(
        api, "POST", "/subscriptions", h.api_token(world, "supervisor"), {"endpoint": "a@b.cn", "protocol": "email"}
    )
    assert status == 403


def test_the_cli_adds_lists_and_removes_subscriptions(world: Any, capsys: Any) -> None:
    from infra.cli import main

    _, arn = _queue(world, "qz-tax-cli")
    args = ["subscriptions", "add", "--department", QZ_TAX, "--category", "serious_violation"]
    assert main([*args, "--region", "350500", "--endpoint", arn]) == 0
    added = capsys.readouterr().out
    assert "泉州市（350500）的严重违法失信名单" in added
    subscription_id = added.split()[0]
    rid = _upload(world, QZ_ENV, "p.csv", "晋环罚〔2026〕9号")  # a penalty: not what was asked for
    publication.run_publication(world.deps)
    assert world.deps.tables.records.get(rid).published_at is not None
    assert main(["subscriptions", "list", "--department", QZ_TAX]) == 0
    listed = capsys.readouterr().out
    assert subscription_id in listed and "泉州市（350500）的严重违法失信名单" in listed
    assert main(["subscriptions", "remove", subscription_id]) == 0
    assert main(["subscriptions", "remove", subscription_id]) == 2  # gone: one Chinese line, no traceback
    assert "不存在" in capsys.readouterr().err
    assert main(["subscriptions", "add", "--department", QZ_TAX, "--region", "990000", "--endpoint", arn]) == 2
    assert "不是福建省的行政区划代码" in capsys.readouterr().err
