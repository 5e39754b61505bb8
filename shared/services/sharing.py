"""Same-level push (同级推送): subscriptions, the fan-out of each publication, and the deliveries it made.

Publication calls :func:`push` with the records it has just published and their public views. Each record that
matches at least one other department's subscription is published once to the sharing topic (``PublishBatch``,
ten a call); SNS delivers it to every subscription whose filter policy matches, and guiji logs which ones those
were (``shared.sharing.matches`` is the filter policy's rule), keyed by record version so a retried publication
is logged once. A push that SNS refuses is logged as failed and counted; the publication itself stands.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from shared.ledger import LedgerEntry
from shared.observability import logger, metrics
from shared.regions import jurisdiction_chain
from shared.services.deps import Deps
from shared.sharing import (
    PushKind,
    Subscription,
    SubscriptionError,
    SubscriptionRequest,
    filter_policy,
    matches,
    message_attributes,
    push_message,
)
from shared.timeutil import iso_utc, local_date, utc_now

AUDIT_STREAM = "SHARING"


class SubscriptionNotFoundError(LookupError):
    """No such subscription (or not the caller's own)."""


DELIVERY_DAYS = 30  # the window of delivery counts shown when none is given


def subscribe(department: str, request: SubscriptionRequest, actor: str, deps: Deps) -> Subscription:
    """A department's new subscription: an SNS subscription with its filter policy, kept and audited."""
    if deps.tables.registry.department(department) is None:
        raise SubscriptionError(f"部门“{department}”未在部门登记表中登记")
    draft = Subscription(
        subscription_id=uuid.uuid4().hex[:16],
        department=department,
        categories=tuple(request.categories),
        regions=tuple(request.regions),
        kinds=tuple(request.kinds),
        protocol=request.protocol,
        endpoint=request.endpoint,
        created_at=utc_now(),
        created_by=actor,
    )
    policy = filter_policy(draft)  # refuses a policy SNS would refuse, before anything is created
    arn = deps.sharing.subscribe(draft.protocol, draft.endpoint, policy)
    subscription = draft.model_copy(update={"sns_subscription": arn})
    deps.tables.sharing.put_subscription(subscription)
    deps.tables.audit.append(
        AUDIT_STREAM,
        "subscribed",
        actor,
        {"subscription_id": subscription.subscription_id, "department": department, "filter": policy},
    )
    logger.info("subscribed", extra={"subscription_id": subscription.subscription_id, "department": department})
    return subscription


def unsubscribe(subscription_id: str, actor: str, deps: Deps, *, department: str | None = None) -> Subscription:
    """Remove a subscription (``department``: only if it is that department's own)."""
    subscription = deps.tables.sharing.subscription(subscription_id)
    if subscription is None or (department is not None and subscription.department != department):
        raise SubscriptionNotFoundError(f"订阅 {subscription_id} 不存在")
    if subscription.sns_subscription:
        deps.sharing.unsubscribe(subscription.sns_subscription)
    deps.tables.sharing.delete_subscription(subscription_id)
    deps.tables.audit.append(
        AUDIT_STREAM, "unsubscribed", actor, {"subscription_id": subscription_id, "department": subscription.department}
    )
    return subscription


def shown(subscription: Subscription) -> dict[str, Any]:
    """A subscription as the API and CLI show it (the SNS subscription's ARN stays inside)."""
    return {
        **subscription.model_dump(mode="json", exclude={"sns_subscription"}),
        "description": subscription.describe(),
        "filter_policy": filter_policy(subscription),
    }


def deliveries(since: date, until: date, deps: Deps) -> tuple[Counter[str], Counter[str]]:
    """(delivered, failed) pushes per subscription id in [since, until]."""
    delivered: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for push in deps.tables.sharing.pushes(since, until):
        counter = delivered if push.get("status") == "sent" else failed
        counter.update(str(s) for s in push.get("subscriptions", []))
    return delivered, failed


def list_subscriptions(
    deps: Deps,
    *,
    department: str | None = None,
    region: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Subscriptions (one department's, or those of departments in a region) with their delivery counts."""
    until = until or local_date(utc_now())
    since = since or until - timedelta(days=DELIVERY_DAYS - 1)
    departments = deps.tables.registry.departments()
    chosen = []
    for s in deps.tables.sharing.subscriptions():
        if department is not None and s.department != department:
            continue
        dept = departments.get(s.department)
        if region is not None and (dept is None or region not in jurisdiction_chain(dept.region_code)):
            continue
        chosen.append(s)
    delivered, failed = deliveries(since, until, deps)
    items = [
        {
            **shown(s),
            "department_name": departments[s.department].name if s.department in departments else s.department,
            "delivered": delivered[s.subscription_id],
            "failed": failed[s.subscription_id],
        }
        for s in sorted(chosen, key=lambda s: (s.department, s.created_at))
    ]
    return {"from": since.isoformat(), "to": until.isoformat(), "items": items, "total": len(items)}


def push(published: list[tuple[LedgerEntry, dict[str, Any], PushKind]], instant: datetime, deps: Deps) -> int:
    """Fan out just-published records (entry, public view, kind) to the matching subscriptions; returns how many
    records were pushed."""
    subscriptions = deps.tables.sharing.subscriptions()
    if not subscriptions or not published:
        return 0
    messages: list[tuple[str, str, str, dict[str, str | list[str]]]] = []
    log: list[dict[str, Any]] = []
    for entry, view, kind in published:
        attributes = message_attributes(entry.region_code, entry.category, kind)
        reached = [
            s.subscription_id for s in subscriptions if s.department != entry.department and matches(s, attributes)
        ]
        if not reached:
            continue
        push_id = f"{entry.record_id}#{entry.version}"
        subject, body = push_message(view, kind)
        messages.append((push_id, subject, body, attributes))
        log.append(
            {
                "push_id": push_id,
                "record_id": entry.record_id,
                "version": entry.version,
                "kind": kind,
                "category": entry.category.value,
                "region": entry.region_code,
                "department": entry.department,
                "subscriptions": reached,
                "at": iso_utc(instant),
            }
        )
    if not messages:
        return 0
    try:
        sent = deps.sharing.publish_many(messages)
    except Exception:  # the publication stands; the push is logged as failed and counted
        logger.exception("sharing push failed", extra={"records": len(messages)})
        sent = {}
    for item in log:
        message_id = sent.get(item.pop("push_id"))
        item.update({"status": "sent" if message_id else "failed", "message_id": message_id or ""})
    deps.tables.sharing.record_pushes(local_date(instant), log)
    metrics.add_metric(name="RecordsPushed", unit="Count", value=len(sent))
    if len(sent) < len(log):
        metrics.add_metric(name="PushesFailed", unit="Count", value=len(log) - len(sent))
    return len(sent)
