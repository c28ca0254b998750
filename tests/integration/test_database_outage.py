"""While PostgreSQL is down the API answers at once — 503 with a bilingual message, the
health check 503, metrics still scraped — and serves again when it is back. A real
embedded PostgreSQL of its own is killed and restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import ApiConfig, create_app
from domain.application import RectifyApp
from rectify.embedded import restart_embedded_postgres, start_embedded_postgres
from rectify.runtime import ensure_schema
from rectify.settings import eventsourcing_env
from tests.integration.api_fixtures import SECRET, import_known_ledger, issue, token

SCHEMA = "rectify"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    url, server = start_embedded_postgres(tmp_path / "pg")
    ensure_schema(url, SCHEMA)
    yield url, server
    restart_embedded_postgres(server)  # if the test stopped before restarting it
    server.cleanup()


@pytest.fixture
async def client(own_server: tuple[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    url, _ = own_server
    es_env = eventsourcing_env(url, SCHEMA)
    app = RectifyApp(env=es_env)
    import_known_ledger(app)
    app.close()
    web = create_app(ApiConfig(url, SCHEMA, es_env, SECRET))
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill(server: Any) -> None:
    """Kill the postmaster and wait until its backends have noticed and exited too: a
    backend serves a query that reaches it in the few milliseconds before it does, so the
    outage starts when the last of them is gone."""
    postmaster = server.get_pid()
    backends = _children(postmaster)
    os.kill(postmaster, signal.SIGKILL)
    for _ in range(200):
        if not any(_alive(pid) for pid in backends | {postmaster}):
            return
        time.sleep(0.05)
    raise AssertionError("PostgreSQL's backends outlived their postmaster by 10 s")


async def _graphql(http: httpx.AsyncClient, query: str) -> httpx.Response:
    return await http.post(
        "/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token('coordinator')}"},
    )


READ = "{ campaigns { title } }"
WRITE = f'mutation {{ signOff(issueId: "{issue("1")}") {{ __typename }} }}'


async def _first_after_the_kill(http: httpx.AsyncClient, kind: str) -> httpx.Response:
    if kind == "write":
        return await _graphql(http, WRITE)
    return await http.post("/auth/login", json={"username": "x.y", "password": "wrong"})


@pytest.mark.parametrize("first", ["write", "sign-in"])
async def test_a_rate_limited_request_meeting_the_outage_first_gets_503(
    client: httpx.AsyncClient, own_server: tuple[str, Any], first: str
) -> None:
    """Mutations and sign-ins are counted in PostgreSQL (api/rate_limits.py) before they
    run: the count meeting the outage answers the same fast 503, not a 500 or a 429."""
    assert (await _graphql(client, READ)).status_code == 200
    _, server = own_server
    _kill(server)
    answer = await _first_after_the_kill(client, first)
    assert answer.status_code == 503, answer.text
    assert "database is unavailable" in answer.json()["message"]


async def test_requests_during_an_outage_get_503_and_service_resumes_after_it(
    client: httpx.AsyncClient, own_server: tuple[str, Any]
) -> None:
    assert (await _graphql(client, READ)).status_code == 200
    _, server = own_server
    _kill(server)

    read = await _graphql(client, READ)
    assert read.status_code == 503
    assert read.headers["Retry-After"]
    assert "数据库暂时不可用" in read.json()["message"]
    assert "database is unavailable" in read.json()["message"]
    write = await _graphql(client, WRITE)
    assert write.status_code == 503
    health = await client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["ok"] is False
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "rectify_database_up 0.0" in metrics.text

    restart_embedded_postgres(server)
    # Serving again within seconds (a probe in flight when the server came back may still
    # report one last failure; the next request is served).
    for _ in range(150):
        if (await _graphql(client, READ)).status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert (await _graphql(client, READ)).status_code == 200
    assert (await client.get("/healthz")).status_code == 200
    assert "rectify_database_up 1.0" in (await client.get("/metrics")).text
