"""The lists behind the dashboard figures (ADR 0048): each list's total equals the
`statistics` figure of the same data — per week opened and closed, per region, per rung,
per kind's on-time counts — its rows are the ones counted, and paging reads them all once.
The dataset is test_dashboard_figures' (several weeks, every item kind, rungs, regions)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.application import RectifyApp
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    Api,
    api,
    projection_thread,
    token,
)
from tests.integration.test_dashboard_figures import TODAY, WEEKS, clock, data, figures

FIXTURES = (api, projection_thread, clock, data)
SCOPES = pytest.mark.parametrize("scope", [CAMPAIGN, None], ids=["campaign", "global"])

ITEMS = """
query($campaign: ID, $asOf: Date, $filter: FigureItemFilter, $first: Int!, $after: String) {
  figureItems(campaign: $campaign, asOf: $asOf, filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id kind label agency { name } openedAt closedAt dueDate overdue } }
  }
}"""
FIRED = """
query($campaign: ID, $rung: String, $first: Int!, $after: String) {
  escalationsFired(campaign: $campaign, rung: $rung, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { itemId kind label rung at agency { name } } }
  }
}"""


async def every_row(
    api: Api,
    query: str,
    field: str,
    role: str = "leadership",
    agency: str | None = None,
    **variables: Any,
) -> tuple[int, list[dict[str, Any]]]:
    """The list's total and all its rows, read three at a time."""
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await api.gql(query, role, agency, first=3, after=after, **variables))[field]
        total = page["totalCount"]
        rows += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return total, rows
        after = page["pageInfo"]["endCursor"]


async def items(api: Api, scope: str | None, **filter: Any) -> tuple[int, list[dict[str, Any]]]:
    return await every_row(
        api, ITEMS, "figureItems", campaign=scope, asOf=TODAY.isoformat(), filter=filter
    )


@SCOPES
async def test_each_weeks_opened_and_closed_list_the_items_the_week_counts(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    weeks = (await figures(data, app, scope))["weekly"]

    assert len(weeks) == WEEKS
    for week in weeks:
        opened, rows = await items(data, scope, openedWeek=week["weekStart"])
        assert opened == len(rows) == week["opened"]
        assert len({r["id"] for r in rows}) == len(rows)  # paging repeats nothing
        closed, rows = await items(data, scope, closedWeek=week["weekStart"])
        assert closed == len(rows) == week["closed"]
        assert all(r["closedAt"] is not None for r in rows)
    assert any(w["opened"] > 3 for w in weeks)  # more than a page: the cursor was used


@SCOPES
async def test_each_regions_open_closed_and_overdue_list_the_items_it_counts(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    regions = (await figures(data, app, scope))["byRegion"]

    assert {r["region"] for r in regions} == {"某市", "某县", None}
    for row in regions:
        where = {"region": row["region"]} if row["region"] else {"noRegion": True}
        for state in ("open", "closed", "overdue"):
            total, rows = await items(data, scope, state=state.upper(), **where)
            assert total == len(rows) == row["counts"][state], (row["region"], state)
        total, rows = await items(data, scope, state="OVERDUE", **where)
        assert all(r["overdue"] for r in rows)


@SCOPES
async def test_each_kinds_on_time_counts_list_the_items_judged(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    kinds = (await figures(data, app, scope))["byKind"]

    for row in kinds:
        judged, _ = await items(data, scope, kind=row["kind"], state="CLOSED_WITH_DUE_DATE")
        on_time, _ = await items(data, scope, kind=row["kind"], state="CLOSED_ON_TIME")
        counts = row["counts"]
        assert (judged, on_time) == (counts["closedWithDueDate"], counts["closedOnTime"])
    total, _ = await items(data, scope, state="OVERDUE")
    assert total == (await figures(data, app, scope))["total"]["overdue"]


@SCOPES
async def test_each_rungs_list_holds_the_escalations_it_counts(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    rungs = (await figures(data, app, scope))["escalations"]

    assert len(rungs) == 4
    for row in rungs:
        total, fired = await every_row(data, FIRED, "escalationsFired", campaign=scope, **row)
        assert total == len(fired) == row["count"]
        assert {f["rung"] for f in fired} == {row["rung"]}
        assert [f["at"] for f in fired] == sorted(f["at"] for f in fired)


async def test_agency_staff_list_only_their_agencys_items(data: Api, app: RectifyApp) -> None:
    await figures(data, app, CAMPAIGN)
    everyone, _ = await items(data, CAMPAIGN)
    own, rows = await every_row(
        data, ITEMS, "figureItems", "liaison", HEALTH, campaign=CAMPAIGN, filter={}
    )

    assert 0 < own < everyone
    assert own == len(rows)


async def test_a_liaison_without_an_agency_lists_nothing(data: Api, app: RectifyApp) -> None:
    await figures(data, app, CAMPAIGN)
    page = await data.gql(ITEMS, role="liaison", campaign=CAMPAIGN, first=5)
    assert page["figureItems"]["totalCount"] == 0


async def test_an_unknown_campaign_lists_nothing(data: Api) -> None:
    page = await data.gql(ITEMS, role="leadership", campaign="没有这个专项", first=5)
    assert page["figureItems"] == {
        "totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": []
    }  # fmt: skip


async def test_a_cursor_of_another_list_is_refused_naming_after(data: Api, app: RectifyApp) -> None:
    await figures(data, app, CAMPAIGN)
    page = await data.gql(FIRED, role="leadership", campaign=CAMPAIGN, first=1)
    cursor = page["escalationsFired"]["pageInfo"]["endCursor"]
    response = await data.client.post(
        "/graphql",
        json={"query": ITEMS, "variables": {"first": 3, "after": cursor}},
        headers={"Authorization": f"Bearer {token('leadership')}"},
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["field"] == "after"
