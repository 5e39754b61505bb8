"""API Gateway's Lambda-authorizer behaviour for the local API, so the local stack refuses calls as a deployment does.

chalice's ``LocalGateway`` runs a builtin authorizer, but not the way API Gateway does: a missing header and a
deny answer in English, an authorizer that raises "Unauthorized" (API Gateway's 401 contract) crashes the request,
and nothing is cached. :class:`ApiGateway` keeps chalice's routing and event building and replaces only the
authorizer step (:class:`TokenAuthorizerStep`):

* no ``Authorization`` header → 401 without calling the authorizer (API Gateway's identity-source check);
* the authorizer raises ``Exception("Unauthorized")`` → 401; any other failure → 500 (fail closed);
* its policy does not allow the method ARN → 403;
* its answer is cached per token for the authorizer's TTL (``authorizerResultTtlInSeconds``), so a revocation
  takes effect locally exactly as late as it would in a deployment.

The response bodies are the gateway responses of the deployed API, read from ``infra/chalice-overrides.yaml``
(``x-amazon-apigateway-gateway-responses`` merged into the API's OpenAPI body): one text, served locally and by API Gateway.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from chalice.app import Chalice, ChaliceAuthorizer
from chalice.config import Config
from chalice.local import (
    ForbiddenError,
    InvalidAuthorizerError,
    LambdaContext,
    LocalGateway,
    LocalGatewayAuthorizer,
    LocalGatewayException,
    NotAuthorizedError,
)

OVERRIDES_FILE = Path(__file__).resolve().parent / "chalice-overrides.yaml"
DEFAULT_CACHE_SECONDS = 300  # API Gateway's default when an authorizer sets no TTL

_log = logging.getLogger("guiji.local")
# The x-amzn-ErrorType header API Gateway sends with each gateway response.
_ERROR_TYPES = {
    "UNAUTHORIZED": "UnauthorizedException",
    "ACCESS_DENIED": "AccessDeniedException",
    "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "REQUEST_TOO_LARGE": "RequestTooLargeException",
    "THROTTLED": "TooManyRequestsException",
}
# API Gateway's payload limit: a larger request body is refused before any function runs.
MAX_REQUEST_BYTES = 10 * 1024 * 1024


class RouteNotFoundError(LocalGatewayException):
    """No route has this path and method (API Gateway's MISSING_AUTHENTICATION_TOKEN answer)."""

    CODE = 404


class RequestTooLargeError(LocalGatewayException):
    CODE = 413


class ThrottledError(LocalGatewayException):
    CODE = 429


@cache
def gateway_responses() -> dict[str, tuple[int, bytes]]:
    """ResponseType → (status, JSON body) of the deployed API's gateway responses."""
    from infra.local_stack import load_resources

    body = load_resources(OVERRIDES_FILE)["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    return {
        kind: (int(spec["statusCode"]), spec["responseTemplates"]["application/json"].encode("utf-8"))
        for kind, spec in body["x-amazon-apigateway-gateway-responses"].items()
        if "statusCode" in spec  # DEFAULT_4XX/5XX keep the status of whatever they answer
    }


def _refusal(
    kind: type[LocalGatewayException], response_type: str, context: LambdaContext | None = None
) -> LocalGatewayException:
    status, body = gateway_responses()[response_type]
    assert status == kind.CODE, f"{response_type} is {status} in chalice-overrides.yaml"
    request_id = context.aws_request_id if context is not None else str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": _ERROR_TYPES[response_type]}
    headers["Content-Type"] = "application/json; charset=utf-8"
    return kind(headers, body)


class TokenAuthorizerStep(LocalGatewayAuthorizer):
    """The authorizer step of API Gateway for TOKEN authorizers (chalice's ``@app.authorizer``)."""

    def __init__(
        self,
        app: Chalice,
        *,
        cache_seconds: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        run: Callable[[Callable[[], Any]], Any] | None = None,
    ) -> None:
        super().__init__(app)
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._run = run or (lambda call: call())
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _ttl(self, authorizer: ChaliceAuthorizer) -> int:
        if self._cache_seconds is not None:
            return self._cache_seconds
        ttl = authorizer.config.ttl_seconds
        return DEFAULT_CACHE_SECONDS if ttl is None else ttl

    def authorize(
        self, raw_path: str, lambda_event: dict[str, Any], lambda_context: LambdaContext
    ) -> tuple[dict[str, Any], LambdaContext]:
        route = self._route_for_event(lambda_event)
        authorizer = route.authorizer if route is not None else None
        if authorizer is None:
            return lambda_event, lambda_context
        if not isinstance(authorizer, ChaliceAuthorizer):
            raise TypeError(f"the local API emulates TOKEN authorizers only, not {type(authorizer).__name__}")
        wanted = (authorizer.config.header or "Authorization").lower()
        headers = {k.lower(): v for k, v in (lambda_event.get("headers") or {}).items()}
        token = (headers.get(wanted) or "").strip()
        if not token:
            raise _refusal(NotAuthorizedError, "UNAUTHORIZED", lambda_context)
        arn = self._arn_builder.build_arn(lambda_event["requestContext"]["httpMethod"], raw_path)
        result = self._cached(authorizer, token)
        if result is None:
            result = self._invoke(authorizer, token, arn, lambda_context)
            ttl = self._ttl(authorizer)
            if ttl > 0:
                with self._lock:
                    self._cache[(authorizer.name, token)] = (self._clock() + ttl, result)
        if not self._check_can_invoke_view_function(arn, result):
            raise _refusal(ForbiddenError, "ACCESS_DENIED", lambda_context)
        return self._update_lambda_event(lambda_event, copy.deepcopy(result)), lambda_context

    def _cached(self, authorizer: ChaliceAuthorizer, token: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._cache.get((authorizer.name, token))
        if hit is None or hit[0] <= self._clock():
            return None
        return hit[1]

    def _invoke(self, authorizer: ChaliceAuthorizer, token: str, arn: str, context: LambdaContext) -> dict[str, Any]:
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
        try:
            result = self._run(lambda: authorizer(event, context))  # type: ignore[arg-type]  # context is a dict to chalice
        except Exception as exc:  # noqa: BLE001 - API Gateway turns any other authorizer failure into a 500
            if str(exc) == "Unauthorized":
                raise _refusal(NotAuthorizedError, "UNAUTHORIZED", context) from exc
            _log.exception("authorizer %s failed", authorizer.name)
            raise _refusal(InvalidAuthorizerError, "AUTHORIZER_CONFIGURATION_ERROR", context) from exc
        if not isinstance(result, dict) or "policyDocument" not in result:
            raise _refusal(InvalidAuthorizerError, "AUTHORIZER_CONFIGURATION_ERROR", context)
        return result


class ApiGateway(LocalGateway):
    """chalice's ``LocalGateway`` with API Gateway's authorizer step (see the module docstring)."""

    def __init__(
        self,
        app: Chalice,
        config: Config,
        *,
        authorizer_cache_seconds: int | None = None,
        run_authorizer: Callable[[Callable[[], Any]], Any] | None = None,
    ) -> None:
        """``run_authorizer(call)`` runs the authorizer function (locally: with its own deployed role)."""
        super().__init__(app, config)
        self._authorizer = TokenAuthorizerStep(app, cache_seconds=authorizer_cache_seconds, run=run_authorizer)
        self._routes = app.routes

    def _generate_lambda_event(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> dict[str, Any]:
        """The event API Gateway would pass on; no route for this path and method is refused as it refuses it
        (chalice would answer an unknown path with an English 403 and a wrong method from the route code)."""
        try:
            event: dict[str, Any] = super()._generate_lambda_event(method, path, headers, body)
        except ValueError as exc:
            raise _refusal(RouteNotFoundError, "MISSING_AUTHENTICATION_TOKEN") from exc
        if method != "OPTIONS" and method not in self._routes.get(event["requestContext"]["resourcePath"], {}):
            raise _refusal(RouteNotFoundError, "MISSING_AUTHENTICATION_TOKEN")
        return event


def too_large() -> LocalGatewayException:
    """The refusal of a body over :data:`MAX_REQUEST_BYTES`."""
    return _refusal(RequestTooLargeError, "REQUEST_TOO_LARGE")


def throttled(retry_after: float) -> LocalGatewayException:
    """The refusal of a throttled public call (the usage plan's answer in AWS), with when to retry."""
    refusal = _refusal(ThrottledError, "THROTTLED")
    refusal.headers = {**(refusal.headers or {}), "Retry-After": str(max(1, round(retry_after)))}
    return refusal


def gateway_error(exc: LocalGatewayException) -> dict[str, Any]:
    """The HTTP response of a refusal raised by the gateway (401/403/500), in the shape LocalGateway returns."""
    return {"statusCode": exc.CODE, "headers": dict(exc.headers or {}), "body": exc.body or b""}
