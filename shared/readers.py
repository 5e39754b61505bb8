"""Streaming readers for uploaded record files: CSV (UTF-8 or GB18030), XLSX (the first sheet with a header) and JSON Lines.

``open_table`` sniffs the format, checks the encoding of the whole file and finds the header row; ``Table.rows``
then re-reads the file and yields one ``{header: value}`` dict per data row with the row number a clerk sees.
Anything that makes the file unreadable as a table raises ``MalformedFileError`` with a Chinese reason for the
department's receipt.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, Literal

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

Cell = str | int | float | bool | date | datetime | None
Row = dict[str, Cell]
Format = Literal["csv", "xlsx", "jsonl"]

ERROR_KEY = "__error__"  # a row that could not be read at all: the value is the Chinese reason

_CSV_SUFFIXES = frozenset({".csv", ".txt"})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
_DELIMITERS = (",", "\t", ";")  # in order of preference on a tie; the full-width "，" is text, never a delimiter
_CHUNK = 1 << 20  # bytes per read while checking the encoding: memory stays bounded whatever the file size
_SNIFF_BYTES = 8192
_SAMPLE_CHARS = 1 << 16  # text used to detect the delimiter

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
# Other files people upload by mistake, named so the receipt can say what was received.
_BINARY_KINDS = (
    (b"%PDF", "PDF文档"),
    (b"\x1f\x8b", "gzip压缩包"),
    (b"Rar!", "RAR压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z压缩包"),
    (b"\x89PNG", "PNG图片"),
    (b"\xff\xd8\xff", "JPEG图片"),
    (b"GIF8", "GIF图片"),
)
_MARKUP_STARTS = (b"<!doctype", b"<html", b"<?xml", b"<table", b"<head", b"<meta", b"<body")

_SAVE_AS = "请在Excel中打开后“另存为”Excel工作簿（.xlsx）或“CSV UTF-8（逗号分隔）”格式，再重新上传"
# Cells are read whole (a 20 MB cell is a row to reject, not a reason to lose the file's row boundaries); the csv
# module's own limit (128 KiB) would raise and leave the reader mid-cell. The real limits are in ReadLimits.
csv.field_size_limit(1 << 27)


@dataclass(frozen=True)
class ReadLimits:
    """What an upload may hold. Over a file-wide limit the file is refused before anything is read into the ledger;
    over a row limit that row is rejected with the reason."""

    max_columns: int = 500
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_row_chars: int = 100_000  # keeps a record well below DynamoDB's 400 KB item limit
    max_line_bytes: int = 4 << 20  # JSON Lines: a longer line is rejected unread
    xlsx_max_cells: int = 20_000_000  # the used range (rows x columns) the spreadsheet reader would allocate
    xlsx_max_uncompressed: int = 512 << 20  # all parts of the workbook together
    xlsx_max_ratio: int = 200  # uncompressed / compressed size of a part (zip bombs)


DEFAULT_LIMITS = ReadLimits()
_EMPTY = "文件为空：上传的文件没有任何内容，请确认业务系统导出成功后重新上传"


class MalformedFileError(Exception):
    """The upload cannot be read as a table; ``reason_zh`` tells the department why and what to do."""

    def __init__(self, reason_zh: str) -> None:
        super().__init__(reason_zh)
        self.reason_zh = reason_zh


@dataclass
class Table:
    """An opened upload: its format, header and how to stream its data rows (each ``rows`` call re-reads the file)."""

    format: Format
    encoding: str | None  # "utf-8", "utf-8-sig" or "gb18030" for CSV; None for XLSX and JSONL
    headers: list[str]  # header cells as found (stripped), made unique; JSONL: keys of the first objects
    header_row: int  # 1-based physical row of the header; 0 for JSONL
    path: Path
    delimiter: str | None = None  # CSV only
    first_column: int = 1  # 1-based column of the first cell the reader returns (XLSX sheets may start right of A)
    blank_rows: int = 0  # completely blank data rows met by the latest ``rows`` iteration (not yielded)
    sheet_index: int = 0  # XLSX: the worksheet holding the table (the first one with a header row)
    sheet_name: str | None = None
    limits: ReadLimits = DEFAULT_LIMITS
    # CSV: the row of the latest record that swallowed the lines after it (unclosed quote), None after a good row.
    unclosed_quote_row: int | None = None
    _sheet: CalamineSheet | None = field(default=None, init=False, repr=False, compare=False)

    def rows(self, start: int = 0) -> Iterator[tuple[int, Row]]:
        """Yield (row number as the clerk sees it, {header: value}) for each non-blank data row after the header.

        ``start`` skips that many non-blank data rows (resuming a file in chunks: pass the number of rows the
        earlier chunks received). Blank rows are counted in ``blank_rows`` from where the skipped part ends.
        Extra cells beyond the headers are kept under "列N" (N = column number). A row that cannot be read is
        yielded as ``{"__error__": reason}`` so the caller rejects just that row.
        """
        if start < 0:
            raise ValueError("start must be >= 0")
        self.blank_rows = 0
        if self.format == "csv":
            return self._csv_rows(start)
        if self.format == "xlsx":
            return self._xlsx_rows(start)
        return self._jsonl_rows(start)

    def _csv_rows(self, start: int) -> Iterator[tuple[int, Row]]:
        headers = self.headers
        width = len(headers)
        delimiter = self.delimiter or ","
        with self.path.open(encoding=self.encoding, newline="") as text:
            reader = csv.reader(text, delimiter=delimiter)
            row_no = self.header_row
            try:
                deque(islice(reader, row_no), maxlen=0)
                last_line = reader.line_num
                to_skip = start
                for raw in reader:
                    row_no += 1
                    line = reader.line_num
                    spanned = line - last_line
                    last_line = line
                    if to_skip:
                        if "".join(raw).strip():  # a non-blank row; blank ones in the skipped part are not counted
                            to_skip -= 1
                        continue
                    cells: list[Cell] = [c.strip() or None for c in raw]
                    if not any(cells):  # CSV cells are str or None, so any() is a blank test here
                        self.blank_rows += 1
                        continue
                    # A record over several lines is either a quoted multi-line cell or an unclosed quote that
                    # swallowed whole rows; only the second has a line carrying a full row's worth of delimiters.
                    if spanned > 1 and _swallowed_rows(raw, delimiter, width):
                        self.unclosed_quote_row = row_no
                        yield row_no, {ERROR_KEY: _unclosed_quote_reason(row_no, spanned - 1)}
                        continue
                    self.unclosed_quote_row = None
                    problem = _size_problem(cells, self.limits)
                    yield row_no, {ERROR_KEY: problem} if problem else _to_row(headers, cells, 1)
            except csv.Error as exc:
                # Only a field over the (very large) field limit gets here: row boundaries after it are lost.
                raise MalformedFileError(
                    f"第{row_no + 1}行起的内容无法按表格读取：单元格的英文双引号不成对或单元格过长，"
                    "其后的行都被并入了同一个单元格，请检查该行的引号后重新上传"
                ) from exc

    def _xlsx_rows(self, start: int) -> Iterator[tuple[int, Row]]:
        headers = self.headers
        if self._sheet is None:
            self._sheet = _sheets(self.path)[self.sheet_index][1]
        rows = self._sheet.iter_rows()
        row_no = self.header_row
        deque(islice(rows, row_no), maxlen=0)
        to_skip = start
        for raw in rows:
            row_no += 1
            cells = [_xlsx_cell(v) for v in raw]
            if all(c is None for c in cells):  # not any(): 0 and False are real values here
                if not to_skip:
                    self.blank_rows += 1
                continue
            if to_skip:
                to_skip -= 1
                continue
            problem = _size_problem(cells, self.limits)
            yield row_no, {ERROR_KEY: problem} if problem else _to_row(headers, cells, self.first_column)

    def _jsonl_rows(self, start: int) -> Iterator[tuple[int, Row]]:
        headers = self.headers
        to_skip = start
        with self.path.open(encoding="utf-8-sig") as text:
            for line_no, line in enumerate(text, 1):
                stripped = line.strip()
                if not stripped:
                    if not to_skip:
                        self.blank_rows += 1
                    continue
                if to_skip:
                    to_skip -= 1
                    continue
                if len(stripped) > self.limits.max_line_bytes:
                    yield line_no, {ERROR_KEY: f"第{line_no}行过长（超过{self.limits.max_line_bytes:,}个字符），未读取"}
                    continue
                obj = _parse_object(stripped)
                if obj is None:
                    yield line_no, {ERROR_KEY: f"第{line_no}行不是有效的JSON对象"}
                    continue
                row: Row = dict.fromkeys(headers)
                for key, value in obj.items():
                    row[key.strip()] = _json_cell(value)
                problem = _size_problem(list(row.values()), self.limits)
                yield line_no, {ERROR_KEY: problem} if problem else row


def open_table(
    path: Path,
    file_name: str,
    is_header: Callable[[Sequence[str]], bool],
    *,
    max_header_scan: int = 30,
    limits: ReadLimits = DEFAULT_LIMITS,
    verify_all: bool = False,
) -> Table:
    """Sniff the format of the spooled upload at ``path``, check its encoding and locate the header row.

    With ``verify_all`` a CSV is also read through once, so that a file whose row boundaries cannot be trusted
    (an unclosed quote that runs to the end, an endless cell) is refused here, before any of its rows is used:
    a file is either accounted for row by row or refused whole. Workbooks are checked against the XLSX limits
    before the spreadsheet reader sees them, whatever ``verify_all`` says.
    """
    if max_header_scan < 1:
        raise ValueError("max_header_scan must be >= 1")
    fmt = _sniff_format(path, file_name)
    if fmt == "xlsx":
        _check_workbook_limits(path, limits)
        table = _open_xlsx(path, is_header, max_header_scan)
    elif fmt == "jsonl":
        table = _open_jsonl(path, is_header, max_header_scan)
    else:
        table = _open_csv(path, is_header, max_header_scan)
    table.limits = limits
    if len(table.headers) > limits.max_columns:
        raise MalformedFileError(
            f"表格有{len(table.headers):,}列，超过上限（{limits.max_columns}列）：请只保留本类别规定的列后重新上传"
        )
    if verify_all and fmt == "csv":
        _verify_csv(table)
    return table


def _verify_csv(table: Table) -> None:
    """Read every row once; refuse the file when an unclosed quote swallowed the rows up to the end."""
    table.unclosed_quote_row = None
    deque(table.rows(), maxlen=0)
    row_no = table.unclosed_quote_row
    if row_no is not None:
        raise MalformedFileError(
            f"第{row_no}行起的内容无法按表格读取：该行有单元格以英文双引号开头却没有结束引号，"
            "其后直到文件末尾的行都被并入了同一个单元格，请修正该行的引号后重新上传"
        )


# --- format sniffing ---------------------------------------------------------------------------------------------


def _sniff_format(path: Path, file_name: str) -> Format:
    with path.open("rb") as raw:
        head = raw.read(_SNIFF_BYTES)
    if not head:
        raise MalformedFileError(_EMPTY)
    if head.startswith(_OLE2):
        # OLE2 is both the legacy .xls format and the container of a password-protected .xlsx.
        raise MalformedFileError(
            "无法读取旧版Excel（.xls）文件或设置了密码的Excel文件：" + _SAVE_AS + "（如有密码保护请先取消）"
        )
    if head.startswith(_ZIP):
        _check_workbook_zip(path)
        return "xlsx"  # by content: a workbook named .csv is still read as a workbook
    for magic, kind in _BINARY_KINDS:
        if head.startswith(magic):
            raise MalformedFileError(
                f"上传的文件是{kind}，不是数据表：请上传Excel工作簿（.xlsx）、CSV或JSON Lines格式的数据文件"
            )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(head):
        raise MalformedFileError(
            "文件是UTF-16（“Unicode文本”）编码，无法读取：请在Excel中“另存为”“CSV UTF-8（逗号分隔）”格式后重新上传"
        )
    nul = head.find(b"\x00")
    if nul >= 0:
        raise _binary_error(nul)
    text_head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text_head.lower().startswith(_MARKUP_STARTS):
        # Many systems "export to Excel" as an HTML or XML page with an .xls name.
        raise MalformedFileError("文件是网页（HTML）或XML格式，并非真正的Excel工作簿：" + _SAVE_AS)
    suffix = Path(file_name).suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _CSV_SUFFIXES or suffix in _XLSX_SUFFIXES:
        return "csv"  # a text file named .xlsx is read as the text it is
    return "jsonl" if text_head[:1] in (b"{", b"[") else "csv"


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text without a BOM: ASCII characters leave a NUL in every other byte."""
    if len(head) < 8:
        return False
    odd_zeros, even_zeros = head[1::2].count(0), head[0::2].count(0)
    half = len(head) // 2
    # One half mostly NUL and the other almost never: a binary file has NULs scattered through both.
    return (odd_zeros > half * 0.6 and even_zeros < half * 0.05) or (
        even_zeros > half * 0.6 and odd_zeros < half * 0.05
    )


def _binary_error(offset: int) -> MalformedFileError:
    return MalformedFileError(
        f"文件含有二进制内容（第{offset + 1}字节），不是文本表格：请上传Excel工作簿（.xlsx）、CSV或JSON Lines格式的数据文件"
    )


def _check_workbook_zip(path: Path) -> None:
    """A zip upload must be an Excel workbook; name what it is otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise MalformedFileError("Excel文件已损坏或不完整，无法打开：" + _SAVE_AS) from exc
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return
    if "word/document.xml" in names:
        raise MalformedFileError(
            "上传的文件是Word文档，不是数据表：请把数据整理为Excel工作簿（.xlsx）或CSV文件后重新上传"
        )
    if "ppt/presentation.xml" in names:
        raise MalformedFileError("上传的文件是PowerPoint演示文稿，不是数据表：请上传Excel工作簿（.xlsx）或CSV文件")
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        raise MalformedFileError("上传的文件是OpenDocument表格（.ods）：" + _SAVE_AS)
    raise MalformedFileError("上传的文件是压缩包（zip），不是Excel工作簿：请解压后分别上传其中的.xlsx或CSV文件")


# --- CSV ---------------------------------------------------------------------------------------------------------


def _open_csv(path: Path, is_header: Callable[[Sequence[str]], bool], max_scan: int) -> Table:
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as text:
        sample = text.read(_SAMPLE_CHARS)
    delimiter = _detect_delimiter(sample)
    widest = 0
    scanned = 0
    with path.open(encoding=encoding, newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for row_no, raw in enumerate(islice(reader, max_scan), 1):
                scanned = row_no
                cells = [c.strip() for c in raw]
                if not any(cells):
                    continue
                widest = max(widest, len(cells))
                if is_header(cells):
                    return Table("csv", encoding, _make_headers(cells, 1), row_no, path, delimiter=delimiter)
        except csv.Error as exc:
            raise MalformedFileError(
                "文件开头的内容无法按表格读取（英文双引号不成对或单元格过长）：" + _SAVE_AS
            ) from exc
    if widest == 0 and scanned < max_scan:
        raise MalformedFileError("文件为空：文件中只有空行，没有任何数据，请确认业务系统导出成功后重新上传")
    hint = "（文件只有一列，可能不是以逗号或制表符分隔的表格）" if widest <= 1 else ""
    raise _no_header_error(max_scan, hint)


def _no_header_error(max_scan: int, hint: str) -> MalformedFileError:
    return MalformedFileError(
        f"未找到表头：文件前{max_scan}行中没有可识别的列名行{hint}。"
        f"请确认上传的是本类别的数据表、表头位于前{max_scan}行内，并使用规定的列名"
    )


def _detect_encoding(path: Path) -> str:
    """The encoding of the whole file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    with path.open("rb") as raw:
        has_bom = raw.read(3) == codecs.BOM_UTF8
        if not has_bom:
            raw.seek(0)
        bad = _first_undecodable(raw, "utf-8", 3 if has_bom else 0)
        if bad is None:
            return "utf-8-sig" if has_bom else "utf-8"
        if not has_bom:
            raw.seek(0)
            if _first_undecodable(raw, "gb18030", 0) is None:
                return "gb18030"
    # Report where UTF-8 broke: in a mixed file that is where the foreign part begins.
    where = f"第{bad + 1}字节，约第{_line_at(path, bad)}行"
    if has_bom:
        raise MalformedFileError(
            f"文件编码有误：文件标明为UTF-8编码，但含有不是UTF-8的内容（{where}），请另存为UTF-8编码的CSV后重新上传"
        )
    raise MalformedFileError(
        f"无法识别文件编码：文件既不是UTF-8也不是GBK/GB18030编码（{where}），请另存为UTF-8编码的CSV后重新上传"
    )


def _first_undecodable(raw: BinaryIO, encoding: str, offset: int) -> int | None:
    """Decode the rest of ``raw`` in chunks; the file offset of the first byte that does not decode, or None."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    while True:
        chunk = raw.read(_CHUNK)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise _binary_error(offset + nul)
        end = offset + len(chunk)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            # exc.object is the decoder's pending bytes followed by this chunk, so it ends at ``end``.
            return end - len(exc.object) + exc.start
        if not chunk:
            return None
        offset = end


def _line_at(path: Path, offset: int) -> int:
    """1-based line number of a byte offset (for a clerk looking for the spot in an editor)."""
    newlines = 0
    with path.open("rb") as raw:
        remaining = offset
        while remaining > 0:
            chunk = raw.read(min(_CHUNK, remaining))
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            remaining -= len(chunk)
    return newlines + 1


def _detect_delimiter(sample: str) -> str:
    """The delimiter that gives the most rows of one common width (> 1 column); comma on a tie or no signal."""
    if len(sample) >= _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # drop the cut-off last line
    best, best_score = ",", (0, 0)
    for candidate in _DELIMITERS:
        try:  # a stray carriage return inside a cell can trip a candidate: that candidate gives no signal
            widths = Counter(
                len(row)
                for row in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate)
                if len(row) > 1 and any(row)
            )
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
        if (count, width) > best_score:
            best, best_score = candidate, (count, width)
    return best


def _swallowed_rows(raw: Sequence[str], delimiter: str, width: int) -> bool:
    """Whether a multi-line cell holds a line with a full row's worth of delimiters (an unclosed quote)."""
    if width < 3:
        return False
    for cell in raw:
        if "\n" in cell or "\r" in cell:
            for part in cell.splitlines()[1:]:
                if part.count(delimiter) >= width - 1:
                    return True
    return False


def _unclosed_quote_reason(row_no: int, extra_lines: int) -> str:
    return (
        f"第{row_no}行有单元格以英文双引号开头却没有结束引号，其后{extra_lines}行被并入了这一行："
        "请修正引号后重新上传这些行"
    )


# --- XLSX --------------------------------------------------------------------------------------------------------


_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([A-Z]{1,4})([0-9]{1,8})(?::([A-Z]{1,4})([0-9]{1,8}))?"')
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,4})([0-9]{1,8})"')


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _check_workbook_limits(path: Path, limits: ReadLimits) -> None:
    """Refuse a workbook the spreadsheet reader would choke on, before it sees it (it allocates the whole used
    range: one cell at XFD1048576 means 17 billion cells). Sizes come from the zip directory, and each worksheet's
    cell references are scanned as a stream (declared dimensions can lie), within the declared sizes."""
    mib = 1 << 20
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > limits.xlsx_max_uncompressed:
                raise MalformedFileError(
                    f"Excel文件解压后有{total / mib:,.0f} MB，超过上限（{limits.xlsx_max_uncompressed / mib:,.0f} MB）："
                    "请分成几个较小的文件上传"
                )
            for info in infos:
                if info.file_size > mib and info.file_size > limits.xlsx_max_ratio * max(info.compress_size, 1):
                    raise MalformedFileError(
                        f"Excel文件中的“{info.filename}”压缩比异常（解压后为压缩前的"
                        f"{info.file_size // max(info.compress_size, 1):,}倍，上限{limits.xlsx_max_ratio}倍），"
                        "疑似恶意构造的文件，拒绝读取：" + _SAVE_AS
                    )
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    _check_sheet_extent(archive, info, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise MalformedFileError("Excel文件已损坏或不完整，无法打开：" + _SAVE_AS) from exc


def _check_sheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> None:
    """The used range of one worksheet, from its declared dimension and every cell reference."""
    low_row = low_col = 1 << 62
    high_row = high_col = 0
    tail = b""
    with archive.open(info) as stream:  # reads at most the declared size, then checks the CRC
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            cut = data.rfind(b"<")  # a tag may straddle chunks: keep the last one for the next round
            body, tail = (data[:cut], data[cut:]) if cut > 0 and len(data) - cut < 256 else (data, b"")
            for match in _DIMENSION.finditer(body):
                corners = [(match.group(1), match.group(2))]
                if match.group(3):
                    corners.append((match.group(3), match.group(4)))
                for letters, digits in corners:
                    col, row = _column_number(letters), int(digits)
                    low_row, high_row = min(low_row, row), max(high_row, row)
                    low_col, high_col = min(low_col, col), max(high_col, col)
            for match in _CELL_REF.finditer(body):
                col, row = _column_number(match.group(1)), int(match.group(2))
                low_row, high_row = min(low_row, row), max(high_row, row)
                low_col, high_col = min(low_col, col), max(high_col, col)
    if not high_row:
        return
    rows, cols = high_row - low_row + 1, high_col - low_col + 1
    sheet = info.filename.rsplit("/", 1)[-1]
    if cols > limits.max_columns:
        raise MalformedFileError(
            f"Excel工作表（{sheet}）的数据区域有{cols:,}列，超过上限（{limits.max_columns}列）："
            "请删除表格右侧多余的列（包括看似空白但有格式或内容的单元格）后重新上传"
        )
    if rows * cols > limits.xlsx_max_cells:
        raise MalformedFileError(
            f"Excel工作表（{sheet}）的数据区域为{rows:,}行×{cols:,}列，超过上限（{limits.xlsx_max_cells:,}个单元格）："
            "请删除表格下方多余的行，或分成几个较小的文件上传"
        )


def _sheets(path: Path) -> list[tuple[str, CalamineSheet]]:
    try:
        workbook = CalamineWorkbook.from_path(path)
        if not workbook.sheet_names:
            raise MalformedFileError("Excel工作簿中没有工作表：请把数据放在第一张工作表后重新上传")
        return [(name, workbook.get_sheet_by_index(i)) for i, name in enumerate(workbook.sheet_names)]
    except CalamineError as exc:
        raise MalformedFileError("Excel文件已损坏、加密或不完整，无法读取：" + _SAVE_AS) from exc


def _open_xlsx(path: Path, is_header: Callable[[Sequence[str]], bool], max_scan: int) -> Table:
    """The table of the first worksheet that has a header row (government templates often open with a
    “填表说明” sheet before the data)."""
    sheets = _sheets(path)
    for index, (name, sheet) in enumerate(sheets):
        if sheet.start is None:
            continue
        # iter_rows starts at row 1 but at the sheet's first used column, so columns are offset by start[1].
        first_column = sheet.start[1] + 1
        for row_no, raw in enumerate(islice(sheet.iter_rows(), max_scan), 1):
            cells = [_cell_text(_xlsx_cell(v)) for v in raw]
            if any(cells) and is_header(cells):
                headers = _make_headers(cells, first_column)
                table = Table("xlsx", None, headers, row_no, path, first_column=first_column, sheet_index=index)
                table.sheet_name = name
                table._sheet = sheet  # reuse the loaded sheet for the first rows() call
                return table
    if all(sheet.start is None for _, sheet in sheets):
        raise MalformedFileError(f"Excel工作簿的工作表“{sheets[0][0]}”是空的：请把数据放在第一张工作表后重新上传")
    names = "、".join(f"“{name}”" for name, _ in sheets)
    raise _no_header_error(max_scan, f"（已查找全部工作表：{names}）")


def _xlsx_cell(value: Any) -> Cell:
    """A calamine cell as a ``Cell``: stripped text or None, whole floats as int, dates kept."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float):
        # Numbers in XLSX are floats; a 15-digit 注册号 typed as a number must not come back as "3.5e14" or "….0".
        return int(value) if value.is_integer() else value
    if isinstance(value, int | date):  # also bool and datetime (subclasses)
        return value
    if isinstance(value, time | timedelta):
        return str(value)
    return None if value is None else str(value)


def _cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- JSON Lines --------------------------------------------------------------------------------------------------


def _open_jsonl(path: Path, is_header: Callable[[Sequence[str]], bool], max_scan: int) -> Table:
    with path.open("rb") as raw:
        has_bom = raw.read(3) == codecs.BOM_UTF8
        if not has_bom:
            raw.seek(0)
        bad = _first_undecodable(raw, "utf-8", 3 if has_bom else 0)
    if bad is not None:
        raise MalformedFileError(
            f"JSON Lines文件必须是UTF-8编码：第{bad + 1}字节（约第{_line_at(path, bad)}行）不是有效的UTF-8字符，"
            "请转换为UTF-8编码后重新上传"
        )
    keys: dict[str, None] = {}
    seen = 0
    with path.open(encoding="utf-8-sig") as text:
        for line in text:
            stripped = line.strip()
            if not stripped:
                continue
            if seen == 0 and stripped.startswith("["):
                raise MalformedFileError(
                    "文件是JSON数组，不是JSON Lines：请改为每行一个JSON对象（不要用方括号包住整个文件）后重新上传"
                )
            seen += 1
            obj = _parse_object(stripped)
            if obj is not None:
                for key in obj:
                    keys.setdefault(key.strip(), None)
            if seen >= max_scan:
                break
    if seen == 0:
        raise MalformedFileError("文件为空：文件中只有空行，没有任何数据，请确认业务系统导出成功后重新上传")
    if not keys:
        raise MalformedFileError(
            f"文件前{seen}个非空行中没有有效的JSON对象：JSON Lines文件应每行一个JSON对象（以{{开头、以}}结尾），"
            "请检查后重新上传"
        )
    headers = list(keys)
    if not is_header(headers):
        shown = "、".join(headers[:5]) + ("等" if len(headers) > 5 else "")
        raise MalformedFileError(
            f"未找到表头：JSON对象的字段名（{shown}）无法识别为本类别的字段，请使用规定的字段名后重新上传"
        )
    return Table("jsonl", None, headers, 0, path)


def _parse_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _json_cell(value: Any) -> Cell:
    """A JSON value as a ``Cell``: stripped text or None, whole floats as int, nested values as JSON text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return json.dumps(value, ensure_ascii=False)


# --- shared ------------------------------------------------------------------------------------------------------


def _size_problem(cells: Sequence[Cell], limits: ReadLimits) -> str | None:
    """Why a row is too large to keep (Chinese), or None."""
    if len(cells) > limits.max_columns:
        return f"该行有{len(cells):,}个单元格，超过上限（{limits.max_columns}个）"
    total = 0
    for index, cell in enumerate(cells):
        if isinstance(cell, str):
            size = len(cell)
            if size > limits.max_cell_chars:
                return f"第{index + 1}列的内容过长（{size:,}个字符，上限{limits.max_cell_chars:,}个），该行未保存"
            total += size
    if total > limits.max_row_chars:
        return f"该行内容过长（合计{total:,}个字符，上限{limits.max_row_chars:,}个），该行未保存"
    return None


def _make_headers(cells: Sequence[str], first_column: int) -> list[str]:
    """Header names: trailing empty cells dropped, empty ones named "列N", duplicates numbered ("名称_2")."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    headers: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells[:end]):
        name = cell or f"列{first_column + index}"
        if name in seen:
            suffix = 2
            while f"{name}_{suffix}" in seen:
                suffix += 1
            name = f"{name}_{suffix}"
        seen.add(name)
        headers.append(name)
    return headers


def _to_row(headers: list[str], cells: list[Cell], first_column: int) -> Row:
    """Map cells to headers; missing cells are None, non-empty extra cells go under "列N"."""
    row: Row = dict(zip(headers, cells, strict=False))
    width = len(headers)
    count = len(cells)
    if count < width:
        for name in headers[count:]:
            row[name] = None
    elif count > width:
        for index in range(width, count):
            value = cells[index]
            if value is not None:
                row[f"列{first_column + index}"] = value
    return row
