"""Hostile uploads over the real path (PutObject → S3 notification → SQS → intake handler on the moto server).

Every file gets a truthful receipt: refused whole with a Chinese reason and nothing left in the ledger or the audit
trail, or accounted for row by row (rows read = accepted + rejected + duplicates). The stack keeps serving.
Files are made here, small generators, no committed binaries.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from shared.services.upload_keys import receipt_key_of
from tests import helpers as h

pytestmark = pytest.mark.e2e

PRODUCED = "2024-09-27"
COLLECTED = "2024-10-12T15:30:00Z"


def _ledger(env: Any) -> list[str]:
    return sorted({i["pk"] for i in env.deps.tables.records.table.scan() if str(i["pk"]).startswith("REC#")})


def _record_streams(env: Any) -> list[str]:
    return sorted(s for s in env.deps.tables.audit.all_streams() if s.startswith("REC#"))


def _rows(n: int, start: int = 1) -> list[list[str]]:
    return [h.penalty_row(f"闽环罚〔2024〕{i}号", PRODUCED) for i in range(start, start + n)]


def _upload(env: Any, name: str, data: bytes, category: str = "penalty") -> dict[str, Any]:
    return dict(env.upload(h.ENV_DEPT, category, name, data, collected_at=COLLECTED))


def _assert_refused(env: Any, receipt: dict[str, Any], *fragments: str) -> None:
    assert receipt["status"] == "refused", receipt
    assert receipt["counts"]["read"] == 0
    message = receipt["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    for fragment in fragments:
        assert fragment in message, message
    assert _ledger(env) == [] and _record_streams(env) == []


def _assert_accounted(receipt: dict[str, Any]) -> dict[str, int]:
    assert receipt["status"] == "completed", receipt
    c = receipt["counts"]
    assert c["read"] == c["accepted"] + c["rejected"] + c["duplicates"]
    return dict(c)


def _still_serving(env: Any) -> None:
    receipt = _upload(env, "normal.csv", h.csv_bytes(_rows(2, start=9001)))
    assert _assert_accounted(receipt)["accepted"] == 2


def test_unclosed_quote_at_row_151_of_2000_refuses_the_file_with_nothing_left_behind(env: Any) -> None:
    lines = h.csv_bytes(_rows(2000)).decode("utf-8").splitlines()
    lines[150] = lines[150].replace(",罚款,", ',"罚款,', 1)  # row 151 of the file opens a quote that never closes
    receipt = _upload(env, "quote.csv", ("\n".join(lines) + "\n").encode("utf-8"))
    _assert_refused(env, receipt, "第151行", "引号")
    _still_serving(env)


def test_a_20_mb_cell_after_250_rows_rejects_that_row_only(env: Any) -> None:
    rows = _rows(260)
    rows[250][5] = "罚" * (7 << 20)  # 21 MB of UTF-8 in one cell
    counts = _assert_accounted(_upload(env, "huge-cell.csv", h.csv_bytes(rows)))
    assert (counts["read"], counts["accepted"], counts["rejected"]) == (260, 259, 1)
    report = env.deps.objects.get_bytes(
        env.env["INTAKE_BUCKET"],
        receipt_key_of(f"incoming/{h.ENV_DEPT}/penalty/huge-cell.csv").removesuffix(".json") + ".rejects.csv",
    )
    assert report is not None and "第6列的内容过长" in report.decode("utf-8-sig")
    assert "252" in report.decode("utf-8-sig")  # the clerk's row number (header is row 1)


def test_rows_too_large_to_store_are_rejected_with_a_reason(env: Any) -> None:
    # Each cell is within Excel's limit; together they are far over what one DynamoDB item may hold.
    wide = [*h.PENALTY_HEADERS, "备注1", "备注2", "备注3", "备注4"]
    rows = [r + (["说" * 30_000] * 4 if i == 1 else ["", "", "", ""]) for i, r in enumerate(_rows(3))]
    counts = _assert_accounted(_upload(env, "fat.csv", h.csv_bytes(rows, headers=wide)))
    assert (counts["accepted"], counts["rejected"]) == (2, 1)
    assert len(_ledger(env)) == 2


def test_one_cell_at_xfd1048576_is_refused_before_the_reader_allocates_it(env: Any) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(h.PENALTY_HEADERS)
    sheet.append(h.penalty_row("闽环罚〔2024〕1号", PRODUCED))
    sheet["XFD1048576"] = "x"
    data = io.BytesIO()
    book.save(data)
    assert len(data.getvalue()) < 10_000
    _assert_refused(env, _upload(env, "bomb.xlsx", data.getvalue()), "16,384列")
    _still_serving(env)


def test_a_zip_bomb_workbook_is_refused_by_its_compression_ratio(env: Any) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + " " * (64 << 20) + "</worksheet>")
    assert len(data.getvalue()) < 200_000
    _assert_refused(env, _upload(env, "zipbomb.xlsx", data.getvalue()), "压缩比")


def test_json_lines_with_deep_nesting_and_a_huge_line_are_rejected_row_by_row(env: Any) -> None:
    good = {
        "行政相对人名称": h.COMPANY_NAME,
        "统一社会信用代码": h.COMPANY,
        "处罚类别": "罚款",
        "处罚决定日期": PRODUCED,
    }
    lines = [
        json.dumps({**good, "行政处罚决定书文号": "闽环罚〔2024〕1号"}, ensure_ascii=False),
        "[" * 100_000 + "]" * 100_000,
        json.dumps(
            {**good, "行政处罚决定书文号": "闽环罚〔2024〕2号", "处罚内容": "罚" * (5 << 20)}, ensure_ascii=False
        ),
        json.dumps({**good, "行政处罚决定书文号": "闽环罚〔2024〕3号"}, ensure_ascii=False),
    ]
    counts = _assert_accounted(_upload(env, "deep.jsonl", "\n".join(lines).encode()))
    assert (counts["read"], counts["accepted"], counts["rejected"]) == (4, 2, 2)


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("nul.csv", h.csv_bytes(_rows(3)).replace(b"\xe7\xbd\x9a", b"\x00", 1), "二进制"),
        ("empty.csv", b"", "文件为空"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
        (
            "mixed.csv",
            h.csv_bytes(_rows(50)) + "福州昌华环保科技有限公司".encode("gbk") + b"\n" + h.csv_bytes(_rows(5, 51)),
            "编码",
        ),
        (
            "wide.csv",
            h.csv_bytes(_rows(2), headers=[*h.PENALTY_HEADERS, *(f"列名{i}" for i in range(5000))]),
            "5,006列",
        ),
    ],
)
def test_files_that_are_not_usable_tables_are_refused_whole(env: Any, name: str, data: bytes, fragment: str) -> None:
    _assert_refused(env, _upload(env, name, data), fragment)


@pytest.mark.parametrize("odd", ["./x.csv", "/x.csv", ".."])
def test_non_canonical_keys_are_refused_and_never_overwrite_a_real_receipt(env: Any, odd: str) -> None:
    real = _upload(env, "x.csv", h.csv_bytes(_rows(1)))
    assert _assert_accounted(real)["accepted"] == 1
    key = f"incoming/{h.ENV_DEPT}/penalty/{odd}"
    env.s3().put_object(Bucket=env.env["INTAKE_BUCKET"], Key=key, Body=h.csv_bytes(_rows(1, 500)))
    env.drain()
    odd_receipt = env.receipt(key)
    assert odd_receipt["status"] == "refused" and odd_receipt["source_key"] == key
    assert "路径" in odd_receipt["message"]
    assert receipt_key_of(key).startswith("receipts/_invalid/")
    assert env.receipt(f"incoming/{h.ENV_DEPT}/penalty/x.csv") == real  # untouched
