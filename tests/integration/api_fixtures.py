"""A small known ledger, the API under test (lifespan entered, projection running), tokens."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.app import ApiConfig, create_app
from api.auth import issue_token
from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.ledger_rows import LedgerRow
from domain.names import agency_id, campaign_id, issue_id
from projections import run_projections

SECRET = "rectify-integration-test-secret-0123456789"
CAMPAIGN = "医疗领域群众身边不正之风和腐败问题集中整治"
HEALTH, INSURANCE, MARKET, TOWNS = "县卫健局", "县医保局", "县市场监管局", "各乡镇人民政府"

# number, lead, co, deadline. 2020 dates are overdue and 2099 dates are not, whatever today is.
LEDGER = [
    ("1", HEALTH, [INSURANCE], "2020年3月底"),
    ("2", INSURANCE, [HEALTH, MARKET], "2099年12月31日"),
    ("3", HEALTH, [], "立行立改，长期坚持"),
    ("4", MARKET, [TOWNS], "2020年6月底"),  # closed by `known_ledger`
    ("5", HEALTH, [MARKET], "2099年3月底"),
]


def ledger_rows() -> list[LedgerRow]:
    return [
        LedgerRow(
            n + 2,
            number,
            f"问题{number}",
            [f"措施{number}-1", f"措施{number}-2"],
            lead,
            co,
            parse_deadline(deadline),
        )
        for n, (number, lead, co, deadline) in enumerate(LEDGER)
    ]


def issue(number: str) -> str:
    return str(issue_id(campaign_id(CAMPAIGN), number))


def import_known_ledger(app: RectifyApp) -> None:
    """The five issues above, with issue 4 verified and signed off."""
    app.import_ledger(CAMPAIGN, ledger_rows(), actor="导入", source="t.csv", create_agencies=True)
    four = issue_id(campaign_id(CAMPAIGN), "4")
    app.submit_for_verification(four, "已完成", "县市场监管局")
    app.sign_off(four, "", "协调办")


def token(role: str, agency: str | None = None, secret: str = SECRET, ttl_hours: int = 1) -> str:
    agency_key = str(agency_id(agency)) if agency else None
    return issue_token(secret, role, agency_key, agency, f"{role}-user", ttl_hours)


@dataclass
class Api:
    """A client that reads its own writes as the web client does: the highest log
    position any answer returned goes with every later request (X-Rectify-Min-Position),
    as a mutation that asks only for its outcome does not wait for the read side."""

    client: httpx.AsyncClient
    seen: int = 0

    async def gql(
        self, query: str, role: str = "coordinator", agency: str | None = None, **variables: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token(role, agency)}"}
        if self.seen:
            headers["X-Rectify-Min-Position"] = str(self.seen)
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body["errors"]
        self.seen = max([self.seen, *positions(body["data"])])
        return body["data"]  # type: ignore[no-any-return]


def positions(data: Any) -> list[int]:
    """Every `position` an answer holds, at any depth."""
    if isinstance(data, dict):
        found = [data["position"]] if isinstance(data.get("position"), int) else []
        return found + [p for value in data.values() for p in positions(value)]
    if isinstance(data, list):
        return [p for value in data for p in positions(value)]
    return []


@pytest.fixture
def projection_thread(
    es_env: dict[str, str], database_url: str, schema: str
) -> Iterator[threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_projections, args=(es_env, database_url, schema, stop, 0.02), daemon=True
    )
    thread.start()
    yield thread
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
async def api(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: threading.Thread,
) -> AsyncIterator[Api]:
    """The known ledger behind a running API (httpx does not run the lifespan: we do)."""
    import_known_ledger(app)
    async with served(ApiConfig(database_url, schema, dict(es_env), SECRET)) as client:
        await wait_until_projected(client, app)
        yield Api(client)


@asynccontextmanager
async def served(config: ApiConfig) -> AsyncIterator[httpx.AsyncClient]:
    """An API process of `config` (httpx does not run the lifespan: we do), and a client."""
    web = create_app(config)
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def wait_until_projected(client: httpx.AsyncClient, app: RectifyApp) -> None:
    import asyncio

    head = app.recorder.max_notification_id() or 0
    for _ in range(300):
        health = (await client.get("/healthz")).json()
        if health["projection_position"] >= head:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"projection stuck at {health}")
