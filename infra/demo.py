"""``guiji demo``: the main job end to end on the local stack.

A province's worth of departments uploads realistic files (UTF-8/GBK/GB18030 CSV, XLSX with title rows, JSON
Lines; Chinese, 双公示 and SAIC headers; some bad rows, some late); every file gets a receipt; the publication run
publishes what can be attributed and pushes it to the departments that subscribed (同级推送), and one of them reports
the measures it took on the listings pushed to it (联合惩戒反馈); a fuzzy public query
finds subjects by two words of their name; daily scans over several business dates open breaches; supervisors' digests
arrive on the notices topic and are read back from an SQS subscription.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from shared.timeutil import local_date, utc_now


def _say(text: str) -> None:
    print(text, flush=True)


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}", end="", file=sys.stderr, flush=True)
    if done == total:
        print(file=sys.stderr)


def _foreign_write(deps: Any, f: Any) -> str:
    """Write a file into another department's folder with the uploader's own credentials: IAM refuses it."""
    from botocore.exceptions import ClientError

    from infra.localrun import department_identity
    from shared.adapters.aws import acting_as, client

    key = f"incoming/{f.department_code}/{f.category}/{f.file_name}"
    try:
        with acting_as(department_identity(f.uploaded_by)):
            client("s3").put_object(Bucket=deps.settings.intake_bucket, Key=key, Body=f.content)
    except ClientError as exc:
        return f"{exc.response['Error']['Code']} (IAM: a department writes only under incoming/<its code>/)"
    return "written (IAM did not stop it!)"


def run_demo(*, rows_per_file: int = 40, subjects: int = 300, keep: bool = True, console: str | None = None) -> int:
    from infra.cli import put_upload, wait_receipt
    from infra.demodata import generate
    from shared.adapters.aws import client
    from shared.registry import parse_departments, parse_subjects
    from shared.services.deps import get_deps

    deps = get_deps()
    today = local_date(utc_now())
    data = generate(today=today, subjects=subjects, rows_per_file=rows_per_file)

    _say(f"\n== 1. registries: {len(data.departments)} departments, {len(data.subjects)} market subjects")
    load_registry(deps, data.departments_csv(), parse_departments, "departments")
    load_registry(deps, data.subjects_csv(), parse_subjects, "subjects")

    files = list(data.ledgers) + list(data.uploads) + list(getattr(data, "malformed", []))
    _say(f"\n== 2. uploads: {len(files)} files (production lists, every category, malformed ones)")
    keys = []
    for f in files:
        if f.uploaded_by and f.uploaded_by != f.department_code:
            _say(f"  {f.uploaded_by} tries to write into {f.department_code}'s folder: {_foreign_write(deps, f)}")
            continue
        keys.append(put_upload(deps, f.content, f.department_code, f.category, f.file_name))
    receipts: list[dict[str, Any]] = []
    for n, key in enumerate(keys, start=1):
        receipts.append(wait_receipt(deps, key, quiet=True))
        _progress(n, len(keys), "receipts")
    totals: dict[str, int] = {}
    refused = 0
    _say(f"  {'file':58} {'read':>5} {'acc':>5} {'rej':>5} {'dup':>4} {'late':>4} {'held':>4}")
    for r in receipts:
        c = r.get("counts", {})
        for k, v in c.items():
            totals[k] = totals.get(k, 0) + int(v)
        if r.get("status") != "completed":
            refused += 1
        name = f"{r.get('category') or '?'}/{r.get('file_name')}"[:58]
        if r.get("status") == "completed":
            _say(
                f"  {name:58} {c['read']:5} {c['accepted']:5} {c['rejected']:5} {c['duplicates']:4} "
                f"{c['late']:4} {c['unattributed']:4}"
            )
        else:
            _say(f"  {name:58} refused: {r.get('message', '')[:70]}")
    _say(
        f"  total: read {totals.get('read', 0)} = accepted {totals.get('accepted', 0)} + rejected "
        f"{totals.get('rejected', 0)} + duplicates {totals.get('duplicates', 0)}; corrected {totals.get('corrected', 0)},"
        f" late {totals.get('late', 0)}, unattributed {totals.get('unattributed', 0)}; {refused} files refused"
    )

    _say("\n== 3. publication run, pushed to subscribed departments")
    from functions.app import run_job
    from infra.localrun import run_as_function

    push = _subscribe_for_push(deps, data.departments, client("sqs"))
    # Each job runs as its function would: with the credentials of that function's deployed role.
    result = run_as_function("publish_run", lambda: run_job("publish", {"detail": {"as_of": today.isoformat()}}))
    _say(f"  published {result['published']}, updates {result['updates']}, held for the regulator {result['held']}")
    if push:
        pushed = _show_push(deps, client("sqs"), *push)
        _feed_back(deps, push[0].department, pushed, today)
    _show_public_query(deps, [s.name for s in data.subjects])

    cal = deps.calendar
    dates = [today, cal.due_date(today, 5), cal.due_date(today, 15), cal.due_date(today, 25)]
    _say("\n== 4. daily scans and supervisors' notices")
    inbox = os.environ.get("GUIJI_INBOX_QUEUE_URL")  # the local stack's subscription to the notices topic
    for as_of in dates:
        detail = {"detail": {"as_of": as_of.isoformat()}}
        out = run_as_function("daily_scan", lambda detail=detail: run_job("scan", detail))
        scan, notices = out["scan"], out["notices"]
        _say(
            f"  as of {as_of}: opened {scan['opened']}, closed {scan['closed']}, items read {scan['items_read']}, "
            f"digests sent {notices['digests']}"
        )
        for subject in notices["subjects"][:6]:
            _say(f"      ✉ {subject}")
    if inbox:
        _show_inbox(client("sqs"), inbox)

    _say("\n== 5. supervision bulletin (通报) for the province, last month")
    first = today.replace(day=1)
    month = f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"
    bulletin = {"detail": {"as_of": today.isoformat(), "period": month, "scope": "350000"}}
    made = run_as_function("run_job", lambda: run_job("bulletin", bulletin))
    bucket = deps.settings.reports_bucket
    for key in made["written"]:
        _say(f"  s3://{bucket}/{key}")
    summary = json.loads(deps.objects.get_bytes(bucket, f"bulletins/350000/{month}.json") or b"{}")
    rates = summary.get("rates", {})
    _say(
        "  及时率 {t}  公示及时率 {p}  合规率 {c}  记名率 {a}".format(
            t=_pct(rates.get("timely_rate")),
            p=_pct(rates.get("publication_timely_rate")),
            c=_pct(rates.get("compliance_rate")),
            a=_pct(rates.get("attribution_rate")),
        )
    )
    fb = summary.get("feedback_totals") or {}
    if fb.get("listings"):
        _say(
            f"  联合惩戒反馈: {fb['listings']} list entries shared, {fb['with_feedback']} with feedback, "
            f"反馈率 {_pct(fb.get('feedback_rate'))}"
        )

    _say("\n== 6. breaches by kind")
    from shared.services import queries

    items = queries.list_breaches(queries.BreachFilter(), deps)
    by_kind: dict[str, int] = {}
    for b in items:
        by_kind[f"{b['kind']} ({b['status']})"] = by_kind.get(f"{b['kind']} ({b['status']})", 0) + 1
    for k, v in sorted(by_kind.items()):
        _say(f"  {k:32} {v}")
    count, problems = deps.tables.verify_audit()
    _say(f"\n== 7. audit trail: {count} entries, {'intact' if not problems else str(len(problems)) + ' problems'}")

    if console and keep:
        _show_console(console, data.departments, items)
    _say("\nExplore: guiji breaches --kind publication_overdue | guiji held | guiji record <id> | guiji audit verify")
    if keep:
        _say("The local stack keeps running; stop it with: bash run.sh guiji local down")
    else:
        from infra.cli import build_parser, local_down

        local_down(build_parser().parse_args(["local", "down"]))
    return 0 if not problems else 1


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def load_registry(deps: Any, blob: bytes, parse: Any, kind: str) -> None:
    import tempfile
    from pathlib import Path

    from shared.readers import open_table
    from shared.registry import department_header, subject_header

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.csv"
        path.write_bytes(blob)
        table = open_table(path, path.name, department_header if kind == "departments" else subject_header)
        good, bad = parse(table.headers, table.rows())
    if kind == "departments":
        deps.tables.registry.put_departments(good)
    else:
        deps.tables.registry.put_subjects(good)
    _say(f"  {kind}: loaded {len(good)}, rejected {len(bad)}")


def _drain(sqs: Any, url: str, limit: int = 200) -> list[dict[str, Any]]:
    """Read and delete what waits in a queue (at most ``limit`` messages)."""
    messages: list[dict[str, Any]] = []
    while len(messages) < limit:
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        batch = resp.get("Messages", [])
        if not batch:
            break
        messages += batch
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return messages


def _subscribe_for_push(deps: Any, departments: list[Any], sqs: Any) -> tuple[Any, str] | None:
    """A city's department subscribes to other departments' penalties and list entries in its city (同级推送)."""
    from shared.services import sharing
    from shared.sharing import SubscriptionRequest

    subscriber = next((d for d in departments if not d.is_regulator and d.level == "city"), None)
    if subscriber is None:
        return None
    url = sqs.create_queue(QueueName="guiji-local-demo-push")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    request = SubscriptionRequest(
        categories=["penalty", "license", "abnormal_operation", "serious_violation"],
        regions=[subscriber.region_code],
        endpoint=arn,
    )
    sub = sharing.subscribe(subscriber.code, request, "demo", deps)
    _say(f"  {subscriber.name} subscribes to {sub.describe()} → its SQS queue")
    return sub, url


def _show_push(deps: Any, sqs: Any, sub: Any, url: str) -> list[dict[str, Any]]:
    """What the subscriber's queue received (the public views pushed)."""
    from shared.services import sharing

    messages = _drain(sqs, url)
    counted = next(s for s in sharing.list_subscriptions(deps)["items"] if s["subscription_id"] == sub.subscription_id)
    _say(f"  同级推送: {len(messages)} publications arrived in the subscriber's queue ({counted['delivered']} counted)")
    for m in messages[:3]:
        _say("      ↪ " + str(json.loads(m["Body"]).get("Subject", "")))
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


def _feed_back(deps: Any, department: str, pushed: list[dict[str, Any]], today: Any) -> None:
    """The subscriber restricts the enterprises of the list entries pushed to it and reports back (联合惩戒反馈)."""
    from infra.cli import put_upload, wait_receipt

    listings = [v for v in pushed if v.get("category") in ("abnormal_operation", "serious_violation")][:3]
    if not listings:
        return
    lines = ["记录ID,惩戒措施,措施日期"]
    lines += [f"{v['record_id']},在政府采购、工程招投标中予以限制,{today.isoformat()}" for v in listings]
    lines.append(f"{listings[0]['record_id']},在政府采购、工程招投标中予以限制,{today.isoformat()}")  # repeated
    key = put_upload(deps, ("\n".join(lines) + "\n").encode("gbk"), department, "feedback", "联合惩戒反馈.csv")
    c = wait_receipt(deps, key, quiet=True).get("counts", {})
    _say(
        f"  联合惩戒反馈: feedback/联合惩戒反馈.csv read {c.get('read')} = accepted {c.get('accepted')} + duplicates "
        f"{c.get('duplicates')} + rejected {c.get('rejected')}; the listing departments were told in their receipts"
    )


def _show_public_query(deps: Any, names: list[str]) -> None:
    """A fuzzy query as the public would type it: the city and the trade, two words that match anywhere."""
    from shared.services.public import PublicQuery, search_subjects

    name = next((n for n in names if n.endswith("有限公司") and len(n) >= 10), None)
    if name is None:
        return
    core = name.removesuffix("有限责任公司").removesuffix("有限公司")
    q = f"{name[:2]} {core[-2:]}"
    found = search_subjects(PublicQuery.model_validate({"q": q, "limit": 5}), deps)
    _say(f"\n== public query (no sign-in): GET /public/subjects?q={q} → {found['total']} subjects, first:")
    for hit in found["items"][:5]:
        _say(f"      {hit['name']}  {hit['uscc']}")


def _show_inbox(sqs: Any, url: str) -> None:
    messages = _drain(sqs, url)
    _say(f"\n  {len(messages)} digests read back from the notices topic's SQS subscription; the first one:")
    if messages:
        envelope = json.loads(messages[0]["Body"])
        _say("  ---- " + str(envelope.get("Subject", "")))
        for line in str(envelope.get("Message", "")).splitlines()[:30]:
            _say("  | " + line)
        _say("  ----")


def _show_console(url: str, departments: list[Any], breaches: list[dict[str, Any]]) -> None:
    """The web console's address and one sign-in token per role (valid 8 hours), to explore the demo in a browser."""
    from infra.cli import issue_local_token

    dept = next(
        (d for d in departments if not d.is_regulator and any(b["department"] == d.code for b in breaches)), None
    )
    dept = dept or next(d for d in departments if not d.is_regulator)
    _say(f"\n== 8. web console (门户): open {url} and paste one of these tokens")
    for label, role, region, code in (
        ("auditor 审计 (province)", "auditor", "350000", None),
        ("supervisor 督查 (province)", "supervisor", "350000", None),
        ("regulator 市场监管 (province)", "regulator", "350000", None),
        (f"department {dept.name}", "department", dept.region_code, dept.code),
    ):
        _say(f"  {label}:\n    {issue_local_token(role, region=region, department=code, sub='demo')}")
    if breaches:
        _say(f"  a record timeline: {url.removesuffix('/login')}/record?id={breaches[0]['record_id']}")
    _say(f"  the public query needs no token: {url.removesuffix('/login')}/public")
