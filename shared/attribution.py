"""Attribution (记名): match a collected record to the market-subject register (BRIEF §2.1, §2.3).

Order: the 统一社会信用代码, then the legacy 注册号, then the exact name. The store looks the candidates up in
batches and hands them over as a :class:`SubjectLookup`; this module only decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from shared.ledger import Attribution
from shared.registry import Subject, normalize_name


@dataclass
class SubjectLookup:
    """Register entries relevant to one batch of rows."""

    by_uscc: dict[str, Subject] = field(default_factory=dict)
    by_reg_no: dict[str, Subject] = field(default_factory=dict)
    by_name: dict[str, list[Subject]] = field(default_factory=dict)  # keyed by normalize_name


Lookup = Callable[[Iterable[str], Iterable[str], Iterable[str]], SubjectLookup]


class RegisterCache:
    """Remembers what one chunk already looked up in the register (found or not), so a subject that appears in
    many batches of a file is fetched once. Lives for one chunk: a register load meanwhile is seen by the next."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self.known = SubjectLookup()
        self._asked: tuple[set[str], set[str], set[str]] = (set(), set(), set())

    def lookup(self, usccs: Iterable[str], reg_nos: Iterable[str], names: Iterable[str]) -> SubjectLookup:
        asked_u, asked_r, asked_n = self._asked
        new_u = set(usccs) - asked_u
        new_r = set(reg_nos) - asked_r
        new_n = {normalize_name(n): n for n in names if normalize_name(n) not in asked_n}
        if new_u or new_r or new_n:
            found = self._lookup(new_u, new_r, new_n.values())
            self.known.by_uscc.update(found.by_uscc)
            self.known.by_reg_no.update(found.by_reg_no)
            self.known.by_name.update(found.by_name)
            asked_u |= new_u
            asked_r |= new_r
            asked_n |= new_n.keys()
        return self.known


@dataclass(frozen=True)
class AttributionResult:
    outcome: Attribution
    subject: Subject | None


def attribute(
    uscc: str | None, reg_no: str | None, name: str, lookup: SubjectLookup, *, natural_person: bool = False
) -> AttributionResult:
    """Decide the attribution of one record (a natural person without any code is not a market subject)."""
    if natural_person and not uscc and not reg_no:
        return AttributionResult(Attribution.NATURAL_PERSON, None)
    wanted = normalize_name(name)
    for code, table in ((uscc, lookup.by_uscc), (reg_no, lookup.by_reg_no)):
        if not code:
            continue
        subject = table.get(code)
        if subject is None:
            if code is uscc:
                return AttributionResult(Attribution.CODE_UNKNOWN, None)
            continue
        if normalize_name(subject.name) == wanted:
            return AttributionResult(Attribution.MATCHED, subject)
        return AttributionResult(Attribution.NAME_DIFFERS, subject)
    if reg_no and not uscc:
        return AttributionResult(Attribution.CODE_UNKNOWN, None)
    candidates = lookup.by_name.get(wanted, [])
    if len(candidates) == 1:
        return AttributionResult(Attribution.NAME_ONLY, candidates[0])
    return AttributionResult(Attribution.NO_SUBJECT, None)
