"""The web console's pages (not API routes: every path is under ``/console``; the pages call the JSON API)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from shared import console as pages

console = Blueprint(__name__)

PREFIX = "/console"
_HEADERS = {
    "Content-Security-Policy": pages.CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


NOT_FOUND = (
    '<!doctype html><meta charset="utf-8"><title>页面不存在</title><p>页面不存在。<a href="login">返回登录</a></p>'
)


def _html(text: str, status: int = 200) -> Response:
    return Response(body=text, status_code=status, headers={"Content-Type": "text/html; charset=utf-8", **_HEADERS})


@console.route(PREFIX, methods=["GET"])
def console_home() -> Response:
    # Relative: behind API Gateway the console lives under the stage's path (/api/console/login).
    return Response(body="", status_code=302, headers={"Location": "console/login"})


@console.route(PREFIX + "/{name}", methods=["GET"])
def console_page(name: str) -> Response:
    text = pages.page(name)
    if text is None:
        return _html(NOT_FOUND, 404)
    return _html(text)


@console.route(PREFIX + "/static/{name}", methods=["GET"])
def console_asset(name: str) -> Response:
    found = pages.asset(name)
    if found is None:
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain", **_HEADERS})
    text, kind = found
    return Response(body=text, status_code=200, headers={"Content-Type": kind, "Cache-Control": "no-cache", **_HEADERS})
