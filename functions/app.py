"""The Chalice app: thin handlers that parse the event, call the domain (``shared``) and return.

Every event handler is registered on ``app`` itself (not on a blueprint): in Lambda a blueprint's event
handler is imported without ``app.py`` and would miss the middleware (serverless.md C11).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from chalice.app import AuthRequest, AuthResponse, Chalice, CloudWatchEvent, ConvertToMiddleware, Cron, Rate, SQSEvent

from functions.api import api, protect_routes
from functions.console import console
from functions.errors import in_chinese
from shared.adapters.aws import client
from shared.auth import AuthError
from shared.observability import get_tracer, logger, metrics, tracing_enabled
from shared.services import audit, bulletins, intake, monitor, publication
from shared.services.deps import get_deps
from shared.services.tokens import TokenService
from shared.settings import get_settings
from shared.timeutil import local_date, parse_iso_utc, utc_now

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Powertools' batch and idempotency utilities (0.13 s of imports, asyncio among them) are imported where the SQS
# handlers use them, not at module import: the API and scheduled functions load this module and never need them.

# configure_logs=False: Powertools owns logging; two handlers would print every line twice (serverless.md P6).
app = Chalice(app_name="guiji", configure_logs=False)
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context))
if tracing_enabled():  # decided at cold start: the X-Ray SDK is imported only when it will trace
    app.register_middleware(ConvertToMiddleware(get_tracer().capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))
app.register_blueprint(api)


@app.middleware("http")
def errors_in_chinese(event: Any, get_response: Any) -> Any:
    """Chalice's own error answers (415, a binary answer without Accept, an unhandled fault) in Chinese too."""
    response = get_response(event)
    if response.status_code >= 400:
        response.body = in_chinese(response.body)
    return response


app.register_blueprint(console)  # the web console's pages, all under /console

# API Gateway caches an authorizer's answer per token for this long: a revoked token can go on working for at most
# this many seconds on a warm cache (README "Tokens"). Emitted as authorizerResultTtlInSeconds in the template.
AUTHORIZER_CACHE_SECONDS = 300


class Unauthorized(Exception):
    """Raised with the message "Unauthorized": API Gateway's contract for a TOKEN authorizer to answer 401."""


def token_service() -> TokenService:
    settings = get_settings()
    if not settings.token_secret_arn:
        raise RuntimeError("GUIJI_TOKEN_SECRET_ARN is not set: the API cannot verify tokens")
    return TokenService.for_names(settings.token_secret_arn, settings.control_table)


@app.authorizer(ttl_seconds=AUTHORIZER_CACHE_SECONDS)
def token_authorizer(auth_request: AuthRequest) -> AuthResponse:
    """Lambda authorizer: a valid, unrevoked token may call the protected routes (they check role and
    jurisdiction); anything else is refused with 401 before route code runs."""
    try:
        principal = token_service().authenticate(auth_request.token)
    except AuthError as exc:
        logger.info("token refused", extra={"reason": str(exc)})
        raise Unauthorized("Unauthorized") from exc
    return AuthResponse(routes=["*"], principal_id=principal.label, context=principal.to_context())


protect_routes(app, token_authorizer)

# Placeholder queue names: the deployed template points the event sources at the queues of infra/resources.yaml.
INTAKE_QUEUE = "guiji-intake"
INTAKE_DLQ = "guiji-intake-dlq"


@cache
def _idempotency() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    # Built on first use, not at import: the table name comes from the environment (serverless.md pitfall 10).
    # One upload is one arrival of a key (its S3 version), not its content: the same file uploaded again after a
    # correction must be processed again; a redelivered message of the same arrival must not.
    return IdempotencyConfig(event_key_jmespath="[bucket, key, arrival, chunk]", expires_after_seconds=7 * 24 * 3600)


@cache
def _process_chunk() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    # Our client, not one Powertools builds: same credentials and retry settings as every other call.
    persistence = DynamoDBPersistenceLayer(
        table_name=get_deps().settings.idempotency_table, boto3_client=client("dynamodb")
    )

    @idempotent_function(data_keyword_argument="ref", persistence_store=persistence, config=_idempotency())
    def process(ref: dict[str, Any]) -> dict[str, Any]:
        outcome = intake.process_upload(intake.UploadRef.model_validate(ref), get_deps())
        return {"upload_id": outcome.upload_id, "status": outcome.status, "counts": outcome.counts}

    return process


def _process_batch(event: SQSEvent, record_handler: Any) -> dict[str, Any]:
    """Powertools partial batch processing: a failing message is retried alone, the others are done."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return dict(
        process_partial_response(
            event=event.to_dict(),
            record_handler=record_handler,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=cast("LambdaContext", event.context),
        )
    )


def _intake_record(record: SQSRecord) -> None:
    for ref in intake.pinned_refs(record.body, get_deps()):
        _process_chunk()(ref=ref.model_dump())


@app.on_sqs_message(queue=INTAKE_QUEUE, batch_size=1)
def intake_upload(event: SQSEvent) -> dict[str, Any]:
    """S3 ObjectCreated notifications (and continuations of large files) for the intake bucket."""
    _idempotency().register_lambda_context(cast("LambdaContext", event.context))
    return _process_batch(event, _intake_record)


def _dead_letter_record(record: SQSRecord) -> None:
    for ref in intake.parse_message(record.body):
        intake.write_failure_receipt(ref, "", get_deps())
        logger.error("upload failed every retry", extra={"key": ref.key})


@app.on_sqs_message(queue=INTAKE_DLQ, batch_size=1)
def intake_dead_letter(event: SQSEvent) -> dict[str, Any]:
    """Uploads that failed every retry: write a receipt that says so, so nothing fails silently."""
    return _process_batch(event, _dead_letter_record)


def job_as_of(event: dict[str, Any]) -> date:
    """The business date a scheduled job works for: ``detail.as_of`` if given, else the event time's local date."""
    detail = event.get("detail") or {}
    if detail.get("as_of"):
        return date.fromisoformat(detail["as_of"])
    when = event.get("time")
    return local_date(parse_iso_utc(when) if when else utc_now())


def run_job(job: str, event: dict[str, Any]) -> dict[str, Any]:
    """Run a scheduled job by name; ``guiji invoke`` goes through here too."""
    deps = get_deps()
    as_of = job_as_of(event)
    if job == "publish":
        report = publication.run_scheduled(as_of, deps)
        return {"job": job, "as_of": as_of.isoformat(), **report.__dict__}
    if job == "scan":
        result = monitor.run_daily(as_of, deps)
        result["bulletins"] = bulletins.run_due_bulletins(as_of, deps).__dict__
        return {"job": job, "as_of": as_of.isoformat(), **result}
    if job == "bulletin":
        detail = event.get("detail") or {}
        made = bulletins.run_on_demand(as_of, deps, period=detail.get("period"), scope=detail.get("scope"))
        return {"job": job, "as_of": as_of.isoformat(), **made.__dict__}
    if job == "scan_only":
        return {"job": job, "as_of": as_of.isoformat(), **monitor.run_scan(as_of, deps).__dict__}
    if job == "audit_verify":
        result = audit.verify_full(as_of, deps)
        return {"job": job, "as_of": as_of.isoformat(), **result}
    if job == "notify":
        warnings = monitor.health_warnings(as_of, deps)
        return {"job": job, "as_of": as_of.isoformat(), **monitor.send_notices(as_of, deps, warnings=warnings).__dict__}
    raise ValueError(f"unknown job {job!r}")


@app.schedule(Rate(1, unit=Rate.HOURS))
def publish_run(event: CloudWatchEvent) -> dict[str, Any]:
    """Hourly publication run."""
    return run_job("publish", event.to_dict())


@app.schedule(Cron(0, 17, "*", "*", "?", "*"))  # 01:00 Asia/Shanghai = 17:00 UTC the day before
def daily_scan(event: CloudWatchEvent) -> dict[str, Any]:
    """Daily breach scan, then the supervisors' notices, then any weekly/monthly bulletin due today."""
    return run_job("scan", event.to_dict())


@app.lambda_function(name="run_job")
def run_job_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """On-demand jobs (``{"job": "notify", "as_of": "2026-12-01"}``): the same code paths as the schedules."""
    detail = {k: event.get(k) for k in ("as_of", "period", "scope")}
    return run_job(str(event["job"]), {"detail": detail, "time": event.get("time")})
