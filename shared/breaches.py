"""A breach: the durable record of one finding about one record (BRIEF §2.4), as the domain, the API and the CLI
see it. The breach store reads and writes this model; only it knows the keys and indexes of the stored item.

Dates are local (Asia/Shanghai) dates; instants are UTC and keep the text form of the rest of guiji
(``2026-12-04T06:09:27.123456Z``) when serialised, so stored items and API answers look as they always have.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from shared.auditchain import GENESIS
from shared.deadlines import BreachKind, Level
from shared.regions import city_of, is_fujian_region
from shared.timeutil import iso_utc, local_date

Instant = Annotated[AwareDatetime, PlainSerializer(iso_utc, return_type=str, when_used="json")]
Status = Literal["open", "closed"]


class Ack(BaseModel):
    """A supervisor's acknowledgement of a breach at one level (quiet there until it escalates)."""

    model_config = ConfigDict(defer_build=True)

    note: str = ""
    by: str = ""
    at: Instant


class Breach(BaseModel):
    """One breach of one record for one kind (``breach_id`` = ``{kind}:{record_id}``)."""

    # Index keys of the stored item are not part of a breach; an item of an older shape may carry others.
    model_config = ConfigDict(defer_build=True, extra="ignore")

    breach_id: str = Field(min_length=1)
    kind: BreachKind
    record_id: str = Field(min_length=1)
    department: str = Field(min_length=1)
    region_code: str = Field(min_length=1)
    city: str = ""  # the city-level unit of region_code
    category: str
    doc_no: str = ""
    subject_name: str = ""
    due: date
    actual: date | None = None  # local date of the act, once done
    working_days_late: int = 0  # open: as of the last scan; closed: final; at_risk: working days left
    status: Status
    provisional: bool = False
    calendar_version: str = ""
    opened_at: Instant
    opened_on: date  # the scan (or upload) day it opened
    closed_at: Instant | None = None
    base_level: Level
    # (factories: pydantic deep-copies a mutable default for every breach built, thousands per late upload)
    announced: list[Level] = Field(default_factory=list)  # levels a digest has told
    acks: dict[Level, Ack] = Field(default_factory=dict)
    audit_seq: int = 0
    audit_head: str = GENESIS
    audit_block: str | None = None  # where the stream's first entry was written, when it went in a block
    version: int = 0  # incremented by every write; 0: never stored

    @model_validator(mode="before")
    @classmethod
    def _city_of_region(cls, data: Any) -> Any:
        region = data.get("region_code") if isinstance(data, dict) else None
        if isinstance(region, str) and not data.get("city") and is_fujian_region(region):
            data = {**data, "city": city_of(region)}
        return data

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def closed_on(self) -> date | None:
        """The local date it closed, if it has."""
        return local_date(self.closed_at) if self.closed_at is not None else None

    def as_json(self) -> dict[str, Any]:
        """The breach as JSON values (dates ISO, instants UTC with ``Z``), without empty fields."""
        return self.model_dump(mode="json", exclude_none=True)
