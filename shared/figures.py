"""The figures kept per department and production day (issue 8 §3): a bulletin or scorecard reads these, in
proportion to departments × days, instead of every record.

A :class:`RecordProfile` is what every figure needs of a record (its acts reduced to local dates); records alike
in all of that are one profile with a weight. :mod:`shared.bulletins` counts profiles and records the same way, so
figures from kept profiles and from the ledger itself cannot differ (``tests/unit/test_figures.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shared.categories import Category
from shared.ledger import Attribution, LedgerEntry
from shared.timeutil import local_date


class RecordProfile(BaseModel):
    """Records of one department, category and production day that every figure counts alike, and how many."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    department: str
    region_code: str
    category: Category
    production_date: date
    collected_at: date | None = None  # local date of collection (named like the record's field it stands for)
    collect_due: date | None = None
    publish_due: date
    attribution: Attribution | None = None
    published_at: date | None = None  # local date of first publication
    held: bool = False
    in_production_ledger: bool = False
    feedback: int = 0  # joint-punishment feedback reports received (listings only)
    weight: int = Field(1, ge=1)


def profile_of(entry: LedgerEntry) -> RecordProfile:
    return RecordProfile(
        department=entry.department,
        region_code=entry.region_code,
        category=entry.category,
        production_date=entry.production_date,
        collected_at=local_date(entry.collected_at) if entry.collected_at else None,
        collect_due=entry.collect_due,
        publish_due=entry.publish_due,
        attribution=entry.attribution,
        published_at=local_date(entry.published_at) if entry.published_at else None,
        held=entry.held,
        in_production_ledger=entry.in_production_ledger,
        feedback=len(entry.feedback_ids),
    )


def profiles_of(entries: Iterable[LedgerEntry]) -> list[RecordProfile]:
    """The entries' profiles, alike ones counted together (weights add up)."""
    counted: dict[RecordProfile, int] = {}
    for entry in entries:
        profile = profile_of(entry)
        counted[profile] = counted.get(profile, 0) + 1
    return [p.model_copy(update={"weight": n}) for p, n in counted.items()]


Countable = LedgerEntry | RecordProfile
