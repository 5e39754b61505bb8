"""Bulletin periods: a calendar month (key ``2026-11``) or an ISO week, Monday..Sunday (key ``2026-W48``).

A bulletin falls due on the first working day after its period ends. Weeks made only of rest days (2026-W08,
inside the Spring Festival) share that day with the week before: :func:`periods_for_run` returns every period due
on a day, :func:`period_for_run` only the latest of them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, model_validator

PeriodKind = Literal["week", "month"]
MIN_YEAR, MAX_YEAR = 2000, 2099


class PeriodError(ValueError):
    """A period text that is neither ``YYYY-MM`` nor ``YYYY-Www``, or a period whose fields disagree."""


# --- periods ----------------------------------------------------------------------------------------------------

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_WEEK_RE = re.compile(r"(\d{4})-[Ww](\d{2})")


def _bounds(text: str) -> tuple[PeriodKind, str, date, date]:
    """Kind, canonical key, first and last day of a period text."""
    value = text.strip()
    if m := _MONTH_RE.fullmatch(value):
        year, month = int(m.group(1)), int(m.group(2))
        _check_year(year, text)
        if not 1 <= month <= 12:
            raise PeriodError(f"统计期间“{text}”的月份应为01至12")
        start = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        return "month", f"{year:04d}-{month:02d}", start, after - timedelta(days=1)
    if m := _WEEK_RE.fullmatch(value):
        year, week = int(m.group(1)), int(m.group(2))
        _check_year(year, text)
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            weeks = date(year, 12, 28).isocalendar().week  # 28 December always lies in the year's last ISO week
            raise PeriodError(f"统计期间“{text}”无效：{year}年共有{weeks}周（W01至W{weeks:02d}）") from None
        return "week", f"{year:04d}-W{week:02d}", monday, monday + timedelta(days=6)
    raise PeriodError(f"统计期间“{text}”格式不正确：月报应为YYYY-MM（如2026-11），周报应为YYYY-Www（如2026-W48）")


def _check_year(year: int, text: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"统计期间“{text}”的年份应在{MIN_YEAR}至{MAX_YEAR}之间")


class Period(BaseModel):
    """A bulletin period: a calendar month or an ISO week (Monday..Sunday); ``end`` is inclusive."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    kind: PeriodKind
    key: str  # "2026-11" or "2026-W48"
    start: date
    end: date

    @model_validator(mode="after")
    def _consistent(self) -> Period:
        kind, key, start, end = _bounds(self.key)
        if (kind, key, start, end) != (self.kind, self.key, self.start, self.end):
            raise PeriodError(f"统计期间“{self.key}”与其类型或起止日期不一致")
        return self

    @property
    def label(self) -> str:
        """Short Chinese name: "2026年11月" or "2026年第48周"."""
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        year, week = self.key.split("-W")
        return f"{int(year)}年第{int(week)}周"

    @property
    def span_zh(self) -> str:
        """The dates covered, in Chinese: "2026年11月1日至2026年11月30日"."""
        return f"{date_zh(self.start)}至{date_zh(self.end)}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """Parse "2026-11" (a month) or "2026-W48" (an ISO week); PeriodError (a ValueError) with a Chinese message."""
    kind, key, start, end = _bounds(text)
    return Period(kind=kind, key=key, start=start, end=end)


def period_containing(day: date, kind: PeriodKind) -> Period:
    """The month or ISO week that contains ``day``."""
    if kind == "month":
        return parse_period(f"{day.year:04d}-{day.month:02d}")
    if kind == "week":
        iso = day.isocalendar()
        return parse_period(f"{iso.year:04d}-W{iso.week:02d}")
    raise PeriodError(f"统计期间类型“{kind}”无效，应为 week 或 month")


def previous_period(p: Period) -> Period:
    """The period of the same kind just before ``p``."""
    return period_containing(p.start - timedelta(days=1), p.kind)


class RunCalendar(Protocol):
    """The part of the working-day calendar (``shared.workdays.WorkCalendar``) the schedule needs."""

    def is_working_day(self, d: date) -> bool: ...

    def next_working_day(self, d: date) -> date: ...


def periods_for_run(run_day: date, kind: PeriodKind, cal: RunCalendar) -> list[Period]:
    """Every period whose bulletin falls due on ``run_day`` (the first working day after it ends), oldest first."""
    if not cal.is_working_day(run_day):
        return []
    found: list[Period] = []
    p = period_containing(run_day - timedelta(days=1), kind)
    if p.end >= run_day:  # run_day lies inside this period: it has not ended yet
        p = previous_period(p)
    # next_working_day(end) only moves back as periods move back, so stop at the first one due earlier.
    while cal.next_working_day(p.end) == run_day:
        found.append(p)
        p = previous_period(p)
    return found[::-1]


def period_for_run(run_day: date, kind: PeriodKind, cal: RunCalendar) -> Period | None:
    """The period whose bulletin falls due on ``run_day``, or None; the latest one when several are (see module)."""
    due = periods_for_run(run_day, kind, cal)
    return due[-1] if due else None


def date_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
