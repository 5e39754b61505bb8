"""HTTP API routes (BRIEF §4). Thin: parse the request, call ``shared.services``, shape the response."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, cast

from chalice.app import (
    Authorizer,
    BadRequestError,
    Blueprint,
    Chalice,
    ChaliceAuthorizer,
    ForbiddenError,
    NotFoundError,
    Response,
    UnauthorizedError,
)
from pydantic import ValidationError

from shared.auth import ForbiddenError as AccessDeniedError
from shared.auth import Principal, Role
from shared.services import monitor, publication, queries
from shared.services.context import get_deps
from shared.timeutil import local_date, utc_now

api = Blueprint(__name__)

MAX_PAGE = 500


# Routes anyone may call (README "HTTP API"): the working-day calendar, the public register, health and the API
# description. Every other route, including any added later, sits behind the token authorizer.
PUBLIC_PREFIXES = ("/calendar/", "/public/")
PUBLIC_PATHS = frozenset({"/health", "/openapi.json"})


def is_public_route(path: str) -> bool:
    """Whether a route path is open without a token."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def protect_routes(app: Chalice, authorizer: ChaliceAuthorizer) -> None:
    """Put every non-public route behind ``authorizer`` (API Gateway then refuses a call before route code runs)."""
    for path, methods in app.routes.items():
        if not is_public_route(path):
            for entry in methods.values():
                entry.authorizer = cast(Authorizer, authorizer)  # chalice types builtin authorizers apart


def _principal(*roles: Role) -> Principal:
    """The caller the token authorizer admitted (401 without one; 403 when its role may not use the route).

    API Gateway (or the local API's emulation of it) ran the authorizer before this route and put the
    principal into the request context; the token itself is not read again here.
    """
    request = api.current_request
    context = (request.context or {}).get("authorizer") if request is not None else None
    if not context or not context.get("role"):
        raise UnauthorizedError("缺少有效的访问令牌（Authorization: Bearer …）")
    try:
        principal = Principal.from_context(context)
    except (ValidationError, ValueError) as exc:
        raise UnauthorizedError("访问令牌内容无效") from exc
    if roles:
        try:
            principal.require(*roles)
        except AccessDeniedError as exc:
            raise ForbiddenError(str(exc)) from exc
    return principal


def _must_see(p: Principal, region_code: str, department: str) -> None:
    if not p.sees(region_code=region_code, department=department):
        raise ForbiddenError("该记录不在您的管辖范围内")


def _params() -> dict[str, str]:
    request = api.current_request
    return dict(request.query_params or {}) if request is not None else {}


def _body() -> dict[str, Any]:
    request = api.current_request
    if request is None or not request.raw_body:
        return {}
    try:
        body = json.loads(request.raw_body)
    except ValueError as exc:
        raise BadRequestError("请求体不是有效的JSON") from exc
    if not isinstance(body, dict):
        raise BadRequestError("请求体应为JSON对象")
    return body


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequestError(f"{name} 应为 YYYY-MM-DD 格式的日期") from exc


def _csv(text: str, name: str) -> Response:
    return Response(
        body=text,
        status_code=200,
        headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"'},
    )


@api.route("/breaches", methods=["GET"])
def list_breaches() -> Any:
    p = _principal()
    params = _params()
    fmt = params.pop("format", "json")
    cursor = params.pop("cursor", None)
    if p.role is Role.DEPARTMENT:
        if params.get("department", p.department) != p.department:
            raise ForbiddenError("部门只能查看本部门的违规记录")
        params["department"] = p.department or ""
    elif params.get("region") and not p.sees_region(params["region"]):
        raise ForbiddenError(f"行政区划“{params['region']}”不在您的管辖范围内")
    elif not params.get("region") and p.region != "350000":
        params["region"] = p.region
    try:
        limit = min(MAX_PAGE, max(1, int(params.pop("limit", "100"))))
        items = queries.list_breaches(queries.parse_filter(params), get_deps())
        items = [b for b in items if p.sees(region_code=b["region_code"], department=b["department"])]
        if fmt == "csv":
            return _csv(queries.to_csv(items, queries.BREACH_COLUMNS), "breaches.csv")
        page = queries.paginate(items, cursor, limit)
    except (queries.QueryError, ValueError) as exc:
        raise BadRequestError(str(exc)) from exc
    return {"items": page.items, "next_cursor": page.next_cursor, "total": len(items)}


@api.route("/breaches/{breach_id}/ack", methods=["POST"])
def ack_breach(breach_id: str) -> Any:
    p = _principal(Role.SUPERVISOR)
    existing = get_deps().tables.breaches.get(breach_id)
    if existing is None:
        raise NotFoundError(f"违规记录 {breach_id} 不存在")
    _must_see(p, existing["region_code"], existing["department"])
    body = _body()
    note = str(body.get("note", "")).strip()
    if not note:
        raise BadRequestError("确认时请填写说明（note）")
    as_of = _date(body.get("as_of"), "as_of") or local_date(utc_now())
    try:
        breach = monitor.acknowledge(breach_id, note, p.label, as_of, get_deps())
    except monitor.AckError as exc:
        raise NotFoundError(str(exc)) from exc
    return {"breach_id": breach_id, "acknowledged": sorted(breach.get("acks", {}))}


@api.route("/records/{record_id}", methods=["GET"])
def get_record(record_id: str) -> Any:
    p = _principal()
    timeline = queries.record_timeline(record_id, get_deps())
    if timeline is None:
        raise NotFoundError(f"记录 {record_id} 不存在")
    _must_see(p, timeline["record"]["region_code"], timeline["record"]["department"])
    return timeline


@api.route("/records/{record_id}/attribute", methods=["POST"])
def attribute_record(record_id: str) -> Any:
    p = _principal(Role.REGULATOR)
    entry = get_deps().tables.records.get(record_id)
    if entry is None:
        raise NotFoundError(f"记录 {record_id} 不存在")
    _must_see(p, entry.region_code, entry.department)
    body = _body()
    if not body.get("uscc") and not body.get("reject"):
        raise BadRequestError("请提供 uscc（记于该主体名下）或 reject（退回原因）")
    try:
        entry = publication.resolve_held(
            record_id,
            get_deps(),
            actor=p.label,
            uscc=body.get("uscc"),
            reject_reason=body.get("reject"),
        )
    except publication.ResolutionError as exc:
        raise BadRequestError(str(exc)) from exc
    return {"record_id": record_id, "held": entry.held, "attribution": entry.attribution, "uscc": entry.attributed_uscc}


@api.route("/held", methods=["GET"])
def held() -> Any:
    p = _principal(Role.REGULATOR, Role.SUPERVISOR, Role.AUDITOR)
    items = [
        r for r in queries.held_queue(get_deps()) if p.sees(region_code=r["region_code"], department=r["department"])
    ]
    if _params().get("format") == "csv":
        return _csv(queries.to_csv(items, list(items[0]) if items else ["record_id"]), "held.csv")
    return {"items": items, "total": len(items)}


@api.route("/departments/{code}/scorecard", methods=["GET"])
def department_scorecard(code: str) -> Any:
    p = _principal()
    dept = get_deps().tables.registry.department(code)
    if dept is None:
        raise NotFoundError(f"部门“{code}”未登记")
    _must_see(p, dept.region_code, dept.code)
    today = local_date(utc_now())
    period = _params().get("period") or f"{today.year}-{today.month:02d}"
    try:
        return queries.scorecard(code, period, get_deps())
    except queries.QueryError as exc:
        raise BadRequestError(str(exc)) from exc


@api.route("/bulletins", methods=["GET"])
def list_bulletins() -> Any:
    p = _principal()
    deps = get_deps()
    keys = deps.objects.list_keys(deps.settings.reports_bucket, "bulletins/")
    items = []
    for key in keys:
        parts = key.split("/")
        if len(parts) == 3 and parts[2].endswith(".json") and p.reads_bulletin(parts[1]):
            items.append({"scope": parts[1], "period": parts[2].removesuffix(".json"), "key": key})
    return {"items": items}


@api.route("/bulletins/{scope}/{period}", methods=["GET"])
def get_bulletin(scope: str, period: str) -> Any:
    p = _principal()
    if not p.reads_bulletin(scope):
        raise ForbiddenError(f"通报范围“{scope}”不在您的管辖范围内")
    deps = get_deps()
    blob = deps.objects.get_bytes(deps.settings.reports_bucket, f"bulletins/{scope}/{period}.json")
    if blob is None:
        raise NotFoundError(f"尚无 {scope} {period} 的通报")
    return json.loads(blob)


@api.route("/calendar/deadline", methods=["GET"])
def calendar_deadline() -> Any:
    params = _params()
    start = _date(params.get("date"), "date")
    if start is None:
        raise BadRequestError("缺少参数 date（信息产生日期，YYYY-MM-DD）")
    try:
        days = int(params.get("days", "7"))
        cal = get_deps().calendar
        due = cal.due_date(start, days)
    except ValueError as exc:
        raise BadRequestError(f"参数无效：{exc}") from exc
    return {
        "date": start.isoformat(),
        "days": days,
        "due": due.isoformat(),
        "provisional": cal.due_date_is_provisional(start, days),
        "calendar_version": cal.version,
    }


@api.route("/audit/verify", methods=["GET"])
def audit_verify() -> Any:
    _principal(Role.AUDITOR)
    count, problems = get_deps().tables.audit.verify()
    return {"entries": count, "ok": not problems, "problems": problems}


@api.route("/public/subjects", methods=["GET"])
def public_search() -> Any:
    q = _params().get("q", "").strip()
    if not q:
        raise BadRequestError("请输入查询条件 q（统一社会信用代码、注册号或企业名称）")
    subjects = get_deps().tables.registry.search_subjects(q)
    return {"items": [{"uscc": s.uscc, "name": s.name, "type": s.type} for s in subjects]}


@api.route("/public/subjects/{code}", methods=["GET"])
def public_subject(code: str) -> Any:
    found = queries.public_subject(code, get_deps())
    if found is None:
        raise NotFoundError(f"未找到统一社会信用代码为 {code} 的市场主体")
    return found


@api.route("/health", methods=["GET"])
def health() -> Any:
    return {"ok": True}
