"""Tests for the demo/test data generator (infra/demodata.py): identifiers, determinism, coverage, ground truth."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import holidays
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from stdnum.cn import ric, uscc

from infra import demodata as dd
from shared.categories import Category

TODAY = date(2026, 11, 20)

USCC_HEADERS = {"统一社会信用代码", "CF_XDR_SHXYM", "XK_XDR_SHXYM", "UniSCID", "uscc"}
REG_NO_HEADERS = {"工商注册号", "注册号", "CF_XDR_GSDJ", "XK_XDR_GSDJ", "CF_XDR_GSZC", "XK_XDR_GSZC", "RegNO", "reg_no"}
NAME_HEADERS = {"行政相对人名称", "企业名称", "CF_XDR_MC", "XK_XDR", "XK_XDR_MC", "EntName", "name"}
ID_HEADERS = {"证件号码", "CF_XDR_ZJHM", "id_number"}
KIND_HEADERS = {"行政相对人类别", "CF_XDR_LB", "XK_XDR_LB", "subject_category"}


@pytest.fixture(scope="module")
def data() -> dd.DemoData:
    return dd.generate(today=TODAY)


def physical_rows(upload: dd.UploadFile) -> tuple[list[str], dict[int, dict[str, object]]]:
    """Headers and {physical row number: {header: value}}, read the way a clerk's tool would (test-side reader)."""
    if upload.encoding == "xlsx":
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(upload.content)).get_sheet_by_index(0)
        grid = sheet.to_python(skip_empty_area=False)
        headers = [str(c) for c in grid[upload.header_row - 1]]
        return headers, {
            n: dict(zip(headers, grid[n - 1], strict=False)) for n in range(upload.header_row + 1, len(grid) + 1)
        }
    if upload.encoding == "jsonl":
        lines = upload.content.decode("utf-8").splitlines()
        objects = {n: json.loads(line) for n, line in enumerate(lines, start=1)}
        return list(objects[1]), objects
    text = upload.content.decode(upload.encoding)
    table = list(csv.reader(io.StringIO(text)))
    headers = table[0]
    return headers, {n: dict(zip(headers, table[n - 1], strict=True)) for n in range(2, len(table) + 1)}


def cell(row: dict[str, object], names: set[str]) -> str:
    for header, value in row.items():
        if header in names:
            return "" if value is None else str(value)
    raise KeyError(names)


def all_files(d: dd.DemoData) -> list[dd.UploadFile]:
    return d.uploads + d.ledgers + d.malformed


# --- identifier helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["91110000600037341L", "91330203674737244W", "91230500MA1B3N1N2M", "11230500001755309F"]
)
def test_uscc_check_char_matches_domain_vectors(code: str) -> None:
    assert dd.valid_uscc(code[:17]) == code
    assert dd.org_code_check(code[8:16]) == code[16]  # the embedded 组织机构代码 is valid too


@pytest.mark.parametrize("code", ["330203000030639", "110000000343473", "330200400081147"])
def test_reg_no_check_digit_matches_domain_vectors(code: str) -> None:
    assert dd.valid_reg_no(code[:14]) == code


def reg_no_ok(code: str) -> bool:
    """ISO 7064 MOD 11,10 validity as domain.md §c.3 states it: the recurrence over all 15 digits ends at 1."""
    p = 10
    for ch in code[:14]:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return (p + int(code[14])) % 10 == 1


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_reg_no_helper_agrees_with_the_validity_rule(body: str) -> None:
    full = dd.valid_reg_no(body)
    assert reg_no_ok(full)
    assert not reg_no_ok(full[:14] + str((int(full[14]) + 1) % 10))


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])  # GB 11643 examples
def test_id_number_check_matches_known_examples(number: str) -> None:
    assert dd.valid_id_number(number[:17]) == number


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.sampled_from("123"), st.sampled_from(["9", "1"]))
def test_uscc_helper_agrees_with_stdnum_on_digit_bodies(tail: str, kind: str, dept: str) -> None:
    code = dd.valid_uscc(dept + kind + "350102" + tail + dd.org_code_check(tail))
    assert uscc.is_valid(code)
    assert not uscc.is_valid(code[:17] + next(c for c in dd.USCC_CHARSET if c != code[17]))


@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(["350102", "350128", "350582", "350000"]))
def test_make_uscc_is_valid_for_stdnum(seed: int, region: str) -> None:
    import random

    rng = random.Random(seed)
    for dept, kind in (("9", "1"), ("9", "2"), ("9", "3"), ("1", "1")):
        code = dd.make_uscc(rng, dept=dept, kind=kind, region=region)
        assert uscc.is_valid(code), code
        assert code[:8] == dept + kind + region
        assert dd.org_code_check(code[8:16]) == code[16]


def test_helpers_refuse_malformed_bodies() -> None:
    with pytest.raises(ValueError):
        dd.valid_uscc("9135010212345678")  # 16 chars
    with pytest.raises(ValueError):
        dd.valid_uscc("91350102MAI234567")  # I is not in the charset
    with pytest.raises(ValueError):
        dd.valid_reg_no("35010200000A12")


# --- determinism, speed --------------------------------------------------------------------------------


def test_same_seed_gives_same_bytes() -> None:
    a, b = dd.generate(today=TODAY, seed=11), dd.generate(today=TODAY, seed=11)
    assert [(f.key, f.content) for f in all_files(a)] == [(f.key, f.content) for f in all_files(b)]
    assert a.departments_csv() == b.departments_csv()
    assert a.subjects_csv() == b.subjects_csv()
    assert a.subjects_xlsx() == b.subjects_xlsx()
    assert [f.expected for f in a.uploads] == [f.expected for f in b.uploads]


def test_other_seed_gives_other_data_but_same_departments() -> None:
    a, b = dd.generate(today=TODAY, seed=1), dd.generate(today=TODAY, seed=2)
    assert a.subjects_csv() != b.subjects_csv()
    assert a.uploads[0].content != b.uploads[0].content
    assert a.departments_csv() == b.departments_csv()


def test_generation_is_fast() -> None:
    start = time.perf_counter()
    dd.generate(today=TODAY)
    assert time.perf_counter() - start < 2.0


# --- coverage ------------------------------------------------------------------------------------------


def test_every_category_encoding_and_header_style_is_present(data: dd.DemoData) -> None:
    assert {u.category for u in data.uploads} == {c.value for c in Category}
    assert {u.encoding for u in data.uploads} == {"utf-8", "utf-8-sig", "gb18030", "gbk", "xlsx", "jsonl"}
    assert {u.header_style for u in data.uploads} == {"chinese", "sgs2016", "sgs2019", "saic", "snake"}


def test_categories_come_from_fitting_departments(data: dd.DemoData) -> None:
    by_code = {d.code: d for d in data.departments}
    producers: dict[str, set[str]] = {}
    for u in data.uploads:
        producers.setdefault(u.category, set()).add(by_code[u.department_code].name)
    for own in ("registration", "chattel_mortgage", "equity_pledge", "abnormal_operation", "serious_violation"):
        assert all("市场监督管理局" in name for name in producers[own]), own
    assert producers["trademark"] == producers["ip_pledge"] == {"福建省知识产权局"}
    assert len(producers["license"]) >= 3 and len(producers["penalty"]) >= 3


def test_every_reason_and_special_case_is_present(data: dd.DemoData) -> None:
    hints = Counter(e.reason_hint for u in data.uploads for e in u.expected)
    rejects = {
        "bad_uscc_check",
        "missing_name",
        "future_date",
        "bad_date",
        "missing_doc_no",
        "bad_amount",
        "unknown_penalty_type",
        "statistical_excluded",
        "region_unknown",
        "bad_reg_no",
    }
    specials = {"lowercase_uscc", "fullwidth_uscc", "spaced_uscc", "placeholder_uscc", "unknown_subject"}
    specials |= {"natural_person", "name_mismatch", "duplicate", "correction", "list_out"}
    assert rejects | specials <= set(hints)
    outcomes = Counter(e.outcome for u in data.uploads for e in u.expected)
    assert 0.07 <= outcomes["rejected"] / sum(outcomes.values()) <= 0.15
    assert all(e.outcome == "rejected" for u in data.uploads for e in u.expected if e.reason_hint in rejects)


# --- physical layout and encodings ---------------------------------------------------------------------


def test_row_numbers_point_at_the_physical_row(data: dd.DemoData) -> None:
    for upload in data.uploads + data.ledgers:
        _, rows = physical_rows(upload)
        assert [e.row_number for e in upload.expected] == sorted(rows), upload.key
        for e in upload.expected:
            if e.doc_no:
                assert e.doc_no in {str(v) for v in rows[e.row_number].values()}, (upload.key, e)


def test_gbk_files_are_gbk_not_utf8(data: dd.DemoData) -> None:
    gbk = [u for u in data.uploads + data.ledgers if u.encoding == "gbk"]
    assert len(gbk) >= 2
    for upload in gbk:
        upload.content.decode("gbk")
        with pytest.raises(UnicodeDecodeError):
            upload.content.decode("utf-8")


def test_gb18030_file_needs_gb18030(data: dd.DemoData) -> None:
    texts = [u.content.decode("gb18030") for u in data.uploads if u.encoding == "gb18030"]
    # At least one file holds a character GBK cannot encode (why such departments export GB18030).
    assert any(not _encodable(text, "gbk") for text in texts)


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_bom_only_on_utf8_sig(data: dd.DemoData) -> None:
    for upload in data.uploads:
        if upload.encoding == "utf-8-sig":
            assert upload.content.startswith(b"\xef\xbb\xbf")
        elif upload.encoding in ("utf-8", "jsonl"):
            assert not upload.content.startswith(b"\xef\xbb\xbf")
            upload.content.decode("utf-8")


def test_xlsx_has_title_blank_row_header_and_date_cells(data: dd.DemoData) -> None:
    penalty = next(u for u in data.uploads if u.encoding == "xlsx" and u.category == "penalty")
    grid = CalamineWorkbook.from_filelike(io.BytesIO(penalty.content)).get_sheet_by_index(0).to_python()
    assert grid[0][0] == f"{TODAY.year}年{TODAY.month}月行政处罚信息报送表"
    assert all(c == "" for c in grid[1])
    assert penalty.header_row == 3 and "行政处罚决定书文号" in grid[2]
    date_col = grid[2].index("处罚决定日期")
    for e in penalty.expected:
        if e.outcome == "accepted":
            assert grid[e.row_number - 1][date_col] == e.production_date  # a real date cell, not text
    sheet = openpyxl.load_workbook(io.BytesIO(penalty.content)).active
    assert sheet is not None
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:Q1"]


def test_xlsx_is_deterministic_zip(data: dd.DemoData) -> None:
    with zipfile.ZipFile(io.BytesIO(data.uploads[4].content)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2020, 1, 1, 0, 0, 0)}


# --- ground truth ----------------------------------------------------------------------------------------


def test_late_flags_follow_the_safe_margins(data: dd.DemoData) -> None:
    regulators = {d.code for d in data.departments if d.is_regulator}
    late = on_time = 0
    for upload in data.uploads:
        for e in upload.expected:
            if upload.department_code in regulators or e.outcome != "accepted":
                assert e.late_collection is None
                continue
            assert e.production_date is not None
            age = (TODAY - e.production_date).days
            if e.late_collection is True:
                late += 1
                assert age >= 21
            elif e.late_collection is False:
                on_time += 1
                assert 0 <= age <= 3
            else:
                assert 4 <= age <= 20
    assert late >= 20 and on_time >= 20


@settings(max_examples=300)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 10)))
def test_21_days_always_hold_more_than_7_working_days(produced: date) -> None:
    # Against python-holidays' China calendar and ignoring make-up working days (which only add working
    # days): the 20 days after production always contain at least 7 working days, so a collection 21 days
    # after production is late whatever the year's schedule.
    china = holidays.country_holidays("CN", years=range(2020, 2032))
    days = [produced + timedelta(days=k) for k in range(1, 21)]
    assert sum(1 for d in days if d.weekday() < 5 and d not in china) >= 7


def test_festival_days_are_used(data: dd.DemoData) -> None:
    festivals = set(dd.festival_days(TODAY))
    assert date(2026, 10, 1) in festivals and date(2026, 2, 17) in festivals and date(2025, 1, 29) in festivals
    used = {e.production_date for u in data.uploads for e in u.expected if e.outcome == "accepted"}
    assert len(used & festivals) >= 5


def test_production_dates_are_in_the_rows_in_mixed_formats(data: dd.DemoData) -> None:
    seen_formats: set[int] = set()
    for upload in data.uploads:
        if upload.encoding in ("xlsx", "jsonl"):
            continue
        _, rows = physical_rows(upload)
        for e in upload.expected:
            if e.production_date is None:
                continue
            d = e.production_date
            variants = [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d:%Y%m%d}", f"{d.year}年{d.month}月{d.day}日"]
            values = set(rows[e.row_number].values())
            hits = [i for i, v in enumerate(variants) if v in values]
            assert hits, (upload.key, e)
            seen_formats.update(hits)
    assert seen_formats == {0, 1, 2, 3}


def test_rejected_rows_carry_their_defect(data: dd.DemoData) -> None:
    check_rejected_rows(data, TODAY)


def check_rejected_rows(data: dd.DemoData, today: date) -> None:
    registered = {s.uscc for s in data.subjects}
    for upload in data.uploads:
        headers, rows = physical_rows(upload)
        for e in upload.expected:
            row = rows[e.row_number]
            text = " ".join(str(v) for v in row.values() if v is not None)
            if e.reason_hint == "bad_uscc_check":
                code = cell(row, USCC_HEADERS)
                assert not uscc.is_valid(code) and dd.valid_uscc(code[:17]) in registered
            elif e.reason_hint == "region_unknown":
                code = cell(row, USCC_HEADERS)
                assert uscc.is_valid(code) and code[2:8] in dd.UNKNOWN_REGIONS  # only the region is wrong
            elif e.reason_hint == "missing_name":
                assert cell(row, NAME_HEADERS) == ""
            elif e.reason_hint == "missing_doc_no":
                assert e.doc_no is None
            elif e.reason_hint == "bad_date":
                assert f"{today.year}-13-45" in text
            elif e.reason_hint == "statistical_excluded":
                assert "统计" in text
            elif e.reason_hint == "unknown_penalty_type":
                assert "约谈整改" in text
            elif e.reason_hint == "bad_amount":
                assert "-0.5" in text or "罚款2000元" in text
            elif e.reason_hint == "bad_reg_no":
                reg_no = cell(row, REG_NO_HEADERS)
                assert cell(row, USCC_HEADERS) == "" and len(reg_no) == 15 and not reg_no_ok(reg_no)
            elif e.reason_hint == "future_date":
                assert e.production_date is None
                assert not any(isinstance(v, date) and v <= today for v in row.values() if v)


def test_accepted_special_rows(data: dd.DemoData) -> None:
    check_special_rows(data)


def check_special_rows(data: dd.DemoData) -> None:
    by_code = {s.uscc: s for s in data.subjects}
    by_reg_no = {s.reg_no: s for s in data.subjects if s.reg_no}
    for upload in data.uploads:
        _, rows = physical_rows(upload)
        for e in upload.expected:
            row = rows[e.row_number]
            if e.reason_hint in ("lowercase_uscc", "fullwidth_uscc", "spaced_uscc"):
                raw = cell(row, USCC_HEADERS)
                normalised = "".join(raw.split()).translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}).upper()
                assert raw != normalised and normalised in by_code and e.attributable is True
                if e.reason_hint == "fullwidth_uscc":
                    assert raw[0] == "９"
            elif e.reason_hint == "placeholder_uscc":
                assert cell(row, USCC_HEADERS) == dd.PLACEHOLDER_USCC
                assert cell(row, REG_NO_HEADERS) in by_reg_no and e.attributable is True
            elif e.reason_hint == "unknown_subject":
                code = cell(row, USCC_HEADERS)
                assert uscc.is_valid(code) and code not in by_code and e.attributable is False
            elif e.reason_hint == "name_mismatch":
                code = cell(row, USCC_HEADERS)
                assert by_code[code].name != cell(row, NAME_HEADERS) and e.attributable is False
            elif e.reason_hint == "natural_person":
                assert cell(row, KIND_HEADERS) == "自然人" and cell(row, USCC_HEADERS) == ""
                assert ric.is_valid(cell(row, ID_HEADERS)) and e.attributable is False
            elif e.outcome == "accepted" and e.reason_hint is None and upload.category != "ledger":
                code = cell(row, USCC_HEADERS)
                assert code in by_code and by_code[code].name == cell(row, NAME_HEADERS)


def test_duplicate_and_correction_rows(data: dd.DemoData) -> None:
    upload = next(u for u in data.uploads if any(e.outcome == "duplicate" for e in u.expected))
    _, rows = physical_rows(upload)
    by_doc: dict[str | None, list[dd.ExpectedRow]] = {}
    for e in upload.expected:
        by_doc.setdefault(e.doc_no, []).append(e)
    duplicate = next(e for e in upload.expected if e.outcome == "duplicate")
    first = by_doc[duplicate.doc_no][0]
    assert first.row_number < duplicate.row_number and first.outcome == "accepted"
    assert rows[first.row_number] == rows[duplicate.row_number]
    correction = next(e for e in upload.expected if e.reason_hint == "correction")
    original = by_doc[correction.doc_no][0]
    assert original.row_number < correction.row_number and original.reason_hint is None
    assert rows[original.row_number] != rows[correction.row_number]
    assert original.production_date == correction.production_date
    # Apart from the intended repeats, document numbers are unique in the whole data set.
    docs = Counter((u.department_code, u.category, e.doc_no) for u in data.uploads for e in u.expected if e.doc_no)
    assert [k for k, n in docs.items() if n > 1 and k[2] not in (duplicate.doc_no, correction.doc_no)] == []


def test_list_out_rows_use_the_list_out_date(data: dd.DemoData) -> None:
    list_outs = 0
    for upload in data.uploads:
        if upload.category not in ("abnormal_operation", "serious_violation"):
            continue
        _, rows = physical_rows(upload)
        out_header = "RemDate" if upload.header_style == "saic" else "移出日期"
        for e in upload.expected:
            if e.reason_hint == "list_out":
                list_outs += 1
                out = rows[e.row_number][out_header]
                assert e.production_date is not None
                assert out == e.production_date or out in (
                    e.production_date.isoformat(),
                    f"{e.production_date.year}/{e.production_date.month}/{e.production_date.day}",
                    f"{e.production_date:%Y%m%d}",
                    f"{e.production_date.year}年{e.production_date.month}月{e.production_date.day}日",
                )
    assert list_outs >= 3


def test_ledgers_list_collected_and_never_collected_records(data: dd.DemoData) -> None:
    assert 2 <= len(data.ledgers) <= 3 and data.never_collected
    regulators = {d.code for d in data.departments if d.is_regulator}
    uploaded = {
        (u.department_code, e.doc_no): e.production_date
        for u in data.uploads
        for e in u.expected
        if e.outcome == "accepted"
    }
    all_docs = {e.doc_no for u in data.uploads for e in u.expected}
    seen_never: list[str] = []
    for ledger in data.ledgers:
        assert ledger.category == "ledger" and ledger.department_code not in regulators
        headers, rows = physical_rows(ledger)
        assert headers == ["记录编号", "信息类别", "产生日期"]
        for e in ledger.expected:
            assert e.production_date is not None and e.doc_no is not None
            assert rows[e.row_number]["产生日期"] == e.production_date.isoformat()
            if e.reason_hint == "never_collected":
                seen_never.append(e.doc_no)
                assert e.doc_no not in all_docs
                assert (TODAY - e.production_date).days >= 21  # already overdue on `today`
            else:
                assert uploaded[(ledger.department_code, e.doc_no)] == e.production_date
    assert sorted(seen_never) == sorted(data.never_collected)
    categories = {rows["信息类别"] for ledger in data.ledgers for rows in physical_rows(ledger)[1].values()}
    assert {"行政处罚", "license"} <= categories  # Chinese names and slugs both occur


def test_malformed_files(data: dd.DemoData) -> None:
    hints = {m.malformed_reason_hint: m for m in data.malformed}
    assert set(hints) == {
        "empty",
        "not_a_table",
        "legacy_xls",
        "unknown_category",
        "unregistered_department",
        "foreign_department_folder",
    }
    assert all(m.expected == [] for m in data.malformed)
    assert hints["empty"].content == b""
    assert hints["not_a_table"].content.startswith(b"%PDF")
    assert hints["unknown_category"].key.split("/")[2] == "unknown_cat"
    codes = {d.code for d in data.departments}
    stranger = hints["unregistered_department"].department_code
    assert uscc.is_valid(stranger) and stranger not in codes
    foreign = hints["foreign_department_folder"]
    assert foreign.uploaded_by in codes and foreign.uploaded_by != foreign.department_code
    uploader = next(d for d in data.departments if d.code == foreign.uploaded_by)
    assert uploader.name in foreign.content.decode("utf-8")


# --- registry files ----------------------------------------------------------------------------------------


def test_departments_registry(data: dd.DemoData) -> None:
    rows = list(csv.DictReader(io.StringIO(data.departments_csv().decode("utf-8"))))
    assert list(rows[0]) == ["code", "name", "region_code", "level", "is_regulator", "supervisor_emails"]
    assert len(rows) == 12
    for row in rows:
        assert uscc.is_valid(row["code"]) and row["code"][:2] == "11" and row["code"][2:8] == row["region_code"]
        assert row["level"] in ("province", "city", "county")
        assert all(e.endswith(".example.cn") for e in row["supervisor_emails"].split(";"))
    regulators = {r["name"] for r in rows if r["is_regulator"] == "true"}
    assert regulators == {
        "福建省市场监督管理局",
        "福州市市场监督管理局",
        "厦门市市场监督管理局",
        "福州市鼓楼区市场监督管理局",
        "平潭综合实验区市场监督管理局",
    }
    gulou = next(r for r in rows if r["name"] == "福州市鼓楼区市场监督管理局")
    assert (gulou["region_code"], gulou["level"]) == ("350102", "county")
    chinese = data.departments_csv_chinese().decode("utf-8").splitlines()
    assert chinese[0] == "统一社会信用代码,部门名称,行政区划代码,层级,是否市场监管部门,督查联系人"
    assert chinese[1:] == data.departments_csv().decode("utf-8").splitlines()[1:]


def test_subjects_register(data: dd.DemoData) -> None:
    rows = list(csv.DictReader(io.StringIO(data.subjects_csv().decode("utf-8"))))
    assert len(rows) == 300 and list(rows[0]) == ["uscc", "name", "region_code", "type", "reg_no", "legal_rep"]
    prefix = {"enterprise": "91", "individual_business": "92", "cooperative": "93"}
    assert {r["type"] for r in rows} == set(prefix)
    assert len({r["name"] for r in rows}) == len({r["uscc"] for r in rows}) == 300
    for r in rows:
        assert uscc.is_valid(r["uscc"]) and r["uscc"][:2] == prefix[r["type"]] and r["uscc"][2:8] == r["region_code"]
        assert r["region_code"].startswith("35") and r["legal_rep"]
        if r["reg_no"]:
            assert reg_no_ok(r["reg_no"]) and r["reg_no"][:6] == r["region_code"]
    assert sum(1 for r in rows if r["reg_no"]) >= 30
    assert any(r["name"].endswith("农民专业合作社") for r in rows)
    grid = CalamineWorkbook.from_filelike(io.BytesIO(data.subjects_xlsx())).get_sheet_by_index(0).to_python()
    assert grid[0] == ["统一社会信用代码", "名称", "行政区划代码", "类型", "注册号", "法定代表人"]
    assert [row[0] for row in grid[1:]] == [r["uscc"] for r in rows]


# --- robustness over seeds and dates -----------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)),
    st.integers(min_value=1, max_value=15),
)
def test_invariants_hold_for_any_seed_day_and_size(seed: int, today: date, rows_per_file: int) -> None:
    d = dd.generate(today=today, seed=seed, subjects=40, rows_per_file=rows_per_file)
    assert {u.category for u in d.uploads} == {c.value for c in Category}
    check_rejected_rows(d, today)
    check_special_rows(d)
    for upload in d.uploads + d.ledgers:
        _, rows = physical_rows(upload)
        assert [e.row_number for e in upload.expected] == sorted(rows)
        for e in upload.expected:
            if e.outcome == "accepted" and e.production_date is not None:
                assert e.production_date <= today


def test_leap_day_and_new_year() -> None:
    for today in (date(2028, 2, 29), date(2027, 1, 1)):
        d = dd.generate(today=today, rows_per_file=10)
        assert d.uploads and d.never_collected


# --- big file ------------------------------------------------------------------------------------------


def test_write_big_csv(tmp_path: Path, data: dd.DemoData) -> None:
    path = tmp_path / "big.csv"
    dept = data.department("泉州市应急管理局")
    dd.write_big_csv(path, 25_000, today=TODAY, department_code=dept.code, subjects=data.subjects)
    with path.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][:3] == ["行政相对人名称", "行政相对人类别", "统一社会信用代码"]
    body = table[1:]
    assert len(body) == 25_000
    assert len({r[7] for r in body}) == 25_000  # unique document numbers
    assert all(r[7].startswith("泉应急简罚〔") for r in body)
    assert all(r[15] == "泉州市应急管理局" for r in body)
    assert {r[2] for r in body} <= {s.uscc for s in data.subjects}
    dates = {date.fromisoformat(r[14]) for r in body}
    assert min(dates) >= TODAY - timedelta(days=60) and max(dates) <= TODAY
    # Different seeds: different rows, no colliding document numbers.
    other = tmp_path / "other.csv"
    dd.write_big_csv(other, 100, today=TODAY, seed=2, department_code=dept.code, subjects=data.subjects)
    with other.open(encoding="utf-8", newline="") as fh:
        assert not {r[7] for r in list(csv.reader(fh))[1:]} & {r[7] for r in body}


def test_write_big_csv_ages_bound_the_production_dates(tmp_path: Path, data: dd.DemoData) -> None:
    dept = data.department("泉州市应急管理局")
    for ages, oldest, newest in ((range(8), 7, 0), (range(30, 61), 60, 30)):
        path = tmp_path / f"ages-{ages.start}.csv"
        dd.write_big_csv(path, 2_000, today=TODAY, department_code=dept.code, subjects=data.subjects, ages=ages)
        with path.open(encoding="utf-8", newline="") as fh:
            dates = {date.fromisoformat(r[14]) for r in list(csv.reader(fh))[1:]}
        assert min(dates) == TODAY - timedelta(days=oldest)
        assert max(dates) == TODAY - timedelta(days=newest)
