"""The web console (门户): static pages and assets served by the API's own ``/console`` routes.

Pages are a shared layout around one fragment each; they hold no data. The browser fills them from the JSON API
with the token kept in ``sessionStorage`` (never in a URL), and every value is written as text, never as markup.
The files are small and read per request (no cache: an edited page shows on the next reload of the local stack).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGES: dict[str, str] = {
    "login": "登录",
    "department": "部门工作台",
    "breaches": "违规记录",
    "digests": "督办日报",
    "held": "待处理记录",
    "record": "记录时间线",
    "audit": "审计核验",
    "bulletins": "督查通报",
    "public": "企业信息公示查询",
}
ASSET_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
# No inline script or style, no other origin except the upload target (S3; a loopback port on the local stack).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' https: http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def page(name: str) -> str | None:
    """The HTML of a console page, or None for an unknown page."""
    if name not in PAGES:
        return None
    layout = (HERE / "layout.html").read_text(encoding="utf-8")
    body = (HERE / "pages" / f"{name}.html").read_text(encoding="utf-8")
    return layout.replace("{{page}}", name).replace("{{title}}", PAGES[name]).replace("{{body}}", body)


def asset(name: str) -> tuple[str, str] | None:
    """(text, content type) of a static asset, or None for an unknown one (no paths: a bare file name)."""
    path = HERE / "static" / name
    kind = ASSET_TYPES.get(path.suffix)
    if kind is None or path.name != name or not path.is_file():
        return None
    return path.read_text(encoding="utf-8"), kind
