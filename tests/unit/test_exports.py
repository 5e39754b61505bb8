"""CSV exports people open in Excel: formulas from uploaded values are defused."""

from __future__ import annotations


def test_spreadsheet_formulas_are_defused_in_exports() -> None:
    from shared.exports import excel_safe
    from shared.services.queries import to_csv

    assert excel_safe("=1+1") == "'=1+1" and excel_safe("@SUM(A1)") == "'@SUM(A1)" and excel_safe("福州") == "福州"
    text = to_csv(
        [{"doc_no": "=HYPERLINK(1)", "announced": ["city", "province"], "due": None}], ["doc_no", "announced", "due"]
    )
    assert text.startswith("\ufeff") and "'=HYPERLINK(1)" in text and "city；province" in text
