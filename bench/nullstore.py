"""An in-process stand-in for the DynamoDB tables: reads come from a preload, writes are serialised and dropped.

It lets the intake pipeline run at CPU speed (no emulator in the way) while still paying for building every
AttributeValue it would send, and it counts the requests the real tables would have received.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from shared.adapters.dynamo import IoStats, Item, to_attr
from shared.adapters.store import AuditLog, BreachStore, ControlStore, RecordStore, RegistryStore


class NullTable:
    """The :class:`shared.adapters.dynamo.Table` interface over a dict; writes are serialised, not kept."""

    def __init__(self, name: str, stats: IoStats, preload: Iterable[Item] = (), keep_writes: bool = False) -> None:
        self.name = name
        self.stats = stats
        self.items: dict[tuple[str, str], Item] = {(i["pk"], i["sk"]): i for i in preload}
        self.keep_writes = keep_writes

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
        self.stats.add("GetItem", read=1)
        return self.items.get((pk, sk))

    def put(self, item: Item, **_: Any) -> None:
        to_attr(item)
        self.stats.add("PutItem", written=1)
        if self.keep_writes:
            self.items[(item["pk"], item["sk"])] = item

    def batch_get(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        wanted = list(dict.fromkeys(keys))
        found = {k: self.items[k] for k in wanted if k in self.items}
        for start in range(0, len(wanted), 100):
            self.stats.add("BatchGetItem", read=sum(1 for k in wanted[start : start + 100] if k in found))
        return found

    def batch_write(self, puts: Iterable[Item] = (), deletes: Iterable[tuple[str, str]] = ()) -> int:
        items = list(puts)
        for item in items:
            to_attr(item)
            if self.keep_writes:
                self.items[(item["pk"], item["sk"])] = item
        count = len(items) + len(list(deletes))
        for _ in range(0, count, 25):
            self.stats.add("BatchWriteItem", written=25)
        return count

    def put_new_many(self, items: list[Item]) -> list[Item]:
        for item in items:
            to_attr(item)
            self.stats.add("PutItem", written=1)  # one conditional put per entry, as Table.put_new_many does
        return []

    def query(self, *args: Any, **kwargs: Any) -> Iterator[Item]:
        self.stats.add("Query")
        return iter(())

    def scan(self, **_: Any) -> Iterator[Item]:
        self.stats.add("Scan")
        return iter(())

    def update(self, *args: Any, **kwargs: Any) -> Item:
        self.stats.add("UpdateItem", written=1)
        return {}


class NullTables:
    """The shape of :class:`shared.adapters.store.Tables` over null tables."""

    def __init__(self, registry_items: Iterable[Item] = ()) -> None:
        self.stats = IoStats()

        def table(name: str, preload: Iterable[Item] = ()) -> Any:
            return NullTable(name, self.stats, preload)

        self.records = RecordStore(table("records"))
        self.registry = RegistryStore(table("registry", registry_items))
        self.breaches = BreachStore(table("breaches"))
        self.audit = AuditLog(table("audit"))
        self.control = ControlStore(table("control"))


def registry_items(subjects: Iterable[Any]) -> list[Item]:
    """What RegistryStore.put_subjects would have written, to preload a NullTable."""
    from shared.registry import Subject, normalize_name

    items: list[Item] = []
    for s in subjects:
        subject = Subject(uscc=s.uscc, name=s.name, region_code=s.region_code, type=s.type, reg_no=s.reg_no)
        items.append({"pk": f"SUBJ#{s.uscc}", "sk": "CUR", **subject.model_dump(mode="json")})
        items.append({"pk": f"NAME#{normalize_name(s.name)}", "sk": "IDX", "usccs": [s.uscc]})
        if s.reg_no:
            items.append({"pk": f"REGNO#{s.reg_no}", "sk": "IDX", "uscc": s.uscc})
    return items


def null_deps(subjects: Iterable[Any] = ()) -> Any:
    """A :class:`shared.services.deps.Deps` whose tables are null tables (no AWS, no emulator)."""
    from shared.services.deps import Deps
    from shared.settings import Settings
    from shared.workdays import default_calendar

    settings = Settings.placeholders()
    tables = NullTables(registry_items(subjects))
    return Deps(
        settings=settings,
        tables=tables,  # type: ignore[arg-type]
        objects=None,  # type: ignore[arg-type]
        queue=None,  # type: ignore[arg-type]
        notifier=None,  # type: ignore[arg-type]
        sharing=None,  # type: ignore[arg-type]
        calendar=default_calendar(),
        stats=tables.stats,
    )


def run_cpu_path(path: Any, deps: Any, *, department: str, is_regulator: bool = False) -> dict[str, int]:
    """Parse → validate → attribute → date → serialise one penalty file through the real intake code."""
    from datetime import UTC, datetime

    from shared.categories import Category
    from shared.columns import looks_like_header, map_headers
    from shared.ledger import UploadContext
    from shared.readers import open_table
    from shared.row_validation import RejectReason
    from shared.services.record_sink import Counts, RecordSink

    table = open_table(path, path.name, lambda cells: looks_like_header(Category.PENALTY, cells))
    mapping = map_headers(Category.PENALTY, table.headers)
    ctx = UploadContext(
        upload_id="bench",
        department=department,
        region_code="350000",
        producer_is_regulator=is_regulator,
        source_key=f"incoming/{department}/penalty/{path.name}",
        collected_at=datetime.now(UTC),
    )
    sink = RecordSink(mapping, ctx, deps)
    counts = Counts()
    rejects: list[RejectReason] = []
    for row, cells in table.rows():
        counts.read += 1
        sink.add(row, cells, counts, rejects)
        if len(rejects) > 1000:
            rejects.clear()  # a real run spills rejects per chunk; keep memory bounded here too
    sink.flush(counts, rejects)
    return counts.as_dict()
