"""Total and sign-off lines under a table are not records; anything with an identifier still is."""

from __future__ import annotations

from shared.categories import Category
from shared.columns import map_headers
from shared.row_validation import is_layout_row

HEADERS = ["序号", "行政相对人名称", "统一社会信用代码", "行政处罚决定书文号", "处罚类别", "处罚决定日期"]
MAPPING = map_headers(Category.PENALTY, HEADERS)


def _row(**values: str) -> dict[str, str | None]:
    row: dict[str, str | None] = dict.fromkeys(HEADERS)
    row.update(values)
    return row


def test_totals_and_signatures_are_footers() -> None:
    assert is_layout_row(MAPPING, _row(序号="合计：120条"))
    assert is_layout_row(MAPPING, _row(序号="填表人：张三", 处罚类别="审核人：李四"))
    assert is_layout_row(MAPPING, _row(行政相对人名称="总计"))


def test_a_repeated_header_is_layout() -> None:
    assert is_layout_row(MAPPING, {h: h for h in HEADERS})
    assert is_layout_row(MAPPING, _row(行政相对人名称="行政相对人名称", 统一社会信用代码="统一社会信用代码"))


def test_rows_with_data_are_never_footers() -> None:
    assert not is_layout_row(MAPPING, _row(行政相对人名称="合计贸易有限公司"))  # a company whose name starts so
    assert not is_layout_row(MAPPING, _row(序号="合计", 行政处罚决定书文号="闽环罚〔2026〕1号"))
    assert not is_layout_row(MAPPING, _row(序号="1"))  # an incomplete data row: validated and rejected
    assert not is_layout_row(MAPPING, _row())  # blank rows are the reader's business
