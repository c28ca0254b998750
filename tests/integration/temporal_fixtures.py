"""A Temporal time-skipping server, a clock worker and a dispatcher for one test.

One environment per test: once a workflow task fails, the time-skipping server stops
skipping for the whole environment, and per-test servers start in a fraction of a second.
Import `clocks_fixture` into a test module to use the `clocks` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.issues import RectificationIssue
from rectify.embedded import find_binary
from workflows.clock_inputs import clock_workflow_id
from workflows.clock_schedule import TIMEZONE
from workflows.dispatcher import Dispatcher
from workflows.worker import build_worker


@dataclass
class Clocks:
    env: WorkflowEnvironment
    app: RectifyApp
    dispatcher: Dispatcher
    database_url: str
    schema: str

    async def today(self) -> date:
        return (await self.env.get_current_time()).astimezone(TIMEZONE).date()

    async def sleep_until(self, instant: datetime) -> None:
        now = await self.env.get_current_time()
        assert instant > now, f"{instant} is not after {now}"
        await self.env.sleep(instant - now)

    def handle(self, issue_id: UUID) -> WorkflowHandle:
        return self.env.client.get_workflow_handle(clock_workflow_id(issue_id))

    def reset_dispatcher(self, position: int = 0) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("UPDATE {}.dispatcher_tracking SET position = %s").format(
                    sql.Identifier(self.schema)
                ),
                (position,),
            )


@pytest.fixture(name="clocks")
async def clocks_fixture(app: RectifyApp, database_url: str, schema: str) -> AsyncIterator[Clocks]:
    server = find_binary("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=server
    ) as env:
        task_queue = f"clocks-{uuid4().hex[:8]}"
        # A failing workflow task fails the workflow instead of stalling the virtual clock.
        worker = build_worker(
            env.client, app, task_queue, workflow_failure_exception_types=[Exception]
        )
        dispatcher = Dispatcher(app, database_url, schema, env.client, task_queue)
        async with worker:
            yield Clocks(env, app, dispatcher, database_url, schema)


def register_issue(app: RectifyApp, deadline: Deadline, number: str = "1") -> UUID:
    lead = app.register_agency("县卫健局", actor="test").id
    campaign = app.launch_campaign("医保基金专项整治", actor="test").id
    return app.register_issue(
        campaign, number, "违规收费", ["退还费用"], lead, [], deadline, actor="test"
    ).id


RECORDED = (
    RectificationIssue.ReminderRecorded,
    RectificationIssue.OverdueRecorded,
    RectificationIssue.EscalationRecorded,
)


def milestones(app: RectifyApp, issue_id: UUID) -> list[tuple[str, str]]:
    """The clock's reminder and overdue events in the issue's stream: (class name, key)."""
    recorded = (RectificationIssue.ReminderRecorded, RectificationIssue.OverdueRecorded)
    return [
        (type(event).__name__, event.key)
        for event in app.events.get(issue_id)
        if isinstance(event, recorded)
    ]


def rungs(app: RectifyApp, issue_id: UUID) -> list[tuple[str, str, datetime]]:
    """Every milestone event of the issue, in order: (class name, rung, ringing time)."""
    return [
        (type(event).__name__, event.rung, event.at)
        for event in app.events.get(issue_id)
        if isinstance(event, RECORDED)
    ]


def sign_off(app: RectifyApp, issue_id: UUID) -> None:
    app.submit_for_verification(issue_id, "已整改", actor="test")
    app.sign_off(issue_id, "同意销号", actor="test")
