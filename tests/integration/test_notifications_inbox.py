"""The in-app inbox through GraphQL: each agency sees its own notices, read marks per user,
keyset pages, the office's notices only for coordinators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.auth import issue_token
from domain.application import RectifyApp
from domain.clocks import Milestone, MilestoneKind, due_stamp, end_of_day
from domain.names import agency_id, campaign_id
from projections import rebuild_projections
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    SECRET,
    Api,
    api,
    issue,
    projection_thread,
    wait_until_projected,
)
from workflows.notifier import issue_notices_in

FIXTURES = (api, projection_thread)

INBOX = """query($unreadOnly: Boolean!, $first: Int!, $after: String) {
  notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
    unreadCount
    edges { cursor node { id kind title agencyId forOffice readAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""
MARK = """mutation($id: ID!) { markNotificationRead(id: $id) {
  __typename ... on NotificationMarkedRead { unreadCount } ... on NotFound { message } } }"""
MARK_ALL = "mutation { markAllNotificationsRead { marked unreadCount } }"


def remind(app: RectifyApp, number: str) -> None:
    item = app.get_issue(_id(number))
    assert app.record_reminder(item.id, item.clock_key("remind"), "system:clock").changed


def overdue(app: RectifyApp, number: str) -> None:
    item = app.get_issue(_id(number))
    assert app.record_overdue(item.id, item.clock_key("overdue"), "system:clock").changed


def escalate(app: RectifyApp, number: str, rung: str, addressee: str, label: str) -> None:
    item = app.get_issue(_id(number))
    due = end_of_day(item.deadline.due_date)  # type: ignore[arg-type]
    milestone = Milestone(
        f"{item.clock_prefix}:{rung}:{due_stamp(due)}",
        due + timedelta(days=3),
        MilestoneKind.ESCALATION,
        rung=rung,
        addressee=addressee,
        label=label,
        due=due,
    )
    assert item.record_milestone(milestone, "system:clock")
    app.save(item)


def _id(number: str) -> Any:
    from uuid import UUID

    return UUID(issue(number))


async def notify(api: Api, app: RectifyApp) -> None:
    """What the notifier's first step does, then wait for the inbox to catch up."""
    issue_notices_in(app, app.recorder.select_notifications(start=1, limit=10_000))
    await wait_until_projected(api.client, app)


async def inbox(
    api: Api,
    role: str,
    agency: str | None,
    subject: str | None = None,
    unread_only: bool = False,
    first: int = 20,
    after: str | None = None,
) -> dict[str, Any]:
    data = await gql(
        api, INBOX, role, agency, subject, unreadOnly=unread_only, first=first, after=after
    )
    return data["notifications"]  # type: ignore[no-any-return]


async def gql(
    api: Api,
    query: str,
    role: str,
    agency: str | None,
    subject: str | None = None,
    **variables: Any,
) -> dict[str, Any]:
    key = str(agency_id(agency)) if agency else None
    who = subject or f"{role}@{agency}"
    token = issue_token(SECRET, role, key, agency, who)
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]  # type: ignore[no-any-return]


def titles(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in page["edges"]]


async def test_an_agency_sees_only_its_own_notifications(api: Api, app: RectifyApp) -> None:
    remind(app, "1")  # 县卫健局 leads, 县医保局 co-owns; 县市场监管局 has nothing to do with it
    await notify(api, app)
    health = await inbox(api, "liaison", HEALTH)
    insurance = await inbox(api, "liaison", INSURANCE)
    market = await inbox(api, "liaison", MARKET)
    assert titles(health) == ["【到期提醒】问题1：问题1 / Reminder"]
    assert titles(insurance) == titles(health)
    assert health["edges"][0]["node"]["agencyId"] == str(agency_id(HEALTH))
    assert market["edges"] == [] and market["unreadCount"] == 0


async def test_notices_are_issued_once_however_often_the_log_is_read(
    api: Api, app: RectifyApp
) -> None:
    remind(app, "1")
    await notify(api, app)
    await notify(api, app)
    assert len((await inbox(api, "liaison", HEALTH))["edges"]) == 1


async def test_the_inbox_pages_newest_first_by_cursor(api: Api, app: RectifyApp) -> None:
    remind(app, "1")
    remind(app, "5")
    overdue(app, "1")
    await notify(api, app)
    first = await inbox(api, "liaison", HEALTH, first=2)
    assert titles(first) == [
        "【已逾期】问题1：问题1 / Overdue",
        "【到期提醒】问题5：问题5 / Reminder",
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    second = await inbox(api, "liaison", HEALTH, first=2, after=first["pageInfo"]["endCursor"])
    assert titles(second) == ["【到期提醒】问题1：问题1 / Reminder"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert first["unreadCount"] == second["unreadCount"] == 3


async def test_marking_read_is_per_user(api: Api, app: RectifyApp) -> None:
    remind(app, "1")
    remind(app, "5")
    await notify(api, app)
    page = await inbox(api, "liaison", HEALTH, subject="张三")
    newest = page["edges"][0]["node"]["id"]
    marked = await gql(api, MARK, "liaison", HEALTH, "张三", id=newest)
    assert marked["markNotificationRead"] == {
        "__typename": "NotificationMarkedRead",
        "unreadCount": 1,
    }
    unread = await inbox(api, "liaison", HEALTH, subject="张三", unread_only=True)
    assert [e["node"]["id"] for e in unread["edges"]] == [page["edges"][1]["node"]["id"]]
    colleague = await inbox(api, "liaison", HEALTH, subject="李四", unread_only=True)
    assert colleague["unreadCount"] == 2


async def test_marking_another_agencys_notification_is_not_found(api: Api, app: RectifyApp) -> None:
    remind(app, "1")
    await notify(api, app)
    notice = (await inbox(api, "liaison", HEALTH))["edges"][0]["node"]["id"]
    refused = await gql(api, MARK, "liaison", MARKET, id=notice)
    assert refused["markNotificationRead"]["__typename"] == "NotFound"
    assert (await inbox(api, "liaison", HEALTH))["edges"][0]["node"]["readAt"] is None


async def test_marking_all_read_empties_the_unread_inbox(api: Api, app: RectifyApp) -> None:
    remind(app, "1")
    remind(app, "5")
    await notify(api, app)
    done = await gql(api, MARK_ALL, "liaison", HEALTH)
    assert done["markAllNotificationsRead"] == {"marked": 2, "unreadCount": 0}
    assert (await inbox(api, "liaison", HEALTH, unread_only=True))["edges"] == []
    assert (await inbox(api, "liaison", INSURANCE))["unreadCount"] == 1


async def test_a_listed_supervision_reaches_the_office_not_the_agencies(
    api: Api, app: RectifyApp
) -> None:
    app.assign_campaign_lead(campaign_id(CAMPAIGN), agency_id(HEALTH), "协调办")
    escalate(app, "2", "listed-supervision", "领导小组办公室", "挂牌督办")  # 县医保局 leads
    await notify(api, app)
    assert (await inbox(api, "liaison", INSURANCE))["edges"] == []
    assert (await inbox(api, "liaison", HEALTH))["edges"] == []
    office = await inbox(api, "coordinator", HEALTH)
    assert titles(office) == ["【挂牌督办】问题2：问题2 / listed supervision"]
    assert office["edges"][0]["node"]["forOffice"] is True
    coordinator = await inbox(api, "coordinator", None)
    assert titles(coordinator) == titles(office)


async def test_a_supervision_notice_reaches_every_responsible_agency(
    api: Api, app: RectifyApp
) -> None:
    escalate(
        app, "2", "supervision", "责任单位", "督办"
    )  # 县医保局 leads, 卫健局 and 市场监管局 co
    await notify(api, app)
    for agency in (INSURANCE, HEALTH, MARKET):
        assert titles(await inbox(api, "liaison", agency)) == [
            "【督办】问题2：问题2 / supervision notice"
        ]
    assert (await inbox(api, "coordinator", None))["edges"] == []


async def test_a_returned_referral_reaches_the_office_inbox_at_once(
    api: Api, app: RectifyApp
) -> None:
    sent = app.send_referral(agency_id(MARKET), agency_id(HEALTH), "美容院开展医疗美容", actor="t")
    returned = await gql(
        api,
        "mutation($id: ID!) { returnReferral(referralId: $id, reason: NOT_OUR_REMIT)"
        " { __typename } }",
        "liaison",
        HEALTH,
        id=str(sent.id),
    )
    assert returned["returnReferral"]["__typename"] == "ReferralChanged"
    await notify(api, app)
    office = await inbox(api, "coordinator", None)  # no campaign: the office of no agency
    assert titles(office) == [
        "【移送被退回（不属于本单位职责），请重新指派】移送：美容院开展医疗美容"
        " / Referral returned: to be reassigned"
    ]
    assert office["edges"][0]["node"]["kind"] == "returned"
    assert office["edges"][0]["node"]["forOffice"] is True
    for agency in (HEALTH, MARKET):
        assert (await inbox(api, "liaison", agency))["edges"] == []


async def test_read_marks_survive_a_rebuild_of_the_read_tables(
    api: Api, app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    remind(app, "1")
    await notify(api, app)
    await gql(api, MARK_ALL, "liaison", HEALTH)
    rebuild_projections(es_env, database_url, schema)
    page = await inbox(api, "liaison", HEALTH)
    assert page["unreadCount"] == 0 and page["edges"][0]["node"]["readAt"] is not None


@pytest.mark.parametrize("first", [0, 101])
async def test_a_page_size_out_of_range_is_refused(api: Api, first: int) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": INBOX, "variables": {"unreadOnly": False, "first": first}},
        headers={"Authorization": f"Bearer {issue_token(SECRET, 'liaison', None, None, 'x')}"},
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["field"] == "first" and "between 1 and 100" in error["message"]
