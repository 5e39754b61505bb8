"""The canonical fields of every intake folder: names, Chinese labels, kinds, header aliases and length limits, and
which fields identify and date a record (the data :mod:`shared.columns` matches headers against).

Canonical fields common to every category:

=====================  ================================  ===========================================
field                  中文                              codes (examples)
=====================  ================================  ===========================================
subject_name           行政相对人名称                    XK_XDR_MC, XK_XDR, CF_XDR_MC, EntName
subject_category       行政相对人类别                    XK_XDR_LB, CF_XDR_LB
uscc                   统一社会信用代码                  XK_XDR_SHXYM, CF_XDR_SHXYM, UniSCID
reg_no                 工商注册号                        XK_XDR_GSDJ, XK_XDR_GSZC, RegNO
org_code               组织机构代码                      XK_XDR_ZDM, XK_XDR_ZZJG
tax_no                 税务登记号                        XK_XDR_SWDJ
institution_cert_no    事业单位证书号                    XK_XDR_SYDW
social_org_cert_no     社会组织登记证号                  XK_XDR_SHZZ
legal_rep              法定代表人                        XK_FR, XK_FRDB, LeRep
legal_rep_id_type      法定代表人证件类型                XK_FR_ZJLX
legal_rep_id_number    法定代表人证件号码 (masked)       XK_FR_ZJHM
id_type                证件类型 (natural persons)        XK_XDR_ZJLX, CerType
id_number              证件号码 (masked)                 XK_XDR_ZJHM, XK_XDR_SFZ, CerNO
region_code            地方编码                          DFBM, AreaCode
source_dept            数据来源单位                      XK_LYDW, CF_SJLY, SetDeptname
source_dept_uscc       数据来源单位统一社会信用代码      XK_LYDWDM, CF_SJLYDM
remarks                备注                              BZ
data_timestamp         数据更新时间戳                    SJC
doc_no                 文书号 (per category, see below)
action                 列入/移出 (list categories only)  IsMove
=====================  ================================  ===========================================

Category fields (production-date field marked ``*``, a weaker stand-in marked ``~``):

* license: doc_no 行政许可决定书文号 (XK_WSH, LicNO), doc_name 行政许可决定文书名称 (XK_XKWS, LicNameCN),
  project_name 项目名称 (XK_XMMC), license_code 行政许可编码 (XK_BM), license_kind 许可类别 (XK_SPLB,
  XK_XKLB), cert_name 许可证书名称 (XK_XKZS), license_no 许可编号 (XK_XKBH), content 许可内容 (XK_NR,
  LicItem), decision_date* 许可决定日期 (XK_JDRQ), valid_from~ 有效期自 (XK_YXQZ, ValFrom), valid_to 有效期至
  (XK_JZQ, XK_YXQZI, ValTo), authority 许可机关 (XK_XZJG, XK_XKJG, LicAnth), authority_uscc 许可机关统一社会信用代码
  (XK_XKJGDM), status 当前状态 (XK_ZT), license_state 许可状态 (LicState), usage_scope 信息使用范围 (XK_SYFW),
  change_date 变更日期 (AltDate), cancel_date 注销日期 (CanDate), cancel_reason 注销原因 (CanRea),
  revoke_date 吊销日期 (RevDate), revoke_reason 吊销原因 (RevRea), invalid_date 无效日期 (InvAlidDate),
  invalid_reason 无效原因 (InvAliDRea).
* penalty: doc_no 行政处罚决定书文号 (CF_WSH, PenDecNo), penalty_name 处罚名称 (CF_CFMC), penalty_code
  行政处罚编码 (CF_BM), violation_type 违法行为类型 (CF_WFXW, IllegActType), facts 处罚事由 (CF_SY), basis
  处罚依据 (CF_YJ), penalty_kind 处罚类别 (CF_CFLB, CF_CFLB1, PenTypeCN), penalty_kind_2 处罚类别2 (CF_CFLB2),
  result 处罚内容 (CF_JG, CF_NR, PenContent), fine_amount 罚款金额（万元） (CF_NR_FK, PenAm),
  confiscation_amount 没收金额（万元） (CF_NR_WFFF, ForfAm), suspended_licence 暂扣或吊销证照名称及编号
  (CF_NR_ZKDX), decision_date* 处罚决定日期 (CF_JDRQ, PenDecIssDate), valid_until 处罚有效期 (CF_YXQ),
  publicity_end 公示截止期 (CF_GSJZQ), authority 处罚机关 (CF_XZJG, CF_CFJG, PenAuth), authority_uscc
  处罚机关统一社会信用代码 (CF_CFJGDM), status 当前状态 (CF_ZT), severity 失信严重程度 (CF_SXYZCD),
  usage_scope 信息使用范围 (CF_SYFW), pen_type_code 处罚种类代码 (PenType).
* abnormal_operation / serious_violation (list-in and list-out are separate records, ``action`` decides):
  doc_no 列入文号 (PenDecNo, AddSecNo), remove_doc_no 移出文号, action 列入/移出 (IsMove), list_reason
  列入原因 (SpeCauseCN, AddSecCause), list_reason_code (SpeCause), list_facts 列入事实和事由 (AnomalyRea,
  AddSecExplain), list_in_date* 列入日期 (AbnTime, AddSecDate), list_authority 作出决定机关（列入）
  (DecorgCN, AddSecOrg), list_authority_code (DecOrg, AddSecOrgCode), remove_reason 移出原因
  (RemExcpresCN), remove_reason_code (RemExcpres), remove_date* 移出日期 (RemDate), remove_authority
  作出决定机关（移出） (ReDecOrgCN), remove_authority_code (ReDecOrg); serious_violation also
  violation_category 类别 (SecDishonestyType), expiry_date 届满日期 (SecExpiredDate), public_date 公示日期
  (SecPublicDate).
* spot_check: doc_no 检查编号, check_name 抽查任务名称, check_authority 检查实施机关 (CheckDepName),
  check_type 抽查检查类型 (INSTYPE), check_date* 抽查检查日期 (InsDate), result 抽查检查结果 (SpotResult),
  provide_mode 提供方式 (ProType), follow_up 后续处置措施.
* chattel_mortgage: doc_no 登记编号 (FilingNO, morRegCNo), reg_date* 登记日期 (regiDate), reg_authority
  登记机关 (DepartMentName, regOrg), mortgagor_name 抵押人 (MortGagorName; stands in for the subject name),
  mortgagor_cert_type, mortgagor_cert_no 抵押人证照号码 (MortGagorCertNO; stands in for the code),
  mortgagee_name 抵押权人 (MortGageeName), mortgagee_cert_type, mortgagee_cert_no, mortgagee_addr,
  secured_kind 被担保债权种类 (MortGageType, priClaSecKind), secured_amount 被担保债权数额（万元）
  (MortGageAmount, priClaSecAm), guarantee_scope 担保范围 (WarCov), term_from 履行债务期限自 (PefPerForm),
  term_to 履行债务期限至 (PefPerTo), collateral 抵押物名称 (GuaName), state 状态, change_date 变更日期,
  cancel_date 注销日期, cancel_reason 注销原因, public_date 公示日期.
* equity_pledge: doc_no 登记编号 (OrderNO, equityNo), reg_date* 股权出质设立登记日期 (EquPleDate),
  pledgor_name 出质人 (Pledgor), pledgor_cert_no 出质人证照号码 (PleBLicNO), pledged_amount 出质股权数额
  (ImpAm), pledgee_name 质权人 (ImpOrg), pledgee_cert_no 质权人证照号码 (ImpBLicNO), filing_date 备案日期
  (RecDate), state 状态 (Status), cancel_reason 注销原因 (CanRea), public_date 公示日期.
* ip_pledge: doc_no 知识产权登记证号 (TMRegNo), ip_name 名称 (TMName), ip_kind 种类 (Kinds), pledgor_name 出质人
  (Pledgor; stands in for the subject name), pledgor_cert_no (stands in for the code), pledgee_name 质权人
  (ImpOrg), reg_date* 质权登记期限自 (PleRegPerFrom), pledge_to 质权登记期限至 (PleRegPerTo), state 状态
  (PubType), cancel_date 注销日期 (CanDate), cancel_reason 注销原因 (EquPleCanRea), invalid_date 无效日期,
  invalid_reason 无效原因, public_date 公示日期 (PublicDate).
* trademark: doc_no 商标注册号 (here “注册号” is the trademark's), mark_name 商标名称, class_no 类别,
  announce_date* 注册公告日期, announce_issue 注册公告期号, exclusive_from~ 专用权起始日期, exclusive_to
  专用权终止日期, goods 商品/服务项目.
* registration: doc_no 登记编号/业务编号, event 登记类型, ent_type 类型 (EntType), reg_capital 注册资本 (RegCap),
  approval_date* 核准日期 (ApprDate), change_date* 变更日期 (AltDate), filing_date* 备案日期, est_date~ 成立日期
  (EstDate), op_from 营业期限自 (OpFrom), op_to 营业期限至 (OpTo), reg_authority 登记机关 (RegOrg), reg_state
  登记状态 (RegState), address 住所 (Dom), business_scope 经营范围 (OpScope), change_item 变更事项,
  change_before 变更前内容, change_after 变更后内容.
* other: doc_no 文号, info_category 信息类别, title 信息名称, content 信息内容, authority 作出决定机关,
  production_date* 信息产生日期 (also 决定日期, 日期).

Document numbers: penalties, licences, pledges, mortgages and trademarks must carry theirs. Exports of the
abnormal-operations and serious-violation lists, spot checks, registrations and ``other`` often have none (the
public gsxt pages show none): a file without the column is accepted and each record is identified by
``无文号｜{code}｜{production date}｜{reason / check type / event}`` (``FolderSchema.doc_optional_with``).

Special folders (``category`` is None in their mapping, ``folder`` says which):

* ledger (production lists): doc_no 记录编号/文号, category 类别 (slug or Chinese name), production_date
  产生日期/决定日期, action, optional subject_name / uscc / reg_no.
* published (publication confirmations): record_id 记录ID, or department 部门代码 + category + doc_no
  (+ action); published_at 公示日期/公示时间.
* feedback (joint-punishment feedback on another department's listing): record_id 记录ID, or department 发布部门代码
  + category 名单类别 + doc_no 列入文号, or uscc + doc_no; measure* 惩戒措施, measure_date* 措施日期, note 备注.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from shared.categories import CATEGORY_INFO, FEEDBACK_FOLDER, PRODUCTION_FOLDER, PUBLISHED_FOLDER, Category


class FieldKind(StrEnum):
    """How a canonical field's cells are validated and normalised (see shared.row_validation)."""

    TEXT = "text"
    NAME = "name"  # subject name: text, placeholders mean missing
    DOC_NO = "doc_no"  # NFKC + collapsed spaces, placeholders mean missing
    USCC = "uscc"
    REG_NO = "reg_no"
    ORG_CODE = "org_code"
    AUTH_USCC = "auth_uscc"  # an authority's USCC (placeholder 00000000000000000X allowed = missing)
    ID_NUMBER = "id_number"  # a person's ID number: validated if it is a 居民身份证, always masked
    CERT_NO = "cert_no"  # a certificate number that may be a USCC or a person's ID: masked if it is an ID
    REGION = "region"
    DATE = "date"
    DATE_OR_LONG = "date_or_long"  # an end date that may be “长期” (stored as 2099-12-31)
    AMOUNT = "amount"  # 万元, decimal >= 0
    LICENSE_KIND = "license_kind"
    PENALTY_KIND = "penalty_kind"
    STATUS = "status"
    SUBJECT_CATEGORY = "subject_category"
    ACTION = "action"
    CATEGORY = "category"
    DATETIME = "datetime"  # an instant (publication confirmations)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One canonical field: its name, Chinese label, kind, accepted header aliases and length limit."""

    name: str
    label_zh: str
    kind: FieldKind
    aliases: tuple[str, ...]
    max_len: int = 4000


def _f(name: str, label: str, kind: FieldKind, *aliases: str, max_len: int = 4000) -> FieldSpec:
    return FieldSpec(name, label, kind, (label, *aliases, name), max_len)


K = FieldKind

# --- fields shared by every category -------------------------------------------------------------------------
_SUBJECT_NAME = _f(
    "subject_name", "行政相对人名称", K.NAME,
    "企业名称", "企业(机构)名称", "名称", "当事人名称", "市场主体名称", "主体名称", "相对人名称",
    "被处罚单位", "被处罚单位名称", "被处罚人", "被处罚人名称", "被处罚对象", "当事人", "单位名称", "机构名称",
    "被许可人", "被许可人名称", "被许可单位", "申请人", "申请人名称", "申请单位", "被检查单位", "被检查单位名称",
    "被抽查单位", "检查对象", "企业名称/姓名", "企业(个体户)名称", "市场主体名称/姓名",
    "XK_XDR_MC", "XK_XDR", "CF_XDR_MC", "CF_XDR", "EntName", "name", "ent_name", "company_name",
    max_len=256,
)  # fmt: skip
_COMMON: tuple[FieldSpec, ...] = (
    _SUBJECT_NAME,
    _f("subject_category", "行政相对人类别", K.SUBJECT_CATEGORY, "相对人类别", "主体类别", "当事人类别",
       "XK_XDR_LB", "CF_XDR_LB", max_len=32),
    _f("uscc", "统一社会信用代码", K.USCC, "社会信用代码", "信用代码", "统一代码", "统一社会信用代码/注册号",
       "统一社会信用代码(注册号)", "注册号/统一社会信用代码", "行政相对人代码_1(统一社会信用代码)", "行政相对人代码_1",
       "XK_XDR_SHXYM", "CF_XDR_SHXYM", "UniSCID", "UniCode", "credit_code", "unified_social_credit_code",
       "social_credit_code", max_len=64),
    _f("reg_no", "工商注册号", K.REG_NO, "注册号", "工商登记码", "工商登记号", "营业执照注册号",
       "行政相对人代码_2(工商注册号)", "行政相对人代码_2", "XK_XDR_GSDJ", "CF_XDR_GSDJ", "XK_XDR_GSZC", "CF_XDR_GSZC",
       "RegNO", "registration_no", max_len=64),
    _f("org_code", "组织机构代码", K.ORG_CODE, "行政相对人代码_3(组织机构代码)", "行政相对人代码_3",
       "XK_XDR_ZDM", "CF_XDR_ZDM", "XK_XDR_ZZJG", "CF_XDR_ZZJG", max_len=32),
    _f("tax_no", "税务登记号", K.TEXT, "行政相对人代码_4(税务登记号)", "行政相对人代码_4", "XK_XDR_SWDJ",
       "CF_XDR_SWDJ", max_len=64),
    _f("institution_cert_no", "事业单位证书号", K.TEXT, "行政相对人代码_5(事业单位证书号)", "行政相对人代码_5",
       "XK_XDR_SYDW", "CF_XDR_SYDW", max_len=64),
    _f("social_org_cert_no", "社会组织登记证号", K.TEXT, "行政相对人代码_6(社会组织登记证号)", "行政相对人代码_6",
       "XK_XDR_SHZZ", "CF_XDR_SHZZ", max_len=64),
    _f("legal_rep", "法定代表人", K.TEXT, "法定代表人姓名", "法定代表人(负责人)", "负责人", "经营者", "投资人",
       "执行事务合伙人", "XK_FR", "CF_FR", "XK_FRDB", "CF_FRDB", "LeRep", "legal_representative", max_len=256),
    _f("legal_rep_id_type", "法定代表人证件类型", K.TEXT, "XK_FR_ZJLX", "CF_FR_ZJLX", max_len=64),
    _f("legal_rep_id_number", "法定代表人证件号码", K.ID_NUMBER, "法定代表人身份证号", "法定代表人身份证号码",
       "XK_FR_ZJHM", "CF_FR_ZJHM", max_len=64),
    _f("id_type", "证件类型", K.TEXT, "行政相对人证件类型", "XK_XDR_ZJLX", "CF_XDR_ZJLX", "CerType", max_len=64),
    _f("id_number", "证件号码", K.ID_NUMBER, "行政相对人证件号码", "身份证号", "身份证号码", "居民身份证号",
       "居民身份证号码", "XK_XDR_ZJHM", "CF_XDR_ZJHM", "XK_XDR_SFZ", "CF_XDR_SFZ", "CerNO", "id_no", max_len=64),
    _f("region_code", "地方编码", K.REGION, "行政区划代码", "区划代码", "地区编码", "DFBM", "AreaCode", max_len=16),
    _f("source_dept", "数据来源单位", K.TEXT, "数据来源", "来源单位", "数据提供单位", "XK_LYDW", "CF_SJLY",
       "SetDeptname", max_len=256),
    _f("source_dept_uscc", "数据来源单位统一社会信用代码", K.AUTH_USCC, "数据来源单位代码", "XK_LYDWDM", "CF_SJLYDM",
       max_len=64),
    _f("remarks", "备注", K.TEXT, "BZ", "remark", "note"),
    _f("data_timestamp", "数据更新时间戳", K.DATE, "数据更新时间", "更新时间", "时间戳", "SJC"),
)  # fmt: skip

# Lowest-priority names for the record's document number, appended to every category's own aliases.
_DOC_GENERIC = ("文号", "文书号", "决定文书号", "决定书文号", "记录编号", "编号", "记录ID", "document_no", "record_no")

_ACTION = _f("action", "列入/移出", K.ACTION, "列入移出", "列入或移出", "操作类型", "变动类型", "是否移出",
             "IsMove", max_len=16)  # fmt: skip


def _doc(label: str, *aliases: str) -> FieldSpec:
    return _f("doc_no", label, K.DOC_NO, *aliases, *_DOC_GENERIC, max_len=128)


_LICENSE: tuple[FieldSpec, ...] = (
    _doc("行政许可决定书文号", "行政许可决定文书号", "许可决定书文号", "许可决定文书号", "许可文件编号", "许可文书号",
         "XK_WSH", "LicNO"),
    _f("doc_name", "行政许可决定文书名称", K.TEXT, "许可决定文书名称", "许可文件名称", "XK_XKWS", "LicNameCN", max_len=256),
    _f("project_name", "项目名称", K.TEXT, "许可项目名称", "审批项目名称", "XK_XMMC", max_len=256),
    _f("license_code", "行政许可编码", K.TEXT, "许可编码", "XK_BM", max_len=64),
    _f("license_kind", "许可类别", K.LICENSE_KIND, "审批类别", "行政许可类别", "许可类型", "XK_SPLB", "XK_XKLB", max_len=32),
    _f("cert_name", "许可证书名称", K.TEXT, "证书名称", "XK_XKZS", max_len=256),
    _f("license_no", "许可编号", K.TEXT, "许可证编号", "许可证号", "证书编号", "XK_XKBH", max_len=128),
    _f("content", "许可内容", K.TEXT, "许可范围", "许可事项", "XK_NR", "LicItem", "LicScope"),
    _f("decision_date", "许可决定日期", K.DATE, "行政许可决定日期", "许可日期", "决定日期", "审批日期", "发证日期",
       "XK_JDRQ"),
    _f("valid_from", "有效期自", K.DATE, "有效期起", "有效期起始日期", "有效期开始日期", "许可有效期自", "有效期限自",
       "XK_YXQZ", "ValFrom", "LicValFrom"),
    _f("valid_to", "有效期至", K.DATE_OR_LONG, "有效期止", "有效期截止日期", "有效期结束日期", "许可有效期至", "有效期限至",
       "许可截止期", "XK_JZQ", "XK_YXQZI", "ValTo", "LicValTo"),
    _f("authority", "许可机关", K.TEXT, "许可机关名称", "行政许可机关", "审批机关", "发证机关", "XK_XZJG", "XK_XKJG",
       "LicAnth", max_len=256),
    _f("authority_uscc", "许可机关统一社会信用代码", K.AUTH_USCC, "许可机关代码", "XK_XKJGDM", max_len=64),
    _f("status", "当前状态", K.STATUS, "XK_ZT", max_len=16),
    # SAIC LicState (1 有效 / 0 无效) and free-text 状态 use another vocabulary than 双公示 当前状态: kept as text.
    _f("license_state", "许可状态", K.TEXT, "状态", "登记状态", "LicState", max_len=32),
    _f("usage_scope", "信息使用范围", K.TEXT, "XK_SYFW", max_len=32),
    _f("change_date", "变更日期", K.DATE, "AltDate"),
    _f("cancel_date", "注销日期", K.DATE, "CanDate"),
    _f("cancel_reason", "注销原因", K.TEXT, "CanRea"),
    _f("revoke_date", "吊销日期", K.DATE, "RevDate"),
    _f("revoke_reason", "吊销原因", K.TEXT, "RevRea"),
    _f("invalid_date", "无效日期", K.DATE, "InvAlidDate"),
    _f("invalid_reason", "无效原因", K.TEXT, "InvAliDRea"),
)  # fmt: skip

_PENALTY: tuple[FieldSpec, ...] = (
    _doc("行政处罚决定书文号", "处罚决定书文号", "处罚决定文书号", "行政处罚决定文书号", "处罚文书号", "处罚文号", "CF_WSH",
         "PenDecNo"),
    _f("penalty_name", "处罚名称", K.TEXT, "案件名称", "处罚事项名称", "CF_CFMC", max_len=256),
    _f("penalty_code", "行政处罚编码", K.TEXT, "处罚编码", "CF_BM", max_len=64),
    _f("violation_type", "违法行为类型", K.TEXT, "违法行为", "CF_WFXW", "IllegActType"),
    _f("facts", "处罚事由", K.TEXT, "违法事实", "主要违法事实", "违法事实和事由", "CF_SY"),
    _f("basis", "处罚依据", K.TEXT, "处罚依据和条款", "CF_YJ"),
    _f("penalty_kind", "处罚类别", K.PENALTY_KIND, "处罚种类", "处罚类型", "行政处罚种类", "处罚类别1", "CF_CFLB",
       "CF_CFLB1", "PenTypeCN", max_len=256),
    _f("penalty_kind_2", "处罚类别2", K.PENALTY_KIND, "CF_CFLB2", max_len=256),
    _f("result", "处罚内容", K.TEXT, "处罚结果", "行政处罚内容", "处罚决定内容", "CF_JG", "CF_NR", "PenContent"),
    _f("fine_amount", "罚款金额（万元）", K.AMOUNT, "罚款金额", "罚款数额", "罚款金额(万元)", "CF_NR_FK", "PenAm",
       max_len=32),
    _f("confiscation_amount", "没收违法所得、没收非法财物的金额（万元）", K.AMOUNT, "没收金额", "没收违法所得金额",
       "没收违法所得、没收非法财物的金额", "罚没金额", "CF_NR_WFFF", "ForfAm", max_len=32),
    _f("suspended_licence", "暂扣或吊销证照名称及编号", K.TEXT, "CF_NR_ZKDX", max_len=256),
    _f("decision_date", "处罚决定日期", K.DATE, "行政处罚决定日期", "作出处罚决定日期", "作出行政处罚决定日期",
       "处罚决定书签发日期", "处罚日期", "决定日期", "CF_JDRQ", "PenDecIssDate"),
    _f("valid_until", "处罚有效期", K.DATE_OR_LONG, "CF_YXQ"),
    _f("publicity_end", "公示截止期", K.DATE_OR_LONG, "公示截止日期", "CF_GSJZQ"),
    _f("authority", "处罚机关", K.TEXT, "处罚机关名称", "作出处罚决定机关", "作出处罚决定的机关名称", "决定机关名称",
       "执法机关", "处罚决定机关", "CF_XZJG", "CF_CFJG", "JudAuth", "PenAuth", max_len=256),
    _f("authority_uscc", "处罚机关统一社会信用代码", K.AUTH_USCC, "处罚机关代码", "CF_CFJGDM", max_len=64),
    _f("status", "当前状态", K.STATUS, "CF_ZT", max_len=16),
    _f("severity", "失信严重程度", K.TEXT, "CF_SXYZCD", max_len=16),
    _f("usage_scope", "信息使用范围", K.TEXT, "CF_SYFW", max_len=32),
    _f("pen_type_code", "处罚种类代码", K.TEXT, "PenType", max_len=64),
)  # fmt: skip


def _list_fields(
    list_name: str, in_date_aliases: tuple[str, ...], extra: tuple[FieldSpec, ...]
) -> tuple[FieldSpec, ...]:
    return (
        _doc("列入文号", "列入决定书文号", "列入决定文号", f"列入{list_name}决定书文号", "决定文号", "PenDecNo", "AddSecNo"),
        _f("remove_doc_no", "移出文号", K.DOC_NO, "移出决定书文号", "移出决定文号", f"移出{list_name}决定书文号",
           max_len=128),
        _ACTION,
        _f("list_reason", "列入原因", K.TEXT, f"列入{list_name}原因", "SpeCauseCN", "AddSecCause"),
        _f("list_reason_code", "列入原因代码", K.TEXT, "SpeCause", max_len=64),
        _f("list_facts", "列入事实和事由", K.TEXT, "AnomalyRea", "AddSecExplain"),
        _f("list_in_date", "列入日期", K.DATE, f"列入{list_name}日期", "列入时间", "标记日期", *in_date_aliases),
        _f("list_authority", "作出决定机关(列入)", K.TEXT, "列入决定机关", "列入机关", "作出决定机关", "决定机关",
           "DecorgCN", "AddSecOrg", max_len=256),
        _f("list_authority_code", "作出决定机关代码(列入)", K.TEXT, "DecOrg", "AddSecOrgCode", max_len=64),
        _f("remove_reason", "移出原因", K.TEXT, f"移出{list_name}原因", "恢复原因", "RemExcpresCN"),
        _f("remove_reason_code", "移出原因代码", K.TEXT, "RemExcpres", max_len=64),
        _f("remove_date", "移出日期", K.DATE, f"移出{list_name}日期", "移出时间", "恢复日期", "RemDate"),
        _f("remove_authority", "作出决定机关(移出)", K.TEXT, "移出决定机关", "移出机关", "ReDecOrgCN", max_len=256),
        _f("remove_authority_code", "作出决定机关代码(移出)", K.TEXT, "ReDecOrg", max_len=64),
        *extra,
    )  # fmt: skip


_ABNORMAL = _list_fields("经营异常名录", ("AbnTime",), ())
_SERIOUS = _list_fields(
    "严重违法失信企业名单",
    ("列入严重违法失信名单日期", "AddSecDate"),
    (
        _f("violation_category", "类别", K.TEXT, "严违失信类型", "失信类型", "SecDishonestyType", max_len=128),
        _f("expiry_date", "届满日期", K.DATE, "严违届满日期", "SecExpiredDate"),
        _f("public_date", "公示日期", K.DATE, "严违公示日期", "SecPublicDate"),
    ),
)

_SPOT_CHECK: tuple[FieldSpec, ...] = (
    _doc("检查编号", "抽查检查编号", "抽查编号", "任务编号", "抽查任务编号", "检查记录编号", "检查文书号"),
    _f("check_name", "抽查任务名称", K.TEXT, "检查任务名称", "任务名称", "检查名称", "抽查名称", "抽查事项", "检查事项",
       max_len=256),
    _f("check_authority", "检查实施机关", K.TEXT, "抽检部门名称", "检查机关", "实施机关", "抽查机关", "检查部门",
       "CheckDepName", max_len=256),
    _f("check_type", "抽查检查类型", K.TEXT, "检查类型", "抽查类型", "类型", "INSTYPE", max_len=64),
    _f("check_date", "抽查检查日期", K.DATE, "检查日期", "抽查日期", "抽检日期", "日期", "InsDate"),
    _f("result", "抽查检查结果", K.TEXT, "检查结果", "抽查结果", "结果", "SpotResult"),
    _f("provide_mode", "提供方式", K.TEXT, "ProType", max_len=32),
    _f("follow_up", "后续处置措施", K.TEXT, "处置措施", "处理措施"),
)  # fmt: skip

_CHATTEL: tuple[FieldSpec, ...] = (
    _doc("登记编号", "抵押登记编号", "动产抵押登记编号", "FilingNO", "morRegCNo"),
    _f("reg_date", "登记日期", K.DATE, "抵押登记日期", "动产抵押登记日期", "regiDate"),
    _f("reg_authority", "登记机关", K.TEXT, "DepartMentName", "regOrg", max_len=256),
    _f("mortgagor_name", "抵押人名称", K.NAME, "抵押人", "MortGagorName", max_len=256),
    _f("mortgagor_cert_type", "抵押人证照类型", K.TEXT, "抵押人证件类型", "MortGagorCertType", max_len=64),
    _f("mortgagor_cert_no", "抵押人证照号码", K.CERT_NO, "抵押人证件号码", "抵押人证照/证件号码", "MortGagorCertNO",
       max_len=64),
    _f("mortgagee_name", "抵押权人名称", K.TEXT, "抵押权人", "MortGageeName", max_len=256),
    _f("mortgagee_cert_type", "抵押权人证照类型", K.TEXT, "MortGageeCertType", max_len=64),
    _f("mortgagee_cert_no", "抵押权人证照号码", K.CERT_NO, "抵押权人证件号码", "MortGageeCertNO", max_len=64),
    _f("mortgagee_addr", "抵押权人住所地", K.TEXT, "MortGageeAddr", max_len=512),
    _f("secured_kind", "被担保债权种类", K.TEXT, "MortGageType", "priClaSecKind", max_len=64),
    _f("secured_amount", "被担保债权数额（万元）", K.AMOUNT, "被担保债权数额", "MortGageAmount", "priClaSecAm", max_len=32),
    _f("guarantee_scope", "担保的范围", K.TEXT, "担保范围", "WarCov"),
    _f("term_from", "债务人履行债务的期限自", K.DATE, "履行债务期限自", "PefPerForm"),
    _f("term_to", "债务人履行债务的期限至", K.DATE_OR_LONG, "履行债务期限至", "PefPerTo"),
    _f("collateral", "抵押物名称", K.TEXT, "抵押物", "GuaName"),
    _f("state", "状态", K.TEXT, "登记状态", max_len=32),
    _f("change_date", "变更日期", K.DATE),
    _f("cancel_date", "注销日期", K.DATE),
    _f("cancel_reason", "注销原因", K.TEXT),
    _f("public_date", "公示日期", K.DATE),
)  # fmt: skip

_EQUITY: tuple[FieldSpec, ...] = (
    _doc("登记编号", "股权出质登记编号", "质权登记编号", "出质登记编号", "OrderNO", "equityNo"),
    _f("reg_date", "股权出质设立登记日期", K.DATE, "出质设立登记日期", "设立登记日期", "出质登记日期", "登记日期",
       "EquPleDate"),
    _f("pledgor_name", "出质人", K.TEXT, "出质人名称", "Pledgor", max_len=256),
    _f("pledgor_cert_no", "出质人证照号码", K.CERT_NO, "出质人证件号码", "出质人证照/证件号码", "PleBLicNO", max_len=64),
    _f("pledged_amount", "出质股权数额", K.AMOUNT, "出质股权数额(万元)", "出质股权数额(万股)", "ImpAm", max_len=32),
    _f("pledgee_name", "质权人", K.TEXT, "质权人名称", "ImpOrg", max_len=256),
    _f("pledgee_cert_no", "质权人证照号码", K.CERT_NO, "质权人证件号码", "质权人证照/证件号码", "ImpBLicNO", max_len=64),
    _f("filing_date", "备案日期", K.DATE, "RecDate"),
    _f("state", "状态", K.TEXT, "Status", max_len=32),
    _f("cancel_reason", "注销原因", K.TEXT, "CanRea"),
    _f("public_date", "公示日期", K.DATE),
    # The subject is the company whose equity is pledged; these names only appear in equity-pledge files.
    _f("subject_name", "出质股权所在企业名称", K.NAME, "出质股权标的企业", "标的企业名称", "股权所在企业", max_len=256),
)  # fmt: skip

_IP_PLEDGE: tuple[FieldSpec, ...] = (
    _doc("知识产权登记证号", "登记证号", "质权登记编号", "登记编号", "TMRegNo"),
    _f("ip_name", "知识产权名称", K.TEXT, "名称", "TMName", max_len=256),
    _f("ip_kind", "种类", K.TEXT, "知识产权种类", "Kinds", max_len=32),
    _f("pledgor_name", "出质人名称", K.NAME, "出质人", "Pledgor", max_len=256),
    _f("pledgor_cert_no", "出质人证照号码", K.CERT_NO, "出质人证件号码", max_len=64),
    _f("pledgee_name", "质权人名称", K.TEXT, "质权人", "ImpOrg", max_len=256),
    _f("reg_date", "质权登记期限自", K.DATE, "质权登记日期", "登记日期", "出质登记日期", "PleRegPerFrom"),
    _f("pledge_to", "质权登记期限至", K.DATE_OR_LONG, "PleRegPerTo"),
    _f("state", "状态", K.TEXT, "PubType", max_len=32),
    _f("cancel_date", "注销日期", K.DATE, "CanDate"),
    _f("cancel_reason", "注销原因", K.TEXT, "EquPleCanRea"),
    _f("invalid_date", "无效日期", K.DATE, "其他无效日期", "InvAlidDate"),
    _f("invalid_reason", "无效原因", K.TEXT, "其他无效原因", "InvAliDRea"),
    _f("public_date", "公示日期", K.DATE, "PublicDate"),
)  # fmt: skip

_TRADEMARK: tuple[FieldSpec, ...] = (
    _doc("商标注册号", "注册号", "商标注册证号", "注册证号"),
    _f("subject_name", "商标注册人", K.NAME, "注册人", "注册人名称", "商标注册人名称", "商标权人", max_len=256),
    _f("mark_name", "商标名称", K.TEXT, "商标", max_len=256),
    _f("class_no", "类别", K.TEXT, "国际分类", "商标类别", "类号", max_len=32),
    _f("announce_date", "注册公告日期", K.DATE, "公告日期", "注册日期"),
    _f("announce_issue", "注册公告期号", K.TEXT, "公告期号", max_len=32),
    _f("exclusive_from", "专用权起始日期", K.DATE, "专用期限自", "商标专用权起始日期", "专用权期限自"),
    _f("exclusive_to", "专用权终止日期", K.DATE_OR_LONG, "专用期限至", "商标专用权终止日期", "专用权期限至"),
    _f("goods", "商品/服务项目", K.TEXT, "核定使用商品", "商品服务项目", "商品/服务"),
)  # fmt: skip

_REGISTRATION: tuple[FieldSpec, ...] = (
    _doc("登记编号", "业务编号", "受理编号", "受理号", "核准通知书文号", "登记通知书文号"),
    _f("event", "登记类型", K.TEXT, "业务类型", "登记事项", max_len=64),
    _f("ent_type", "企业类型", K.TEXT, "类型", "市场主体类型", "EntType", max_len=128),
    _f("reg_capital", "注册资本", K.TEXT, "注册资本(万元)", "RegCap", max_len=64),
    _f("approval_date", "核准日期", K.DATE, "ApprDate"),
    _f("change_date", "变更日期", K.DATE, "AltDate"),
    _f("filing_date", "备案日期", K.DATE),
    _f("est_date", "成立日期", K.DATE, "注册日期", "EstDate"),
    _f("op_from", "营业期限自", K.DATE, "经营期限自", "OpFrom"),
    _f("op_to", "营业期限至", K.DATE_OR_LONG, "经营期限至", "OpTo"),
    _f("reg_authority", "登记机关", K.TEXT, "RegOrg", max_len=256),
    _f("reg_state", "登记状态", K.TEXT, "经营状态", "RegState", max_len=32),
    _f("address", "住所", K.TEXT, "经营场所", "营业场所", "住所/经营场所", "Dom", max_len=512),
    _f("business_scope", "经营范围", K.TEXT, "OpScope"),
    _f("change_item", "变更事项", K.TEXT, max_len=256),
    _f("change_before", "变更前内容", K.TEXT),
    _f("change_after", "变更后内容", K.TEXT),
)  # fmt: skip

_OTHER: tuple[FieldSpec, ...] = (
    _doc("文号", "信息编号"),
    _f("info_category", "信息类别", K.TEXT, "信息类型", "信息分类", "类别", max_len=128),
    _f("title", "信息名称", K.TEXT, "标题", "事项名称", max_len=256),
    _f("content", "信息内容", K.TEXT, "内容"),
    _f("authority", "作出决定机关", K.TEXT, "决定机关", "发布机关", "实施机关", max_len=256),
    _f("production_date", "信息产生日期", K.DATE, "产生日期", "决定日期", "作出决定日期", "日期"),
)  # fmt: skip

_PRODUCTION_LIST: tuple[FieldSpec, ...] = (
    _f("doc_no", "记录编号", K.DOC_NO, "文号", "文书号", "决定书文号", "行政处罚决定书文号", "行政许可决定书文号",
       "登记编号", "编号", "记录ID", "record_id", max_len=128),
    _f("category", "类别", K.CATEGORY, "信息类别", "事项类别", "归集类别", "记录类别", "涉企信息类别", max_len=64),
    _f("production_date", "产生日期", K.DATE, "信息产生日期", "决定日期", "作出决定日期", "日期"),
    _f("action", "列入/移出", K.ACTION, "列入移出", "操作类型", max_len=16),
    _SUBJECT_NAME,
    _COMMON[2],  # uscc
    _COMMON[3],  # reg_no
)  # fmt: skip

_PUBLISHED: tuple[FieldSpec, ...] = (
    _f("record_id", "记录ID", K.TEXT, "记录标识", "归集记录ID", "record_id", max_len=256),
    _f("department", "部门代码", K.AUTH_USCC, "部门统一社会信用代码", "数据提供部门代码", "数据提供部门统一社会信用代码",
       "department_code", max_len=64),
    _f("category", "类别", K.CATEGORY, "信息类别", "事项类别", "归集类别", max_len=64),
    _f("doc_no", "文号", K.DOC_NO, "文书号", "决定书文号", "记录编号", "登记编号", "编号", max_len=128),
    _f("action", "列入/移出", K.ACTION, "列入移出", "操作类型", max_len=16),
    _f("published_at", "公示日期", K.DATETIME, "公示时间", "公示日期时间", "发布日期", "发布时间", "published"),
)  # fmt: skip


_FEEDBACK: tuple[FieldSpec, ...] = (
    _f("record_id", "记录ID", K.TEXT, "记录标识", "归集记录ID", "名单记录ID", "record_id", max_len=256),
    _f("department", "发布部门代码", K.AUTH_USCC, "列入部门代码", "作出决定部门代码", "部门代码", "发布部门统一社会信用代码",
       "department_code", max_len=64),
    _f("category", "名单类别", K.CATEGORY, "类别", "信息类别", max_len=64),
    _f("doc_no", "列入文号", K.DOC_NO, "文号", "列入决定书文号", "决定书文号", "文书号", max_len=128),
    _COMMON[2],  # uscc: the listed subject (cross-check, or with the 文号 to find the listing)
    _f("measure", "惩戒措施", K.TEXT, "联合惩戒措施", "采取的措施", "限制措施", "惩戒内容", "措施内容", "measure",
       max_len=2000),
    _f("measure_date", "措施日期", K.DATE, "采取措施日期", "惩戒日期", "实施日期", "措施实施日期", "measure_date"),
    _f("note", "备注", K.TEXT, "说明", "note", max_len=2000),
)  # fmt: skip


@dataclass(frozen=True)
class FolderSchema:
    """The canonical fields of one intake folder and which of them identify and date a record."""

    folder: str
    category: Category | None
    fields: tuple[FieldSpec, ...]  # category fields first: their aliases win over the common ones
    production_dates: tuple[tuple[str, bool], ...]  # (field, weak) in order of preference
    name_fields: tuple[str, ...] = ("subject_name",)  # subject name, then stand-ins
    code_fields: tuple[str, ...] = ("uscc", "reg_no", "id_number")  # identifiers, then stand-ins
    doc_fields: tuple[str, ...] = ("doc_no",)
    has_action: bool = False
    # Categories whose real exports often carry no document number (gsxt shows none for list entries, spot
    # checks or registrations): without one, the record is identified by subject + date + these fields.
    doc_optional_with: tuple[str, ...] | None = None

    @property
    def by_name(self) -> dict[str, FieldSpec]:
        """Field specs by canonical name (first definition wins)."""
        return _by_name(self)


@cache
def _by_name(schema: FolderSchema) -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for spec in schema.fields:
        out.setdefault(spec.name, spec)
    return out


def _category_schema(
    category: Category,
    fields: tuple[FieldSpec, ...],
    production_dates: tuple[tuple[str, bool], ...],
    *,
    name_fields: tuple[str, ...] = ("subject_name",),
    code_fields: tuple[str, ...] = ("uscc", "reg_no", "id_number"),
    doc_fields: tuple[str, ...] = ("doc_no",),
    doc_optional_with: tuple[str, ...] | None = None,
) -> FolderSchema:
    return FolderSchema(
        doc_optional_with=doc_optional_with,
        folder=category.value,
        category=category,
        fields=fields + _COMMON,
        production_dates=production_dates,
        name_fields=name_fields,
        code_fields=code_fields,
        doc_fields=doc_fields,
        has_action=CATEGORY_INFO[category].has_action,
    )


_LIST_DOCS = ("doc_no", "remove_doc_no")

SCHEMAS: dict[str, FolderSchema] = {
    s.folder: s
    for s in (
        _category_schema(
            Category.LICENSE,
            _LICENSE,
            (("decision_date", False), ("valid_from", True)),
            # 2016 rules let a pre-licence write “空” as its 文书号; the 许可编号 then identifies the record.
            doc_fields=("doc_no", "license_no"),
        ),
        _category_schema(Category.PENALTY, _PENALTY, (("decision_date", False),)),
        _category_schema(
            Category.ABNORMAL_OPERATION,
            _ABNORMAL,
            (("list_in_date", False), ("remove_date", False)),
            doc_fields=_LIST_DOCS,
            doc_optional_with=("list_reason", "remove_reason"),
        ),
        _category_schema(
            Category.SERIOUS_VIOLATION,
            _SERIOUS,
            (("list_in_date", False), ("remove_date", False)),
            doc_fields=_LIST_DOCS,
            doc_optional_with=("list_reason", "remove_reason"),
        ),
        _category_schema(
            Category.SPOT_CHECK,
            _SPOT_CHECK,
            (("check_date", False),),
            doc_optional_with=("check_name", "check_type", "check_authority"),
        ),
        _category_schema(
            Category.CHATTEL_MORTGAGE,
            _CHATTEL,
            (("reg_date", False),),
            name_fields=("subject_name", "mortgagor_name"),
            code_fields=("uscc", "reg_no", "id_number", "mortgagor_cert_no"),
        ),
        _category_schema(Category.EQUITY_PLEDGE, _EQUITY, (("reg_date", False),)),
        _category_schema(
            Category.IP_PLEDGE,
            _IP_PLEDGE,
            (("reg_date", False),),
            name_fields=("subject_name", "pledgor_name"),
            code_fields=("uscc", "reg_no", "id_number", "pledgor_cert_no"),
        ),
        _category_schema(Category.TRADEMARK, _TRADEMARK, (("announce_date", False), ("exclusive_from", True))),
        _category_schema(
            Category.REGISTRATION,
            _REGISTRATION,
            (("approval_date", False), ("change_date", False), ("filing_date", False), ("est_date", True)),
            doc_optional_with=("event", "change_item"),
        ),
        _category_schema(
            Category.OTHER, _OTHER, (("production_date", False),), doc_optional_with=("info_category", "title")
        ),
        FolderSchema(
            folder=PRODUCTION_FOLDER,
            category=None,
            fields=_PRODUCTION_LIST,
            production_dates=(("production_date", False),),
            code_fields=(),
            name_fields=(),
        ),
        FolderSchema(
            folder=FEEDBACK_FOLDER,
            category=None,
            fields=_FEEDBACK,
            production_dates=(("measure_date", False),),
            code_fields=(),
            name_fields=(),
            doc_fields=("doc_no", "record_id"),
        ),
        FolderSchema(
            folder=PUBLISHED_FOLDER,
            category=None,
            fields=_PUBLISHED,
            production_dates=(("published_at", False),),
            code_fields=(),
            name_fields=(),
            doc_fields=("doc_no", "record_id"),
        ),
    )
}

# Chinese note for a receipt when a weaker production-date column stands in for the proper one.
FALLBACK_NOTES: dict[tuple[str, str], str] = {
    (
        Category.LICENSE.value,
        "valid_from",
    ): "文件未提供许可决定日期，已以“有效期自”作为信息产生之日，请在今后报送中补充许可决定日期",
    (Category.TRADEMARK.value, "exclusive_from"): "文件未提供注册公告日期，已以“专用权起始日期”作为信息产生之日",
    (Category.REGISTRATION.value, "est_date"): "文件未提供核准日期或变更日期，已以“成立日期”作为信息产生之日",
}
