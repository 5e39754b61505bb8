"""Intake: one uploaded file → validated, attributed, dated ledger rows, a receipt and a reject report.

Flow per queue message (an S3 notification or a continuation of a large file):
parse the key → refuse what is not ``incoming/{department}/{folder}/{file}`` from a registered department →
spool the object to a temp file → detect the format and header → validate each row → attribute and decide
(new / duplicate / correction) in batches → write ledger, versions, audit and collection-late breaches in
batches → record the chunk's counts → hand the rest of a large file on through the queue, or write the receipt.

Never lose a row: every data row read is counted as accepted, rejected or duplicate. A retry of the same
message replays: rows already written by the earlier attempt keep their first outcome.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict

from shared.adapters.messaging import ObjectInfo, version_id_of
from shared.categories import (
    FEEDBACK_FOLDER,
    INTAKE_FOLDERS,
    PRODUCTION_FOLDER,
    PUBLISHED_FOLDER,
    Category,
    folder_name_zh,
)
from shared.columns import HeaderError, looks_like_folder_header, map_headers
from shared.exports import excel_safe
from shared.identifiers import normalize_code
from shared.ledger import (
    UploadContext,
)
from shared.observability import logger, metrics
from shared.readers import MalformedFileError, Table, open_table
from shared.registry import Department
from shared.row_validation import RejectReason
from shared.services.deps import Deps
from shared.services.folder_rows import FeedbackSink, ProductionListSink, PublishedSink
from shared.services.record_sink import Counts, RecordSink, RowSink
from shared.services.upload_keys import (
    KeyParts,
    arrival_of,
    receipt_key_of,
    split_key,
    upload_id_of,
)
from shared.settings import read_limits
from shared.timeutil import iso_utc, local_date, parse_iso_utc, utc_now

WORK_PREFIX = "work/"


class UploadRef(BaseModel):
    """One object to process, from an S3 event record or a continuation message.

    An upload is one *arrival* of a key, not its content: re-uploading an earlier file after a correction is a new
    upload (issue 7 item 6). ``version_id`` is the S3 object version to read; ``arrival`` identifies the upload
    (the version id, or in an unversioned bucket the ETag and creation instant, see :func:`arrival_of`).
    """

    model_config = ConfigDict(defer_build=True)

    bucket: str
    key: str
    etag: str = ""
    version_id: str = ""
    arrival: str = ""
    chunk: int = 0
    start_row: int = 0  # data rows already handled by earlier chunks
    # Who wrote the object: the S3 event's userIdentity.principalId, set by AWS from the request's credentials
    # (never from anything the uploader sends). Continuations carry it on.
    uploader: str = ""


def parse_message(body: str) -> list[UploadRef]:
    """Upload references in an SQS message body; ``s3:TestEvent`` and foreign events yield nothing."""
    data = json.loads(body)
    if isinstance(data, dict) and "Message" in data and "TopicArn" in data:  # SNS envelope
        data = json.loads(data["Message"])
    if not isinstance(data, dict):
        return []
    if "continuation" in data:
        return [UploadRef.model_validate(data["continuation"])]
    refs: list[UploadRef] = []
    for record in data.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3", {})
        refs.append(
            UploadRef(
                bucket=s3.get("bucket", {}).get("name", ""),
                key=unquote_plus(s3.get("object", {}).get("key", "")),
                etag=str(s3.get("object", {}).get("eTag", "")).strip('"'),
                uploader=str((record.get("userIdentity") or {}).get("principalId", "")),
                version_id=version_id_of(s3.get("object", {}).get("versionId")),
            )
        )
    return refs


def pinned_refs(body: str, deps: Deps) -> list[UploadRef]:
    """The uploads of a message, each pinned to the arrival it processes (the idempotency key includes it).

    Real S3 events name the object version. moto's do not (serverless.md M2), nor does an unversioned bucket, so
    the version is read with HeadObject: the key's current version when the message is handled. A version
    replaced before its message is handled is then not processed on its own; its successor is (latest wins).
    """
    refs = []
    for ref in parse_message(body):
        if not ref.arrival:
            info = deps.objects.head(ref.bucket, ref.key, ref.version_id)
            if info is not None:
                ref = ref.model_copy(
                    update={"version_id": info.version_id, "etag": info.etag, "arrival": arrival_of(info)}
                )
        refs.append(ref)
    return refs


@dataclass
class ChunkOutcome:
    upload_id: str
    status: str  # "done", "continued", "skipped", "refused"
    counts: dict[str, int] = field(default_factory=dict)


class FileRefusedError(Exception):
    """The whole file cannot be processed; the reason (Chinese) goes into the receipt."""

    def __init__(self, reason_zh: str) -> None:
        super().__init__(reason_zh)
        self.reason_zh = reason_zh


def process_upload(ref: UploadRef, deps: Deps) -> ChunkOutcome:
    """Process one chunk of one upload (the unit of work of the intake function)."""
    info = deps.objects.head(ref.bucket, ref.key, ref.version_id)
    if info is None:
        logger.warning("object vanished before processing", extra={"key": ref.key})
        return ChunkOutcome("", "skipped")
    uid = upload_id_of(ref.bucket, ref.key, arrival_of(info))
    ref = ref.model_copy(update={"version_id": info.version_id, "arrival": arrival_of(info)})
    state = deps.tables.uploads.state(uid)
    if state and state.get("status") in ("done", "refused"):
        logger.info("upload already processed", extra={"upload_id": uid, "key": ref.key})
        return ChunkOutcome(uid, "skipped", state.get("counts", {}))
    parts = split_key(ref.key)
    collected_at = _collected_at(info, deps)
    try:
        if parts is None:
            raise FileRefusedError(
                "文件路径不符合约定：应上传至 incoming/{部门统一社会信用代码}/{信息类别}/{文件名}，"
                "路径中不能有空目录名、“.”或“..”、控制字符，每段不超过255字节"
            )
        department = _check_department(parts, ref.uploader, deps, first_chunk=ref.chunk == 0)
        with tempfile.TemporaryDirectory(prefix="guiji-") as tmp, _department_lease(department.code, uid, ref, deps):
            path = Path(tmp) / "upload"
            deps.objects.download(ref.bucket, ref.key, path, info.version_id)
            return _process_file(ref, uid, parts, department, collected_at, path, deps)
    except FileRefusedError as exc:
        return _refuse(ref, uid, parts, collected_at, exc.reason_zh, deps)


class IntakeBusyError(Exception):
    """Another chunk of the same department is being written; the message is retried later (nothing is lost)."""


LEASE_SECONDS = 900  # the intake function's timeout: a crashed holder's lease lapses when its invocation would have
LEASE_WAIT = 30.0


@contextmanager
def _department_lease(department: str, uid: str, ref: UploadRef, deps: Deps) -> Iterator[None]:
    """One chunk at a time per department: the records a chunk creates (and their first audit entries, written in a
    block) cannot be created by another writer meanwhile, so their positions need no claiming one by one."""
    name, owner = f"intake#{department}", f"{uid}#{ref.chunk}"
    deadline = time.monotonic() + LEASE_WAIT
    while not deps.tables.control.acquire_lease(name, owner, LEASE_SECONDS):
        if time.monotonic() > deadline:
            raise IntakeBusyError(f"department {department} is busy with another upload")
        time.sleep(0.2)
    try:
        yield
    finally:
        deps.tables.control.release_lease(name, owner)


def _collected_at(info: ObjectInfo, deps: Deps) -> datetime:
    """When the upload reached the regulator: the object's creation instant (UTC)."""
    override = info.metadata.get("collected-at")
    if override and deps.settings.allow_backdated_uploads:
        try:
            return parse_iso_utc(override)
        except ValueError:
            logger.warning("ignoring unreadable collected-at metadata", extra={"value": override})
    return info.last_modified


@dataclass(frozen=True)
class Uploader:
    """Who wrote an object, as far as the principal id tells: a department's upload session, or someone else."""

    principal_id: str
    department: str | None  # set only for a session of the uploader role
    session: str = ""

    @property
    def label_zh(self) -> str:
        if self.department:
            return f"部门{self.department}（会话 {self.session}）"
        return f"“{self.principal_id}”" if self.principal_id else "身份不明的上传者"


def uploader_of(principal_id: str, uploader_role_id: str | None) -> Uploader:
    """Read the uploader from an S3 event's principal id (``AWS:<role id>:<session name>`` for a role session).

    Only a session of the uploader role names a department: its trust policy makes the session name start
    with the caller's own department tag (``<code>-…``). Any other principal (a person, an operator, a
    function) is not a department's upload identity."""
    prefix, _, rest = principal_id.partition(":")
    role_id, _, session = rest.partition(":")
    if prefix == "AWS" and uploader_role_id and role_id == uploader_role_id and "-" in session:
        return Uploader(principal_id, normalize_code(session.split("-", 1)[0]) or None, session)
    return Uploader(principal_id, None)


def _check_department(parts: KeyParts, principal_id: str, deps: Deps, *, first_chunk: bool = True) -> Department:
    # A folder typed by hand may be lower-case or full-width: look the code up as the registry writes it.
    department = deps.tables.registry.department(normalize_code(parts.department) or parts.department)
    if department is None:
        raise FileRefusedError(f"部门“{parts.department}”未在部门登记表中登记，上传被拒绝，请联系市场监管部门登记")
    uploader = uploader_of(principal_id, deps.settings.uploader_role_id)
    # The writer is judged once, on the S3 event: a continuation is a message only the intake itself may send (IAM),
    # after the first chunk accepted the writer; its principal may name a role since re-created (a restored stack).
    if first_chunk and uploader.department != department.code:
        raise FileRefusedError(
            f"该文件由{uploader.label_zh}写入部门“{department.name}”（{department.code}）的目录，"
            "只有该部门本身的上传身份可以向其目录上传文件，上传被拒绝"
        )
    if parts.folder not in INTAKE_FOLDERS:
        allowed = "、".join(sorted(INTAKE_FOLDERS))
        raise FileRefusedError(f"信息类别“{parts.folder}”无法识别，目录名应为以下之一：{allowed}")
    if parts.folder == PUBLISHED_FOLDER and not department.is_regulator:
        raise FileRefusedError("只有市场监管部门可以上传公示确认信息（published 目录）")
    return department


def _open(path: Path, parts: KeyParts, deps: Deps, *, first_chunk: bool) -> Table:
    def is_header(cells: Sequence[str]) -> bool:
        return bool(looks_like_folder_header(parts.folder, cells))

    # The first chunk reads the whole file through before any row is used, so a file whose rows cannot be told
    # apart is refused with nothing left behind; continuations re-open the same object version.
    limits = read_limits(deps.settings)
    try:
        return open_table(path, parts.file_name, is_header, limits=limits, verify_all=first_chunk)
    except MalformedFileError as exc:
        raise FileRefusedError(exc.reason_zh) from exc


def _process_file(
    ref: UploadRef,
    uid: str,
    parts: KeyParts,
    department: Department,
    collected_at: datetime,
    path: Path,
    deps: Deps,
) -> ChunkOutcome:
    table = _open(path, parts, deps, first_chunk=ref.start_row == 0)
    ctx = UploadContext(
        upload_id=uid,
        department=department.code,
        region_code=department.region_code,
        producer_is_regulator=department.is_regulator,
        source_key=ref.key,
        collected_at=collected_at,
    )
    notes: list[str] = []
    try:
        if parts.folder == PRODUCTION_FOLDER:
            handler: RowSink = ProductionListSink(table.headers, ctx, deps)
        elif parts.folder == PUBLISHED_FOLDER:
            handler = PublishedSink(table.headers, ctx, deps)
        elif parts.folder == FEEDBACK_FOLDER:
            handler = FeedbackSink(table.headers, ctx, deps)
        else:
            mapping = map_headers(Category(parts.folder), table.headers)
            if mapping.production_date_fallback:
                notes.append(
                    mapping.fallback_note_zh
                    or "文件未提供许可决定日期，已以“有效期自”作为信息产生之日，请在今后报送中补充许可决定日期"
                )
            handler = RecordSink(mapping, ctx, deps)
    except HeaderError as exc:
        raise FileRefusedError(exc.reason_zh) from exc

    counts = Counts()
    rejects: list[RejectReason] = []
    limit = deps.settings.chunk_rows
    rows = table.rows(start=ref.start_row)
    handled = 0
    more = False
    blank_rows = 0
    for row_number, cells in rows:
        if handled >= limit:
            more = True  # the rest of the file goes to the next chunk, which re-opens it at `start_row`
            break
        handled += 1
        counts.read += 1
        handler.add(row_number, cells, counts, rejects)
        blank_rows = table.blank_rows  # blanks before this row; those after the last row belong to the next chunk
    handler.flush(counts, rejects)
    counts.blank_rows = blank_rows if more else table.blank_rows

    deps.tables.uploads.chunk_done(
        uid, ref.chunk, {"counts": counts.as_dict(), "rows": handled, "notes": notes, "at": iso_utc(utc_now())}
    )
    if rejects:
        deps.objects.put_bytes(
            deps.settings.intake_bucket,
            f"{WORK_PREFIX}{uid}/rejects-{ref.chunk:05d}.json",
            json.dumps([r.model_dump() for r in rejects], ensure_ascii=False).encode(),
            "application/json",
        )
    metrics.add_metric(name="RowsRead", unit="Count", value=counts.read)
    metrics.add_metric(name="RowsRejected", unit="Count", value=counts.rejected)
    if more:
        nxt = ref.model_copy(update={"chunk": ref.chunk + 1, "start_row": ref.start_row + handled})
        deps.tables.uploads.set_state(uid, "running", chunks=ref.chunk + 1)
        deps.queue.send({"continuation": nxt.model_dump()})
        logger.info("chunk done, continuing", extra={"upload_id": uid, "chunk": ref.chunk, "rows": handled})
        return ChunkOutcome(uid, "continued", counts.as_dict())
    total = _finalize(ref, uid, parts, department, collected_at, table, deps)
    return ChunkOutcome(uid, "done", total.as_dict())


def _finalize(
    ref: UploadRef,
    uid: str,
    parts: KeyParts,
    department: Department,
    collected_at: datetime,
    table: Table,
    deps: Deps,
) -> Counts:
    """Sum the chunks, write the receipt and the reject report, mark the upload done."""
    chunks = deps.tables.uploads.chunks(uid)
    total = Counts()
    notes: list[str] = []
    for chunk in chunks:
        total.add(chunk["counts"])
        notes += [n for n in chunk.get("notes", []) if n not in notes]
    rejects: list[dict[str, Any]] = []
    for number in range(len(chunks)):
        blob = deps.objects.get_bytes(deps.settings.intake_bucket, f"{WORK_PREFIX}{uid}/rejects-{number:05d}.json")
        if blob:
            rejects += json.loads(blob)
    rejects_key = None
    if rejects:
        rejects_key = parts.receipt_base + ".rejects.csv"
        deps.objects.put_bytes(deps.settings.intake_bucket, rejects_key, reject_csv(rejects), "text/csv; charset=utf-8")
    receipt = {
        "status": "completed",
        "message": _summary_zh(total),
        "department": department.code,
        "department_name": department.name,
        "category": parts.folder,
        "category_name": folder_name_zh(parts.folder),
        "file_name": parts.file_name,
        "source_key": ref.key,
        "upload_id": uid,
        "version_id": ref.version_id or None,
        "format": table.format,
        "encoding": table.encoding,
        "header_row": table.header_row,
        "sheet": table.sheet_name,
        "collected_at": iso_utc(collected_at),
        "collected_on": local_date(collected_at).isoformat(),
        "counts": total.as_dict(),
        "notes": notes,
        "errors": [],
        "rejects_key": rejects_key,
        "calendar_version": deps.calendar.version,
        "generated_at": iso_utc(utc_now()),
    }
    assert total.read == total.accepted + total.rejected + total.duplicates, total
    deps.objects.put_json(deps.settings.intake_bucket, parts.receipt_base + ".json", receipt)
    deps.tables.uploads.count(department.code, local_date(collected_at), uid, total.read, total.rejected)
    deps.tables.uploads.set_state(uid, "done", counts=total.as_dict(), key=ref.key)
    deps.objects.delete_prefix(deps.settings.intake_bucket, f"{WORK_PREFIX}{uid}/")
    logger.info("upload processed", extra={"upload_id": uid, "key": ref.key, "counts": total.as_dict()})
    return total


def _summary_zh(c: Counts) -> str:
    text = f"共读取{c.read}行：接收{c.accepted}行（其中更正{c.corrected}行），退回{c.rejected}行，重复{c.duplicates}行"
    if c.late:
        text += f"；其中{c.late}行超过7个工作日归集时限"
    if c.unattributed:
        text += f"；{c.unattributed}行暂无法记于市场主体名下，待市场监管部门处理"
    if c.layout_rows:
        text += f"；另有{c.layout_rows}行为重复表头、合计或签名等非数据内容，未作为数据处理"
    if c.rejected:
        text += "。退回明细见同名 .rejects.csv 文件，请修改后重新上传"
    return text + "。"


def _refuse(
    ref: UploadRef, uid: str, parts: KeyParts | None, collected_at: datetime, reason: str, deps: Deps
) -> ChunkOutcome:
    """A whole-file failure: a receipt that says why, in Chinese. Nothing is lost: the raw upload stays."""
    receipt_key = receipt_key_of(ref.key)
    receipt = {
        "status": "refused",
        "message": f"文件未处理：{reason}",
        "source_key": ref.key,
        "upload_id": uid,
        "version_id": ref.version_id or None,
        "department": parts.department if parts else None,
        "category": parts.folder if parts else None,
        "file_name": parts.file_name if parts else PurePosixPath(ref.key).name,
        "collected_at": iso_utc(collected_at),
        "counts": Counts().as_dict(),
        "errors": [reason],
        "calendar_version": deps.calendar.version,
        "generated_at": iso_utc(utc_now()),
    }
    deps.objects.put_json(deps.settings.intake_bucket, receipt_key, receipt)
    deps.tables.uploads.set_state(uid, "refused", reason=reason)
    deps.tables.audit.append(f"UPLOAD#{uid}", "upload_refused", "intake", {"key": ref.key, "reason": reason})
    metrics.add_metric(name="FilesRefused", unit="Count", value=1)
    logger.info("upload refused", extra={"key": ref.key, "reason": reason})
    return ChunkOutcome(uid, "refused")


def write_failure_receipt(ref: UploadRef, reason: str, deps: Deps) -> None:
    """For the dead-letter handler: the file failed every retry; tell the department, never silently."""
    info = deps.objects.head(ref.bucket, ref.key, ref.version_id)
    receipt = {
        "status": "failed",
        "upload_id": upload_id_of(ref.bucket, ref.key, arrival_of(info)) if info else None,
        "version_id": info.version_id if info else None,
        "message": "文件处理失败（已多次重试），已转交运维人员处理，无需重复上传。" + reason,
        "source_key": ref.key,
        "errors": [reason],
        "generated_at": iso_utc(utc_now()),
    }
    deps.objects.put_json(deps.settings.intake_bucket, receipt_key_of(ref.key), receipt)


def reject_csv(rejects: Sequence[dict[str, Any]]) -> bytes:
    """The reject report: UTF-8 with BOM so Excel opens it correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号", "列名", "值", "退回原因"])
    for r in sorted(rejects, key=lambda r: (r["row"], r["column"])):
        writer.writerow([r["row"], excel_safe(str(r["column"])), excel_safe(str(r["value"])), r["reason"]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
