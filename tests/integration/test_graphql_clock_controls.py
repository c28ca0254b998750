"""GraphQL pause and resume of an issue's clock: who may, what history shows, refusals."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from rectify.calendar_data import build_calendar
from tests.integration.api_fixtures import (
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    issue,
    projection_thread,
    wait_until_projected,
)
from tests.integration.test_graphql_mutations import changed, mutation, run

FIXTURES = (api, projection_thread)

PAUSE = mutation("pauseClock", "$id: ID!, $reason: String!", "issueId: $id, reason: $reason")
RESUME = mutation("resumeClock", "$id: ID!, $reason: String!", "issueId: $id, reason: $reason")


async def test_a_coordinator_pauses_and_resumes_a_clock_and_history_shows_both(api: Api) -> None:
    five = issue("5")

    paused = changed(await run(api, PAUSE, "coordinator", id=five, reason="等待第三方检测"))
    resumed = changed(await run(api, RESUME, "admin", id=five, reason="检测报告已出具"))

    assert paused["history"][-1]["summary"] == "暂停计时：等待第三方检测"
    assert [h["summary"] for h in resumed["history"]][-2:] == [
        "暂停计时：等待第三方检测",
        "恢复计时：检测报告已出具",
    ]


async def test_a_liaison_may_not_pause_a_clock(api: Api) -> None:
    result = await run(api, PAUSE, "liaison", HEALTH, id=issue("5"), reason="等待")

    assert result["__typename"] == "NotAllowed"
    assert "may not pause the clock" in result["message"]


async def test_resuming_a_running_clock_is_refused_naming_the_state(api: Api) -> None:
    result = await run(api, RESUME, "coordinator", id=issue("5"), reason="恢复")

    assert result["__typename"] == "InvalidTransition"
    assert result["currentState"] == "OPEN"


async def test_pausing_without_a_reason_is_refused_naming_the_field(api: Api) -> None:
    result = await run(api, PAUSE, "coordinator", id=issue("5"), reason=" ")

    assert result == {
        "__typename": "InvalidInput",
        "message": "reason: 须说明理由 / a reason is required",
        "field": "reason",
    }


CLOCK = """query($id: ID!) { issueClock(issueId: $id) {
    dueAt provisional pausedSince pauseReason policyVersion closed
    milestones { rung at } } }"""


async def test_the_clock_shows_its_schedule_and_its_pause(api: Api, app: RectifyApp) -> None:
    five = issue("5")  # due 2099-03-31: a year without official data
    app.schedule_clock("issue", UUID(five), build_calendar())
    changed(await run(api, PAUSE, "coordinator", id=five, reason="等待第三方检测"))
    await wait_until_projected(api.client, app)

    clock = (await api.gql(CLOCK, role="auditor", id=five))["issueClock"]

    due = datetime.fromisoformat(clock["dueAt"])
    assert due == datetime(2099, 4, 1, tzinfo=TIMEZONE)
    assert clock["provisional"] is True
    assert clock["policyVersion"] == 0
    assert clock["pauseReason"] == "等待第三方检测" and clock["pausedSince"] is not None
    assert [m["rung"] for m in clock["milestones"]][:3] == ["remind-3wd", "remind-1wd", "overdue"]
    assert clock["closed"] is False


async def test_an_issue_whose_clock_never_ran_has_no_clock(api: Api) -> None:
    assert (await api.gql(CLOCK, id=issue("5")))["issueClock"] is None


async def test_the_clock_shows_its_last_milestone_and_its_end(api: Api, app: RectifyApp) -> None:
    five = UUID(issue("5"))
    calendar = build_calendar()
    view, _ = app.schedule_clock("issue", five, calendar)
    overdue = next(m for m in view.milestones if m.rung == "overdue")
    assert app.record_clock_milestone("issue", five, overdue.key, calendar)
    app.submit_for_verification(five, "已整改", actor="test")
    app.sign_off(five, "同意销号", actor="test")
    await wait_until_projected(api.client, app)

    clock = (await api.gql(LAST, id=str(five)))["issueClock"]

    assert clock["lastMilestone"] == "overdue"
    assert datetime.fromisoformat(clock["lastMilestoneAt"]) == overdue.at
    assert clock["closed"] is True


LAST = "query($id: ID!) { issueClock(issueId: $id) { lastMilestone lastMilestoneAt closed } }"


async def test_another_agencys_staff_get_no_clock_of_an_issue_not_theirs(
    api: Api, app: RectifyApp
) -> None:
    five = issue("5")  # HEALTH leads, MARKET co-owns; INSURANCE has no part in it
    app.schedule_clock("issue", UUID(five), build_calendar())
    await wait_until_projected(api.client, app)

    theirs = (await api.gql(CLOCK, "liaison", MARKET, id=five))["issueClock"]
    other = (await api.gql(CLOCK, "liaison", INSURANCE, id=five))["issueClock"]

    assert theirs is not None and theirs["dueAt"]
    assert other is None
