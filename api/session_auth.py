"""Who is calling: a bearer JWT (API clients, scripts) or the web session cookie (browsers).

`RequireSignIn` stands where `RequireBearer` stood in front of /graphql and /files. A
request with an `Authorization` header, or without the session cookie, is judged exactly
as before (api/auth.py). With the cookie, the session must be live (api/sessions.py), and
every request that is not a read must carry `X-CSRF-Token` equal to the session's: a page
of another site can make the browser send the cookie (SameSite=Strict already stops most
of that), never read the token. Either way the scope gets the same `api.auth.User`, so
authorisation does not know how the caller signed in.

The websocket (subscriptions) takes a bearer token in `connection_init` as before, or
the cookie, then only from a page of our own origin: browsers send cookies on a
cross-site websocket handshake, and the Origin header is what tells them apart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.exceptions import ConnectionRejectionError

from api import sessions
from api.auth import RequireBearer
from api.live import authenticate
from api.outages import CONNECTION_ERRORS, ServiceUnavailable
from api.tokens import TokenVerifier

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NOT_SIGNED_IN: dict[str, object] = {
    "error": "not_signed_in",
    "message": "未登录或登录已过期，请重新登录 / not signed in, or the session expired: "
    "sign in again",
}
CSRF_REFUSED = {
    "error": "csrf",
    "message": "缺少或错误的 X-CSRF-Token，请刷新页面后重试 / missing or wrong X-CSRF-Token: "
    "reload the page and try again",
}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def session_token(headers: dict[str, str]) -> str | None:
    return cookie_parser(headers.get("cookie", "")).get(sessions.COOKIE) or None


async def live_session(state: Any, token: str | None) -> sessions.Session | None:
    config = state.config
    try:
        return await sessions.find(state.pool, token, config.now(), config.session_limits)
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None  # answered 503 by AnswerOutages


class RequireSignIn:
    """A bearer token, or a live session cookie (with the CSRF header unless a read)."""

    def __init__(self, app: ASGIApp, verifier: str | TokenVerifier) -> None:
        self.app = app
        self.bearer = RequireBearer(app, verifier)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        token = session_token(headers)
        if "authorization" in headers or token is None:
            await self.bearer.admit(scope, receive, send, headers)
            return
        session = await live_session(scope["app"].state, token)
        if session is None:
            await JSONResponse(NOT_SIGNED_IN, status_code=401)(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not session.csrf_matches(
            headers.get(sessions.CSRF_HEADER)
        ):
            await JSONResponse(CSRF_REFUSED, status_code=403)(scope, receive, send)
            return
        scope["user"] = session.user()
        await self.app(scope, receive, send)


def own_origin(headers: dict[str, str], scheme: str) -> str | None:
    """The origin of the page the app serves, as the browser names it."""
    host = headers.get("host")
    if not host:
        return None
    web = "https" if scheme in ("wss", "https") else "http"
    return f"{web}://{host}".lower()


def origin_allowed(headers: dict[str, str], scheme: str, allowed: tuple[str, ...]) -> bool:
    origin = (headers.get("origin") or "").lower().rstrip("/")
    if not origin or urlsplit(origin).scheme not in ("http", "https"):
        return False
    return origin == own_origin(headers, scheme) or origin in {o.lower() for o in allowed}


async def authenticate_connection(context: Any, verifier: Any) -> None:
    """`connection_init` of a websocket: its bearer token if it sends one (as before), else
    the session cookie of a page of our own origin; anything else is rejected."""
    params = context.connection_params or {}
    if any(params.get(name) for name in ("Authorization", "authorization", "token")):
        await authenticate(context, verifier)
        return
    request = context.request
    headers = _headers(request.scope)
    token = session_token(headers)
    state = request.app.state
    if token is None:
        await authenticate(context, verifier)  # rejects: no token at all
        return
    if not origin_allowed(headers, request.scope.get("scheme", "ws"), state.config.cors_origins):
        raise ConnectionRejectionError({"error": "origin"})
    try:
        session = await sessions.find(
            state.pool, token, state.config.now(), state.config.session_limits
        )
    except CONNECTION_ERRORS:
        raise ConnectionRejectionError({"error": "unavailable"}) from None
    if session is None:
        raise ConnectionRejectionError(NOT_SIGNED_IN)
    context.user = session.user()
    context.authenticated = True
