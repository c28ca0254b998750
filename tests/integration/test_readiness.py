"""/readyz says whether the API can take traffic — PostgreSQL, Temporal and the read tables'
lag each named when not ready (503, bilingual) — while /healthz says only that it is alive.
A real Temporal test server answers; a stopped one is a port nobody listens on."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import ApiConfig
from domain.application import RectifyApp
from rectify.embedded import find_binary
from tests.integration.api_fixtures import (
    SECRET,
    import_known_ledger,
    projection_thread,
    served,
    wait_until_projected,
)
from tests.integration.test_database_outage import _kill, client, own_server

__all__ = ["client", "own_server", "projection_thread"]  # the outage test's fixtures, used below


@pytest.fixture(scope="module")
async def temporal() -> AsyncIterator[str]:
    server = find_binary("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=server
    ) as env:
        yield env.client.service_client.config.target_host


def closed_port() -> str:
    """An address where nothing listens: a stopped Temporal, as the API sees it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def config(es_env: dict[str, str], url: str, schema: str, **more: Any) -> ApiConfig:
    return ApiConfig(url, schema, dict(es_env), SECRET, **more)


async def test_ready_when_database_temporal_and_projections_are(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: Any,
    temporal: str,
) -> None:
    import_known_ledger(app)
    async with served(config(es_env, database_url, schema, temporal_address=temporal)) as http:
        await wait_until_projected(http, app)
        answer = await http.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ready"] is True
    assert answer.json()["not_ready"] == []
    assert answer.json()["projection_lag"] == 0


async def test_not_ready_when_temporal_cannot_be_reached_though_alive(
    es_env: dict[str, str], database_url: str, schema: str, projection_thread: Any
) -> None:
    stopped = closed_port()
    async with served(config(es_env, database_url, schema, temporal_address=stopped)) as http:
        ready, health = await http.get("/readyz"), await http.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["temporal"]
    assert "Temporal 不可达 / Temporal is unreachable" in ready.json()["messages"][0]
    assert stopped in ready.json()["messages"][0]
    assert health.status_code == 200  # alive: a restart would not help


async def test_not_ready_while_the_projections_lag_more_than_allowed(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, temporal: str
) -> None:
    import_known_ledger(app)  # and no projection runner: the read tables stay empty
    head = app.recorder.max_notification_id() or 0
    lagging = config(es_env, database_url, schema, temporal_address=temporal)
    lagging.ready_max_lag_events = head - 1
    async with served(lagging) as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["not_ready"] == ["projection_lag"]
    assert answer.json()["projection_lag"] == head
    assert "读表落后" in answer.json()["messages"][0]
    assert "the read tables are too far behind" in answer.json()["messages"][0]


async def test_a_lag_within_the_threshold_is_ready(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, temporal: str
) -> None:
    import_known_ledger(app)
    head = app.recorder.max_notification_id() or 0
    tolerant = config(es_env, database_url, schema, temporal_address=temporal)
    tolerant.ready_max_lag_events = head
    async with served(tolerant) as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 200, answer.text


async def test_not_ready_while_postgresql_is_down(client: Any, own_server: tuple[str, Any]) -> None:
    _, server = own_server
    _kill(server)
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert "database" in answer.json()["not_ready"]
    assert "PostgreSQL 不可用 / PostgreSQL is unreachable" in answer.json()["messages"]
    assert answer.headers["Retry-After"] == "5"
