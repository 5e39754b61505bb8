"""The Chalice app: thin handlers that parse the event, call the domain (``shared``) and return.

Every event handler is registered on ``app`` itself (not on a blueprint): in Lambda a blueprint's event
handler is imported without ``app.py`` and would miss the middleware (serverless.md C11).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, CloudWatchEvent, ConvertToMiddleware, Cron, Rate, SQSEvent

from shared.observability import logger, metrics, tracer

# configure_logs=False: Powertools owns logging; two handlers would print every line twice (serverless.md P6).
app = Chalice(app_name="guiji", configure_logs=False)
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context))
app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))

# Placeholder queue names: the deployed template replaces them with the queues from infra/resources.yaml.
INTAKE_QUEUE = "guiji-intake"
INTAKE_DLQ = "guiji-intake-dlq"


@app.on_sqs_message(queue=INTAKE_QUEUE, batch_size=1)
def intake_upload(event: SQSEvent) -> dict[str, Any]:
    """S3 ObjectCreated notifications (and chunk continuations) for the intake bucket."""
    logger.info("stub", extra={"event": event.to_dict()})
    return {}


@app.on_sqs_message(queue=INTAKE_DLQ, batch_size=1)
def intake_dead_letter(event: SQSEvent) -> dict[str, Any]:
    """Uploads that failed every retry: write a receipt that says so, so nothing fails silently."""
    logger.info("stub", extra={"event": event.to_dict()})
    return {}


@app.schedule(Rate(1, unit=Rate.HOURS))
def publish_run(event: CloudWatchEvent) -> dict[str, Any]:
    """Hourly publication run."""
    logger.info("stub", extra={"event": event.to_dict()})
    return {}


@app.schedule(Cron(0, 17, "*", "*", "?", "*"))  # 01:00 Asia/Shanghai = 17:00 UTC the day before
def daily_scan(event: CloudWatchEvent) -> dict[str, Any]:
    """Daily breach scan followed by the supervisors' notices."""
    logger.info("stub", extra={"event": event.to_dict()})
    return {}
