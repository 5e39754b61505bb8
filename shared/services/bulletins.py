"""Supervision bulletins (通报, BRIEF §2.6): gather a scope's figures, write HTML/Markdown/CSV/JSON, announce once.

Weekly and monthly bulletins are due on the first working day after their period (checked by the 01:00 job),
for the province and each city-level unit; any scope and period can also be made on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from shared.bulletin_render import announcement, render_csv, render_html, render_json, render_markdown
from shared.bulletins import Bulletin, BulletinInput, UploadStat, bulletin_key, compute
from shared.figures import RecordProfile
from shared.ledger import LedgerEntry
from shared.observability import logger, metrics
from shared.periods import Period, parse_period, periods_for_run, previous_period
from shared.regions import FUJIAN_CITIES, city_of, in_jurisdiction
from shared.registry import Department
from shared.services import figures
from shared.services.deps import Deps

PROVINCE = "350000"
RENDERERS: tuple[tuple[str, Callable[[Bulletin], bytes], str], ...] = (
    ("json", render_json, "application/json"),
    ("html", render_html, "text/html; charset=utf-8"),
    ("md", render_markdown, "text/markdown; charset=utf-8"),
    ("csv", render_csv, "text/csv; charset=utf-8"),
)


@dataclass
class BulletinReport:
    written: list[str] = field(default_factory=list)
    announced: int = 0


def _uploads(deps: Deps, departments: list[Department], period: Period) -> list[UploadStat]:
    out = []
    for d in departments:
        out += [UploadStat.model_validate(i) for i in deps.tables.uploads.counted(d.code, period.start, period.end)]
    return out


def _entries(deps: Deps, departments: list[Department], period: Period) -> list[LedgerEntry | RecordProfile]:
    """The kept figures of the period (one item per department and day; the caller refreshed them)."""
    out: list[LedgerEntry | RecordProfile] = []
    for d in departments:
        out += deps.tables.records.profiles(d.code, period.start, period.end)
    return out


def make_bulletin(scope: str, period: Period, as_of: date, deps: Deps) -> BulletinReport:
    """Compute, write (four formats) and announce one bulletin; re-running rewrites the files, announces once.

    Reads the figures kept per department and day (the caller refreshed them: :func:`figures.refresh`).
    """
    departments = [d for d in deps.tables.registry.departments().values() if in_jurisdiction(scope, d.region_code)]
    before = previous_period(period)
    # The province reads every open breach; a city or county only its city-level unit's (an index partition).
    found = deps.tables.breaches.active() if scope == PROVINCE else deps.tables.breaches.open_in(city_of(scope))
    open_breaches = [b for b in found if b.is_open and in_jurisdiction(scope, b.region_code)]
    bulletin = compute(
        BulletinInput(
            scope=scope,
            period=period,
            departments=departments,
            entries=_entries(deps, departments, period),
            previous_entries=_entries(deps, departments, before),
            uploads=_uploads(deps, departments, period),
            previous_uploads=_uploads(deps, departments, before),
            open_breaches=open_breaches,
            as_of=as_of,
        )
    )
    report = BulletinReport()
    bucket = deps.settings.reports_bucket
    for ext, render, content_type in RENDERERS:
        key = bulletin_key(scope, period, ext)
        deps.objects.put_bytes(bucket, key, render(bulletin), content_type)
        report.written.append(key)
    if deps.tables.control.claim_bulletin_announcement(scope, period.key):
        subject, message, attributes = announcement(bulletin, bulletin_key(scope, period, "html"))
        deps.notifier.publish(subject, message, attributes)
        deps.tables.audit.append(
            f"BULLETIN#{scope}", "bulletin_published", "bulletin", {"period": period.key, "keys": report.written}
        )
        report.announced = 1
    metrics.add_metric(name="BulletinsWritten", unit="Count", value=1)
    logger.info("bulletin written", extra={"scope": scope, "period": period.key})
    return report


def run_due_bulletins(as_of: date, deps: Deps) -> BulletinReport:
    """The bulletins due today (first working day after a week or month), for the province and every city unit.

    Runs after the daily job (:func:`monitor.run_daily`), which refreshed the kept figures they read.
    """
    total = BulletinReport()
    scopes = [PROVINCE, *FUJIAN_CITIES]
    for kind in ("week", "month"):
        for period in periods_for_run(as_of, kind, deps.calendar):
            for scope in scopes:
                done = make_bulletin(scope, period, as_of, deps)
                total.written += done.written
                total.announced += done.announced
    return total


def run_on_demand(as_of: date, deps: Deps, *, period: str | None, scope: str | None) -> BulletinReport:
    """``guiji invoke bulletin --period 2026-11 --scope 350100`` (default: last month, the province)."""
    if period:
        chosen = parse_period(period)
    else:
        first = as_of.replace(day=1)
        chosen = parse_period(f"{(first.year - (first.month == 1))}-{(first.month - 2) % 12 + 1:02d}")
    figures.refresh(deps)
    return make_bulletin(scope or PROVINCE, chosen, as_of, deps)
