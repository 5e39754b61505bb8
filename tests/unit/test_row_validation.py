"""Row validation: realistic rows for every category and header style, every reject reason, masking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.categories import Category
from shared.columns import HeaderMapping, map_headers, map_production_headers, map_published_headers
from shared.row_validation import (
    EXCLUDED_STATISTICS_ZH,
    CanonicalRecord,
    Cell,
    ProductionListRow,
    PublicationConfirmation,
    RejectReason,
    SubjectKind,
    parse_date,
    parse_instant,
    validate_production_row,
    validate_published_row,
    validate_row,
)

TODAY = date(2026, 11, 3)
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # domain.md §c.1


def make_uscc(body17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(body17, WEIGHTS, strict=True))
    return body17 + CHARSET[(31 - total % 31) % 31]


USCC_A = "91110000600037341L"
USCC_B = "91330203674737244W"
USCC_IND = make_uscc("92350102MA2Y3K4L5")  # 个体工商户
DEPT = make_uscc("11350100003613048")  # a Fujian government department
ID_NO = "11010519491231002X"  # GB 11643 example, valid check character
ID_MASKED = "110105********002X"


def validate(category: Category, row: dict[str, Cell], today: date = TODAY) -> CanonicalRecord | list[RejectReason]:
    return validate_row(map_headers(category, list(row)), 7, row, today=today)


def ok(category: Category, row: dict[str, Cell]) -> CanonicalRecord:
    result = validate(category, row)
    assert isinstance(result, CanonicalRecord), result
    return result


def rejected(category: Category, row: dict[str, Cell]) -> list[RejectReason]:
    result = validate(category, row)
    assert isinstance(result, list), result
    return result


PENALTY_ZH: dict[str, Cell] = {
    "序号": 1,
    "行政相对人名称": " 福州昌华环保有限公司 ",
    "行政相对人类别": "法人及非法人组织",
    "统一社会信用代码": USCC_A.lower(),
    "法定代表人": "林某某",
    "行政处罚决定书文号": "榕市监罚［2024］9196号",
    "违法行为类型": "未按规定公示年度报告",
    "处罚事由": "当事人未按规定公示2023年度报告",
    "处罚依据": "《企业信息公示暂行条例》第十八条",
    "处罚类别": "警告、罚款",
    "处罚内容": "罚款人民币2000元",
    "罚款金额（万元）": "0.2",
    "处罚决定日期": "2024/3/5",
    "处罚机关": "福州市市场监督管理局",
    "处罚机关统一社会信用代码": DEPT,
    "备注": "",
}


# --- realistic rows, every header style ---------------------------------------------------------------------
def test_penalty_chinese_headers() -> None:
    rec = ok(Category.PENALTY, PENALTY_ZH)
    assert rec.category is Category.PENALTY
    assert rec.subject_name == "福州昌华环保有限公司"
    assert rec.uscc == USCC_A and rec.reg_no is None
    assert rec.subject_kind is SubjectKind.LEGAL_PERSON
    assert rec.doc_no == "榕市监罚[2024]9196号"  # NFKC folds the full-width brackets
    assert rec.action == ""
    assert rec.production_date == date(2024, 3, 5)
    assert (rec.production_date_field, rec.production_date_fallback) == ("decision_date", False)
    assert rec.fields["penalty_kind"] == "警告;罚款"
    assert rec.fields["fine_amount"] == "0.2"
    assert rec.fields["decision_date"] == "2024-03-05"
    assert rec.fields["authority_uscc"] == DEPT
    assert "remarks" not in rec.fields
    assert rec.extra == {"序号": "1"}
    assert rec.id_number_masked is None


def test_penalty_2016_codes() -> None:
    row: dict[str, Cell] = {
        "CF_WSH": "闽市监罚字〔2023〕12号",
        "CF_CFMC": "未按规定公示",
        "CF_CFLB1": "没收违法所得",
        "CF_CFLB2": "没收非法财物、罚款",
        "CF_SY": "经查",
        "CF_YJ": "第十八条",
        "CF_XDR_MC": "厦门某某贸易有限公司",
        "CF_XDR_SHXYM": USCC_B,
        "CF_FR": "陈某",
        "CF_XDR_SFZ": ID_NO,  # 2016: the legal representative's ID for an organisation
        "CF_JG": "没收违法所得1万元",
        "CF_JDRQ": "2023.12.1",
        "CF_XZJG": "厦门市市场监督管理局",
        "CF_ZT": "0",
        "CF_GSJZQ": "2024-12-01",
        "DFBM": "350203",
        "SJC": "2023-12-02 10:20:00",
        "BZ": "无",
    }
    rec = ok(Category.PENALTY, row)
    assert rec.production_date == date(2023, 12, 1)
    assert rec.fields["penalty_kind"] == "没收违法所得、没收非法财物"
    assert rec.fields["penalty_kind_2"] == "没收违法所得、没收非法财物;罚款"
    assert rec.fields["status"] == "0"
    assert rec.fields["region_code"] == "350203"
    assert rec.fields["data_timestamp"] == "2023-12-02"
    assert rec.fields["id_number"] == ID_MASKED
    assert rec.subject_kind is SubjectKind.LEGAL_PERSON
    assert rec.id_number_masked is None  # the ID is the legal representative's, not the subject's


def test_penalty_2019_codes_natural_person_is_masked() -> None:
    row: dict[str, Cell] = {
        "CF_XDR_MC": "张三",
        "CF_XDR_LB": "自然人",
        "CF_XDR_SHXYM": "",
        "CF_XDR_ZJLX": "身份证",
        "CF_XDR_ZJHM": ID_NO.lower(),
        "CF_WSH": "闽榕公（交）行罚决字〔2024〕00123号",
        "CF_WFXW": "无证经营",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款500元",
        "CF_NR_FK": 0.05,
        "CF_JDRQ": datetime(2024, 6, 1, 9, 30),
        "CF_CFJG": "福州市公安局交通警察支队",
        "CF_CFJGDM": "00000000000000000X",  # the placeholder seen in real 2019+ rows
        "CF_SJLY": "福州市公安局",
        "CF_SJLYDM": DEPT,
    }
    rec = ok(Category.PENALTY, row)
    assert rec.subject_kind is SubjectKind.NATURAL_PERSON
    assert rec.uscc is None and rec.reg_no is None
    assert rec.id_number_masked == ID_MASKED
    assert rec.fields["id_number"] == ID_MASKED
    assert ID_NO not in str(rec.model_dump()) and ID_NO.lower() not in str(rec.model_dump())
    assert rec.fields["fine_amount"] == "0.05"
    assert rec.production_date == date(2024, 6, 1)
    assert "authority_uscc" not in rec.fields  # placeholder = missing


def test_natural_person_without_category_is_recognised_by_id_number() -> None:
    rec = ok(
        Category.PENALTY,
        {
            "当事人名称": "李四",
            "身份证号码": "350102199003071234",
            "处罚决定书文号": "X-1",
            "处罚决定日期": "2025-01-02",
        },
    )
    assert rec.subject_kind is SubjectKind.NATURAL_PERSON
    assert rec.id_number_masked == "350102********1234"


def test_penalty_saic_codes() -> None:
    row: dict[str, Cell] = {
        "EntName": "泉州某某鞋业有限公司",
        "UniSCID": make_uscc("91350582MA2XYW12L"),
        "PenDecNo": "泉晋市监处〔2025〕88号",
        "IllegActType": "虚假宣传",
        "PenTypeCN": "罚款",
        "PenContent": "罚款3万元",
        "PenAm": 3,
        "ForfAm": "0",
        "PenDecIssDate": date(2025, 9, 30),
        "PenAuth": "晋江市市场监督管理局",
    }
    rec = ok(Category.PENALTY, row)
    assert rec.fields["fine_amount"] == "3"
    assert rec.fields["confiscation_amount"] == "0"
    assert rec.production_date == date(2025, 9, 30)


def test_penalty_snake_case() -> None:
    rec = ok(
        Category.PENALTY,
        {
            "subject_name": "宁德某某水产合作社",
            "uscc": make_uscc("93350902MA31AB2C4"),
            "doc_no": "  宁市监罚  〔2026〕 1号 ",
            "decision_date": "20261103",
            "fine_amount": "1,500元",
        },
    )
    assert rec.doc_no == "宁市监罚 〔2026〕 1号"  # stripped, inner whitespace collapsed
    assert rec.production_date == TODAY  # today itself is allowed
    assert rec.fields["fine_amount"] == "0.15"
    assert rec.subject_kind is SubjectKind.LEGAL_PERSON


def test_individual_business_by_code_prefix() -> None:
    rec = ok(
        Category.PENALTY,
        {"名称": "鼓楼区某某小吃店", "统一社会信用代码": USCC_IND, "CF_WSH": "A1", "CF_JDRQ": "2025-05-05"},
    )
    assert rec.subject_kind is SubjectKind.INDIVIDUAL_BUSINESS


def test_license_2016_codes() -> None:
    row: dict[str, Cell] = {
        "XK_WSH": "闽食药监许〔2024〕001号",
        "XK_XMMC": "食品经营许可",
        "XK_BM": "350000-XK-001",
        "XK_SPLB": "普通许可",
        "XK_NR": "预包装食品销售",
        "XK_XDR": "福州某某超市有限公司",
        "XK_XDR_SHXYM": make_uscc("91350104MA2Y0A1B2"),
        "XK_FR": "王某",
        "XK_JDRQ": "2024年3月5日",
        "XK_JZQ": "2029-03-04",
        "XK_XZJG": "福州市仓山区市场监督管理局",
        "XK_ZT": "正常",
        "DFBM": "350104",
        "SJC": "2024-03-06",
    }
    rec = ok(Category.LICENSE, row)
    assert rec.fields["license_kind"] == "普通"
    assert rec.fields["status"] == "0"
    assert rec.fields["valid_to"] == "2029-03-04"
    assert rec.production_date == date(2024, 3, 5)


def test_license_2019_codes_with_code_list_numbers_and_long_term() -> None:
    row: dict[str, Cell] = {
        "XK_XDR_MC": "漳州某某建设工程有限公司",
        "XK_XDR_LB": "法人及非法人组织",
        "XK_XDR_SHXYM": make_uscc("91350600MA2W9Q8R7"),
        "XK_FRDB": "郑某",
        "XK_XKWS": "建筑业企业资质证书",
        "XK_WSH": "D235012345",
        "XK_XKLB": "04",
        "XK_XKZS": "建筑业企业资质证书",
        "XK_XKBH": "D235012345",
        "XK_NR": "建筑工程施工总承包叁级",
        "XK_JDRQ": "2025-07-01",
        "XK_YXQZ": "2025-07-01",
        "XK_YXQZI": "长期",
        "XK_XKJG": "漳州市住房和城乡建设局",
        "XK_XKJGDM": "00000000000000000X",
        "XK_ZT": "1",
        "XK_LYDW": "漳州市住房和城乡建设局",
        "XK_LYDWDM": "00000000000000000X",
    }
    rec = ok(Category.LICENSE, row)
    assert rec.fields["license_kind"] == "核准"
    assert rec.fields["valid_to"] == "2099-12-31"
    assert rec.fields["status"] == "1"
    assert "authority_uscc" not in rec.fields and "source_dept_uscc" not in rec.fields


def test_license_short_form_falls_back_to_valid_from_and_says_so() -> None:
    row: dict[str, Cell] = {
        "EntName": "南平某某茶业有限公司",
        "UniSCID": make_uscc("91350702MA3A1B2C3"),
        "LicNO": "JY13507020012345",
        "LicNameCN": "食品经营许可证",
        "ValFrom": "2025-02-10",
        "ValTo": "2030-02-09",
        "LicAnth": "南平市延平区市场监督管理局",
        "LicItem": "预包装食品（不含冷藏冷冻食品）销售",
    }
    rec = ok(Category.LICENSE, row)
    assert rec.production_date == date(2025, 2, 10)
    assert rec.production_date_field == "valid_from"
    assert rec.production_date_fallback is True


def test_license_placeholder_doc_number_uses_the_licence_number() -> None:
    rec = ok(
        Category.LICENSE,
        {"XK_XDR": "某公司", "XK_XDR_SHXYM": USCC_A, "XK_WSH": "空", "XK_XKBH": "JY1350", "XK_JDRQ": "2025-01-02"},
    )
    assert rec.doc_no == "JY1350"


def test_abnormal_operation_saic_list_in_and_list_out() -> None:
    base: dict[str, Cell] = {
        "EntName": "莆田某某电子商务有限公司",
        "UniSCID": make_uscc("91350302MA2Y1K2L3"),
        "RegNO": "",
        "PenDecNo": "莆市监异入〔2024〕第0001号",
        "SpeCauseCN": "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
        "AbnTime": "2024-07-01",
        "DecorgCN": "莆田市市场监督管理局",
        "RemExcpresCN": "",
        "RemDate": "",
        "ReDecOrgCN": "",
    }
    list_in = ok(Category.ABNORMAL_OPERATION, base)
    assert (list_in.action, list_in.production_date, list_in.production_date_field) == (
        "列入",
        date(2024, 7, 1),
        "list_in_date",
    )
    assert list_in.doc_no == "莆市监异入〔2024〕第0001号"
    out = dict(base, RemExcpresCN="补报年度报告并公示", RemDate="2025-03-10", ReDecOrgCN="莆田市市场监督管理局")
    list_out = ok(Category.ABNORMAL_OPERATION, out)
    assert (list_out.action, list_out.production_date, list_out.production_date_field) == (
        "移出",
        date(2025, 3, 10),
        "remove_date",
    )
    assert list_out.doc_no == list_in.doc_no  # same 文号, told apart by the action


def test_abnormal_operation_explicit_action_and_separate_doc_numbers() -> None:
    row: dict[str, Cell] = {
        "企业名称": "三明某某矿业有限公司",
        "统一社会信用代码": make_uscc("91350400MA2X0Y1W2"),
        "列入文号": "明市监异入〔2023〕5号",
        "移出文号": "明市监异出〔2024〕9号",
        "列入日期": "2023-05-05",
        "移出日期": "2024-02-02",
        "是否移出": "是",
    }
    rec = ok(Category.ABNORMAL_OPERATION, row)
    assert (rec.action, rec.doc_no, rec.production_date) == ("移出", "明市监异出〔2024〕9号", date(2024, 2, 2))
    rec_in = ok(Category.ABNORMAL_OPERATION, dict(row, 是否移出="否"))
    assert (rec_in.action, rec_in.doc_no, rec_in.production_date) == ("列入", "明市监异入〔2023〕5号", date(2023, 5, 5))


@pytest.mark.parametrize(
    ("is_move", "action"), [("0", "列入"), ("1", "移出"), ("2", "移出"), ("列入", "列入"), ("恢复正常记载状态", "移出")]
)
def test_is_move_codes(is_move: str, action: str) -> None:
    row: dict[str, Cell] = {
        "EntName": "某公司",
        "UniSCID": USCC_A,
        "PenDecNo": "X1",
        "AbnTime": "2024-01-02",
        "RemDate": "2024-06-01",
        "IsMove": is_move,
    }
    assert ok(Category.ABNORMAL_OPERATION, row).action == action


def test_type_column_in_a_list_file_is_not_the_action() -> None:
    row: dict[str, Cell] = {
        "企业名称": "某公司",
        "统一社会信用代码": USCC_A,
        "类型": "有限责任公司",
        "列入文号": "A",
        "列入日期": "2024-01-02",
    }
    rec = ok(Category.ABNORMAL_OPERATION, row)
    assert (rec.action, rec.extra) == ("列入", {"类型": "有限责任公司"})


def test_serious_violation_chinese() -> None:
    row: dict[str, Cell] = {
        "企业名称": "龙岩某某投资有限公司",
        "统一社会信用代码": make_uscc("91350802MA2Y7P6Q5"),
        "类别": "被列入经营异常名录届满3年仍未履行相关义务",
        "列入严重违法失信企业名单原因": "被列入经营异常名录届满3年仍未履行相关义务",
        "列入日期": "2022-08-08",
        "列入文号": "岩市监严入〔2022〕3号",
        "作出决定机关（列入）": "龙岩市市场监督管理局",
    }
    rec = ok(Category.SERIOUS_VIOLATION, row)
    assert (rec.action, rec.production_date) == ("列入", date(2022, 8, 8))
    assert rec.fields["violation_category"].startswith("被列入经营异常名录")


def test_spot_check_and_statistical_exclusion() -> None:
    row: dict[str, Cell] = {
        "企业名称": "宁德某某食品有限公司",
        "统一社会信用代码": make_uscc("91350902MA2Y2B3C4"),
        "检查编号": "ND-2026-0101",
        "检查实施机关": "宁德市市场监督管理局",
        "类型": "定向",
        "日期": "2026-10-20",
        "结果": "未发现问题",
    }
    rec = ok(Category.SPOT_CHECK, row)
    assert rec.production_date == date(2026, 10, 20)
    assert rec.fields["check_type"] == "定向"
    for column, value in (("类型", "统计执法检查"), ("检查实施机关", "宁德市统计局")):
        reasons = rejected(Category.SPOT_CHECK, dict(row, **{column: value}))
        assert [(r.column, r.reason) for r in reasons] == [(column, EXCLUDED_STATISTICS_ZH)]
    named = dict(row, 抽查任务名称="2026年统计数据质量抽查")
    assert [r.column for r in rejected(Category.SPOT_CHECK, named)] == ["抽查任务名称"]


def test_other_category_statistical_annual_report_is_excluded() -> None:
    row: dict[str, Cell] = {
        "企业名称": "福清某某公司",
        "统一社会信用代码": USCC_A,
        "文号": "R-1",
        "信息类别": "企业统计年报",
        "信息产生日期": "2026-03-31",
    }
    assert [r.reason for r in rejected(Category.OTHER, row)] == [EXCLUDED_STATISTICS_ZH]
    ok(Category.OTHER, dict(row, 信息类别="行政奖励"))


def test_chattel_mortgage_subject_and_code_from_the_mortgagor() -> None:
    row: dict[str, Cell] = {
        "FilingNO": "350100-2020-0001",
        "regiDate": "2020-06-30",
        "regOrg": "福州市市场监督管理局",
        "MortGagorName": "福州某某机械有限公司",
        "MortGagorCertNO": USCC_B,
        "MortGageeName": "某银行福州分行",
        "priClaSecKind": "借贷合同",
        "priClaSecAm": "500",
    }
    rec = ok(Category.CHATTEL_MORTGAGE, row)
    assert (rec.subject_name, rec.uscc) == ("福州某某机械有限公司", USCC_B)
    assert rec.fields["secured_amount"] == "500"
    assert rec.production_date == date(2020, 6, 30)


def test_equity_pledge_natural_person_pledgor_is_masked() -> None:
    row: dict[str, Cell] = {
        "企业名称": "厦门某某科技有限公司",
        "统一社会信用代码": USCC_B,
        "登记编号": "350200-GQ-2025-12",
        "出质人": "赵某",
        "出质人证照号码": ID_NO,
        "出质股权数额": "120.5",
        "质权人": "某担保有限公司",
        "股权出质设立登记日期": "2025-11-11",
        "状态": "有效",
    }
    rec = ok(Category.EQUITY_PLEDGE, row)
    assert rec.fields["pledgor_cert_no"] == ID_MASKED
    assert rec.fields["pledged_amount"] == "120.5"
    assert rec.subject_kind is SubjectKind.LEGAL_PERSON


def test_ip_pledge_and_trademark() -> None:
    ip = ok(
        Category.IP_PLEDGE,
        {
            "Pledgor": "泉州某某服饰有限公司",
            "UniSCID": make_uscc("91350500MA2Y3W4X5"),
            "TMRegNo": "第12345678号",
            "TMName": "某某",
            "Kinds": "商标",
            "ImpOrg": "某银行泉州分行",
            "PleRegPerFrom": "2025-04-01",
            "PleRegPerTo": "2028-03-31",
        },
    )
    assert (ip.subject_name, ip.doc_no, ip.production_date) == (
        "泉州某某服饰有限公司",
        "第12345678号",
        date(2025, 4, 1),
    )
    tm = ok(
        Category.TRADEMARK,
        {
            "注册人名称": "福建某某茶业有限公司",
            "统一社会信用代码": make_uscc("91350782MA2Y4A5B6"),
            "注册号": "60123456",
            "商标名称": "武夷某某",
            "类别": "第30类",
            "注册公告日期": "2023-01-13",
        },
    )
    assert (tm.doc_no, tm.reg_no, tm.production_date) == ("60123456", None, date(2023, 1, 13))


def test_registration_with_legacy_registration_number_only() -> None:
    row: dict[str, Cell] = {
        "EntName": "宁波某某有限公司",
        "RegNO": 330203000030639,  # a number cell, as Excel stores long digit strings
        "业务编号": "BG-2024-001",
        "EntType": "有限责任公司",
        "EstDate": "2005-06-01",
        "ApprDate": 45300,  # Excel serial: 2024-01-09
        "RegOrg": "宁波市市场监督管理局",
        "RegCap": "100万元人民币",
    }
    rec = ok(Category.REGISTRATION, row)
    assert (rec.uscc, rec.reg_no) == (None, "330203000030639")
    assert rec.production_date == date(2024, 1, 9)
    assert rec.subject_kind is SubjectKind.LEGAL_PERSON
    assert rec.fields["reg_capital"] == "100万元人民币"


def test_registration_number_in_the_credit_code_column_is_moved() -> None:
    rec = ok(
        Category.PENALTY,
        {"企业名称": "某个体户", "统一社会信用代码/注册号": "350102600123455", "CF_WSH": "A", "CF_JDRQ": "2024-01-01"},
    )
    assert (rec.uscc, rec.reg_no) == (None, "350102600123455")
    assert rec.subject_kind is SubjectKind.INDIVIDUAL_BUSINESS  # GS15 sequence starting with 6
    assert "uscc" not in rec.fields and rec.fields["reg_no"] == "350102600123455"


def test_placeholder_credit_code_with_registration_number_is_accepted() -> None:
    rec = ok(
        Category.PENALTY,
        {
            "企业名称": "某公司",
            "统一社会信用代码": "/",
            "注册号": "110000000343473",
            "CF_WSH": "A",
            "CF_JDRQ": "2024-01-01",
        },
    )
    assert (rec.uscc, rec.reg_no) == (None, "110000000343473")


# --- rejections ----------------------------------------------------------------------------------------------
def reasons_by_column(reasons: list[RejectReason]) -> dict[str, str]:
    return {r.column: r.reason for r in reasons}


def test_every_problem_of_a_row_is_reported() -> None:
    row = dict(
        PENALTY_ZH,
        行政相对人名称="",
        统一社会信用代码="91110000600037341A",
        行政处罚决定书文号="无",
        处罚类别="罚款2000元",
        **{"罚款金额（万元）": "罚款2000元"},
        处罚决定日期="2026-11-04",
        处罚机关统一社会信用代码="11350100003613049X",
    )
    reasons = rejected(Category.PENALTY, row)
    by_col = reasons_by_column(reasons)
    assert all(r.row == 7 for r in reasons)
    assert by_col["行政相对人名称"] == "行政相对人名称为空（必填）"
    assert by_col["统一社会信用代码"] == "统一社会信用代码校验位错误（应为L）"
    assert by_col["行政处罚决定书文号"] == "行政处罚决定书文号为空（必填）：文号用于识别记录"
    assert by_col["处罚类别"].startswith("“处罚类别”填写的“罚款2000元”不是有效的处罚类别，应为：警告；罚款；")
    assert (
        by_col["罚款金额（万元）"]
        == "“罚款金额（万元）”填写的“罚款2000元”不是金额：只能填写数字（单位：万元），如0.2表示2000元"
    )
    assert by_col["处罚决定日期"] == "处罚决定日期2026-11-04晚于今天（2026-11-03），不能是将来的日期"
    assert by_col["处罚机关统一社会信用代码"].startswith("“处罚机关统一社会信用代码”：统一社会信用代码")
    assert len(reasons) == 7
    values = {r.column: r.value for r in reasons}
    assert values["行政处罚决定书文号"] == "无"  # the cell as written
    assert values["统一社会信用代码"] == "91110000600037341A"


def test_missing_identifiers() -> None:
    base = {"企业名称": "某公司", "统一社会信用代码": "00000000000000000X", "CF_WSH": "A", "CF_JDRQ": "2024-01-01"}
    [reason] = rejected(Category.PENALTY, base)
    assert (reason.column, reason.value) == ("统一社会信用代码", "00000000000000000X")
    assert reason.reason == "统一社会信用代码和注册号均为空：至少填写一项（自然人填写证件号码）"
    natural = {"当事人": "张三", "行政相对人类别": "自然人", "证件号码": "", "CF_WSH": "A", "CF_JDRQ": "2024-01-01"}
    [reason] = rejected(Category.PENALTY, natural)
    assert reason.reason == "行政相对人类别为自然人，但证件号码为空"
    # An organisation with only an ID number (its legal representative's) still needs a code.
    org = {
        "企业名称": "某公司",
        "行政相对人类别": "法人及非法人组织",
        "证件号码": ID_NO,
        "CF_WSH": "A",
        "CF_JDRQ": "2024-01-01",
    }
    assert "至少填写一项" in rejected(Category.PENALTY, org)[0].reason


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("统一社会信用代码", "9111000060003734", "统一社会信用代码应为18位，实际为16位"),
        ("统一社会信用代码", "9111000060003734OL", "统一社会信用代码含非法字符“O”"),
        (
            "统一社会信用代码",
            make_uscc("91999999600037341"),
            "统一社会信用代码中的登记管理机关行政区划码“999999”不存在",
        ),
        ("注册号", "330203000030630", "注册号校验位错误（应为9）"),
        ("组织机构代码", "60003734-2", "组织机构代码校验位错误（应为1）"),
        ("证件号码", "110105194912310021", "居民身份证号码校验位错误（应为X）"),
        ("地方编码", "359999", "“地方编码”填写的“359999”不是有效的行政区划代码（GB/T 2260，6位数字）"),
        ("处罚决定日期", "1999-12-31", "处罚决定日期1999-12-31早于2000-01-01，请核对"),
        ("处罚决定日期", "去年", "“处罚决定日期”：无法识别的日期“去年”，请使用YYYY-MM-DD格式（如2026-11-03）"),
        ("处罚决定日期", "2025-02-29", "“处罚决定日期”：日期“2025-02-29”不存在"),
        ("处罚决定日期", "", "处罚决定日期为空：信息产生日期为必填项"),
        ("罚款金额（万元）", "-1", "“罚款金额（万元）”金额不能为负数"),
        ("当前状态", "5", "“当前状态”填写的“5”无效，应为：0正常、1撤销、2异议、3其他"),
        (
            "行政相对人类别",
            "企业法人",
            "“行政相对人类别”填写的“企业法人”无效，应为：法人及非法人组织、自然人、个体工商户",
        ),
        ("行政处罚决定书文号", "文" * 129, "“行政处罚决定书文号”超过128个字符（实际129个）"),
        ("行政相对人名称", "名" * 257, "“行政相对人名称”超过256个字符（实际257个）"),
    ],
)
def test_single_rejections(column: str, value: str, reason: str) -> None:
    row: dict[str, Cell] = {
        "行政相对人名称": "某公司",
        "行政相对人类别": "",
        "统一社会信用代码": USCC_A,
        "注册号": "",
        "组织机构代码": "",
        "证件号码": "",
        "地方编码": "",
        "行政处罚决定书文号": "A-1",
        "罚款金额（万元）": "",
        "当前状态": "",
        "处罚决定日期": "2024-01-01",
    }
    row[column] = value
    reasons = rejected(Category.PENALTY, row)
    assert [(r.column, r.reason) for r in reasons] == [(column, reason)]


def test_bad_id_number_is_masked_in_the_reject_report() -> None:
    row: dict[str, Cell] = {"当事人": "张三", "证件号码": "110105194912310021", "CF_WSH": "A", "CF_JDRQ": "2024-01-01"}
    [reason] = rejected(Category.PENALTY, row)
    assert reason.value == "110105********0021"


def test_licence_code_lists() -> None:
    base: dict[str, Cell] = {"XK_XDR": "某公司", "XK_XDR_SHXYM": USCC_A, "XK_WSH": "A", "XK_JDRQ": "2024-01-01"}
    for value, kind in (("特许", "特许"), ("06", "其他"), ("3", "认可"), ("登记类", "登记")):
        assert ok(Category.LICENSE, dict(base, XK_SPLB=value)).fields["license_kind"] == kind
    [reason] = rejected(Category.LICENSE, dict(base, XK_SPLB="审批"))
    assert reason.reason == "“XK_SPLB”填写的“审批”无效，应为：普通、特许、认可、核准、登记、其他（或代码01-06）"


def test_licence_dates_must_be_in_order() -> None:
    base: dict[str, Cell] = {"XK_XDR": "某公司", "XK_XDR_SHXYM": USCC_A, "XK_WSH": "A", "XK_JDRQ": "2024-01-01"}
    [reason] = rejected(Category.LICENSE, dict(base, XK_JZQ="2023-12-31"))
    assert (reason.column, reason.reason) == ("XK_JZQ", "有效期至（2023-12-31）早于许可决定日期（2024-01-01）")


def test_list_row_with_explicit_action_needs_its_date() -> None:
    row: dict[str, Cell] = {
        "企业名称": "某公司",
        "统一社会信用代码": USCC_A,
        "列入文号": "A",
        "列入日期": "",
        "移出日期": "2024-01-01",
        "列入/移出": "列入",
    }
    [reason] = rejected(Category.ABNORMAL_OPERATION, row)
    assert (reason.column, reason.reason) == ("列入日期", "列入日期为空：信息产生日期为必填项")
    row2 = dict(row, 列入日期="2024-02-01", **{"列入/移出": "移出"})
    [reason] = rejected(Category.ABNORMAL_OPERATION, row2)
    assert reason.reason == "移出日期（2024-01-01）早于列入日期（2024-02-01）"
    row3 = dict(row, **{"列入/移出": "暂停"})
    assert "应为：列入、移出" in rejected(Category.ABNORMAL_OPERATION, row3)[0].reason


def test_reader_level_row_error() -> None:
    m = map_headers(Category.PENALTY, list(PENALTY_ZH))
    result = validate_row(m, 12, {"__error__": "第12行不是有效的JSON对象"}, today=TODAY)
    assert result == [RejectReason(row=12, column="", value="", reason="第12行不是有效的JSON对象")]


# --- values --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-03", date(2026, 11, 3)),
        ("2026/11/3", date(2026, 11, 3)),
        ("2026.11.3", date(2026, 11, 3)),
        ("20261103", date(2026, 11, 3)),
        (20261103, date(2026, 11, 3)),
        ("2026年11月3日", date(2026, 11, 3)),
        ("２０２６年１１月３日", date(2026, 11, 3)),
        ("2026-11-03 10:20:00", date(2026, 11, 3)),
        ("2026-11-03T10:20:00", date(2026, 11, 3)),
        ("2026/11/3 9:05", date(2026, 11, 3)),
        ("2026-11-02T16:30:00Z", date(2026, 11, 3)),  # 00:30 in Shanghai
        ("2026-11-03T10:20:00+08:00", date(2026, 11, 3)),
        (46329, date(2026, 11, 3)),  # Excel serial: 1899-12-30 + 46329 days
        (46329.75, date(2026, 11, 3)),
        ("46329", date(2026, 11, 3)),
        (date(2026, 11, 3), date(2026, 11, 3)),
        (datetime(2026, 11, 3, 23, 59), date(2026, 11, 3)),
        ("", None),
        ("无", None),
        (None, None),
    ],
)
def test_parse_date(value: Cell, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_excel_epoch_by_hand() -> None:
    # 1899-12-30 + 46329 days: 1900-01-01 is serial 2, 2026-11-03 is 46329 (cross-checked with timedelta).
    assert date(1899, 12, 30) + timedelta(days=46329) == date(2026, 11, 3)


@pytest.mark.parametrize("value", ["abc", "2026-13-01", "2026-11", "11/03/2026", 12.5, True, "长期"])
def test_parse_date_garbage(value: Cell) -> None:
    with pytest.raises(ValueError):
        parse_date(value)


def test_parse_instant() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert parse_instant("2026-11-03") == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert parse_instant("2026-11-03 23:30:00") == datetime(2026, 11, 3, 15, 30, tzinfo=UTC)
    assert parse_instant(datetime(2026, 11, 3, 8, 0, tzinfo=shanghai)) == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    assert parse_instant(46329.5) == datetime(2026, 11, 3, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("罚款金额（万元）", "0.2", "0.2"),
        ("罚款金额（万元）", "0.20万元", "0.2"),
        ("罚款金额（万元）", "2000元", "0.2"),  # a unit in the cell wins
        ("罚款金额（万元）", "1,234.50", "1234.5"),
        ("罚款金额（万元）", "１２３", "123"),
        ("罚款金额（万元）", "￥5", "5"),
        ("罚款金额（万元）", 0, "0"),
        ("罚款金额（万元）", 1.25, "1.25"),
        ("罚款金额（元）", "2000", "0.2"),
        ("罚款金额（元）", 1234.56, "0.123456"),
        ("罚款金额（元）", "3万元", "3"),
        ("罚款金额（元）", "100", "0.01"),
    ],
)
def test_amounts(header: str, value: Cell, expected: str) -> None:
    row: dict[str, Cell] = {
        "企业名称": "某公司",
        "统一社会信用代码": USCC_A,
        "CF_WSH": "A",
        "CF_JDRQ": "2024-01-01",
        header: value,
    }
    assert ok(Category.PENALTY, row).fields["fine_amount"] == expected


def test_penalty_kinds_with_several_values_and_2021_kinds() -> None:
    row: dict[str, Cell] = {"企业名称": "某公司", "统一社会信用代码": USCC_A, "CF_WSH": "A", "CF_JDRQ": "2024-01-01"}
    cases = {
        "警告；罚款": "警告;罚款",
        "罚款,没收违法所得,没收非法财物": "罚款;没收违法所得、没收非法财物",
        "暂扣或者吊销许可证、暂扣或者吊销执照": "暂扣或者吊销许可证、暂扣或者吊销执照",
        "吊销营业执照": "暂扣或者吊销许可证、暂扣或者吊销执照",
        "通报批评": "通报批评",
        "其他-责令改正": "其他",
        "罚款（2000元）；警告": "罚款;警告",
    }
    for value, expected in cases.items():
        assert ok(Category.PENALTY, dict(row, 处罚类别=value)).fields["penalty_kind"] == expected


def test_id_numbers_are_masked_in_extra_and_free_text() -> None:
    row = dict(PENALTY_ZH, 处罚事由=f"当事人（身份证号{ID_NO}）无证经营，订单号123456789012345678", 联系人证件=ID_NO)
    rec = ok(Category.PENALTY, row)
    assert rec.fields["facts"] == f"当事人（身份证号{ID_MASKED}）无证经营，订单号123456789012345678"
    assert rec.extra["联系人证件"] == ID_MASKED


def test_record_is_frozen_and_serialisable() -> None:
    rec = ok(Category.PENALTY, PENALTY_ZH)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its own ValidationError subclass
        rec.doc_no = "x"  # type: ignore[misc]
    data = rec.model_dump(mode="json")
    assert data["production_date"] == "2024-03-05" and data["category"] == "penalty"
    assert CanonicalRecord.model_validate(data) == rec


# --- properties ----------------------------------------------------------------------------------------------
FUJIAN = ["350102", "350128", "350182", "350203", "350583", "350000", "350100"]
bodies = st.builds(
    lambda kind, region, rest: "9" + kind + region + rest,
    st.sampled_from("123"),
    st.sampled_from(FUJIAN),
    st.text(alphabet=CHARSET, min_size=9, max_size=9),
)
_PROPERTY_MAPPING: HeaderMapping = map_headers(Category.PENALTY, ["企业名称", "统一社会信用代码", "CF_WSH", "CF_JDRQ"])


def _row(code: str) -> dict[str, Cell]:
    return {"企业名称": "某公司", "统一社会信用代码": code, "CF_WSH": "A", "CF_JDRQ": "2024-01-01"}


@settings(max_examples=200)
@given(bodies)
def test_any_valid_credit_code_passes(body: str) -> None:
    code = make_uscc(body)
    rec = validate_row(_PROPERTY_MAPPING, 2, _row(code), today=TODAY)
    assert isinstance(rec, CanonicalRecord) and rec.uscc == code


@settings(max_examples=200)
@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_any_single_character_mutation_fails(body: str, position: int, char: str) -> None:
    code = make_uscc(body)
    mutated = code[:position] + char + code[position + 1 :]
    if mutated == code:
        return
    result = validate_row(_PROPERTY_MAPPING, 2, _row(mutated), today=TODAY)
    assert isinstance(result, list)
    assert [r.column for r in result] == ["统一社会信用代码"]


# --- ledger and publication confirmations --------------------------------------------------------------------
def test_ledger_rows() -> None:
    m = map_production_headers(["记录编号", "类别", "产生日期", "企业名称", "统一社会信用代码"])
    good = validate_production_row(
        m,
        3,
        {
            "记录编号": "榕市监罚〔2024〕1号",
            "类别": "行政处罚",
            "产生日期": "2024-01-02",
            "企业名称": "某公司",
            "统一社会信用代码": USCC_A,
        },
        today=TODAY,
    )
    assert good == ProductionListRow(
        category=Category.PENALTY,
        doc_no="榕市监罚〔2024〕1号",
        action="",
        production_date=date(2024, 1, 2),
        subject_name="某公司",
        uscc=USCC_A,
        reg_no=None,
        extra={},
    )
    listed = validate_production_row(
        m, 4, {"记录编号": "A", "类别": "abnormal_operation", "产生日期": "2024-01-02"}, today=TODAY
    )
    assert isinstance(listed, ProductionListRow) and listed.action == "列入"
    bad = validate_production_row(m, 5, {"记录编号": "", "类别": "天气", "产生日期": "2027-01-01"}, today=TODAY)
    assert isinstance(bad, list)
    assert [r.column for r in bad] == ["类别", "记录编号", "产生日期"]
    assert "无法识别" in bad[0].reason


def test_published_rows() -> None:
    by_id = map_published_headers(["记录ID", "公示时间"])
    conf = validate_published_row(by_id, 2, {"记录ID": "rec-1", "公示时间": "2026-11-03 23:30:00"}, today=TODAY)
    assert isinstance(conf, PublicationConfirmation)
    assert conf.published_at == datetime(2026, 11, 3, 15, 30, tzinfo=UTC)
    assert conf.published_date == date(2026, 11, 3)
    future = validate_published_row(by_id, 3, {"记录ID": "rec-1", "公示时间": "2026-11-04"}, today=TODAY)
    assert isinstance(future, list) and "晚于今天" in future[0].reason

    by_doc = map_published_headers(["部门代码", "类别", "文号", "公示日期"])
    conf2 = validate_published_row(
        by_doc, 2, {"部门代码": DEPT, "类别": "经营异常名录", "文号": "A-1", "公示日期": date(2026, 10, 9)}, today=TODAY
    )
    assert isinstance(conf2, PublicationConfirmation)
    assert (conf2.department, conf2.category, conf2.doc_no, conf2.action) == (
        DEPT,
        Category.ABNORMAL_OPERATION,
        "A-1",
        "列入",
    )
    assert conf2.published_date == date(2026, 10, 9)
    missing = validate_published_row(
        by_doc, 3, {"部门代码": DEPT, "类别": "", "文号": "A-1", "公示日期": "2026-10-09"}, today=TODAY
    )
    assert isinstance(missing, list)
    assert missing[0].reason == "记录ID为空时须填写部门代码、类别和文号，缺少：类别"


# --- the record's content, as the duplicate check digests it ---------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    name=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s),
    note=st.text(max_size=60),
    natural=st.booleans(),
)
def test_content_digest_is_that_of_the_json_form(name: str, note: str, natural: bool) -> None:
    from shared.ledger import content_digest

    row = dict(PENALTY_ZH, 行政相对人名称=name, 备注=note, 自定义列=note)
    if natural:
        row.update({"行政相对人类别": "自然人", "统一社会信用代码": "", "证件号码": ID_NO})
    result = validate(Category.PENALTY, row)
    assume(not isinstance(result, list))  # a name the validator refuses is not a record (never all of them)
    assert isinstance(result, CanonicalRecord)
    # content() skips pydantic's serialiser on the per-row path; the digest must not notice.
    assert content_digest(result.content()) == content_digest(result.model_dump(mode="json"))
    assert set(result.content()) == set(CanonicalRecord.model_fields)


def test_every_field_kind_has_a_converter() -> None:
    from shared.column_specs import FieldKind
    from shared.row_validation import _CONVERTERS

    assert set(_CONVERTERS) == set(FieldKind)
