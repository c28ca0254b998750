"""A mutation waits for the read side only when its result asks for a field read from it,
and then on the projection runner's notice (ADR 0053). Read-your-writes waits are made an
hour long here and each request is bounded at a few seconds: a request that returns in
time did not wait, or was released by a notice."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from api import commands, freshness
from api.app import ApiConfig
from domain.application import RectifyApp
from projections import catch_up, projection_position, run_projections
from tests.integration.api_fixtures import (
    SECRET,
    import_known_ledger,
    issue,
    served,
    token,
)

HOUR, BOUND = 3600.0, 10.0
OUTCOME_ONLY = """mutation($id: ID!) { submitForVerification(issueId: $id, summary: "已整改") {
  __typename ... on IssueChanged { position } } }"""
WITH_THE_ISSUE = """mutation($id: ID!) { submitForVerification(issueId: $id, summary: "已整改") {
  __typename ... on IssueChanged { position issue { status } } } }"""
IN_A_FRAGMENT = """mutation($id: ID!) { submitForVerification(issueId: $id, summary: "已整改") {
  __typename ...shown } }
fragment shown on IssueChanged { position issue { status } }"""


@pytest.fixture
async def client(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    """The known ledger, projected once, behind an API; no runner unless a test starts one."""
    monkeypatch.setattr(commands, "READ_YOUR_WRITES_SECONDS", HOUR)
    import_known_ledger(app)
    catch_up(es_env, database_url, schema)
    async with served(ApiConfig(database_url, schema, dict(es_env), SECRET)) as http:
        yield http


@pytest.fixture
def slow_runner(es_env: dict[str, str], database_url: str, schema: str) -> Iterator[None]:
    """A runner that polls once an hour: only a save's NOTIFY wakes it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_projections, args=(es_env, database_url, schema, stop, HOUR), daemon=True
    )
    thread.start()
    yield
    stop.set()
    thread.join(timeout=BOUND)


async def _mutate(http: httpx.AsyncClient, query: str, number: str) -> dict[str, Any]:
    response = await asyncio.wait_for(
        http.post(
            "/graphql",
            json={"query": query, "variables": {"id": issue(number)}},
            headers={"Authorization": f"Bearer {token('coordinator')}"},
        ),
        BOUND,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]["submitForVerification"]  # type: ignore[no-any-return]


async def test_a_mutation_asking_only_for_its_outcome_returns_before_the_read_side_catches_up(
    client: httpx.AsyncClient, database_url: str, schema: str
) -> None:
    result = await _mutate(client, OUTCOME_ONLY, "1")  # no runner: the read side never moves

    assert result["__typename"] == "IssueChanged"
    assert result["position"] > projection_position(database_url, schema)


async def test_a_mutation_asking_for_the_issue_returns_it_as_the_runner_projected_it(
    client: httpx.AsyncClient, slow_runner: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(freshness, "FALLBACK_SECONDS", HOUR)  # only a notice releases the wait

    for query, number in ((WITH_THE_ISSUE, "1"), (IN_A_FRAGMENT, "2")):
        result = await _mutate(client, query, number)

        assert result["issue"] == {"status": "SUBMITTED"}


async def test_a_read_with_the_mutations_position_sees_the_write(
    client: httpx.AsyncClient, slow_runner: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(freshness, "FALLBACK_SECONDS", HOUR)
    position = (await _mutate(client, OUTCOME_ONLY, "3"))["position"]

    response = await asyncio.wait_for(
        client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { issue(id: $id) { status } }",
                "variables": {"id": issue("3")},
            },
            headers={
                "Authorization": f"Bearer {token('coordinator')}",
                "X-Rectify-Min-Position": str(position),
            },
        ),
        BOUND,
    )

    assert response.json()["data"]["issue"] == {"status": "SUBMITTED"}
    assert int(response.headers["X-Rectify-Min-Position"]) >= position
