"""The HTTP API described as OpenAPI 3.0: built from what each route declares where it is registered.

Every route registers a :class:`RouteDoc` (``functions/errors.py route``): its roles, its query and body models
(the same pydantic models that validate requests, so the description cannot drift from what is accepted), and
the media type it answers with. :func:`document` turns them into the document ``GET /openapi.json`` serves.
Nothing here knows Chalice or AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from shared.auth import Role

TITLE = "guiji 归集 — 涉企信息归集时限监测 API"
OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0.0"  # the public contract's version (README "HTTP API"); raise it when a route changes
SECURITY_SCHEME = "bearerToken"
# The refusals every protected route can answer before or inside its code, and every route's faults.
_ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_TEXT = {
    "400": "请求参数或请求体不正确",
    "401": "缺少有效的访问令牌（未提供、已过期、已吊销或签名无效）",
    "403": "角色或管辖范围不允许访问",
    "404": "资源不存在",
    "413": "请求体过大",
    "429": "请求过于频繁",
    "500": "服务内部错误",
}


@dataclass(frozen=True)
class RouteDoc:
    """What one route (method × path) accepts and answers, as its registration declares it."""

    method: str
    path: str
    summary: str
    roles: tuple[Role, ...] | None  # None: public (no token); () : any signed-in role
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    produces: tuple[str, ...] = ("application/json",)
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def public(self) -> bool:
        return self.roles is None

    def role_names(self) -> list[str]:
        """The roles that may call the route ([] when public)."""
        if self.roles is None:
            return []
        return [r.value for r in (self.roles or tuple(Role))]


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", path)
    ]


def _query_parameters(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """One parameter per field, under the name the query string uses (its alias)."""
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    schemas.update(_openapi_schemas(schema.pop("$defs", {})))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _openapi_schema(spec)}
        for name, spec in schema.get("properties", {}).items()
    ]


def _openapi_schema(spec: Any) -> Any:
    """A JSON Schema (pydantic's draft 2020-12) as OpenAPI 3.0 reads it: ``anyOf [X, null]`` becomes
    ``nullable``; ``const`` becomes a one-value enum."""
    if isinstance(spec, list):
        return [_openapi_schema(s) for s in spec]
    if not isinstance(spec, dict):
        return spec
    out = {k: _openapi_schema(v) for k, v in spec.items()}
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1:
            out.update({**rest[0], "nullable": True} if "$ref" not in rest[0] else {"allOf": rest, "nullable": True})
        else:
            out.update({"anyOf": rest, "nullable": True})
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def _openapi_schemas(defs: dict[str, Any]) -> dict[str, Any]:
    return {name: _openapi_schema(spec) for name, spec in defs.items()}


def _operation(route: RouteDoc, schemas: dict[str, Any]) -> dict[str, Any]:
    parameters = _path_parameters(route.path)
    if route.query is not None:
        parameters += _query_parameters(route.query, schemas)
    roles = route.role_names()
    summary = route.summary + ("（公开，无需令牌）" if route.public else f"（角色：{'、'.join(roles)}）")
    operation: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', route.path).strip('_') or 'root'}",
        "summary": summary,
        "x-guiji-roles": roles,
        "responses": {
            "200": {"description": "成功", "content": {media: {} for media in route.produces}},
            **{
                code: {"description": text, "content": {"application/json": {"schema": _ERROR}}}
                for code, text in _ERROR_TEXT.items()
                if _answers(route, code)
            },
        },
    }
    if route.tags:
        operation["tags"] = list(route.tags)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        body = route.body.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(_openapi_schemas(body.pop("$defs", {})))  # nested models (an enum of categories) by reference
        schemas[route.body.__name__] = _openapi_schema(body)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{route.body.__name__}"}}},
        }
    operation["security"] = [] if route.public else [{SECURITY_SCHEME: []}]
    return operation


def _answers(route: RouteDoc, code: str) -> bool:
    if code in ("401", "403"):
        return not route.public
    if code == "413":
        return route.body is not None
    if code == "429":
        return route.public
    return True


def document(routes: Iterable[RouteDoc], *, version: str, server_url: str = ".") -> dict[str, Any]:
    """The OpenAPI 3.0 document of ``routes``; the server URL is relative to the document (``/openapi.json``
    locally, ``/api/openapi.json`` behind API Gateway's stage)."""
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["Code", "Message"],
            "properties": {"Code": {"type": "string"}, "Message": {"type": "string", "description": "中文说明"}},
        }
    }
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: (r.path, r.method)):
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": version,
            "description": (
                "福建省涉企信息归集与公示时限监测。除公开接口外，请求需带 Authorization: Bearer <令牌>"
                "（guiji token issue 签发）；角色见各接口的 x-guiji-roles，管辖范围由令牌的行政区划与部门决定。"
            ),
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
