"""Keeping the figures per department and production day (issue 8 §3).

Every record write marks its (department, production day) as changed (the record store does it in the same batch).
:func:`refresh` recomputes the profiles of the pairs marked since its last run, from those records alone; the daily
job runs it before the day's bulletins, and an on-demand bulletin runs it first, so figures are never stale. Recomputing (not
adding) makes a retried write harmless: it cannot count twice. :func:`rebuild` recomputes a span from the ledger,
and the tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.figures import RecordProfile, profiles_of
from shared.observability import logger
from shared.services.deps import Deps
from shared.timeutil import local_date, utc_now


@dataclass
class FiguresReport:
    pairs: int = 0
    records_read: int = 0


def _recompute(pairs: set[tuple[str, date]], deps: Deps) -> FiguresReport:
    report = FiguresReport(pairs=len(pairs))
    records = deps.tables.records
    kept: dict[tuple[str, date], list[RecordProfile]] = {}
    for dept in sorted({d for d, _ in pairs}):
        days = sorted(day for d, day in pairs if d == dept)
        for first, last in _spans(days):
            # One read per span of nearby days; days in between that were not marked are left as they are.
            entries = [e for e in records.by_department(dept, first, last) if e.production_date in days]
            report.records_read += len(entries)
            for day in (d for d in days if first <= d <= last):
                kept[(dept, day)] = profiles_of(e for e in entries if e.production_date == day)
    records.put_profiles(kept)
    return report


def _spans(days: list[date], gap: int = 7) -> list[tuple[date, date]]:
    """Sorted days grouped into spans whose days lie at most ``gap`` days apart."""
    spans: list[tuple[date, date]] = []
    for day in days:
        if spans and (day - spans[-1][1]).days <= gap:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def refresh(deps: Deps) -> FiguresReport:
    """Bring the kept figures up to date with every record written since the last refresh (from the hour it
    started: changes of that hour are read again, never missed)."""
    mark = deps.tables.records.change_mark()
    last = deps.tables.control.figures_mark()
    if last is None:
        return rebuild(deps)
    report = _recompute(deps.tables.records.changed_since(last), deps)
    deps.tables.control.keep_figures_mark(mark)
    if report.pairs:
        logger.info("figures refreshed", extra={"pairs": report.pairs, "records_read": report.records_read})
    return report


def rebuild(deps: Deps, start: date = date(2000, 1, 1), end: date | None = None) -> FiguresReport:
    """Recompute the figures of every department's records produced from ``start`` to ``end`` from the ledger."""
    mark = deps.tables.records.change_mark()
    end = end or local_date(utc_now()) + timedelta(days=366)
    records = deps.tables.records
    report = FiguresReport()
    for dept in sorted(deps.tables.registry.departments()):
        entries = list(records.by_department(dept, start, end))
        report.records_read += len(entries)
        days = {e.production_date for e in entries} | records.profile_days(dept, start, end)
        kept = {(dept, day): profiles_of(e for e in entries if e.production_date == day) for day in days}
        report.pairs += len(kept)
        records.put_profiles(kept)
    deps.tables.control.keep_figures_mark(mark)
    return report
