"""What an issue's clock and deadline say after an extension or a reopening: the latest
milestone of the current schedule (null before its first), and the ledger's wording kept
beside the extended date in the read side, the history and the case file."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from domain.application import RectifyApp
from domain.deadlines import Deadline
from infrastructure.calendar_data import build_calendar
from tests.integration.api_fixtures import (
    HEALTH,
    Api,
    api,
    import_known_ledger,
    issue,
    projection_thread,
    wait_until_projected,
)
from tests.integration.test_audit_human import Run, run
from tests.integration.test_graphql_mutations import APPROVE, EXTEND, changed
from tests.integration.test_graphql_mutations import run as run_mutation

FIXTURES = (api, projection_thread, run)
CALENDAR = build_calendar()
LAST = "query($id: ID!) { issueClock(issueId: $id) { dueAt lastMilestone lastMilestoneAt } }"
ISSUE = """query($id: ID!) { issue(id: $id) { deadline { dueDate text }
    history { summary } } }"""


def _record(app: RectifyApp, item: UUID, rung: str) -> None:
    view, _ = app.schedule_clock("issue", item, CALENDAR)
    key = next(m.key for m in view.milestones if m.rung == rung)
    assert app.record_clock_milestone("issue", item, key, CALENDAR)


async def _clock(api: Api, app: RectifyApp, item: UUID) -> Any:
    await wait_until_projected(api.client, app)
    return (await api.gql(LAST, role="auditor", id=str(item)))["issueClock"]


async def test_after_an_extension_the_clock_shows_no_milestone_of_the_old_due(
    api: Api, app: RectifyApp
) -> None:
    one = UUID(issue("1"))  # due 2020-03-31: overdue
    _record(app, one, "overdue")
    assert (await _clock(api, app, one))["lastMilestone"] == "overdue"

    app.request_extension(one, Deadline.on(date(2099, 5, 31)), "需招标", actor="test")
    app.approve_extension(one, "同意", actor="test")
    before_rescheduling = await _clock(api, app, one)
    app.schedule_clock("issue", one, CALENDAR)  # the clock reads the extension
    rescheduled = await _clock(api, app, one)

    assert before_rescheduling["lastMilestone"] is None
    assert rescheduled["lastMilestone"] is None and rescheduled["lastMilestoneAt"] is None
    assert rescheduled["dueAt"].startswith("2099-05-31T16:00:00")


async def test_the_latest_milestone_of_the_new_due_is_shown_after_an_extension(
    api: Api, app: RectifyApp
) -> None:
    one = UUID(issue("1"))
    _record(app, one, "overdue")
    app.request_extension(one, Deadline.on(date(2099, 5, 31)), "需招标", actor="test")
    app.approve_extension(one, "同意", actor="test")

    _record(app, one, "remind-3wd")

    assert (await _clock(api, app, one))["lastMilestone"] == "remind-3wd"


async def test_after_a_reopening_the_clock_shows_null_then_the_new_cycles_milestone(
    api: Api, app: RectifyApp
) -> None:
    five = UUID(issue("5"))  # due 2099-03-31
    _record(app, five, "overdue")
    app.submit_for_verification(five, "已整改", actor="test")
    app.sign_off(five, "同意销号", actor="test")
    app.reopen(five, "问题反弹", Deadline.on(date(2099, 6, 30)), actor="test")
    reopened = await _clock(api, app, five)
    _record(app, five, "remind-1wd")
    reminded = await _clock(api, app, five)

    assert reopened["lastMilestone"] is None and reopened["lastMilestoneAt"] is None
    assert reminded["lastMilestone"] == "remind-1wd"


async def test_an_extended_deadline_keeps_the_ledgers_wording_beside_the_new_date(
    api: Api, app: RectifyApp
) -> None:
    five = issue("5")  # 2099年3月底
    changed(
        await run_mutation(
            api, EXTEND, "liaison", HEALTH, id=five, reason="需招标", due="2099-05-31"
        )
    )
    first = changed(await run_mutation(api, APPROVE, "leadership", id=five))
    changed(
        await run_mutation(
            api, EXTEND, "liaison", HEALTH, id=five, reason="再延", text="2099年6月底"
        )
    )
    second = changed(await run_mutation(api, APPROVE, "leadership", id=five))
    await wait_until_projected(api.client, app)
    read = (await api.gql(ISSUE, role="auditor", id=five))["issue"]

    assert first["deadline"] == {"kind": "DATE", "dueDate": "2099-05-31",
                                 "text": "2099年3月底（延期至2099-05-31）"}  # fmt: skip
    # a second extension replaces the note, the ledger's wording stays
    assert read["deadline"] == {"dueDate": "2099-06-30", "text": "2099年3月底（延期至2099-06-30）"}
    assert second["history"][-1]["summary"] == (
        "批准延期：2099-05-31 → 2099-06-30，完成时限：2099年3月底（延期至2099-06-30）"
    )


def test_a_case_file_shows_the_ledgers_wording_beside_the_extended_date(
    app: RectifyApp, run: Run
) -> None:
    import_known_ledger(app)
    five = UUID(issue("5"))  # 2099年3月底
    app.request_extension(five, Deadline.on(date(2099, 6, 30)), "需第三方检测", actor="test")
    app.approve_extension(five, "同意", actor="test")

    result = run("audit", "export", str(five))

    assert result.exit_code == 0, result.output
    case = json.loads(result.stdout)
    assert case["state"]["deadline"]["text"] == "2099年3月底（延期至2099-06-30）"
    assert case["trail"][-1]["payload"]["deadline"]["text"] == "2099年3月底（延期至2099-06-30）"
