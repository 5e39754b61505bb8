"""Deterministic generator of a province's worth of realistic uploads: demo data and end-to-end test oracle.

The generator is deliberately independent of the validator (`shared.identifiers`, `shared.columns`,
`shared.row_validation` are never imported): it computes its own 统一社会信用代码 / 注册号 / 组织机构代码 / 身份证 check
characters, so that tests comparing the pipeline's decisions with the ground truth here compare two
implementations, not one with itself.

Ground truth (`ExpectedRow`) is written per data row, keyed by the physical row number a clerk sees (CSV
line, Excel row, JSONL line). Collection lateness is only asserted where it does not depend on the holiday
calendar: a row produced >= 21 calendar days before `today` is late (any 20 consecutive days hold at least
7 working days, even across Spring Festival or National Day), one produced <= 3 days before is on time, and
anything in between is `None` (undecided here). The ground truth assumes the upload is collected on `today`.

`ExpectedRow.reason_hint` tags:

* rejected rows: ``bad_uscc_check``, ``missing_name``, ``future_date``, ``bad_date`` (e.g. 2026-13-45),
  ``missing_doc_no``, ``bad_amount`` (-0.5 or 罚款2000元 in an amount column), ``unknown_penalty_type`` (约谈整改),
  ``statistical_excluded`` (统计抽查 / 企业统计年报), ``region_unknown`` (valid check char, region part that
  never existed), ``bad_reg_no`` (no USCC, 注册号 with a wrong check digit);
* accepted rows worth a look: ``lowercase_uscc``, ``fullwidth_uscc``, ``spaced_uscc`` (normalisation),
  ``placeholder_uscc`` (00000000000000000X plus a registered 注册号: attributable by 注册号), ``unknown_subject``
  (valid code not in the register: held), ``name_mismatch`` (registered code, other name: held),
  ``natural_person`` (自然人 with an ID number, no code: collected but not a market subject, so neither published nor held; ID masked), ``list_out`` (移出 record, its
  production date is the 移出日期), ``correction`` (same document number as an earlier row, one field changed);
* ``duplicate`` rows (outcome "duplicate") repeat an earlier row of the same file cell for cell;
* ledger rows: ``never_collected`` for records no upload carries (already overdue on `today`).

`attributable`: True when the row names a registered subject (by code, or 注册号 under a placeholder code),
False when it is accepted but cannot be attributed, None for rejected and duplicate rows.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from shared.categories import CATEGORY_INFO, Category

# ---------------------------------------------------------------------------------------------------------
# Identifier check characters (own implementation; see domain.md §c)
# ---------------------------------------------------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: 31 symbols, no I O Z S V
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # GB 11643, ISO 7064 MOD 11-2
_ID_CHECK = "10X98765432"
PLACEHOLDER_USCC = "00000000000000000X"
# Region parts that never existed (not in GB/T 2260 nor in stdnum's historical loc.dat).
UNKNOWN_REGIONS = ("350199", "359999")


def valid_uscc(body17: str) -> str:
    """Append the GB 32100 mod-31 check character to a 17-character USCC body."""
    if len(body17) != 17 or any(ch not in _USCC_VALUE for ch in body17):
        raise ValueError(f"not a USCC body: {body17!r}")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return body17 + USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check(body8: str) -> str:
    """GB 11714 组织机构代码 check character for an 8-character body."""
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def valid_reg_no(body14: str) -> str:
    """Append the ISO 7064 MOD 11,10 check digit to a 14-digit 注册号 body (GS15-2006)."""
    if len(body14) != 14 or not body14.isdigit():
        raise ValueError(f"not a 注册号 body: {body14!r}")
    p = 10
    for ch in body14:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return body14 + str((11 - p) % 10)


def valid_id_number(body17: str) -> str:
    """Append the ISO 7064 MOD 11-2 check character to a 17-digit 居民身份证 body."""
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError(f"not an ID number body: {body17!r}")
    return body17 + _ID_CHECK[sum(int(ch) * w for ch, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def make_uscc(
    rng: random.Random, *, dept: str = "9", kind: str = "1", region: str = "350102", legacy: bool | None = None
) -> str:
    """A valid USCC whose chars 9-17 are a valid 组织机构代码 (government bodies: 00xxxxxx; others old or MA-style).

    `legacy` True forces an old all-digit 组织机构代码 body (subjects registered before the 2015 reform), False a
    new ``MA…`` body; None picks at random.
    """
    if dept == "1":
        body8 = "00" + "".join(rng.choice("0123456789") for _ in range(6))
    elif legacy is False or (legacy is None and rng.random() < 0.55):
        body8 = "MA" + "".join(rng.choice(USCC_CHARSET) for _ in range(6))
    else:
        body8 = rng.choice("1234567") + "".join(rng.choice("0123456789") for _ in range(7))
    return valid_uscc(dept + kind + region + body8 + org_code_check(body8))


def make_reg_no(rng: random.Random, region: str, *, individual: bool = False) -> str:
    """A valid legacy 15-digit 注册号: region + sequence (0-3 domestic enterprise, 6-9 individual) + check."""
    first = rng.choice("6789" if individual else "0123")
    return valid_reg_no(region + first + "".join(rng.choice("0123456789") for _ in range(7)))


def make_id_number(rng: random.Random, region: str, born: date) -> str:
    """A valid 18-digit 居民身份证号 (synthetic)."""
    return valid_id_number(f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}")


def _wrong_check(code: str) -> str:
    """The same code with a different, wrong last character."""
    alphabet = USCC_CHARSET if len(code) == 18 else "0123456789"
    options = [ch for ch in alphabet if ch != code[-1]]
    return code[:-1] + options[sum(map(ord, code)) % len(options)]


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# ---------------------------------------------------------------------------------------------------------
# Public data model
# ---------------------------------------------------------------------------------------------------------

Outcome = Literal["accepted", "rejected", "duplicate"]


@dataclass
class Department:
    """A data-providing department of the registry."""

    code: str
    name: str
    region_code: str
    level: str
    is_regulator: bool
    supervisor_emails: list[str]


@dataclass
class Subject:
    """A market subject of the register."""

    uscc: str
    name: str
    region_code: str
    type: str
    reg_no: str | None
    legal_rep: str


@dataclass
class ExpectedRow:
    """Ground truth for one data row of an upload (or a production list)."""

    row_number: int
    outcome: Outcome
    reason_hint: str | None
    doc_no: str | None
    production_date: date | None
    late_collection: bool | None
    # True: attributable to a registered subject; False: accepted but unattributable (held); None: n/a.
    attributable: bool | None = None


@dataclass
class UploadFile:
    """One file as a department would put it into the intake bucket."""

    department_code: str
    category: str
    file_name: str
    content: bytes
    encoding: str  # "utf-8", "utf-8-sig", "gb18030", "gbk", "xlsx", "jsonl" ("binary" for malformed files)
    header_style: str  # "chinese", "sgs2016", "sgs2019", "saic", "snake"
    expected: list[ExpectedRow]
    header_row: int = 1  # physical row of the header (XLSX with a title: 3; JSONL: 0)
    malformed_reason_hint: str | None = None
    uploaded_by: str | None = None  # set when someone other than the folder's department uploads it

    @property
    def key(self) -> str:
        """Object key in the intake bucket."""
        return f"incoming/{self.department_code}/{self.category}/{self.file_name}"


@dataclass
class DemoData:
    """Registry, register, uploads, production lists and malformed files of one generated province."""

    today: date
    departments: list[Department]
    subjects: list[Subject]
    uploads: list[UploadFile]
    ledgers: list[UploadFile]
    malformed: list[UploadFile] = field(default_factory=list)
    never_collected: list[str] = field(default_factory=list)  # doc numbers in ledgers that no upload carries

    def department(self, name: str) -> Department:
        """The department with this exact name."""
        return next(d for d in self.departments if d.name == name)

    def departments_csv(self) -> bytes:
        """Department registry file, English headers, UTF-8."""
        return self._departments_csv(("code", "name", "region_code", "level", "is_regulator", "supervisor_emails"))

    def departments_csv_chinese(self) -> bytes:
        """Department registry file, Chinese headers, UTF-8."""
        return self._departments_csv(
            ("统一社会信用代码", "部门名称", "行政区划代码", "层级", "是否市场监管部门", "督查联系人")
        )

    def _departments_csv(self, headers: Sequence[str]) -> bytes:
        rows = [
            [
                d.code,
                d.name,
                d.region_code,
                d.level,
                "true" if d.is_regulator else "false",
                ";".join(d.supervisor_emails),
            ]
            for d in self.departments
        ]
        return _csv_bytes(headers, rows, "utf-8")

    def subjects_csv(self) -> bytes:
        """Market-subject register, English headers, UTF-8."""
        headers = ("uscc", "name", "region_code", "type", "reg_no", "legal_rep")
        return _csv_bytes(headers, [self._subject_row(s) for s in self.subjects], "utf-8")

    def subjects_xlsx(self) -> bytes:
        """Market-subject register as XLSX with Chinese headers in row 1."""
        headers = ("统一社会信用代码", "名称", "行政区划代码", "类型", "注册号", "法定代表人")
        return _xlsx_bytes(None, list(headers), [list(self._subject_row(s)) for s in self.subjects])

    @staticmethod
    def _subject_row(s: Subject) -> list[str]:
        return [s.uscc, s.name, s.region_code, s.type, s.reg_no or "", s.legal_rep]


# ---------------------------------------------------------------------------------------------------------
# Static facts: regions, departments, vocabularies
# ---------------------------------------------------------------------------------------------------------

# county code -> (full name incl. city where a clerk would write it, short name used in enterprise names, towns)
_COUNTIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "350102": ("福州市鼓楼区", "福州", ("东街街道", "温泉街道", "五凤街道")),
    "350103": ("福州市台江区", "福州", ("上海街道", "宁化街道")),
    "350104": ("福州市仓山区", "福州", ("城门镇", "盖山镇", "建新镇")),
    "350105": ("福州市马尾区", "福州马尾", ("亭江镇", "琅岐镇")),
    "350111": ("福州市晋安区", "福州", ("新店镇", "宦溪镇")),
    "350112": ("福州市长乐区", "福州长乐", ("营前街道", "潭头镇")),
    "350121": ("闽侯县", "闽侯", ("甘蔗街道", "上街镇", "南屿镇")),
    "350128": ("平潭县", "平潭", ("潭城镇", "苏澳镇", "流水镇")),
    "350181": ("福清市", "福清", ("龙田镇", "江阴镇", "音西街道")),
    "350203": ("厦门市思明区", "厦门", ("鼓浪屿街道", "莲前街道")),
    "350205": ("厦门市海沧区", "厦门海沧", ("新阳街道", "东孚街道")),
    "350206": ("厦门市湖里区", "厦门", ("殿前街道", "禾山街道")),
    "350211": ("厦门市集美区", "厦门集美", ("杏林街道", "灌口镇")),
    "350212": ("厦门市同安区", "厦门同安", ("大同街道", "五显镇")),
    "350213": ("厦门市翔安区", "厦门翔安", ("新店街道", "马巷街道")),
    "350302": ("莆田市城厢区", "莆田", ("华亭镇", "灵川镇")),
    "350322": ("仙游县", "仙游", ("榜头镇", "鲤城街道")),
    "350404": ("三明市三元区", "三明", ("莘口镇", "中村乡")),
    "350481": ("永安市", "永安", ("燕西街道", "贡川镇")),
    "350502": ("泉州市鲤城区", "泉州", ("开元街道", "江南街道")),
    "350503": ("泉州市丰泽区", "泉州", ("东海街道", "城东街道")),
    "350521": ("惠安县", "惠安", ("崇武镇", "螺城镇")),
    "350524": ("安溪县", "安溪", ("城厢镇", "感德镇", "西坪镇")),
    "350526": ("德化县", "德化", ("浔中镇", "龙浔镇")),
    "350581": ("石狮市", "石狮", ("宝盖镇", "灵秀镇")),
    "350582": ("晋江市", "晋江", ("陈埭镇", "安海镇", "磁灶镇")),
    "350583": ("南安市", "南安", ("水头镇", "官桥镇")),
    "350602": ("漳州市芗城区", "漳州", ("石亭镇", "天宝镇")),
    "350604": ("漳州市龙海区", "漳州龙海", ("石码街道", "角美镇")),
    "350623": ("漳浦县", "漳浦", ("绥安镇", "旧镇镇")),
    "350702": ("南平市延平区", "南平", ("水南街道", "王台镇")),
    "350782": ("武夷山市", "武夷山", ("星村镇", "兴田镇")),
    "350802": ("龙岩市新罗区", "龙岩", ("西城街道", "雁石镇")),
    "350881": ("漳平市", "漳平", ("菁城街道", "永福镇")),
    "350902": ("宁德市蕉城区", "宁德", ("蕉南街道", "漳湾镇")),
    "350982": ("福鼎市", "福鼎", ("点头镇", "太姥山镇")),
}
# ID numbers carry the birthplace code valid in the birth year (1985 on): codes that existed by then.
_ID_REGIONS = ("350102", "350103", "350104", "350121", "350203", "350322", "350502", "350521", "350524", "350602")
# Where subjects live; weights approximate economic density (Fuzhou, Xiamen, Quanzhou) and make sure the
# county-level departments (鼓楼, 平潭) have enough subjects in their own jurisdiction.
_REGION_WEIGHTS: dict[str, int] = dict.fromkeys(_COUNTIES, 2) | {
    "350102": 14,
    "350128": 10,
    "350104": 4,
    "350111": 4,
    "350181": 4,
    "350205": 6,
    "350206": 5,
    "350203": 4,
    "350582": 8,
    "350503": 4,
    "350581": 4,
    "350524": 3,
}


@dataclass(frozen=True)
class _DeptSeed:
    key: str
    name: str
    region: str
    level: str
    regulator: bool
    abbr: str  # prefix of its document numbers, e.g. 闽环罚〔2026〕12号
    theme: str  # content vocabulary
    emails: tuple[str, ...]


_DEPARTMENT_SEEDS: tuple[_DeptSeed, ...] = (
    _DeptSeed(
        "fj_amr", "福建省市场监督管理局", "350000", "province", True, "闽市监", "market", ("duban@fj.example.cn",)
    ),
    _DeptSeed(
        "fz_amr",
        "福州市市场监督管理局",
        "350100",
        "city",
        True,
        "榕市监",
        "market",
        ("duban@fz.example.cn", "xinyong@fz.example.cn"),
    ),
    _DeptSeed("xm_amr", "厦门市市场监督管理局", "350200", "city", True, "厦市监", "market", ("duban@xm.example.cn",)),
    _DeptSeed(
        "fj_env",
        "福建省生态环境厅",
        "350000",
        "province",
        False,
        "闽环",
        "env",
        ("duban@fj.example.cn", "sthj.duban@fj.example.cn"),
    ),
    _DeptSeed(
        "fj_transport", "福建省交通运输厅", "350000", "province", False, "闽交", "transport", ("duban@fj.example.cn",)
    ),
    _DeptSeed(
        "fj_tax", "国家税务总局福建省税务局", "350000", "province", False, "闽税", "tax", ("duban@fj.example.cn",)
    ),
    _DeptSeed("fz_env", "福州市生态环境局", "350100", "city", False, "榕环", "env", ("duban@fz.example.cn",)),
    _DeptSeed(
        "gl_amr",
        "福州市鼓楼区市场监督管理局",
        "350102",
        "county",
        True,
        "榕鼓市监",
        "market",
        ("duban@gl.fz.example.cn",),
    ),
    _DeptSeed("qz_safety", "泉州市应急管理局", "350500", "city", False, "泉应急", "safety", ("duban@qz.example.cn",)),
    _DeptSeed(
        "pt_amr", "平潭综合实验区市场监督管理局", "350128", "city", True, "岚市监", "market", ("duban@pt.example.cn",)
    ),
    _DeptSeed("fj_ip", "福建省知识产权局", "350000", "province", False, "闽知", "ip", ("duban@fj.example.cn",)),
    _DeptSeed(
        "fj_housing", "福建省住房和城乡建设厅", "350000", "province", False, "闽建", "housing", ("duban@fj.example.cn",)
    ),
)
_DEPT_BY_KEY = {s.key: s for s in _DEPARTMENT_SEEDS}
# Department codes do not depend on the seed: the registry is the same in every demo.
_DEPT_CODES = {
    s.key: make_uscc(random.Random(f"guiji-department-{s.key}"), dept="1", region=s.region) for s in _DEPARTMENT_SEEDS
}

_SURNAMES = "陈陈陈林林林黄黄张李王吴刘蔡杨郑许谢洪郭邱曾廖赖周徐苏叶庄吕江何罗高"
_GIVEN = "建国志明丽华伟芳文秀英金玉淑德春美海燕平勇军强辉斌婷静敏杰涛鹏荣福宝清雅惠泽宇晨阳鑫琳凯峰"
_BRAND_CHARS = "昌华闽兴鑫源恒通海峡榕信嘉禾鹭岛永盛泰和瑞丰宏达联创金天宇龙腾福鸿运新峰东清汇安晟晋泉九冠凯德祥裕隆顺益广利佳美远航致博"
_INDUSTRIES = (
    "环保科技",
    "贸易",
    "建设工程",
    "食品",
    "物流",
    "电子科技",
    "信息技术",
    "机械制造",
    "纺织",
    "鞋业",
    "茶业",
    "水产",
    "医药",
    "建材",
    "家具",
    "文化传媒",
    "餐饮管理",
    "新能源科技",
    "包装材料",
    "石材",
)
_SHOPS = (
    "鞋服店",
    "便利店",
    "小吃店",
    "茶叶店",
    "五金店",
    "水果店",
    "理发店",
    "服装店",
    "餐馆",
    "汽车修理店",
    "建材经营部",
)
_COOP_PRODUCTS = ("茶叶", "果蔬", "水产养殖", "食用菌", "花卉", "生猪养殖", "蜜柚", "茉莉花", "槟榔芋")
_BANKS = (
    ("中国工商银行股份有限公司福州鼓楼支行", "350102"),
    ("兴业银行股份有限公司福州分行", "350103"),
    ("福建海峡银行股份有限公司", "350103"),
    ("中国农业银行股份有限公司晋江分行", "350582"),
    ("厦门国际银行股份有限公司", "350203"),
    ("泉州银行股份有限公司", "350503"),
)

# theme -> (违法行为类型, 处罚依据, 处罚类别)
_PENALTY_THEMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "env": (
        ("超标排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条", "罚款"),
        ("未按规定设置危险废物识别标志", "《中华人民共和国固体废物污染环境防治法》第一百一十二条", "警告;罚款"),
        ("未依法取得排污许可证排放污染物", "《排污许可管理条例》第三十三条", "罚款"),
        ("建设项目未依法进行环境影响评价擅自开工建设", "《中华人民共和国环境影响评价法》第三十一条", "罚款"),
    ),
    "transport": (
        ("未取得道路运输经营许可擅自从事道路运输经营", "《中华人民共和国道路运输条例》第六十三条", "罚款"),
        ("道路运输车辆未按规定进行定期检验", "《中华人民共和国道路运输条例》第七十条", "警告;罚款"),
        ("超限运输车辆擅自行驶公路", "《公路安全保护条例》第六十四条", "罚款"),
    ),
    "safety": (
        ("未按规定对从业人员进行安全生产教育和培训", "《中华人民共和国安全生产法》第九十七条", "罚款"),
        ("未对重大危险源登记建档", "《中华人民共和国安全生产法》第一百零一条", "责令停产停业"),
        ("未建立事故隐患排查治理制度", "《中华人民共和国安全生产法》第一百零一条", "警告;罚款"),
        ("未按规定配备安全生产管理人员", "《中华人民共和国安全生产法》第九十七条", "罚款"),
        ("特种作业人员未持证上岗", "《中华人民共和国安全生产法》第九十七条", "罚款"),
    ),
    "market": (
        ("销售不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百二十四条", "罚款"),
        ("发布虚假广告", "《中华人民共和国广告法》第五十五条", "罚款"),
        ("销售侵犯注册商标专用权的商品", "《中华人民共和国商标法》第六十条", "罚款"),
        ("未按规定标明价格", "《明码标价和禁止价格欺诈规定》第二十二条", "警告"),
    ),
    "tax": (("未按照规定期限办理纳税申报和报送纳税资料", "《中华人民共和国税收征收管理法》第六十二条", "罚款"),),
    "housing": (("未按照工程建设强制性标准施工", "《建设工程质量管理条例》第六十四条", "罚款"),),
    "ip": (("冒充专利", "《中华人民共和国专利法》第六十八条", "罚款"),),
}
# theme -> (许可文书名称, 许可类别, 许可内容)
_LICENSE_THEMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "env": (
        ("排污许可证", "普通", "排污许可（重点管理），主要污染物：化学需氧量、氨氮"),
        ("建设项目环境影响报告书审批", "普通", "同意该建设项目按报告书所列性质、规模、地点建设"),
    ),
    "tax": (("增值税专用发票最高开票限额审批", "普通", "最高开票限额十万元"),),
    "housing": (("建筑业企业资质证书", "认可", "建筑工程施工总承包三级"), ("安全生产许可证", "普通", "建筑施工")),
    "market": (("食品经营许可证", "普通", "预包装食品（含冷藏冷冻食品）销售"), ("工业产品生产许可证", "普通", "水泥")),
    "transport": (("道路运输经营许可证", "普通", "道路普通货物运输"),),
    "safety": (("危险化学品经营许可证", "普通", "经营（不带储存设施）：汽油、柴油"),),
    "ip": (("专利代理机构执业许可", "普通", "专利代理"),),
}
_ABNORMAL_IN = (
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "未在市场监督管理部门依照《企业信息公示暂行条例》第十条规定责令的期限内公示有关企业信息",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "通过登记的住所或者经营场所无法联系",
)
_ABNORMAL_OUT = (
    "补报未报年份的年度报告并公示",
    "依法办理住所或者经营场所变更登记",
    "提出通过登记的住所可以重新取得联系",
)
_SPOT_TYPES = ("定向抽查", "不定向抽查", "双随机抽查")
_SPOT_RESULTS = ("未发现问题", "发现问题已责令改正", "未按规定公示应当公示的信息", "通过登记的住所（经营场所）无法联系")
_OTHER_KINDS = ("道路运输企业质量信誉考核", "安全生产标准化达标", "水路运输企业信用评价")

# ---------------------------------------------------------------------------------------------------------
# Header tables: internal key -> header, per category and style (domain.md §a). The snake_case style uses the
# canonical field names documented in shared/columns.py (written, not imported: the generator stays independent).
# ---------------------------------------------------------------------------------------------------------

_Cols = tuple[tuple[str, str], ...]

_HEADERS: dict[Category, dict[str, _Cols]] = {
    Category.PENALTY: {
        "chinese": (
            ("subject_name", "行政相对人名称"),
            ("subject_kind", "行政相对人类别"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "工商注册号"),
            ("legal_rep", "法定代表人"),
            ("id_type", "证件类型"),
            ("id_no", "证件号码"),
            ("doc_no", "行政处罚决定书文号"),
            ("violation", "违法行为类型"),
            ("facts", "违法事实"),
            ("basis", "处罚依据"),
            ("penalty_type", "处罚类别"),
            ("content", "处罚内容"),
            ("fine", "罚款金额（万元）"),
            ("prod_date", "处罚决定日期"),
            ("authority", "处罚机关"),
            ("remarks", "备注"),
        ),
        "sgs2016": (
            ("subject_name", "CF_XDR_MC"),
            ("uscc", "CF_XDR_SHXYM"),
            ("reg_no", "CF_XDR_GSDJ"),
            ("legal_rep", "CF_FR"),
            ("doc_no", "CF_WSH"),
            ("penalty_name", "CF_CFMC"),
            ("facts", "CF_SY"),
            ("basis", "CF_YJ"),
            ("penalty_type", "CF_CFLB1"),
            ("content", "CF_JG"),
            ("prod_date", "CF_JDRQ"),
            ("authority", "CF_XZJG"),
            ("status", "CF_ZT"),
            ("area_code", "DFBM"),
            ("stamp", "SJC"),
            ("remarks", "BZ"),
        ),
        "sgs2019": (
            ("subject_name", "CF_XDR_MC"),
            ("subject_kind", "CF_XDR_LB"),
            ("uscc", "CF_XDR_SHXYM"),
            ("reg_no", "CF_XDR_GSZC"),
            ("legal_rep", "CF_FRDB"),
            ("id_type", "CF_XDR_ZJLX"),
            ("id_no", "CF_XDR_ZJHM"),
            ("doc_no", "CF_WSH"),
            ("violation", "CF_WFXW"),
            ("facts", "CF_SY"),
            ("basis", "CF_YJ"),
            ("penalty_type", "CF_CFLB"),
            ("content", "CF_NR"),
            ("fine", "CF_NR_FK"),
            ("prod_date", "CF_JDRQ"),
            ("authority", "CF_CFJG"),
            ("authority_code", "CF_CFJGDM"),
            ("source", "CF_SJLY"),
            ("source_code", "CF_SJLYDM"),
            ("remarks", "BZ"),
        ),
        "saic": (
            ("subject_name", "EntName"),
            ("uscc", "UniSCID"),
            ("reg_no", "RegNO"),
            ("legal_rep", "LeRep"),
            ("doc_no", "PenDecNo"),
            ("violation", "IllegActType"),
            ("content", "PenContent"),
            ("fine", "PenAm"),
            ("prod_date", "PenDecIssDate"),
            ("authority", "PenAuth"),
        ),
        "snake": (
            ("subject_name", "name"),
            ("subject_kind", "subject_category"),
            ("uscc", "uscc"),
            ("reg_no", "reg_no"),
            ("legal_rep", "legal_rep"),
            ("id_type", "id_type"),
            ("id_no", "id_number"),
            ("doc_no", "doc_no"),
            ("violation", "violation_type"),
            ("basis", "basis"),
            ("penalty_type", "penalty_kind"),
            ("content", "result"),
            ("fine", "fine_amount"),
            ("prod_date", "decision_date"),
            ("authority", "authority"),
            ("remarks", "remarks"),
        ),
    },
    Category.LICENSE: {
        "chinese": (
            ("subject_name", "行政相对人名称"),
            ("subject_kind", "行政相对人类别"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "工商注册号"),
            ("legal_rep", "法定代表人"),
            ("doc_no", "行政许可决定书文号"),
            ("license_name", "行政许可决定文书名称"),
            ("license_type", "许可类别"),
            ("content", "许可内容"),
            ("prod_date", "许可决定日期"),
            ("valid_from", "有效期自"),
            ("valid_to", "有效期至"),
            ("authority", "许可机关"),
            ("remarks", "备注"),
        ),
        "sgs2016": (
            ("subject_name", "XK_XDR"),
            ("uscc", "XK_XDR_SHXYM"),
            ("reg_no", "XK_XDR_GSDJ"),
            ("legal_rep", "XK_FR"),
            ("doc_no", "XK_WSH"),
            ("license_name", "XK_XMMC"),
            ("license_type", "XK_SPLB"),
            ("content", "XK_NR"),
            ("prod_date", "XK_JDRQ"),
            ("valid_to", "XK_JZQ"),
            ("authority", "XK_XZJG"),
            ("status", "XK_ZT"),
            ("area_code", "DFBM"),
            ("stamp", "SJC"),
            ("remarks", "BZ"),
        ),
        "sgs2019": (
            ("subject_name", "XK_XDR_MC"),
            ("subject_kind", "XK_XDR_LB"),
            ("uscc", "XK_XDR_SHXYM"),
            ("reg_no", "XK_XDR_GSZC"),
            ("legal_rep", "XK_FRDB"),
            ("doc_no", "XK_WSH"),
            ("license_name", "XK_XKWS"),
            ("license_no", "XK_XKBH"),
            ("license_type", "XK_XKLB"),
            ("content", "XK_NR"),
            ("prod_date", "XK_JDRQ"),
            ("valid_from", "XK_YXQZ"),
            ("valid_to", "XK_YXQZI"),
            ("authority", "XK_XKJG"),
            ("authority_code", "XK_XKJGDM"),
            ("status", "XK_ZT"),
            ("source", "XK_LYDW"),
            ("source_code", "XK_LYDWDM"),
            ("remarks", "BZ"),
        ),
        "snake": (
            ("subject_name", "name"),
            ("uscc", "uscc"),
            ("reg_no", "reg_no"),
            ("legal_rep", "legal_rep"),
            ("doc_no", "doc_no"),
            ("license_name", "doc_name"),
            ("license_type", "license_kind"),
            ("content", "content"),
            ("prod_date", "decision_date"),
            ("valid_from", "valid_from"),
            ("valid_to", "valid_to"),
            ("authority", "authority"),
        ),
    },
    Category.REGISTRATION: {
        "chinese": (
            ("uscc", "统一社会信用代码"),
            ("reg_no", "注册号"),
            ("subject_name", "企业名称"),
            ("ent_type", "企业类型"),
            ("legal_rep", "法定代表人"),
            ("capital", "注册资本（万元）"),
            ("est_date", "成立日期"),
            ("prod_date", "核准日期"),
            ("doc_no", "登记编号"),
            ("authority", "登记机关"),
            ("state", "登记状态"),
            ("address", "住所"),
            ("scope", "经营范围"),
        ),
    },
    Category.CHATTEL_MORTGAGE: {
        "chinese": (
            ("doc_no", "登记编号"),
            ("prod_date", "登记日期"),
            ("authority", "登记机关"),
            ("subject_name", "企业名称"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "注册号"),
            ("legal_rep", "法定代表人"),
            ("mortgagee", "抵押权人名称"),
            ("debt_kind", "被担保债权种类"),
            ("amount", "被担保债权数额（万元）"),
            ("valid_from", "债务人履行债务的期限自"),
            ("valid_to", "债务人履行债务的期限至"),
            ("collateral", "抵押物名称"),
            ("state", "状态"),
        ),
    },
    Category.EQUITY_PLEDGE: {
        "saic": (
            ("subject_name", "EntName"),
            ("uscc", "UniSCID"),
            ("reg_no", "RegNO"),
            ("doc_no", "OrderNO"),
            ("pledgor", "Pledgor"),
            ("pledgor_no", "PleBLicNO"),
            ("amount", "ImpAm"),
            ("pledgee", "ImpOrg"),
            ("pledgee_no", "ImpBLicNO"),
            ("prod_date", "EquPleDate"),
            ("state", "Status"),
        ),
    },
    Category.IP_PLEDGE: {
        "chinese": (
            ("subject_name", "企业名称"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "注册号"),
            ("doc_no", "知识产权登记证号"),
            ("ip_name", "知识产权名称"),
            ("ip_kind", "种类"),
            ("pledgor", "出质人名称"),
            ("pledgee", "质权人名称"),
            ("prod_date", "质权登记期限自"),
            ("valid_to", "质权登记期限至"),
            ("state", "状态"),
        ),
    },
    Category.TRADEMARK: {
        "snake": (
            ("subject_name", "name"),
            ("uscc", "uscc"),
            ("reg_no", "reg_no"),
            ("doc_no", "doc_no"),
            ("tm_name", "mark_name"),
            ("tm_class", "class_no"),
            ("goods", "goods"),
            ("issue", "announce_issue"),
            ("prod_date", "announce_date"),
            ("valid_from", "exclusive_from"),
            ("valid_to", "exclusive_to"),
        ),
    },
    Category.ABNORMAL_OPERATION: {
        "saic": (
            ("subject_name", "EntName"),
            ("uscc", "UniSCID"),
            ("reg_no", "RegNO"),
            ("legal_rep", "LeRep"),
            ("in_reason", "SpeCauseCN"),
            ("prod_date", "AbnTime"),
            ("authority", "DecorgCN"),
            ("doc_no", "PenDecNo"),
            ("out_reason", "RemExcpresCN"),
            ("out_date", "RemDate"),
            ("out_authority", "ReDecOrgCN"),
        ),
        "chinese": (
            ("subject_name", "企业名称"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "注册号"),
            ("legal_rep", "法定代表人"),
            ("in_reason", "列入经营异常名录原因"),
            ("prod_date", "列入日期"),
            ("authority", "作出决定机关（列入）"),
            ("doc_no", "决定文号"),
            ("out_reason", "移出经营异常名录原因"),
            ("out_date", "移出日期"),
            ("out_authority", "作出决定机关（移出）"),
        ),
    },
    Category.SERIOUS_VIOLATION: {
        "chinese": (
            ("subject_name", "企业名称"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "注册号"),
            ("legal_rep", "法定代表人"),
            ("sv_kind", "类别"),
            ("in_reason", "列入严重违法失信企业名单原因"),
            ("prod_date", "列入日期"),
            ("doc_no", "列入文号"),
            ("authority", "作出决定机关（列入）"),
            ("out_reason", "移出原因"),
            ("out_date", "移出日期"),
            ("out_authority", "作出决定机关（移出）"),
        ),
    },
    Category.SPOT_CHECK: {
        "chinese": (
            ("subject_name", "企业名称"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "注册号"),
            ("doc_no", "检查编号"),
            ("authority", "检查实施机关"),
            ("spot_type", "抽查检查类型"),
            ("prod_date", "抽查检查日期"),
            ("result", "抽查检查结果"),
        ),
    },
    Category.OTHER: {
        "chinese": (
            ("subject_name", "企业名称"),
            ("uscc", "统一社会信用代码"),
            ("reg_no", "注册号"),
            ("info_kind", "信息类别"),
            ("doc_no", "文号"),
            ("prod_date", "信息产生日期"),
            ("content", "内容"),
            ("authority", "作出决定机关"),
        ),
    },
}
_LEDGER_HEADERS = ("记录编号", "信息类别", "产生日期")

# Invalid-row tags usable in any file that has the needed columns, and tags tied to one kind of column.
_GENERIC_REJECTS = (
    "bad_uscc_check",
    "missing_name",
    "future_date",
    "bad_date",
    "missing_doc_no",
    "region_unknown",
    "bad_reg_no",
)
_CODE_CASES = ("lowercase_uscc", "fullwidth_uscc", "spaced_uscc")
# Exports of these categories often carry no 文号 (gsxt shows none): a row without one is still a record.
_DOC_OPTIONAL = frozenset(
    {
        Category.ABNORMAL_OPERATION,
        Category.SERIOUS_VIOLATION,
        Category.SPOT_CHECK,
        Category.REGISTRATION,
        Category.OTHER,
    }
)

# ---------------------------------------------------------------------------------------------------------
# Upload plan
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FilePlan:
    dept: str
    category: Category
    style: str
    encoding: str
    name: str  # file name pattern: {Y} year, {M} month (2 digits), {D} yyyymmdd
    forced: tuple[str, ...] = ()  # row tags that must appear in this file
    title: str | None = None  # XLSX title row


_PLANS: tuple[_FilePlan, ...] = (
    _FilePlan(
        "fj_amr", Category.REGISTRATION, "chinese", "utf-8-sig", "{Y}年{M}月企业登记信息.csv", ("lowercase_uscc",)
    ),
    _FilePlan("fz_amr", Category.CHATTEL_MORTGAGE, "chinese", "utf-8", "动产抵押登记_{D}.csv", ("bad_amount",)),
    _FilePlan(
        "fz_amr", Category.EQUITY_PLEDGE, "saic", "utf-8", "SpPledge_{D}.csv", ("bad_amount", "placeholder_uscc")
    ),
    _FilePlan(
        "gl_amr", Category.ABNORMAL_OPERATION, "saic", "gbk", "经营异常名录_{Y}{M}.csv", ("list_out", "list_out")
    ),
    _FilePlan(
        "xm_amr",
        Category.SERIOUS_VIOLATION,
        "chinese",
        "xlsx",
        "严重违法失信名单_{Y}{M}.xlsx",
        ("list_out", "bad_date"),
        "{Y}年{M}月严重违法失信企业名单报送表",
    ),
    _FilePlan("xm_amr", Category.PENALTY, "saic", "utf-8", "PenaltyExport_{D}.csv", ("spaced_uscc",)),
    _FilePlan("fj_env", Category.LICENSE, "sgs2016", "gb18030", "双公示_行政许可_{D}.csv", ("rare_char",)),
    _FilePlan(
        "fj_env",
        Category.PENALTY,
        "chinese",
        "xlsx",
        "{Y}年{M}月行政处罚信息报送表.xlsx",
        ("natural_person", "natural_person", "bad_amount", "unknown_penalty_type", "bad_date", "fullwidth_uscc"),
        "{Y}年{M}月行政处罚信息报送表",
    ),
    _FilePlan("fj_transport", Category.PENALTY, "sgs2016", "gbk", "行政处罚_{D}.csv", ("unknown_penalty_type",)),
    _FilePlan("fj_transport", Category.OTHER, "chinese", "utf-8", "其他涉企信息_{Y}{M}.csv", ("statistical_excluded",)),
    _FilePlan("fj_tax", Category.LICENSE, "sgs2019", "utf-8", "XK_{D}.csv", ("placeholder_uscc", "unknown_subject")),
    _FilePlan(
        "fz_env",
        Category.PENALTY,
        "sgs2019",
        "utf-8-sig",
        "CF_{D}.csv",
        ("natural_person", "bad_amount", "name_mismatch", "region_unknown"),
    ),
    _FilePlan(
        "qz_safety",
        Category.PENALTY,
        "snake",
        "utf-8",
        "penalty_{D}.csv",
        ("duplicate", "correction", "bad_amount", "unknown_penalty_type", "natural_person"),
    ),
    _FilePlan(
        "qz_safety", Category.SPOT_CHECK, "chinese", "gb18030", "抽查检查结果_{Y}{M}.csv", ("statistical_excluded",)
    ),
    _FilePlan(
        "fj_ip", Category.TRADEMARK, "snake", "jsonl", "trademark_{D}.jsonl", ("lowercase_uscc", "unknown_subject")
    ),
    _FilePlan(
        "fj_ip",
        Category.IP_PLEDGE,
        "chinese",
        "xlsx",
        "知识产权出质登记_{Y}{M}.xlsx",
        ("future_date",),
        "{Y}年{M}月知识产权出质登记信息报送表",
    ),
    _FilePlan("pt_amr", Category.LICENSE, "chinese", "gbk", "行政许可_{Y}{M}.csv", ("bad_reg_no",)),
    _FilePlan("fj_housing", Category.LICENSE, "snake", "utf-8", "building_licenses_{D}.csv", ("spaced_uscc",)),
)
# (department, encoding, category names as 中文 or slug)
_LEDGER_PLANS: tuple[tuple[str, str, bool], ...] = (
    ("fj_env", "utf-8-sig", True),
    ("fj_tax", "utf-8", False),
    ("qz_safety", "gbk", True),
)
_NEVER_COLLECTED_PER_LEDGER = 2

# ---------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------

_SPRING_FESTIVAL = {  # 正月初一
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
LATE_AGE_DAYS = 21  # produced at least this many calendar days before collection: surely late (> 7 working days)
ON_TIME_AGE_DAYS = 3  # produced at most this many days before collection: surely on time


def festival_days(today: date) -> list[date]:
    """Days around Spring Festival and National Day of this and last year, up to `today` (sorted)."""
    days: set[date] = set()
    for year in (today.year - 1, today.year):
        spring = _SPRING_FESTIVAL.get(year)
        if spring is not None:
            days.update(spring + timedelta(days=k) for k in range(-3, 10))
        days.update(date(year, 9, 27) + timedelta(days=k) for k in range(14))
    return sorted(d for d in days if d <= today)


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def late_by_age(production: date, today: date, *, is_regulator: bool) -> bool | None:
    """Collection lateness that holds whatever the holiday calendar, or None when it depends on it."""
    if is_regulator:
        return None
    age = (today - production).days
    if age >= LATE_AGE_DAYS:
        return True
    if 0 <= age <= ON_TIME_AGE_DAYS:
        return False
    return None


@dataclass
class _Row:
    values: dict[str, object]
    outcome: Outcome = "accepted"
    reason_hint: str | None = None
    doc_no: str | None = None
    production_date: date | None = None
    late: bool | None = None
    attributable: bool | None = True
    date_format: int = 0


class _Generator:
    """Holds the random state; one instance per `generate` call."""

    def __init__(self, today: date, seed: int, n_subjects: int, rows_per_file: int) -> None:
        self.today = today
        self.rng = random.Random(seed)
        self.rows_per_file = max(1, rows_per_file)
        self.used_names: set[str] = set()
        self.counters: dict[str, int] = {}
        self.departments = [
            Department(_DEPT_CODES[s.key], s.name, s.region, s.level, s.regulator, list(s.emails))
            for s in _DEPARTMENT_SEEDS
        ]
        self.dept_by_key = {s.key: d for s, d in zip(_DEPARTMENT_SEEDS, self.departments, strict=True)}
        # Every 8th subject is an old enterprise with a 注册号, so 注册号-only matching always has candidates.
        self.subjects = [
            self._new_subject(kind="enterprise" if i % 8 == 0 else None, legacy=i % 8 == 0)
            for i in range(max(n_subjects, 12))
        ]
        self.festivals = festival_days(today)
        self.generic_cycle = list(_GENERIC_REJECTS)
        self.rng.shuffle(self.generic_cycle)
        self.generic_pos = 0

    # -- people, names, subjects ---------------------------------------------------------------------------

    def person(self) -> str:
        """A Fujian-flavoured personal name."""
        given = self.rng.choice(_GIVEN) + (self.rng.choice(_GIVEN) if self.rng.random() < 0.8 else "")
        return self.rng.choice(_SURNAMES) + given

    def _brand(self) -> str:
        a, b = self.rng.sample(_BRAND_CHARS, 2)
        return a + b

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            name = make()
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("name space exhausted")

    def _new_subject(self, *, kind: str | None = None, legacy: bool = False) -> Subject:
        rng = self.rng
        regions = list(_REGION_WEIGHTS)
        region = rng.choices(regions, weights=[_REGION_WEIGHTS[r] for r in regions])[0]
        full, short, towns = _COUNTIES[region]
        if kind is None:
            roll = rng.random()
            kind = "enterprise" if roll < 0.7 else "individual_business" if roll < 0.9 else "cooperative"
        if kind == "enterprise":
            if rng.random() < 0.12:
                name = self._unique(lambda: f"福建{self._brand()}{rng.choice(_INDUSTRIES)}有限公司")
            else:
                name = self._unique(lambda: f"{short}{self._brand()}{rng.choice(_INDUSTRIES)}有限公司")
            code = make_uscc(rng, kind="1", region=region, legacy=legacy or None)
        elif kind == "individual_business":
            name = self._unique(lambda: f"{full}{rng.choice(towns)}{self._brand()}{rng.choice(_SHOPS)}")
            code = make_uscc(rng, kind="2", region=region, legacy=legacy or None)
        else:
            name = self._unique(
                lambda: f"{full}{rng.choice(towns)}{self._brand()}{rng.choice(_COOP_PRODUCTS)}农民专业合作社"
            )
            code = make_uscc(rng, kind="3", region=region, legacy=legacy or None)
        # Only subjects registered before the 2015 reform (old 组织机构代码 bodies) carry a legacy 注册号.
        reg_no = None
        if code[8:10] != "MA" and (legacy or rng.random() < 0.6):
            reg_no = make_reg_no(rng, region, individual=kind == "individual_business")
        return Subject(code, name, region, kind, reg_no, self.person())

    def subject_for(self, dept: Department, kinds: Sequence[str]) -> Subject:
        """A registered subject in the department's jurisdiction (widening when it has too few)."""
        pool = [s for s in self.subjects if s.type in kinds]
        if dept.region_code != "350000":
            prefix = (
                dept.region_code if dept.level == "county" or dept.region_code == "350128" else dept.region_code[:4]
            )
            local = [s for s in pool if s.region_code.startswith(prefix)]
            if len(local) >= 5:
                pool = local
        return self.rng.choice(pool or self.subjects)

    # -- numbers and dates ---------------------------------------------------------------------------------

    def doc_no(self, abbr: str, kind: str, year: int, *, style: str = "plain") -> str:
        """Next document number of a department's series, e.g. 闽环罚〔2026〕128号."""
        series = f"{abbr}{kind}{year}"
        number = self.counters.get(series, self.rng.randrange(40, 400)) + self.rng.randrange(1, 4)
        self.counters[series] = number
        if style == "numbered":
            return f"{abbr}{kind}〔{year}〕第{number:04d}号"
        return f"{abbr}{kind}〔{year}〕{number}号"

    def production_date(self) -> date:
        """A production date: mostly the last 60 days, some around festivals, some very fresh."""
        roll = self.rng.random()
        if roll < 0.1 and self.festivals:
            return self.rng.choice(self.festivals)
        if roll < 0.35:
            return self.today - timedelta(days=self.rng.randint(0, ON_TIME_AGE_DAYS))
        if roll < 0.6:
            return self.today - timedelta(days=self.rng.randint(LATE_AGE_DAYS, 60))
        return self.today - timedelta(days=self.rng.randint(0, 60))

    def trademark_no(self) -> str:
        """A fresh 8-digit 商标注册号."""
        while True:
            number = str(self.rng.randrange(60_000_000, 80_000_000))
            if number not in self.counters:
                self.counters[number] = 1
                return number

    def next_generic(self) -> str:
        tag = self.generic_cycle[self.generic_pos % len(self.generic_cycle)]
        self.generic_pos += 1
        return tag

    # -- rows ----------------------------------------------------------------------------------------------

    def base_values(
        self, seed: _DeptSeed, dept: Department, category: Category, subj: Subject, prod: date
    ) -> dict[str, object]:
        """The canonical values of one valid row (before any mutation)."""
        rng = self.rng
        kind = {"enterprise": "法人及非法人组织", "cooperative": "法人及非法人组织"}.get(subj.type, "个体工商户")
        v: dict[str, object] = {
            "subject_name": subj.name,
            "subject_kind": kind,
            "uscc": subj.uscc,
            "reg_no": subj.reg_no or "",
            "legal_rep": subj.legal_rep,
            "id_type": "",
            "id_no": "",
            "prod_date": prod,
            "authority": dept.name,
            "authority_code": dept.code,
            "source": dept.name,
            "source_code": dept.code,
            "area_code": dept.region_code,
            "stamp": self.today,
            "remarks": "",
        }
        if category is Category.PENALTY:
            violation, basis, ptype = rng.choice(_PENALTY_THEMES[seed.theme])
            fine = rng.choice((0.2, 0.2, 0.5, 0.5, 1.0, 1.0, 2.0, 3.0, 5.0, 10.0)) if "罚款" in ptype else None
            yuan = f"{(fine or 0) * 10000:.0f}"
            content = {"罚款": f"罚款人民币{yuan}元", "警告;罚款": f"警告，并处罚款人民币{yuan}元"}
            v |= {
                "doc_no": self.doc_no(seed.abbr, "罚", prod.year),
                "violation": violation,
                "facts": f"经查，当事人存在{violation}的行为",
                "basis": basis,
                "penalty_type": ptype,
                "penalty_name": f"对{subj.name}{violation}的行政处罚",
                "content": content.get(ptype, "警告" if ptype == "警告" else "责令停产停业整顿"),
                "fine": fine,
                "status": "0",
            }
        elif category is Category.LICENSE:
            lname, ltype, content_text = rng.choice(_LICENSE_THEMES[seed.theme])
            long_term = rng.random() < 0.2
            v |= {
                "doc_no": self.doc_no(seed.abbr, "许", prod.year),
                "license_name": lname,
                "license_no": f"{subj.uscc}{rng.randrange(1, 4):03d}P" if seed.theme == "env" else "",
                "license_type": ltype,
                "content": content_text,
                "valid_from": prod,
                "valid_to": "长期" if long_term else _add_years(prod, 5) - timedelta(days=1),
                "status": "0",
            }
        elif category is Category.REGISTRATION:
            new = rng.random() < 0.7
            v |= {
                "doc_no": self.doc_no(seed.abbr, "登字", prod.year, style="numbered"),
                "ent_type": "有限责任公司（自然人投资或控股）" if subj.type == "enterprise" else "农民专业合作社",
                "capital": rng.choice((10, 50, 100, 200, 500, 1000, 3000)),
                "est_date": prod if new else prod - timedelta(days=rng.randint(400, 4000)),
                "state": "存续（在营、开业、在册）",
                "address": f"{_COUNTIES[subj.region_code][0]}{rng.choice(_COUNTIES[subj.region_code][2])}{rng.randint(1, 300)}号",
                "scope": "一般项目：技术服务、技术开发；货物进出口。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
                "authority": dept.name,
            }
        elif category is Category.CHATTEL_MORTGAGE:
            bank = rng.choice(_BANKS)[0]
            v |= {
                "doc_no": self.doc_no(seed.abbr, "抵登字", prod.year, style="numbered"),
                "mortgagee": bank,
                "debt_kind": rng.choice(("借贷合同", "买卖合同")),
                "amount": float(rng.choice((50, 80, 100, 200, 300, 500, 1200))),
                "valid_from": prod,
                "valid_to": _add_years(prod, rng.choice((1, 2, 3))),
                "collateral": rng.choice(("生产设备一批", "小型普通客车2辆", "库存商品（茶叶）", "注塑机12台")),
                "state": "有效",
            }
        elif category is Category.EQUITY_PLEDGE:
            bank, bank_region = rng.choice(_BANKS)
            holder = rng.choice([s for s in self.subjects if s.type == "enterprise" and s is not subj] or [subj])
            v |= {
                "doc_no": self.doc_no(seed.abbr, "股质登字", prod.year, style="numbered"),
                "pledgor": holder.name,
                "pledgor_no": holder.uscc,
                "amount": float(rng.choice((30, 100, 255, 500, 800))),
                "pledgee": bank,
                "pledgee_no": make_uscc(random.Random(bank), region=bank_region),
                "state": "有效",
            }
        elif category is Category.IP_PLEDGE:
            ip_kind = rng.choice(("商标", "商标", "专利", "著作权"))
            brand = self._brand()
            ip_name = {"商标": f"“{brand}”注册商标", "专利": "一种茶叶杀青装置", "著作权": f"{brand}企业管理系统V1.0"}[
                ip_kind
            ]
            v |= {
                "doc_no": self.doc_no(seed.abbr, "质登字", prod.year, style="numbered"),
                "ip_name": ip_name,
                "ip_kind": ip_kind,
                "pledgor": subj.name,
                "pledgee": rng.choice(_BANKS)[0],
                "valid_to": _add_years(prod, 3),
                "state": "有效",
            }
        elif category is Category.TRADEMARK:
            issue = 1900 + (prod - date(2024, 1, 1)).days // 7
            v |= {
                "doc_no": self.trademark_no(),
                "tm_name": self._brand(),
                "tm_class": rng.choice(("30", "29", "25", "35", "9", "43")),
                "goods": rng.choice(("茶；茶饮料；咖啡", "鞋；服装；帽子", "广告；替他人推销", "计算机软件（已录制）")),
                "issue": str(issue),
                "valid_from": prod,
                "valid_to": _add_years(prod, 10) - timedelta(days=1),
            }
        elif category in (Category.ABNORMAL_OPERATION, Category.SERIOUS_VIOLATION):
            is_abnormal = category is Category.ABNORMAL_OPERATION
            v |= {
                "doc_no": self.doc_no(seed.abbr, "异入" if is_abnormal else "严违入", prod.year, style="numbered"),
                "in_reason": rng.choice(_ABNORMAL_IN) if is_abnormal else "被列入经营异常名录届满3年仍未履行相关义务",
                "sv_kind": "严重违法失信",
                "out_reason": "",
                "out_date": None,
                "out_authority": "",
            }
        elif category is Category.SPOT_CHECK:
            v |= {
                "doc_no": self.doc_no(seed.abbr, "检", prod.year),
                "spot_type": rng.choice(_SPOT_TYPES),
                "result": rng.choice(_SPOT_RESULTS),
            }
        elif category is Category.OTHER:
            v |= {
                "doc_no": self.doc_no(seed.abbr, "信评", prod.year),
                "info_kind": rng.choice(_OTHER_KINDS),
                "content": rng.choice(("AAA级", "AA级", "二级达标", "B级")),
            }
        return v

    def make_row(self, plan: _FilePlan, tag: str | None) -> _Row:
        """One row of a file, valid or carrying the given special case or defect."""
        seed = _DEPT_BY_KEY[plan.dept]
        dept = self.dept_by_key[plan.dept]
        category = plan.category
        kinds = {
            Category.REGISTRATION: ("enterprise", "cooperative"),
            Category.EQUITY_PLEDGE: ("enterprise",),
            Category.ABNORMAL_OPERATION: ("enterprise", "cooperative"),
            Category.SERIOUS_VIOLATION: ("enterprise",),
            Category.TRADEMARK: ("enterprise", "cooperative"),
            Category.IP_PLEDGE: ("enterprise",),
        }.get(category, ("enterprise", "individual_business", "cooperative"))
        subj = self.subject_for(dept, kinds)
        if tag == "lowercase_uscc":  # lower case only shows on codes with letters
            lettered = [s for s in self.subjects if s.type in kinds and any(c.isalpha() for c in s.uscc)]
            subj = self.rng.choice(lettered or [subj])
        elif tag in ("placeholder_uscc", "bad_reg_no"):
            with_reg = [s for s in self.subjects if s.type in kinds and s.reg_no]
            subj = self.rng.choice(with_reg or [subj])
        elif tag == "unknown_subject":
            registered = {s.uscc for s in self.subjects}
            subj = self._new_subject(kind=kinds[0])
            while subj.uscc in registered:
                subj = self._new_subject(kind=kinds[0])
        prod = self.production_date()
        v = self.base_values(seed, dept, category, subj, prod)
        row = _Row(v, doc_no=str(v["doc_no"]), production_date=prod, date_format=self.rng.randrange(4))
        row.late = late_by_age(prod, self.today, is_regulator=dept.is_regulator)
        if plan.style == "sgs2016" and v.get("valid_to") == "长期":
            v["valid_to"] = date(2099, 12, 31)  # the 2016 standard writes 长期 as 2099/12/31
        if plan.style == "sgs2019":
            v["status"] = "1"  # what the 2019+ samples carry in XK_ZT / CF_ZT
        if tag is None:
            return row
        row.reason_hint = tag
        if tag in _REJECT_MUTATIONS:
            _REJECT_MUTATIONS[tag](self, v, subj)
            row.outcome = "rejected"
            row.production_date = None
            row.late = None
            row.attributable = None
            if tag == "missing_doc_no":
                row.doc_no = None
            return row
        # Accepted special cases.
        if tag == "lowercase_uscc":
            v["uscc"] = subj.uscc.lower()
        elif tag == "fullwidth_uscc":
            v["uscc"] = _fullwidth(subj.uscc)
        elif tag == "spaced_uscc":
            code = subj.uscc
            v["uscc"] = f" {code[:2]} {code[2:8]} {code[8:17]} {code[17]} "
        elif tag == "placeholder_uscc":
            v["uscc"] = PLACEHOLDER_USCC
        elif tag == "unknown_subject":
            row.attributable = False
        elif tag == "name_mismatch":
            v["subject_name"] = self._unique(lambda: f"{subj.name[:2]}{self._brand()}贸易有限公司")
            row.attributable = False
        elif tag == "natural_person":
            born = date(self.rng.randint(1985, 2002), self.rng.randint(1, 12), self.rng.randint(1, 28))
            region = self.rng.choice(_ID_REGIONS)
            v |= {
                "subject_name": self.person(),
                "subject_kind": "自然人",
                "uscc": "",
                "reg_no": "",
                "legal_rep": "",
                "id_type": "身份证",
                "id_no": make_id_number(self.rng, region, born),
            }
            if "penalty_name" in v:
                v["penalty_name"] = f"对{v['subject_name']}{v.get('violation', '')}的行政处罚"
            row.attributable = False
        elif tag == "list_out":
            out = prod
            listed = out - timedelta(days=self.rng.randint(90, 900))
            is_abnormal = category is Category.ABNORMAL_OPERATION
            v["prod_date"] = listed
            v["out_date"] = out
            v["out_authority"] = dept.name
            v["out_reason"] = (
                self.rng.choice(_ABNORMAL_OUT) if is_abnormal else "列入严重违法失信企业名单届满，依申请移出"
            )
            if is_abnormal:
                v["doc_no"] = self.doc_no(seed.abbr, "异出", out.year, style="numbered")
            else:
                # The list-out record is identified by the original 列入文号 plus the action 移出.
                v["doc_no"] = self.doc_no(seed.abbr, "严违入", listed.year, style="numbered")
            row.doc_no = str(v["doc_no"])
        elif tag == "rare_char":
            # A rare character (CJK Ext. A) that exists in GB18030 but not in GBK: why departments use GB18030.
            v["remarks"] = "经办人：刘䶮"
            row.reason_hint = None
        return row


def _reject_bad_uscc(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    v["uscc"] = _wrong_check(subj.uscc)


def _reject_missing_name(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    v["subject_name"] = ""
    if "pledgor" in v and v["pledgor"] == subj.name:
        v["pledgor"] = ""


def _reject_future(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    v["prod_date"] = g.today + timedelta(days=g.rng.randint(5, 40))


def _reject_bad_date(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    v["prod_date"] = f"{g.today.year}-13-45"


def _reject_missing_doc(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    v["doc_no"] = ""


def _reject_bad_amount(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    key = "fine" if "fine" in v else "amount"
    v[key] = g.rng.choice((-0.5, "罚款2000元"))
    if key == "fine":
        v["penalty_type"] = "罚款"


def _reject_penalty_type(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    v["penalty_type"] = "约谈整改"


def _reject_statistical(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    if "spot_type" in v:
        v["spot_type"] = "统计抽查"
    else:
        v["info_kind"] = "企业统计年报"


def _reject_region(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    code = subj.uscc
    v["uscc"] = valid_uscc(code[:2] + g.rng.choice(UNKNOWN_REGIONS) + code[8:17])


def _reject_bad_reg_no(g: _Generator, v: dict[str, object], subj: Subject) -> None:
    reg_no = subj.reg_no or make_reg_no(g.rng, subj.region_code)
    v["uscc"] = ""
    v["reg_no"] = _wrong_check(reg_no)


_REJECT_MUTATIONS: dict[str, Callable[[_Generator, dict[str, object], Subject], None]] = {
    "bad_uscc_check": _reject_bad_uscc,
    "missing_name": _reject_missing_name,
    "future_date": _reject_future,
    "bad_date": _reject_bad_date,
    "missing_doc_no": _reject_missing_doc,
    "bad_amount": _reject_bad_amount,
    "unknown_penalty_type": _reject_penalty_type,
    "statistical_excluded": _reject_statistical,
    "region_unknown": _reject_region,
    "bad_reg_no": _reject_bad_reg_no,
}
# Columns a tag needs in the file (by internal key).
_TAG_NEEDS: dict[str, tuple[str, ...]] = {
    "bad_uscc_check": ("uscc",),
    "region_unknown": ("uscc",),
    "bad_reg_no": ("uscc", "reg_no"),
    "placeholder_uscc": ("uscc", "reg_no"),
    "bad_amount": ("fine|amount",),
    "unknown_penalty_type": ("penalty_type",),
    "statistical_excluded": ("spot_type|info_kind",),
    "natural_person": ("subject_kind", "id_no"),
    "list_out": ("out_date",),
    "lowercase_uscc": ("uscc",),
    "fullwidth_uscc": ("uscc",),
    "spaced_uscc": ("uscc",),
    "name_mismatch": ("uscc",),
}


def _applicable(tag: str, keys: set[str]) -> bool:
    return all(any(k in keys for k in need.split("|")) for need in _TAG_NEEDS.get(tag, ()))


# ---------------------------------------------------------------------------------------------------------
# Rendering: CSV / XLSX / JSONL
# ---------------------------------------------------------------------------------------------------------


def _fmt_date(d: date, fmt: int) -> str:
    if fmt == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if fmt == 2:
        return f"{d:%Y%m%d}"
    if fmt == 3:
        return f"{d.year}年{d.month}月{d.day}日"
    return d.isoformat()


def _fmt_number(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def _text_cell(value: object, date_format: int) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return _fmt_date(value, date_format)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _fmt_number(value)
    return str(value)


def _csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


_XLSX_EPOCH = date(1899, 12, 30)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook {_NS} {_NS_R}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
    # Style 1: dates shown as yyyy-mm-dd (a real date cell); style 2: bold title, centred.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<styleSheet {_NS}>"
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="等线"/></font>'
        '<font><b/><sz val="14"/><name val="等线"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
        '<alignment horizontal="center"/></xf></cellXfs>'
        '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def _col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xlsx_bytes(title: str | None, headers: list[str], rows: Sequence[Sequence[object]]) -> bytes:
    """A minimal, deterministic XLSX: optional merged title row and a blank row, then header and data rows."""
    strings: dict[str, int] = {}

    def sst(text: str) -> int:
        return strings.setdefault(text, len(strings))

    def cells(values: Sequence[object], r: int) -> str:
        out = []
        for i, value in enumerate(values):
            ref = f"{_col_letter(i)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, date):
                out.append(f'<c r="{ref}" s="1"><v>{(value - _XLSX_EPOCH).days}</v></c>')
            elif isinstance(value, int | float) and not isinstance(value, bool):
                out.append(f'<c r="{ref}"><v>{_fmt_number(value)}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="s"><v>{sst(str(value))}</v></c>')
        return "".join(out)

    body: list[str] = []
    r = 1
    merge = ""
    if title is not None:
        body.append(f'<row r="1"><c r="A1" t="s" s="2"><v>{sst(title)}</v></c></row>')
        merge = f'<mergeCells count="1"><mergeCell ref="A1:{_col_letter(len(headers) - 1)}1"/></mergeCells>'
        r = 3  # row 2 is left blank, as clerks do under a title
    body.append(f'<row r="{r}">{cells(headers, r)}</row>')
    for values in rows:
        r += 1
        body.append(f'<row r="{r}">{cells(values, r)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<worksheet {_NS} {_NS_R}><sheetData>{''.join(body)}</sheetData>{merge}</worksheet>"
    )
    shared = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
    shared_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst {_NS} count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'
    )
    parts = dict(_XLSX_STATIC) | {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": shared_xml}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in parts.items():
            # A fixed timestamp keeps the bytes identical run after run.
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def _render(plan: _FilePlan, cols: _Cols, rows: list[_Row], today: date) -> tuple[bytes, int]:
    """File bytes and the physical header row."""
    headers = [header for _, header in cols]
    if plan.encoding == "xlsx":
        title = plan.title.format(Y=today.year, M=f"{today.month:02d}") if plan.title else None
        data = [[r.values.get(key) for key, _ in cols] for r in rows]
        return _xlsx_bytes(title, headers, data), (3 if title else 1)
    if plan.encoding == "jsonl":
        lines = []
        for r in rows:
            obj: dict[str, object] = {}
            for key, header in cols:
                value = r.values.get(key)
                obj[header] = value.isoformat() if isinstance(value, date) else (value if value != "" else None)
            lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
        return "".join(lines).encode("utf-8"), 0
    # Hand-kept files mix date formats; a system export uses one, so each file leans to one format.
    text_rows = [[_text_cell(r.values.get(key), r.date_format) for key, _ in cols] for r in rows]
    return _csv_bytes(headers, text_rows, plan.encoding), 1


def _file_name(pattern: str, today: date) -> str:
    return pattern.format(Y=today.year, M=f"{today.month:02d}", D=f"{today:%Y%m%d}")


# ---------------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------------


def _build_upload(g: _Generator, plan: _FilePlan) -> UploadFile:
    cols = _HEADERS[plan.category][plan.style]
    keys = {key for key, _ in cols}

    def usable(tag: str) -> bool:
        return _applicable(tag, keys) and not (tag == "missing_doc_no" and plan.category in _DOC_OPTIONAL)

    forced = [t for t in plan.forced if usable(t)]
    extra_tags = [t for t in forced if t not in ("duplicate", "correction")]
    n_rows = max(g.rows_per_file, len(extra_tags) + 3)
    n_reject = max(1, round(n_rows * 0.1)) - sum(1 for t in extra_tags if t in _REJECT_MUTATIONS)
    tags: list[str | None] = list(extra_tags)
    for _ in range(max(0, n_reject)):
        for _attempt in range(len(_GENERIC_REJECTS)):
            generic = g.next_generic()
            if usable(generic):
                tags.append(generic)
                break
    # One normalisation case per file that has a code column, to exercise them everywhere.
    if "uscc" in keys:
        tags.append(g.rng.choice(_CODE_CASES))
    tags += [None] * max(3, n_rows - len(tags))  # at least a few plain rows to duplicate or correct
    g.rng.shuffle(tags)
    # Date format bias per file (a system export is consistent, a hand-kept sheet is not).
    lean = g.rng.randrange(4)
    rows: list[_Row] = []
    for tag in tags:
        row = g.make_row(plan, tag)
        if g.rng.random() < 0.7:
            row.date_format = lean
        rows.append(row)
    if "duplicate" in forced or "correction" in forced:
        plain = [r for r in rows if r.reason_hint is None and r.outcome == "accepted"]
        original, corrected = g.rng.sample(plain, 2)
        if "duplicate" in forced:
            src = original
            copy = _Row(
                dict(src.values), "duplicate", "duplicate", src.doc_no, src.production_date, None, None, src.date_format
            )
            rows.insert(g.rng.randrange(rows.index(src) + 1, len(rows) + 1), copy)
        if "correction" in forced:
            src = corrected
            src_index = rows.index(src)
            changed = dict(src.values)
            changed["content"] = f"{changed.get('content', '')}（更正：原文书笔误）"
            changed["remarks"] = "更正"
            correction = _Row(
                changed,
                "accepted",
                "correction",
                src.doc_no,
                src.production_date,
                src.late,
                src.attributable,
                src.date_format,
            )
            rows.insert(g.rng.randrange(src_index + 1, len(rows) + 1), correction)
    content, header_row = _render(plan, cols, rows, g.today)
    first = header_row + 1
    expected = [
        ExpectedRow(first + i, r.outcome, r.reason_hint, r.doc_no, r.production_date, r.late, r.attributable)
        for i, r in enumerate(rows)
    ]
    return UploadFile(
        department_code=g.dept_by_key[plan.dept].code,
        category=plan.category.value,
        file_name=_file_name(plan.name, g.today),
        content=content,
        encoding=plan.encoding,
        header_style=plan.style,
        expected=expected,
        header_row=header_row,
    )


def _build_ledger(
    g: _Generator, dept_key: str, encoding: str, chinese_names: bool, uploads: list[UploadFile]
) -> tuple[UploadFile, list[str]]:
    dept = g.dept_by_key[dept_key]
    seed = _DEPT_BY_KEY[dept_key]
    entries: list[tuple[str, str, date, bool | None, str | None]] = []
    for upload in uploads:
        if upload.department_code != dept.code:
            continue
        for e in upload.expected:
            if e.outcome != "accepted" or e.reason_hint == "correction" or not e.doc_no or not e.production_date:
                continue
            if g.rng.random() < 0.7:  # most produced records were also uploaded; the ledger lists a sample
                entries.append((e.doc_no, upload.category, e.production_date, e.late_collection, None))
    categories = sorted({u.category for u in uploads if u.department_code == dept.code})
    never: list[str] = []
    for _ in range(_NEVER_COLLECTED_PER_LEDGER):
        category = g.rng.choice(categories)
        produced = g.today - timedelta(days=g.rng.randint(LATE_AGE_DAYS + 4, 50))
        kind = {"penalty": "罚", "license": "许", "spot_check": "检"}.get(category, "信评")
        doc = g.doc_no(seed.abbr, kind, produced.year)
        never.append(doc)
        entries.append((doc, category, produced, None, "never_collected"))
    entries.sort(key=lambda e: (e[2], e[0]))
    rows = [
        [doc, CATEGORY_INFO[Category(cat)].name_zh if chinese_names else cat, produced.isoformat()]
        for doc, cat, produced, _, _ in entries
    ]
    expected = [
        ExpectedRow(i + 2, "accepted", hint, doc, produced, late, None)
        for i, (doc, _, produced, late, hint) in enumerate(entries)
    ]
    upload = UploadFile(
        department_code=dept.code,
        category="ledger",
        file_name=f"生产台账_{g.today:%Y%m%d}.csv",
        content=_csv_bytes(_LEDGER_HEADERS, rows, encoding),
        encoding=encoding,
        header_style="chinese",
        expected=expected,
    )
    return upload, never


def _build_malformed(g: _Generator) -> list[UploadFile]:
    env = g.dept_by_key["fj_env"]
    transport = g.dept_by_key["fj_transport"]
    cols = _HEADERS[Category.PENALTY]["chinese"]

    def small_csv(dept_key: str) -> bytes:
        plan = _FilePlan(dept_key, Category.PENALTY, "chinese", "utf-8", "x.csv")
        return _render(plan, cols, [g.make_row(plan, None) for _ in range(3)], g.today)[0]

    unregistered = make_uscc(random.Random("guiji-unregistered"), dept="1", region="350300")
    pdf = (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + bytes(g.rng.randrange(256) for _ in range(512))
        + b"\n%%EOF\n"
    )
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

    def bad(dept_code: str, category: str, name: str, content: bytes, encoding: str, hint: str) -> UploadFile:
        return UploadFile(dept_code, category, name, content, encoding, "chinese", [], 1, hint)

    # Transport's penalties (its name as 处罚机关) dropped into the environment department's folder.
    foreign = bad(
        env.code,
        "penalty",
        f"交通行政处罚_{g.today:%Y%m%d}.csv",
        small_csv("fj_transport"),
        "utf-8",
        "foreign_department_folder",
    )
    foreign.uploaded_by = transport.code
    return [
        bad(env.code, "penalty", "空文件.csv", b"", "utf-8", "empty"),
        bad(transport.code, "penalty", "行政处罚决定书扫描件.pdf", pdf, "binary", "not_a_table"),
        bad(transport.code, "penalty", "行政处罚_旧版.xls", ole2, "binary", "legacy_xls"),
        bad(g.dept_by_key["fz_env"].code, "unknown_cat", "x.csv", small_csv("fz_env"), "utf-8", "unknown_category"),
        bad(unregistered, "penalty", "x.csv", small_csv("fj_env"), "utf-8", "unregistered_department"),
        foreign,
    ]


def generate(*, today: date, seed: int = 7, subjects: int = 300, rows_per_file: int = 40) -> DemoData:
    """Generate registry, register, uploads (with ground truth), production lists and malformed files."""
    g = _Generator(today, seed, subjects, rows_per_file)
    uploads = [_build_upload(g, plan) for plan in _PLANS]
    ledgers: list[UploadFile] = []
    never: list[str] = []
    for dept_key, encoding, chinese_names in _LEDGER_PLANS:
        ledger, missing = _build_ledger(g, dept_key, encoding, chinese_names, uploads)
        ledgers.append(ledger)
        never += missing
    return DemoData(
        today=today,
        departments=g.departments,
        subjects=g.subjects,
        uploads=uploads,
        ledgers=ledgers,
        malformed=_build_malformed(g),
        never_collected=never,
    )


def write_big_csv(
    path: Path,
    rows: int,
    *,
    today: date,
    seed: int = 1,
    department_code: str,
    subjects: list[Subject],
    ages: range = range(61),
) -> None:
    """Stream a large, all-valid penalty CSV (UTF-8, Chinese headers) with unique document numbers.

    Each row was produced ``ages`` calendar days before ``today`` (uniformly): ``range(8)`` makes a file that is on
    time when collected today (7 calendar days never hold more than 7 working days), ``range(30, 61)`` a late one.

    Document numbers use their own series (``…简罚〔2026〕<seed><7 digits>号``), so they never collide with
    `generate`'s nor with another big file written with a different seed.
    """
    rng = random.Random(seed)
    seed_info = next((s for s in _DEPARTMENT_SEEDS if _DEPT_CODES[s.key] == department_code), None)
    abbr = seed_info.abbr if seed_info else "闽某"
    authority = seed_info.name if seed_info else "福建省某行政机关"
    themes = _PENALTY_THEMES[seed_info.theme if seed_info else "market"]
    headers = [h for _, h in _HEADERS[Category.PENALTY]["chinese"]]
    # Pre-built cell groups keep the per-row cost to a few random draws (500k rows in a couple of seconds).
    heads = [
        [
            s.name,
            "个体工商户" if s.type == "individual_business" else "法人及非法人组织",
            s.uscc,
            s.reg_no or "",
            s.legal_rep,
            "",
            "",
        ]
        for s in subjects
    ]
    tails: list[list[str]] = []
    for violation, basis, ptype in themes:
        for fine in ("0.2", "0.5", "1", "2", "5") if "罚款" in ptype else ("",):
            yuan = f"{float(fine) * 10000:.0f}" if fine else ""
            content = {"罚款": f"罚款人民币{yuan}元", "警告;罚款": f"警告，并处罚款人民币{yuan}元"}.get(ptype, ptype)
            tails.append([violation, f"经查，当事人存在{violation}的行为", basis, ptype, content, fine])
    dates = [(d.year, d.isoformat()) for d in (today - timedelta(days=k) for k in ages)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(headers)
        chunk: list[list[str]] = []
        for i in range(rows):
            year, produced = dates[rng.randrange(len(dates))]
            chunk.append(
                heads[rng.randrange(len(heads))]
                + [f"{abbr}简罚〔{year}〕{seed}{i + 1:07d}号"]
                + tails[rng.randrange(len(tails))]
                + [produced, authority, ""]
            )
            if len(chunk) >= 10_000:
                writer.writerows(chunk)
                chunk.clear()
        writer.writerows(chunk)
