"""Server-side web sessions in PostgreSQL (table web_sessions, ADR 0042).

The cookie carries a random token; the table is keyed by its sha256, so reading the table
(a backup, a replica) signs nobody in. Each session has a CSRF token the page sends back
in `X-CSRF-Token` with every request that is not a read. A session ends when it has been
idle longer than the idle limit, when it is older than the absolute limit, on logout, and
when its account changes (a grant, a revoke, a lock, a disable, a new password: `END_USER`).
Times come from the configured clock, so tests move time instead of waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from api.auth import Role, User

COOKIE = "rectify_session"
CSRF_HEADER = "x-csrf-token"
END_USER = "DELETE FROM web_sessions WHERE username = $1"
END_USER_PSYCOPG = "DELETE FROM web_sessions WHERE username = %s"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Session:
    username: str
    display_name: str
    role: str
    agency_id: str | None
    agency_name: str | None
    region: str | None
    csrf_token: str
    created_at: datetime
    expires_at: datetime  # the absolute end; an idle one ends earlier

    def user(self) -> User:
        """The same User a bearer token gives, so authorisation is unchanged."""
        return User(
            self.username,
            Role(self.role),
            self.agency_id,
            self.agency_name,
            self.region,
            self.expires_at,
        )

    def csrf_matches(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf_token.encode())

    def body(self) -> dict[str, Any]:
        """What /auth/login and /auth/session answer."""
        return {
            "user": {
                "username": self.username,
                "displayName": self.display_name,
                "role": self.role,
                "agencyId": self.agency_id,
                "agencyName": self.agency_name,
                "region": self.region,
            },
            "csrfToken": self.csrf_token,
        }


@dataclass(frozen=True)
class Limits:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


async def start(
    pool: Any,
    now: datetime,
    limits: Limits,
    *,
    username: str,
    display_name: str,
    role: str,
    agency_id: str | None,
    agency_name: str | None,
    region: str | None,
) -> tuple[str, Session]:
    """A new session: (the cookie's token, the session)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    # sessions nobody came back to are removed here, at a sign-in, not by a timer
    await pool.execute(
        "DELETE FROM web_sessions WHERE last_seen_at <= $1 OR created_at <= $2",
        now - limits.idle,
        now - limits.absolute,
    )
    await pool.execute(
        "INSERT INTO web_sessions (token_sha256, username, display_name, role, agency_id,"
        " agency_name, region, csrf_token, created_at, last_seen_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        digest(token), username, display_name, role, agency_id, agency_name, region, csrf, now,
    )  # fmt: skip
    session = Session(
        username, display_name, role, agency_id, agency_name, region, csrf, now,
        now + limits.absolute,
    )  # fmt: skip
    return token, session


async def find(pool: Any, token: str | None, now: datetime, limits: Limits) -> Session | None:
    """The live session of `token`, its last use moved to `now`; None (and the row gone)
    when there is none or it expired."""
    if not token:
        return None
    key = digest(token)
    row = await pool.fetchrow(
        "UPDATE web_sessions SET last_seen_at = $2 WHERE token_sha256 = $1"
        " AND last_seen_at > $3 AND created_at > $4 RETURNING *",
        key,
        now,
        now - limits.idle,
        now - limits.absolute,
    )
    if row is None:
        await pool.execute("DELETE FROM web_sessions WHERE token_sha256 = $1", key)
        return None
    return Session(
        row["username"],
        row["display_name"],
        row["role"],
        row["agency_id"],
        row["agency_name"],
        row["region"],
        row["csrf_token"],
        row["created_at"],
        row["created_at"] + limits.absolute,
    )


async def end(pool: Any, token: str | None) -> None:
    if token:
        await pool.execute("DELETE FROM web_sessions WHERE token_sha256 = $1", digest(token))


async def end_user(pool: Any, username: str) -> None:
    """Every session of `username` (its account changed: it signs in again)."""
    await pool.execute(END_USER, username)


async def log_attempt(
    pool: Any,
    now: datetime,
    username: str,
    outcome: str,
    address: str | None,
    user_agent: str | None,
) -> None:
    """One line of the 登录日志. What was typed as the user name is kept (bounded), as
    failures for unknown names are what an auditor looks for."""
    await pool.execute(
        "INSERT INTO sign_in_log (at, username, outcome, address, user_agent)"
        " VALUES ($1, $2, $3, $4, $5)",
        now,
        username[:200],
        outcome,
        address,
        (user_agent or "")[:500] or None,
    )
