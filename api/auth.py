"""Bearer tokens (HS256 JWT) and the guard that answers 401 before GraphQL runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import jwt
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.messages import says

if TYPE_CHECKING:
    from api.tokens import TokenVerifier

ALGORITHM = "HS256"


class Role(StrEnum):
    LIAISON = "liaison"  # 联络员: speaks for one agency
    COORDINATOR = "coordinator"  # 协调办: runs the campaign
    LEADERSHIP = "leadership"  # 领导: decides on extensions
    AUDITOR = "auditor"  # 审计/督查: reads only
    ADMIN = "admin"
    INVESTIGATOR = "investigator"  # 执法人员: an agency's case handler
    AGENCY_HEAD = "agency_head"  # 单位负责人: approves its agency's case transfers


@dataclass(frozen=True)
class User:
    subject: str
    role: Role
    agency_id: str | None = None
    agency_name: str | None = None
    # Leadership of one area (a county's leading group) decides only on its area's items;
    # None: no area limit (the city-level leading group).
    region: str | None = None
    # When the token stops being valid: a long-lived subscription ends then.
    expires_at: datetime | None = field(default=None, compare=False)


class InvalidToken(Exception):
    pass


def expiry(claims: dict[str, object]) -> datetime | None:
    """When the token ends. PyJWT accepts any number as `exp` (1e20 is merely "not yet
    expired"), but a datetime ends in year 9999: such a token is refused, not a 500."""
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, ValueError, OSError):
        raise InvalidToken("令牌有效期（exp）超出范围 / the token's exp is out of range") from None


def optional_text(claims: dict[str, object], name: str) -> str | None:
    """A claim that must be text when present (an agency, a region): anything else in a
    signed token is a provider's misconfiguration, refused as a bad token."""
    value = claims.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidToken(f"令牌声明 {name} 须为文本 / the token's {name} claim must be text")


def issue_token(
    secret: str,
    role: str,
    agency_id: str | None,
    agency_name: str | None,
    subject: str,
    ttl_hours: int = 12,
    region: str | None = None,
) -> str:
    claims = {
        "sub": subject,
        "role": Role(role).value,
        "agency_id": agency_id,
        "agency_name": agency_name,
        "exp": datetime.now(UTC) + timedelta(hours=ttl_hours),
    }
    if region is not None:
        claims["region"] = region
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> User:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "role"]}
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, ValueError) as error:
        raise InvalidToken(says("invalid_token", error=error)) from None
    return User(
        str(claims["sub"]),
        role,
        optional_text(claims, "agency_id"),
        optional_text(claims, "agency_name"),
        optional_text(claims, "region"),
        expiry(claims),
    )


async def user_from_header_with(verifier: TokenVerifier, header: str | None) -> User:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken(says("missing_token"))
    return await verifier.verify(token.strip())


class RequireBearer:
    """Wraps the GraphQL app: no valid `Authorization: Bearer <JWT>`, no GraphQL at all."""

    def __init__(self, app: ASGIApp, verifier: str | TokenVerifier) -> None:
        from api.tokens import SecretVerifier

        self.app = app
        # a bare string is the HS256 secret (development and older callers)
        self.verifier = SecretVerifier(verifier) if isinstance(verifier, str) else verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # Not reached through the app's routes (the /graphql websocket is a route of its
            # own, its token verified in connection_init: api/live.py); a generic wrapper
            # leaves other scopes to the app it wraps.
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        await self.admit(scope, receive, send, headers)

    async def admit(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        """The app, for a request whose headers (lower-cased names) carry a valid token;
        a 401 otherwise. For a caller that has read the headers already."""
        try:
            user = await user_from_header_with(self.verifier, headers.get("authorization"))
        except InvalidToken as error:
            response = JSONResponse(
                {"error": "unauthorized", "message": f"需要有效的登录令牌 / {error}"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="rectify"'},
            )
            await response(scope, receive, send)
            return
        scope["user"] = user
        await self.app(scope, receive, send)
