"""Signing in to the web workbench over HTTP (ADR 0042): the session cookie, CSRF, expiry,
lockout and the 登录日志, against the real application and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import ApiConfig, create_app
from api.passwords import hash_password
from api.sessions import COOKIE
from domain.accounts import AccountStatus
from domain.application import RectifyApp
from domain.names import agency_id
from tests.integration.api_fixtures import (
    HEALTH,
    SECRET,
    import_known_ledger,
    projection_thread,  # noqa: F401 (a fixture)
    token,
    wait_until_projected,
)

PASSWORD = "correct horse battery"
ME = "query { me { subject role agency { name } } }"
SIGN_IN_LOG = (
    "query($after: String) { signInLog(first: 2, after: $after) { edges { cursor node {"
    " username outcome address userAgent at } } pageInfo { hasNextPage endCursor } } }"
)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 12, 7, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Web:
    client: httpx.AsyncClient
    clock: Clock
    app: RectifyApp
    site: Starlette

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post(
            "/auth/login",
            json={"username": username, "password": password},
            headers={"User-Agent": "pytest-browser/1.0"},
        )

    async def gql(self, query: str, csrf: str | None = None, **variables: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )


def add_user(app: RectifyApp, username: str, role: str, agency: str | None = None) -> None:
    grant = (role, agency_id(agency) if agency else None, agency, None)
    app.add_account(username, f"{username} 姓名", hash_password(PASSWORD), "test", grant=grant)


@pytest.fixture
async def web(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: threading.Thread,  # noqa: F811
) -> AsyncIterator[Web]:
    import_known_ledger(app)
    add_user(app, "zhang.san", "liaison", HEALTH)
    add_user(app, "admin1", "admin")
    add_user(app, "auditor1", "auditor")
    clock = Clock()
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, now=clock)
    site = create_app(config)
    async with site.router.lifespan_context(site):
        transport = httpx.ASGITransport(app=site, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await wait_until_projected(client, app)
            yield Web(client, clock, app, site)


async def test_signing_in_answers_the_user_and_a_csrf_token_and_sets_an_httponly_cookie(
    web: Web,
) -> None:
    response = await web.login("Zhang.San")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"] == {
        "username": "zhang.san",
        "displayName": "zhang.san 姓名",
        "role": "liaison",
        "agencyId": str(agency_id(HEALTH)),
        "agencyName": HEALTH,
        "region": None,
    }
    assert len(body["csrfToken"]) >= 32
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development serves plain http on 127.0.0.1


async def test_the_session_answers_what_the_login_answered(web: Web) -> None:
    login = (await web.login("zhang.san")).json()
    response = await web.client.get("/auth/session")
    assert response.status_code == 200
    assert response.json() == login


async def test_without_a_cookie_the_session_is_not_signed_in(web: Web) -> None:
    response = await web.client.get("/auth/session")
    assert response.status_code == 401
    assert response.json()["error"] == "not_signed_in"


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(web: Web) -> None:
    wrong = await web.login("zhang.san", "not the password")
    unknown = await web.login("nobody.here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json() == {
        "error": "invalid_credentials",
        "message": "用户名或密码错误 / wrong user name or password",
    }
    assert "set-cookie" not in wrong.headers


async def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_then_told_so(
    web: Web,
) -> None:
    for _ in range(5):
        assert (await web.login("zhang.san", "wrong password")).status_code == 401
    locked = await web.login("zhang.san")
    assert locked.status_code == 423
    assert locked.json()["error"] == "account_locked"
    assert "set-cookie" not in locked.headers
    assert web.app.get_account("zhang.san").status is AccountStatus.LOCKED


async def test_four_wrong_passwords_then_the_right_one_signs_in_and_the_count_restarts(
    web: Web,
) -> None:
    for _ in range(4):
        await web.login("zhang.san", "wrong password")
    assert (await web.login("zhang.san")).status_code == 200
    for _ in range(4):
        await web.login("zhang.san", "wrong password")
    assert (await web.login("zhang.san")).status_code == 200


async def test_a_disabled_account_is_told_so_with_its_right_password(web: Web) -> None:
    web.app.disable_account("zhang.san", "test")
    response = await web.login("zhang.san")
    assert response.status_code == 423
    assert response.json()["error"] == "account_disabled"


async def test_a_cookie_session_reads_graphql_as_its_user(web: Web) -> None:
    await web.login("zhang.san")
    response = await web.client.get("/graphql", params={"query": ME})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"] == {
        "subject": "zhang.san",
        "role": "LIAISON",
        "agency": {"name": HEALTH},
    }


async def test_a_cookie_post_with_the_csrf_token_is_served(web: Web) -> None:
    csrf = (await web.login("zhang.san")).json()["csrfToken"]
    response = await web.gql(ME, csrf=csrf)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["subject"] == "zhang.san"


@pytest.mark.parametrize("sent", [None, "wrong-token"])
async def test_a_cookie_post_without_the_right_csrf_token_is_refused(
    web: Web, sent: str | None
) -> None:
    await web.login("zhang.san")
    response = await web.gql(ME, csrf=sent)
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
    assert " / " in response.json()["message"]


async def test_a_cookie_upload_without_the_csrf_token_is_refused(web: Web) -> None:
    await web.login("zhang.san")
    response = await web.client.post("/files", files={"file": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"


async def test_a_bearer_token_still_works_beside_the_cookie(web: Web) -> None:
    response = await web.client.post(
        "/graphql",
        json={"query": ME},
        headers={"Authorization": f"Bearer {token('coordinator')}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["me"]["subject"] == "coordinator-user"


async def test_a_session_idle_longer_than_the_limit_has_ended(web: Web) -> None:
    await web.login("zhang.san")
    web.clock.advance(minutes=29)
    assert (await web.client.get("/auth/session")).status_code == 200
    web.clock.advance(minutes=29)  # 29 minutes after the last use: still alive
    assert (await web.client.get("/auth/session")).status_code == 200
    web.clock.advance(minutes=31)
    response = await web.client.get("/auth/session")
    assert response.status_code == 401
    assert (await web.client.get("/graphql", params={"query": ME})).status_code == 401


async def test_a_session_in_use_ends_at_the_absolute_limit(web: Web) -> None:
    await web.login("zhang.san")
    for _ in range(35):  # in use every 20 minutes: 11 h 40 min
        web.clock.advance(minutes=20)
        assert (await web.client.get("/auth/session")).status_code == 200
    web.clock.advance(minutes=21)  # 12 h 1 min after signing in
    assert (await web.client.get("/auth/session")).status_code == 401


async def test_logout_ends_the_session_and_clears_the_cookie(web: Web) -> None:
    csrf = (await web.login("zhang.san")).json()["csrfToken"]
    kept = web.client.cookies.get(COOKIE)
    response = await web.client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert f'{COOKIE}=""' in response.headers["set-cookie"]
    # the old cookie, sent again, no longer signs anyone in: the server ended it
    web.client.cookies.set(COOKIE, kept or "")
    assert (await web.client.get("/auth/session")).status_code == 401


async def test_logout_without_the_csrf_token_is_refused(web: Web) -> None:
    await web.login("zhang.san")
    response = await web.client.post("/auth/logout")
    assert response.status_code == 403
    assert (await web.client.get("/auth/session")).status_code == 200


async def test_a_login_that_is_not_json_is_refused(web: Web) -> None:
    response = await web.client.post(
        "/auth/login", data={"username": "zhang.san", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert "set-cookie" not in response.headers


async def test_an_account_without_a_role_is_told_so_with_its_right_password(web: Web) -> None:
    web.app.revoke_role("zhang.san", "test")
    response = await web.login("zhang.san")
    assert response.status_code == 423
    assert response.json()["error"] == "no_role"


@asynccontextmanager
async def served(config: ApiConfig, base: str = "http://test") -> AsyncIterator[Any]:
    """(client, site) of an API of its own `config` (no projection thread)."""
    site = create_app(config)
    async with site.router.lifespan_context(site):
        transport = httpx.ASGITransport(app=site)
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            yield client, site


async def test_in_production_the_cookie_is_sent_over_https_only(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    add_user(app, "zhang.san", "auditor")
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, production=True)
    async with served(config, "https://test") as (client, _):
        response = await client.post(
            "/auth/login", json={"username": "zhang.san", "password": PASSWORD}
        )
    assert response.status_code == 200
    assert "Secure" in response.headers["set-cookie"]


async def test_without_a_provider_the_login_page_offers_passwords_only(web: Web) -> None:
    options = (await web.client.get("/auth/options")).json()
    assert options == {"password": True, "oidc": False, "oidcLoginUrl": None}
    response = await web.client.get("/auth/oidc/login")
    assert response.status_code == 404
    assert response.json()["error"] == "oidc_not_configured"


async def test_too_many_attempts_from_one_address_are_answered_429(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    add_user(app, "zhang.san", "auditor")
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, sign_ins_per_minute=2)
    async with served(config) as (client, site):
        answers = [
            await client.post("/auth/login", json={"username": "x.y", "password": "wrong1"})
            for _ in range(3)
        ]
        rows = await site.state.pool.fetch("SELECT outcome FROM sign_in_log")
    outcomes = [r["outcome"] for r in rows]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[2].json()["error"] == "rate_limited"
    assert int(answers[2].headers["Retry-After"]) > 0
    assert sorted(outcomes) == ["rate_limited", "unknown_user", "unknown_user"]


async def test_the_sign_in_limit_holds_across_two_api_processes(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    """Two API processes behind one proxy: the attempts from one address are counted
    together, not twice the limit."""
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, sign_ins_per_minute=3)
    wrong = {"username": "x.y", "password": "wrong1"}
    async with served(config) as (first, _), served(config) as (second, _):
        answers = [
            await client.post("/auth/login", json=wrong)
            for client in (first, second, first, second, first)
        ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]


async def test_a_sign_in_clears_away_sessions_that_expired(web: Web) -> None:
    await web.login("zhang.san")
    web.clock.advance(minutes=31)
    web.client.cookies.clear()
    await web.login("auditor1")
    rows = await web.site.state.pool.fetch("SELECT username FROM web_sessions")
    assert [r["username"] for r in rows] == ["auditor1"]


async def test_signing_in_again_ends_the_browsers_earlier_session(web: Web) -> None:
    await web.login("zhang.san")
    earlier = web.client.cookies.get(COOKIE)
    await web.login("auditor1")
    assert web.client.cookies.get(COOKIE) != earlier
    web.client.cookies.set(COOKIE, earlier or "")
    assert (await web.client.get("/auth/session")).status_code == 401
