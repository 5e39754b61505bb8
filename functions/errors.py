"""One error map for the HTTP API: domain errors become HTTP answers (JSON, Chinese message) in one place.

Chalice turns any exception that is not one of its own view errors into a bare 500 before middleware could see
it, so the map is applied by :func:`route`, the decorator every route uses instead of ``Blueprint.route``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import BadRequestError, Blueprint, ChaliceViewError, NotFoundError
from pydantic import ValidationError

from shared.adapters.store import UnreadableItemError
from shared.api_models import describe_zh
from shared.bulletins import PeriodError
from shared.search import SearchError
from shared.services.monitor import AckError
from shared.services.publication import ResolutionError
from shared.services.queries import QueryError
from shared.services.uploads import UploadRequestError
from shared.workdays import CalendarRangeError

F = TypeVar("F", bound=Callable[..., Any])


class UnreadableDataError(ChaliceViewError):
    """The stored data behind the request cannot be read back (it is quarantined, not shown half-read)."""

    STATUS_CODE = 500


# Domain error → the Chalice error (HTTP status) it becomes; the domain errors' messages are Chinese already.
ERROR_MAP: tuple[tuple[type[Exception], type[ChaliceViewError]], ...] = (
    (QueryError, BadRequestError),
    (SearchError, BadRequestError),
    (ResolutionError, BadRequestError),
    (PeriodError, BadRequestError),
    (CalendarRangeError, BadRequestError),
    (AckError, NotFoundError),
    (UploadRequestError, BadRequestError),
)


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


def route(blueprint: Blueprint, path: str, **options: Any) -> Callable[[F], F]:
    """``blueprint.route(path, **options)`` with the error map applied to the view."""

    def register(view: F) -> F:
        @functools.wraps(view)
        def mapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except ChaliceViewError:
                raise
            except Exception as exc:
                answer = http_error(exc)
                if answer is None:
                    raise
                raise answer from exc

        blueprint.route(path, **options)(mapped)
        return view

    return register
