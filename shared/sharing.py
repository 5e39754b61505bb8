"""Same-level push (同级推送, the plan's section 五): departments subscribe to what other departments publish.

A subscription names categories and regions (empty = all). Every publication carries message attributes, and the
SNS filter policy built here from the subscription selects the messages; ``matches`` is the same rule evaluated
in Python, so guiji can record which subscriptions each publication reached (deliveries) without asking SNS.

A region is matched through its jurisdiction chain: a record of 晋江市 (350582) carries
``regions = ["350582", "350500", "350000"]``, so a subscription to 泉州市 (350500) or to the province receives it.
No AWS here: the adapters turn these values into SNS calls.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from shared.categories import CATEGORY_INFO, Category
from shared.regions import is_fujian_region, jurisdiction_chain, region_name

Protocol = Literal["sqs", "https", "email"]
PushKind = Literal["published", "published_update"]
KIND_ZH = {"published": "新公示", "published_update": "公示更新"}
MAX_FILTER_VALUES = 150  # SNS: at most 150 value combinations in one filter policy


class SubscriptionError(ValueError):
    """A subscription that cannot be made or changed as asked (message in Chinese)."""


class Subscription(BaseModel):
    """One department's standing request to receive other departments' publications."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    subscription_id: str
    department: str
    categories: tuple[Category, ...] = ()  # empty: every category
    regions: tuple[str, ...] = ()  # empty: the whole province
    kinds: tuple[PushKind, ...] = ()  # empty: new publications and updates
    protocol: Protocol
    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    created_at: datetime
    created_by: str = ""
    sns_subscription: str = ""  # the SNS subscription's ARN, once subscribed

    @field_validator("regions")
    @classmethod
    def _fujian(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        for code in regions:
            if not is_fujian_region(code):
                raise SubscriptionError(f"行政区划“{code}”不是福建省的行政区划代码")
        return tuple(sorted(set(regions)))

    @field_validator("categories", "kinds")
    @classmethod
    def _unique(cls, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(sorted(set(values)))

    def describe(self) -> str:
        """The subscription in one Chinese line (CLI and receipts)."""
        cats = "、".join(CATEGORY_INFO[c].name_zh for c in self.categories) or "全部类别"
        regions = "、".join(f"{region_name(r) or r}（{r}）" for r in self.regions) or "全省"
        return f"{regions}的{cats}"


def message_attributes(region_code: str, category: Category, kind: PushKind) -> dict[str, str | list[str]]:
    """What a publication carries for the filter policies (a list is sent as SNS ``String.Array``)."""
    return {"region": region_code, "regions": jurisdiction_chain(region_code), "category": category.value, "kind": kind}


def filter_policy(subscription: Subscription) -> dict[str, list[str]]:
    """The SNS filter policy (scope ``MessageAttributes``) selecting exactly what ``matches`` selects."""
    policy: dict[str, list[str]] = {}
    if subscription.categories:
        policy["category"] = [c.value for c in subscription.categories]
    if subscription.regions:
        policy["regions"] = list(subscription.regions)
    if subscription.kinds:
        policy["kind"] = list(subscription.kinds)
    combinations = 1
    for values in policy.values():
        combinations *= len(values)
    if combinations > MAX_FILTER_VALUES:
        raise SubscriptionError(f"订阅条件过多（{combinations} 种组合，上限 {MAX_FILTER_VALUES}），请拆分为多个订阅")
    if not policy:  # SNS refuses an empty policy; "every publication" is a policy on an attribute always present
        policy["kind"] = ["published", "published_update"]
    return policy


def matches(subscription: Subscription, attributes: dict[str, str | list[str]]) -> bool:
    """Whether a publication with these attributes reaches the subscription (the filter policy's rule)."""
    for name, wanted in filter_policy(subscription).items():
        value = attributes.get(name)
        present = value if isinstance(value, list) else [value]
        if not set(wanted) & {v for v in present if v is not None}:
            return False
    return True


def push_message(view: dict[str, Any], kind: PushKind) -> tuple[str, str]:
    """(subject, body) of one push: a Chinese line for people, then the public view as JSON for systems."""
    subject = (
        f"【同级推送】{KIND_ZH[kind]} {view.get('category_name', '')}：{view.get('subject_name') or '未记名'}"
        f"（{view.get('doc_no') or '无文号'}）"
    )
    body = json.dumps({"kind": kind, **view}, ensure_ascii=False, sort_keys=True, default=str)
    return subject[:100], body


class SubscriptionRequest(BaseModel):
    """What a department asks for (API body and CLI)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    categories: list[Category] = Field(default_factory=list, max_length=len(Category))
    regions: list[Annotated[str, StringConstraints(pattern=r"^\d{6}$")]] = Field(default_factory=list, max_length=20)
    kinds: list[PushKind] = Field(default_factory=list)
    protocol: Protocol = "sqs"
    endpoint: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]

    @model_validator(mode="after")
    def _endpoint_fits_protocol(self) -> SubscriptionRequest:
        e = self.endpoint
        fits, wanted = {
            "sqs": (e.startswith("arn:") and ":sqs:" in e, "SQS 队列的 ARN（arn:aws-cn:sqs:…）"),
            "https": (e.startswith("https://"), "以 https:// 开头的地址"),
            "email": ("@" in e and " " not in e, "电子邮箱地址"),
        }[self.protocol]
        if not fits:
            raise ValueError(f"endpoint 应为{wanted}")
        return self
