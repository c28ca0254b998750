"""The dispatcher follows the event log and starts or signals clocks, at least once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
from psycopg import sql
from temporalio.client import WorkflowExecutionStatus

from domain.deadlines import Deadline
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
    milestones,
    register_issue,
    sign_off,
)
from workflows.clock_schedule import overdue_at


async def test_dispatching_the_same_events_again_records_nothing_twice(clocks: Clocks) -> None:
    app = clocks.app
    due = await clocks.today() + timedelta(days=60)
    issue_id = register_issue(app, Deadline.on(due))
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(overdue_at(due) + timedelta(minutes=1))
    recorded = milestones(app, issue_id)
    assert [name for name, _ in recorded] == [
        "ReminderRecorded",
        "ReminderRecorded",
        "OverdueRecorded",
    ]

    # A crash before the position was saved: the whole log is dispatched again.
    clocks.reset_dispatcher()
    assert await clocks.dispatcher.dispatch_pending() == app.recorder.max_notification_id()
    await clocks.env.sleep(timedelta(days=30))
    assert milestones(app, issue_id) == recorded
    assert (await clocks.handle(issue_id).describe()).status == WorkflowExecutionStatus.RUNNING

    sign_off(app, issue_id)
    await clocks.dispatcher.dispatch_pending()
    assert await clocks.handle(issue_id).result() == "closed"
    # Again, now that the clock has finished: a new run finds the issue closed and ends.
    clocks.reset_dispatcher()
    await clocks.dispatcher.dispatch_pending()
    assert await clocks.handle(issue_id).result() == "closed"
    assert milestones(app, issue_id) == recorded


async def test_position_is_saved_so_a_second_pass_has_nothing_to_do(clocks: Clocks) -> None:
    item = register_issue(clocks.app, Deadline.on(await clocks.today() + timedelta(days=60)))
    head = clocks.app.recorder.max_notification_id()

    first = await clocks.dispatcher.dispatch_pending()
    assert first >= head
    # The clock records that it is scheduled (ClockScheduled) whenever its worker gets to
    # it, maybe after the pass: wait for it, and let a pass read it too.
    for _ in range(100):
        if any(type(e).__name__ == "ClockScheduled" for e in clocks.app.events.get(item)):
            break
        await asyncio.sleep(0.05)
    first += await clocks.dispatcher.dispatch_pending()

    assert first == clocks.app.recorder.max_notification_id()
    assert await clocks.dispatcher.dispatch_pending() == 0
    with psycopg.connect(clocks.database_url) as conn:
        row = conn.execute(
            sql.SQL("SELECT name, position FROM {}.dispatcher_tracking").format(
                sql.Identifier(clocks.schema)
            )
        ).fetchone()
    assert row == ("issue-clocks", first)


async def test_small_batches_dispatch_every_issue(clocks: Clocks) -> None:
    due = await clocks.today() + timedelta(days=60)
    issue_ids = [register_issue(clocks.app, Deadline.on(due), number=str(n)) for n in range(5)]
    clocks.dispatcher.batch_size = 2

    await clocks.dispatcher.dispatch_pending()

    for issue_id in issue_ids:
        status = (await clocks.handle(issue_id).describe()).status
        assert status == WorkflowExecutionStatus.RUNNING


async def test_a_stop_during_a_backlog_ends_after_the_current_batch(clocks: Clocks) -> None:
    import asyncio

    due = await clocks.today() + timedelta(days=60)
    issue_ids = [register_issue(clocks.app, Deadline.on(due), number=str(n)) for n in range(5)]
    logged = clocks.app.recorder.max_notification_id()
    clocks.dispatcher.batch_size = 2
    stop = asyncio.Event()
    stop.set()

    first = await clocks.dispatcher.dispatch_pending(stop)
    rest = await clocks.dispatcher.dispatch_pending()

    assert first == 2  # one batch, its position written
    # Started clocks may append their own events while the second call runs, so the
    # second call reads at least the backlog, possibly more.
    assert first + rest >= logged
    for issue_id in issue_ids:
        status = (await clocks.handle(issue_id).describe()).status
        assert status == WorkflowExecutionStatus.RUNNING
