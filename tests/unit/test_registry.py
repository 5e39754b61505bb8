"""The market-subject register as ``guiji registry load subjects`` reads it: every row loaded or refused with
its reasons in Chinese, never dropped."""

from __future__ import annotations

from shared.registry import parse_subjects, subject_header

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # domain.md §c.1


def uscc(body17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(body17, WEIGHTS, strict=True))
    return body17 + CHARSET[(31 - total % 31) % 31]


HEADERS = ["统一社会信用代码", "名称", "行政区划代码", "类型", "注册号", "法定代表人（负责人）"]
ENTERPRISE = uscc("91350102MA2Y3K4L5")
INDIVIDUAL = uscc("92350102MA2Y3K4L5")
COOPERATIVE = uscc("93350181MAF5YNC03")


def rows(*values: list[str]) -> list[tuple[int, dict[str, str]]]:
    return [(n, dict(zip(HEADERS, v, strict=True))) for n, v in enumerate(values, start=2)]


def test_chinese_and_english_headers_are_recognised() -> None:
    assert subject_header(HEADERS)
    assert subject_header(["uscc", "name", "region_code"])
    assert not subject_header(["名称", "行政区划代码"])  # no credit code: not a register


def test_rows_load_with_the_type_written_or_read_off_the_code() -> None:
    good, bad = parse_subjects(
        HEADERS,
        rows(
            [ENTERPRISE.lower(), " 福州昌华环保有限公司 ", "350102", "企业", "", "林某某"],
            [INDIVIDUAL, "鼓楼区某某小吃店", "350102", "", "", "陈某"],
            [COOPERATIVE, "福清市音西街道昌盛生猪养殖农民专业合作社", "350181", "", "", ""],
        ),
    )
    assert bad == []
    assert [(s.uscc, s.name, s.type) for s in good] == [
        (ENTERPRISE, "福州昌华环保有限公司", "enterprise"),  # code normalised, name stripped
        (INDIVIDUAL, "鼓楼区某某小吃店", "individual_business"),  # 92…: 个体工商户
        (COOPERATIVE, "福清市音西街道昌盛生猪养殖农民专业合作社", "cooperative"),  # 93…: 农民专业合作社
    ]
    assert good[0].legal_rep == "林某某" and good[0].region_code == "350102"


def test_a_bad_row_is_refused_with_every_reason_and_its_row_number() -> None:
    wrong_check = ENTERPRISE[:-1] + ("0" if ENTERPRISE[-1] != "0" else "1")
    good, bad = parse_subjects(
        HEADERS,
        rows(
            [wrong_check, "甲公司", "350102", "企业", "", ""],
            [ENTERPRISE, "", "999999", "外星企业", "", ""],
            ["", "丙公司", "350102", "", "", ""],
        ),
    )
    assert good == []
    assert [b.row for b in bad] == [2, 3, 4]
    assert "校验" in bad[0].reason
    assert "缺少名称" in bad[1].reason
    assert "行政区划代码“999999”不存在" in bad[1].reason
    assert "主体类型“外星企业”无法识别" in bad[1].reason
    assert bad[2].reason == "缺少统一社会信用代码"
