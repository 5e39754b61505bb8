"""API tokens over real HTTP on the local stack: ``guiji token issue|revoke|rotate`` and the authorizer in front of
the routes (the local API runs it the way API Gateway does)."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from infra.localrun import free_port, serve_api
from tests import helpers as h

pytestmark = pytest.mark.e2e

PRIVATE = "/breaches"  # any route behind the authorizer; an auditor of the province may read it


@pytest.fixture
def api(stack: Any) -> Iterator[str]:
    stack.reset()  # provisioned afresh, not truncated: a test here rotates the signing keys (a secret, not data)
    port = free_port()
    server = serve_api(port, authorizer_cache_seconds=0)  # every call reaches the authorizer
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def _call(url: str, token: str | None = None, *, header: str | None = None) -> tuple[int, dict[str, Any], str]:
    headers = {"Authorization": header if header is not None else f"Bearer {token}"} if token or header else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as resp:
            return resp.status, json.loads(resp.read()), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
        body["_gateway"] = exc.headers.get("x-amzn-ErrorType", "")  # set by the gateway, never by a route
        return exc.code, body, exc.headers.get("Content-Type", "")


def _cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    from infra.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _issue(capsys: Any, *extra: str) -> dict[str, Any]:
    code, out, _ = _cli(capsys, "token", "issue", "--role", "auditor", "--json", *extra)
    assert code == 0
    issued: dict[str, Any] = json.loads(out)
    return issued


def _refused(status: int, body: dict[str, Any]) -> bool:
    """The authorizer's 401: JSON with a Chinese message (the deployed API's gateway response)."""
    refused = status == 401 and body["_gateway"] == "UnauthorizedException"
    return refused and body["Code"] == "UnauthorizedError" and "访问令牌" in body["Message"]


def test_a_token_from_guiji_token_issue_opens_private_routes(api: str, capsys: Any) -> None:
    code, out, err = _cli(capsys, "token", "issue", "--role", "auditor", "--days", "2")
    assert code == 0
    token = out.strip()
    assert token.count(".") == 2 and "\n" not in token  # only the token on stdout: TOKEN=$(guiji token issue …)
    assert "token id " in err
    status, body, kind = _call(api + PRIVATE, token)
    assert status == 200 and "items" in body and kind.startswith("application/json")
    # the alias the README and the demo use, and the deployment form (names derived from the stage)
    code, out, _ = _cli(capsys, "local", "token", "--role", "supervisor", "--region", "350100")
    assert code == 0 and _call(api + PRIVATE, out.strip())[0] == 200
    issued = _issue(capsys, "--stage", "local")
    assert _call(api + PRIVATE, issued["token"])[0] == 200
    claims = json.loads(base64.urlsafe_b64decode(issued["token"].split(".")[1] + "=="))
    assert claims["jti"] == issued["id"] and claims["exp"] - claims["iat"] == 86400


def test_no_token_or_a_malformed_header_is_refused_before_the_route(api: str) -> None:
    for header in (None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt"):
        status, body, kind = _call(api + PRIVATE, header=header)
        assert _refused(status, body), header
        assert kind.startswith("application/json")


def test_revoked_token_is_refused(api: str, capsys: Any) -> None:
    issued = _issue(capsys)
    assert _call(api + PRIVATE, issued["token"])[0] == 200
    code, out, err = _cli(capsys, "token", "revoke", issued["id"], "--reason", "离职")
    assert code == 0 and issued["id"] in out and "300 s" in err
    assert _refused(*_call(api + PRIVATE, issued["token"])[:2])
    # revoking by the token itself works too (no issuance record needed)
    other = _issue(capsys)
    assert _cli(capsys, "token", "revoke", other["token"])[0] == 0
    assert _refused(*_call(api + PRIVATE, other["token"])[:2])
    code, _, err = _cli(capsys, "token", "revoke", "0123456789abcdef")  # a mistyped id is said to be unknown
    assert code == 0 and "no token with this id" in err


def test_the_deny_list_entry_expires_with_the_token(clean_stack: Any, capsys: Any) -> None:
    issued = _issue(capsys, "--hours", "2")
    assert _cli(capsys, "token", "revoke", issued["id"])[0] == 0
    entry = clean_stack.deps.tables.control.get("TOKEN_REVOKED", issued["id"])
    claims = json.loads(base64.urlsafe_b64decode(issued["token"].split(".")[1] + "=="))
    assert entry is not None and entry["expires_at"] == claims["exp"]  # the control table's TTL attribute
    ttl = clean_stack.deps.tables.control.table._ddb.describe_time_to_live(TableName=clean_stack.env["CONTROL_TABLE"])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"


def test_expired_and_not_yet_valid_tokens_are_refused(api: str, clean_stack: Any) -> None:
    expired = h.api_token(clean_stack, ttl_seconds=600, now=time.time() - 3600)
    assert _refused(*_call(api + PRIVATE, expired)[:2])
    future = h.api_token(clean_stack, ttl_seconds=600, now=time.time() + 3600)
    assert _refused(*_call(api + PRIVATE, future)[:2])


def test_tampered_tokens_are_refused(api: str, clean_stack: Any) -> None:
    token = h.api_token(clean_stack, "supervisor", region="350200")
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["region"] = "350000"  # a Xiamen supervisor making itself provincial
    widened = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert _refused(*_call(api + PRIVATE, f"{head}.{widened}.{sig}")[:2])
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    assert _refused(*_call(api + PRIVATE, f"{head}.{body}.{flipped}")[:2])
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    unsigned_head = base64.urlsafe_b64encode(json.dumps({**header, "alg": "none"}).encode()).decode().rstrip("=")
    assert _refused(*_call(api + PRIVATE, f"{unsigned_head}.{body}.")[:2])


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_kid(api: str, capsys: Any) -> None:
    old = _issue(capsys)
    code, out, _ = _cli(capsys, "token", "rotate")
    assert code == 0 and f"still verifying: {old['kid']}" in out
    new = _issue(capsys)
    assert new["kid"] != old["kid"] and out.startswith(f"current kid {new['kid']}")
    assert _call(api + PRIVATE, old["token"])[0] == 200
    assert _call(api + PRIVATE, new["token"])[0] == 200


def test_a_warm_authorizer_picks_up_a_key_rotated_elsewhere(api: str, clean_stack: Any) -> None:
    from shared.adapters.aws import client
    from shared.auth import KeySet, issue_token

    assert _call(api + PRIVATE, h.api_token(clean_stack))[0] == 200  # the authorizer now holds the key set
    secret = clean_stack.env["GUIJI_TOKEN_SECRET_ARN"]
    sm = client("secretsmanager")
    rotated = KeySet.parse(sm.get_secret_value(SecretId=secret)["SecretString"]).rotated()
    sm.put_secret_value(SecretId=secret, SecretString=rotated.to_json())  # another machine ran `guiji token rotate`
    token = issue_token(rotated, "auditor").token
    time.sleep(1.1)  # an unknown kid re-reads the secret, at most once a second
    assert _call(api + PRIVATE, token)[0] == 200


def test_revocation_takes_effect_when_the_authorizer_cache_expires(clean_stack: Any) -> None:
    from shared.services.tokens import TokenService

    port = free_port()
    server = serve_api(port, authorizer_cache_seconds=2)  # deployed: 300 s (functions/app.py)
    try:
        url = f"http://127.0.0.1:{port}{PRIVATE}"
        token = h.api_token(clean_stack)
        assert _call(url, token)[0] == 200
        service = TokenService.for_names(clean_stack.env["GUIJI_TOKEN_SECRET_ARN"], clean_stack.env["CONTROL_TABLE"])
        service.revoke(token)
        assert _call(url, token)[0] == 200  # API Gateway answers from its cache until the TTL runs out
        time.sleep(2.2)
        assert _refused(*_call(url, token)[:2])
    finally:
        server.shutdown()


def test_public_routes_need_no_token_and_ignore_a_bad_one(api: str) -> None:
    for path in ("/health", "/calendar/deadline?date=2024-09-27&days=7", "/public/subjects?q=abc"):
        assert _call(api + path)[0] == 200, path
        assert _call(api + path, "forged.token.here")[0] == 200, path


def test_token_commands_explain_what_is_missing(capsys: Any, monkeypatch: Any, tmp_path: Any) -> None:
    import infra.cli as cli

    monkeypatch.setattr(cli, "STATE_FILE", tmp_path / "none.json")
    monkeypatch.delenv("GUIJI_TOKEN_SECRET_ARN", raising=False)
    code, _, err = _cli(capsys, "token", "issue", "--role", "auditor")
    assert code == 2 and "--stage" in err
    code, _, err = _cli(capsys, "token", "issue", "--role", "department", "--stage", "local")
    assert code == 2 and "department" in err


def test_an_authorizer_that_cannot_read_its_keys_fails_closed(api: str, clean_stack: Any, monkeypatch: Any) -> None:
    from shared.settings import get_settings

    token = h.api_token(clean_stack)
    monkeypatch.setenv("GUIJI_TOKEN_SECRET_ARN", "guiji-local-no-such-secret")
    get_settings.cache_clear()
    try:
        status, body, _ = _call(api + PRIVATE, token)
        assert status == 500 and body["_gateway"] == "AuthorizerConfigurationException"
        assert "身份验证服务暂时不可用" in body["Message"]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
