"""Issue clocks end to end: PostgreSQL events → dispatcher → Temporal (virtual time) →
activities → events in the issue's own stream."""

from __future__ import annotations

from datetime import timedelta

from temporalio.worker import Replayer

from domain.deadlines import Deadline
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
    milestones,
    register_issue,
    sign_off,
)
from workflows.clock_schedule import overdue_at, remind_at
from workflows.clock_workflow import ClockWorkflow

MINUTE = timedelta(minutes=1)


async def test_open_issue_is_reminded_then_overdue_and_its_clock_ends_at_sign_off(
    clocks: Clocks,
) -> None:
    app = clocks.app
    due = await clocks.today() + timedelta(days=60)
    issue_id = register_issue(app, Deadline.on(due))
    assert await clocks.dispatcher.dispatch_pending() > 0

    await clocks.sleep_until(remind_at(due) - MINUTE)
    assert milestones(app, issue_id) == []
    await clocks.sleep_until(remind_at(due, 1) - MINUTE)
    issue = app.get_issue(issue_id)
    assert milestones(app, issue_id) == [("ReminderRecorded", issue.clock_key("remind-3wd"))]
    await clocks.sleep_until(overdue_at(due) - MINUTE)
    assert milestones(app, issue_id) == [
        ("ReminderRecorded", issue.clock_key("remind-3wd")),
        ("ReminderRecorded", issue.clock_key("remind-1wd")),
    ]
    await clocks.sleep_until(overdue_at(due) + MINUTE)
    assert milestones(app, issue_id) == [
        ("ReminderRecorded", issue.clock_key("remind-3wd")),
        ("ReminderRecorded", issue.clock_key("remind-1wd")),
        ("OverdueRecorded", issue.clock_key("overdue")),
    ]
    assert f":{due.isoformat()}" in issue.clock_key("overdue")

    sign_off(app, issue_id)
    await clocks.dispatcher.dispatch_pending()
    handle = clocks.handle(issue_id)
    assert await handle.result() == "closed"
    assert len(milestones(app, issue_id)) == 3
    # The recorded history replays against the current code: the workflow is deterministic.
    await Replayer(workflows=[ClockWorkflow]).replay_workflow(await handle.fetch_history())


async def test_issue_signed_off_before_its_reminder_gets_no_clock_events(clocks: Clocks) -> None:
    app = clocks.app
    due = await clocks.today() + timedelta(days=60)
    issue_id = register_issue(app, Deadline.on(due))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(days=10))

    sign_off(app, issue_id)
    await clocks.dispatcher.dispatch_pending()
    assert await clocks.handle(issue_id).result() == "closed"
    await clocks.env.sleep(timedelta(days=61))
    assert milestones(app, issue_id) == []


async def test_approved_extension_moves_the_clock_to_the_new_date(clocks: Clocks) -> None:
    app = clocks.app
    first = await clocks.today() + timedelta(days=60)
    issue_id = register_issue(app, Deadline.on(first))
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(overdue_at(first) + MINUTE)
    first_keys = app.get_issue(issue_id).clock_key
    old = [
        ("ReminderRecorded", first_keys("remind-3wd")),
        ("ReminderRecorded", first_keys("remind-1wd")),
        ("OverdueRecorded", first_keys("overdue")),
    ]
    assert milestones(app, issue_id) == old

    # The clock has nothing left to do for the old date; the extension gives it new keys.
    second = first + timedelta(days=30)
    app.request_extension(issue_id, Deadline.on(second), "需要招标", actor="test")
    app.approve_extension(issue_id, "同意", actor="test")
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(remind_at(second) - MINUTE)
    assert milestones(app, issue_id) == old
    await clocks.sleep_until(overdue_at(second) + MINUTE)

    issue = app.get_issue(issue_id)
    assert milestones(app, issue_id) == [
        *old,
        ("ReminderRecorded", issue.clock_key("remind-3wd")),
        ("ReminderRecorded", issue.clock_key("remind-1wd")),
        ("OverdueRecorded", issue.clock_key("overdue")),
    ]
    assert f":{second.isoformat()}" in issue.clock_key("remind-3wd")


async def test_extension_approved_before_the_reminder_replaces_the_old_milestones(
    clocks: Clocks,
) -> None:
    app = clocks.app
    first = await clocks.today() + timedelta(days=60)
    issue_id = register_issue(app, Deadline.on(first))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(days=10))

    second = first + timedelta(days=30)
    app.request_extension(issue_id, Deadline.on(second), "需要招标", actor="test")
    app.approve_extension(issue_id, "同意", actor="test")
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(overdue_at(first) + MINUTE)
    assert milestones(app, issue_id) == []
    await clocks.sleep_until(overdue_at(second) + MINUTE)

    issue = app.get_issue(issue_id)
    assert milestones(app, issue_id) == [
        ("ReminderRecorded", issue.clock_key("remind-3wd")),
        ("ReminderRecorded", issue.clock_key("remind-1wd")),
        ("OverdueRecorded", issue.clock_key("overdue")),
    ]


async def test_reopened_issue_gets_a_fresh_clock_for_its_new_cycle(clocks: Clocks) -> None:
    app = clocks.app
    first = await clocks.today() + timedelta(days=60)
    issue_id = register_issue(app, Deadline.on(first))
    await clocks.dispatcher.dispatch_pending()
    sign_off(app, issue_id)
    await clocks.dispatcher.dispatch_pending()
    assert await clocks.handle(issue_id).result() == "closed"

    # Signal-with-start on the finished clock starts a new run for the new cycle.
    second = first + timedelta(days=30)
    app.reopen(issue_id, "回头看发现问题反弹", Deadline.on(second), actor="test")
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(overdue_at(second) + MINUTE)

    issue = app.get_issue(issue_id)
    assert issue.cycle == 2
    assert milestones(app, issue_id) == [
        ("ReminderRecorded", issue.clock_key("remind-3wd")),
        ("ReminderRecorded", issue.clock_key("remind-1wd")),
        ("OverdueRecorded", issue.clock_key("overdue")),
    ]


async def test_issue_already_past_its_deadline_is_recorded_overdue_without_a_reminder(
    clocks: Clocks,
) -> None:
    app = clocks.app
    due = await clocks.today() - timedelta(days=5)
    issue_id = register_issue(app, Deadline.on(due))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))

    issue = app.get_issue(issue_id)
    assert milestones(app, issue_id) == [("OverdueRecorded", issue.clock_key("overdue"))]
