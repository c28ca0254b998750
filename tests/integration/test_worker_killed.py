"""A worker process killed (os._exit, as kill -9) right after an activity committed its
event and before Temporal heard of it: another worker retries the activity, which finds
the milestone recorded, and nothing is recorded twice. On the Temporal dev server, with
the first worker as a real separate process."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from uuid import uuid4

from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.deadlines import Deadline
from infrastructure.calendar_data import build_calendar
from rectify.embedded import find_binary
from tests.integration.temporal_fixtures import register_issue, rungs
from workflows.dispatcher import Dispatcher
from workflows.worker import build_worker

KILLED = 137
# The dying worker: the real clock activities, but the process ends the moment a record
# has committed, before the activity completes.
DYING_WORKER = """
import asyncio, os, sys
from temporalio import activity
from temporalio.client import Client
from rectify.composition import rectify_app
from rectify.settings import eventsourcing_env
from workflows.clock_activities import ClockActivities
from workflows.clock_inputs import MilestoneInput
from workflows.worker import build_worker

class KilledAfterCommitting(ClockActivities):
    @activity.defn(name="record_milestone")
    def record_milestone(self, input: MilestoneInput) -> bool:
        recorded = super().record_milestone(input)
        if recorded:
            os._exit(137)
        return recorded

async def main():
    url, schema, address, queue = sys.argv[1:5]
    app = rectify_app(eventsourcing_env(url, schema))
    client = await Client.connect(address)
    async with build_worker(client, app, queue, activities=KilledAfterCommitting(app)):
        await asyncio.Event().wait()

asyncio.run(main())
"""
WAIT_SECONDS = 120  # bounds on a hang; the retry waits out the 30 s activity timeout


async def test_a_worker_killed_between_effect_and_completion_records_nothing_twice(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as env:
        address = env.client.service_client.config.target_host
        queue = f"killed-{uuid4().hex[:8]}"
        today = (await env.get_current_time()).astimezone(TIMEZONE).date()
        # three working days late: overdue and 督办 (+1) are due, 挂牌督办 (+5) is not
        issue_id = register_issue(app, Deadline.on(build_calendar().add_working_days(today, -3)))
        dying = subprocess.Popen(
            [sys.executable, "-c", DYING_WORKER, database_url, schema, address, queue]
        )
        try:
            await Dispatcher(app, database_url, schema, env.client, queue).dispatch_pending()
            assert dying.wait(WAIT_SECONDS) == KILLED
        finally:
            if dying.poll() is None:
                dying.kill()
        first = rungs(app, issue_id)
        assert [r[1] for r in first] == ["overdue"]  # committed, then the process died

        async with build_worker(env.client, app, queue):
            deadline = time.monotonic() + WAIT_SECONDS
            while len(rungs(app, issue_id)) < 2 and time.monotonic() < deadline:
                await env.sleep(timedelta(seconds=1))
            recorded = rungs(app, issue_id)

    names = [r[1] for r in recorded]
    assert names.count("overdue") == 1
    assert names == ["overdue", "supervision"]  # the clock went on to the next rung, once
