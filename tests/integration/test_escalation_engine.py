"""The escalation engine on the time-skipping server: an item closed mid-ladder, a calendar
loaded mid-clock, and a worker that dies after an activity's effect. (The whole ladder
across Spring Festival with a pause and an extension: test_spring_festival_clock.py.)

Expected times are computed here from the calendar's primitives (add_working_days), not by
the engine's own ladder code, and every milestone is checked absent a minute before its
time and present a minute after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.calendar import YearArrangement
from domain.calendar.service import load_arrangement
from domain.clocks import TIMEZONE
from domain.deadlines import Deadline
from domain.issues import RectificationIssue
from infrastructure.calendar_data import build_calendar
from rectify.embedded import find_binary
from tests.integration.temporal_fixtures import (
    RECORDED,
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
    register_issue,
    rungs,
    sign_off,
)
from workflows.clock_activities import ClockActivities
from workflows.clock_inputs import MilestoneInput
from workflows.dispatcher import Dispatcher
from workflows.worker import build_worker

MINUTE = timedelta(minutes=1)
NINE = time(9, 0)
CAL = build_calendar()
ESCALATIONS = (("supervision", 1), ("listed-supervision", 5), ("admonition", 10),
               ("accountability", 20))  # fmt: skip


def nine(day: date) -> datetime:
    return datetime.combine(day, NINE, tzinfo=TIMEZONE)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=TIMEZONE)


def ladder(due_day: date) -> list[tuple[str, str, datetime]]:
    """The default ladder of a due day, by hand from the calendar's primitives."""
    return [
        ("ReminderRecorded", "remind-3wd", nine(CAL.add_working_days(due_day, -3))),
        ("ReminderRecorded", "remind-1wd", nine(CAL.add_working_days(due_day, -1))),
        ("OverdueRecorded", "overdue", end_of(due_day)),
        *(
            ("EscalationRecorded", name, nine(CAL.add_working_days(due_day, n)))
            for name, n in ESCALATIONS
        ),
    ]


def types(app: RectifyApp, issue_id: UUID) -> list[str]:
    return [type(e).__name__ for e in app.events.get(issue_id)]


async def ring_each(clocks: Clocks, issue_id: UUID, expected: list[Any]) -> None:
    """Every milestone: not there a minute before its time, there (once) a minute after."""
    for index, milestone in enumerate(expected):
        await clocks.sleep_until(milestone[2] - MINUTE)
        assert rungs(clocks.app, issue_id) == expected[:index]
        await clocks.sleep_until(milestone[2] + MINUTE)
        assert rungs(clocks.app, issue_id) == expected[: index + 1]


async def test_an_item_closed_before_its_next_rung_gets_nothing_more(clocks: Clocks) -> None:
    app = clocks.app
    due = CAL.add_working_days(await clocks.today(), 10)
    issue_id = register_issue(app, Deadline.on(due))
    await clocks.dispatcher.dispatch_pending()
    expected = ladder(due)
    await clocks.sleep_until(expected[3][2] + MINUTE)  # 督办 recorded
    assert len(rungs(app, issue_id)) == 4

    sign_off(app, issue_id)
    # The dispatcher has not run yet: the clock still sleeps towards 挂牌督办 and wakes up,
    # but the record finds the issue closed.
    await clocks.sleep_until(expected[4][2] + MINUTE)
    assert len(rungs(app, issue_id)) == 4
    await clocks.dispatcher.dispatch_pending()
    assert await clocks.handle(issue_id).result() == "closed"


async def test_a_calendar_loaded_mid_clock_moves_the_milestones_of_the_clocks_it_changes(
    clocks: Clocks,
) -> None:
    app = clocks.app
    today = await clocks.today()
    year = today.year + 1  # no official data in the package: the provisional rule
    due = CAL.next_working_day(date(year, 3, 10))
    affected = register_issue(app, Deadline.on(due), number="1")
    untouched = register_issue(app, Deadline.on(today - timedelta(days=60)), number="2")
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    assert app.get_issue(affected).scheduled_provisional

    # The official arrangement turns out to give the working day before due off.
    rule = CAL.arrangement(year)
    day_off = CAL.add_working_days(due, -1)
    official = YearArrangement(year, rule.holidays | {day_off}, frozenset())
    load_arrangement(app, year, sorted(official.holidays), [], "国办发明电（测试）", "admin")
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))

    recomputed = [
        e for e in app.events.get(affected) if isinstance(e, RectificationIssue.DueDateRecomputed)
    ]
    assert [(e.previous, e.due, e.provisional) for e in recomputed] == [
        (end_of(due), end_of(due), False)
    ]
    scheduled = next(
        e for e in app.events.get(affected) if isinstance(e, RectificationIssue.ClockScheduled)
    )
    assert f"remind-1wd@{nine(day_off).isoformat()}" in scheduled.rings
    assert f"remind-1wd@{nine(day_off).isoformat()}" not in recomputed[0].rings
    assert "DueDateRecomputed" not in types(app, untouched)
    new = build_calendar([official])
    remind_1 = nine(new.add_working_days(due, -1))
    assert remind_1 < nine(day_off)
    await clocks.sleep_until(end_of(due) + MINUTE)
    assert [at for _, rung, at in rungs(app, affected) if rung.startswith("remind")] == [
        nine(new.add_working_days(due, -3)),
        remind_1,
    ]


class DiesAfterCommitting(ClockActivities):
    """The first attempt of every record commits its event, then fails before completing
    (as when the worker is killed between the effect and the report)."""

    attempts: ClassVar[list[tuple[str, int]]] = []

    @activity.defn(name="record_milestone")
    def record_milestone(self, input: MilestoneInput) -> bool:
        recorded = super().record_milestone(input)
        attempt = activity.info().attempt
        self.attempts.append((input.key.split(":")[3], attempt))
        if attempt == 1:
            raise RuntimeError("worker died after committing")
        return recorded


@pytest.fixture
async def dying(app: RectifyApp, database_url: str, schema: str) -> AsyncIterator[Clocks]:
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server")
    ) as env:
        task_queue = f"clocks-{uuid4().hex[:8]}"
        DiesAfterCommitting.attempts = []
        worker = build_worker(
            env.client,
            app,
            task_queue,
            activities=DiesAfterCommitting(app),
            workflow_failure_exception_types=[Exception],
        )
        dispatcher = Dispatcher(app, database_url, schema, env.client, task_queue)
        async with worker:
            yield Clocks(env, app, dispatcher, database_url, schema)


async def test_a_retry_after_the_effect_was_committed_appends_nothing(dying: Clocks) -> None:
    app = dying.app
    due = CAL.add_working_days(await dying.today(), 10)
    issue_id = register_issue(app, Deadline.on(due))
    await dying.dispatcher.dispatch_pending()

    expected = ladder(due)
    await dying.sleep_until(expected[-1][2] + MINUTE)

    assert rungs(app, issue_id) == expected
    assert sum(isinstance(e, RECORDED) for e in app.events.get(issue_id)) == 7
    # Each record was tried twice: the first committed, the retry found the key.
    assert sorted(DiesAfterCommitting.attempts) == sorted(
        (rung, attempt) for _, rung, _ in expected for attempt in (1, 2)
    )


async def now(clocks: Clocks) -> datetime:
    return await clocks.env.get_current_time()


async def test_open_clocks_dispatched_before_the_table_existed_are_found_again(
    clocks: Clocks,
) -> None:
    app = clocks.app
    year = (await clocks.today()).year + 1
    due = CAL.next_working_day(date(year, 3, 10))
    issue_id = register_issue(app, Deadline.on(due))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    # As on a system whose dispatcher ran before it kept a table of open clocks.
    with psycopg.connect(clocks.database_url, autocommit=True) as conn:
        for table in ("dispatcher_clocks", "dispatcher_clocks_tracking"):
            conn.execute(
                sql.SQL("DELETE FROM {}.{}").format(*map(sql.Identifier, (clocks.schema, table)))
            )

    rule = CAL.arrangement(year)
    load_arrangement(app, year, sorted(rule.holidays), [], "国办发明电（测试）", "admin")
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))

    recomputed = [
        e for e in app.events.get(issue_id) if isinstance(e, RectificationIssue.DueDateRecomputed)
    ]
    assert [(e.due, e.provisional) for e in recomputed] == [(end_of(due), False)]
