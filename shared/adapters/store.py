"""Repositories over the guiji tables. They speak domain models; item layouts live only here.

Records table (``RecordsTable``)
    ``REC#{id}`` / ``CUR``         current state of a record (a :class:`LedgerEntry`)
    ``REC#{id}`` / ``V#{n:06d}``  an earlier version, kept when a correction replaces it
    ``REC#{id}`` / ``FB#{id}``     joint-punishment feedback another department reported on this listing
    gsi1  open collection   ``OPENCOL#{shard}`` / ``{collect_due}#{id}``   (sparse: expected, not collected)
    gsi2  open publication  ``OPENPUB#{shard}`` / ``{publish_due}#{id}``   (sparse: collected, never published)
    gsi3  work queues       ``PUBLISH#{shard}`` or ``HELD#{shard}`` / ``{collected_at}#{id}``
    gsi4  by department     ``{department}`` / ``{production_date}#{id}``
    gsi5  by subject        ``SUBJ#{uscc}`` / ``{production_date}#{id}``  (sparse: collected, market subjects only)
Registry table: ``DEPT`` / code; ``SUBJ#{uscc}`` / ``CUR``; index items ``REGNO#{reg_no}`` and ``NAME#{name}`` / ``IDX``;
    legal representatives ``LREP#{name}`` / ``{uscc}`` (from the register and from records).
Breaches table: ``BR#{breach_id}`` / ``CUR``; gsi1 ``OPEN#{shard}`` / ``{due}#{id}`` (sparse), gsi2 department,
    gsi3 city, gsi4 ``KIND#{kind}`` — each / ``{opened_on}#{id}``.
Audit table: ``{stream}`` / ``{seq:08d}`` — append-only, hash-chained per stream.
Control table: uploads, chunk results, digests (``DIGEST#{jurisdiction}#{level}`` / day), job heartbeats, calendar
    overrides, subscriptions (``SUBSCRIPTION`` / id) and the push log (``PUSH#{day}`` / ``{record_id}#{version}``).

Scheduled jobs read only the sparse indexes up to a date horizon, so their reads grow with the number of
records that can be due, never with the size of the ledger.
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.adapters.dynamo import ConditionFailedError, IoStats, Item, Table
from shared.adapters.seals import AuditSeals
from shared.attribution import SubjectLookup
from shared.auditchain import (
    GENESIS,
    anchor_problems,
    audit_hash,
    chain_problems,
    next_seal,
    seal_digest,
    seal_problems,
)
from shared.breaches import Breach
from shared.figures import RecordProfile
from shared.ledger import Attribution, LedgerEntry
from shared.observability import logger
from shared.registry import Department, LegalRep, Subject, normalize_name
from shared.search import Posting, bigrams, posting_of
from shared.settings import Settings
from shared.sharing import Subscription
from shared.timeutil import BUSINESS_TZ, iso_utc, local_date, parse_iso_utc, utc_now

SHARDS = 4


def shard_of(key: str) -> int:
    """Spread a sparse index over a few partitions (a single hot GSI key would cap write throughput)."""
    return zlib.crc32(key.encode()) % SHARDS


def _date_key(d: date | None) -> str:
    return d.isoformat() if d else ""


class UnreadableItemError(Exception):
    """A stored item that no longer has the shape its model needs (written by hand, or by an older bug)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class RecordStore:
    """Current state and history of ledger records.

    Reads that walk many records (indexes, batches) skip an item that cannot be read back and remember its key in
    :attr:`quarantined`, so one bad item never stops a job; the job reports and audits what was skipped
    (:meth:`take_quarantined`). A direct read of such a record raises :class:`UnreadableItemError`.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.quarantined: list[str] = []
        self._marked: set[tuple[str, str, str, str]] = set()  # (day, hour, department, production day) marked

    def _changed_markers(self, entries: Iterable[LedgerEntry]) -> list[Item]:
        """Mark each (department, production day) whose kept figures a write makes stale: ``FIGDIRTY#{local day}`` /
        ``{hour}#{department}#{production day}``, once per hour and process. A marker stands for every later change
        of its hour, as a refresh re-reads the whole hour it started in."""
        now = utc_now().astimezone(BUSINESS_TZ)
        day, hour = now.date().isoformat(), f"{now.hour:02d}"
        fresh = {(day, hour, e.department, e.production_date.isoformat()) for e in entries} - self._marked
        self._marked |= fresh
        return [{"pk": f"FIGDIRTY#{d}", "sk": f"{h}#{dept}#{p}"} for d, h, dept, p in sorted(fresh)]

    @staticmethod
    def change_mark() -> str:
        """Where the markers a refresh starting now must read from (its local day and hour)."""
        now = utc_now().astimezone(BUSINESS_TZ)
        return f"{now.date().isoformat()}T{now.hour:02d}"

    def changed_since(self, mark: str) -> set[tuple[str, date]]:
        """The (department, production day) pairs written from ``mark`` (see :meth:`change_mark`) until now."""
        first, _, hour = mark.partition("T")
        found: set[tuple[str, date]] = set()
        for day in _days(date.fromisoformat(first), local_date(utc_now())):
            # From the mark's hour on its day, whole days after it.
            since = f"{hour or '00'}#" if day.isoformat() == first else "00#"
            for item in self.table.query("pk = :p AND sk >= :h", {":p": f"FIGDIRTY#{day.isoformat()}", ":h": since}):
                _, dept, produced = str(item["sk"]).split("#")
                found.add((dept, date.fromisoformat(produced)))
        return found

    def put_profiles(self, profiles: dict[tuple[str, date], list[RecordProfile]]) -> int:
        """Keep the figures of (department, production day) pairs: the profiles of their records."""
        return self.table.batch_write(
            {
                "pk": f"FIG#{dept}",
                "sk": day.isoformat(),
                "profiles": [p.model_dump(mode="json", exclude_defaults=True) for p in found],
            }
            for (dept, day), found in profiles.items()
        )

    def _profile_items(self, department: str, start: date, end: date) -> Iterator[Item]:
        return self.table.query(
            "pk = :p AND sk BETWEEN :a AND :b",
            {":p": f"FIG#{department}", ":a": start.isoformat(), ":b": end.isoformat()},
        )

    def profiles(self, department: str, start: date, end: date) -> list[RecordProfile]:
        """The kept figures of a department's records produced from ``start`` to ``end`` (one item a day)."""
        return [
            RecordProfile.model_validate({"department": department, "production_date": i["sk"], **p})
            for i in self._profile_items(department, start, end)
            for p in i.get("profiles", [])
        ]

    def profile_days(self, department: str, start: date, end: date) -> set[date]:
        """The days of a department that have kept figures (what a rebuild may have to empty)."""
        return {date.fromisoformat(str(i["sk"])) for i in self._profile_items(department, start, end)}

    def _readable(self, item: Item) -> LedgerEntry | None:
        try:
            return self.from_item(item)
        except ValidationError:
            key = f"{item.get('pk')}/{item.get('sk')}"
            logger.error("unreadable record item skipped", extra={"key": key})
            self.quarantined.append(key)
            return None

    def take_quarantined(self) -> list[str]:
        """Keys of the items skipped since the last call (each once)."""
        keys, self.quarantined = sorted(set(self.quarantined)), []
        return keys

    @staticmethod
    def to_item(entry: LedgerEntry) -> Item:
        item: Item = entry.model_dump(mode="json")
        rid = entry.record_id
        item["pk"], item["sk"] = f"REC#{rid}", "CUR"
        shard = shard_of(rid)
        if entry.collect_due is not None and not entry.collected:
            item["gsi1pk"], item["gsi1sk"] = f"OPENCOL#{shard}", f"{_date_key(entry.collect_due)}#{rid}"
        if entry.collected and entry.published_at is None and entry.publication_required:
            item["gsi2pk"], item["gsi2sk"] = f"OPENPUB#{shard}", f"{_date_key(entry.publish_due)}#{rid}"
        if entry.collected_at is not None:
            stamp = iso_utc(entry.collected_at)
            if entry.needs_publication:
                item["gsi3pk"], item["gsi3sk"] = f"PUBLISH#{shard}", f"{stamp}#{rid}"
            elif entry.held and not entry.rejected_by_regulator:
                item["gsi3pk"], item["gsi3sk"] = f"HELD#{shard}", f"{stamp}#{rid}"
        item["gsi4pk"], item["gsi4sk"] = entry.department, f"{_date_key(entry.production_date)}#{rid}"
        subject = entry.attributed_uscc or entry.uscc
        if entry.collected and subject and entry.attribution is not Attribution.NATURAL_PERSON:
            item["gsi5pk"], item["gsi5sk"] = f"SUBJ#{subject}", f"{_date_key(entry.production_date)}#{rid}"
        return item

    @staticmethod
    def from_item(item: Item) -> LedgerEntry:
        return LedgerEntry.model_validate(item)

    def get(self, record_id: str) -> LedgerEntry | None:
        item = self.table.get(f"REC#{record_id}", "CUR")
        if not item:
            return None
        try:
            return self.from_item(item)
        except ValidationError as exc:
            raise UnreadableItemError(f"REC#{record_id}/CUR") from exc

    def get_many(self, record_ids: Iterable[str]) -> dict[str, LedgerEntry]:
        found = self.table.batch_get((f"REC#{rid}", "CUR") for rid in record_ids)
        entries = (self._readable(item) for item in found.values())
        return {e.record_id: e for e in entries if e is not None}

    def put_many(self, entries: Iterable[LedgerEntry], previous: Iterable[LedgerEntry] = ()) -> int:
        """Write new states (and keep the versions they replace) in batches."""
        entries, previous = list(entries), list(previous)
        items = [self.to_item(e) for e in entries]
        for old in previous:
            snap: Item = old.model_dump(mode="json")
            snap["pk"], snap["sk"] = f"REC#{old.record_id}", f"V#{old.version:06d}"
            items.append(snap)
        return self.table.batch_write(items + self._changed_markers(entries + previous))

    def put(self, entry: LedgerEntry, *, expect_version: int | None = None) -> None:
        """Write one state; with ``expect_version`` only if nobody changed the record meanwhile."""
        if expect_version is None:
            self.table.put(self.to_item(entry))
        else:
            self.table.put(
                self.to_item(entry),
                condition="attribute_not_exists(pk) OR version = :v",
                values={":v": expect_version},
            )
        markers = self._changed_markers([entry])
        if markers:
            self.table.batch_write(markers)

    def add_feedback(self, record_id: str, feedback_id: str, item: Item) -> Item | None:
        """Keep one feedback on a listing, once: None when it is new, else the stored one (a duplicate)."""
        key = {"pk": f"REC#{record_id}", "sk": f"FB#{feedback_id}"}
        try:
            self.table.put({**item, **key}, condition="attribute_not_exists(pk)")
        except ConditionFailedError:
            return self.table.get(key["pk"], key["sk"]) or {}
        return None

    def feedback_of(self, record_id: str) -> list[Item]:
        """The feedback other departments reported on a listing, oldest first."""
        items = self.table.query("pk = :pk AND begins_with(sk, :f)", {":pk": f"REC#{record_id}", ":f": "FB#"})
        return sorted(
            ({k: v for k, v in i.items() if k not in ("pk", "sk")} for i in items), key=lambda i: str(i.get("at"))
        )

    def versions(self, record_id: str) -> list[LedgerEntry]:
        """Earlier versions, oldest first (the current one is :meth:`get`)."""
        items = self.table.query("pk = :pk AND begins_with(sk, :v)", {":pk": f"REC#{record_id}", ":v": "V#"})
        return [self.from_item(i) for i in items]

    def _sparse(self, index: str, prefix: str, until: str) -> Iterator[LedgerEntry]:
        for shard in range(SHARDS):
            items = self.table.query(
                f"{index}pk = :p AND {index}sk <= :u",
                {":p": f"{prefix}#{shard}", ":u": until + "~"},
                index=index,
            )
            for item in items:
                entry = self._readable(item)
                if entry is not None:
                    yield entry

    def open_collection(self, until: date) -> Iterator[LedgerEntry]:
        """Records expected from production lists, not collected, due on or before ``until``."""
        return self._sparse("gsi1", "OPENCOL", until.isoformat())

    def open_publication(self, until: date) -> Iterator[LedgerEntry]:
        """Collected records never published, due on or before ``until``."""
        return self._sparse("gsi2", "OPENPUB", until.isoformat())

    def to_publish(self) -> Iterator[LedgerEntry]:
        return self._sparse("gsi3", "PUBLISH", "9999")

    def held(self) -> Iterator[LedgerEntry]:
        return self._sparse("gsi3", "HELD", "9999")

    def about_subject(self, uscc: str) -> Iterator[LedgerEntry]:
        """Collected records of one market subject, every department and region, oldest production date first."""
        for item in self.table.query("gsi5pk = :p", {":p": f"SUBJ#{uscc}"}, index="gsi5"):
            entry = self._readable(item)
            if entry is not None:
                yield entry

    def by_department(self, department: str, start: date, end: date) -> Iterator[LedgerEntry]:
        items = self.table.query(
            "gsi4pk = :d AND gsi4sk BETWEEN :a AND :b",
            {":d": department, ":a": start.isoformat(), ":b": end.isoformat() + "~"},
            index="gsi4",
        )
        return (e for e in map(self._readable, items) if e is not None)


def _posting(item: Item) -> Posting:
    return posting_of(item["uscc"], item["name"], item["region_code"], item.get("type", "enterprise"))


class DynamoNameIndex:
    """:class:`shared.search.NameIndex` in the registry table.

    ``NG#{bigram}`` / ``{region_code}#{uscc}``: one posting per distinct bigram of a subject's folded name (the
    region first in the sort key, so a city's roll-up is a ``begins_with``); ``NGC#{bigram}`` / ``N``: how many
    postings the bigram has, updated as names come and go. The counts only choose which postings to read.
    """

    def __init__(self, table: Table) -> None:
        self.table = table

    def bigram_counts(self, grams: Iterable[str]) -> dict[str, int]:
        found = self.table.batch_get((f"NGC#{g}", "N") for g in grams)
        return {pk.removeprefix("NGC#"): int(item.get("n", 0)) for (pk, _), item in found.items()}

    def postings(self, gram: str, region_prefix: str, limit: int, after: str | None = None) -> list[Posting]:
        start = {"pk": f"NG#{gram}", "sk": after} if after else None
        if region_prefix:
            items = self.table.query(
                "pk = :p AND begins_with(sk, :r)",
                {":p": f"NG#{gram}", ":r": region_prefix},
                limit=limit,
                start_key=start,
            )
        else:
            items = self.table.query("pk = :p", {":p": f"NG#{gram}"}, limit=limit, start_key=start)
        return [
            Posting(uscc=i["uscc"], name=i["name"], folded=i["folded"], region_code=i["region_code"], type=i["type"])
            for i in items
        ]

    def index(self, changes: Sequence[tuple[Posting | None, Posting | None]]) -> None:
        puts: list[Item] = []
        deletes: list[tuple[str, str]] = []
        delta: dict[str, int] = {}
        for old, new in changes:
            old_keys = {(g, f"{old.region_code}#{old.uscc}") for g in bigrams(old.folded)} if old else set()
            new_keys = {(g, f"{new.region_code}#{new.uscc}") for g in bigrams(new.folded)} if new else set()
            for gram, sk in old_keys - new_keys:
                deletes.append((f"NG#{gram}", sk))
                delta[gram] = delta.get(gram, 0) - 1
            for gram, sk in new_keys:
                if new is not None:  # (always, when new_keys is not empty)
                    puts.append({"pk": f"NG#{gram}", "sk": sk, **asdict(new)})
                if (gram, sk) not in old_keys:
                    delta[gram] = delta.get(gram, 0) + 1
        # Counts only steer which postings a query reads (never which results it returns), so a batched
        # read-modify-write is enough: two loads racing can only skew a hint (a register load is a rare admin act).
        changed = {g: n for g, n in delta.items() if n}
        current = self.bigram_counts(changed)
        counts = [{"pk": f"NGC#{g}", "sk": "N", "n": max(0, current.get(g, 0) + n)} for g, n in sorted(changed.items())]
        self.table.batch_write([*puts, *counts], deletes)


class RegistryStore:
    """Departments and the market-subject register."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.names = DynamoNameIndex(table)

    def _load(self, kind: str, items: list[Item], source: str) -> tuple[int, list[tuple[Item | None, Item]]]:
        """Write one registry load as a new version; what it replaces is kept as history (``HIST#…``).

        Returns the version and the items that changed, each with the item it replaced (None when new).
        """
        version = int(self.table.update(f"REGVER#{kind}", "CUR", "ADD v :one", {":one": 1})["v"])
        existing = self.table.batch_get((i["pk"], i["sk"]) for i in items)
        writes: list[Item] = []
        changes: list[tuple[Item | None, Item]] = []
        for item in items:
            old = existing.get((item["pk"], item["sk"]))
            if old is not None:
                if {k: v for k, v in old.items() if k != "registry_version"} == _without_none(item):
                    continue  # unchanged: keeps the version it was loaded in
                writes.append({**old, "pk": f"HIST#{item['pk']}#{item['sk']}", "sk": f"{old['registry_version']:06d}"})
            changes.append((old, item))
            writes.append({**item, "registry_version": version})
        writes.append(
            {
                "pk": f"REGVER#{kind}",
                "sk": f"{version:06d}",
                "source": source,
                "rows": len(items),
                "changed": len(changes),
                "loaded_at": iso_utc(utc_now()),
            }
        )
        self.table.batch_write(writes)
        return version, changes

    def put_departments(self, departments: Iterable[Department], *, source: str = "") -> int:
        """Load departments as a new registry version; returns the version number."""
        items = []
        for d in departments:
            item: Item = d.model_dump(mode="json")
            item["supervisor_emails"] = list(d.supervisor_emails)
            item["pk"], item["sk"] = "DEPT", d.code
            items.append(item)
        return self._load("departments", items, source)[0]

    def versions(self, kind: str) -> list[Item]:
        """Every load of a registry (``departments`` or ``subjects``), oldest first."""
        return [i for i in self.table.query("pk = :p", {":p": f"REGVER#{kind}"}) if i["sk"] != "CUR"]

    def history(self, pk: str, sk: str) -> list[Item]:
        """Earlier versions of one registry item, oldest first."""
        return list(self.table.query("pk = :p", {":p": f"HIST#{pk}#{sk}"}))

    def departments(self) -> dict[str, Department]:
        return {i["code"]: Department.model_validate(i) for i in self.table.query("pk = :p", {":p": "DEPT"})}

    def department(self, code: str) -> Department | None:
        item = self.table.get("DEPT", code)
        return Department.model_validate(item) if item else None

    def put_subjects(self, subjects: Iterable[Subject], *, source: str = "") -> int:
        """Load subjects as a new register version, with their 注册号 and name index items."""
        subjects = list(subjects)
        items: list[Item] = []
        names: dict[str, set[str]] = {}
        for s in subjects:
            item: Item = s.model_dump(mode="json")
            item["pk"], item["sk"] = f"SUBJ#{s.uscc}", "CUR"
            items.append(item)
            names.setdefault(normalize_name(s.name), set()).add(s.uscc)
        version, changes = self._load("subjects", items, source)
        self.names.index([(_posting(old) if old else None, _posting(new)) for old, new in changes])
        index: list[Item] = [{"pk": f"REGNO#{s.reg_no}", "sk": "IDX", "uscc": s.uscc} for s in subjects if s.reg_no]
        existing = self.table.batch_get((f"NAME#{n}", "IDX") for n in names)
        for name, codes in names.items():
            old = existing.get((f"NAME#{name}", "IDX"), {}).get("usccs", [])
            index.append({"pk": f"NAME#{name}", "sk": "IDX", "usccs": sorted(codes | set(old))})
        self.table.batch_write(index)
        self.index_legal_reps(
            LegalRep(name=s.legal_rep, uscc=s.uscc, subject_name=s.name, source="register")
            for s in subjects
            if s.legal_rep
        )
        return version

    def index_legal_reps(self, reps: Iterable[LegalRep]) -> int:
        """Keep who represents which subject (``LREP#{name}`` / ``{uscc}``), from the register and from records;
        the same pair overwrites itself, so re-indexing is harmless."""
        items = {
            (rep.name_key, rep.uscc): {"pk": f"LREP#{rep.name_key}", "sk": rep.uscc, **rep.model_dump(mode="json")}
            for rep in reps
            if rep.name_key and rep.uscc
        }
        return self.table.batch_write(items.values())

    def represented_by(self, name: str) -> list[LegalRep]:
        """Every subject recorded with this legal representative's name."""
        key = LegalRep.key_of(name)
        return [LegalRep.model_validate(i) for i in self.table.query("pk = :p", {":p": f"LREP#{key}"})] if key else []

    def subject(self, uscc: str) -> Subject | None:
        item = self.table.get(f"SUBJ#{uscc}", "CUR")
        return Subject.model_validate(item) if item else None

    def lookup(self, usccs: Iterable[str], reg_nos: Iterable[str], names: Iterable[str]) -> SubjectLookup:
        """Fetch every register entry a batch of rows could match: two BatchGetItem rounds."""
        reg_set = {r for r in reg_nos if r}
        name_set = {normalize_name(n) for n in names if n}
        index = self.table.batch_get(
            [(f"REGNO#{r}", "IDX") for r in reg_set] + [(f"NAME#{n}", "IDX") for n in name_set]
        )
        regno_codes = {r: index[(f"REGNO#{r}", "IDX")]["uscc"] for r in reg_set if (f"REGNO#{r}", "IDX") in index}
        name_codes = {n: index[(f"NAME#{n}", "IDX")]["usccs"] for n in name_set if (f"NAME#{n}", "IDX") in index}
        wanted = {c for c in usccs if c} | set(regno_codes.values()) | {c for cs in name_codes.values() for c in cs}
        found = self.table.batch_get((f"SUBJ#{code}", "CUR") for code in wanted)
        subjects = {item["uscc"]: Subject.model_validate(item) for item in found.values()}
        return SubjectLookup(
            by_uscc=subjects,
            by_reg_no={reg: subjects[code] for reg, code in regno_codes.items() if code in subjects},
            by_name={n: [subjects[c] for c in cs if c in subjects] for n, cs in name_codes.items()},
        )

    def put_public_views(self, views: Iterable[tuple[str, str, str, Item]]) -> int:
        """Publish what the public may see of records, each under its subject: (uscc or "", category, record id,
        view). A record's view replaces the one it had."""
        return self.table.batch_write(
            {"pk": f"PUB#{uscc or 'NONE'}", "sk": f"{category}#{rid}", **view} for uscc, category, rid, view in views
        )

    def public_views(self, uscc: str, category: str | None = None) -> list[Item]:
        """What the publication run published under a subject (optionally one category), without keys."""
        if category:
            items = self.table.query("pk = :p AND begins_with(sk, :c)", {":p": f"PUB#{uscc}", ":c": f"{category}#"})
        else:
            items = self.table.query("pk = :p", {":p": f"PUB#{uscc}"})
        return [{k: v for k, v in i.items() if k not in ("pk", "sk")} for i in items]


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) if isinstance(v, dict | list) else v for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) if isinstance(v, dict | list) else v for v in value]
    return value


BLOCK_PREFIX = "BLK#"
BLOCK_BYTES = 300 * 1024  # DynamoDB items stop at 400 KB


def _pack(items: list[Item]) -> list[list[Item]]:
    """Entries in parts of at most ~300 KB each (their JSON size bounds the item's)."""
    parts: list[list[Item]] = [[]]
    size = 0
    for item in items:
        entry = {k: v for k, v in item.items() if k not in ("pk", "sk")}
        # repr's UTF-8 size stands for the JSON's (same quoting and separators, measured equal on entries) at
        # half the cost; the 100 KB between a part and DynamoDB's limit absorbs what escapes differ.
        n = len(repr(entry).encode("utf-8")) + 64
        if parts[-1] and size + n > BLOCK_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(entry)
        size += n
    return [p for p in parts if p]


def _written_today(items: Iterable[Item]) -> list[Item]:
    """Audit items with their place in the day index (``gsi1``: the local day they are written; not hashed)."""
    day = f"DAY#{local_date(utc_now()).isoformat()}"
    return [{**item, "gsi1pk": day, "gsi1sk": f"{item['pk']}#{item['sk']}"} for item in items]


def _moved(stream: str, items: Iterable[Item]) -> list[str]:
    """Single entries stored at a key other than their position (an entry's key is its position: one moved to
    another key with its attributes left alone is tampering too). Entries in blocks have no key of their own."""
    return [
        f"{stream}: the entry stored at {i['sk']} says it is entry {i['seq']} (moved)"
        for i in items
        if not i.get("block") and str(i.get("sk", "")).isdigit() and int(i["sk"]) != int(i["seq"])
    ]


def _anchor(item: Item) -> tuple[int, str] | None:
    """The stream head a record or breach item keeps (``audit_seq``, ``audit_head``), if it has one."""
    seq = item.get("audit_seq")
    return (int(seq), str(item.get("audit_head", ""))) if isinstance(seq, int | float) and seq > 0 else None


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _entries_of(part: Item) -> Iterator[Item]:
    """A block's entries as entry items (keyed by stream and position, and saying which block holds them)."""
    for entry in part.get("entries", []):
        yield {"pk": entry["stream"], "sk": f"{int(entry['seq']):08d}", **entry, "block": f"{part['pk']}/{part['sk']}"}


def _merge(first: list[Item], then: list[Item]) -> list[Item]:
    """Entries in sequence order; an entry stored twice with the same hash (a replayed block) counts once."""
    seen: set[tuple[int, str]] = set()
    out = []
    for item in sorted([*first, *then], key=lambda i: int(i["seq"])):
        key = (int(item["seq"]), str(item.get("hash")))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


class AuditConflictError(Exception):
    """Two writers raced for the same position of an audit stream."""


class AuditLog:
    """Append-only, hash-chained audit trail. Nothing in guiji updates or deletes its items."""

    def __init__(self, table: Table) -> None:
        self.table = table

    @staticmethod
    def make_item(
        stream: str,
        seq: int,
        prev: str,
        event: str,
        actor: str,
        detail: dict[str, Any],
        at: datetime | None = None,
    ) -> Item:
        """An entry chained to ``prev``. Pass ``at`` when a retry must reproduce the very same entry."""
        entry = {"stream": stream, "seq": seq, "event": event, "actor": actor, "at": iso_utc(at or utc_now())}
        # Stored exactly as hashed: DynamoDB drops None values, so the hash must not see them either.
        entry["detail"] = _without_none(detail)
        entry["prev"] = prev
        entry["hash"] = audit_hash(prev, entry)
        return {"pk": stream, "sk": f"{seq:08d}", **entry}

    def append_many(self, items: list[Item], *, tolerate_races: bool = False) -> set[str]:
        """Write prepared entries whose sequence numbers the caller owns (e.g. from a record's head).

        Writes are conditional: an existing entry is never overwritten. An entry that already exists with
        the same hash is a replay of an interrupted attempt and is fine. An entry that exists with other
        content means another writer got there first: an error, or, with ``tolerate_races``, returned as a
        stream name so the caller can drop the state change that the other writer already recorded.
        """
        lost: set[str] = set()
        clashes = self.table.put_new_many(_written_today(items))
        if clashes:
            stored = self.table.batch_get((i["pk"], i["sk"]) for i in clashes)
            for item in clashes:
                if stored.get((item["pk"], item["sk"]), {}).get("hash") == item["hash"]:
                    continue
                if not tolerate_races:
                    raise AuditConflictError(f"audit entry {item['pk']}/{item['sk']} exists with other content")
                lost.add(item["pk"])
        return lost

    def write_block(self, base: str, items: list[Item]) -> bool:
        """Write the first entries of new streams as one block (a single conditional PutItem per ~300 KB).

        A block holds entries that open streams nobody else can be writing yet (records being created while the
        department's intake lease is held, breaches of those records), so no position needs claiming one by one.
        ``base`` is deterministic for the batch (upload and first row): a retried batch finds its block and writes
        only the entries the first attempt did not (none, when nothing changed). An entry stored with the same
        stream and sequence number but other content is a conflict. Returns True when this was a replay.
        """
        if not items:
            return False
        key = f"{BLOCK_PREFIX}{base}"
        parts = _pack(items)
        replay = False
        for number, part in enumerate(parts):
            try:
                self._put_part(key, number, part)
            except ConditionFailedError:
                replay = True
                self._resume_block(key, [e for p in parts[number:] for e in p])
                break
        return replay

    def _resume_block(self, key: str, items: list[Item]) -> None:
        stored_parts = list(self.table.query("pk = :p", {":p": key}))
        stored = {(e["stream"], int(e["seq"])): e["hash"] for part in stored_parts for e in part.get("entries", [])}
        missing = []
        for item in items:
            found = stored.get((item["stream"], int(item["seq"])))
            if found is None:
                missing.append(item)
            elif found != item["hash"]:
                raise AuditConflictError(f"audit entry {item['stream']}#{item['seq']} exists with other content")
        start = 1 + max((int(p["sk"]) for p in stored_parts), default=-1)
        for number, part in enumerate(_pack(missing), start=start):
            self._put_part(key, number, part)

    def _put_part(self, key: str, number: int, entries: list[Item]) -> None:
        (item,) = _written_today([{"pk": key, "sk": f"{number:04d}", "entries": entries}])
        self.table.put(item, condition="attribute_not_exists(pk)")

    def block_entries(self, block: str, stream: str | None = None) -> list[Item]:
        """The entries a block holds (of one stream, or all), each as an entry item."""
        entries = (e for part in self.table.query("pk = :p", {":p": block}) for e in _entries_of(part))
        return [e for e in entries if stream is None or e["stream"] == stream]

    def append(self, stream: str, event: str, actor: str, detail: dict[str, Any]) -> Item:
        """Append one entry at the head of a stream; a conditional put makes concurrent appends safe."""
        for _ in range(10):
            head = next(iter(self.table.query("pk = :p", {":p": stream}, forward=False, limit=1)), None)
            seq = (head["seq"] + 1) if head else 1
            item = self.make_item(stream, seq, head["hash"] if head else GENESIS, event, actor, detail)
            try:
                self.table.put(_written_today([item])[0], condition="attribute_not_exists(pk)")
                return item
            except ConditionFailedError:
                continue
        raise RuntimeError(f"audit stream {stream} is too contended")

    def stream(self, stream: str, block: str | None = None) -> list[Item]:
        """One stream's entries, oldest first; ``block`` is where its first entries were written, if in a block
        (the ``audit_block`` its record or breach keeps)."""
        items = list(self.table.query("pk = :p", {":p": stream}))
        if block:
            items = _merge(self.block_entries(block, stream), items)
        return items

    def written_on(self, days: Iterable[date]) -> dict[str, list[Item]]:
        """The entries written on these local days, by stream, oldest first: the day index names them and they are
        read by key in batches (single entries and blocks alike), so the reads follow the writes of those days."""
        keys: list[tuple[str, str]] = []
        for day in days:
            index = self.table.query("gsi1pk = :d", {":d": f"DAY#{day.isoformat()}"}, index="gsi1")
            keys.extend((str(i["pk"]), str(i["sk"])) for i in index)
        streams: dict[str, list[Item]] = {}
        for (pk, _), item in self.table.batch_get(keys).items():
            for entry in _entries_of(item) if pk.startswith(BLOCK_PREFIX) else [item]:
                streams.setdefault(str(entry["pk"]), []).append(entry)
        return {stream: _merge(items, []) for stream, items in streams.items()}

    def heads_written_on(self, days: Iterable[date]) -> dict[str, tuple[int, str]]:
        """The latest entry (sequence number, hash) of every stream written on these local days (appends only
        extend a stream, so what it got last then is its head)."""
        return {s: (int(items[-1]["seq"]), str(items[-1]["hash"])) for s, items in self.written_on(days).items()}

    def entries_at(self, positions: dict[str, set[int]], blocks: dict[str, str]) -> dict[tuple[str, int], Item]:
        """Given entries by position: single entries in batches, the rest from the stream's block (``blocks``)."""
        wanted = [(stream, seq) for stream, seqs in positions.items() for seq in seqs]
        found = self.table.batch_get((stream, f"{seq:08d}") for stream, seq in wanted)
        out = {(pk, int(sk)): item for (pk, sk), item in found.items()}
        rest = {stream for stream, seq in wanted if (stream, seq) not in out and blocks.get(stream)}
        for block in sorted({blocks[s] for s in rest}):
            for entry in self.block_entries(block):
                if entry["pk"] in rest and int(entry["seq"]) in positions[entry["pk"]]:
                    out[(entry["pk"], int(entry["seq"]))] = entry
        return out

    def verify_stretches(
        self, stretches: dict[str, list[Item]], anchors: dict[str, tuple[int, str]], blocks: dict[str, str]
    ) -> list[str]:
        """Check the recent end of each stream: consecutive, chained to the entry before it (read by key), and
        agreeing with the head anchored on its record or breach."""
        before = self.entries_at(
            {s: {int(items[0]["seq"]) - 1} for s, items in stretches.items() if int(items[0]["seq"]) > 1}, blocks
        )
        problems: list[str] = []
        for stream, items in sorted(stretches.items()):
            first = int(items[0]["seq"])
            previous = before.get((stream, first - 1))
            if first > 1 and previous is None:
                problems.append(f"{stream}: entry {first - 1} missing")
                continue
            problems += _moved(stream, items)
            prev = str(previous["hash"]) if previous else GENESIS
            problems += chain_problems(stream, items, start=first, prev=prev)
            if stream in anchors:
                seq, head = anchors[stream]
                if seq >= first:
                    problems += anchor_problems(stream, seq, head, items)
                elif seq < int(items[-1]["seq"]):
                    problems.append(f"{stream}: entries {seq + 1}..{items[-1]['seq']} are not anchored on its item")
        return problems

    def all_streams(self) -> dict[str, list[Item]]:
        """Every entry, by stream (a full scan: verification and sealing only)."""
        streams: dict[str, list[Item]] = {}
        for item in self.table.scan():
            if str(item["pk"]).startswith(BLOCK_PREFIX):
                for entry in _entries_of(item):
                    streams.setdefault(entry["pk"], []).append(entry)
            else:
                streams.setdefault(item["pk"], []).append(item)
        return {name: _merge(items, []) for name, items in streams.items()}

    def verify(
        self, anchors: dict[str, tuple[int, str]] | None = None, streams: dict[str, list[Item]] | None = None
    ) -> tuple[int, list[str]]:
        """Walk every stream and check its chain; returns (entries checked, problems).

        ``anchors`` are stream heads kept outside the trail (a record's or breach's ``audit_seq``/``audit_head``,
        written with the state change the entry records). A chain that checks out by itself can still have lost
        its last entries, all of them, or have been rewritten with recomputed hashes: the anchors catch that.
        """
        streams = self.all_streams() if streams is None else streams
        problems: list[str] = []
        for stream, items in streams.items():
            problems += _moved(stream, items)
            problems += chain_problems(stream, items)
        for stream, (seq, head) in sorted((anchors or {}).items()):
            problems += anchor_problems(stream, seq, head, streams.get(stream, []))
        return sum(len(items) for items in streams.values()), problems


class ControlStore:
    """Small operational state: upload progress, job heartbeats, digests, calendar overrides."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, pk: str, sk: str) -> Item | None:
        return self.table.get(pk, sk)

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        values: Item | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        self.table.put(item, condition=condition, values=values, names=names)

    def items(self, pk: str, prefix: str = "") -> list[Item]:
        if prefix:
            return list(self.table.query("pk = :p AND begins_with(sk, :s)", {":p": pk, ":s": prefix}))
        return list(self.table.query("pk = :p", {":p": pk}))

    FIGURES_MARK = ("FIGREFRESH", "LAST")

    def figures_mark(self) -> str | None:
        """The change mark the kept figures were last refreshed from (None: never refreshed)."""
        item = self.table.get(*self.FIGURES_MARK)
        return str(item["mark"]) if item and item.get("mark") else None

    def keep_figures_mark(self, mark: str) -> None:
        self.table.put({"pk": self.FIGURES_MARK[0], "sk": self.FIGURES_MARK[1], "mark": mark})

    @staticmethod
    def digest_key(jurisdiction: str, level: str, as_of: date) -> tuple[str, str]:
        """Where the digest of one jurisdiction, level and day is claimed and kept (``ops`` for operators' notes)."""
        return (f"DIGEST#{jurisdiction}#{level}" if level else f"DIGEST#{jurisdiction}"), as_of.isoformat()

    def claim_digest(self, jurisdiction: str, level: str, as_of: date, lease_seconds: int) -> bool:
        """Take the lease on one digest; False when it was sent already or another run holds a live lease."""
        pk, sk = self.digest_key(jurisdiction, level, as_of)
        now = int(time.time())
        try:
            self.table.put(
                {"pk": pk, "sk": sk, "status": "sending", "lease_until": now + lease_seconds},
                condition="attribute_not_exists(pk) OR (#s = :sending AND lease_until < :now)",
                values={":sending": "sending", ":now": now},
                names={"#s": "status"},
            )
        except ConditionFailedError:
            return False
        return True

    def claim_bulletin_announcement(self, scope: str, period: str) -> bool:
        """Announce one bulletin once: False when its announcement was claimed before."""
        try:
            self.table.put(
                {"pk": f"BULLETIN#{scope}", "sk": period, "announced_at": int(time.time())},
                condition="attribute_not_exists(pk)",
            )
        except ConditionFailedError:
            return False
        return True

    def digest_sent(self, jurisdiction: str, level: str, as_of: date, detail: dict[str, Any]) -> str:
        """Keep what a claimed digest said and to whom it went; returns its reference (for the audit trail)."""
        pk, sk = self.digest_key(jurisdiction, level, as_of)
        self.table.put({"pk": pk, "sk": sk, "status": "sent", **detail})
        return f"{pk}/{sk}"

    def digests(self, jurisdiction: str, levels: Iterable[str], since: date, until: date) -> list[Item]:
        """The digests kept for a jurisdiction between two days (inclusive), newest first, across levels; each says
        its ``level`` and day (``as_of``)."""
        found: list[Item] = []
        for level in levels:
            pk, _ = self.digest_key(jurisdiction, level, since)
            items = self.table.query(
                "pk = :p AND sk BETWEEN :a AND :b", {":p": pk, ":a": since.isoformat(), ":b": until.isoformat()}
            )
            found.extend({**_strip_keys(i), "level": level, "as_of": str(i["sk"])} for i in items)
        return sorted(found, key=lambda i: (i["as_of"], i["level"]), reverse=True)

    def acquire_lease(self, name: str, owner: str, seconds: int) -> bool:
        """Hold ``name`` for ``seconds`` unless someone else holds it (an expired lease is free; re-acquiring one's
        own lease extends it)."""
        now = int(time.time())
        try:
            self.table.update(
                f"LEASE#{name}",
                "L",
                "SET #o = :o, expires = :e",
                {":o": owner, ":e": now + seconds, ":now": now},
                names={"#o": "owner"},
                condition="attribute_not_exists(#o) OR expires < :now OR #o = :o",
            )
        except ConditionFailedError:
            return False
        return True

    def release_lease(self, name: str, owner: str) -> None:
        """Give a lease back (a lease that expired and passed to someone else is left alone)."""
        with contextlib.suppress(ConditionFailedError):
            self.table.update(
                f"LEASE#{name}", "L", "REMOVE #o, expires", {":o": owner}, names={"#o": "owner"}, condition="#o = :o"
            )

    CALENDAR = "CALENDAR"

    def put_calendar_override(self, year: int, override: dict[str, Any]) -> None:
        self.table.put({"pk": self.CALENDAR, "sk": str(year), "override": override})

    def calendar_overrides(self) -> list[dict[str, Any]]:
        """Every calendar override an operator loaded, by year."""
        return [dict(i["override"]) for i in self.table.query("pk = :p", {":p": self.CALENDAR})]

    def heartbeat(self, job: str, as_of: date, detail: dict[str, Any]) -> None:
        self.table.put({"pk": "JOB", "sk": job, "last_success": iso_utc(utc_now()), "as_of": str(as_of), **detail})

    def heartbeats(self) -> dict[str, Item]:
        return {i["sk"]: i for i in self.items("JOB")}


class UploadLog:
    """What the intake keeps of each upload in the control table: its state (``UPLOAD#{id}`` / ``STATE``), one item per
    chunk done (``CHUNK#{n}``), and per department and day the rows read and rejected (``UPLOADS#{department}`` /
    ``{collected_on}#{id}``), which bulletins and scorecards count."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def state(self, upload_id: str) -> Item | None:
        return self.table.get(f"UPLOAD#{upload_id}", "STATE")

    def set_state(self, upload_id: str, status: str, **detail: Any) -> None:
        self.table.put({"pk": f"UPLOAD#{upload_id}", "sk": "STATE", "status": status, **detail})

    def chunk_done(self, upload_id: str, chunk: int, detail: dict[str, Any]) -> None:
        self.table.put({"pk": f"UPLOAD#{upload_id}", "sk": f"CHUNK#{chunk:05d}", **detail})

    def chunks(self, upload_id: str) -> list[Item]:
        """The chunks done so far, in order."""
        items = self.table.query("pk = :p AND begins_with(sk, :c)", {":p": f"UPLOAD#{upload_id}", ":c": "CHUNK#"})
        return list(items)

    def count(self, department: str, collected_on: date, upload_id: str, read: int, rejected: int) -> None:
        """Keep an upload's rows read and rejected for its department and day (the same upload overwrites itself)."""
        self.table.put(
            {
                "pk": f"UPLOADS#{department}",
                "sk": f"{collected_on.isoformat()}#{upload_id}",
                "department": department,
                "collected_on": collected_on.isoformat(),
                "read": read,
                "rejected": rejected,
            }
        )

    def counted(self, department: str, start: date, end: date) -> list[Item]:
        """The counts of a department's uploads collected from ``start`` to ``end`` (inclusive)."""
        items = self.table.query(
            "pk = :p AND sk BETWEEN :a AND :b",
            {":p": f"UPLOADS#{department}", ":a": start.isoformat(), ":b": end.isoformat() + "~"},
        )
        return [_strip_keys(i) for i in items]


class SharingStore:
    """Subscriptions (同级推送) and the log of what each publication was pushed to, in the control table."""

    SUBSCRIPTIONS = "SUBSCRIPTION"

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_subscription(self, subscription: Subscription) -> None:
        self.table.put(
            {"pk": self.SUBSCRIPTIONS, "sk": subscription.subscription_id, **subscription.model_dump(mode="json")}
        )

    def subscription(self, subscription_id: str) -> Subscription | None:
        item = self.table.get(self.SUBSCRIPTIONS, subscription_id)
        return Subscription.model_validate(_strip_keys(item)) if item else None

    def subscriptions(self) -> list[Subscription]:
        items = self.table.query("pk = :p", {":p": self.SUBSCRIPTIONS})
        return [Subscription.model_validate(_strip_keys(i)) for i in items]

    def delete_subscription(self, subscription_id: str) -> None:
        self.table.batch_write(deletes=[(self.SUBSCRIPTIONS, subscription_id)])

    @staticmethod
    def _push_key(day: date) -> str:
        return f"PUSH#{day.isoformat()}"

    def record_pushes(self, day: date, pushes: list[Item]) -> None:
        """Log pushes (``record_id``, ``version``, ``subscriptions`` …); the same record version overwrites its
        own entry, so a retried publication is never counted twice."""
        self.table.batch_write(
            {"pk": self._push_key(day), "sk": f"{p['record_id']}#{int(p['version']):06d}", **p} for p in pushes
        )

    def pushes(self, since: date, until: date) -> Iterator[Item]:
        day = since
        while day <= until:
            yield from self.table.query("pk = :p", {":p": self._push_key(day)})
            day += timedelta(days=1)


def _strip_keys(item: Item) -> Item:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")}


class BreachConflictError(Exception):
    """A breach changed since it was read: re-read it and re-apply the change."""


class BreachStore:
    """Durable breach records: opened by a scan (or at upload/publication), kept after they close.

    Speaks :class:`shared.breaches.Breach`; only this class knows the item's keys and indexes. Like
    :class:`RecordStore`, walks over many breaches skip an item that cannot be read back as a breach (a missing or
    mistyped field) and keep its key in :attr:`quarantined`.

    Every write is conditional on the item's ``version`` (incremented by each write), so two writers that read the
    same state cannot overwrite each other's change (an acknowledgement racing the scan, issue 7 item 5). A breach
    read before versions existed, or one never stored, counts as version 0.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.quarantined: list[str] = []

    def _readable(self, items: Iterable[Item]) -> Iterator[Breach]:
        for item in items:
            try:
                yield self.from_item(item)
            except ValidationError:
                key = f"{item.get('pk')}/{item.get('sk')}"
                logger.error("unreadable breach item skipped", extra={"key": key})
                self.quarantined.append(key)

    def take_quarantined(self) -> list[str]:
        """Keys of the items skipped since the last call (each once)."""
        keys, self.quarantined = sorted(set(self.quarantined)), []
        return keys

    @staticmethod
    def from_item(item: Item) -> Breach:
        return Breach.model_validate(item)

    @staticmethod
    def to_item(breach: Breach) -> Item:
        item: Item = breach.as_json()
        bid = breach.breach_id
        item["pk"], item["sk"] = f"BR#{bid}", "CUR"
        due = item["due"]
        # gsi1 holds what still needs attention: open breaches and recorded facts not yet announced.
        if breach.is_open or not breach.announced:
            item["gsi1pk"], item["gsi1sk"] = f"OPEN#{shard_of(bid)}", f"{due}#{bid}"
        # gsi5: open breaches by city-level unit, for what one jurisdiction reads.
        if breach.is_open:
            item["gsi5pk"], item["gsi5sk"] = f"OPENIN#{breach.city}", f"{due}#{bid}"
        stamp = f"{item['opened_on']}#{bid}"
        item["gsi2pk"], item["gsi2sk"] = breach.department, stamp
        item["gsi3pk"], item["gsi3sk"] = breach.city, stamp
        item["gsi4pk"], item["gsi4sk"] = f"KIND#{item['kind']}", stamp
        return item

    def get(self, breach_id: str) -> Breach | None:
        item = self.table.get(f"BR#{breach_id}", "CUR")
        if not item:
            return None
        try:
            return self.from_item(item)
        except ValidationError as exc:
            raise UnreadableItemError(f"BR#{breach_id}/CUR") from exc

    def get_many(self, breach_ids: Iterable[str]) -> dict[str, Breach]:
        found = self.table.batch_get((f"BR#{b}", "CUR") for b in breach_ids)
        return {b.breach_id: b for b in self._readable(found.values())}

    def put(self, breach: Breach) -> Breach:
        """Write a breach read at ``breach.version`` (0: new) as the next version; returns what was stored.

        Raises :class:`BreachConflictError` when another writer stored a version in between.
        """
        expected = breach.version
        stored = breach.model_copy(update={"version": expected + 1})
        item = self.to_item(stored)
        try:
            if expected == 0:
                self.table.put(item, condition="attribute_not_exists(version)")
            else:
                self.table.put(item, condition="version = :v", values={":v": expected})
        except ConditionFailedError as exc:
            raise BreachConflictError(breach.breach_id) from exc
        return stored

    def put_new_many(self, breaches: Iterable[Breach]) -> list[Breach]:
        """Store breaches nobody else can hold yet (those of records this write creates) as version 1, batched."""
        stored = [b.model_copy(update={"version": 1}) for b in breaches]
        self.table.batch_write([self.to_item(b) for b in stored])
        return stored

    def put_many(self, breaches: Iterable[Breach]) -> tuple[list[Breach], set[str]]:
        """Conditional writes of many breaches (a few in flight); returns (stored breaches, ids that conflicted)."""
        todo = list(breaches)

        def put(breach: Breach) -> Breach | str:
            try:
                return self.put(breach)
            except BreachConflictError:
                return breach.breach_id

        if len(todo) <= 1:
            results = [put(b) for b in todo]
        else:
            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(put, todo))
        return [r for r in results if not isinstance(r, str)], {r for r in results if isinstance(r, str)}

    def active(self) -> Iterator[Breach]:
        """Open breaches and unannounced ones (sparse index: reads grow with those only, never the whole table)."""
        for shard in range(SHARDS):
            yield from self._readable(self.table.query("gsi1pk = :p", {":p": f"OPEN#{shard}"}, index="gsi1"))

    def open_in(self, city: str) -> Iterator[Breach]:
        """Open breaches of one city-level unit (``city_of`` its region), through its own index partition."""
        yield from self._readable(self.table.query("gsi5pk = :p", {":p": f"OPENIN#{city}"}, index="gsi5"))

    def listing(
        self,
        *,
        department: str | None = None,
        city: str | None = None,
        kinds: Iterable[str] = (),
        start: date | None = None,
        end: date | None = None,
    ) -> Iterator[Breach]:
        """Breaches opened in [start, end] through the most selective index available."""
        lo = start.isoformat() if start else "0000"
        hi = (end.isoformat() if end else "9999") + "~"
        if department:
            partitions = [("gsi2", department)]
        elif city:
            partitions = [("gsi3", city)]
        else:
            partitions = [("gsi4", f"KIND#{k}") for k in kinds]
        for index, value in partitions:
            yield from self._readable(
                self.table.query(
                    f"{index}pk = :p AND {index}sk BETWEEN :a AND :b", {":p": value, ":a": lo, ":b": hi}, index=index
                )
            )


def audit_anchors(records: Table, breaches: Table) -> dict[str, tuple[int, str]]:
    """Stream heads kept on record and breach items (full scans: for the full verification only)."""
    anchors: dict[str, tuple[int, str]] = {}
    for table, prefix in ((records, "REC#"), (breaches, "BR#")):
        for item in table.scan(filter_expression="sk = :c", values={":c": "CUR"}):
            anchor = _anchor(item)
            if anchor and str(item.get("pk", "")).startswith(prefix):
                anchors[str(item["pk"])] = anchor
    return anchors


class Tables:
    """All tables of one deployment, sharing one I/O counter."""

    def __init__(self, settings: Settings, stats: IoStats | None = None, *, in_memory: bool = False) -> None:
        """DynamoDB tables and the seal bucket of a deployment; ``in_memory`` gives the fakes of
        :mod:`shared.adapters.memory` instead (the same repositories over dicts, for tests and benchmarks)."""
        self.stats = stats or IoStats()
        table: Any = Table
        if in_memory:  # (imported only then: the deployed functions never load the fakes)
            from shared.adapters.memory import MemorySeals, MemoryTable

            table = MemoryTable
        self.records = RecordStore(table(settings.records_table, self.stats))
        self.registry = RegistryStore(table(settings.registry_table, self.stats))
        self.breaches = BreachStore(table(settings.breaches_table, self.stats))
        self.audit = AuditLog(table(settings.audit_table, self.stats))
        self.control = ControlStore(table(settings.control_table, self.stats))
        self.sharing = SharingStore(self.control.table)
        self.uploads = UploadLog(self.control.table)
        self.seals: Any = MemorySeals() if in_memory else AuditSeals(settings.audit_seals_bucket)

    def trail(self, stream: str) -> list[Item]:
        """A record's or breach's audit stream, wherever its entries were written (its item knows its block)."""
        block = self._owners({stream}).get(stream, {}).get("audit_block")
        return self.audit.stream(stream, str(block) if block else None)

    def verify_audit(self) -> tuple[int, list[str]]:
        """The full audit verification: every chain, every record's and breach's anchored head, every seal."""
        count, problems, _ = self._verify_all()
        return count, problems

    def _verify_all(self) -> tuple[int, list[str], list[dict[str, Any]]]:
        streams = self.audit.all_streams()
        seals = self.seals.all()
        count, problems = self.audit.verify(audit_anchors(self.records.table, self.breaches.table), streams)
        return count, problems + seal_problems(seals, streams), seals

    FULL_VERIFICATION = ("AUDITVERIFY", "FULL")

    def verify_audit_full_and_keep(self, started: datetime | None = None) -> dict[str, Any]:
        """Run the full verification and keep its result: the incremental one starts from the day it ran."""
        started = started or utc_now()
        count, problems, seals = self._verify_all()
        result = {
            "started_at": iso_utc(started),
            "finished_at": iso_utc(utc_now()),
            "through_day": local_date(started).isoformat(),
            "entries": count,
            "ok": not problems,
            "problem_count": len(problems),
            "problems": problems[:100],
            "last_seal": seals[-1]["day"] if seals else None,
            "last_seal_digest": seal_digest(seals[-1]) if seals else None,
        }
        self.control.put({"pk": self.FULL_VERIFICATION[0], "sk": self.FULL_VERIFICATION[1], **result})
        return result

    def last_full_verification(self) -> Item | None:
        item = self.control.get(*self.FULL_VERIFICATION)
        return _strip_keys(item) if item else None

    def verify_audit_recent(self, today: date | None = None) -> dict[str, Any]:
        """What changed since the last full verification: every entry written since the day it ran (its stream's
        stretch chained to the entry before, and the head anchored on its record or breach), and every seal written
        since (their chain, and each head they hold). Reads follow the writes since then, not the trail's size;
        the full verification (a nightly job) covers what was not written since."""
        today = today or local_date(utc_now())
        full = self.last_full_verification()
        if full is None:  # nothing verified yet (a young deployment): the first run is the full one
            return {"mode": "full", **self.verify_audit_full_and_keep(), "last_full_verification": None}
        seals = self.seals.since(str(full.get("last_seal") or ""))
        recent = [s for s in seals if s["day"] != full.get("last_seal")]
        first = date.fromisoformat(str(full["through_day"]))
        stretches = self.audit.written_on(_days(first, today))
        sealed = {stream: {int(seq)} for seal in recent for stream, (seq, _) in seal["heads"].items()}
        owners = self._owners(set(stretches) | set(sealed))
        anchors = {stream: anchor for stream, o in owners.items() if (anchor := _anchor(o))}
        blocks = {stream: str(o["audit_block"]) for stream, o in owners.items() if o.get("audit_block")}
        problems = self.audit.verify_stretches(stretches, anchors, blocks)
        heads = self.audit.entries_at(sealed, blocks)
        by_stream: dict[str, list[Item]] = {}
        for (stream, _), entry in heads.items():
            by_stream.setdefault(stream, []).append(entry)
        problems += seal_problems(recent, by_stream, previous=full.get("last_seal_digest"))
        return {
            "mode": "incremental",
            "since": first.isoformat(),
            "streams": len(stretches),
            "entries": sum(len(items) for items in stretches.values()),
            "seals": len(recent),
            "ok": not problems,
            "problems": problems,
            "last_full_verification": full,
        }

    def _owners(self, streams: set[str]) -> dict[str, Item]:
        """The record and breach items that anchor these streams (batched)."""
        found: dict[str, Item] = {}
        for table, prefix in ((self.records.table, "REC#"), (self.breaches.table, "BR#")):
            keys = [(s, "CUR") for s in sorted(streams) if s.startswith(prefix)]
            found.update((pk, item) for (pk, _), item in table.batch_get(keys).items())
        return found

    def seal_audit(self, day: date) -> dict[str, Any]:
        """Seal the trail's heads for ``day`` (once: a seal cannot be rewritten, so a rerun changes nothing).

        Reads what was written since the last seal (the day index), not the trail; the first seal reads it all.
        """
        days = self.seals.days()
        if day.isoformat() in days:
            return {"day": day.isoformat(), "sealed": False}
        if days:
            seals = self.seals.since(days[-1])  # the last seal: what the new one follows and compares with
            since = local_date(parse_iso_utc(str(seals[-1]["sealed_at"])))
            current = self.audit.heads_written_on(_days(since, local_date(utc_now())))
        else:
            seals, current = [], {}
            for stream, items in self.audit.all_streams().items():
                head = max(items, key=lambda i: int(i["seq"]))
                current[stream] = (int(head["seq"]), str(head["hash"]))
        seal = next_seal(day.isoformat(), current, seals, iso_utc(utc_now()))
        self.seals.put(day.isoformat(), seal)
        return {"day": day.isoformat(), "sealed": True, "heads": len(seal["heads"]), "streams": len(current)}
