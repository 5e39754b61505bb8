"""Same-level push rules (shared/sharing.py): filter policies, region roll-up, requests. No AWS here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.categories import Category
from shared.sharing import (
    Subscription,
    SubscriptionError,
    SubscriptionRequest,
    filter_policy,
    matches,
    message_attributes,
    push_message,
)


def sub(**kw: object) -> Subscription:
    base: dict[str, object] = {
        "subscription_id": "s1",
        "department": "D",
        "protocol": "sqs",
        "endpoint": "arn:aws-cn:sqs:cn-north-1:1:q",
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
    }
    return Subscription.model_validate({**base, **kw})


JINJIANG = message_attributes("350582", Category.SERIOUS_VIOLATION, "published")  # a county of 泉州
PINGTAN = message_attributes("350128", Category.PENALTY, "published_update")  # its own unit beside the cities


def test_a_city_subscription_receives_its_counties_and_the_province_everything() -> None:
    assert JINJIANG["regions"] == ["350582", "350500", "350000"]
    assert matches(sub(regions=["350500"]), JINJIANG)
    assert matches(sub(regions=["350000"]), JINJIANG) and matches(sub(), JINJIANG)
    assert not matches(sub(regions=["350100"]), JINJIANG)
    # 平潭 (350128) has a Fuzhou-like code but is not under Fuzhou: no prefix accident.
    assert not matches(sub(regions=["350100"]), PINGTAN) and matches(sub(regions=["350128"]), PINGTAN)


def test_every_condition_must_hold() -> None:
    asked = sub(categories=["serious_violation", "abnormal_operation"], regions=["350500"], kinds=["published"])
    assert matches(asked, JINJIANG)
    assert not matches(asked, message_attributes("350582", Category.PENALTY, "published"))
    assert not matches(asked, message_attributes("350582", Category.SERIOUS_VIOLATION, "published_update"))


def test_the_policy_is_what_sns_expects() -> None:
    assert filter_policy(sub(categories=["penalty"], regions=["350500", "350200"])) == {
        "category": ["penalty"],
        "regions": ["350200", "350500"],
    }
    assert filter_policy(sub()) == {"kind": ["published", "published_update"]}  # SNS refuses an empty policy
    too_many = sub(
        kinds=["published", "published_update"],
        categories=list(Category),
        regions=[f"3505{n:02d}" for n in (2, 3, 4, 5, 21, 24, 25, 26, 27, 81, 82, 83, 0)],
    )
    with pytest.raises(SubscriptionError, match="订阅条件过多"):
        filter_policy(too_many)


def test_subscriptions_refuse_regions_outside_fujian() -> None:
    with pytest.raises(ValidationError, match="不是福建省的行政区划代码"):
        sub(regions=["110000"])


@pytest.mark.parametrize(
    ("protocol", "endpoint", "ok"),
    [
        ("sqs", "arn:aws-cn:sqs:cn-north-1:123456789012:inbox", True),
        ("sqs", "https://example.cn/hook", False),
        ("https", "https://example.cn/hook", True),
        ("https", "http://example.cn/hook", False),
        ("email", "duty@example.cn", True),
        ("email", "arn:aws-cn:sqs:cn-north-1:1:q", False),
    ],
)
def test_the_endpoint_must_fit_the_protocol(protocol: str, endpoint: str, ok: bool) -> None:
    if ok:
        assert SubscriptionRequest(protocol=protocol, endpoint=endpoint).endpoint == endpoint  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError, match="endpoint 应为"):
            SubscriptionRequest(protocol=protocol, endpoint=endpoint)  # type: ignore[arg-type]


def test_the_message_names_the_record_in_chinese_and_carries_the_view() -> None:
    view = {"record_id": "r1", "category_name": "行政处罚", "subject_name": "某某公司", "doc_no": "闽罚〔2026〕1号"}
    subject, body = push_message(view, "published_update")
    assert subject == "【同级推送】公示更新 行政处罚：某某公司（闽罚〔2026〕1号）"
    assert '"record_id": "r1"' in body and '"kind": "published_update"' in body
