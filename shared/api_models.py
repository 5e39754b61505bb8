"""What the HTTP API accepts: one pydantic model per request body or query string, and their errors in Chinese.

Routes validate before they call a service, so a wrong type or shape (an object where a note belongs, a list for
a code, ``limit=abc``) is a 400 with a message a clerk can act on, and nothing malformed is ever stored.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Format = Literal["json", "csv"]
MAX_PAGE = 500


class _Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, populate_by_name=True)


class AckRequest(_Strict):
    """``POST /breaches/{id}/ack``."""

    note: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]
    as_of: date | None = None


class AttributeRequest(_Strict):
    """``POST /records/{id}/attribute``: exactly one of a subject code or a reason to send the record back."""

    uscc: Annotated[Text, StringConstraints(min_length=1, max_length=64)] | None = None
    reject: Annotated[Text, StringConstraints(min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> AttributeRequest:
        if (self.uscc is None) == (self.reject is None):
            raise ValueError("请提供 uscc（记于该主体名下）或 reject（退回原因）二者之一")
        return self


class BreachListQuery(_Strict):
    """``GET /breaches`` (the filters themselves are checked by ``queries.parse_filter``)."""

    region: Text | None = None
    department: Text | None = None
    category: Text | None = None
    kind: Text | None = None
    status: Text | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    as_of: date | None = None
    cursor: Text | None = None
    limit: int = Field(100, ge=1, le=MAX_PAGE)
    format: Format = "json"

    def filters(self) -> dict[str, str]:
        """The filters in the shape ``queries.parse_filter`` (shared with the CLI) reads."""
        out = {k: v for k in ("region", "department", "category", "kind", "status") if (v := getattr(self, k))}
        for name, value in (("from", self.from_), ("to", self.to), ("as_of", self.as_of)):
            if value is not None:
                out[name] = value.isoformat()
        return out


class FormatQuery(_Strict):
    """Routes whose only parameter is the export format."""

    format: Format = "json"


class ScorecardQuery(_Strict):
    """``GET /departments/{code}/scorecard``."""

    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = None


class UploadQuery(_Strict):
    """``GET /uploads/receipt`` and ``GET /uploads/rejects``: one file of the caller's own folder."""

    category: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    file_name: Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class DigestQuery(_Strict):
    """``GET /digests``: the supervision digests a jurisdiction received (default: the caller's own, last 30 days)."""

    region: Annotated[Text, StringConstraints(pattern=r"^\d{6}$")] | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DigestQuery:
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("起始日期不能晚于截止日期")
        return self


class SubscriptionListQuery(_Strict):
    """``GET /subscriptions``: the window of the delivery counts (default: the last 30 days)."""

    from_: date | None = Field(None, alias="from")
    to: date | None = None


class DeadlineQuery(_Strict):
    """``GET /calendar/deadline``."""

    date: date
    days: int = Field(7, ge=1, le=250)


_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不支持该参数",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "greater_than_equal": "过小",
    "less_than_equal": "过大",
    "date_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_type": "应为 YYYY-MM-DD 格式的日期",
    "literal_error": "取值不在允许范围内",
    "model_type": "应为JSON对象",
    "model_attributes_type": "应为JSON对象",
    "json_invalid": "不是有效的JSON",
}


def describe_zh(exc: ValidationError) -> str:
    """One line per problem, in Chinese: ``字段: 原因``."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"] if p != "__root__").replace("from_", "from")
        if error["type"] == "value_error":  # our own validators speak Chinese already
            reason = str(error.get("ctx", {}).get("error", error["msg"]))
        else:
            reason = _MESSAGES.get(error["type"], "不符合要求")
            expected = error.get("ctx", {}).get("expected")
            if error["type"] == "literal_error" and expected:
                reason += f"（可选：{expected}）"
            limit = error.get("ctx", {}).get("ge", error.get("ctx", {}).get("le"))
            if limit is not None:
                reason += f"（{'最小' if error['type'] == 'greater_than_equal' else '最大'}为{limit}）"
        parts.append(f"{field}：{reason}" if field else reason)
    return "请求参数有误：" + "；".join(parts)
