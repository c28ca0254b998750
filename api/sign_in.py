"""`POST /auth/login`, `GET /auth/session`, `POST /auth/logout`: browsers sign in with an
account's user name and password and get an HttpOnly session cookie (ADR 0042).

- A wrong password and an unknown user name get the same 401, in about the same time (the
  password is checked against a decoy hash when there is no account).
- Five wrong passwords in a row lock the account (domain/accounts.py); a locked or
  disabled account is told so (423) only to whoever gives its right password, so the
  answer cannot tell a stranger which accounts exist.
- Every attempt is a line of the 登录日志 (table sign_in_log) with the client's address and
  user agent, readable by admins and auditors (`signInLog`).
- At most `sign_ins_per_minute` attempts (default 30) per client address in any minute,
  counted across every API process (api/rate_limits.py), then 429 with Retry-After:
  guessing across many accounts from one place is slowed, where the lockout protects one
  account.
- The login body must be JSON: a form another site posts cannot send it without a CORS
  preflight, which this server never grants to other origins by default.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api import sessions
from api.outages import CONNECTION_ERRORS, ServiceUnavailable
from api.passwords import verify_password
from api.session_auth import CSRF_REFUSED, NOT_SIGNED_IN, live_session
from domain.accounts import Account, AccountStatus
from domain.application import RectifyApp

MAX_FIELD = 256
INVALID_CREDENTIALS = {
    "error": "invalid_credentials",
    "message": "用户名或密码错误 / wrong user name or password",
}
REFUSALS: dict[str, tuple[int, dict[str, str]]] = {
    "locked": (
        423,
        {
            "error": "account_locked",
            "message": "账号已锁定，请联系管理员解锁 / the account is locked: ask an "
            "administrator to unlock it",
        },
    ),
    "disabled": (
        423,
        {
            "error": "account_disabled",
            "message": "账号已停用 / the account is disabled",
        },
    ),
    "no_role": (
        423,
        {
            "error": "no_role",
            "message": "账号尚未授予角色，请联系管理员 / the account has no role yet: ask an "
            "administrator",
        },
    ),
}


def _too_many(wait: float) -> JSONResponse:
    seconds = math.ceil(wait)
    return JSONResponse(
        {
            "error": "rate_limited",
            "message": f"登录尝试过于频繁，请 {seconds} 秒后再试 / too many sign-in attempts "
            f"from this address, retry after {seconds} s",
            "retry_after": seconds,
        },
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": "bad_request", "message": message}, status_code=400)


async def _credentials(request: Request) -> tuple[str, str] | JSONResponse:
    if "application/json" not in request.headers.get("content-type", "").lower():
        return _bad_request("请求须为 JSON / the request must be JSON (application/json)")
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        return _bad_request("请求不是有效的 JSON / the request is not valid JSON")
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str):
        return _bad_request("须提供文本 username 和 password / username and password must be text")
    if len(username) > MAX_FIELD or len(password) > MAX_FIELD:
        return JSONResponse(INVALID_CREDENTIALS, status_code=401)
    return username, password


def admit(app: RectifyApp, account: Account, now: datetime) -> str:
    """The outcome for an account whose owner proved who they are (a right password, an
    identity provider's word): signed in (recorded when it clears failures), or why not."""
    if account.status is AccountStatus.LOCKED:
        return "locked"
    if account.status is AccountStatus.DISABLED:
        return "disabled"
    if account.role is None:
        return "no_role"
    app.record_sign_in(account.username, now)
    return "signed_in"


def _judge(app: RectifyApp, username: str, password: str, now: datetime) -> tuple[str, Any]:
    """(outcome, account) of one attempt, recording a failure or a success that clears
    earlier failures on the account. Runs on a worker thread (argon2 takes tens of ms)."""
    account: Account | None = app.find_account(username)
    right = verify_password(account.password_hash if account else None, password)
    if account is None:
        return "unknown_user", None
    if not right:
        if account.status is AccountStatus.ACTIVE:
            app.record_failed_sign_in(account.username, now)
            if app.get_account(account.username).status is AccountStatus.LOCKED:
                return "wrong_password_locked", None
        return "wrong_password", None
    outcome = admit(app, account, now)
    return outcome, account if outcome == "signed_in" else None


def _client(request: Request) -> tuple[str | None, str | None]:
    address = request.client.host if request.client else None
    return address, request.headers.get("user-agent")


def _set_cookie(response: Response, request: Request, token: str) -> None:
    config = request.app.state.config
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=int(config.session_limits.absolute.total_seconds()),
        path="/",
        secure=config.production,  # production is served over TLS (as HSTS: api/hygiene.py)
        httponly=True,
        samesite="strict",
    )


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        sessions.COOKIE,
        path="/",
        secure=request.app.state.config.production,
        httponly=True,
        samesite="strict",
    )


async def start_session(request: Request, account: Account, now: datetime) -> Response:
    """The session of a signed-in account: its body (what /auth/session answers) with the
    cookie set."""
    state = request.app.state
    # a browser signing in again leaves no earlier session of its own behind
    await sessions.end(state.pool, request.cookies.get(sessions.COOKIE))
    token, session = await sessions.start(
        state.pool,
        now,
        state.config.session_limits,
        username=account.username,
        display_name=account.display_name,
        role=str(account.role),
        agency_id=str(account.agency_id) if account.agency_id else None,
        agency_name=account.agency_name,
        region=account.region,
    )
    response = JSONResponse(session.body())
    _set_cookie(response, request, token)
    return response


def refusal(outcome: str) -> JSONResponse:
    status, body = REFUSALS.get(outcome, (401, INVALID_CREDENTIALS))
    return JSONResponse(body, status_code=status)


async def log_attempt(request: Request, now: datetime, username: str, outcome: str) -> None:
    address, agent = _client(request)
    await sessions.log_attempt(request.app.state.pool, now, username, outcome, address, agent)


async def login(request: Request) -> Response:
    found = await _credentials(request)
    if isinstance(found, JSONResponse):
        return found
    username, password = found
    state = request.app.state
    now = state.config.now()
    address, _ = _client(request)
    try:
        wait = await state.sign_ins.take(state.pool, address or "")
        if wait:
            await log_attempt(request, now, username, "rate_limited")
            return _too_many(wait)
        outcome, account = await run_in_threadpool(_judge, state.rectify, username, password, now)
        await log_attempt(request, now, username, outcome)
        if account is None:
            return refusal(outcome)
        return await start_session(request, account, now)
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None


async def current_session(request: Request) -> Response:
    token = request.cookies.get(sessions.COOKIE)
    session = await live_session(request.app.state, token)
    if session is None:
        response = JSONResponse(NOT_SIGNED_IN, status_code=401)
        if token:
            _clear_cookie(response, request)
        return response
    return JSONResponse(session.body())


async def logout(request: Request) -> Response:
    token = request.cookies.get(sessions.COOKIE)
    session = await live_session(request.app.state, token)
    if session is not None and not session.csrf_matches(request.headers.get(sessions.CSRF_HEADER)):
        return JSONResponse(CSRF_REFUSED, status_code=403)
    try:
        await sessions.end(request.app.state.pool, token)
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None
    response = Response(status_code=204)
    _clear_cookie(response, request)
    return response
