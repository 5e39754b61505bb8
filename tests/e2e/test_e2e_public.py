"""Public query over real HTTP on the local stack, and the name index contract on both implementations."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.demodata import valid_uscc
from infra.localrun import free_port, serve_api
from shared.identifiers import id_number_check_char
from shared.ratelimit import RateLimiter
from shared.registry import Subject
from shared.search import InMemoryNameIndex, NameIndex, fold, posting_key, posting_of
from shared.services import publication
from shared.timeutil import local_date
from tests import helpers as h

pytestmark = pytest.mark.e2e

TECH_XM = Subject(uscc=valid_uscc("91350203MA2Y00056"), name="厦门鹭岛科技有限公司", region_code="350203")
TECH_PT = Subject(uscc=valid_uscc("91350128MA2Y00072"), name="平潭海峡科技有限公司", region_code="350128")
PERSON_ID = "35010219800101123" + id_number_check_char("35010219800101123")


# --- the NameIndex contract: the same behaviour in memory and in DynamoDB ------------------------------------


@pytest.fixture(params=["memory", "dynamodb"])
def name_index(request: pytest.FixtureRequest) -> NameIndex:
    if request.param == "memory":
        return InMemoryNameIndex()
    stack = request.getfixturevalue("clean_stack")
    index: NameIndex = stack.deps.tables.registry.names
    return index


def test_index_contract_postings_counts_and_prefixes(name_index: NameIndex) -> None:
    a = posting_of(h.COMPANY, "福州昌华环保科技有限公司", "350102", "enterprise")
    b = posting_of(h.OTHER, "厦门海沧鑫源贸易有限公司", "350205", "enterprise")
    name_index.index([(None, a), (None, b)])
    assert name_index.bigram_counts(["有限", "环保", "不在"]) == {"有限": 2, "环保": 1}
    assert [p.uscc for p in name_index.postings("有限", "", 10)] == [h.COMPANY, h.OTHER]  # region order
    assert [p.uscc for p in name_index.postings("有限", "3502", 10)] == [h.OTHER]
    assert [p.uscc for p in name_index.postings("有限", "", 1)] == [h.COMPANY]
    assert [p.uscc for p in name_index.postings("有限", "", 10, after=posting_key(a))] == [h.OTHER]
    assert name_index.postings("有限", "", 10, after=posting_key(b)) == []
    assert name_index.postings("有限", "", 10)[0] == a


def test_index_contract_rename_move_and_removal(name_index: NameIndex) -> None:
    a = posting_of(h.COMPANY, "福州昌华环保科技有限公司", "350102", "enterprise")
    name_index.index([(None, a)])
    moved = posting_of(h.COMPANY, "福州昌华环保材料有限公司", "350104", "enterprise")
    name_index.index([(a, moved)])
    assert name_index.postings("科技", "", 10) == []
    assert [p.region_code for p in name_index.postings("材料", "", 10)] == ["350104"]
    assert [p.region_code for p in name_index.postings("环保", "", 10)] == ["350104"]
    assert name_index.bigram_counts(["科技", "材料", "环保"]) == {"科技": 0, "材料": 1, "环保": 1}
    name_index.index([(moved, None)])
    assert name_index.postings("环保", "", 10) == []


# --- over HTTP ----------------------------------------------------------------------------------------------


@pytest.fixture
def env(clean_stack: Any) -> Any:
    h.load_registry(clean_stack)
    clean_stack.deps.tables.registry.put_subjects([*h.subjects(), TECH_XM, TECH_PT])
    return clean_stack


@pytest.fixture
def api(env: Any) -> Iterator[str]:
    port = free_port()
    server = serve_api(port, RateLimiter(rate=100, burst=100))
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def _get(url: str) -> tuple[int, Any, dict[str, str]]:
    try:
        with urllib.request.urlopen(url) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def _search(api: str, **params: str) -> tuple[int, Any]:
    status, body, _ = _get(f"{api}/public/subjects?{urllib.parse.urlencode(params)}")
    return status, body


def test_fuzzy_search_by_words_in_any_order_and_script(api: str) -> None:
    status, body = _search(api, q="科技 福州")
    assert status == 200
    assert [i["name"] for i in body["items"]] == [h.COMPANY_NAME]
    assert body["items"][0]["region_name"]
    status, body = _search(api, q="環保 昌華")  # traditional characters
    assert [i["uscc"] for i in body["items"]] == [h.COMPANY]


def test_exact_search_by_code_normalised_like_the_intake(api: str) -> None:
    status, body = _search(api, q=" " + h.COMPANY.lower() + " ")
    assert status == 200 and [i["uscc"] for i in body["items"]] == [h.COMPANY]
    status, body = _search(api, q=h.UNKNOWN)
    assert status == 200 and body["items"] == []


def test_region_roll_up_and_pagination(api: str) -> None:
    _, body = _search(api, q="科技", region="350200")
    assert [i["name"] for i in body["items"]] == ["厦门鹭岛科技有限公司"]
    _, body = _search(api, q="有限", region="350100")  # 福州 and its counties, not 平潭
    assert [i["name"] for i in body["items"]] == [h.COMPANY_NAME]
    _, first = _search(api, q="有限", limit="2")
    assert first["total"] == 4 and len(first["items"]) == 2 and first["next_cursor"]
    _, second = _search(api, q="有限", limit="2", cursor=first["next_cursor"])
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    seen = [i["uscc"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted([h.COMPANY, h.OTHER, TECH_XM.uscc, TECH_PT.uscc])


@pytest.mark.parametrize(
    "params",
    [
        {"q": "福"},
        {"q": "科技", "region": "110000"},
        {"q": "科技", "limit": "abc"},
        {"q": "科技", "from": "2026-13-01"},
    ],
)
def test_bad_queries_answer_400_in_chinese(api: str, params: dict[str, str]) -> None:
    status, body = _search(api, **params)
    assert status == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["Message"] + body.get("message", ""))


def test_published_records_grouped_with_publication_date_and_ids_masked(env: Any, api: str) -> None:
    produced = local_date(datetime.now(UTC)) - timedelta(days=1)
    receipt = h.upload_penalty(
        env, "pub.csv", "闽环罚〔2026〕88号", produced.isoformat(), content=f"罚款，当事人身份证号{PERSON_ID}"
    )
    assert receipt["counts"]["accepted"] == 1
    publication.run_publication(env.deps)
    status, page, _ = _get(f"{api}/public/subjects/{h.COMPANY.lower()}")
    assert status == 200 and page["name"] == h.COMPANY_NAME
    penalty = next(g for g in page["groups"] if g["title"] == "行政处罚信息")
    (record,) = penalty["sections"][0]["records"]
    assert record["doc_no"] == "闽环罚〔2026〕88号"
    assert record["published_on"] == local_date(datetime.now(UTC)).isoformat()
    assert PERSON_ID not in json.dumps(page, ensure_ascii=False)
    assert sum(g["count"] for g in page["groups"]) == 1
    _, found = _search(api, q="昌华", category="penalty", **{"from": produced.isoformat()})
    assert [i["uscc"] for i in found["items"]] == [h.COMPANY]
    _, none = _search(api, q="昌华", category="license")
    assert none["items"] == []


def test_unknown_subject_is_404(api: str) -> None:
    status, body, _ = _get(f"{api}/public/subjects/{h.UNKNOWN}")
    assert status == 404


def test_public_routes_are_rate_limited_per_client(env: Any) -> None:
    port = free_port()
    server = serve_api(port, RateLimiter(rate=0.01, burst=3))
    try:
        url = f"http://127.0.0.1:{port}/public/subjects?q=" + urllib.parse.quote("科技")
        statuses = [_get(url)[0] for _ in range(3)]
        status, body, headers = _get(url)
        assert statuses == [200, 200, 200]
        assert status == 429 and "频繁" in body["Message"] and int(headers["Retry-After"]) >= 1
        assert _get(f"http://127.0.0.1:{port}/calendar/deadline?date=2024-09-27&days=7")[0] == 200  # not public
    finally:
        server.shutdown()


def test_fold_is_what_the_index_stores(env: Any) -> None:
    (posting,) = env.deps.tables.registry.names.postings("鹭岛", "", 10)
    assert posting.folded == fold("厦门鹭岛科技有限公司") and posting.uscc == TECH_XM.uscc
