"""People upload through the API: a department token gets a presigned POST for one file in its own folder.

The form is signed with an upload session of the uploader role tagged with the caller's department (the same
identity a department's own system uses), so IAM still confines it to ``incoming/{code}/`` and the intake sees
that department's session as the writer. The POST policy pins the exact key (folder, category, file name)
and caps the size; it expires after a few minutes.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.adapters.uploads import presigned_post
from shared.categories import INTAKE_FOLDERS, PUBLISHED_FOLDER
from shared.services.context import Deps

EXPIRES_SECONDS = 900  # the shortest STS session; the form is useless once it ends
_SESSION_UNSAFE = re.compile(r"[^\w+=,.@-]", re.ASCII)


class UploadRequestError(Exception):
    """A request for an upload form that cannot be granted; the message is Chinese."""


class UploadRequest(BaseModel):
    """The body of ``POST /uploads``."""

    model_config = ConfigDict(extra="forbid", strict=True)

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
