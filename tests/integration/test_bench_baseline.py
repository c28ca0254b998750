"""The reads' baseline (bench/plain_server.py) answers what the GraphQL API answers from the
same read tables: otherwise `make bench` would compare unlike work. No timing here."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bench.plain_server import create
from bench.reads import DASHBOARD, persisted
from domain.names import agency_id
from tests.integration.api_fixtures import CAMPAIGN, HEALTH, Api, api, projection_thread

__all__ = ["api", "projection_thread"]


@pytest.fixture
async def plain(api: Api, database_url: str, schema: str) -> AsyncIterator[httpx.AsyncClient]:
    web = create(database_url, schema)
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://plain") as client:
            yield client


async def test_the_plain_dashboard_counts_what_graphql_counts(
    api: Api, plain: httpx.AsyncClient
) -> None:
    ours = (await api.gql(DASHBOARD, campaign=CAMPAIGN))["dashboard"]
    theirs = (await plain.get("/dashboard", params={"campaign": CAMPAIGN})).json()
    for figure in ("totalIssues", "open", "closed", "overdue"):
        assert theirs[figure] == ours[figure], figure
    assert ours["totalIssues"] == 5
    assert len(theirs["byAgency"]) == len(ours["byAgency"])


async def test_the_plain_queue_page_lists_what_graphql_lists(
    api: Api, plain: httpx.AsyncClient
) -> None:
    ours = (await api.gql(persisted("WorkQueue"), "liaison", HEALTH, first=20, orderBy="DUE"))[
        "workQueue"
    ]
    theirs = (await plain.get("/queue", params={"agency": str(agency_id(HEALTH))})).json()
    assert ours["edges"], "the known ledger leaves the liaison nothing to do"
    assert theirs["totalCount"] == ours["totalCount"]
    assert [r["item_id"] for r in theirs["rows"]] == [e["node"]["id"] for e in ours["edges"]]
    assert [r["days"] for r in theirs["rows"]] == [
        e["node"]["workingDaysLeft"] for e in ours["edges"]
    ]
