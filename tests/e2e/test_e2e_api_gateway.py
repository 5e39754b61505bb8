"""The local API answers as API Gateway does (issue 9, item 3), over real HTTP on the local stack.

Unknown routes and methods, oversized bodies, Chalice's own refusals and faults all answer JSON with a Chinese
message; requests are served concurrently; ``GET /openapi.json`` is a valid OpenAPI 3 document of every route.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared.ledger import record_id
from tests import helpers as h

pytestmark = pytest.mark.e2e


def _call(
    url: str, *, method: str = "GET", token: str | None = None, data: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], Any]:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            raw, status, got = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raw, status, got = exc.read(), exc.code, dict(exc.headers)
    kind = got.get("Content-Type", "")
    return status, got, json.loads(raw) if "json" in kind else raw


def _chinese(body: Any) -> bool:
    return isinstance(body, dict) and any("\u4e00" <= ch <= "\u9fff" for ch in str(body.get("Message", "")))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/no/such/route"),
        ("GET", "/breaches/extra/segments/here"),
        ("DELETE", "/breaches"),  # a path that exists, a method that does not
        ("PUT", "/health"),
        ("POST", "/public/subjects"),
    ],
)
def test_no_such_route_or_method_is_a_json_404_in_chinese(env: Any, api: str, method: str, path: str) -> None:
    for token in (None, h.api_token(env)):
        status, headers, body = _call(api + path, method=method, token=token, data=b"{}" if method != "GET" else None)
        assert status == 404, (method, path, body)
        assert _chinese(body) and body["Code"] == "NotFoundError"
        assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_a_body_over_the_gateway_limit_is_refused_unread_with_413(env: Any, api: str) -> None:
    from infra.local_gateway import MAX_REQUEST_BYTES

    big = b"x" * (MAX_REQUEST_BYTES + 1)
    status, _, body = _call(
        api + "/uploads", method="POST", token=h.api_token(env, "department", department=h.ENV_DEPT), data=big
    )
    assert status == 413 and _chinese(body), body


def test_a_json_body_over_the_route_limit_is_413(env: Any, api: str) -> None:
    from functions.errors import MAX_BODY_BYTES

    token = h.api_token(env, "supervisor")
    note = "督" * (MAX_BODY_BYTES // 3 + 10)  # three bytes each in UTF-8
    data = json.dumps({"note": note}, ensure_ascii=False).encode("utf-8")
    status, _, body = _call(
        api + "/breaches/x/ack", method="POST", token=token, data=data, **{"Content-Type": "application/json"}
    )
    assert status == 413 and _chinese(body), body
    small = json.dumps({"note": "已督办"}, ensure_ascii=False).encode("utf-8")
    status, _, body = _call(
        api + "/breaches/x/ack", method="POST", token=token, data=small, **{"Content-Type": "application/json"}
    )
    assert status == 404 and _chinese(body)  # within the limit: the route ran (no such breach)


def test_chalice_refusals_answer_in_chinese(env: Any, api: str) -> None:
    token = h.api_token(env, "supervisor")
    status, _, body = _call(
        api + "/breaches/x/ack", method="POST", token=token, data=b"note", **{"Content-Type": "text/plain"}
    )
    assert status == 415 and _chinese(body), body
    h.upload_penalty(env, "a.csv", "闽环罚〔2024〕801号", "2024-09-27")
    evidence = f"{api}/records/{urllib.request.quote(record_id(h.ENV_DEPT, 'penalty', '闽环罚〔2024〕801号'))}/evidence"
    status, _, body = _call(evidence, token=h.api_token(env))  # a zip, but no Accept header asking for one
    assert status == 400 and _chinese(body), body
    status, headers, _ = _call(evidence, token=h.api_token(env), Accept="application/zip")
    assert status == 200 and headers["Content-Type"] == "application/zip"


def test_a_route_that_fails_answers_500_json_in_chinese(env: Any, api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.services import queries

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(queries, "caller", broken)
    status, _, body = _call(api + "/me", token=h.api_token(env))
    assert status == 500 and _chinese(body) and "disk" not in json.dumps(body), body


def test_a_slow_client_does_not_hold_up_other_requests(env: Any, api: str) -> None:
    host, port = api.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        status, _, body = _call(api + "/health")  # a one-request-at-a-time server would wait here forever
        assert status == 200 and body == {"ok": True}


def test_concurrent_requests_each_see_their_own_caller(env: Any, api: str) -> None:
    callers = [("auditor", "350000", None), ("supervisor", "350100", None), ("department", "350000", h.ENV_DEPT)]
    tokens = [(role, region, dept, h.api_token(env, role, region, dept)) for role, region, dept in callers] * 8

    def me(item: tuple[str, str, str | None, str]) -> tuple[tuple[str, str, str | None], tuple[Any, Any, Any]]:
        role, region, dept, token = item
        status, _, body = _call(api + "/me", token=token)
        assert status == 200, body
        return (role, region, dept), (body["role"], body["region"], body["department"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        for expected, got in pool.map(me, tokens):
            assert got == expected


def test_openapi_document_is_valid_and_lists_every_route(env: Any, api: str) -> None:
    from openapi_spec_validator import validate

    from functions.app import app

    status, _, doc = _call(api + "/openapi.json")  # public: no token
    assert status == 200
    validate(doc)
    listed = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    served = {(m, path) for path, methods in app.routes.items() for m in methods}
    assert listed == served
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and any("\u4e00" <= ch <= "\u9fff" for ch in op["summary"]), (method, path)
            assert (op["security"] == []) == (op["x-guiji-roles"] == []), (method, path)
    # the parameters are those the routes validate with
    deadline = {p["name"]: p for p in doc["paths"]["/calendar/deadline"]["get"]["parameters"]}
    assert deadline["date"]["required"] and not deadline["days"]["required"]
    breaches = {p["name"] for p in doc["paths"]["/breaches"]["get"]["parameters"]}
    assert {"region", "department", "category", "kind", "status", "from", "to", "cursor", "limit"} <= breaches
    ack = doc["paths"]["/breaches/{breach_id}/ack"]["post"]
    schema = doc["components"]["schemas"][ack["requestBody"]["content"]["application/json"]["schema"]["$ref"][21:]]
    assert schema["required"] == ["note"]
