"""People upload through the API: a department token gets a presigned POST for one file in its own folder.

The form is signed with an upload session of the uploader role tagged with the caller's department (the same
identity a department's own system uses), so IAM still confines it to ``incoming/{code}/`` and the intake sees
that department's session as the writer. The POST policy pins the exact key (folder, category, file name)
and caps the size; it expires after a few minutes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.adapters.uploads import presigned_post
from shared.categories import INTAKE_FOLDERS, PUBLISHED_FOLDER, folder_name_zh
from shared.services.deps import Deps
from shared.services.upload_keys import RECEIPTS_PREFIX, arrival_of, receipt_key_of, upload_id_of

HISTORY_LIMIT = 30
MAX_NAME_LENGTH = 200
EXPIRES_SECONDS = 900  # the shortest STS session; the form is useless once it ends
_SESSION_UNSAFE = re.compile(r"[^\w+=,.@-]", re.ASCII)


class UploadRequestError(Exception):
    """A request for an upload form that cannot be granted; the message is Chinese."""


class UploadRequest(BaseModel):
    """The body of ``POST /uploads``."""

    model_config = ConfigDict(defer_build=True, extra="forbid", strict=True)

    category: str
    file_name: str
    size: int


def _check_file_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    if not name or name != name.strip() or name in {".", ".."} or name.startswith("."):
        raise UploadRequestError("文件名无效：不能为空、不能以“.”开头，首尾不能有空格")
    if any(ch in name for ch in "/\\") or any(unicodedata.category(ch).startswith("C") for ch in name):
        raise UploadRequestError("文件名无效：不能包含“/”“\\”或控制字符")
    if len(name.encode("utf-8")) > 255:
        raise UploadRequestError("文件名过长（不超过255字节）")
    return name


def grant_upload(department_code: str, who: str, body: dict[str, Any], deps: Deps) -> dict[str, Any]:
    """A presigned POST for ``incoming/{department}/{category}/{file_name}`` of at most ``size`` bytes."""
    try:
        request = UploadRequest.model_validate(body)
    except ValidationError as exc:
        raise UploadRequestError('请求体应为 {"category": 信息类别, "file_name": 文件名, "size": 字节数}') from exc
    department = deps.tables.registry.department(department_code)
    if department is None:
        raise UploadRequestError(f"部门“{department_code}”未在部门登记表中登记")
    if request.category not in INTAKE_FOLDERS:
        raise UploadRequestError(
            f"信息类别“{request.category}”无法识别，应为以下之一：{'、'.join(sorted(INTAKE_FOLDERS))}"
        )
    if request.category == PUBLISHED_FOLDER and not department.is_regulator:
        raise UploadRequestError("只有市场监管部门可以上传公示确认信息（published 目录）")
    cap = deps.settings.upload_max_bytes
    if not 0 < request.size <= cap:
        raise UploadRequestError(f"文件大小应在1字节至{cap}字节之间")
    role_arn = deps.settings.uploader_role_arn
    if not role_arn:
        raise UploadRequestError("服务未配置上传身份，暂不能通过接口上传")
    file_name = _check_file_name(request.file_name)
    key = f"incoming/{department.code}/{request.category}/{file_name}"
    # Session names show up in the S3 event as "<code>-api-<who>": the intake and the receipt name the person.
    session = (f"{department.code}-api-" + _SESSION_UNSAFE.sub("_", who or "user"))[:64]
    form = presigned_post(
        role_arn=role_arn,
        department=department.code,
        session_name=session,
        bucket=deps.settings.intake_bucket,
        key=key,
        max_bytes=request.size,
        expires_in=EXPIRES_SECONDS,
    )
    return {
        "url": form["url"],
        "fields": form["fields"],
        "key": key,
        "max_bytes": request.size,
        "expires_in": EXPIRES_SECONDS,
        "receipt_key": f"receipts/{department.code}/{request.category}/{file_name}.json",
    }


# --- what the web console shows of a department's uploads -------------------------------------------------


def upload_key(department: str, category: str, file_name: str) -> str:
    """``incoming/{department}/{category}/{file_name}`` after checking the category and the bare file name."""
    if category not in INTAKE_FOLDERS:
        allowed = "、".join(sorted(INTAKE_FOLDERS))
        raise UploadRequestError(f"信息类别“{category}”无法识别，应为以下之一：{allowed}")
    name = file_name.strip()
    if (
        not name
        or len(name) > MAX_NAME_LENGTH
        or PurePosixPath(name).name != name
        or "\\" in name
        or name in (".", "..")
        or any(ord(ch) < 32 for ch in name)
    ):
        raise UploadRequestError("文件名无效：应为不含路径的文件名（不超过200个字符）")
    return f"incoming/{department}/{category}/{name}"


def status(upload_key_: str, deps: Deps, upload_id: str | None = None) -> dict[str, Any]:
    """Where an upload stands: ``missing`` (no such file), ``processing`` (rows handled so far) or ``done``.

    Only the receipt of *this* upload counts (``upload_id``, else the arrival of the file now under the key):
    an older receipt of the same file name is ignored.
    """
    bucket = deps.settings.intake_bucket
    info = deps.objects.head(bucket, upload_key_)
    if info is None:
        return {"state": "missing", "key": upload_key_}
    uid = upload_id or upload_id_of(bucket, upload_key_, arrival_of(info))
    blob = deps.objects.get_bytes(bucket, receipt_key_of(upload_key_))
    receipt: dict[str, Any] = json.loads(blob) if blob else {}
    if receipt.get("upload_id") == uid:
        return {"state": "done", "key": upload_key_, "upload_id": uid, "receipt": receipt}
    rows = sum(int(c.get("rows", 0)) for c in deps.tables.uploads.chunks(uid))
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
    return folder_name_zh(str(slug or ""))
