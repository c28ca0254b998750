"""Periodic duties on a real Temporal dev server (the time-skipping server has no
schedules): a duty gets a schedule firing at 00:00 CST on the 1st; each firing opens the
period's report once, whose clock the dispatcher starts; ending the duty deletes it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import uuid4

import psycopg
import pytest
from temporalio.client import ScheduleHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.reporting import Cadence, CadenceKind, ReportDue, report_due_id
from rectify.embedded import find_binary
from workflows.clock_inputs import clock_workflow_id
from workflows.dispatcher import Dispatcher
from workflows.notifier import Notifier
from workflows.reporting_activities import ReportDutyInput, schedule_id
from workflows.reporting_workflow import ReportDutyWorkflow
from workflows.worker import build_worker


async def test_a_monthly_duty_opens_one_report_per_period_and_its_clock_runs(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    agencies = [app.register_agency(n, actor="t").id for n in ("县卫健局", "县医保局")]
    campaign = app.launch_campaign("医疗乱象专项整治", actor="t").id
    cadence = Cadence(CadenceKind.MONTHLY, 30)
    duty = app.set_reporting_duty(campaign, "督查整改月报", cadence, agencies, "协调办").id
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as env:
        task_queue = f"reports-{uuid4().hex[:8]}"
        notifier = Notifier(app, database_url, schema, env.client, task_queue)
        dispatcher = Dispatcher(app, database_url, schema, env.client, task_queue)
        async with build_worker(env.client, app, task_queue):
            await notifier.notify_pending()
            handle = env.client.get_schedule_handle(schedule_id(duty))
            described = await handle.describe()
            next_run = described.info.next_action_times[0].astimezone(TIMEZONE)
            assert (next_run.day, next_run.hour, next_run.minute) == (1, 0, 0)

            await handle.trigger()
            period, _ = cadence.period(await env.get_current_time())
            report = report_due_id(duty, period)
            await _wait_for(lambda: report in app.repository)
            await _wait_for_actions(handle, 1)
            # A second firing in the same period (a catch-up, a trigger by hand) finds it.
            again = await env.client.execute_workflow(
                ReportDutyWorkflow.run,
                ReportDutyInput(str(duty)),
                id=f"{schedule_id(duty)}-by-hand",
                task_queue=task_queue,
            )
            assert again == str(report)
            assert [type(e) for e in app.events.get(report)] == [ReportDue.Opened]

            await dispatcher.dispatch_pending()
            clock = env.client.get_workflow_handle(clock_workflow_id(report, "report"))
            assert (await clock.describe()).id == clock_workflow_id(report, "report")

            app.end_reporting_duty(duty, "协调办")
            await notifier.notify_pending()
            with pytest.raises(RPCError):
                await handle.describe()
        notifier.close()
        dispatcher.close()


async def _wait_for(check: Callable[[], bool]) -> None:
    for _ in range(100):  # real time: up to 10 s
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not reached in 10 s")


async def _wait_for_actions(handle: ScheduleHandle, count: int) -> None:
    for _ in range(100):
        info = (await handle.describe()).info
        if len(info.recent_actions) >= count and not info.running_actions:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("schedule actions did not finish in 10 s")


async def test_a_schedule_lost_by_temporal_is_created_again_and_an_ended_duty_stays_gone(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    agencies = [app.register_agency("县卫健局", actor="t").id]
    campaign = app.launch_campaign("医疗乱象专项整治", actor="t").id
    cadence = Cadence(CadenceKind.QUARTERLY)
    running = app.set_reporting_duty(campaign, "季度报告", cadence, agencies, "协调办").id
    ended = app.set_reporting_duty(campaign, "月报", cadence, agencies, "协调办").id
    app.end_reporting_duty(ended, "协调办")
    task_queue = f"reports-{uuid4().hex[:8]}"
    dev = find_binary("temporal")
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=dev) as first:
        notifier = Notifier(app, database_url, schema, first.client, task_queue)
        await notifier.notify_pending()
        notifier.close()
    # A fresh Temporal, as after a restore: the notifier has nothing new to read in the log.
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=dev) as second:
        notifier = Notifier(app, database_url, schema, second.client, task_queue)
        try:
            assert await notifier.notify_pending() == 0
            assert await notifier.reconcile() == [running]
            await second.client.get_schedule_handle(schedule_id(running)).describe()
            with pytest.raises(RPCError):
                await second.client.get_schedule_handle(schedule_id(ended)).describe()
            assert await notifier.reconcile() == []
        finally:
            notifier.close()


async def test_duties_followed_before_the_duties_table_existed_are_found_in_the_log(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    agencies = [app.register_agency("县卫健局", actor="t").id]
    campaign = app.launch_campaign("医疗乱象专项整治", actor="t").id
    duty = app.set_reporting_duty(
        campaign, "季度报告", Cadence(CadenceKind.QUARTERLY), agencies, "协调办"
    ).id
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as env:
        notifier = Notifier(app, database_url, schema, env.client, f"r-{uuid4().hex[:8]}")
        try:
            await notifier.notify_pending()
            with psycopg.connect(database_url, autocommit=True) as conn:  # as older code left it
                conn.execute(f'DELETE FROM "{schema}".notifier_duties')
                conn.execute(f'DELETE FROM "{schema}".notifier_duties_tracking')
            await env.client.get_schedule_handle(schedule_id(duty)).delete()

            assert await notifier.notify_pending() == 0
            assert await notifier.reconcile() == [duty]
        finally:
            notifier.close()
