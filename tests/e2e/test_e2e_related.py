"""Cross-region association (issue 11 §4): ``GET /subjects/{code}/related`` over real HTTP on the local stack.

One enterprise of 福州 is on record with departments of 福州, 厦门 and 泉州; its legal representative 陈明华 also
represents two more subjects (one known from the register by name, one from a record with the same masked ID
number), while a third subject's 陈明华 has another ID number and is a namesake, not the same person.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from shared.identifiers import id_number_check_char
from shared.ledger import record_id
from shared.registry import Department, Subject
from tests import helpers as h

pytestmark = pytest.mark.e2e

ON_TIME = "2026-11-02T02:00:00Z"
PRODUCED = "2026-10-30"
XM_DEPT = h.valid_uscc("11350200" + "MB0350200")  # 厦门市生态环境局
QZ_DEPT = h.valid_uscc("11350582" + "MB0350582")  # 晋江市生态环境局
SAME_ID = "35010219800101123" + id_number_check_char("35010219800101123")
OTHER_ID = "35020319790505456" + id_number_check_char("35020319790505456")
REP = "陈明华"
BY_REGISTER = h.OTHER  # the register names 陈明华 as its representative (no ID there)
BY_RECORD = h.valid_uscc("91350104" + "MA2Y00071")  # a record names 陈明华 with the same ID number
NAMESAKE = h.valid_uscc("91350105" + "MA2Y00062")  # a record names a 陈明华 with another ID number
HEADERS = [*h.PENALTY_HEADERS, "法定代表人", "法定代表人证件号码"]


def _get(api: str, path: str, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(api + path, headers=headers)) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _upload(stack: Any, dept: str, doc_no: str, code: str, name: str, rep: str = "", rep_id: str = "") -> str:
    row = [*h.penalty_row(doc_no, PRODUCED, code=code, name=name), rep, rep_id]
    receipt = stack.upload(
        dept, "penalty", f"{len(doc_no)}{doc_no[-4:]}.csv", h.csv_bytes([row], HEADERS), collected_at=ON_TIME
    )
    assert receipt["counts"]["accepted"] == 1, receipt
    return record_id(dept, "penalty", doc_no)


@pytest.fixture(scope="module")
def world(stack: Any) -> Any:
    """One scenario for the module (the tests only read it): a reset stack, the registry, the uploads."""
    stack.reset()
    h.load_registry(stack)
    env = stack
    registry = env.deps.tables.registry
    registry.put_departments(
        [
            *h.departments(),
            Department(code=XM_DEPT, name="厦门市生态环境局", region_code="350200", level="city"),
            Department(code=QZ_DEPT, name="晋江市生态环境局", region_code="350582", level="county"),
        ]
    )
    registry.put_subjects(
        [
            Subject(uscc=h.COMPANY, name=h.COMPANY_NAME, region_code="350102"),
            Subject(uscc=BY_REGISTER, name=h.OTHER_NAME, region_code="350205", legal_rep=REP),
            Subject(uscc=BY_RECORD, name="福州明华贸易有限公司", region_code="350104"),
            Subject(uscc=NAMESAKE, name="福州华明食品有限公司", region_code="350105"),
        ]
    )
    ids = {
        "fuzhou": _upload(env, h.CITY_DEPT, "榕环罚〔2026〕11号", h.COMPANY, h.COMPANY_NAME, REP, SAME_ID),
        "xiamen": _upload(env, XM_DEPT, "厦环罚〔2026〕12号", h.COMPANY, h.COMPANY_NAME),
        "jinjiang": _upload(env, QZ_DEPT, "晋环罚〔2026〕13号", h.COMPANY, h.COMPANY_NAME),
    }
    _upload(env, h.ENV_DEPT, "闽环罚〔2026〕14号", BY_RECORD, "福州明华贸易有限公司", REP, SAME_ID)
    _upload(env, h.ENV_DEPT, "闽环罚〔2026〕15号", NAMESAKE, "福州华明食品有限公司", REP, OTHER_ID)
    _upload(env, h.ENV_DEPT, "闽环罚〔2026〕16号", h.OTHER, h.OTHER_NAME)  # another subject: not the company's
    env.ids = ids
    return env


@pytest.fixture(scope="module")
def api(world: Any) -> Iterator[str]:
    with h.local_api() as url:
        yield url


def test_a_supervisor_sees_the_subject_in_other_regions_and_who_shares_its_representative(world: Any, api: str) -> None:
    status, body = _get(api, f"/subjects/{h.COMPANY}/related", h.api_token(world, "supervisor", "350100"))
    assert status == 200, body
    assert (body["uscc"], body["subject_name"], body["records"], body["other_region_records"]) == (
        h.COMPANY,
        h.COMPANY_NAME,
        3,
        2,
    )
    by_city = {r["city"]: r for r in body["regions"]}
    assert set(by_city) == {"350100", "350200", "350500"}
    assert [by_city[c]["other_region"] for c in ("350100", "350200", "350500")] == [False, True, True]
    jinjiang = by_city["350500"]["departments"]
    assert [(d["department_name"], [r["record_id"] for r in d["records"]]) for d in jinjiang] == [
        ("晋江市生态环境局", [world.ids["jinjiang"]])
    ]
    assert jinjiang[0]["records"][0]["region_name"] == "晋江市" and jinjiang[0]["records"][0]["other_region"] is True
    assert body["legal_rep"] == [REP]
    assert [(s["uscc"], s["basis"]) for s in body["shared_legal_rep"]] == [
        (BY_RECORD, "姓名及证件号码（脱敏后）一致"),
        (BY_REGISTER, "姓名一致"),
    ]
    text = json.dumps(body, ensure_ascii=False)
    assert NAMESAKE not in text  # same name, another ID number: another person
    assert SAME_ID not in text and SAME_ID[-4:] not in text  # no ID number, not even masked


def test_a_province_wide_reader_sees_nothing_as_another_region_and_an_unknown_code_is_empty(
    world: Any, api: str
) -> None:
    status, body = _get(api, f"/subjects/{h.COMPANY.lower()}/related", h.api_token(world, "auditor"))
    assert status == 200 and body["records"] == 3 and body["other_region_records"] == 0
    status, body = _get(
        api, f"/subjects/{h.valid_uscc('91350102' + 'MA2Y00099')}/related", h.api_token(world, "auditor")
    )
    assert status == 200 and (body["records"], body["regions"], body["shared_legal_rep"]) == (0, [], [])


def test_bad_codes_and_other_callers_are_refused(world: Any, api: str) -> None:
    status, body = _get(api, "/subjects/12345/related", h.api_token(world, "supervisor"))
    assert status == 400 and "不是有效的统一社会信用代码或注册号" in body["Message"]
    bad_check = h.COMPANY[:-1] + ("0" if h.COMPANY[-1] != "0" else "1")
    assert _get(api, f"/subjects/{bad_check}/related", h.api_token(world, "supervisor"))[0] == 400
    assert (
        _get(api, f"/subjects/{h.COMPANY}/related", h.api_token(world, "department", department=h.ENV_DEPT))[0] == 403
    )
    assert _get(api, f"/subjects/{h.COMPANY}/related", None)[0] == 401
