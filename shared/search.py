"""Public enterprise query (plan §五(四): fuzzy, multi-condition and cross-region): folding, planning, ranking.

Names are matched after *folding*: NFKC (full-width → half-width), traditional → simplified Chinese (OpenCC
``t2s``), lower case, and only letters and digits kept (spaces, brackets and punctuation dropped). A query is split
into words on whitespace and Chinese/ASCII separators; every word must occur in the folded name.

The index holds one posting per distinct character bigram of a folded name (``NameIndex``). A query reads the
postings of its *rarest* bigram only (per-bigram counts are a planning hint, not a result: every candidate is
verified against every word), so the items read follow the rarest fragment, not the register's size. Postings
are read page by page until :data:`MAX_CANDIDATES` matches are found or :data:`MAX_READ` postings were read; a
query that stops early says so, as the national publicity system does ("请输入更精确的查询条件"). Region roll-up is a key prefix on the postings (a city reads its counties' postings), then checked
with :func:`shared.regions.in_jurisdiction`. Nothing here knows DynamoDB: adapters implement :class:`NameIndex`.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from shared.identifiers import is_valid_reg_no, is_valid_uscc, normalize_code
from shared.regions import PROVINCE_CODE, city_of, in_jurisdiction

MAX_CANDIDATES = 1000  # matches ranked per query
MAX_READ = 5000  # postings read per query at most
PAGE_READ = 1000  # postings per read
MAX_PAGE = 50
DEFAULT_PAGE = 20
_SEPARATORS = re.compile(r"[\s,，、;；|/]+")


class SearchError(ValueError):
    """A query that cannot be run; the message is for the public (Chinese)."""


@cache
def _t2s() -> Any:
    # Built on first use (dictionary load ~50 ms): only the public query needs it, never a cold start.
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """The form names are indexed and matched in (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text)
    if not folded.isascii():
        folded = _t2s().convert(folded)
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def bigrams(folded: str) -> set[str]:
    """Distinct adjacent character pairs of a folded text."""
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


def words(query: str) -> list[str]:
    """The folded words of a query, in order, without repeats."""
    out: list[str] = []
    for part in _SEPARATORS.split(query):
        word = fold(part)
        if word and word not in out:
            out.append(word)
    return out


@dataclass(frozen=True)
class Posting:
    """One subject under one bigram: what ranking and the result list need, without reading the subject."""

    uscc: str
    name: str
    folded: str
    region_code: str
    type: str


class NameIndex(Protocol):
    """The name index: bigram postings of folded subject names, keyed for region roll-up."""

    def bigram_counts(self, grams: Iterable[str]) -> dict[str, int]:
        """Approximate number of postings per bigram (missing: none known)."""
        ...

    def postings(self, gram: str, region_prefix: str, limit: int, after: str | None = None) -> list[Posting]:
        """Up to ``limit`` postings of ``gram`` in key order whose region code starts with ``region_prefix``,
        after the posting whose :func:`posting_key` is ``after``."""
        ...

    def index(self, changes: Sequence[tuple[Posting | None, Posting | None]]) -> None:
        """Apply subject changes (old, new): postings of the old name go, those of the new one come."""
        ...


def region_prefix(region: str | None) -> str:
    """The posting key prefix that covers a region and everything under it (checked again per posting)."""
    if not region or region == PROVINCE_CODE:
        return ""
    if city_of(region) == region:
        return region[:4]
    return region


@dataclass(frozen=True)
class Plan:
    """How one query runs: an exact identifier, or the words and the bigram whose postings are read."""

    words: tuple[str, ...]
    code: str | None = None
    reg_no: str | None = None


def plan(query: str) -> Plan:
    """Parse a query: a 统一社会信用代码 or 注册号 (normalised like the intake) is an exact search; else words."""
    text = query.strip()
    if not text:
        raise SearchError("请输入查询条件 q（统一社会信用代码、注册号或企业名称中的至少两个字）")
    if len(text) > 100:
        raise SearchError("查询条件过长（最多100个字符）")
    code = normalize_code(text)
    if code is not None and len(code) == 18 and is_valid_uscc(code):
        return Plan(words=(), code=code)
    if code is not None and len(code) == 15 and code.isdigit() and is_valid_reg_no(code):
        return Plan(words=(), reg_no=code)
    found = words(text)
    if not any(len(w) >= 2 for w in found):
        raise SearchError("名称查询至少需要两个连续的字（例如“福州 科技”）")
    if len(found) > 8:
        raise SearchError("查询词过多（最多8个）")
    return Plan(words=tuple(found))


def rarest_bigram(query_words: Sequence[str], counts: dict[str, int]) -> str:
    """The bigram with the fewest postings (ties: the first in the query), from words of two or more characters."""
    candidates = [g for w in query_words if len(w) >= 2 for g in sorted(bigrams(w), key=w.index)]
    return min(candidates, key=lambda g: (counts.get(g, 0), candidates.index(g)))


def matches(p: Posting, query_words: Sequence[str], region: str | None) -> bool:
    """Every word occurs in the folded name, and the subject is in the region (when one is given)."""
    if region and region != PROVINCE_CODE and not in_jurisdiction(region, p.region_code):
        return False
    return all(w in p.folded for w in query_words)


def rank_key(p: Posting, query_words: Sequence[str]) -> tuple[int, int, int, str]:
    """Exact name first, then names starting with the first word, then earlier and shorter matches."""
    joined = "".join(query_words)
    first = query_words[0]
    if p.folded == joined:
        tier = 0
    elif p.folded.startswith(first):
        tier = 1
    else:
        tier = 2
    return (tier, p.folded.find(first), len(p.folded), p.uscc)


def posting_key(p: Posting) -> str:
    """A posting's place in its bigram's list: region first (roll-up by prefix), then the code."""
    return f"{p.region_code}#{p.uscc}"


@dataclass
class SearchOutcome:
    """Ranked matches (up to the caps) and whether postings were left unread."""

    hits: list[Posting]
    truncated: bool
    candidates_read: int


def search_names(index: NameIndex, query_words: Sequence[str], region: str | None) -> SearchOutcome:
    """Run a word search against the index (see the module docstring)."""
    grams = {g for w in query_words if len(w) >= 2 for g in bigrams(w)}
    gram = rarest_bigram(query_words, index.bigram_counts(grams))
    prefix = region_prefix(region)
    hits: list[Posting] = []
    read = 0
    after: str | None = None
    truncated = False
    while True:
        chunk = index.postings(gram, prefix, PAGE_READ, after)
        read += len(chunk)
        hits += [p for p in chunk if matches(p, query_words, region)]
        if len(chunk) < PAGE_READ:
            break
        if len(hits) >= MAX_CANDIDATES or read >= MAX_READ:
            truncated = True
            break
        after = posting_key(chunk[-1])
    hits = sorted(hits, key=lambda p: rank_key(p, query_words))[:MAX_CANDIDATES]
    return SearchOutcome(hits=hits, truncated=truncated, candidates_read=read)


def posting_of(uscc: str, name: str, region_code: str, type_: str) -> Posting:
    """The posting a subject contributes under each bigram of its folded name."""
    return Posting(uscc=uscc, name=name, folded=fold(name), region_code=region_code, type=type_)


class InMemoryNameIndex:
    """:class:`NameIndex` in memory: service tests and the 100,000-subject benchmark (no emulator in the way)."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[tuple[str, str], Posting]] = {}
        self._sorted: dict[str, list[tuple[tuple[str, str], Posting]]] = {}  # key order, as DynamoDB returns them
        self.items_read = 0

    def bigram_counts(self, grams: Iterable[str]) -> dict[str, int]:
        found = {g: len(self._postings[g]) for g in grams if g in self._postings}
        self.items_read += len(found)
        return found

    def postings(self, gram: str, region_prefix: str, limit: int, after: str | None = None) -> list[Posting]:
        ordered = self._sorted.get(gram)
        if ordered is None:
            ordered = self._sorted[gram] = sorted(self._postings.get(gram, {}).items())
        start = bisect.bisect_right(ordered, tuple(after.split("#", 1)), key=lambda e: e[0]) if after else 0
        out: list[Posting] = []
        for (region, _), p in ordered[start:]:
            if len(out) >= limit:
                break
            if region.startswith(region_prefix):
                out.append(p)
        self.items_read += len(out)
        return out

    def index(self, changes: Sequence[tuple[Posting | None, Posting | None]]) -> None:
        self._sorted.clear()
        for old, new in changes:
            if old is not None:
                for g in bigrams(old.folded):
                    self._postings.get(g, {}).pop((old.region_code, old.uscc), None)
            if new is not None:
                for g in bigrams(new.folded):
                    self._postings.setdefault(g, {})[(new.region_code, new.uscc)] = new
