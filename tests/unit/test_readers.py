"""Streaming file readers: formats, encodings, header detection, row numbers as a clerk sees them, bad files."""

from __future__ import annotations

import codecs
import csv
import json
import os
import tracemalloc
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from itertools import islice
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.readers import ERROR_KEY, MalformedFileError, Row, Table, open_table

USCC = "统一社会信用代码"


def is_header(cells: Sequence[str]) -> bool:
    return USCC in cells


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def reason(excinfo: pytest.ExceptionInfo[MalformedFileError]) -> str:
    return excinfo.value.reason_zh


# --- CSV: encodings and delimiters ---------------------------------------------------------------------------------


def test_utf8_csv_values_are_stripped_and_empty_is_none(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        [
            [USCC, "名称", "金额"],
            [" 91350100M000100Y43 ", "福州某某有限公司", ""],
            ["91350200MA2Y0XXX0K", "  ", "12.50"],
        ],
    )
    table = open_table(path, "a.csv", is_header)
    assert (table.format, table.encoding, table.delimiter, table.header_row) == ("csv", "utf-8", ",", 1)
    assert table.headers == [USCC, "名称", "金额"]
    assert list(table.rows()) == [
        (2, {USCC: "91350100M000100Y43", "名称": "福州某某有限公司", "金额": None}),
        (3, {USCC: "91350200MA2Y0XXX0K", "名称": None, "金额": "12.50"}),
    ]


def test_utf8_bom_is_stripped_from_the_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", [[USCC, "名称"], ["X", "厦门公司"]], encoding="utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    table = open_table(path, "bom.csv", is_header)
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == USCC
    assert list(table.rows()) == [(2, {USCC: "X", "名称": "厦门公司"})]


def test_gbk_csv_is_read_as_gb18030(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "gbk.csv", [[USCC, "名称", "备注"], ["X", "莆田市涵江区某某商行", "已整改，罚款已缴"]], "gbk"
    )
    table = open_table(path, "gbk.csv", is_header)
    assert table.encoding == "gb18030"
    assert list(table.rows()) == [(2, {USCC: "X", "名称": "莆田市涵江区某某商行", "备注": "已整改，罚款已缴"})]


def test_gb18030_only_characters(tmp_path: Path) -> None:
    # 𠮷 (U+20BB7) and 䶮 (U+4DAE) are not in GBK: they need GB18030's four-byte form.
    name = "𠮷野家䶮餐饮店"
    with pytest.raises(UnicodeEncodeError):
        name.encode("gbk")
    path = write_csv(tmp_path / "gb.csv", [[USCC, "名称"], ["X", name]], "gb18030")
    table = open_table(path, "gb.csv", is_header)
    assert table.encoding == "gb18030"
    assert list(table.rows()) == [(2, {USCC: "X", "名称": name})]


def test_tab_delimited_txt(tmp_path: Path) -> None:
    # Cells with commas in every row must not make the comma win over the tab.
    rows = [[USCC, "名称", "地址"], ["X1", "甲公司", "福州市鼓楼区,五四路1号"], ["X2", "乙公司", "厦门市,思明区"]]
    path = write_csv(tmp_path / "t.txt", rows, delimiter="\t")
    table = open_table(path, "t.txt", is_header)
    assert table.delimiter == "\t"
    assert [row["地址"] for _, row in table.rows()] == ["福州市鼓楼区,五四路1号", "厦门市,思明区"]


def test_semicolon_delimiter(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [[USCC, "名称"], ["X1", "甲"], ["X2", "乙"]], delimiter=";")
    table = open_table(path, "s.csv", is_header)
    assert table.delimiter == ";"
    assert list(table.rows()) == [(2, {USCC: "X1", "名称": "甲"}), (3, {USCC: "X2", "名称": "乙"})]


def test_full_width_comma_is_not_a_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(f"{USCC},名称，简称\nX1,甲，乙\nX2,丙，丁\n", encoding="utf-8")
    table = open_table(path, "f.csv", is_header)
    assert table.delimiter == ","
    assert table.headers == [USCC, "名称，简称"]
    assert [row["名称，简称"] for _, row in table.rows()] == ["甲，乙", "丙，丁"]


# --- CSV: header detection and row numbers -------------------------------------------------------------------------


def test_title_and_blank_rows_above_header_give_excel_row_numbers(tmp_path: Path) -> None:
    # Row 1 title, row 2 blank, row 3 header, row 4 data, row 5 blank, row 6 data: as Excel numbers them.
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["2026年11月行政处罚信息公示表", "", ""],
            ["", "", ""],
            [USCC, "行政相对人名称", "处罚决定书文号"],
            ["X1", "甲公司", "榕市监罚〔2026〕1号"],
            [],
            ["X2", "乙公司", "榕市监罚〔2026〕2号"],
            ["", " ", ""],
        ],
    )
    seen: list[list[str]] = []

    def spy(cells: Sequence[str]) -> bool:
        seen.append(list(cells))
        return is_header(cells)

    table = open_table(path, "p.csv", spy)
    assert table.header_row == 3
    # The blank row 2 is not offered as a header candidate; cells arrive stripped.
    assert seen == [["2026年11月行政处罚信息公示表", "", ""], [USCC, "行政相对人名称", "处罚决定书文号"]]
    rows = list(table.rows())
    assert [n for n, _ in rows] == [4, 6]
    assert rows[1][1]["行政相对人名称"] == "乙公司"
    assert table.blank_rows == 2  # rows 5 and 7


def test_duplicate_empty_and_trailing_header_cells(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [["名称", USCC, "", "名称", "名称_2", "名称", "", ""], ["a", "X", "c", "d", "e", "f", "", ""]],
    )
    table = open_table(path, "d.csv", is_header)
    # The second 名称 takes 名称_2, so the real "名称_2" column becomes 名称_2_2 and the third 名称 becomes 名称_3;
    # the empty third column is 列3 and the empty trailing cells are dropped.
    assert table.headers == ["名称", USCC, "列3", "名称_2", "名称_2_2", "名称_3"]
    assert list(table.rows()) == [
        (2, {"名称": "a", USCC: "X", "列3": "c", "名称_2": "d", "名称_2_2": "e", "名称_3": "f"})
    ]


def test_short_rows_are_padded_and_extra_cells_kept(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [[USCC, "名称", "日期"], ["X1"], ["X2", "乙", "2026-11-02", "", "多余", ""]])
    table = open_table(path, "e.csv", is_header)
    assert list(table.rows()) == [
        (2, {USCC: "X1", "名称": None, "日期": None}),
        (3, {USCC: "X2", "名称": "乙", "日期": "2026-11-02", "列5": "多余"}),
    ]


def test_header_must_be_within_the_scan_window(tmp_path: Path) -> None:
    rows = [[f"说明第{i}行", "", ""] for i in range(1, 6)] + [[USCC, "名称", "x"], ["X", "甲", "y"]]
    path = write_csv(tmp_path / "late.csv", rows)
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "late.csv", is_header, max_header_scan=5)
    assert reason(excinfo).startswith("未找到表头：文件前5行中没有可识别的列名行")
    assert open_table(path, "late.csv", is_header, max_header_scan=6).header_row == 6


def test_one_column_text_without_header(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("这是一份说明\n不是数据表\n请查收\n", encoding="utf-8")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "notes.csv", is_header)
    assert "未找到表头" in reason(excinfo)
    assert "文件只有一列" in reason(excinfo)


def test_multiline_quoted_cell_counts_as_one_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [[USCC, "名称", "备注", "金额"], ["X1", "甲", "第一行，说明\n第二行", "1"], ["X2", "乙", "", "2"]],
    )
    rows = list(open_table(path, "m.csv", is_header).rows())
    # Excel shows the two-line cell in one row, so X2 is on row 3 although it is on line 4 of the file.
    assert rows == [
        (2, {USCC: "X1", "名称": "甲", "备注": "第一行，说明\n第二行", "金额": "1"}),
        (3, {USCC: "X2", "名称": "乙", "备注": None, "金额": "2"}),
    ]


def test_unclosed_quote_becomes_one_error_row(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        f'{USCC},名称,文号,金额\nX1,"甲公司,榕罚1号,100\nX2,乙公司,榕罚2号,200\nX3,"丙公司",榕罚3号,300\nX4,丁公司,榕罚4号,400\n',
        encoding="utf-8",
    )
    rows = list(open_table(path, "q.csv", is_header).rows())
    # The quote opened on row 2 closes only at "X3,": lines 2-4 form one record, as Excel would show them.
    assert len(rows) == 2
    assert rows[0][0] == 2 and list(rows[0][1]) == [ERROR_KEY]
    message = str(rows[0][1][ERROR_KEY])
    assert "第2行" in message and "其后2行" in message
    assert rows[1] == (3, {USCC: "X4", "名称": "丁公司", "文号": "榕罚4号", "金额": "400"})


def test_unclosed_quote_running_to_the_end_refuses_the_whole_file_before_any_row_is_used(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    body = "\n".join(f"X{i},公司{i},榕罚{i}号" for i in range(20_000))
    path.write_text(f'{USCC},名称,文号\nX0,"甲,1\n{body}\n', encoding="utf-8")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "big.csv", is_header, verify_all=True)
    assert reason(excinfo).startswith("第2行起的内容无法按表格读取")
    assert "文件末尾" in reason(excinfo)


# --- resuming with start, blank row counting -------------------------------------------------------------------------

cell_text = st.text(alphabet='ab 中文,"\n，', max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    width=st.integers(min_value=3, max_value=5),
    body=st.lists(st.lists(cell_text, min_size=0, max_size=6), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    split=st.integers(min_value=0, max_value=14),
)
def test_csv_round_trip_and_resume(
    tmp_path: Path, width: int, body: list[list[str]], encoding: str, split: int
) -> None:
    # An unclosed-quote guard looks for a full row of delimiters after a line break; keep generated cells clear of it.
    assume(all(part.count(",") < width - 1 for row in body for cell in row for part in cell.splitlines()[1:]))
    headers = [USCC] + [f"字段{i}" for i in range(2, width + 1)]
    path = write_csv(tmp_path / f"r-{encoding}.csv", [headers, *body], encoding)

    expected: list[tuple[int, dict[str, object]]] = []
    blank_total = 0
    for index, raw in enumerate(body):
        values = [c.strip() or None for c in raw]
        if not any(values):
            blank_total += 1
            continue
        row: dict[str, object] = {h: (values[i] if i < len(values) else None) for i, h in enumerate(headers)}
        for extra in range(width, len(values)):
            if values[extra] is not None:
                row[f"列{extra + 1}"] = values[extra]
        expected.append((index + 2, row))  # header on row 1

    first = open_table(path, "r.csv", is_header)
    assert first.encoding in (encoding, "utf-8")  # a pure-ASCII body is also valid UTF-8
    head = list(islice(first.rows(), split))
    second = open_table(path, "r.csv", is_header)
    tail = list(second.rows(start=split))
    assert head + tail == expected
    assert first.blank_rows + second.blank_rows == blank_total


def test_start_beyond_the_end_yields_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [[USCC], ["X1"], ["X2"]])
    table = open_table(path, "s.csv", is_header)
    assert list(table.rows(start=1)) == [(3, {USCC: "X2"})]
    assert list(table.rows(start=5)) == []
    with pytest.raises(ValueError):
        table.rows(start=-1)


# --- XLSX ----------------------------------------------------------------------------------------------------------


def build_penalty_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "处罚"
    ws["A1"] = "2026年11月行政处罚信息公示表"
    ws.merge_cells("A1:F1")
    # row 2 blank
    ws.append([])
    for col, name in enumerate([USCC, "行政相对人名称", "处罚决定日期", "录入时间", "注册号", "罚款金额"], 1):
        ws.cell(row=3, column=col, value=name)
    ws.cell(row=4, column=1, value=" 91350100M000100Y43 ")
    ws.cell(row=4, column=2, value="福州某某有限公司")
    ws.cell(row=4, column=3, value=date(2026, 11, 2))
    ws.cell(row=4, column=4, value=datetime(2026, 11, 3, 9, 30))
    ws.cell(row=4, column=5, value=350100100012345.0)  # 15-digit 注册号 typed as a number
    ws.cell(row=4, column=6, value=1234.5)
    # row 5 blank
    ws.cell(row=6, column=1, value="91350200MA2Y0XXX0K")
    ws.cell(row=6, column=3, value=date(2025, 1, 28))
    ws.cell(row=6, column=6, value=5000)
    ws.cell(row=6, column=8, value="表外备注")
    wb.create_sheet("说明")["A1"] = "第二张表不读取"
    wb.save(path)


def test_xlsx_title_merged_blank_rows_dates_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    build_penalty_workbook(path)
    table = open_table(path, "p.xlsx", is_header)
    assert (table.format, table.encoding, table.header_row) == ("xlsx", None, 3)
    assert table.headers == [USCC, "行政相对人名称", "处罚决定日期", "录入时间", "注册号", "罚款金额"]
    rows = list(table.rows())
    assert rows == [
        (
            4,
            {
                USCC: "91350100M000100Y43",
                "行政相对人名称": "福州某某有限公司",
                "处罚决定日期": date(2026, 11, 2),
                "录入时间": datetime(2026, 11, 3, 9, 30),
                "注册号": 350100100012345,
                "罚款金额": 1234.5,
            },
        ),
        (
            6,
            {
                USCC: "91350200MA2Y0XXX0K",
                "行政相对人名称": None,
                "处罚决定日期": date(2025, 1, 28),
                "录入时间": None,
                "注册号": None,
                "罚款金额": 5000,
                "列8": "表外备注",
            },
        ),
    ]
    assert type(rows[0][1]["注册号"]) is int
    assert type(rows[1][1]["罚款金额"]) is int
    assert table.blank_rows == 1
    assert list(table.rows(start=1)) == rows[1:]


def test_xlsx_named_csv_is_still_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "upload.csv"
    build_penalty_workbook(path)
    table = open_table(path, "处罚信息.csv", is_header)
    assert table.format == "xlsx"
    assert [n for n, _ in table.rows()] == [4, 6]


def test_xlsx_sheet_starting_right_and_below_a1(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["C4"], ws["D4"] = USCC, "名称"
    ws["C5"], ws["D5"], ws["F5"] = "X1", True, 0
    wb.save(path := tmp_path / "c.xlsx")
    table = open_table(path, "c.xlsx", is_header)
    assert table.header_row == 4
    assert table.first_column == 3
    # 0 and False are values, not blanks; the cell in column F is kept as 列6.
    assert list(table.rows()) == [(5, {USCC: "X1", "名称": True, "列6": 0})]


def test_xlsx_without_header_names_the_sheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "汇总"
    ws["A1"] = "无关内容"
    wb.save(path := tmp_path / "n.xlsx")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "n.xlsx", is_header)
    assert "未找到表头" in reason(excinfo) and "“汇总”" in reason(excinfo)


def test_xlsx_without_a_header_on_any_sheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.create_sheet("数据")["A1"] = "备注：本月无数据"
    wb.save(path := tmp_path / "e.xlsx")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "e.xlsx", is_header)
    assert "未找到表头" in reason(excinfo) and "“数据”" in reason(excinfo)


def test_xlsx_empty_workbook(tmp_path: Path) -> None:
    openpyxl.Workbook().save(path := tmp_path / "e.xlsx")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "e.xlsx", is_header)
    assert "是空的" in reason(excinfo)


def test_xlsx_data_after_an_instructions_sheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "请在第二张工作表填写数据，日期格式为YYYY-MM-DD"
    data = wb.create_sheet("数据")
    data.append(["行政相对人名称", "统一社会信用代码", "行政处罚决定书文号"])
    data.append(["福州某某科技有限公司", USCC, "榕市监罚〔2026〕1号"])
    wb.save(path := tmp_path / "s.xlsx")
    table = open_table(path, "s.xlsx", is_header)
    assert table.sheet_name == "数据" and table.header_row == 1
    rows = list(table.rows())
    assert [n for n, _ in rows] == [2] and rows[0][1]["统一社会信用代码"] == USCC


def test_truncated_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "g.xlsx"
    build_penalty_workbook(good)
    bad = tmp_path / "b.xlsx"
    bad.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(bad, "b.xlsx", is_header)
    assert "损坏" in reason(excinfo) and ".xlsx" in reason(excinfo)


# --- JSON Lines ----------------------------------------------------------------------------------------------------


def test_jsonl_rows_blank_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({USCC: " X1 ", "名称": "甲", "金额": 100.0, "附件": {"a": [1, 2]}}, ensure_ascii=False),
        "",
        "this is not json",
        json.dumps({USCC: "X2", "名称": "", "金额": 12.5, "标记": True, "注册号": 350100100012345}, ensure_ascii=False),
        "[1, 2]",
        "   ",
        json.dumps({USCC: "X3", "新字段": None}, ensure_ascii=False),
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = open_table(path, "r.jsonl", is_header)
    assert (table.format, table.encoding, table.header_row) == ("jsonl", None, 0)
    assert table.headers == [USCC, "名称", "金额", "附件", "标记", "注册号", "新字段"]
    rows = list(table.rows())
    none = dict.fromkeys(table.headers)
    assert rows == [
        (1, {**none, USCC: "X1", "名称": "甲", "金额": 100, "附件": '{"a": [1, 2]}'}),
        (3, {ERROR_KEY: "第3行不是有效的JSON对象"}),
        (4, {**none, USCC: "X2", "金额": 12.5, "标记": True, "注册号": 350100100012345}),
        (5, {ERROR_KEY: "第5行不是有效的JSON对象"}),
        (7, {**none, USCC: "X3"}),
    ]
    assert type(rows[0][1]["金额"]) is int
    assert table.blank_rows == 2
    assert list(table.rows(start=3)) == rows[3:]


def test_jsonl_keys_outside_the_first_objects_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "k.ndjson"
    path.write_text(
        "\n".join(json.dumps({USCC: f"X{i}"}) for i in range(3)) + '\n{"后来的字段": 1}\n', encoding="utf-8-sig"
    )
    table = open_table(path, "k.ndjson", is_header, max_header_scan=2)
    assert table.headers == [USCC]
    assert list(table.rows())[-1] == (4, {USCC: None, "后来的字段": 1})


def test_jsonl_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_bytes('{"名称": "福州"}\n'.encode("gbk"))
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "g.jsonl", is_header)
    assert "UTF-8" in reason(excinfo)
    # 名 is C3 FB in GBK: C3 opens a two-byte UTF-8 sequence but FB cannot continue it, so byte 3 is the bad one.
    assert "名".encode("gbk") == b"\xc3\xfb"
    assert "第3字节" in reason(excinfo)


def test_json_array_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{USCC: "X"}], ensure_ascii=False, indent=2), encoding="utf-8")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "a.json", is_header)
    assert "JSON数组" in reason(excinfo) and "每行一个JSON对象" in reason(excinfo)


def test_jsonl_without_objects_or_known_keys(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('1\n"text"\n', encoding="utf-8")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "x.jsonl", is_header)
    assert "没有有效的JSON对象" in reason(excinfo)
    path.write_text('{"foo": 1, "bar": 2}\n', encoding="utf-8")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "x.jsonl", is_header)
    assert "未找到表头" in reason(excinfo) and "foo、bar" in reason(excinfo)


# --- files that are not tables ---------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "empty.csv", is_header)
    assert reason(excinfo).startswith("文件为空")


def test_blank_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"\r\n \r\n,,\r\n")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "blank.csv", is_header)
    assert reason(excinfo).startswith("文件为空")


def test_legacy_xls(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "old.xls", is_header)
    assert ".xls" in reason(excinfo) and "另存为" in reason(excinfo) and ".xlsx" in reason(excinfo)


def test_undecodable_bytes_name_the_offset(tmp_path: Path) -> None:
    prefix = f"{USCC},名称\nX1,".encode()
    path = tmp_path / "bad.csv"
    path.write_bytes(prefix + b"\xff\xfe\x80abc\n")  # 0xFF is neither UTF-8 nor a GB18030 lead byte
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "bad.csv", is_header)
    # Header line: 8 Chinese chars (24 bytes) + ",名称" (7) + "\n" = 32 bytes; "X1," = 3 more; the 0xFF is byte 36.
    assert len(prefix) == 35
    assert reason(excinfo) == (
        "无法识别文件编码：文件既不是UTF-8也不是GBK/GB18030编码（第36字节，约第2行），请另存为UTF-8编码的CSV后重新上传"
    )


def test_undecodable_after_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + f"{USCC}\n".encode() + "福州".encode("gbk") + b"\n")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "bom.csv", is_header)
    # BOM 3 + 24 + newline 1 = 28 bytes before the GBK text: it starts at byte 29, on line 2.
    assert "文件标明为UTF-8编码" in reason(excinfo) and "第29字节，约第2行" in reason(excinfo)


def test_mojibake_binary_without_nul(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(50_000)))
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "junk.csv", is_header)
    assert reason(excinfo).startswith("无法识别文件编码")


def test_binary_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc\x00\x01\x02" * 100)
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "data.csv", is_header)
    assert "二进制内容（第4字节）" in reason(excinfo)


def test_nul_late_in_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(f"{USCC}\n".encode() + b"X1\n" * 5000 + b"\x00\n")
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "late.csv", is_header)
    assert f"第{25 + 15000 + 1}字节" in reason(excinfo)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF文档"),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "PNG图片"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "gzip压缩包"),
        ("统一社会信用代码,名称\r\n".encode("utf-16"), "UTF-16"),
        ("统一社会信用代码\tname\r\nX1\tabc\r\n".encode("utf-16-le"), "UTF-16"),
        (b"<html><body><table><tr><td>x</td></tr></table></body></html>", "网页（HTML）"),
        (b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">', "XML"),
    ],
)
def test_not_a_table(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "upload.xls"
    path.write_bytes(content)
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "upload.xls", is_header)
    assert needle in reason(excinfo)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.xlsx", {"data.csv": b"a,b\n"})
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "a.xlsx", is_header)
    assert "压缩包（zip）" in reason(excinfo)
    path = _zip(tmp_path / "w.xlsx", {"[Content_Types].xml": b"", "word/document.xml": b""})
    with pytest.raises(MalformedFileError) as excinfo:
        open_table(path, "w.xlsx", is_header)
    assert "Word文档" in reason(excinfo)


def test_malformed_error_carries_the_reason() -> None:
    error = MalformedFileError("文件为空")
    assert error.reason_zh == "文件为空"
    assert str(error) == "文件为空"


# --- format routing ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "content", "fmt"),
    [
        ("a.csv", f"{USCC}\nX\n", "csv"),
        ("a.TXT", f"{USCC}\tb\nX\ty\n", "csv"),
        ("a.xlsx", f"{USCC},b\nX,y\n", "csv"),  # a text file named .xlsx is read as the text it is
        ("a.json", json.dumps({USCC: "X"}) + "\n", "jsonl"),
        ("a.ndjson", json.dumps({USCC: "X"}) + "\n", "jsonl"),
        ("a.dat", json.dumps({USCC: "X"}) + "\n", "jsonl"),
        ("noext", f"{USCC},b\nX,y\n", "csv"),
    ],
)
def test_format_routing(tmp_path: Path, file_name: str, content: str, fmt: str) -> None:
    path = tmp_path / "spool"
    path.write_text(content, encoding="utf-8")
    table = open_table(path, file_name, is_header)
    assert table.format == fmt
    assert [row[USCC] for _, row in table.rows()] == ["X"]


# --- bounded memory --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_big_csv_streams_in_bounded_memory(tmp_path: Path) -> None:
    count = int(os.environ.get("GUIJI_BIG_ROWS", "150000"))
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["序号", USCC, "行政相对人名称", "处罚决定书文号", "处罚决定日期", "罚款金额"])
        for i in range(count):
            name = f"福州市鼓楼区第{i}号贸易有限公司"
            writer.writerow(
                [i, f"91350100MA{i:08d}", name, f"榕鼓市监罚〔2026〕{i}号", "2026-11-02", f"{i % 10000}.50"]
            )
    size = path.stat().st_size
    assert size > count * 100  # ~18 MB at the default row count; kept as dicts the rows would take far more

    tracemalloc.start()
    try:
        table = open_table(path, "big.csv", is_header)
        seen = 0
        last: tuple[int, Row] = (0, {})
        for item in table.rows():
            seen += 1
            last = item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert last[0] == count + 1
    assert last[1]["序号"] == str(count - 1)
    # Well under the file itself: a reader that slurped the file (or kept its rows) could not pass.
    assert peak < size // 3, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def test_table_repr_leaves_out_the_cached_sheet(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    build_penalty_workbook(path)
    table = open_table(path, "p.xlsx", is_header)
    assert isinstance(table, Table)
    assert repr(table).startswith("Table(format='xlsx', encoding=None, headers=[")
    assert "_sheet" not in repr(table)
