"""Every route × every kind of caller, over real HTTP on the local stack (issue 9, item 7).

The expectations are written by hand from the README's role rules ("HTTP API"): every route except the calendar
and the public ones needs a token; a province-wide role (350000) sees the whole province, a city its city and
counties; departments see only their own records; only supervisors acknowledge, only regulators attribute held
records, only auditors verify the audit trail. Readings where the README is silent are marked below.

Data: department ENV (province level, 350000) has an overdue record R with an open breach B, and a held record H
(unknown subject); a bulletin for Fuzhou (350100) exists for 2024-09.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from infra.localrun import free_port, serve_api
from shared.ledger import record_id
from tests import helpers as h

pytestmark = pytest.mark.e2e

ON_TIME = "2024-10-12T15:30:00Z"
R_DOC, H_DOC = "闽环罚〔2024〕701号", "闽环罚〔2024〕702号"
R = record_id(h.ENV_DEPT, "penalty", R_DOC)
H = record_id(h.ENV_DEPT, "penalty", H_DOC)
B = f"publication_overdue:{R}"
XIAMEN = "350200"

CALLERS = ("department", "regulator", "supervisor", "auditor", "none", "expired", "revoked", "tampered", "out", "other")
# department  ENV's own department token         none      no Authorization header
# regulator / supervisor / auditor: province-wide  expired / revoked / tampered: a token of the route's allowed role
# out         a role the route admits (a regional one where possible), but of Xiamen (350200)
# other       another department (Fuzhou's environment bureau, CITY_DEPT)
# "200-" = 200, and the answer must not contain the fixture's item of another jurisdiction.
MATRIX = """
GET  /breaches                        200 200 200 200 401 401 401 401 200- 200-
GET  /records/{record_id}             200 200 200 200 401 401 401 401 403  403
POST /breaches/{breach_id}/ack        403 403 200 403 401 401 401 401 403  403
GET  /held                            403 200 200 200 401 401 401 401 200- 403
POST /records/{record_id}/attribute   403 200 403 403 401 401 401 401 403  403
GET  /departments/{code}/scorecard    200 200 200 200 401 401 401 401 403  403
GET  /bulletins                       200 200 200 200 401 401 401 401 200- 200
GET  /bulletins/{scope}/{period}      200 200 200 200 401 401 401 401 403  200
GET  /audit/verify                    403 403 403 200 401 401 401 401 200  403
GET  /calendar/deadline               200 200 200 200 200 200 200 200 200  200
GET  /public/subjects                 200 200 200 200 200 200 200 200 200  200
GET  /public/subjects/{code}          200 200 200 200 200 200 200 200 200  200
GET  /health                          200 200 200 200 200 200 200 200 200  200
GET  /openapi.json                    200 200 200 200 200 200 200 200 200  200
GET  /records/{record_id}/evidence    200 200 200 200 401 401 401 401 403  403
GET  /digests                         403 200 200 200 401 401 401 401 200- 403
GET  /subjects/{code}/related          403 200 200 200 401 401 401 401 200  403
GET  /subscriptions                   200 200 200 200 401 401 401 401 200- 200-
POST /subscriptions                   201 403 403 403 401 401 401 401 403  201
DELETE /subscriptions/{subscription_id} 404 403 403 403 401 401 401 401 404 404
GET  /me                              200 200 200 200 401 401 401 401 200  200
POST /uploads                         200 403 403 403 401 401 401 401 200  200
GET  /uploads                         200 403 403 403 401 401 401 401 200  200-
GET  /uploads/receipt                 200 403 403 403 401 401 401 401 200  200-
GET  /uploads/rejects                 200 403 403 403 401 401 401 401 200  404
GET  /console                         200 200 200 200 200 200 200 200 200  200
GET  /console/{name}                  200 200 200 200 200 200 200 200 200  200
GET  /console/static/{name}           200 200 200 200 200 200 200 200 200  200
"""
# Readings where the README says nothing explicit:
# * GET /held is the regulator's work queue; supervisors and auditors read it within their jurisdiction, a
#   department does not (it learns of its held rows from its receipts).
# * Bulletins (通报) name and rank departments so that they act: departments read those of their region.
# * Verifying the audit trail is not scoped by region: any auditor checks the whole chain.
# * The upload routes are a department's own folder: its code decides, not the token's region ("out" is ENV's
#   department token with a Xiamen region); another department sees its own (empty) folder, never ENV's files.
# * Digests are addressed to supervisors; the regulator and auditors read those of their jurisdiction too, a
#   department receives none (its own breaches are on its workbench).
# * GET /subjects/{code}/related shows other regions' records on purpose (cross-region association): a Xiamen
#   supervisor or auditor gets the subject's records wherever they are; departments do not use it.
# * Subscriptions (同级推送) are a department's own: it subscribes and removes its own; the other roles list those
#   of departments in their jurisdiction. The tokens of a path are made for its first line's role, so "out" on
#   POST /subscriptions is a Xiamen auditor (403). DELETE names a subscription nobody has: a department gets past
#   the role check to 404, and never learns whether another department's id exists.
# * The console's pages and assets are public: they hold no data and call the API with the signed-in token.

URLS = {
    "/breaches": "/breaches",
    "/records/{record_id}": f"/records/{urllib.request.quote(R)}",
    "/breaches/{breach_id}/ack": f"/breaches/{urllib.request.quote(B)}/ack",
    "/held": "/held",
    "/records/{record_id}/attribute": f"/records/{urllib.request.quote(H)}/attribute",
    "/departments/{code}/scorecard": f"/departments/{h.ENV_DEPT}/scorecard?period=2024-09",
    "/bulletins": "/bulletins",
    "/bulletins/{scope}/{period}": "/bulletins/350100/2024-09",
    "/audit/verify": "/audit/verify",
    "/calendar/deadline": "/calendar/deadline?date=2024-09-27&days=7",
    "/public/subjects": f"/public/subjects?q={urllib.request.quote(h.COMPANY_NAME)}",
    "/public/subjects/{code}": f"/public/subjects/{h.COMPANY}",
    "/health": "/health",
    "/openapi.json": "/openapi.json",
    "/records/{record_id}/evidence": f"/records/{urllib.request.quote(R)}/evidence",
    "/me": "/me",
    "/digests": "/digests?from=2024-10-01&to=2024-10-31",
    "/subscriptions": "/subscriptions",
    "/subjects/{code}/related": f"/subjects/{h.COMPANY}/related",
    "/subscriptions/{subscription_id}": "/subscriptions/0000000000000000",
    "/uploads": "/uploads",
    "/uploads/receipt": "/uploads/receipt?category=penalty&file_name=r.csv",
    "/uploads/rejects": "/uploads/rejects?category=penalty&file_name=bad.csv",
    "/console": "/console",
    "/console/{name}": "/console/login",
    "/console/static/{name}": "/console/static/console.js",
}
BODIES = {
    "/breaches/{breach_id}/ack": {"note": "已督办", "as_of": "2024-10-31"},
    "/records/{record_id}/attribute": {"uscc": h.COMPANY},
    "/uploads": {"category": "penalty", "file_name": "a.csv", "size": 100},
    "/subscriptions": {"categories": ["serious_violation"], "endpoint": "duty@example.cn", "protocol": "email"},
}
# Binary answers are served only to a caller that asks for them (API Gateway's binary media types).
ACCEPT = {"/records/{record_id}/evidence": "application/zip"}
# What a caller of another jurisdiction must not find in a 200 answer ("200-").
HIDDEN = {
    "/breaches": B,
    "/held": H,
    "/bulletins": "bulletins/350100/",
    "/digests": "【归集督办】",
    "/subscriptions": "province-duty@example.cn",  # the province bureau's subscription
    "/uploads": f"incoming/{h.ENV_DEPT}/",
    "/uploads/receipt": f"incoming/{h.ENV_DEPT}/",
}


@dataclass(frozen=True)
class Cell:
    method: str
    route: str
    caller: str
    status: int
    hides: bool


def _cells() -> list[Cell]:
    cells = []
    for line in MATRIX.strip().splitlines():
        method, route, *expected = line.split()
        assert len(expected) == len(CALLERS), line
        for caller, text in zip(CALLERS, expected, strict=True):
            cells.append(Cell(method, route, caller, int(text.rstrip("-")), text.endswith("-")))
    return cells


CELLS = _cells()


def _allowed_role(route: str) -> str:
    """A role that gets 200 on a route, a regional one first (bad and out-of-jurisdiction tokens are made of it;
    a department's reach is its code, not a region)."""
    cells = next(line.split()[2:6] for line in MATRIX.strip().splitlines() if line.split()[1] == route)
    row = dict(zip(CALLERS[:4], cells, strict=True))
    return next(
        role for role in ("auditor", "supervisor", "regulator", "department") if row[role][:3] not in ("401", "403")
    )


@dataclass
class World:
    url: str
    tokens: dict[tuple[str, str], str | None]


def _tamper(token: str) -> str:
    """Widen a Xiamen token to the whole province, keeping its signature."""
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["region"] = "350000"
    return f"{head}.{base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip('=')}.{sig}"


@pytest.fixture(scope="module")
def world(stack: Any) -> Iterator[World]:
    from shared.services import bulletins, monitor
    from shared.services.tokens import TokenService

    stack.reset()
    h.load_registry(stack)
    h.upload_penalty(stack, "r.csv", R_DOC, "2024-09-27", collected_at=ON_TIME)
    h.upload_penalty(stack, "h.csv", H_DOC, "2024-09-27", name="无名商行", code=h.UNKNOWN, collected_at=ON_TIME)
    rejected = h.penalty_row("闽环罚〔2024〕703号", "2024-09-27", code="123")
    assert stack.upload(h.ENV_DEPT, "penalty", "bad.csv", h.csv_bytes([rejected]))["counts"]["rejected"] == 1
    monitor.run_scan(date(2024, 10, 31), stack.deps)
    assert monitor.send_notices(date(2024, 10, 31), stack.deps).digests  # the province's digest (ENV is provincial)
    bulletins.run_on_demand(date(2024, 10, 31), stack.deps, period="2024-09", scope="350100")
    from shared.services import sharing
    from shared.sharing import SubscriptionRequest

    for dept, duty in ((h.ENV_DEPT, "province-duty@example.cn"), (h.CITY_DEPT, "fuzhou-duty@example.cn")):
        sharing.subscribe(dept, SubscriptionRequest(endpoint=duty, protocol="email"), "test", stack.deps)
    assert stack.deps.tables.breaches.get(B) is not None and stack.deps.tables.records.get(H).held

    service = TokenService.for_names(stack.env["GUIJI_TOKEN_SECRET_ARN"], stack.env["CONTROL_TABLE"])

    def issue(role: str, region: str = "350000", department: str | None = None, **kw: Any) -> str:
        return service.issue(role, region=region, department=department, ttl_seconds=3600, **kw).token

    tokens: dict[tuple[str, str], str | None] = {}
    for route in URLS:
        role = _allowed_role(route)
        department = h.ENV_DEPT if role == "department" else None
        revoked = issue(role, department=department)
        service.revoke(revoked)
        tokens[(route, "department")] = issue("department", department=h.ENV_DEPT)
        for name in ("regulator", "supervisor", "auditor"):
            tokens[(route, name)] = issue(name)
        tokens[(route, "none")] = None
        tokens[(route, "expired")] = issue(role, department=department, now=time.time() - 7200)
        tokens[(route, "revoked")] = revoked
        tokens[(route, "tampered")] = _tamper(issue(role, XIAMEN, department=department))
        tokens[(route, "out")] = issue(role, XIAMEN, department=department)
        tokens[(route, "other")] = issue("department", "350100", department=h.CITY_DEPT)
    port = free_port()
    server = serve_api(port)  # the deployed authorizer cache TTL
    try:
        yield World(f"http://127.0.0.1:{port}", tokens)
    finally:
        server.shutdown()


def _request(world: World, cell: Cell) -> tuple[int, Any, str]:
    token = world.tokens[(cell.route, cell.caller)]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if cell.route in ACCEPT:
        headers["Accept"] = ACCEPT[cell.route]
    data = None
    if cell.method == "POST":
        data = json.dumps(BODIES[cell.route]).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(world.url + URLS[cell.route], data=data, method=cell.method, headers=headers)
    try:
        with urllib.request.urlopen(request) as resp:
            raw = resp.read()
            json_body = "json" in resp.headers.get("Content-Type", "")
            return resp.status, json.loads(raw) if json_body else raw.decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers.get("x-amzn-ErrorType", "")


def test_the_matrix_covers_every_route() -> None:
    from functions.app import app

    served = {(m, path) for path, methods in app.routes.items() for m in methods if m != "OPTIONS"}
    assert served == {(c.method, c.route) for c in CELLS}


def test_the_api_document_lists_the_roles_the_matrix_admits() -> None:
    """GET /openapi.json names, per route, exactly the roles that are not refused (403/401) in the matrix."""
    from functions.errors import ROUTES
    from shared.openapi import document

    doc = document(ROUTES, version="test")
    for line in MATRIX.strip().splitlines():
        method, route, *expected = line.split()
        admitted = [
            role for role, text in zip(CALLERS[:4], expected[:4], strict=True) if text[:3] not in ("401", "403")
        ]
        public = expected[4] != "401"  # no token at all still answered
        listed = doc["paths"][route][method.lower()]["x-guiji-roles"]
        assert sorted(listed) == ([] if public else sorted(admitted)), (method, route)


@pytest.mark.parametrize("cell", CELLS, ids=[f"{c.method} {c.route} × {c.caller}" for c in CELLS])
def test_route_answers_each_caller_as_the_roles_say(world: World, cell: Cell) -> None:
    status, body, gateway_error = _request(world, cell)
    assert status == cell.status, body
    if status >= 400:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(body, ensure_ascii=False)), body  # in Chinese
    if status == 401:  # refused by the authorizer step, before any route code ran
        assert gateway_error == "UnauthorizedException" and body["Code"] == "UnauthorizedError"
    if cell.hides:
        assert HIDDEN[cell.route] not in json.dumps(body, ensure_ascii=False)
