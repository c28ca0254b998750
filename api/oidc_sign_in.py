"""Browser sign-in through an OIDC provider (统一身份认证): the authorization-code flow with
PKCE, when configured (ADR 0042). Authlib writes the protocol's requests (the
authorization URL, the S256 challenge, the token request body); they travel over the
project's own httpx, as Authlib's httpx integration now asks for httpx2 instead.

`GET /auth/oidc/login` sends the browser to the provider with a fresh `state`, `nonce` and
S256 code challenge; the verifier waits server-side (table oidc_sign_ins, one use, ten
minutes). `GET /auth/oidc/callback` exchanges the code with that verifier, verifies the ID
token (the provider's JWKS, RS256/ES256 only, issuer, audience = our client id, expiry,
nonce), and signs in the local account whose user name the token names
(`RECTIFY_OIDC_USERNAME_CLAIM`, default `preferred_username`): the provider says who the
person is, the account (its events, its admin) says what they may do. Then the same
session cookie as a password sign-in, and a redirect to the workbench. Every outcome is a
line of the 登录日志, as `oidc_<outcome>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from api.outages import CONNECTION_ERRORS, ServiceUnavailable
from api.sign_in import admit, log_attempt, refusal, start_session
from api.tokens import OIDC_ALGORITHMS
from domain.application import RectifyApp

WAIT = timedelta(minutes=10)  # from leaving for the provider to coming back
TOKEN_REQUEST = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
}


class TokenRefused(Exception):
    """The provider's token endpoint refused the code (or our verifier for it)."""


HOME = "/"


@dataclass(frozen=True)
class OidcSignIn:
    """What the provider and this server agreed on when the client was registered."""

    issuer: str
    client_id: str
    redirect_url: str  # this server's /auth/oidc/callback as the provider knows it
    client_secret: str | None = None  # None: a public client (PKCE alone)
    username_claim: str = "preferred_username"
    scope: str = "openid profile"
    leeway_seconds: float = 60
    timeout_seconds: float = 5
    _metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _keys: dict[str, jwt.PyJWKClient] = field(default_factory=dict, compare=False, repr=False)

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once."""
        if not self._metadata:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                found = (await client.get(url)).raise_for_status().json()
            self._metadata.update(found)
        return self._metadata

    def authorization_url(self, endpoint: str, state: str, verifier: str, nonce: str) -> str:
        """Where the browser goes: the code flow with an S256 challenge of `verifier`."""
        url: str = prepare_grant_uri(
            endpoint,
            self.client_id,
            "code",
            redirect_uri=self.redirect_url,
            scope=self.scope,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            nonce=nonce,
        )
        return url

    async def exchange(self, endpoint: str, code: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for `code`, the client authenticated by its secret in
        the body (client_secret_post) or, a public client, by PKCE alone. TokenRefused
        when the provider refuses the code; httpx.HTTPError or ValueError when it does not
        answer as a token endpoint does."""
        secret = {"client_secret": self.client_secret} if self.client_secret else {}
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=self.redirect_url,
            code_verifier=verifier,
            client_id=self.client_id,
            **secret,
        )
        async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
            response = await client.post(endpoint, content=body, headers=TOKEN_REQUEST)
        if response.status_code >= 500:
            response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, dict):
            raise ValueError("the token endpoint did not answer a JSON object")
        if "error" in answer or response.is_error:
            raise TokenRefused(str(answer.get("error")))
        return answer

    def claims(self, id_token: str, nonce: str, jwks_uri: str) -> dict[str, Any]:
        """The verified claims of the ID token; jwt.PyJWTError (or ValueError) if it is not
        the provider's, not for us, expired, or not of this sign-in."""
        keys = self._keys.setdefault(jwks_uri, jwt.PyJWKClient(jwks_uri, cache_keys=True))
        header = jwt.get_unverified_header(id_token)
        if header.get("alg") not in OIDC_ALGORITHMS:
            raise ValueError(f"algorithm {header.get('alg')!r} not accepted")
        found: dict[str, Any] = jwt.decode(
            id_token,
            keys.get_signing_key_from_jwt(id_token).key,
            algorithms=[header["alg"]],
            issuer=self.issuer,
            audience=self.client_id,
            leeway=self.leeway_seconds,
            options={"require": ["exp", "iss", "aud", "sub", "nonce"]},
        )
        if not secrets.compare_digest(str(found["nonce"]), nonce):
            raise ValueError("nonce of another sign-in")
        return found


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _refused(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


NOT_CONFIGURED = (404, "oidc_not_configured", "未配置统一身份认证 / OIDC sign-in is not configured")
PROVIDER_DOWN = (502, "oidc_unavailable", "身份认证服务不可用，请稍后再试 / the identity provider "
                 "did not answer; try again later")  # fmt: skip
BAD_STATE = (400, "oidc_state", "登录请求无效或已过期，请重新登录 / this sign-in expired or was "
             "already used: sign in again")  # fmt: skip
BAD_TOKEN = (401, "oidc_token", "身份认证服务的凭据无效 / the identity provider's answer could "
             "not be verified")  # fmt: skip


async def oidc_login(request: Request) -> Response:
    oidc: OidcSignIn | None = request.app.state.config.oidc_sign_in
    if oidc is None:
        return _refused(*NOT_CONFIGURED)
    try:
        endpoint = (await oidc.metadata())["authorization_endpoint"]
    except (httpx.HTTPError, ValueError, KeyError):
        return _refused(*PROVIDER_DOWN)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 asks 43 to 128
    url = oidc.authorization_url(endpoint, state, verifier, nonce)
    try:
        await request.app.state.pool.execute(
            "INSERT INTO oidc_sign_ins (state_sha256, code_verifier, nonce, created_at)"
            " VALUES ($1, $2, $3, $4)",
            _digest(state),
            verifier,
            nonce,
            request.app.state.config.now(),
        )
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None
    return RedirectResponse(url, status_code=302)


async def _waiting(request: Request, state: str, now: datetime) -> Any:
    """The sign-in that left with `state`, taken (one use), if it is recent enough."""
    pool = request.app.state.pool
    await pool.execute("DELETE FROM oidc_sign_ins WHERE created_at <= $1", now - WAIT)
    return await pool.fetchrow(
        "DELETE FROM oidc_sign_ins WHERE state_sha256 = $1 RETURNING code_verifier, nonce",
        _digest(state),
    )


async def oidc_callback(request: Request) -> Response:
    oidc: OidcSignIn | None = request.app.state.config.oidc_sign_in
    if oidc is None:
        return _refused(*NOT_CONFIGURED)
    now = request.app.state.config.now()
    state, code = request.query_params.get("state"), request.query_params.get("code")
    try:
        waiting = await _waiting(request, state, now) if state else None
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None
    if waiting is None or not code:
        return _refused(*BAD_STATE)
    try:
        metadata = await oidc.metadata()
        token = await oidc.exchange(metadata["token_endpoint"], code, waiting["code_verifier"])
    except TokenRefused:
        return _refused(*BAD_TOKEN)
    except (httpx.HTTPError, KeyError, ValueError, OSError):
        return _refused(*PROVIDER_DOWN)
    try:
        claims = await asyncio.to_thread(
            oidc.claims, str(token.get("id_token")), waiting["nonce"], metadata["jwks_uri"]
        )
    except (jwt.PyJWTError, ValueError, KeyError):
        return _refused(*BAD_TOKEN)
    username = str(claims.get(oidc.username_claim) or claims["sub"])

    def judge(app: RectifyApp) -> tuple[str, Any]:
        account = app.find_account(username)
        if account is None:
            return "unknown_user", None
        outcome = admit(app, account, now)
        return outcome, account if outcome == "signed_in" else None

    try:
        outcome, account = await run_in_threadpool(judge, request.app.state.rectify)
        await log_attempt(request, now, username, f"oidc_{outcome}")
        if account is None:
            if outcome == "unknown_user":
                return _refused(
                    403,
                    "no_account",
                    f"统一身份认证用户 {username} 在本系统没有账号，请联系管理员 / {username} "
                    "has no account here: ask an administrator",
                )
            return refusal(outcome)
        signed_in = await start_session(request, account, now)
    except CONNECTION_ERRORS:
        raise ServiceUnavailable() from None
    response = RedirectResponse(HOME, status_code=303)
    response.headers.append("set-cookie", signed_in.headers["set-cookie"])
    return response


async def sign_in_options(request: Request) -> Response:
    """What the login page offers: a password always, the provider when configured."""
    configured = request.app.state.config.oidc_sign_in is not None
    return JSONResponse(
        {
            "password": True,
            "oidc": configured,
            "oidcLoginUrl": "/auth/oidc/login" if configured else None,
        }
    )
