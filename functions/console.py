"""The web console's pages (not API routes: every path is under ``/console``; the pages call the JSON API)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from functions.errors import PUBLIC, route
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


@route(console, PREFIX, methods=["GET"], summary="控制台入口（跳转到登录页）", roles=PUBLIC, produces=("text/html",))
def console_home() -> Response:
    # Relative: behind API Gateway the console lives under the stage's path (/api/console/login).
    return Response(body="", status_code=302, headers={"Location": "console/login"})


@route(console, PREFIX + "/{name}", methods=["GET"], summary="控制台页面", roles=PUBLIC, produces=("text/html",))
def console_page(name: str) -> Response:
    text = pages.page(name)
    if text is None:
        return _html(NOT_FOUND, 404)
    return _html(text)


@route(
    console,
    PREFIX + "/static/{name}",
    methods=["GET"],
    summary="控制台静态文件（CSS、JS）",
    roles=PUBLIC,
    produces=("text/css", "text/javascript"),
)
def console_asset(name: str) -> Response:
    found = pages.asset(name)
    if found is None:
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain", **_HEADERS})
    text, kind = found
    return Response(body=text, status_code=200, headers={"Content-Type": kind, "Cache-Control": "no-cache", **_HEADERS})
