"""Public name search: folding, query plans, matching, ranking and region roll-up (in memory, no AWS)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.demodata import valid_uscc
from shared import search
from shared.search import InMemoryNameIndex, Posting, SearchError, fold, plan, posting_of, search_names

FUZHOU_TECH = posting_of(valid_uscc("91350102MA2Y00001"), "福州某某科技有限公司", "350102", "enterprise")
CHANGLE_TECH = posting_of(valid_uscc("91350112MA2Y00002"), "福州长乐科技发展有限公司", "350112", "enterprise")
PINGTAN_TECH = posting_of(valid_uscc("91350128MA2Y00003"), "平潭海峡科技有限公司", "350128", "enterprise")
XIAMEN_TRADE = posting_of(valid_uscc("91350205MA2Y00004"), "厦门海沧鑫源贸易有限公司", "350205", "enterprise")
WIDE_NAME = posting_of(valid_uscc("91350102MA2Y00005"), "ＡＢＣ科技（福州）有限公司", "350102", "enterprise")
TECH_FIRST = posting_of(valid_uscc("91350103MA2Y00006"), "科技之家有限公司", "350103", "enterprise")
SHOP = posting_of(valid_uscc("92350102MA2Y00007"), "福州台江兴业五金店", "350103", "individual_business")
ALL = (FUZHOU_TECH, CHANGLE_TECH, PINGTAN_TECH, XIAMEN_TRADE, WIDE_NAME, TECH_FIRST, SHOP)


@pytest.fixture
def index() -> InMemoryNameIndex:
    idx = InMemoryNameIndex()
    idx.index([(None, p) for p in ALL])
    return idx


def names(index: InMemoryNameIndex, query: str, region: str | None = None) -> list[str]:
    return [p.name for p in search_names(index, plan(query).words, region).hits]


def test_folding_joins_widths_scripts_and_case() -> None:
    assert fold("ＡＢＣ科技（福州）有限公司") == "abc科技福州有限公司"
    assert fold("臺江 興業") == "台江兴业"
    assert fold(" Fu-Zhou ") == "fuzhou"


def test_several_words_must_all_occur_anywhere_in_the_name(index: InMemoryNameIndex) -> None:
    # Names starting with the first word first (shorter first), then the one where 福州 comes later.
    assert names(index, "福州 科技") == [
        "福州某某科技有限公司",
        "福州长乐科技发展有限公司",
        "ＡＢＣ科技（福州）有限公司",
    ]
    assert names(index, "科技，长乐") == ["福州长乐科技发展有限公司"]
    assert names(index, "福州 贸易") == []


def test_traditional_and_full_width_queries_find_simplified_and_half_width_names(index: InMemoryNameIndex) -> None:
    assert names(index, "臺江興業") == ["福州台江兴业五金店"]
    assert names(index, "abc 科技") == ["ＡＢＣ科技（福州）有限公司"]
    assert names(index, "ＡＢＣ") == ["ＡＢＣ科技（福州）有限公司"]


def test_a_city_includes_its_counties_but_not_pingtan_or_other_cities(index: InMemoryNameIndex) -> None:
    # 平潭 (350128) is its own supervision unit, though its code sits under 福州's.
    assert set(names(index, "科技", "350100")) == {
        "福州某某科技有限公司",
        "福州长乐科技发展有限公司",
        "ＡＢＣ科技（福州）有限公司",
        "科技之家有限公司",
    }
    assert names(index, "科技", "350128") == ["平潭海峡科技有限公司"]
    assert names(index, "科技", "350112") == ["福州长乐科技发展有限公司"]
    assert len(names(index, "有限", "350000")) == 6


def test_ranking_puts_names_that_start_with_the_query_first_then_earlier_shorter_matches(
    index: InMemoryNameIndex,
) -> None:
    ranked = names(index, "科技")
    assert ranked[0] == "科技之家有限公司"  # starts with the word
    # then by the word's position: abc科技 (3); 福州某某科技 and 平潭海峡科技 (4, both 10 characters: by code);
    # 福州长乐科技发展 (4, 12 characters)
    assert ranked[1:] == [
        "ＡＢＣ科技（福州）有限公司",
        "福州某某科技有限公司",
        "平潭海峡科技有限公司",
        "福州长乐科技发展有限公司",
    ]


def test_exact_identifiers_are_normalised_like_the_intake() -> None:
    code = FUZHOU_TECH.uscc
    assert plan(code.lower()).code == code
    assert plan(" " + "".join(chr(ord(c) + 0xFEE0) for c in code) + " ").code == code  # full width
    assert plan("330203000030639").reg_no == "330203000030639"
    assert plan("福州科技").code is None


@pytest.mark.parametrize("query", ["", "  ", "福", "福 科", "a"])
def test_queries_without_a_two_character_fragment_are_refused_in_chinese(query: str) -> None:
    with pytest.raises(SearchError, match="[\u4e00-\u9fff]"):
        plan(query)


def test_only_the_rarest_bigram_is_read(index: InMemoryNameIndex) -> None:
    index.items_read = 0
    outcome = search_names(index, plan("有限 长乐").words, None)
    # 长乐 has one posting; 有限 has six: the search reads the single 长乐 posting (plus the count items).
    assert outcome.candidates_read == 1
    assert [p.name for p in outcome.hits] == ["福州长乐科技发展有限公司"]


def test_hitting_the_candidate_cap_is_reported(index: InMemoryNameIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "PAGE_READ", 2)
    monkeypatch.setattr(search, "MAX_CANDIDATES", 3)
    outcome = search_names(index, plan("有限").words, None)
    assert outcome.truncated and len(outcome.hits) == 3


def test_postings_are_paged_until_enough_matches_are_found(
    index: InMemoryNameIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The postings read are 有限's (a one-character word has no bigram and is only checked): its first pages (福州,
    # in region order) hold no 厦 name, so reading goes on page by page, within a budget.
    monkeypatch.setattr(search, "PAGE_READ", 2)
    outcome = search_names(index, plan("有限 厦").words, None)
    assert [p.name for p in outcome.hits] == ["厦门海沧鑫源贸易有限公司"] and not outcome.truncated
    assert outcome.candidates_read == 6
    monkeypatch.setattr(search, "MAX_READ", 2)
    stopped = search_names(index, plan("有限 厦").words, None)
    assert stopped.truncated and stopped.hits == [] and stopped.candidates_read == 2


def test_renaming_a_subject_moves_it_in_the_index(index: InMemoryNameIndex) -> None:
    renamed = Posting(
        **{**FUZHOU_TECH.__dict__, "name": "福州某某环保有限公司", "folded": fold("福州某某环保有限公司")}
    )
    index.index([(FUZHOU_TECH, renamed)])
    assert names(index, "某某 科技") == []
    assert names(index, "某某 环保") == ["福州某某环保有限公司"]


@given(st.text(alphabet="福州厦门科技贸易有限公司臺灣興業ＡＢＣabc （）", min_size=2, max_size=20))
def test_every_name_is_found_by_any_two_character_fragment_of_it(name: str) -> None:
    folded = fold(name)
    if len(folded) < 2:
        return
    idx = InMemoryNameIndex()
    subject = posting_of(FUZHOU_TECH.uscc, name, "350102", "enterprise")
    idx.index([(None, subject)])
    for i in range(len(folded) - 1):
        assert [p.uscc for p in search_names(idx, [folded[i : i + 2]], None).hits] == [subject.uscc]
