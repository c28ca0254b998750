"""Every list in each of its orders: paging with small pages yields exactly the one-page
list, which is in the order asked for; a cursor of another list or order is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.names import agency_id
from domain.reporter_identity import ReporterIdentity
from tests.integration.api_fixtures import (
    HEALTH,
    MARKET,
    Api,
    api,
    issue,
    projection_thread,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
POLICE = "县公安局"
FAR = "9999"

LISTS = {
    "issues": ("IssueFilter", "issues", "id number deadline { dueDate }", "LEDGER DUE UPDATED"),
    "referralQueue": ("ReferralQueueFilter", "referralQueue", "id dueAt", "SENT DUE UPDATED"),
    "clues": ("ClueFilter", "clues", "id replyDue", "RECEIVED REPLY_DUE UPDATED"),
    "caseTransfers": ("CaseTransferFilter", "caseTransfers", "id dueAt", "REPORTED DUE UPDATED"),
}


def _query(field: str, order_type: str, nodes: str) -> str:
    return f"""query($first: Int!, $after: String, $order: {order_type}!) {{
      {field}(first: $first, after: $after, orderBy: $order) {{
        totalCount edges {{ cursor node {{ {nodes} }} }} pageInfo {{ hasNextPage endCursor }}
      }} }}"""


ORDER_TYPES = {
    "issues": "IssueOrder",
    "referralQueue": "ReferralOrder",
    "clues": "ClueOrder",
    "caseTransfers": "CaseTransferOrder",
}


@pytest.fixture
async def busy(api: Api, app: RectifyApp) -> Api:
    """Items of every list, with due dates in another order than their creation and a
    change to an early item last."""
    app.register_agency(POLICE, actor="admin")
    market, health = agency_id(MARKET), agency_id(HEALTH)
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    sent = [
        app.send_referral(market, health, f"移送{n}", actor="联络员", at=start + timedelta(days=d))
        for n, d in enumerate([20, 0, 10, 5])
    ]
    # claimed: its running clock becomes the (later) answer clock
    app.claim_referral(sent[0].id, health, "卫健联络员", at=start + timedelta(days=21))
    for n, real in enumerate([True, False, True]):
        app.receive_clue(
            health,
            "HOTLINE_12320",
            f"举报{n}",
            actor="接线员",
            institution="某医院",
            reporter=ReporterIdentity("张三", phone="13800000000") if real else None,
            real_name=real,
            at=start + timedelta(days=10 - 3 * n),
        )
    for n, d in enumerate([7, 0, 3]):
        app.report_case_transfer(
            health, agency_id(POLICE), f"涉嫌非法行医{n}", actor="执法人员", at=start + timedelta(d)
        )
    # two undated issues and two clues without a reply due: paging must pass them all
    campaign = app.get_issue(UUID(issue("1"))).campaign_id
    for n in range(2):
        app.register_issue(
            campaign,
            f"常态{n}",
            f"长期问题{n}",
            ["常态化整改"],
            health,
            [],
            Deadline.ongoing(),
            actor="t",
        )
        app.receive_clue(
            health, "HOTLINE_12320", f"匿名{n}", actor="接线员", institution="某诊所", at=start
        )
    app.report_progress(UUID(issue("1")), health, "最后一次变动", [], "联络员")
    await wait_until_projected(api.client, app)
    return api


async def _pages(api: Api, name: str, order: str, first: int) -> list[dict[str, Any]]:
    _, field, nodes, _ = LISTS[name]
    query = _query(field, ORDER_TYPES[name], nodes)
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await api.gql(query, first=first, after=after, order=order))[field]
        found.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            assert len(found) == page["totalCount"]
            return found
        after = page["pageInfo"]["endCursor"]


CASES = [(name, order) for name, spec in LISTS.items() for order in spec[3].split()]


@pytest.mark.parametrize(("name", "order"), CASES)
async def test_small_pages_yield_the_whole_list_once_in_order(
    busy: Api, name: str, order: str
) -> None:
    whole = await _pages(busy, name, order, 200)
    paged = await _pages(busy, name, order, 2)

    assert len(whole) >= 3
    assert paged == whole
    assert len({node["id"] for node in paged}) == len(paged)


def _due(node: dict[str, Any]) -> str:
    if "deadline" in node:
        return node["deadline"]["dueDate"] or FAR
    return node.get("dueAt") or node.get("replyDue") or FAR


@pytest.mark.parametrize(
    ("name", "order"),
    [("issues", "DUE"), ("referralQueue", "DUE"), ("clues", "REPLY_DUE"), ("caseTransfers", "DUE")],
)
async def test_a_due_order_puts_the_soonest_first_and_the_undated_last(
    busy: Api, name: str, order: str
) -> None:
    nodes = await _pages(busy, name, order, 200)
    dues = [_due(node) for node in nodes]

    assert dues == sorted(dues)
    assert len(set(dues)) > 1  # the data really has several due dates


async def test_the_updated_order_puts_the_last_changed_issue_first(busy: Api) -> None:
    nodes = await _pages(busy, "issues", "UPDATED", 200)

    # 1 had progress reported last, then the two registered undated ones, 4 was signed off
    # after the import, the rest as imported
    assert [n["number"] for n in nodes] == ["1", "常态1", "常态0", "4", "5", "3", "2"]


async def test_the_queue_due_order_follows_the_running_clock(busy: Api) -> None:
    nodes = await _pages(busy, "referralQueue", "DUE", 200)
    sent = await _pages(busy, "referralQueue", "SENT", 200)

    assert [n["id"] for n in nodes] != [n["id"] for n in sent]


async def test_an_item_added_between_pages_neither_repeats_nor_skips(
    busy: Api, app: RectifyApp
) -> None:
    _, field, nodes, _ = LISTS["referralQueue"]
    query = _query(field, "ReferralOrder", nodes)
    first = (await busy.gql(query, first=2, after=None, order="SENT"))[field]
    app.send_referral(agency_id(MARKET), agency_id(HEALTH), "新移送", actor="联络员")
    await wait_until_projected(busy.client, app)
    rest = await _pages(busy, "referralQueue", "SENT", 200)
    second = (await busy.gql(query, first=200, after=first["pageInfo"]["endCursor"], order="SENT"))[
        field
    ]

    together = [e["node"] for e in first["edges"]] + [e["node"] for e in second["edges"]]
    assert together == rest


async def test_an_item_moving_ahead_of_the_cursor_does_not_repeat_a_row(
    busy: Api, app: RectifyApp
) -> None:
    """In UPDATED order a change puts its item first: an offset would shift every row
    one place and show the first page's last row again; the keyset does not."""
    _, field, nodes, _ = LISTS["referralQueue"]
    query = _query(field, "ReferralOrder", nodes)
    before = await _pages(busy, "referralQueue", "UPDATED", 200)
    first = (await busy.gql(query, first=2, after=None, order="UPDATED"))[field]
    app.send_referral(agency_id(MARKET), agency_id(HEALTH), "新移送", actor="联络员")
    await wait_until_projected(busy.client, app)
    end = first["pageInfo"]["endCursor"]
    second = (await busy.gql(query, first=200, after=end, order="UPDATED"))[field]

    together = [e["node"] for e in first["edges"]] + [e["node"] for e in second["edges"]]
    assert together == before


async def _error(api: Api, query: str, **variables: Any) -> str:
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {_coordinator()}"},
    )
    body = response.json()
    assert body.get("errors"), body
    return str(body["errors"][0]["message"])


def _coordinator() -> str:
    from tests.integration.api_fixtures import token

    return token("coordinator")


async def test_a_cursor_of_another_order_or_list_is_refused(busy: Api) -> None:
    issues = _query("issues", "IssueOrder", "id")
    page = (await busy.gql(issues, first=1, after=None, order="DUE"))["issues"]
    cursor = page["pageInfo"]["endCursor"]
    clues = _query("clues", "ClueOrder", "id")

    assert "invalid cursor" in await _error(busy, issues, first=1, after=cursor, order="LEDGER")
    assert "invalid cursor" in await _error(busy, clues, first=1, after=cursor, order="RECEIVED")
    assert "invalid cursor" in await _error(busy, issues, first=1, after="bm9wZQ==", order="DUE")
