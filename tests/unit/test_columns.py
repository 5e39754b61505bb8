"""Header mapping: aliases per category in every header style, normalisation, required columns, folders."""

from __future__ import annotations

import pytest

import shared.column_specs as column_specs
import shared.columns as columns
from shared.categories import Category
from shared.column_specs import SCHEMAS
from shared.columns import (
    HeaderError,
    looks_like_folder_header,
    looks_like_header,
    looks_like_production_header,
    looks_like_published_header,
    map_folder_headers,
    map_headers,
    map_production_headers,
    map_published_headers,
    parse_category,
)

PENALTY_STYLES = {
    "chinese": [
        "行政相对人名称",
        "统一社会信用代码",
        "行政处罚决定书文号",
        "处罚类别",
        "罚款金额（万元）",
        "处罚决定日期",
    ],
    "sgs2016": ["CF_XDR_MC", "CF_XDR_SHXYM", "CF_WSH", "CF_CFLB1", "CF_JDRQ", "CF_XZJG"],
    "sgs2019": ["CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_WSH", "CF_CFLB", "CF_NR_FK", "CF_JDRQ", "CF_CFJG"],
    "saic": ["EntName", "UniSCID", "PenDecNo", "PenTypeCN", "PenAm", "PenDecIssDate", "PenAuth"],
    "snake": ["subject_name", "uscc", "doc_no", "penalty_kind", "fine_amount", "decision_date", "authority"],
}


@pytest.mark.parametrize("style", PENALTY_STYLES)
def test_penalty_header_styles(style: str) -> None:
    m = map_headers(Category.PENALTY, PENALTY_STYLES[style])
    names = set(m.fields.values())
    assert {"subject_name", "uscc", "doc_no", "decision_date"} <= names
    assert m.extra == []
    assert m.production_date_field == "decision_date"
    assert not m.production_date_fallback


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["XK_XDR", "XK_XDR_SHXYM", "XK_XDR_GSDJ", "XK_XDR_ZDM", "XK_WSH", "XK_XMMC", "XK_SPLB", "XK_JDRQ", "XK_JZQ", "XK_ZT", "DFBM", "SJC"],
         ["subject_name", "uscc", "reg_no", "org_code", "doc_no", "project_name", "license_kind", "decision_date", "valid_to", "status", "region_code", "data_timestamp"]),
        (["XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_XDR_GSZC", "XK_XDR_ZZJG", "XK_FRDB", "XK_XDR_ZJHM", "XK_XKWS", "XK_WSH", "XK_XKLB", "XK_XKBH", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM", "XK_LYDW", "XK_LYDWDM"],
         ["subject_name", "subject_category", "uscc", "reg_no", "org_code", "legal_rep", "id_number", "doc_name", "doc_no", "license_kind", "license_no", "decision_date", "valid_from", "valid_to", "authority", "authority_uscc", "source_dept", "source_dept_uscc"]),
        (["EntName", "UniSCID", "RegNO", "LicNO", "LicNameCN", "ValFrom", "ValTo", "LicAnth", "LicItem"],
         ["subject_name", "uscc", "reg_no", "doc_no", "doc_name", "valid_from", "valid_to", "authority", "content"]),
        (["行政相对人名称", "行政相对人代码_1（统一社会信用代码）", "行政相对人代码_2（工商注册号）", "行政许可决定文书号", "许可类别", "许可决定日期", "有效期至", "许可机关"],
         ["subject_name", "uscc", "reg_no", "doc_no", "license_kind", "decision_date", "valid_to", "authority"]),
    ],
)  # fmt: skip
def test_license_header_styles(headers: list[str], expected: list[str]) -> None:
    m = map_headers(Category.LICENSE, headers)
    assert [m.fields[h] for h in headers] == expected


@pytest.mark.parametrize(
    ("category", "headers", "date_field"),
    [
        (Category.ABNORMAL_OPERATION, ["EntName", "UniSCID", "PenDecNo", "SpeCauseCN", "AbnTime", "DecorgCN", "RemExcpresCN", "RemDate", "ReDecOrgCN", "IsMove"], "list_in_date"),
        (Category.ABNORMAL_OPERATION, ["企业名称", "统一社会信用代码", "列入文号", "列入经营异常名录原因", "列入日期", "作出决定机关（列入）", "移出日期", "作出决定机关（移出）"], "list_in_date"),
        (Category.SERIOUS_VIOLATION, ["企业名称", "统一社会信用代码", "类别", "列入严重违法失信企业名单原因", "列入日期", "列入文号", "作出决定机关（列入）"], "list_in_date"),
        (Category.SERIOUS_VIOLATION, ["EntName", "UniSCID", "AddSecNo", "AddSecCause", "AddSecDate", "AddSecOrg", "SecDishonestyType"], "list_in_date"),
        (Category.SPOT_CHECK, ["企业名称", "统一社会信用代码", "检查编号", "检查实施机关", "类型", "日期", "结果"], "check_date"),
        (Category.SPOT_CHECK, ["EntName", "UniSCID", "检查编号", "CheckDepName", "INSTYPE", "InsDate", "SpotResult"], "check_date"),
        (Category.CHATTEL_MORTGAGE, ["抵押人名称", "抵押人证照号码", "登记编号", "登记日期", "登记机关", "抵押权人名称", "被担保债权数额（万元）"], "reg_date"),
        (Category.CHATTEL_MORTGAGE, ["MortGagorName", "MortGagorCertNO", "FilingNO", "regiDate", "regOrg", "MortGageeName", "priClaSecAm"], "reg_date"),
        (Category.EQUITY_PLEDGE, ["企业名称", "统一社会信用代码", "登记编号", "出质人", "出质股权数额", "质权人", "股权出质设立登记日期"], "reg_date"),
        (Category.EQUITY_PLEDGE, ["EntName", "UniSCID", "OrderNO", "Pledgor", "ImpAm", "ImpOrg", "EquPleDate"], "reg_date"),
        (Category.IP_PLEDGE, ["出质人名称", "统一社会信用代码", "知识产权登记证号", "名称", "种类", "质权人名称", "质权登记期限自", "质权登记期限至"], "reg_date"),
        (Category.IP_PLEDGE, ["Pledgor", "UniSCID", "TMRegNo", "TMName", "Kinds", "ImpOrg", "PleRegPerFrom", "PleRegPerTo"], "reg_date"),
        (Category.TRADEMARK, ["注册人名称", "统一社会信用代码", "注册号", "商标名称", "类别", "注册公告日期"], "announce_date"),
        (Category.REGISTRATION, ["企业名称", "统一社会信用代码", "登记编号", "类型", "法定代表人", "成立日期", "核准日期", "登记机关"], "approval_date"),
        (Category.REGISTRATION, ["EntName", "UniSCID", "RegNO", "业务编号", "EntType", "LeRep", "EstDate", "ApprDate", "RegOrg"], "approval_date"),
        (Category.OTHER, ["企业名称", "统一社会信用代码", "文号", "信息类别", "信息内容", "信息产生日期"], "production_date"),
    ],
)  # fmt: skip
def test_every_category_maps(category: Category, headers: list[str], date_field: str) -> None:
    m = map_headers(category, headers)
    assert m.production_date_field == date_field
    assert m.category is category
    assert m.extra == []


def test_category_specific_aliases_win_over_common_ones() -> None:
    # In trademark files 注册号 is the trademark's registration number, not the 工商注册号.
    tm = map_headers(Category.TRADEMARK, ["注册人名称", "统一社会信用代码", "注册号", "注册公告日期"])
    assert tm.fields["注册号"] == "doc_no"
    # In IP-pledge files 名称 is the pledged IP's name; the subject is the pledgor.
    ip = map_headers(
        Category.IP_PLEDGE, ["名称", "出质人名称", "统一社会信用代码", "知识产权登记证号", "质权登记期限自"]
    )
    assert ip.fields["名称"] == "ip_name"
    assert ip.fields["出质人名称"] == "pledgor_name"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("行政相对人名称*", "subject_name"),
        ("*行政相对人名称", "subject_name"),
        ("行政相对人名称（必填）", "subject_name"),
        ("统一社会信用代码(必填)", "uscc"),
        ("统一社会信用代码（18位）", "uscc"),
        ("统 一 社 会 信 用 代 码", "uscc"),
        ("ＣＦ＿ＷＳＨ", "doc_no"),
        ("cf_wsh", "doc_no"),
        ("Cf_Jdrq", "decision_date"),
        ("pendecissdate", "decision_date"),
        ("处罚决定日期(yyyy-mm-dd)", "decision_date"),
        ("罚款金额（元）", "fine_amount"),
        ("罚款金额[万元]", "fine_amount"),
        ("行政相对人代码_1【统一社会信用代码】", "uscc"),
        ("企业名称/姓名", "subject_name"),
        ("统一社会信用代码/注册号", "uscc"),
        ("DECISION_DATE", "decision_date"),
        ("联系电话", None),
    ],
)
def test_header_normalisation(header: str, field: str | None) -> None:
    base = {
        "行政相对人名称": "subject_name",
        "统一社会信用代码": "uscc",
        "行政处罚决定书文号": "doc_no",
        "处罚决定日期": "decision_date",
    }
    m = map_headers(Category.PENALTY, [*(h for h, f in base.items() if f != field), header])
    if field is None:
        assert header in m.extra or m.fields.get(header) is None
    else:
        assert m.fields.get(header) == field, m


def test_bracket_only_header_is_tried_by_its_content() -> None:
    m = map_headers(Category.PENALTY, ["行政相对人名称", "统一社会信用代码", "行政处罚决定书文号", "【处罚决定日期】"])
    assert m.fields["【处罚决定日期】"] == "decision_date"


def test_yuan_columns_are_flagged_for_conversion() -> None:
    m = map_headers(Category.PENALTY, [*PENALTY_STYLES["chinese"][:4], "处罚决定日期", "罚款金额（元）", "没收金额"])
    assert m.yuan_headers == frozenset({"罚款金额（元）"})
    assert m.fields["罚款金额（元）"] == "fine_amount"
    assert "罚款金额（万元）" not in m.fields


def test_duplicate_targets_keep_the_best_alias_and_keep_the_other_as_extra() -> None:
    m = map_headers(Category.PENALTY, ["名称", "行政相对人名称", "统一社会信用代码", "CF_WSH", "CF_JDRQ"])
    assert m.fields["行政相对人名称"] == "subject_name"
    assert "名称" in m.extra
    assert m.header_of("subject_name") == "行政相对人名称"


def test_unknown_headers_are_extra_and_order_is_kept() -> None:
    headers = ["序号", "CF_WSH", "联系电话", "CF_XDR_MC", "CF_XDR_SHXYM", "CF_JDRQ", ""]
    m = map_headers(Category.PENALTY, headers)
    assert m.extra == ["序号", "联系电话", ""]
    assert list(m.fields) == ["CF_WSH", "CF_XDR_MC", "CF_XDR_SHXYM", "CF_JDRQ"]


def test_missing_required_columns_are_listed_with_what_was_found() -> None:
    with pytest.raises(HeaderError) as err:
        map_headers(Category.PENALTY, ["企业名称", "处罚机关", "备注"])
    reason = err.value.reason_zh
    assert reason.startswith("行政处罚文件的表头缺少必需的列：")
    assert "统一社会信用代码或注册号" in reason
    assert "行政处罚决定书文号" in reason
    assert "处罚决定日期" in reason
    assert "“企业名称”、“处罚机关”、“备注”" in reason
    assert "行政相对人名称（" not in reason  # the name column is there


def test_name_column_is_required() -> None:
    with pytest.raises(HeaderError, match="行政相对人名称"):
        map_headers(Category.PENALTY, ["统一社会信用代码", "CF_WSH", "CF_JDRQ"])


def test_an_id_number_column_satisfies_the_identifier_requirement() -> None:
    m = map_headers(Category.PENALTY, ["当事人名称", "证件号码", "CF_WSH", "CF_JDRQ"])
    assert m.fields["证件号码"] == "id_number"


def test_licence_falls_back_to_valid_from_only_without_a_decision_date_column() -> None:
    with_decision = map_headers(Category.LICENSE, ["EntName", "UniSCID", "LicNO", "XK_JDRQ", "ValFrom"])
    assert (with_decision.production_date_field, with_decision.production_date_fallback) == ("decision_date", False)
    assert with_decision.fallback_note_zh == ""
    short_form = map_headers(Category.LICENSE, ["EntName", "UniSCID", "LicNO", "ValFrom", "ValTo", "LicAnth"])
    assert (short_form.production_date_field, short_form.production_date_fallback) == ("valid_from", True)
    assert "有效期自" in short_form.fallback_note_zh


def test_registration_date_preference() -> None:
    change = map_headers(Category.REGISTRATION, ["企业名称", "统一社会信用代码", "业务编号", "变更日期", "成立日期"])
    assert (change.production_date_field, change.production_date_fallback) == ("change_date", False)
    est = map_headers(Category.REGISTRATION, ["企业名称", "统一社会信用代码", "业务编号", "成立日期"])
    assert (est.production_date_field, est.production_date_fallback) == ("est_date", True)


def test_list_categories_accept_either_date_and_either_doc_number() -> None:
    m = map_headers(Category.ABNORMAL_OPERATION, ["企业名称", "统一社会信用代码", "移出文号", "移出日期"])
    assert m.production_date_field == "remove_date"
    with pytest.raises(HeaderError, match="列入日期"):
        map_headers(Category.ABNORMAL_OPERATION, ["企业名称", "统一社会信用代码", "列入文号"])


def test_chattel_mortgage_subject_stands_in_from_the_mortgagor() -> None:
    m = map_headers(Category.CHATTEL_MORTGAGE, ["抵押人", "抵押人证照号码", "登记编号", "登记日期"])
    assert m.fields["抵押人"] == "mortgagor_name"


def test_looks_like_header() -> None:
    assert not looks_like_header(Category.PENALTY, ["2026年11月行政处罚信息公示表", "", ""])
    assert not looks_like_header(Category.PENALTY, ["填报单位：福州市市场监督管理局", "填报日期：2026-11-03"])
    assert not looks_like_header(
        Category.PENALTY, ["福州昌华环保有限公司", "91110000600037341L", "榕市监罚〔2024〕9196号", "2024-03-05"]
    )
    assert not looks_like_header(Category.PENALTY, ["处罚机关", "处罚决定日期"])  # no name or code column
    assert looks_like_header(Category.PENALTY, ["序号", "企业名称", "统一社会信用代码", "处罚决定日期"])
    assert looks_like_header(Category.LICENSE, ["XK_XDR_MC", "XK_WSH"])


def test_ledger_and_published_folders() -> None:
    ledger = map_production_headers(["记录编号", "类别", "产生日期", "企业名称", "统一社会信用代码"])
    assert ledger.category is None and ledger.folder == "ledger"
    assert ledger.production_date_field == "production_date"
    with pytest.raises(HeaderError, match="类别"):
        map_production_headers(["记录编号", "产生日期"])
    assert looks_like_production_header(["文号", "信息类别", "决定日期"])
    assert not looks_like_production_header(["福州市2026年11月台账"])

    by_id = map_published_headers(["记录ID", "公示时间"])
    assert by_id.fields == {"记录ID": "record_id", "公示时间": "published_at"}
    by_doc = map_published_headers(["部门代码", "类别", "文号", "公示日期"])
    assert set(by_doc.fields.values()) == {"department", "category", "doc_no", "published_at"}
    with pytest.raises(HeaderError, match="记录ID，或部门代码、类别和文号"):
        map_published_headers(["文号", "公示日期"])
    assert looks_like_published_header(["记录ID", "公示日期"])
    assert looks_like_folder_header("published", ["记录ID", "公示日期"])
    assert looks_like_folder_header("penalty", ["企业名称", "CF_WSH"])
    assert map_folder_headers("ledger", ["文号", "类别", "日期"]).folder == "ledger"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("penalty", Category.PENALTY),
        ("行政处罚", Category.PENALTY),
        ("行政许可", Category.LICENSE),
        ("经营异常名录", Category.ABNORMAL_OPERATION),
        ("严重违法失信名单", Category.SERIOUS_VIOLATION),
        ("抽查检查结果", Category.SPOT_CHECK),
        ("股权出质登记", Category.EQUITY_PLEDGE),
        ("知识产权出质登记", Category.IP_PLEDGE),
        ("动产抵押", Category.CHATTEL_MORTGAGE),
        ("商标注册", Category.TRADEMARK),
        ("注册登记备案", Category.REGISTRATION),
        ("其他依法应当公示的信息", Category.OTHER),
        ("Chattel-Mortgage", Category.CHATTEL_MORTGAGE),
        ("天气", None),
    ],
)
def test_parse_category(text: str, category: Category | None) -> None:
    assert parse_category(text) is category


def test_every_canonical_field_is_documented_in_the_module_docstring() -> None:
    doc = column_specs.__doc__ or ""
    names = {spec.name for schema in SCHEMAS.values() for spec in schema.fields}
    assert sorted(n for n in names if n not in doc) == []


def test_every_canonical_name_maps_to_itself() -> None:
    # snake_case headers are the canonical names: each must round-trip in its folder.
    for folder, schema in SCHEMAS.items():
        index = columns._alias_index(folder)
        for spec in schema.fields:
            hit = columns._match(index, spec.name)
            assert hit is not None and hit[0] == spec.name, (folder, spec.name, hit)
