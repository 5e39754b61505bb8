"""One error map for the HTTP API: domain errors become HTTP answers (JSON, Chinese message) in one place.

Chalice turns any exception that is not one of its own view errors into a bare 500 before middleware could see
it, so the map is applied by :func:`route`, the decorator every route uses instead of ``Blueprint.route``.
The same decorator records what the route accepts and who may call it, for ``GET /openapi.json``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import BadRequestError, Blueprint, ChaliceViewError, NotFoundError
from pydantic import BaseModel, ValidationError

from shared.adapters.store import UnreadableItemError
from shared.api_models import describe_zh
from shared.auth import Role
from shared.openapi import RouteDoc
from shared.periods import PeriodError
from shared.search import SearchError
from shared.services.monitor import AckError
from shared.services.publication import ResolutionError
from shared.services.queries import QueryError
from shared.services.sharing import SubscriptionNotFoundError
from shared.services.uploads import UploadRequestError
from shared.sharing import SubscriptionError
from shared.workdays import CalendarRangeError

F = TypeVar("F", bound=Callable[..., Any])


class UnreadableDataError(ChaliceViewError):
    """The stored data behind the request cannot be read back (it is quarantined, not shown half-read)."""

    STATUS_CODE = 500


class RequestTooLargeError(ChaliceViewError):
    """The request body is larger than the route accepts."""

    STATUS_CODE = 413


# Domain error → the Chalice error (HTTP status) it becomes; the domain errors' messages are Chinese already.
ERROR_MAP: tuple[tuple[type[Exception], type[ChaliceViewError]], ...] = (
    (QueryError, BadRequestError),
    (SearchError, BadRequestError),
    (ResolutionError, BadRequestError),
    (PeriodError, BadRequestError),
    (CalendarRangeError, BadRequestError),
    (AckError, NotFoundError),
    (UploadRequestError, BadRequestError),
    (SubscriptionError, BadRequestError),
    (SubscriptionNotFoundError, NotFoundError),
)


# Chalice's own refusals (raised before or around a view) keep their status and code but answer in Chinese, like
# every other error of the API.
FRAMEWORK_MESSAGES = {
    "InternalServerError": "服务内部错误，请稍后再试；如持续出现请联系运维人员",
    "UnsupportedMediaType": "不支持该请求内容类型（Content-Type），请求体请使用 application/json",
    "BadRequest": "该接口返回二进制文件，请在请求头 Accept 中写明其类型（如 Accept: application/zip）",
    "MethodNotAllowedError": "该接口不支持此请求方法（接口清单见 GET /openapi.json）",
}


def in_chinese(body: Any) -> Any:
    """A Chalice error body ``{"Code", "Message"}`` with its message in Chinese (other bodies unchanged)."""
    if isinstance(body, dict) and body.get("Code") in FRAMEWORK_MESSAGES:
        message = str(body.get("Message", ""))
        if not any("\u4e00" <= ch <= "\u9fff" for ch in message):
            return {**body, "Message": FRAMEWORK_MESSAGES[body["Code"]]}
    return body


def http_error(exc: Exception) -> ChaliceViewError | None:
    """The HTTP error for a domain error, or None when it is not one (then it is a fault: 500)."""
    if isinstance(exc, ValidationError):
        return BadRequestError(describe_zh(exc))
    if isinstance(exc, UnreadableItemError):
        return UnreadableDataError(f"该记录的存储数据无法读取（{exc.key}），已隔离，请联系运维人员处理")
    for domain, chalice_error in ERROR_MAP:
        if isinstance(exc, domain):
            return chalice_error(str(exc))
    return None


# The largest JSON body any route accepts (the largest real one, an acknowledgement note, is a few KB); API Gateway
# itself refuses bodies over 10 MB before any function runs.
MAX_BODY_BYTES = 64 * 1024

# Every registered route's description, in registration order (shared/openapi.py builds the document from it).
ROUTES: list[RouteDoc] = []
PUBLIC: None = None  # roles=PUBLIC: no token needed
ANY_ROLE: tuple[Role, ...] = ()  # roles=ANY_ROLE: any signed-in role (the route checks jurisdiction)


def declared_route(method: str, path: str) -> RouteDoc | None:
    """What the route registered for ``method`` and ``path`` (the route pattern, e.g. ``/records/{record_id}``)."""
    return next((r for r in ROUTES if r.method == method and r.path == path), None)


def route(
    blueprint: Blueprint,
    path: str,
    *,
    methods: list[str],
    summary: str,
    roles: tuple[Role, ...] | None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    produces: tuple[str, ...] = ("application/json",),
    **options: Any,
) -> Callable[[F], F]:
    """``blueprint.route(path, methods=methods, **options)`` with the error map applied to the view, described
    for the API document: ``summary`` (Chinese), the ``roles`` that may call it (``PUBLIC``, ``ANY_ROLE`` or a
    tuple), the ``query`` and ``body`` models it validates with, the media types it answers with."""
    for method in methods:
        ROUTES.append(RouteDoc(method, path, summary, roles, query, body, produces, (path.split("/")[1],)))

    def register(view: F) -> F:
        @functools.wraps(view)
        def mapped(*args: Any, **kwargs: Any) -> Any:
            request = blueprint.current_request
            if body is not None and request is not None and len(request.raw_body or b"") > MAX_BODY_BYTES:
                raise RequestTooLargeError(f"请求体过大（不超过 {MAX_BODY_BYTES // 1024} KB）")
            try:
                return view(*args, **kwargs)
            except ChaliceViewError:
                raise
            except Exception as exc:
                answer = http_error(exc)
                if answer is None:
                    raise
                raise answer from exc

        blueprint.route(path, methods=methods, **options)(mapped)
        return view

    return register
