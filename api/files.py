"""Evidence files over HTTP: `POST /files` (multipart, field `file`) and `GET /files/<sha256>`.

Uploading is not a GraphQL mutation and appends no event: it only keeps bytes under their
digest (projections/files.py), which is idempotent by construction. The file becomes part
of the record when a command names it as `sha256:<hex>` in an `attachments` list; the event
then carries the digest and the hash chain covers the file. Both routes sit behind the
same bearer guard as /graphql; the upload has its own body limit (`max_file_bytes`).

Who may read a file: whoever may read an item whose events reference it (the rules of each
item kind in api/authz), and its uploader before it is attached anywhere. Anyone else gets
the same 404 as for a digest never uploaded, so digests cannot be probed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import User
from api.authz import case_transfers, clues, referrals
from api.authz.core import COORDINATION, ROLE_LABELS, STAFF, own_agency
from api.file_types import ACCEPTED, EXTENSIONS, detect
from api.outages import CONNECTION_ERRORS, ServiceUnavailable
from api.query import may_read_issue
from domain.text_rules import MAX_NAME, text_problem
from projections import case_transfer_queries, clue_queries, files, queries, referral_queries

# Staff attach evidence to their reports, the office to what it registers; auditors and
# leadership only read.
UPLOADERS = STAFF | frozenset(COORDINATION)
FIELD = "file"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file itself
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _error(status: int, error: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, **extra}, status_code=status)


def body_limit(max_file_bytes: int) -> int:
    """The request-body limit of an upload: the file's own limit and the multipart frame."""
    return max_file_bytes + MULTIPART_OVERHEAD if max_file_bytes > 0 else 0


async def upload(request: Request) -> Response:
    try:
        return await _upload(request)
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None  # answered 503 by AnswerOutages


async def download(request: Request) -> Response:
    try:
        return await _download(request)
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None


async def _upload(request: Request) -> Response:
    user: User = request.scope["user"]
    if user.role not in UPLOADERS:
        return _error(
            403,
            "not_allowed",
            f"{ROLE_LABELS[user.role]}无权上传文件 / role {user.role.value} may not upload files",
        )
    limit: int = request.app.state.config.max_file_bytes
    try:
        form = await request.form(max_files=1, max_fields=4)
    except HTTPException as error:  # starlette's answer to a malformed multipart body
        return _error(
            400, "bad_request", f"无法解析上传内容 / not a multipart upload: {error.detail}"
        )
    try:
        part = form.get(FIELD)
        if not isinstance(part, UploadFile):
            return _error(
                400,
                "bad_request",
                f"缺少文件字段 {FIELD!r} / no file in the field {FIELD!r}",
                field=FIELD,
            )
        content = await part.read(limit + 1 if limit > 0 else -1)
        name = (part.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    finally:
        await form.close()  # the spooled temporary file
    if limit > 0 and len(content) > limit:
        return _error(
            413,
            "file_too_large",
            f"文件超过 {limit} 字节上限 / the file exceeds the limit of {limit} bytes",
            limit=limit,
        )
    if not content:
        return _error(400, "bad_request", "文件为空 / the file is empty", field=FIELD)
    media_type = detect(content)
    if media_type is None:
        return _error(
            415,
            "unsupported_file_type",
            f"不支持的文件格式（按内容识别），仅接受 {ACCEPTED} / unsupported file type (judged "
            f"from its content); accepted: PDF, JPEG, PNG, DOCX, XLSX, OFD",
        )
    problem = text_problem(name, MAX_NAME)
    if problem is not None:
        return _error(400, "bad_request", f"文件名{problem}", field=f"{FIELD}.filename")
    digest = hashlib.sha256(content).hexdigest()
    name = name or f"{digest[:12]}{EXTENSIONS[media_type]}"
    pool = request.app.state.pool
    created = await files.store(
        pool, digest, content, media_type, name, user.subject, own_agency(user)
    )
    return JSONResponse(
        {
            "reference": f"sha256:{digest}",
            "sha256": digest,
            "size": len(content),
            "type": media_type,
            "fileName": name,
            "created": created,
        },
        status_code=201 if created else 200,
    )


async def _download(request: Request) -> Response:
    user: User = request.scope["user"]
    digest = str(request.path_params["sha256"]).lower()
    pool = request.app.state.pool
    if not _DIGEST.fullmatch(digest) or not await may_read(pool, user, digest):
        return _error(404, "not_found", "文件不存在或无权查看 / no such file, or not yours to read")
    found = await files.describe(pool, digest)
    body = await files.content(pool, digest)
    if found is None or body is None:
        return _error(404, "not_found", "文件不存在或无权查看 / no such file, or not yours to read")
    if not found.intact:
        return _error(
            500,
            "file_altered",
            "文件内容与其摘要不符，可能已被篡改 / the stored content no longer matches its "
            "digest; it may have been altered",
        )
    return Response(
        body,
        media_type=found.media_type,
        headers={
            "Content-Disposition": content_disposition(found.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": f'"{digest}"',
        },
    )


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients and the UTF-8 name (中文文件名) for the rest."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def may_read(pool: Any, user: User, digest: str) -> bool:
    """Whether `user` may read the file: it uploaded it, or may read an item referencing it."""
    if await files.uploaded_by(pool, digest, user.subject, None):
        return True
    return await may_read_referencing_item(pool, user, digest)


async def may_attach(pool: Any, user: User, digest: str) -> bool:
    """Whether `user` may name the file in a command: it or a colleague of its agency
    uploaded it, or it may read an item that already references it."""
    if await files.uploaded_by(pool, digest, user.subject, own_agency(user)):
        return True
    return await may_read_referencing_item(pool, user, digest)


async def may_read_referencing_item(pool: Any, user: User, digest: str) -> bool:
    now = datetime.now(UTC)
    for item, kind in await files.references(pool, digest):
        if kind == "RectificationIssue":
            row = await queries.issue_by_id(pool, item, now.date())
            allowed = row is not None and may_read_issue(user, row)
        elif kind == "Referral":
            row = await referral_queries.referral_by_id(pool, item, now)
            allowed = row is not None and referrals.may_read(user, row)
        elif kind == "Clue":
            row = await clue_queries.clue_by_id(pool, item)
            allowed = row is not None and clues.may_read(user, row)
        elif kind in ("CaseTransfer", "DisciplineTransfer"):
            row = await case_transfer_queries.transfer_by_id(pool, item, now)
            allowed = row is not None and case_transfers.may_read(user, row)
        else:  # an item kind with no read rule here: nobody reads its files through it
            allowed = False
        if allowed:
            return True
    return False
