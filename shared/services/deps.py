"""The composition root: settings, adapters and the calendar in force, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from shared.adapters.dynamo import IoStats
from shared.adapters.messaging import Notifier, Objects, Queue, SharingTopic
from shared.adapters.store import Tables
from shared.settings import Settings, get_settings
from shared.workdays import CalendarOverride, WorkCalendar


@dataclass
class Deps:
    """Everything a use case needs; tests build one against the moto server."""

    settings: Settings
    tables: Tables
    objects: Objects
    queue: Queue
    notifier: Notifier
    sharing: SharingTopic
    calendar: WorkCalendar
    stats: IoStats = field(default_factory=IoStats)


def load_calendar(tables: Tables) -> WorkCalendar:
    """The bundled calendar plus every override an operator loaded (``guiji calendar load``)."""
    overrides = [CalendarOverride.model_validate(o) for o in tables.control.calendar_overrides()]
    return WorkCalendar.build(overrides)


def build_deps(settings: Settings | None = None) -> Deps:
    settings = settings or get_settings()
    stats = IoStats()
    tables = Tables(settings, stats)
    return Deps(
        settings=settings,
        tables=tables,
        objects=Objects(),
        queue=Queue(settings.intake_queue_url),
        notifier=Notifier(settings.notices_topic_arn),
        sharing=SharingTopic(settings.sharing_topic_arn),
        calendar=load_calendar(tables),
        stats=stats,
    )


@cache
def get_deps() -> Deps:
    """Process-wide dependencies (Lambda containers reuse them across invocations)."""
    return build_deps()


def reset() -> None:
    """Forget cached settings, clients and dependencies (tests, the local runner after a restart)."""
    from shared.adapters.aws import clear_clients
    from shared.adapters.secrets import clear_cache

    get_deps.cache_clear()
    get_settings.cache_clear()
    clear_clients()
    clear_cache()
