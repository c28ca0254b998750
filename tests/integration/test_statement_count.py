"""DataLoaders: the number of SQL statements of a request does not grow with the page."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import ApiConfig, create_app
from domain.application import RectifyApp
from tests.integration.api_fixtures import (
    SECRET,
    import_known_ledger,
    projection_thread,
    token,
    wait_until_projected,
)

FIXTURES = (projection_thread,)
PAGE = """query($first: Int!) { issues(first: $first) { totalCount edges { node {
  number leadAgency { name } coAgencies { name } deadline { dueDate }
  history { type summary }
  campaign { title leadAgency { name } members { name } phases { name } currentPhase { name } }
} } } }"""


class CountingPool:
    """The real asyncpg pool, counting the statements sent through it."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.pool, name)
        if name in {"fetch", "fetchrow", "fetchval", "execute"}:

            async def counted(*args: Any, **kwargs: Any) -> Any:
                self.statements += 1
                return await attribute(*args, **kwargs)

            return counted
        return attribute


@pytest.fixture
async def counted(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: threading.Thread,
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingPool]]:
    import_known_ledger(app)
    web = create_app(ApiConfig(database_url, schema, dict(es_env), SECRET))
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await wait_until_projected(client, app)
            pool = CountingPool(web.state.pool)
            web.state.pool = pool
            yield client, pool


async def _statements(
    client: httpx.AsyncClient, pool: CountingPool, first: int, page: str = PAGE
) -> int:
    before = pool.statements
    response = await client.post(
        "/graphql",
        json={"query": page, "variables": {"first": first}},
        headers={"Authorization": f"Bearer {token('coordinator')}"},
    )
    body = response.json()
    assert "errors" not in body, body
    assert len(body["data"]["issues"]["edges"]) == first
    return pool.statements - before


async def test_a_bigger_page_sends_no_more_statements(
    counted: tuple[httpx.AsyncClient, CountingPool],
) -> None:
    client, pool = counted
    one = await _statements(client, pool, 1)
    five = await _statements(client, pool, 5)
    assert one == five
    assert five <= 4  # count, page, histories, campaigns


async def test_a_page_that_does_not_select_total_count_does_not_count(
    counted: tuple[httpx.AsyncClient, CountingPool],
) -> None:
    client, pool = counted
    with_count = await _statements(client, pool, 3)
    without = await _statements(client, pool, 3, PAGE.replace("totalCount ", ""))
    assert without == with_count - 1  # the count(*) over every matching issue (ADR 0053)
