"""``GET /digests``: the supervision digests a jurisdiction received, over real HTTP on the local stack (issue 10).

Two departments miss the publication deadline: ENV (province, 350000) and CITY (Fuzhou, 350100). The day's scan and
notices send one digest to each jurisdiction; each supervisor reads its own, a province-wide one may read Fuzhou's,
Xiamen's may not.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from shared.services import monitor
from shared.timeutil import local_date, utc_now
from tests import helpers as h

pytestmark = pytest.mark.e2e

ON_TIME = "2024-09-03T02:00:00Z"
AS_OF = date(2024, 10, 31)
ENV_DOC, CITY_DOC = "闽环罚〔2024〕811号", "榕环罚〔2024〕812号"
WINDOW = "from=2024-10-01&to=2024-10-31"


def _get(api: str, path: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(api + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def sent(stack: Any) -> Any:
    """One scenario for the module: the day's digests sent (one test adds a claim that was never sent, which no
    listing shows)."""
    stack.reset()
    h.load_registry(stack)
    env = stack
    h.upload_penalty(env, "p.csv", ENV_DOC, "2024-09-02", collected_at=ON_TIME)
    h.upload_penalty(env, "c.csv", CITY_DOC, "2024-09-02", dept=h.CITY_DEPT, collected_at=ON_TIME)
    monitor.run_scan(AS_OF, env.deps)
    assert monitor.send_notices(AS_OF, env.deps).digests == 2
    return env


@pytest.fixture(scope="module")
def api(sent: Any) -> Iterator[str]:
    with h.local_api() as url:
        yield url


def test_each_supervisor_reads_the_digest_sent_to_its_jurisdiction(sent: Any, api: str) -> None:
    status, city = _get(api, f"/digests?{WINDOW}", h.api_token(sent, "supervisor", "350100"))
    assert status == 200, city
    assert (city["jurisdiction"], city["jurisdiction_name"], city["total"]) == ("350100", "福州市", 1)
    (digest,) = city["items"]
    assert (digest["as_of"], digest["level"], digest["level_name"]) == ("2024-10-31", "city", "市级")
    assert digest["breach_count"] == 1 and digest["subject"].startswith("【归集督办】福州市")
    assert CITY_DOC in digest["body"] and ENV_DOC not in digest["body"]

    status, province = _get(api, f"/digests?{WINDOW}", h.api_token(sent, "supervisor"))
    assert status == 200 and province["jurisdiction"] == "350000"
    assert [d["level"] for d in province["items"]] == ["province"]
    assert ENV_DOC in province["items"][0]["body"] and CITY_DOC not in province["items"][0]["body"]


def test_a_wider_jurisdiction_may_read_a_narrower_ones_digests_but_not_the_reverse(sent: Any, api: str) -> None:
    status, body = _get(api, f"/digests?region=350100&{WINDOW}", h.api_token(sent, "auditor"))
    assert status == 200 and [d["level"] for d in body["items"]] == ["city"]
    status, body = _get(api, f"/digests?region=350100&{WINDOW}", h.api_token(sent, "supervisor", "350200"))
    assert status == 403 and "不在您的管辖范围内" in body["Message"]
    status, body = _get(api, f"/digests?{WINDOW}", h.api_token(sent, "department", department=h.ENV_DEPT))
    assert status == 403


def test_only_digests_actually_sent_inside_the_window_are_listed(sent: Any, api: str) -> None:
    token = h.api_token(sent, "supervisor", "350100")
    # A claim whose sender never finished (crashed mid-send) was not received by anyone.
    pk, sk = sent.deps.tables.control.digest_key("350100", "city", date(2024, 10, 30))
    sent.deps.tables.control.put({"pk": pk, "sk": sk, "status": "sending", "lease_until": 0})
    status, body = _get(api, f"/digests?{WINDOW}", token)
    assert status == 200 and [d["as_of"] for d in body["items"]] == ["2024-10-31"]

    status, body = _get(api, "/digests?from=2024-11-01&to=2024-11-30", token)
    assert status == 200 and body["items"] == []

    # No dates: the last 30 days up to today (Asia/Shanghai), which does not reach back to 2024.
    today = local_date(utc_now())
    status, body = _get(api, "/digests", token)
    assert status == 200 and body["items"] == []
    assert (body["from"], body["to"]) == ((today - timedelta(days=29)).isoformat(), today.isoformat())


def test_a_reversed_window_or_a_malformed_region_is_refused_in_chinese(sent: Any, api: str) -> None:
    token = h.api_token(sent, "supervisor")
    status, body = _get(api, "/digests?from=2024-10-31&to=2024-10-01", token)
    assert status == 400 and "起始日期不能晚于截止日期" in body["Message"]
    status, body = _get(api, "/digests?region=35", token)
    assert status == 400 and "region" in body["Message"]
