"""A department's uploads through the web console: presigned form uploads, receipt status, history, rejects.

Every function takes the caller's department code and builds the object keys itself, so a department can only
ever reach ``incoming/{its code}/…`` and ``receipts/{its code}/…``.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from shared.categories import CATEGORY_INFO, INTAKE_FOLDERS, PUBLISHED_FOLDER, Category
from shared.services.context import Deps
from shared.services.intake import RECEIPTS_PREFIX, receipt_key_of, upload_id_of

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # the largest file the console accepts (a CSV of a few million rows)
PRESIGN_SECONDS = 15 * 60
HISTORY_LIMIT = 30
MAX_NAME_LENGTH = 200


class UploadError(ValueError):
    """The upload request is invalid (message in Chinese)."""


def upload_key(department: str, category: str, file_name: str) -> str:
    """``incoming/{department}/{category}/{file_name}`` after checking the category and the bare file name."""
    if category not in INTAKE_FOLDERS:
        allowed = "、".join(sorted(INTAKE_FOLDERS))
        raise UploadError(f"信息类别“{category}”无法识别，应为以下之一：{allowed}")
    name = file_name.strip()
    if (
        not name
        or len(name) > MAX_NAME_LENGTH
        or PurePosixPath(name).name != name
        or "\\" in name
        or name in (".", "..")
        or any(ord(ch) < 32 for ch in name)
    ):
        raise UploadError("文件名无效：应为不含路径的文件名（不超过200个字符）")
    return f"incoming/{department}/{category}/{name}"


def presign(department: str, category: str, file_name: str, size: int, deps: Deps) -> dict[str, Any]:
    """A presigned POST into the department's own folder: ``{"url", "fields", "key", "expires_in"}``."""
    key = upload_key(department, category, file_name)
    if category == PUBLISHED_FOLDER:
        dept = deps.tables.registry.department(department)
        if dept is None or not dept.is_regulator:
            raise UploadError("只有市场监管部门可以上传公示确认信息（published 目录）")
    if not 0 < size <= MAX_UPLOAD_BYTES:
        raise UploadError(f"文件大小应在 1 字节至 {MAX_UPLOAD_BYTES // 1_048_576} MB 之间")
    bucket = deps.settings.intake_bucket
    fields = {"x-amz-meta-department": department}
    conditions: list[Any] = [
        ["starts-with", "$key", f"incoming/{department}/{category}/"],
        {"x-amz-meta-department": department},
        ["content-length-range", 1, MAX_UPLOAD_BYTES],
    ]
    post = deps.objects.presigned_post(bucket, key, fields=fields, conditions=conditions, expires=PRESIGN_SECONDS)
    return {"url": post["url"], "fields": post["fields"], "key": key, "expires_in": PRESIGN_SECONDS}


def status(upload_key_: str, deps: Deps) -> dict[str, Any]:
    """Where an upload stands: ``missing`` (no such file), ``processing`` (rows handled so far) or ``done``.

    Only the receipt of *this* version of the file counts: an older receipt of the same file name is ignored.
    """
    bucket = deps.settings.intake_bucket
    info = deps.objects.head(bucket, upload_key_)
    if info is None:
        return {"state": "missing", "key": upload_key_}
    uid = upload_id_of(bucket, upload_key_, info.etag)
    blob = deps.objects.get_bytes(bucket, receipt_key_of(upload_key_))
    receipt: dict[str, Any] = json.loads(blob) if blob else {}
    if receipt.get("upload_id") == uid:
        return {"state": "done", "key": upload_key_, "upload_id": uid, "receipt": receipt}
    rows = sum(int(c.get("rows", 0)) for c in deps.tables.control.items(f"UPLOAD#{uid}", "CHUNK#"))
    return {"state": "processing", "key": upload_key_, "upload_id": uid, "rows_handled": rows}


def history(department: str, deps: Deps, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The department's latest receipts, newest first (summary fields only)."""
    bucket = deps.settings.intake_bucket
    found = [
        (key, modified)
        for key, modified in deps.objects.list_modified(bucket, f"{RECEIPTS_PREFIX}{department}/")
        if key.endswith(".json")
    ]
    found.sort(key=lambda item: item[1], reverse=True)
    out = []
    for key, _ in found[:limit]:
        blob = deps.objects.get_bytes(bucket, key)
        if blob is None:
            continue
        receipt = json.loads(blob)
        category = receipt.get("category")
        out.append(
            {
                "category": category,
                "category_name": _category_name(category),
                "file_name": receipt.get("file_name"),
                "status": receipt.get("status"),
                "message": receipt.get("message"),
                "collected_at": receipt.get("collected_at"),
                "counts": receipt.get("counts", {}),
                "has_rejects": bool(receipt.get("rejects_key")),
            }
        )
    return out


def reject_report_of(upload_key_: str, deps: Deps) -> bytes | None:
    """The reject report (UTF-8 with BOM) of an upload, or None when it has none."""
    base = receipt_key_of(upload_key_).removesuffix(".json")
    return deps.objects.get_bytes(deps.settings.intake_bucket, base + ".rejects.csv")


def _category_name(slug: Any) -> str:
    try:
        return CATEGORY_INFO[Category(slug)].name_zh
    except ValueError:
        return str(slug or "")
