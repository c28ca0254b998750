"""Clocks survive a Temporal server restart: the dev server (SQLite file) is stopped and
started again on the same file, and the clocks carry on where they were, with nothing
recorded twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.deadlines import Deadline
from rectify.embedded import find_binary
from tests.integration.temporal_fixtures import register_issue, rungs, sign_off
from workflows.clock_inputs import clock_workflow_id
from workflows.clock_schedule import TIMEZONE
from workflows.dispatcher import Dispatcher
from workflows.worker import build_worker

RUNGS_AFTER_DUE = 5  # overdue and four escalations; reminders past due are skipped


async def start(db: Path) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"),
        dev_server_extra_args=["--db-filename", str(db)],
    )


async def completed_reads(handle: WorkflowHandle[Any, Any]) -> int:
    """How many times the clock has read its item (completed load_clock activities)."""
    history = await handle.fetch_history()
    scheduled = {
        e.event_id
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        and e.activity_task_scheduled_event_attributes.activity_type.name == "load_clock"
    }
    return sum(
        1
        for e in history.events
        if e.HasField("activity_task_completed_event_attributes")
        and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
    )


async def test_a_clock_survives_a_temporal_server_restart(
    app: RectifyApp, database_url: str, schema: str, tmp_path: Path
) -> None:
    db = tmp_path / "temporal.db"
    task_queue = f"clocks-{uuid4().hex[:8]}"

    async with await start(db) as env, build_worker(env.client, app, task_queue):
        today = (await env.get_current_time()).astimezone(TIMEZONE).date()
        late = register_issue(app, Deadline.on(today - timedelta(days=60)), number="1")
        waiting = register_issue(app, Deadline.on(today + timedelta(days=60)), number="2")
        await Dispatcher(app, database_url, schema, env.client, task_queue).dispatch_pending()
        for _ in range(100):  # real time: up to 10 s
            if len(rungs(app, late)) == RUNGS_AFTER_DUE:
                break
            await asyncio.sleep(0.1)
        before = rungs(app, late)
        assert len(before) == RUNGS_AFTER_DUE

    async with await start(db) as env, build_worker(env.client, app, task_queue):
        handle = env.client.get_workflow_handle(clock_workflow_id(waiting))
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        sign_off(app, waiting)
        await Dispatcher(app, database_url, schema, env.client, task_queue).dispatch_pending()
        assert await asyncio.wait_for(handle.result(), timeout=20) == "closed"
        late_clock = env.client.get_workflow_handle(clock_workflow_id(late))
        assert (await late_clock.describe()).status == WorkflowExecutionStatus.RUNNING
        # Every event again (a dispatcher crash): the late clock, replayed on the new
        # server, reads its issue once more and finds every rung recorded.
        reads = await completed_reads(late_clock)
        dispatcher = Dispatcher(app, database_url, schema, env.client, task_queue)
        dispatcher.name = "replay-everything"
        await dispatcher.dispatch_pending()
        for _ in range(100):
            if await completed_reads(late_clock) > reads:
                break
            await asyncio.sleep(0.1)
        assert await completed_reads(late_clock) > reads
        assert rungs(app, late) == before
        assert rungs(app, waiting) == []
