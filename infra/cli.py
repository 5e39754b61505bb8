"""``guiji``: the command line for operators, auditors and the local stack (BRIEF §4 "CLI").

Commands find the stack through the state file written by ``guiji local up`` (``.guiji/local.json``, or
``GUIJI_STATE``); without one they use the environment (``INTAKE_BUCKET`` …, real AWS credentials).
Errors are one clear line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

STATE_FILE = Path(os.environ.get("GUIJI_STATE", ".guiji/local.json"))
JOBS = ("scan", "publish", "notify", "bulletin", "audit_verify")
DOWN_TIMEOUT = 300.0  # seconds `local down` waits for the batch in hand (a 50,000-row chunk) and the save


class CliError(Exception):
    """A user-facing error: printed as one line."""


def _state() -> dict[str, Any] | None:
    if not STATE_FILE.exists():
        return None
    state: dict[str, Any] = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    if not _alive(int(state["pid"])):
        return None
    return state


def _alive(pid: int) -> bool:
    try:
        # A stack started by this very process (``guiji demo --down``, tests) stays a zombie until reaped, and a
        # zombie still answers signal 0: reap it, or ``local down`` would wait for a process that has exited.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: its parent reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _connect() -> dict[str, Any] | None:
    """Point this process at the running local stack, if any."""
    state = _state()
    if state is not None:
        from infra.localrun import apply_env

        apply_env(state["env"])
    return state


def _deps() -> Any:
    _connect()
    from shared.services.deps import get_deps

    try:
        return get_deps()
    except Exception as exc:  # noqa: BLE001 - turn a missing configuration into one clear line
        raise CliError(
            "找不到运行中的本地环境或AWS配置：请先执行 guiji local up（或设置 INTAKE_BUCKET 等环境变量）"
        ) from exc


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


# --- local stack ---------------------------------------------------------------------------------------------


def data_dir_of(args: argparse.Namespace) -> Path | None:
    """Where ``local up`` keeps the stack's data: ``--data DIR``, none with ``--no-data``, else next to the state."""
    if getattr(args, "no_data", False):
        return None
    given = getattr(args, "data", None)
    return Path(given) if given else STATE_FILE.parent / "data"


def local_up(args: argparse.Namespace) -> int:
    state = _state()
    if state is None:
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        STATE_FILE.unlink(missing_ok=True)
        log = STATE_FILE.with_suffix(".log")
        data = data_dir_of(args)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "infra.localrun", "serve", "--state", str(STATE_FILE)]
                + (["--data", str(data)] if data is not None else []),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, "POWERTOOLS_LOG_LEVEL": "INFO"},
            )
        deadline = time.monotonic() + 120
        print("starting the local stack (moto server on 127.0.0.1) …", file=sys.stderr, flush=True)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CliError(f"本地环境启动失败，详见日志 {log}")
            state = _state()
            if state is not None:
                break
            time.sleep(0.3)
        else:
            proc.terminate()
            raise CliError(f"本地环境启动超时，详见日志 {log}")
    assert state is not None
    env = state["env"]
    print(f"endpoint      {state['endpoint']}")
    print(f"api           {state['api_url']}")
    print(f"console       {console_url(state)}   (web console; sign in with: guiji local token --role …)")
    print(f"region        {state['region']}")
    print(f"intake bucket {env['INTAKE_BUCKET']}")
    print(f"reports bucket {env['REPORTS_BUCKET']}")
    for name in ("RECORDS_TABLE", "REGISTRY_TABLE", "BREACHES_TABLE", "AUDIT_TABLE", "CONTROL_TABLE"):
        print(f"{name.lower():13} {env[name]}")
    print(f"intake queue  {env['INTAKE_QUEUE_URL']}")
    print(f"notices topic {env['NOTICES_TOPIC_ARN']}")
    print(f"state file    {STATE_FILE}  (pid {state['pid']})")
    print(f"data          {state.get('data_dir') or 'memory only (lost when the stack stops)'}")
    print(f"try: aws --endpoint-url {state['endpoint']} s3 ls s3://{env['INTAKE_BUCKET']}/")
    return 0


def console_url(state: dict[str, Any]) -> str:
    """The web console's sign-in page on the local stack (served by the API itself)."""
    return f"{state['api_url']}/console/login"


def local_down(args: argparse.Namespace) -> int:
    """Ask the stack to stop after the message it is handling, save its data, and wait for it (bounded)."""
    state = _state()
    if state is None:
        print("local stack is not running")
        STATE_FILE.unlink(missing_ok=True)
        return 0
    pid = int(state["pid"])
    timeout = float(getattr(args, "timeout", DOWN_TIMEOUT))
    os.kill(pid, signal.SIGTERM)
    print(f"stopping the local stack after its current batch (up to {timeout:g} s) …", file=sys.stderr, flush=True)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        print(
            f"the local stack did not stop within {timeout:g} s and was killed: what changed since it started was"
            " not saved (a data directory keeps what the previous clean stop saved)",
            file=sys.stderr,
        )
        STATE_FILE.unlink(missing_ok=True)
        return 1
    STATE_FILE.unlink(missing_ok=True)
    saved = f", data saved in {state['data_dir']}" if state.get("data_dir") else ""
    print(f"local stack stopped (pid {pid}){saved}")
    return 0


def local_credentials(args: argparse.Namespace) -> int:
    """Print a department's upload credentials for the local stack as shell lines."""
    from infra.localrun import department_identity

    state = _connect()
    if state is None:
        raise CliError("本地环境未运行：请先执行 guiji local up")
    code = args.department.strip().upper()
    if _deps().tables.registry.department(code) is None:
        raise CliError(f"部门“{code}”未在部门登记表中登记")
    identity = department_identity(code)
    if identity is None:
        raise CliError("本地环境未启用上传身份（请重新执行 guiji local up）")
    print(f"# department {code}: may write only under s3://{state['env']['INTAKE_BUCKET']}/incoming/{code}/")
    for name, value in {**identity.env(), "AWS_ENDPOINT_URL": state["endpoint"]}.items():
        print(f"export {name}={value}")
    print(f"export AWS_DEFAULT_REGION={state['region']}")
    return 0


# --- API tokens ---------------------------------------------------------------------------------------------


def _token_service(args: argparse.Namespace) -> Any:
    """The key set secret and control table: of ``--stage`` (a deployment, normal AWS credentials), else of the
    running local stack, else of ``GUIJI_TOKEN_SECRET_ARN`` / ``CONTROL_TABLE`` in the environment."""
    from shared.services.tokens import TokenService

    stage = getattr(args, "stage", None)
    if stage:
        if stage == "local":
            _connect()
        # The names infra/resources.yaml gives the secret and the control table.
        return TokenService.for_names(f"guiji-{stage}-api-token-key", f"guiji-{stage}-control")
    _connect()
    secret, table = os.environ.get("GUIJI_TOKEN_SECRET_ARN"), os.environ.get("CONTROL_TABLE")
    if not secret or not table:
        raise CliError(
            "找不到令牌密钥：请先执行 guiji local up，或指定 --stage（已部署环境），或设置 GUIJI_TOKEN_SECRET_ARN 与 CONTROL_TABLE"
        )
    return TokenService.for_names(secret, table)


def _aws_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    from shared.auth import AuthError, KeySetError

    return (BotoCoreError, ClientError, AuthError, KeySetError)


def token_issue(args: argparse.Namespace) -> int:
    import getpass

    seconds = args.hours * 3600 if args.hours is not None else args.days * 86400
    try:
        issued = _token_service(args).issue(
            args.role,
            region=args.region,
            department=args.department,
            sub=args.sub,
            ttl_seconds=int(seconds),
            issued_by=getpass.getuser(),
        )
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    except _aws_errors() as exc:
        raise CliError(f"签发失败：{exc}") from exc
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issued.expires_at))
    if args.json:
        _print_json({"token": issued.token, "id": issued.jti, "kid": issued.kid, "expires_at": expires})
    else:
        print(issued.token)  # alone on stdout: TOKEN=$(guiji token issue …) works
        print(f"token id {issued.jti}  kid {issued.kid}  expires {expires}", file=sys.stderr)
    return 0


def token_revoke(args: argparse.Namespace) -> int:
    import getpass

    from functions.app import AUTHORIZER_CACHE_SECONDS

    try:
        revoked = _token_service(args).revoke(args.token_id, actor=getpass.getuser(), reason=args.reason)
    except _aws_errors() as exc:
        raise CliError(f"吊销失败：{exc}") from exc
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(revoked.until))
    print(f"revoked {revoked.jti} (deny list entry kept until {until})")
    if not revoked.known:
        print(
            "warning: no token with this id was issued through guiji; denied for the longest lifetime", file=sys.stderr
        )
    print(
        f"takes effect within {AUTHORIZER_CACHE_SECONDS} s: API Gateway may answer from its authorizer cache until then",
        file=sys.stderr,
    )
    return 0


def token_rotate(args: argparse.Namespace) -> int:
    try:
        keys = _token_service(args).rotate()
    except _aws_errors() as exc:
        raise CliError(f"轮换失败：{exc}") from exc
    print(
        f"current kid {keys.current}; still verifying: {', '.join(sorted(k for k in keys.keys if k != keys.current))}"
    )
    return 0


def issue_local_token(
    role: str, *, region: str = "350000", department: str | None = None, sub: str = "", hours: float = 8
) -> str:
    """A token signed with the connected local stack's key (the demo and the console screenshots)."""
    try:
        issued = _token_service(argparse.Namespace(stage=None)).issue(
            role, region=region, department=department, sub=sub, ttl_seconds=int(hours * 3600), issued_by=sub
        )
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    return str(issued.token)


def _token_issue_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--role", required=True, choices=["department", "regulator", "supervisor", "auditor"])
    p.add_argument("--region", default="350000", help="jurisdiction (region code); the province sees all")
    p.add_argument("--department", help="department code (required for --role department)")
    p.add_argument("--sub", default="", help="who the token is for (recorded with the token and in the audit trail)")
    p.add_argument("--days", type=float, default=1.0, help="lifetime in days (default 1, at most 366)")
    p.add_argument("--hours", type=float, help="lifetime in hours (instead of --days)")
    p.add_argument("--json", action="store_true", help="print token, id, kid and expiry as JSON")
    p.add_argument("--stage", help="a deployed stage (e.g. dev): use its secret and table with your AWS credentials")
    p.set_defaults(func=token_issue)


# --- registry and uploads -------------------------------------------------------------------------------------


def registry_load(args: argparse.Namespace) -> int:
    from shared.readers import MalformedFileError, open_table
    from shared.registry import department_header, parse_departments, parse_subjects, subject_header

    deps = _deps()
    path = Path(args.file)
    if not path.exists():
        raise CliError(f"文件不存在：{path}")
    is_header = department_header if args.kind == "departments" else subject_header
    try:
        table = open_table(path, path.name, is_header)
    except MalformedFileError as exc:
        raise CliError(exc.reason_zh) from exc
    if args.kind == "departments":
        good, bad = parse_departments(table.headers, table.rows())
        version = deps.tables.registry.put_departments(good, source=path.name)
    else:
        good, bad = parse_subjects(table.headers, table.rows())
        version = deps.tables.registry.put_subjects(good, source=path.name)
    deps.tables.audit.append(
        "REGISTRY",
        f"{args.kind}_loaded",
        "cli",
        {"file": path.name, "version": version, "loaded": len(good), "rejected": len(bad)},
    )
    print(f"loaded {len(good)} {args.kind} as registry version {version}; rejected {len(bad)}")
    for err in bad:
        print(f"  第{err.row}行：{err.reason}")
    return 0 if not bad else 1


def put_upload(
    deps: Any, data: bytes, department: str, category: str, name: str, collected_at: str | None = None
) -> str:
    """Put one file into the intake bucket the way a department's system would."""
    return send_upload(deps, data, department, category, name, collected_at)[0]


def send_upload(
    deps: Any, data: bytes, department: str, category: str, name: str, collected_at: str | None = None
) -> tuple[str, str]:
    """Put one file into the intake bucket with that department's upload identity on the local stack (an
    uploader-role session), with the environment's credentials elsewhere; returns its key and the id of this
    very upload (this arrival)."""
    from infra.localrun import department_identity
    from shared.adapters.aws import acting_as, client
    from shared.adapters.messaging import version_id_of
    from shared.services.upload_keys import arrival_of, upload_id_of

    key = f"incoming/{department}/{category}/{name}"
    metadata = {"collected-at": collected_at} if collected_at else {}
    bucket = deps.settings.intake_bucket
    with acting_as(department_identity(department)):
        put = client("s3").put_object(Bucket=bucket, Key=key, Body=data, Metadata=metadata)
    info = deps.objects.head(bucket, key, version_id_of(put.get("VersionId")))
    if info is None:
        raise CliError(f"上传的文件不存在：{key}")
    return key, upload_id_of(bucket, key, arrival_of(info))


def wait_receipt(
    deps: Any, upload_key: str, timeout: float = 3600, *, quiet: bool = False, upload_id: str | None = None
) -> dict[str, Any]:
    """Wait for the receipt of *this* upload (``upload_id``, else the key's current version); an older receipt of
    the same file name does not count. Shows how many rows the intake function has handled so far."""
    from shared.services.uploads import status

    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        now = status(upload_key, deps, upload_id)
        if now["state"] == "missing":
            raise CliError(f"上传的文件不存在：{upload_key}")
        if now["state"] == "done":
            if shown and not quiet:
                print(file=sys.stderr)
            receipt: dict[str, Any] = now["receipt"]
            return receipt
        if not quiet:
            rows = now["rows_handled"]
            line = f"\r  processing … {rows:,} rows handled" if rows else "\r  processing …"
            if line != shown:
                print(line, end="", file=sys.stderr, flush=True)
                shown = line
        time.sleep(0.5)
    raise CliError(f"等待回执超时：{upload_key}")


def upload(args: argparse.Namespace) -> int:
    deps = _deps()
    path = Path(args.file)
    if not path.exists():
        raise CliError(f"文件不存在：{path}")
    key, uid = send_upload(deps, path.read_bytes(), args.department, args.category, path.name, args.collected_at)
    print(f"uploaded s3://{deps.settings.intake_bucket}/{key}")
    if args.no_wait:
        return 0
    receipt = wait_receipt(deps, key, upload_id=uid)
    print(receipt.get("message", ""))
    _print_json(receipt.get("counts", {}))
    if receipt.get("rejects_key"):
        print(f"reject report: s3://{deps.settings.intake_bucket}/{receipt['rejects_key']}")
    return 0 if receipt.get("status") == "completed" else 1


# --- jobs and queries -----------------------------------------------------------------------------------------


def invoke(args: argparse.Namespace) -> int:
    _deps()
    from functions.app import daily_scan, publish_run, run_job
    from infra.localrun import LocalContext, run_as_function, schedule_event

    as_of = args.as_of.isoformat() if args.as_of else None
    event = schedule_event(args.job, as_of, period=args.period, scope=args.scope)
    # Each job runs with its function's credentials (on the local stack: an identity carrying its deployed policy).
    if args.job == "scan":
        result = run_as_function("daily_scan", lambda: daily_scan(event, LocalContext("daily_scan")))
    elif args.job == "publish":
        result = run_as_function("publish_run", lambda: publish_run(event, LocalContext("publish_run")))
    else:
        try:
            result = run_as_function("run_job", lambda: run_job(args.job, event))
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    _print_json(result)
    return 0


def _filters(args: argparse.Namespace) -> dict[str, str]:
    out = {}
    for name in ("region", "department", "category", "kind", "status", "as_of"):
        value = getattr(args, name)
        if value:
            out[name] = str(value)
    if args.start:
        out["from"] = str(args.start)
    if args.end:
        out["to"] = str(args.end)
    return out


def breaches(args: argparse.Namespace) -> int:
    from shared.services import queries

    deps = _deps()
    try:
        items = queries.list_breaches(queries.parse_filter(_filters(args)), deps)
    except queries.QueryError as exc:
        raise CliError(str(exc)) from exc
    if args.format == "json":
        _print_json(items)
    elif args.format == "csv":
        sys.stdout.write(queries.to_csv(items, queries.BREACH_COLUMNS).lstrip("\ufeff"))
    else:
        _table(
            items,
            ["breach_id", "kind", "status", "department", "category", "doc_no", "due", "actual", "working_days_late"],
        )
        print(f"{len(items)} breaches")
    return 0


def _table(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> None:
    def cell(v: Any) -> str:
        return "" if v is None else str(v)

    widths = {c: max([len(c)] + [_width(cell(r.get(c))) for r in rows]) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(cell(r.get(c)) + " " * (widths[c] - _width(cell(r.get(c)))) for c in cols))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def record(args: argparse.Namespace) -> int:
    from shared.services import queries

    if args.evidence:
        bundle = queries.evidence_bundle(args.record_id, _deps())
        if bundle is None:
            raise CliError(f"记录 {args.record_id} 不存在")
        Path(args.evidence).write_bytes(bundle)
        print(
            f"evidence bundle written: {args.evidence} ({len(bundle):,} bytes); check it with: guiji audit verify-bundle"
        )
        return 0
    found = queries.record_timeline(args.record_id, _deps())
    if found is None:
        raise CliError(f"记录 {args.record_id} 不存在")
    _print_json(found)
    return 0


def scorecard(args: argparse.Namespace) -> int:
    from shared.services import queries
    from shared.timeutil import local_date, utc_now

    period = args.period or local_date(utc_now()).strftime("%Y-%m")  # the business date, not the machine's zone
    try:
        _print_json(queries.scorecard(args.code, period, _deps()))
    except queries.QueryError as exc:
        raise CliError(str(exc)) from exc
    return 0


def held(args: argparse.Namespace) -> int:
    from shared.services import queries

    items = queries.held_queue(_deps())
    _table(items, ["record_id", "department", "category", "doc_no", "subject_name", "attribution", "publish_due"])
    print(f"{len(items)} held")
    return 0


def subscriptions_add(args: argparse.Namespace) -> int:
    from shared.services import sharing
    from shared.sharing import SubscriptionRequest

    request = SubscriptionRequest(
        categories=args.category or [],
        regions=args.region or [],
        kinds=args.kind or [],
        protocol=args.protocol,
        endpoint=args.endpoint,
    )
    sub = sharing.subscribe(args.department, request, "cli", _deps())
    print(f"{sub.subscription_id}  {sub.department}  {sub.describe()} → {sub.protocol}:{sub.endpoint}")
    return 0


def subscriptions_list(args: argparse.Namespace) -> int:
    from shared.services import sharing

    found = sharing.list_subscriptions(_deps(), department=args.department, since=args.start, until=args.end)
    _table(
        found["items"],
        ["subscription_id", "department", "description", "protocol", "endpoint", "delivered", "failed"],
    )
    print(f"{found['total']} subscriptions; deliveries counted {found['from']} … {found['to']}")
    return 0


def subscriptions_remove(args: argparse.Namespace) -> int:
    from shared.services import sharing

    removed = sharing.unsubscribe(args.subscription_id, "cli", _deps())
    print(f"removed {removed.subscription_id} ({removed.department}: {removed.describe()})")
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    """The full verification (kept as the starting point of the incremental one), or with ``--recent`` only what
    changed since the last full one (what GET /audit/verify answers)."""
    tables = _deps().tables
    if args.recent:
        result = tables.verify_audit_recent()
        count, problems = int(result["entries"]), list(result["problems"])
        scope = f"since {result.get('since') or 'the start'} ({result.get('streams', 'all')} streams)"
    else:
        result = tables.verify_audit_full_and_keep()
        count, problems, scope = int(result["entries"]), list(result["problems"]), "in full"
        if result["problem_count"] > len(problems):
            problems.append(f"... and {result['problem_count'] - len(problems)} more")
    if problems:
        for p in problems:
            print(p)
        print(f"audit trail: {count} entries checked {scope}, {len(problems)} problems")
        return 1
    print(f"audit trail intact: {count} entries checked {scope}")
    return 0


def figures_refresh(args: argparse.Namespace) -> int:
    from shared.services import figures

    report = figures.refresh(_deps())
    print(f"figures refreshed: {report.pairs} department-days from {report.records_read} records")
    return 0


def figures_rebuild(args: argparse.Namespace) -> int:
    """Recompute the kept figures from the ledger; says how many department-days differed from what was kept."""
    from datetime import date

    from shared.services import figures

    deps = _deps()
    start, end = args.start or date(2000, 1, 1), args.end
    departments = sorted(deps.tables.registry.departments())
    last = end or date(9999, 12, 31)
    before = {d: _by_day(deps.tables.records.profiles(d, start, last)) for d in departments}
    report = figures.rebuild(deps, start, end)
    after = {d: _by_day(deps.tables.records.profiles(d, start, last)) for d in departments}
    differed = sum(
        1 for d in departments for day in set(before[d]) | set(after[d]) if before[d].get(day) != after[d].get(day)
    )
    print(
        f"figures rebuilt: {report.pairs} department-days from {report.records_read} records; "
        f"{differed} differed from the figures kept"
    )
    return 0


def _by_day(profiles: Any) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for p in profiles:
        out.setdefault(p.production_date, set()).add(p)
    return out


def audit_verify_bundle(args: argparse.Namespace) -> int:
    """Offline: the manifest's file hashes and every audit chain up to its anchored head. ``--online`` also asks
    the trail itself whether each head is still there (a consistently re-made bundle cannot pass that)."""
    import json
    import zipfile

    from shared.evidence import MANIFEST, verify_bundle

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"无法读取文件 {args.file}：{exc.strerror}") from exc
    problems = verify_bundle(data)
    if not problems and args.online:
        heads = json.loads(zipfile.ZipFile(args.file).read(MANIFEST))["audit_heads"]
        tables = _deps().tables
        for stream, head in sorted(heads.items()):
            live = {int(e["seq"]): e["hash"] for e in tables.trail(stream)}
            if live.get(int(head["seq"])) != head["hash"]:
                problems.append(f"{stream}: entry {head['seq']} is not in the audit trail as the bundle says")
    for problem in problems:
        print(problem)
    print(f"{args.file}: {'ok' if not problems else f'{len(problems)} problems'}")
    return 0 if not problems else 1


# --- calendar ---------------------------------------------------------------------------------------------


def _calendar() -> Any:
    state = _connect()
    if state is not None or os.environ.get("CONTROL_TABLE"):
        return _deps().calendar
    from shared.workdays import default_calendar

    return default_calendar()


def calendar_due(args: argparse.Namespace) -> int:
    cal = _calendar()
    due = cal.due_date(args.date, args.days)
    note = "  (provisional)" if cal.due_date_is_provisional(args.date, args.days) else ""
    print(f"{due.isoformat()}{note}")
    if args.explain:
        for line in cal.explain(args.date, args.days).lines_zh():
            print("  " + line)
    return 0


def calendar_between(args: argparse.Namespace) -> int:
    print(_calendar().working_days_between(args.start, args.end))
    return 0


def calendar_years(args: argparse.Namespace) -> int:
    for info in _calendar().years():
        print(f"{info.year}  {info.status:11}  {info.source}")
    return 0


def calendar_load(args: argparse.Namespace) -> int:
    from shared.services.monitor import load_calendar_override
    from shared.workdays import CalendarOverrideError, load_override_file

    try:
        override = load_override_file(Path(args.file))
    except CalendarOverrideError as exc:
        raise CliError(str(exc)) from exc
    result = load_calendar_override(override, _deps(), actor="cli")
    print(f"calendar {override.year} loaded; {result['records_recomputed']} open records recomputed")
    return 0


def demo(args: argparse.Namespace) -> int:
    from infra.demo import run_demo

    local_up(argparse.Namespace(no_data=True))  # a stack the demo starts is a throwaway one (nothing restored or saved)
    state = _connect()
    url = console_url(state) if state else None
    return run_demo(rows_per_file=args.rows, subjects=args.subjects, keep=not args.down, console=url)


# --- parser -----------------------------------------------------------------------------------------------------


def _iso(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: use YYYY-MM-DD") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guiji", description="涉企信息归集公示 compliance & deadline monitor")
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser("local", help="the embedded local stack").add_subparsers(dest="local_cmd", required=True)
    p = local.add_parser("up", help="start moto server, provision, serve the API (data kept across restarts)")
    p.add_argument("--data", help="data directory (default: data/ next to the state file)")
    p.add_argument("--no-data", action="store_true", help="keep everything in memory only")
    p.set_defaults(func=local_up)
    p = local.add_parser("down", help="stop the local stack after its current batch, saving its data")
    p.add_argument("--timeout", type=float, default=DOWN_TIMEOUT, help="seconds to wait before killing it")
    p.set_defaults(func=local_down)
    _token_issue_arguments(local.add_parser("token", help="same as guiji token issue"))
    p = local.add_parser("credentials", help="a department's AWS upload credentials (export lines)")
    p.add_argument("--department", required=True, help="department code (统一社会信用代码)")
    p.set_defaults(func=local_credentials)
    tok = sub.add_parser("token", help="API access tokens (JWT)").add_subparsers(dest="token_cmd", required=True)
    _token_issue_arguments(tok.add_parser("issue", help="sign a token (prints the token; its id on stderr)"))
    p = tok.add_parser("revoke", help="deny a token (by id or the token itself) until it expires")
    p.add_argument("token_id", metavar="ID")
    p.add_argument("--reason", default="")
    p.add_argument("--stage")
    p.set_defaults(func=token_revoke)
    p = tok.add_parser("rotate", help="a new signing key; older keys keep verifying until their tokens expire")
    p.add_argument("--stage")
    p.set_defaults(func=token_rotate)

    p = sub.add_parser("demo", help="the whole main job on the local stack")
    p.add_argument("--rows", type=int, default=40, help="rows per generated file")
    p.add_argument("--subjects", type=int, default=300)
    p.add_argument("--down", action="store_true", help="stop the local stack at the end")
    p.set_defaults(func=demo)

    reg = sub.add_parser("registry", help="load registries").add_subparsers(dest="registry_cmd", required=True)
    p = reg.add_parser("load", help="load departments or subjects from CSV/XLSX")
    p.add_argument("kind", choices=["departments", "subjects"])
    p.add_argument("file")
    p.set_defaults(func=registry_load)

    p = sub.add_parser("upload", help="upload a record file as a department")
    p.add_argument("file")
    p.add_argument("--department", required=True)
    p.add_argument("--category", required=True)
    p.add_argument("--collected-at", help="back-fill: the instant the regulator received it (local stack only)")
    p.add_argument("--no-wait", action="store_true")
    p.set_defaults(func=upload)

    p = sub.add_parser("invoke", help="fire a scheduled job through its schedule's code path")
    p.add_argument("job", choices=JOBS)
    p.add_argument("--as-of", type=_iso)
    p.add_argument("--period")
    p.add_argument("--scope")
    p.set_defaults(func=invoke)

    p = sub.add_parser("breaches", help="list breach records")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    for name in ("region", "department", "category", "kind", "status"):
        p.add_argument(f"--{name}")
    p.add_argument("--from", dest="start", type=_iso)
    p.add_argument("--to", dest="end", type=_iso)
    p.add_argument("--as-of", dest="as_of", type=_iso)
    p.set_defaults(func=breaches)

    p = sub.add_parser("record", help="a record's timeline and audit trail")
    p.add_argument("record_id")
    p.add_argument("--evidence", metavar="FILE", help="write the record's evidence bundle (zip) to FILE")
    p.set_defaults(func=record)

    p = sub.add_parser("scorecard", help="a department's scorecard")
    p.add_argument("code")
    p.add_argument("--period", help="YYYY-MM")
    p.set_defaults(func=scorecard)

    sub.add_parser("held", help="records waiting for attribution").set_defaults(func=held)

    cal = sub.add_parser("calendar", help="working-day calendar").add_subparsers(dest="calendar_cmd", required=True)
    p = cal.add_parser("due", help="the N-th working day after DATE")
    p.add_argument("date", type=_iso)
    p.add_argument("days", type=int)
    p.add_argument("--explain", action="store_true", help="list the rest days skipped and the make-up days counted")
    p.set_defaults(func=calendar_due)
    p = cal.add_parser("between", help="working days in (D1, D2]")
    p.add_argument("start", type=_iso)
    p.add_argument("end", type=_iso)
    p.set_defaults(func=calendar_between)
    cal.add_parser("years", help="official or provisional years").set_defaults(func=calendar_years)
    p = cal.add_parser("load", help="load a State Council schedule (override file)")
    p.add_argument("file")
    p.set_defaults(func=calendar_load)

    subs = sub.add_parser("subscriptions", help="same-level push (同级推送) subscriptions")
    subs_cmd = subs.add_subparsers(dest="subscriptions_cmd", required=True)
    p = subs_cmd.add_parser("add", help="subscribe a department to other departments' publications")
    p.add_argument("--department", required=True, help="the subscribing department's code")
    p.add_argument("--category", action="append", help="a category slug (repeatable; default: all)")
    p.add_argument("--region", action="append", help="a region code, its counties included (repeatable; default: all)")
    p.add_argument("--kind", action="append", choices=["published", "published_update"], help="default: both")
    p.add_argument("--protocol", choices=["sqs", "https", "email"], default="sqs")
    p.add_argument("--endpoint", required=True, help="SQS queue ARN, https URL or e-mail address")
    p.set_defaults(func=subscriptions_add)
    p = subs_cmd.add_parser("list", help="subscriptions and their deliveries")
    p.add_argument("--department")
    p.add_argument("--from", dest="start", type=_iso)
    p.add_argument("--to", dest="end", type=_iso)
    p.set_defaults(func=subscriptions_list)
    p = subs_cmd.add_parser("remove", help="remove a subscription")
    p.add_argument("subscription_id", metavar="ID")
    p.set_defaults(func=subscriptions_remove)

    fig = sub.add_parser("figures", help="figures kept per department and day").add_subparsers(
        dest="figures_cmd", required=True
    )
    p = fig.add_parser("refresh", help="recompute what records written since the last refresh changed")
    p.set_defaults(func=figures_refresh)
    p = fig.add_parser("rebuild", help="recompute the figures from the ledger (and compare with those kept)")
    p.add_argument("--from", dest="start", type=_iso, help="first production day (default: all)")
    p.add_argument("--to", dest="end", type=_iso, help="last production day")
    p.set_defaults(func=figures_rebuild)

    aud = sub.add_parser("audit", help="audit trail").add_subparsers(dest="audit_cmd", required=True)
    p = aud.add_parser("verify", help="check the hash chains, anchors and seals (in full, and kept)")
    p.add_argument("--recent", action="store_true", help="only what changed since the last full verification")
    p.set_defaults(func=audit_verify)
    p = aud.add_parser("verify-bundle", help="check an evidence bundle offline (files and audit chains)")
    p.add_argument("file", type=Path)
    p.add_argument("--online", action="store_true", help="also compare its audit heads with the stack's trail")
    p.set_defaults(func=audit_verify_bundle)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The CLI prints for people; the functions' structured INFO logs belong in the local stack's log file.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"guiji: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from functions.errors import http_error  # the API's error map: the same one line for the same problem

        answer = http_error(exc)
        if answer is None:
            raise
        print(f"guiji: {answer}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
