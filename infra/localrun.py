"""The embedded local stack: moto server on 127.0.0.1, the same resources as production, event wiring, the API.

``python -m infra.localrun serve --state FILE`` runs in the background (``guiji local up`` starts it):

* a moto server on a free port of 127.0.0.1 (never a fixed port: other servers may share the machine);
* ``infra/resources.yaml`` provisioned into it by :func:`infra.local_stack.provision`;
* a poller that receives from the intake queue (and its dead-letter queue) and invokes the Chalice handlers
  exactly as Lambda's SQS event source would (moto cannot run Lambda functions without Docker);
* the HTTP API (the Chalice app's routes through ``chalice.local.LocalGateway``) on another free port, with the
  web console under ``/console``;
* a state file with the endpoints and resource names, read by the other ``guiji`` commands;
* with ``--data DIR``, the stack's data restored from DIR at start and saved to it on a clean stop
  (:mod:`infra.snapshot`). SIGTERM/SIGINT stop it after the message being handled.
"""

from __future__ import annotations

import argparse
import base64
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
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from shared.ratelimit import RateLimiter

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
    if "AWS_SESSION_TOKEN" not in env:
        os.environ.pop("AWS_SESSION_TOKEN", None)  # a stray token would make moto reject the admin's key
    if env.get("GUIJI_LOCAL_IDENTITIES"):
        set_identities(json.loads(env["GUIJI_LOCAL_IDENTITIES"]))
    import boto3

    boto3.DEFAULT_SESSION = None  # boto3.client() caches the credentials it first found
    from shared.services.deps import reset

    reset()


# The local stack's IAM identities: one per function (its deployed policies) and "admin" (the operator).
_IDENTITIES: dict[str, Any] = {}


def set_identities(raw: dict[str, dict[str, str]]) -> None:
    """Remember the identities of the running local stack (from start_stack or the state file)."""
    from shared.adapters.aws import Identity

    _IDENTITIES.clear()
    _DEPARTMENT_SESSIONS.clear()
    for name, values in raw.items():
        _IDENTITIES[name] = Identity(
            name, values["access_key_id"], values["secret_access_key"], values.get("session_token")
        )


def function_identity(function: str) -> Any:
    """The identity a local function runs with (None when the stack does not enforce IAM)."""
    return _IDENTITIES.get(function)


def run_as_function(function: str, call: Callable[..., Any], *args: Any) -> Any:
    """Run ``call(*args)`` with the credentials of ``function``'s deployed role, as Lambda would."""
    from shared.adapters.aws import acting_as

    with acting_as(function_identity(function)):
        return call(*args)


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
                event = sqs_event(self.queue_arn, [{**m, "Body": with_writer_identity(m["Body"])}])
                handler = self._handler()
                result = run_as_function(self.handler_name, handler, event, LocalContext(self.handler_name))
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


PUBLIC_PREFIX = "/public/"


def api_wsgi_app(
    public_limit: RateLimiter | None = None, *, authorizer_cache_seconds: int | None = None
) -> Callable[..., Any]:
    """The Chalice routes as a WSGI app: chalice's LocalGateway plus API Gateway's authorizer step
    (infra/local_gateway.py), each run with its function's deployed role.

    The public routes are throttled per client address, as API Gateway's usage plan does in AWS.
    """
    from chalice.config import Config
    from chalice.local import LocalGatewayException

    import functions.app as app_module
    from infra.local_gateway import MAX_REQUEST_BYTES, ApiGateway, gateway_error, throttled, too_large
    from shared.settings import get_settings

    config = Config.create(chalice_stage="dev", app_name="guiji")
    gateway = ApiGateway(
        app_module.app,
        config,
        authorizer_cache_seconds=authorizer_cache_seconds,
        run_authorizer=lambda call: run_as_function("token_authorizer", call),
    )
    if public_limit is None:
        settings = get_settings()
        public_limit = RateLimiter(settings.public_rate_per_second, settings.public_burst)

    def refuse(exc: LocalGatewayException, start_response: Callable[..., Any]) -> list[bytes]:
        response = gateway_error(exc)
        start_response(f"{response['statusCode']} ERROR", [(k, str(v)) for k, v in response["headers"].items()])
        return [response["body"]]

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        if path.startswith(PUBLIC_PREFIX):
            allowed, wait = public_limit.allow(environ.get("REMOTE_ADDR", "?"))
            if not allowed:
                return refuse(throttled(wait), start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_REQUEST_BYTES:
            _discard(environ["wsgi.input"], length)  # read, not kept: the client then reads the 413 (no broken pipe)
            return refuse(too_large(), start_response)
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if body and environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]  # not on bodiless GETs: Chalice would answer 415
        headers.setdefault("host", environ.get("HTTP_HOST", "127.0.0.1"))
        try:
            response = run_as_function(
                "api_handler", lambda: gateway.handle_request(method=method, path=path, headers=headers, body=body)
            )
        except LocalGatewayException as exc:  # refused before any route code ran (authorizer, unknown route)
            response = gateway_error(exc)
        except Exception:  # noqa: BLE001 - the function itself failed: API Gateway answers 502, keep serving
            logging.getLogger("guiji.local").exception("API error")
            fault = {"Code": "BadGateway", "Message": "服务函数执行失败，请稍后再试或联系运维人员"}
            response = {"statusCode": 502, "headers": {}, "body": json.dumps(fault, ensure_ascii=False)}
        status = int(response["statusCode"])
        payload = response.get("body") or b""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload)  # binary bodies (evidence zips), decoded as API Gateway does
        out_headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        for k, values in (response.get("multiValueHeaders") or {}).items():
            out_headers += [(k, str(v)) for v in values]
        if not any(k.lower() == "content-type" for k, _ in out_headers):
            out_headers.append(("Content-Type", "application/json; charset=utf-8"))  # API Gateway's default
        start_response(f"{status} {'OK' if status < 400 else 'ERROR'}", out_headers)
        return [payload]

    return wsgi


def _discard(stream: Any, length: int, chunk: int = 1 << 16) -> None:
    """Read and drop ``length`` bytes of a request body (up to 4x the gateway's limit; a client that sends more
    gets its connection closed instead)."""
    left = min(length, 4 * (10 << 20))
    while left > 0:
        got = stream.read(min(chunk, left))
        if not got:
            return
        left -= len(got)


class _PerThread:
    """A Chalice app attribute kept per thread. In Lambda a container serves one request at a time, so Chalice
    keeps ``app.current_request`` on the app object; the local API serves requests concurrently, so each of its
    threads gets its own."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(self._local, "value", None)

    def __set__(self, obj: Any, value: Any) -> None:
        self._local.value = value


def _serve_requests_concurrently(app: Any) -> None:
    """Give the Chalice app per-thread request state (once)."""
    if not getattr(type(app), "_per_thread", False):
        attrs = {"_per_thread": True, "current_request": _PerThread(), "lambda_context": _PerThread()}
        app.__class__ = type("LocalChalice", (type(app),), attrs)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, as API Gateway runs concurrent calls in separate Lambda containers: a slow
    request (a long evidence bundle, a client that sends slowly) does not hold up the others."""

    daemon_threads = True


def serve_api(
    port: int, public_limit: RateLimiter | None = None, *, authorizer_cache_seconds: int | None = None
) -> WSGIServer:
    """Serve the API on 127.0.0.1:port; the authorizer cache TTL is the deployed one unless given (tests)."""
    import functions.app as app_module

    _serve_requests_concurrently(app_module.app)
    app = api_wsgi_app(public_limit, authorizer_cache_seconds=authorizer_cache_seconds)
    server = make_server("127.0.0.1", port, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
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


# --------------------------------------------------------------------------- who wrote an object (local stack)
#
# AWS puts the writer's principal id into every S3 event (userIdentity.principalId); moto does not
# (serverless.md M2). The local stack derives it the way AWS does, from the credentials that signed the write:
# a WSGI layer in front of moto notes the access key of every successful object write, and the poller puts
# the matching principal id into the event before the intake sees it. Object metadata is never used.

_WRITERS: dict[tuple[str, str], str] = {}  # (bucket, key) -> access key id of the latest successful write
_WRITERS_LOCK = threading.Lock()


def _access_key_of(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    return auth.partition("Credential=")[2].partition("/")[0]


def _object_of(environ: dict[str, Any]) -> tuple[str, str] | None:
    from urllib.parse import unquote

    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:  # percent-encoded UTF-8, as the client sent it
        path = unquote(raw.split("?", 1)[0]).lstrip("/")
    else:  # WSGI decodes the path's bytes as latin-1
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace").lstrip("/")
    host = environ.get("HTTP_HOST", "").split(":")[0]
    if ".s3." in host or host.endswith(".localhost"):  # virtual-hosted style
        bucket, key = host.split(".", 1)[0], path
    else:
        bucket, _, key = path.partition("/")
    return (bucket, key) if bucket and key else None


def _credentials_of(access_key_id: str) -> tuple[str, str | None] | None:
    """(secret key, session token) of a moto access key."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for partitions in sts_backends.values():
        for backend in partitions.values():
            for role in backend.assumed_roles:
                if role.access_key_id == access_key_id:
                    return role.secret_access_key, role.session_token
    for partitions in iam_backends.values():
        for backend in partitions.values():
            for user in backend.users.values():
                for key in user.access_keys:
                    if key.access_key_id == access_key_id:
                        return key.secret_access_key, None
    return None


def _post_policy_refusal(bucket: str, form: dict[str, str], size: int) -> str | None:
    """Check a browser-based POST upload as S3 does (SigV4 over the policy, expiry, every condition, IAM).

    moto does not verify POST policies, and with IAM enforced it fails on them (no Authorization header)."""
    import base64
    import hashlib
    import hmac
    from datetime import UTC, datetime

    from moto.iam.access_control import IAMPolicy, PermissionResult, create_access_key

    try:
        credential = form["x-amz-credential"]
        access_key, day, region, service, _ = credential.split("/")
        policy_b64, signature = form["policy"], form["x-amz-signature"]
    except (KeyError, ValueError):
        return "missing or malformed POST policy fields"
    found = _credentials_of(access_key)
    if found is None:
        return "InvalidAccessKeyId"
    secret, token = found
    if token is not None and form.get("x-amz-security-token") != token:
        return "InvalidToken"
    signing_key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(signing_key, policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "SignatureDoesNotMatch"
    policy = json.loads(base64.b64decode(policy_b64))
    if datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")) < datetime.now(UTC):
        return "policy expired"
    values = {**{k.lower(): v for k, v in form.items()}, "bucket": bucket}
    covered = {"policy", "x-amz-signature", "file"}
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            ((name, wanted),) = condition.items()
            condition = ["eq", f"${name}", wanted]
        if condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if not low <= size <= high:
                return f"EntityTooLarge or EntityTooSmall ({size} bytes, allowed {low}-{high})"
            continue
        op, name, *args = condition
        field = str(name).lstrip("$").lower()
        covered.add(field)
        if op == "eq" and values.get(field) != args[0]:
            return f"condition failed: {field}"
        if op == "starts-with" and not str(values.get(field, "")).startswith(args[0]):
            return f"condition failed: {field}"
    extra = {k for k in values if k not in covered and k != "bucket" and not k.startswith("x-ignore-")}
    if extra:
        return f"fields not covered by the policy: {sorted(extra)}"
    headers = {"X-Amz-Security-Token": token} if token else {}
    principal = create_access_key("123456789012", "aws-cn", access_key, headers)
    arn = f"arn:aws-cn:s3:::{bucket}/{form['key']}"
    results = [IAMPolicy(p).is_action_permitted("s3:PutObject", arn) for p in principal.collect_policies()]
    if PermissionResult.DENIED in results or PermissionResult.PERMITTED not in results:
        return "AccessDenied"
    return None


def _browser_post(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Serve a presigned POST upload: verify it like S3, then store the object (moto sends the notification)."""
    from moto.s3.models import s3_backends
    from werkzeug.formparser import parse_form_data

    bucket = environ.get("PATH_INFO", "").strip("/").split("/", 1)[0]
    cors = _cors_headers(bucket, environ.get("HTTP_ORIGIN"), "POST")
    _, form, files = parse_form_data(environ)
    fields = dict(form.items())
    upload = files.get("file")
    data = upload.read() if upload is not None else b""
    refusal = _post_policy_refusal(bucket, fields, len(data)) if upload is not None else "no file field"
    if refusal is not None:
        body = f"<Error><Code>AccessDenied</Code><Message>{refusal}</Message></Error>".encode()
        start_response("403 Forbidden", [("Content-Type", "application/xml"), *cors])
        return [body]
    key = fields["key"].replace("${filename}", upload.filename or "") if upload is not None else ""
    s3_backends["123456789012"]["aws-cn"].put_object(bucket, key, data, request_method="POST")
    with _WRITERS_LOCK:
        _WRITERS[(bucket, key)] = fields["x-amz-credential"].split("/")[0]
    start_response("204 No Content", cors)
    return [b""]


def _cors_headers(bucket: str, origin: str | None, method: str) -> list[tuple[str, str]]:
    """The CORS headers S3 adds for the bucket's CORS rules (the console's form posts come from another origin)."""
    from moto.s3.models import s3_backends

    if not origin:
        return []
    try:
        rules = s3_backends["123456789012"]["aws-cn"].get_bucket(bucket).cors
    except Exception:  # noqa: BLE001 - an unknown bucket has no CORS rules; the upload itself reports the error
        return []
    for rule in rules or []:
        if method in (rule.allowed_methods or []) and ("*" in rule.allowed_origins or origin in rule.allowed_origins):
            headers = [("Access-Control-Allow-Origin", "*" if "*" in rule.allowed_origins else origin)]
            if rule.exposed_headers:
                headers.append(("Access-Control-Expose-Headers", ", ".join(rule.exposed_headers)))
            return headers
    return []


def _record_writers(app: Callable[..., Any]) -> Callable[..., Any]:
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        is_form = environ.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        if environ.get("REQUEST_METHOD") == "POST" and is_form and not environ.get("HTTP_AUTHORIZATION"):
            return _browser_post(environ, start_response)
        target = _object_of(environ) if environ.get("REQUEST_METHOD") == "PUT" else None
        if target is None or "x-id=UploadPart" in environ.get("QUERY_STRING", ""):
            return app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            if status.startswith("200") and any(k.lower() == "etag" for k, _ in headers):
                with _WRITERS_LOCK:
                    _WRITERS[target] = _access_key_of(environ)
            return start_response(status, headers, *rest)

        return app(environ, start)

    return wsgi


def principal_of_access_key(access_key_id: str) -> str:
    """The principal id AWS reports for requests signed with ``access_key_id`` (moto's IAM/STS state)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for partitions in sts_backends.values():
        for backend in partitions.values():
            for role in backend.assumed_roles:
                if role.access_key_id == access_key_id:
                    return f"AWS:{role.user_id}"
    for partitions in iam_backends.values():
        for backend in partitions.values():
            for user in backend.users.values():
                if any(k.access_key_id == access_key_id for k in user.access_keys):
                    return f"AWS:{user.id}"
    return ""


def with_writer_identity(body: str) -> str:
    """An S3 notification body with ``userIdentity.principalId`` filled in as AWS would (other bodies unchanged)."""
    from urllib.parse import unquote_plus

    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict) or not isinstance(data.get("Records"), list):
        return body
    for record in data["Records"]:
        s3 = record.get("s3") or {}
        target = (s3.get("bucket", {}).get("name", ""), unquote_plus(s3.get("object", {}).get("key", "")))
        with _WRITERS_LOCK:
            access_key = _WRITERS.get(target, "")
        if access_key and "userIdentity" not in record:
            record["userIdentity"] = {"principalId": principal_of_access_key(access_key)}
    return json.dumps(data)


def _substitute_department_tag() -> None:
    """Teach moto one IAM policy variable: ``${aws:PrincipalTag/department}`` in an uploader-role session.

    moto keeps neither session tags nor policy variables. The uploader role's trust policy (resources.yaml)
    makes the session name start with the department tag ("<code>-…"), so the tag is read from there.
    """
    from moto.iam import access_control

    if getattr(access_control.AssumedRoleAccessKey, "_guiji_patched", False):
        return
    original = access_control.AssumedRoleAccessKey.collect_policies

    def collect_policies(self: Any) -> list[Any]:
        department = str(self._session_name).split("-", 1)[0]
        out = []
        for policy in original(self):
            if isinstance(policy, dict) and "Statement" in policy:  # inline role policy created by CloudFormation
                policy = json.dumps(policy)
            if isinstance(policy, str):
                policy = policy.replace("${aws:PrincipalTag/department}", department)
            out.append(policy)
        return out

    access_control.AssumedRoleAccessKey.collect_policies = collect_policies
    access_control.AssumedRoleAccessKey._guiji_patched = True


class _LocalMotoServer:
    """moto's ThreadedMotoServer with the writer log in front (same start/stop/get_host_and_port)."""

    def __init__(self) -> None:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        class Server(ThreadedMotoServer):  # type: ignore[misc]
            def _server_entry(self) -> None:
                from moto.moto_server.threaded_moto_server import MotoRequestHandler
                from moto.server import DomainDispatcherApplication, create_backend_app
                from werkzeug.serving import make_server as werkzeug_server

                app = _record_writers(DomainDispatcherApplication(create_backend_app))
                self._server = werkzeug_server(
                    self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
                )
                self._server_ready_event.set()
                self._server.serve_forever()

        self._inner = Server(ip_address="127.0.0.1", port=free_port(), verbose=False)

    def start(self) -> None:
        self._inner.start()

    def stop(self) -> None:
        self._inner.stop()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._inner.get_host_and_port()
        return str(host), int(port)


_DEPARTMENT_SESSIONS: dict[str, Any] = {}


def department_identity(code: str) -> Any:
    """Credentials of an upload session of department ``code`` on the local stack (None without one).

    Like a department's own system would, the session is of the uploader role, tagged department=code and
    named "<code>-local"; IAM lets it write only under incoming/<code>/."""
    from shared.adapters.aws import Identity

    role_id = os.environ.get("GUIJI_UPLOADER_ROLE_ID")
    if not _IDENTITIES or not role_id:
        return None
    if code not in _DEPARTMENT_SESSIONS:
        import boto3

        iam = boto3.client("iam")
        role_arn = next(r["Arn"] for r in iam.list_roles()["Roles"] if r["RoleId"] == role_id)
        creds = boto3.client("sts").assume_role(
            RoleArn=role_arn,
            RoleSessionName=f"{code}-local",
            Tags=[{"Key": "department", "Value": code}],
            DurationSeconds=3600,
        )["Credentials"]
        _DEPARTMENT_SESSIONS[code] = Identity(
            f"department:{code}", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
        )
    return _DEPARTMENT_SESSIONS[code]


def start_stack() -> tuple[Any, dict[str, str]]:
    """Start a moto server in this process and provision the stack; returns (server, environment)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _substitute_department_tag()
    server = _LocalMotoServer()
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = base_env(endpoint)
    apply_env(env)
    env.update(provision_enforced(endpoint))
    return server, env


def provision_enforced(endpoint: str) -> dict[str, str]:
    """Provision the stack and its IAM identities with IAM off, then enforce IAM; this process becomes the
    admin. Returns the environment changes (resource names, the admin's credentials, the identities as JSON)."""
    from infra.local_stack import ADMIN, enforce_iam, provision, provision_identities

    enforce_iam(endpoint, False)
    env = provision(endpoint, stage="local", region=LOCAL_REGION)
    env["GUIJI_INBOX_QUEUE_URL"] = subscribe_inbox(env["NOTICES_TOPIC_ARN"])
    identities = provision_identities(endpoint, stage="local", region=LOCAL_REGION)
    set_identities(identities)
    env["AWS_ACCESS_KEY_ID"] = identities[ADMIN]["access_key_id"]
    env["AWS_SECRET_ACCESS_KEY"] = identities[ADMIN]["secret_access_key"]
    env["GUIJI_LOCAL_IDENTITIES"] = json.dumps(identities)
    apply_env({**base_env(endpoint), **env})
    enforce_iam(endpoint, True)
    return env


def serve(state_file: Path, data_dir: Path | None = None) -> int:
    """Run the local stack until SIGTERM/SIGINT; then finish the message in hand, save the data and exit.

    With ``data_dir`` the stack's data is restored from it at start and saved to it on a clean stop
    (:mod:`infra.snapshot`).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    log = logging.getLogger("guiji.local")
    server, env = start_stack()
    import boto3

    dlq_url = boto3.client("sqs").get_queue_url(QueueName=_dlq_name(env["INTAKE_QUEUE_URL"]))["QueueUrl"]
    queue_urls = [env["INTAKE_QUEUE_URL"], dlq_url, env["GUIJI_INBOX_QUEUE_URL"]]
    if data_dir is not None:
        from infra.snapshot import SnapshotError, restore

        try:
            restored = restore(env, queue_urls, data_dir)
        except SnapshotError as exc:
            log.error("cannot restore the saved data: %s (move %s away to start empty)", exc, data_dir)
            server.stop()
            return 1
        log.info("data directory %s: %s", data_dir, f"restored {restored}" if restored else "empty, starting fresh")
    api_port = free_port()
    api = serve_api(api_port)
    intake = Poller(env["INTAKE_QUEUE_URL"], "intake_upload")
    dead = Poller(dlq_url, "intake_dead_letter")
    state = {
        "pid": os.getpid(),
        "endpoint": env["AWS_ENDPOINT_URL"],
        "api_url": f"http://127.0.0.1:{api_port}",
        "console_url": f"http://127.0.0.1:{api_port}/console/login",
        "region": LOCAL_REGION,
        "data_dir": str(data_dir) if data_dir is not None else None,
        "env": env,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    state_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(state_file)
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        # Only a flag: the message in hand is finished (or, if the process is killed, redelivered), never cut.
        if not stop.is_set():
            log.info("signal %s: stopping after the current batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("local stack ready: %s", json.dumps({k: v for k, v in state.items() if k != "env"}))
    while not stop.is_set():
        try:
            busy = intake.poll_once(wait=0)  # no long poll: a stop request must not pick up one more message
            busy += 0 if stop.is_set() else dead.poll_once(wait=0)
        except Exception:  # noqa: BLE001 - keep the stack up; the message is retried
            log.exception("poller error")
            busy = 0
        if not busy:
            stop.wait(0.2)
    api.shutdown()
    if data_dir is not None:
        from infra.snapshot import save

        log.info("data saved to %s: %s", data_dir, save(env, queue_urls, data_dir))
    server.stop()
    log.info("local stack stopped")
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
    p.add_argument("--data", type=Path, help="restore from / save to this directory (default: memory only)")
    args = parser.parse_args(argv)
    return serve(args.state, args.data)


if __name__ == "__main__":
    sys.exit(main())
