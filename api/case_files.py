"""An item's case file (案卷) over HTTP: `GET /case-files/<item id>` answers the printable
HTML that `rectify audit export --format html` writes (projections/case_files.py), as a
download; `?format=json` the same case file as JSON.

Behind the same sign-in guard as /graphql and /files. Who may read it: whoever may read the
item's audit trail (api/authz/history.py: auditors, admins and coordinators any item, agency
staff an item that names their agency). A role that reads no history is refused (403); an
item the caller may not read is answered exactly as one that does not exist (404), so that
ids cannot be probed.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import User
from api.authz.history import REFUSED, may_read, may_read_any
from api.files import content_disposition
from api.outages import CONNECTION_ERRORS, ServiceUnavailable
from domain.application import RectifyApp
from domain.errors import NotFound
from projections.case_files import case_file, case_file_html

FORMATS = ("html", "json")
UNKNOWN = "事项不存在或无权查看 / no such item, or not yours to read"


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


async def download(request: Request) -> Response:
    try:
        return await _download(request)
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None  # answered 503 by AnswerOutages


def _readable_case(app: RectifyApp, user: User, item: UUID) -> dict[str, Any] | None:
    try:
        current = app.state_as_of(item)
    except NotFound:
        return None
    if not may_read(user, current):
        return None  # as if it did not exist
    return case_file(app, item)


async def _download(request: Request) -> Response:
    user: User = request.scope["user"]
    if not may_read_any(user):
        return _error(403, "not_allowed", REFUSED)
    fmt = request.query_params.get("format", "html")
    if fmt not in FORMATS:
        return _error(400, "bad_request", "format: 应为 html 或 json / expected html or json")
    try:
        item = UUID(str(request.path_params["item_id"]).strip())
    except ValueError:
        return _error(404, "not_found", UNKNOWN)
    app: RectifyApp = request.app.state.rectify
    case = await run_in_threadpool(_readable_case, app, user, item)
    if case is None:
        return _error(404, "not_found", UNKNOWN)
    headers = {
        "Content-Disposition": content_disposition(f"案卷-{item}.{fmt}"),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    if fmt == "json":
        body = json.dumps(case, ensure_ascii=False, indent=2) + "\n"
        return Response(body, media_type="application/json", headers=headers)
    return Response(case_file_html(case), media_type="text/html; charset=utf-8", headers=headers)
