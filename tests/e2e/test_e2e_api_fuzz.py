"""Every route's parameters and bodies, fuzzed over real HTTP on the local stack (issue 9, item 7).

Whatever the path parameters, query string, body and token, the API answers: never a 5xx, and every refusal is
JSON with a Chinese message. CI runs a few hundred derandomised examples (tests/conftest.py's "ci" profile);
``GUIJI_FUZZ_EXAMPLES=N`` explores more.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import functions.app  # noqa: F401 - registers every route (and its description)
from functions.errors import ROUTES
from shared.openapi import RouteDoc
from tests import helpers as h

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("GUIJI_FUZZ_EXAMPLES", "300"))
API_ROUTES = [r for r in ROUTES if not r.path.startswith("/console")]
CALLERS = ("auditor", "supervisor", "regulator", "department", "none", "garbage")

_text = st.text(max_size=40)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


def _field_names(route: RouteDoc) -> list[str]:
    names: list[str] = []
    for model in (route.query, route.body):
        if model is not None:
            names += [f.alias or name for name, f in model.model_fields.items()]
    return names


@st.composite
def requests(draw: st.DrawFn) -> tuple[RouteDoc, str, bytes | None, str]:
    route = draw(st.sampled_from(API_ROUTES))
    path = re.sub(r"{[^}]+}", lambda _: urllib.parse.quote(draw(_text) or "x", safe=""), route.path)
    names = _field_names(route) + ["x"]
    query = draw(st.dictionaries(st.sampled_from(names) | _text, _text | st.sampled_from(["-1", "0", "9" * 30])))
    url = path + ("?" + urllib.parse.urlencode(query) if query else "")
    body: bytes | None = None
    if route.method == "POST":
        body = draw(
            st.one_of(
                st.fixed_dictionaries({}, optional=dict.fromkeys(names, _json)).map(lambda d: json.dumps(d).encode()),
                _json.map(lambda v: json.dumps(v).encode()),
                st.binary(max_size=64),
            )
        )
    return route, url, body, draw(st.sampled_from(CALLERS))


@pytest.fixture(scope="module")
def world(stack: Any) -> Iterator[tuple[str, dict[str, str | None]]]:
    from infra.localrun import free_port, serve_api
    from shared.ratelimit import RateLimiter

    stack.reset()
    h.load_registry(stack)
    h.upload_penalty(stack, "a.csv", "闽环罚〔2024〕901号", "2024-09-27")
    tokens: dict[str, str | None] = {
        role: h.api_token(stack, role, department=h.ENV_DEPT if role == "department" else None)
        for role in ("auditor", "supervisor", "regulator", "department")
    }
    tokens["none"] = None
    tokens["garbage"] = "not.a.token"
    port = free_port()
    server = serve_api(port, RateLimiter(rate=10_000, burst=10_000))  # the fuzzer is not a throttled client
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        server.shutdown()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests())
def test_no_route_answers_a_fault_whatever_it_is_sent(
    world: tuple[str, dict[str, str | None]], request: tuple[RouteDoc, str, bytes | None, str]
) -> None:
    base, tokens = world
    route, url, body, caller = request
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if tokens[caller]:
        headers["Authorization"] = f"Bearer {tokens[caller]}"
    call = urllib.request.Request(base + url, data=body, method=route.method, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=60) as resp:
            status, kind, raw = resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        status, kind, raw = exc.code, exc.headers.get("Content-Type", ""), exc.read()
    assert status < 500, (route.method, url, body, caller, raw[:300])
    if status >= 400:
        assert "json" in kind, (url, kind)
        message = json.loads(raw).get("Message", "")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), (route.method, url, raw[:300])
