"""Property test over the readers with hostile inputs: CSV bytes (UTF-8 or GBK, and raw bytes), JSON Lines and XLSX
built with openpyxl. Whatever the input, opening and reading either refuses with ``MalformedFileError`` (the
documented refusal) or yields every non-blank data row exactly once: rows yielded + blank rows = data lines written.

CI runs a few hundred derandomised examples (tests/conftest.py's "ci" profile); GUIJI_FUZZ_EXAMPLES=N explores more.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.readers import MalformedFileError, open_table

USCC = "统一社会信用代码"
HEADERS = [USCC, "名称", "文号"]
EXAMPLES = int(os.environ.get("GUIJI_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Characters that trouble readers: quotes, delimiters, line breaks, NUL, BOM, full-width comma, GBK-only Chinese.
cell = st.text(alphabet=st.sampled_from(list('ab 1中文"，,;\t\r\n\x00\ufeff{}[]鍚')), max_size=8)


def is_header(cells: Sequence[str]) -> bool:
    return USCC in cells


def _read_all(path: Path, name: str) -> int | None:
    """Rows yielded + blank rows met, or None when the file is refused."""
    try:
        table = open_table(path, name, is_header, verify_all=True)
        yielded = sum(1 for _ in table.rows())
    except MalformedFileError as exc:
        assert exc.reason_zh
        return None
    return yielded + table.blank_rows


@FUZZ
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), max_size=15), encoding=st.sampled_from(["utf-8", "gbk"]))
def test_csv_never_crashes_and_never_loses_a_row(tmp_path: Path, rows: list[list[str]], encoding: str) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, *rows])
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = out.getvalue().encode("utf-8")
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    got = _read_all(path, "f.csv")
    if got is not None and not any("\x00" in c or "\r" in c or "\n" in c or '"' in c for r in rows for c in r):
        assert got == len(rows)  # plain cells: every written data line is accounted for


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_named_csv_are_read_or_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(",".join(HEADERS).encode() + b"\n" + data)
    _read_all(path, "b.csv")


@FUZZ
@given(
    objects=st.lists(
        st.one_of(
            st.dictionaries(st.sampled_from(HEADERS), st.one_of(cell, st.integers(), st.none()), min_size=1),
            st.recursive(st.none() | st.integers() | cell, lambda c: st.lists(c, max_size=3), max_leaves=8),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_jsonl_never_crashes_and_never_loses_a_line(tmp_path: Path, objects: list[object]) -> None:
    path = tmp_path / "f.jsonl"
    lines = [json.dumps({USCC: "X"}, ensure_ascii=False)] + [json.dumps(o, ensure_ascii=False) for o in objects]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = _read_all(path, "f.jsonl")
    assert got is None or got == len(lines)


@settings(
    max_examples=max(EXAMPLES // 4, 10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.one_of(cell, st.integers(), st.floats(allow_nan=False), st.none()), min_size=3, max_size=3),
        max_size=10,
    )
)
def test_xlsx_never_crashes_and_never_loses_a_row(tmp_path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    try:
        for row in rows:
            ws.append(row)
    except IllegalCharacterError:
        return  # openpyxl will not write control characters: not a file anyone can produce this way
    path = tmp_path / "f.xlsx"
    wb.save(path)
    got = _read_all(path, "f.xlsx")
    blank = sum(1 for r in rows if all(v is None or (isinstance(v, str) and not v.strip()) for v in r))
    # Trailing blank rows are not part of the sheet's extent, so only non-blank rows are compared exactly.
    assert got is None or got >= len(rows) - blank
