"""The embedded local stack: moto server on 127.0.0.1, the same resources as production, event wiring, the API.

``python -m infra.localrun serve --state FILE`` runs in the background (``guiji local up`` starts it):

* a moto server on a free port of 127.0.0.1 (never a fixed port: other servers may share the machine);
* ``infra/resources.yaml`` provisioned into it by :func:`infra.local_stack.provision`;
* a poller that receives from the intake queue (and its dead-letter queue) and invokes the Chalice handlers
  exactly as Lambda's SQS event source would (moto cannot run Lambda functions without Docker);
* the HTTP API (the Chalice app's routes through ``chalice.local.LocalGateway``) on another free port;
* a state file with the endpoints and resource names, read by the other ``guiji`` commands.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

LOCAL_REGION = "cn-north-1"
INBOX_QUEUE = "guiji-local-notices-inbox"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(endpoint: str) -> dict[str, str]:
    """What every process talking to the local stack needs (fake credentials, no AWS account)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "GUIJI_STAGE": "local",
        "GUIJI_ALLOW_BACKDATE": "1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "guiji",
        "POWERTOOLS_METRICS_NAMESPACE": "Guiji",
        "POWERTOOLS_DEV": "false",
    }


def apply_env(env: dict[str, str]) -> None:
    """Point this process at the local stack and forget cached clients/settings."""
    os.environ.update(env)
    from shared.services.context import reset

    reset()


@dataclass
class LocalContext:
    """The parts of a Lambda context the handlers and Powertools read."""

    function_name: str
    timeout_seconds: int = 900
    memory_limit_in_mb: int = 2048

    def __post_init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws-cn:lambda:{LOCAL_REGION}:123456789012:function:guiji-{self.function_name}"
        self.log_group_name = f"/aws/lambda/guiji-{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def sqs_event(queue_arn: str, messages: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """An SQS event as Lambda's event source mapping delivers it."""
    records = []
    for m in messages:
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": m.get("Attributes", {}).get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": m.get("Attributes", {}).get("SentTimestamp", "0"),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(m["Body"].encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": LOCAL_REGION,
            }
        )
    return {"Records": records}


def schedule_event(job: str, as_of: str | None = None, **detail: str | None) -> dict[str, Any]:
    """A scheduled (EventBridge) event, optionally carrying the business date (and bulletin period/scope)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": LOCAL_REGION,
        "resources": [f"arn:aws-cn:events:{LOCAL_REGION}:123456789012:rule/guiji-{job}"],
        "detail": {k: v for k, v in {"as_of": as_of, **detail}.items() if v},
    }


class Poller:
    """Delivers queue messages to the Chalice handlers like an SQS event source mapping (batch size 1)."""

    def __init__(self, queue_url: str, handler_name: str, *, on_failure_visibility: int = 1) -> None:
        import boto3

        self.sqs = boto3.client("sqs")
        self.queue_url = queue_url
        self.handler_name = handler_name
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.on_failure_visibility = on_failure_visibility
        self.handled = 0
        self.failed = 0

    def _handler(self) -> Callable[[dict[str, Any], Any], Any]:
        import functions.app as app_module

        handler: Callable[[dict[str, Any], Any], Any] = getattr(app_module, self.handler_name)
        return handler

    def poll_once(self, wait: int = 0) -> int:
        """Receive and handle one message; returns how many were handled (0 when the queue is empty)."""
        resp = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait, AttributeNames=["All"]
        )
        messages = resp.get("Messages", [])
        for m in messages:
            try:
                result = self._handler()(sqs_event(self.queue_arn, [m]), LocalContext(self.handler_name))
                failed = bool(result and result.get("batchItemFailures"))
            except Exception:  # noqa: BLE001 - a crashing invocation leaves the message for a retry, as Lambda does
                logging.getLogger("guiji.local").exception("handler %s crashed", self.handler_name)
                failed = True
            if failed:
                self.failed += 1
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=self.on_failure_visibility,
                )
            else:
                self.handled += 1
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def pending(self) -> int:
        """Messages visible or in flight (a failed one comes back after its visibility timeout)."""
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def drain(self, *, max_seconds: float = 600) -> None:
        """Handle messages until none is visible or in flight (tests and the demo use this)."""
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            if self.poll_once(wait=0):
                continue
            if not self.pending():
                return
            time.sleep(0.2)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return None


def api_wsgi_app(*, authorizer_cache_seconds: int | None = None) -> Callable[..., Any]:
    """The Chalice routes as a WSGI app (chalice's LocalGateway plus API Gateway's authorizer step)."""
    from chalice.config import Config
    from chalice.local import LocalGatewayException

    import functions.app as app_module
    from infra.local_gateway import ApiGateway, gateway_error

    config = Config.create(chalice_stage="dev", app_name="guiji")
    gateway = ApiGateway(app_module.app, config, authorizer_cache_seconds=authorizer_cache_seconds)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if body and environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]  # not on bodiless GETs: Chalice would answer 415
        headers.setdefault("host", environ.get("HTTP_HOST", "127.0.0.1"))
        try:
            response = gateway.handle_request(method=method, path=path, headers=headers, body=body)
        except LocalGatewayException as exc:  # refused before any route code ran (authorizer, unknown route)
            response = gateway_error(exc)
        except Exception as exc:  # noqa: BLE001 - report like API Gateway, keep serving
            logging.getLogger("guiji.local").exception("API error")
            response = {"statusCode": 502, "headers": {}, "body": json.dumps({"message": str(exc)})}
        status = int(response["statusCode"])
        payload = response.get("body") or b""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        out_headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        for k, values in (response.get("multiValueHeaders") or {}).items():
            out_headers += [(k, str(v)) for v in values]
        if not any(k.lower() == "content-type" for k, _ in out_headers):
            out_headers.append(("Content-Type", "application/json; charset=utf-8"))  # API Gateway's default
        start_response(f"{status} {'OK' if status < 400 else 'ERROR'}", out_headers)
        return [payload]

    return wsgi


def serve_api(port: int, *, authorizer_cache_seconds: int | None = None) -> WSGIServer:
    """Serve the API on 127.0.0.1:port; the authorizer cache TTL is the deployed one unless given (tests)."""
    app = api_wsgi_app(authorizer_cache_seconds=authorizer_cache_seconds)
    server = make_server("127.0.0.1", port, app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="guiji-api", daemon=True).start()
    return server


def subscribe_inbox(topic_arn: str) -> str:
    """An SQS queue subscribed to the notices topic, so the demo and tests can read what supervisors get."""
    import boto3

    sqs = boto3.client("sqs")
    url: str = sqs.create_queue(QueueName=INBOX_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def start_stack() -> tuple[Any, dict[str, str]]:
    """Start a moto server in this process and provision the stack; returns (server, environment)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = base_env(endpoint)
    apply_env(env)
    from infra.local_stack import provision

    env.update(provision(endpoint, stage="local", region=LOCAL_REGION))
    env["GUIJI_INBOX_QUEUE_URL"] = subscribe_inbox(env["NOTICES_TOPIC_ARN"])
    apply_env(env)
    return server, env


def serve(state_file: Path) -> int:
    """Run the local stack until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    server, env = start_stack()
    api_port = free_port()
    api = serve_api(api_port)
    intake = Poller(env["INTAKE_QUEUE_URL"], "intake_upload")
    import boto3

    dlq_url = boto3.client("sqs").get_queue_url(QueueName=_dlq_name(env["INTAKE_QUEUE_URL"]))["QueueUrl"]
    dead = Poller(dlq_url, "intake_dead_letter")
    state = {
        "pid": os.getpid(),
        "endpoint": env["AWS_ENDPOINT_URL"],
        "api_url": f"http://127.0.0.1:{api_port}",
        "region": LOCAL_REGION,
        "env": env,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    state_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(state_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log = logging.getLogger("guiji.local")
    log.info("local stack ready: %s", json.dumps({k: v for k, v in state.items() if k != "env"}))
    while not stop.is_set():
        try:
            busy = intake.poll_once(wait=1) + dead.poll_once(wait=0)
        except Exception:  # noqa: BLE001 - keep the stack up; the message is retried
            log.exception("poller error")
            busy = 0
        if not busy:
            stop.wait(0.1)
    api.shutdown()
    server.stop()
    return 0


def _dlq_name(intake_queue_url: str) -> str:
    import boto3

    attrs = boto3.client("sqs").get_queue_attributes(QueueUrl=intake_queue_url, AttributeNames=["RedrivePolicy"])
    policy = json.loads(attrs["Attributes"]["RedrivePolicy"])
    return str(policy["deadLetterTargetArn"]).rsplit(":", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.localrun")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    return serve(args.state)


if __name__ == "__main__":
    sys.exit(main())
