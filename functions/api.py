"""HTTP API routes (BRIEF §4). Thin: parse the request, call ``shared.services``, shape the response."""

from __future__ import annotations

import json
from collections import Counter
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

from functions.errors import ANY_ROLE, PUBLIC, ROUTES, declared_route, route
from shared import openapi
from shared.api_models import (
    AckRequest,
    AttributeRequest,
    BreachListQuery,
    DeadlineQuery,
    DigestQuery,
    FormatQuery,
    ScorecardQuery,
    SubscriptionListQuery,
    UploadQuery,
)
from shared.auth import ForbiddenError as AccessDeniedError
from shared.auth import Principal, Role
from shared.bulletin_render import department_view
from shared.bulletins import bulletin_key
from shared.periods import parse_period
from shared.services import audit, monitor, public, publication, queries, related, sharing, uploads
from shared.services.deps import get_deps
from shared.services.uploads import UploadRequest
from shared.sharing import SubscriptionRequest
from shared.timeutil import local_date, utc_now

api = Blueprint(__name__)


# Routes anyone may call (README "HTTP API"): the working-day calendar, the public register, health and the API
# description. Every other route, including any added later, sits behind the token authorizer.
PUBLIC_PREFIXES = ("/calendar/", "/public/", "/console")
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


def _principal() -> Principal:
    """The caller the token authorizer admitted (401 without one; 403 when its role is not among the roles the
    route declares in its ``@route``, which is also what ``GET /openapi.json`` lists).

    API Gateway (or the local API's emulation of it) ran the authorizer before this route and put the
    principal into the request context; the token itself is not read again here.
    """
    request = api.current_request
    context = (request.context or {}).get("authorizer") if request is not None else None
    declared = declared_route(request.method, request.context.get("resourcePath", "")) if request else None
    roles = declared.roles if declared is not None else None
    if not context or not context.get("role"):
        raise UnauthorizedError("缺少有效的访问令牌（Authorization: Bearer …）")
    try:
        principal = Principal.from_context(context)
    except (ValidationError, ValueError) as exc:
        raise UnauthorizedError("访问令牌内容无效") from exc
    if roles is None:
        raise RuntimeError("a public route asked for the caller's token")  # a wiring fault, not the caller's
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


def _csv(text: str, name: str) -> Response:
    return Response(
        body=text,
        status_code=200,
        headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"'},
    )


@route(
    api,
    "/breaches",
    methods=["GET"],
    summary="违规记录列表（可筛选，支持 CSV 导出）",
    roles=ANY_ROLE,
    query=BreachListQuery,
    produces=("application/json", "text/csv"),
)
def list_breaches() -> Any:
    p = _principal()
    query = BreachListQuery.model_validate(_params())
    params = query.filters()
    if p.role is Role.DEPARTMENT:
        if params.get("department", p.department) != p.department:
            raise ForbiddenError("部门只能查看本部门的违规记录")
        params["department"] = p.department or ""
    elif params.get("region") and not p.sees_region(params["region"]):
        raise ForbiddenError(f"行政区划“{params['region']}”不在您的管辖范围内")
    elif not params.get("region") and p.region != "350000":
        params["region"] = p.region
    items = queries.list_breaches(queries.parse_filter(params), get_deps())
    items = [b for b in items if p.sees(region_code=b["region_code"], department=b["department"])]
    if query.format == "csv":
        return _csv(queries.to_csv(items, queries.BREACH_COLUMNS), "breaches.csv")
    page = queries.paginate(items, query.cursor, query.limit)
    by_kind = dict(Counter(str(b["kind"]) for b in items))  # every page: the console's counts need no extra calls
    return {"items": page.items, "next_cursor": page.next_cursor, "total": len(items), "by_kind": by_kind}


@route(
    api,
    "/breaches/{breach_id}/ack",
    methods=["POST"],
    summary="督办确认一条违规记录",
    roles=(Role.SUPERVISOR,),
    body=AckRequest,
)
def ack_breach(breach_id: str) -> Any:
    p = _principal()
    existing = queries.breach(breach_id, get_deps())
    if existing is None:
        raise NotFoundError(f"违规记录 {breach_id} 不存在")
    _must_see(p, existing.region_code, existing.department)
    body = AckRequest.model_validate(_body())
    as_of = body.as_of or local_date(utc_now())
    breach = monitor.acknowledge(breach_id, body.note, p.label, as_of, get_deps())
    return {"breach_id": breach_id, "acknowledged": sorted(level.value for level in breach.acks)}


@route(
    api,
    "/digests",
    methods=["GET"],
    summary="收到的督办日报（默认本辖区近30天）",
    roles=(Role.SUPERVISOR, Role.REGULATOR, Role.AUDITOR),
    query=DigestQuery,
)
def list_digests() -> Any:
    p = _principal()
    query = DigestQuery.model_validate(_params())
    region = query.region or p.region
    if not p.sees_region(region):
        raise ForbiddenError(f"行政区划“{region}”不在您的管辖范围内")
    return queries.received_digests(region, query.from_, query.to, get_deps())


@route(
    api,
    "/subjects/{code}/related",
    methods=["GET"],
    summary="跨区域关联：该主体在其他地区部门的记录，以及法定代表人相同的主体",
    roles=(Role.SUPERVISOR, Role.REGULATOR, Role.AUDITOR),
)
def subject_related(code: str) -> Any:
    p = _principal()
    return related.related(code, p.region, get_deps())


@route(
    api,
    "/subscriptions",
    methods=["GET"],
    summary="同级推送订阅及其推送条数（部门看本部门的，其他角色看辖区内部门的）",
    roles=ANY_ROLE,
    query=SubscriptionListQuery,
)
def list_subscriptions() -> Any:
    p = _principal()
    query = SubscriptionListQuery.model_validate(_params())
    scope: dict[str, str | None] = (
        {"department": p.department}
        if p.role is Role.DEPARTMENT
        else {"region": None if p.region == "350000" else p.region}
    )
    return sharing.list_subscriptions(get_deps(), since=query.from_, until=query.to, **scope)


@route(
    api,
    "/subscriptions",
    methods=["POST"],
    summary="部门订阅其他部门公示的信息（按类别、行政区划）",
    roles=(Role.DEPARTMENT,),
    body=SubscriptionRequest,
)
def create_subscription() -> Any:
    p = _principal()
    body = SubscriptionRequest.model_validate(_body())
    subscription = sharing.subscribe(p.department or "", body, p.label, get_deps())
    return Response(body=sharing.shown(subscription), status_code=201, headers={"Content-Type": "application/json"})


@route(
    api,
    "/subscriptions/{subscription_id}",
    methods=["DELETE"],
    summary="取消本部门的一项订阅",
    roles=(Role.DEPARTMENT,),
)
def delete_subscription(subscription_id: str) -> Any:
    p = _principal()
    removed = sharing.unsubscribe(subscription_id, p.label, get_deps(), department=p.department)
    return {"subscription_id": removed.subscription_id, "removed": True}


@route(
    api,
    "/records/{record_id}",
    methods=["GET"],
    summary="记录时间线（版本、日期、期限说明、违规、通知、审计）",
    roles=ANY_ROLE,
)
def get_record(record_id: str) -> Any:
    p = _principal()
    timeline = queries.record_timeline(record_id, get_deps())
    if timeline is None:
        raise NotFoundError(f"记录 {record_id} 不存在")
    _must_see(p, timeline["record"]["region_code"], timeline["record"]["department"])
    return timeline


@route(
    api,
    "/records/{record_id}/evidence",
    methods=["GET"],
    summary="记录证据包（zip，含 SHA-256 清单）",
    roles=ANY_ROLE,
    produces=("application/zip",),
)
def record_evidence(record_id: str) -> Any:
    p = _principal()
    entry = queries.record(record_id, get_deps())
    if entry is None:
        raise NotFoundError(f"记录 {record_id} 不存在")
    _must_see(p, entry.region_code, entry.department)
    bundle = queries.evidence_bundle(record_id, get_deps())
    return Response(
        body=bundle,
        status_code=200,
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="evidence-{record_id}.zip"',
        },
    )


@route(
    api,
    "/records/{record_id}/attribute",
    methods=["POST"],
    summary="待认领记录：记于主体名下或退回部门",
    roles=(Role.REGULATOR,),
    body=AttributeRequest,
)
def attribute_record(record_id: str) -> Any:
    p = _principal()
    entry = queries.record(record_id, get_deps())
    if entry is None:
        raise NotFoundError(f"记录 {record_id} 不存在")
    _must_see(p, entry.region_code, entry.department)
    body = AttributeRequest.model_validate(_body())
    entry = publication.resolve_held(record_id, get_deps(), actor=p.label, uscc=body.uscc, reject_reason=body.reject)
    return {"record_id": record_id, "held": entry.held, "attribution": entry.attribution, "uscc": entry.attributed_uscc}


@route(
    api,
    "/held",
    methods=["GET"],
    summary="待认领记录队列",
    roles=(Role.REGULATOR, Role.SUPERVISOR, Role.AUDITOR),
    query=FormatQuery,
    produces=("application/json", "text/csv"),
)
def held() -> Any:
    p = _principal()
    query = FormatQuery.model_validate(_params())
    items = [
        r for r in queries.held_queue(get_deps()) if p.sees(region_code=r["region_code"], department=r["department"])
    ]
    if query.format == "csv":
        return _csv(queries.to_csv(items, list(items[0]) if items else ["record_id"]), "held.csv")
    return {"items": items, "total": len(items)}


@route(
    api,
    "/departments/{code}/scorecard",
    methods=["GET"],
    summary="部门按月成绩单（及时率、公示及时率、合规率、记名率）",
    roles=ANY_ROLE,
    query=ScorecardQuery,
)
def department_scorecard(code: str) -> Any:
    p = _principal()
    query = ScorecardQuery.model_validate(_params())
    dept = queries.department(code, get_deps())
    if dept is None:
        raise NotFoundError(f"部门“{code}”未登记")
    _must_see(p, dept.region_code, dept.code)
    today = local_date(utc_now())
    return queries.scorecard(code, query.period or f"{today.year}-{today.month:02d}", get_deps())


@route(
    api,
    "/bulletins",
    methods=["GET"],
    summary="通报列表",
    roles=ANY_ROLE,
)
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


@route(
    api,
    "/bulletins/{scope}/{period}",
    methods=["GET"],
    summary="查看一期通报",
    roles=ANY_ROLE,
    query=FormatQuery,
    produces=("application/json", "text/html", "text/csv"),
)
def get_bulletin(scope: str, period: str) -> Any:
    p = _principal()
    if not p.reads_bulletin(scope):
        raise ForbiddenError(f"通报范围“{scope}”不在您的管辖范围内")
    key = bulletin_key(scope, parse_period(period), "json")
    deps = get_deps()
    blob = deps.objects.get_bytes(deps.settings.reports_bucket, key)
    if blob is None:
        raise NotFoundError(f"尚无 {scope} {period} 的通报")
    document: dict[str, Any] = json.loads(blob)
    # A department reads the figures and rankings, but names in the overdue list only its own records.
    return department_view(document, p.department or "") if p.role is Role.DEPARTMENT else document


@route(
    api,
    "/calendar/deadline",
    methods=["GET"],
    summary="计算到期日并说明跳过的休息日与调休工作日",
    roles=PUBLIC,
    query=DeadlineQuery,
)
def calendar_deadline() -> Any:
    query = DeadlineQuery.model_validate(_params())
    explanation = get_deps().calendar.explain(query.date, query.days)
    return {
        "date": query.date.isoformat(),
        "days": query.days,
        "due": explanation.due.isoformat(),
        "provisional": explanation.provisional,
        "calendar_version": explanation.calendar_version,
        "explanation": {**explanation.model_dump(mode="json"), "text": explanation.lines_zh()},
    }


@route(
    api,
    "/audit/verify",
    methods=["GET"],
    summary="校验审计链",
    roles=(Role.AUDITOR,),
)
def audit_verify() -> Any:
    _principal()
    return audit.verify_recent(get_deps())


@route(
    api,
    "/public/subjects",
    methods=["GET"],
    summary="公开查询市场主体（模糊、精确、区划）",
    roles=PUBLIC,
    query=public.PublicQuery,
)
def public_search() -> Any:
    return public.search_subjects(public.PublicQuery.model_validate(_params()), get_deps())


@route(
    api,
    "/public/subjects/{code}",
    methods=["GET"],
    summary="公开查看市场主体名下已公示信息",
    roles=PUBLIC,
)
def public_subject(code: str) -> Any:
    found = public.subject_page(code, get_deps())
    if found is None:
        raise NotFoundError(f"未找到统一社会信用代码为 {code} 的市场主体")
    return found


@route(
    api,
    "/uploads",
    methods=["POST"],
    summary="申请上传：返回限于本部门目录的预签名表单",
    roles=(Role.DEPARTMENT,),
    body=UploadRequest,
)
def create_upload() -> Any:
    """A presigned POST form for one file in the caller's own folder (department token)."""
    p = _principal()
    return uploads.grant_upload(p.department or "", p.sub, _body(), get_deps())


@route(
    api,
    "/me",
    methods=["GET"],
    summary="当前令牌的角色与管辖范围",
    roles=ANY_ROLE,
)
def whoami() -> Any:
    return queries.caller(_principal(), get_deps())


def _department() -> str:
    p = _principal()
    return p.department or ""


def _upload_key() -> str:
    query = UploadQuery.model_validate(_params())
    return uploads.upload_key(_department(), query.category, query.file_name)


@route(
    api,
    "/uploads",
    methods=["GET"],
    summary="本部门上传历史",
    roles=(Role.DEPARTMENT,),
)
def list_uploads() -> Any:
    return {"items": uploads.history(_department(), get_deps())}


@route(
    api,
    "/uploads/receipt",
    methods=["GET"],
    summary="一次上传的处理进度与回执",
    roles=(Role.DEPARTMENT,),
    query=UploadQuery,
)
def upload_receipt() -> Any:
    return uploads.status(_upload_key(), get_deps())


@route(
    api,
    "/uploads/rejects",
    methods=["GET"],
    summary="一次上传的退回明细（CSV）",
    roles=(Role.DEPARTMENT,),
    query=UploadQuery,
    produces=("text/csv",),
)
def upload_rejects() -> Any:
    blob = uploads.reject_report_of(_upload_key(), get_deps())
    if blob is None:
        raise NotFoundError("该上传没有退回明细")
    return _csv(blob.decode("utf-8"), "rejects.csv")


@route(
    api,
    "/openapi.json",
    methods=["GET"],
    summary="本 API 的 OpenAPI 3 描述（全部接口、参数与角色）",
    roles=PUBLIC,
)
def openapi_description() -> Any:
    return openapi.document(ROUTES, version=openapi.API_VERSION)


@route(
    api,
    "/health",
    methods=["GET"],
    summary="健康检查",
    roles=PUBLIC,
)
def health() -> Any:
    return {"ok": True}
