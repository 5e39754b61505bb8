"""Exports without a 文号 (list entries, spot checks, registrations as gsxt shows them) are identified by
subject + date + what happened; categories whose decisions always carry a 文号 still require it."""

from __future__ import annotations

from datetime import date

import pytest

from shared.categories import Category
from shared.columns import HeaderError, map_headers
from shared.row_validation import CanonicalRecord, validate_row
from tests.helpers import COMPANY, COMPANY_NAME

TODAY = date(2026, 12, 1)


def _record(category: Category, headers: list[str], values: list[str]) -> CanonicalRecord:
    result = validate_row(map_headers(category, headers), 2, dict(zip(headers, values, strict=True)), today=TODAY)
    assert isinstance(result, CanonicalRecord), result
    return result


def test_abnormal_list_without_doc_no() -> None:
    headers = ["企业名称", "统一社会信用代码", "列入经营异常名录原因", "列入日期", "作出决定机关"]
    rec = _record(
        Category.ABNORMAL_OPERATION, headers, [COMPANY_NAME, COMPANY, "未按规定报送年度报告", "2026-07-01", "x"]
    )
    assert rec.doc_no == f"无文号｜{COMPANY}｜2026-07-01｜未按规定报送年度报告"
    assert rec.action == "列入"


def test_spot_check_and_registration_without_doc_no() -> None:
    spot = _record(
        Category.SPOT_CHECK,
        ["企业名称", "统一社会信用代码", "检查实施机关", "类型", "日期", "结果"],
        [COMPANY_NAME, COMPANY, "福州市生态环境局", "双随机抽查", "2026-11-10", "未发现问题"],
    )
    assert spot.doc_no == f"无文号｜{COMPANY}｜2026-11-10｜双随机抽查"
    reg = _record(
        Category.REGISTRATION,
        ["企业名称", "统一社会信用代码", "核准日期", "登记机关"],
        [COMPANY_NAME, COMPANY, "2026-11-20", "鼓楼区市场监督管理局"],
    )
    assert reg.doc_no == f"无文号｜{COMPANY}｜2026-11-20"


def test_a_doc_no_when_present_is_used() -> None:
    headers = ["企业名称", "统一社会信用代码", "列入原因", "列入日期", "列入文号"]
    rec = _record(
        Category.ABNORMAL_OPERATION, headers, [COMPANY_NAME, COMPANY, "无法联系", "2026-07-01", "榕异入〔2026〕3号"]
    )
    assert rec.doc_no == "榕异入〔2026〕3号"


def test_penalties_and_licences_still_need_their_doc_no() -> None:
    for category in (Category.PENALTY, Category.LICENSE):
        with pytest.raises(HeaderError, match="文号"):
            map_headers(category, ["企业名称", "统一社会信用代码", "处罚决定日期", "许可决定日期"])
