"""The coordinator's ledger upload: `POST /ledger/preview` and `POST /ledger/import`.

Both take a multipart form: `file` (.csv, .xlsx or .json, as `rectify import-issues`
reads), `campaign` (the campaign's title; created by the import when new), optionally
`year` (deadlines written without one, 2000–2099) and `createAgencies` (`true`: create
agencies the ledger names and nobody registered). The preview reads and checks the file
and answers every parsed row and every row problem, writing nothing; the import checks the
same way and saves all or nothing, idempotently (infrastructure/ledger_import.py, shared
with the CLI). Coordinators and admins only; the file limits of ADR 0037.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import User
from api.authz.core import COORDINATION
from api.http_refusals import Refused, answering_refusals
from domain.application import RectifyApp
from domain.errors import DomainError
from domain.ledger_rows import LedgerRejected, LedgerRow, RowProblem
from infrastructure.ledger_files import READERS
from infrastructure.ledger_import import (
    CheckedLedger,
    check_agencies,
    check_ledger,
    import_checked,
)
from infrastructure.ledger_limits import MAX_FILE_BYTES

FIELD = "file"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the small fields
BODY_LIMIT = MAX_FILE_BYTES + MULTIPART_OVERHEAD


@answering_refusals
async def preview(request: Request) -> Response:
    upload = await _read_upload(request)
    app: RectifyApp = request.app.state.rectify
    checked = await run_in_threadpool(_check, app, upload, _this_year(request))
    return JSONResponse(
        {
            "campaign": upload.campaign,
            "fileName": upload.name,
            "valid": not checked.problems,
            "message": _problems_message(checked.problems, preview=True),
            "rows": [_row(row) for row in checked.rows],
            "problems": [_problem(p) for p in _sorted(checked.problems)],
            "notes": checked.notes,
        }
    )


@answering_refusals
async def import_ledger(request: Request) -> Response:
    upload = await _read_upload(request)
    user: User = request.scope["user"]
    app: RectifyApp = request.app.state.rectify
    this_year = _this_year(request)

    def work() -> CheckedLedger | dict[str, Any]:
        checked = _check(app, upload, this_year)
        if checked.problems:
            return checked
        report = import_checked(
            app,
            checked,
            upload.campaign,
            actor=user.subject,
            source=upload.name,
            create_agencies=upload.create_agencies,
        )
        return {
            "campaign": upload.campaign,
            "campaignId": str(report.campaign_id),
            "campaignCreated": report.campaign_created,
            "created": len(report.created),
            "unchanged": len(report.unchanged),
            "agenciesCreated": report.agencies_created,
            "position": report.position,
            "notes": checked.notes,
            "message": f"已导入：新建 {len(report.created)} 条，已存在未变 "
            f"{len(report.unchanged)} 条 / imported: {len(report.created)} created, "
            f"{len(report.unchanged)} already imported",
        }

    try:
        done = await run_in_threadpool(work)
    except LedgerRejected as rejected:  # found by the save (e.g. a number changed meaning)
        done = CheckedLedger([], rejected.problems)
    except DomainError as error:
        raise Refused(422, "invalid", f"未导入任何内容 / nothing imported: {error}") from None
    if isinstance(done, CheckedLedger):
        raise Refused(
            422,
            "ledger_rejected",
            _problems_message(done.problems, preview=False),
            problems=[_problem(p) for p in _sorted(done.problems)],
        )
    return JSONResponse(done)


class _Upload:
    def __init__(
        self, name: str, content: bytes, campaign: str, year: int | None, create: bool
    ) -> None:
        self.name, self.content, self.campaign = name, content, campaign
        self.year, self.create_agencies = year, create


async def _read_upload(request: Request) -> _Upload:
    user: User = request.scope["user"]
    if user.role not in COORDINATION:
        raise Refused(
            403,
            "not_allowed",
            f"{user.role.value} 无权导入台账（仅协调办、管理员）/ role {user.role.value} may "
            "not import ledgers (coordinators and admins only)",
        )
    try:
        form = await request.form(max_files=1, max_fields=8)
    except HTTPException as error:  # starlette's answer to a malformed multipart body
        raise Refused(
            400, "bad_request", f"无法解析上传内容 / not a multipart upload: {error.detail}"
        ) from None
    try:
        part = form.get(FIELD)
        if not isinstance(part, UploadFile):
            raise Refused(
                400,
                "bad_request",
                f"缺少文件字段 {FIELD!r} / no file in the field {FIELD!r}",
                field=FIELD,
            )
        content = await part.read(MAX_FILE_BYTES + 1)
        name = (part.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
        campaign = str(form.get("campaign") or "").strip()
        year_text = str(form.get("year") or "").strip()
        create = str(form.get("createAgencies") or "").strip().lower() in ("true", "1", "yes")
    finally:
        await form.close()
    if len(content) > MAX_FILE_BYTES:
        raise Refused(
            413,
            "file_too_large",
            f"台账文件超过 {MAX_FILE_BYTES} 字节上限 / the ledger exceeds the limit of "
            f"{MAX_FILE_BYTES} bytes",
            limit=MAX_FILE_BYTES,
        )
    if not campaign:
        raise Refused(
            400,
            "bad_request",
            "campaign: 请填写专项行动名称 / name the campaign",
            field="campaign",
        )
    suffix = Path(name).suffix.lower()
    if suffix not in READERS:
        raise Refused(
            415,
            "unsupported_file_type",
            f"file: 不支持的文件类型 {suffix or '（无扩展名）'}，请上传 .csv、.xlsx 或 .json / "
            f"unsupported file type '{suffix}'; upload .csv, .xlsx or .json",
            field=FIELD,
        )
    year = None
    if year_text:
        if not year_text.isdigit() or not 2000 <= int(year_text) <= 2099:
            raise Refused(
                400,
                "bad_request",
                "year: 应为 2000–2099 的年份 / a year from 2000 to 2099",
                field="year",
            )
        year = int(year_text)
    return _Upload(name, content, campaign, year, create)


def _this_year(request: Request) -> int:
    return datetime.now(ZoneInfo(request.app.state.config.timezone)).year


def _check(app: RectifyApp, upload: _Upload, this_year: int) -> CheckedLedger:
    """The file's bytes read by the CLI's readers (which take a path) from a temporary file
    named with the upload's extension, checked, and deleted."""
    with tempfile.TemporaryDirectory(prefix="rectify-ledger-") as folder:
        path = Path(folder) / f"ledger{Path(upload.name).suffix.lower()}"
        path.write_bytes(upload.content)
        try:
            checked = check_ledger(path, upload.campaign, this_year=this_year, year=upload.year)
        except LedgerRejected as rejected:
            return CheckedLedger([], rejected.problems)
    if not upload.create_agencies:
        check_agencies(app, checked)
    return checked


def _sorted(problems: list[RowProblem]) -> list[RowProblem]:
    return sorted(problems, key=lambda p: p.row)


def _problem(problem: RowProblem) -> dict[str, Any]:
    where = "文件" if problem.row == 0 else f"第 {problem.row} 行"
    place = "file" if problem.row == 0 else f"row {problem.row}"
    return {
        "row": problem.row,
        "column": problem.column,
        "message": problem.message,
        "text": f"{where}「{problem.column}」：{problem.message} / {place}, "
        f"{problem.column}: {problem.message}",
    }


def _problems_message(problems: list[RowProblem], *, preview: bool) -> str:
    if not problems:
        return "台账可以导入 / the ledger can be imported"
    tail = "" if preview else "，未导入任何内容"
    english = "" if preview else "; nothing imported"
    count = len(problems)
    return f"台账有 {count} 处问题{tail} / {count} problem(s) in the ledger{english}"


def _row(row: LedgerRow) -> dict[str, Any]:
    return {
        "row": row.row,
        "number": row.number,
        "problem": row.problem,
        "measures": row.measures,
        "lead": row.lead,
        "co": row.co,
        "deadline": {
            "kind": row.deadline.kind.value,
            "dueDate": row.deadline.due_date.isoformat() if row.deadline.due_date else None,
            "text": row.deadline.text,
        },
        "notes": row.notes,
    }
