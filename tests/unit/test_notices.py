"""Daily digests: content, counts, caps, attributes and quiet days."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.deadlines import BreachKind, Level
from shared.notices import Digest, DigestItem, breach_list_url, compose_digest, severity

AS_OF = date(2026, 12, 1)
URL = "/breaches?region=350100&status=open"
ENV = "11350100MB0000001X"  # 福州市生态环境局 (made-up code)
TAX = "11350100MB0000002X"  # 国家税务总局福州市税务局 (made-up code)


def item(
    n: int,
    kind: BreachKind = BreachKind.COLLECTION_OVERDUE,
    late: int = 3,
    department: str = ENV,
    name: str = "福州市生态环境局",
    category: str = "penalty",
) -> DigestItem:
    return DigestItem(
        breach_id=f"{kind.value}:r{n}",
        kind=kind,
        record_id=f"r{n}",
        department=department,
        department_name=name,
        category=category,
        doc_no=f"榕环罚〔2026〕{n}号",
        subject_name=f"福州某某{n}有限公司",
        due=date(2026, 11, 20),
        working_days_late=late,
        opened_on=date(2026, 11, 21),
    )


def compose(**kw: Any) -> Digest | None:
    args: dict[str, Any] = {
        "jurisdiction": "350100",
        "jurisdiction_name": "福州市",
        "level": Level.CITY,
        "as_of": AS_OF,
        "new": [],
        "still_open": [],
        "at_risk": [],
        "list_url": URL,
    }
    args.update(kw)
    return compose_digest(**args)


def digest_of(**kw: Any) -> Digest:
    digest = compose(**kw)
    assert digest is not None
    return digest


def test_quiet_day_sends_nothing() -> None:
    assert compose() is None


def test_full_digest() -> None:
    # Given 2 new (one overdue, one late), 3 still open from two departments, 1 at risk
    new = [item(1, late=3), item(2, BreachKind.COLLECTION_LATE, late=1)]
    still_open = [
        item(3, late=12),
        item(4, BreachKind.PUBLICATION_OVERDUE, late=7, department=TAX, name="国家税务总局福州市税务局"),
        item(5, late=2),
    ]
    at_risk = [item(6, BreachKind.AT_RISK, late=1, category="license")]
    digest = compose_digest(
        jurisdiction="350100",
        jurisdiction_name="福州市",
        level=Level.CITY,
        as_of=AS_OF,
        new=new,
        still_open=still_open,
        at_risk=at_risk,
        list_url="https://guiji.example.cn" + URL,
    )
    assert digest is not None
    # open = 3 still open + the new overdue one (the late one is a closed fact)
    assert digest.subject == "【归集督办】福州市 2026-12-01：新增超期2条，未整改4条，临期1条"
    assert digest.attributes == {
        "region": "350100",
        "level": "city",
        "severity": "high",  # 12 working days late > 10
        "new_count": "2",
        "open_count": "4",
        "at_risk_count": "1",
        "kinds": "collection_late,collection_overdue,publication_overdue,at_risk",
        "departments": f"{ENV},{TAX}",
    }
    assert digest.breach_ids == [
        "collection_overdue:r1",
        "collection_late:r2",
        "collection_overdue:r3",
        "publication_overdue:r4",
        "collection_overdue:r5",
        "at_risk:r6",
    ]
    assert (digest.jurisdiction, digest.level, digest.as_of) == ("350100", Level.CITY, AS_OF)

    body = digest.body
    for text in ("逾期未归集", "归集迟报", "逾期未公示", "临期预警", "collection_overdue", "行政处罚", "行政许可"):
        assert text in body
    assert "新增超期2条；未整改4条；临期预警1条。" in body
    assert "严重程度：高" in body
    assert "最长超期12个工作日" in body
    assert "https://guiji.example.cn/breaches?region=350100&status=open" in body
    # one line per record with who, what, due and age
    assert (
        "1. 【逾期未归集】福州市生态环境局｜行政处罚｜榕环罚〔2026〕1号｜福州某某1有限公司｜期限2026-11-20，超期3个工作日"
        in body
    )
    assert (
        "【临期预警】福州市生态环境局｜行政许可｜榕环罚〔2026〕6号｜福州某某6有限公司｜期限2026-11-20，剩余1个工作日"
        in body
    )
    # still-open breaches grouped by age, oldest group first
    old, mid, young = (
        body.index("超期10个工作日以上（1条）"),
        body.index("超期6至10个工作日（1条）"),
        body.index("超期5个工作日以内（1条）"),
    )
    assert (
        old
        < body.index("榕环罚〔2026〕3号")
        < mid
        < body.index("榕环罚〔2026〕4号")
        < young
        < body.index("榕环罚〔2026〕5号")
    )
    # worst departments: 环境局 has r1, r3, r5 open; 税务局 r4
    assert "1. 福州市生态环境局（11350100MB0000001X）：3条" in body
    assert "2. 国家税务总局福州市税务局（11350100MB0000002X）：1条" in body


def test_only_at_risk_records_still_make_a_digest() -> None:
    digest = digest_of(at_risk=[item(1, BreachKind.AT_RISK, late=0)])
    assert digest.attributes["severity"] == "low"
    assert digest.attributes["open_count"] == "0"
    assert digest.attributes["kinds"] == "at_risk"
    assert digest.subject.endswith("新增超期0条，未整改0条，临期1条")
    assert "剩余0个工作日" in digest.body


def test_long_lists_are_capped_but_all_ids_are_announced() -> None:
    new = [item(n, late=n % 4) for n in range(25)]
    digest = digest_of(new=new)
    body = digest.body
    assert "……另有5条，详见清单" in body
    assert "20. 【逾期未归集】" in body and "21. 【" not in body
    assert len(digest.breach_ids) == 25
    assert digest.attributes["new_count"] == "25"
    # the oldest come first: late=3 items are r3, r7, … and lead the list
    assert body.index("榕环罚〔2026〕3号") < body.index("榕环罚〔2026〕0号")


def test_max_items_is_configurable() -> None:
    digest = digest_of(new=[item(n) for n in range(4)], max_items=3)
    assert "……另有1条，详见清单" in digest.body
    with pytest.raises(ValueError):
        compose(new=[item(1)], max_items=0)


def test_top_five_departments_by_open_breaches() -> None:
    still_open = []
    n = 0
    for dept_no, count in enumerate([1, 6, 2, 5, 3, 4, 1]):
        for _ in range(count):
            n += 1
            still_open.append(item(n, department=f"D{dept_no}", name=f"部门{dept_no}"))
    body = digest_of(still_open=still_open).body
    top = body[body.index("五、") :]
    assert "1. 部门1（D1）：6条" in top
    assert "2. 部门3（D3）：5条" in top
    assert "3. 部门5（D5）：4条" in top
    assert "4. 部门4（D4）：3条" in top
    assert "5. 部门2（D2）：2条" in top
    assert "部门0" not in top and "部门6" not in top


def test_an_id_listed_twice_is_counted_once() -> None:
    digest = digest_of(new=[item(1)], still_open=[item(1), item(2)])
    assert digest.breach_ids == ["collection_overdue:r1", "collection_overdue:r2"]
    assert digest.attributes["open_count"] == "2"
    assert digest.attributes["new_count"] == "1"


def test_subject_fits_100_characters_with_a_long_name() -> None:
    digest = digest_of(jurisdiction_name="某" * 120, new=[item(1)])
    subject = digest.subject
    assert len(subject) <= 100
    assert subject.startswith("【归集督办】某")
    assert subject.endswith("2026-12-01：新增超期1条，未整改1条，临期0条")


def test_unknown_category_shown_as_is() -> None:
    assert "｜mystery｜" in digest_of(new=[item(1, category="mystery")]).body


@pytest.mark.parametrize(
    ("new", "still_open", "max_late", "expected"),
    [
        (0, 0, 0, "low"),
        (0, 1, 5, "low"),
        (0, 1, 6, "medium"),
        (0, 1, 10, "medium"),
        (0, 1, 11, "high"),
        (9, 0, 0, "low"),
        (5, 5, 0, "medium"),
        (25, 24, 0, "medium"),
        (25, 25, 0, "high"),
    ],
)
def test_severity(new: int, still_open: int, max_late: int, expected: str) -> None:
    assert severity(new, still_open, max_late) == expected


def test_breach_list_url() -> None:
    assert breach_list_url("350100") == URL
    assert breach_list_url("350100", "https://guiji.example.cn/api/") == (
        "https://guiji.example.cn/api/breaches?region=350100&status=open"
    )


# --- properties ----------------------------------------------------------------------------------------------------

items = st.builds(
    item,
    n=st.integers(0, 40),
    kind=st.sampled_from(list(BreachKind)),
    late=st.integers(0, 30),
    department=st.sampled_from(["D1", "D2", "D3"]),
)


@settings(max_examples=150, deadline=None)
@given(
    new=st.lists(items, max_size=30),
    still_open=st.lists(items, max_size=30),
    at_risk=st.lists(items, max_size=30),
)
def test_digest_counts_match_what_it_announces(
    new: list[DigestItem], still_open: list[DigestItem], at_risk: list[DigestItem]
) -> None:
    digest = compose_digest(
        jurisdiction="350100",
        jurisdiction_name="福州市",
        level=Level.CITY,
        as_of=AS_OF,
        new=new,
        still_open=still_open,
        at_risk=at_risk,
        list_url=URL,
    )
    ids = {i.breach_id for i in new + still_open + at_risk}
    if not ids:
        assert digest is None
        return
    assert digest is not None
    assert sorted(digest.breach_ids) == sorted(ids)
    a = digest.attributes
    assert int(a["new_count"]) + int(a["at_risk_count"]) <= len(ids)
    assert int(a["new_count"]) == len({i.breach_id for i in new})
    assert set(a["kinds"].split(",")) == {i.kind.value for i in new + still_open + at_risk}
    assert all(v for v in a.values())  # SNS refuses empty attribute values
    assert len(digest.subject) <= 100
    assert URL in digest.body
    # identical input, identical digest
    again = compose_digest(
        jurisdiction="350100",
        jurisdiction_name="福州市",
        level=Level.CITY,
        as_of=AS_OF,
        new=new,
        still_open=still_open,
        at_risk=at_risk,
        list_url=URL,
    )
    assert again == digest


def test_age_bucket_edges() -> None:
    body = digest_of(still_open=[item(n, late=late) for n, late in enumerate([0, 5, 6, 10, 11])]).body
    assert "超期10个工作日以上（1条）" in body
    assert "超期6至10个工作日（2条）" in body
    assert "超期5个工作日以内（2条）" in body
    young = body.index("超期5个工作日以内")
    assert body.index("〔2026〕4号") < body.index("超期6至10个工作日") < body.index("〔2026〕3号") < young
    assert young < body.index("〔2026〕1号") < body.index("〔2026〕0号")
