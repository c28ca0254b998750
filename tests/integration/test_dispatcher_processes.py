"""The long-running processes (worker and dispatcher loops) on a real Temporal dev server,
in real time: an issue already past its deadline is recorded overdue within seconds, and
both loops stop cleanly when asked."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.deadlines import Deadline
from rectify.embedded import find_binary
from tests.integration.temporal_fixtures import milestones, register_issue
from workflows.dispatcher import run_dispatcher
from workflows.inputs import clock_workflow_id
from workflows.schedule import TIMEZONE
from workflows.worker import run_worker


async def test_worker_and_dispatcher_loops_record_an_overdue_issue_and_stop_cleanly(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as env:
        address = env.client.service_client.config.target_host
        task_queue = f"clocks-{uuid4().hex[:8]}"
        stop = asyncio.Event()
        processes = asyncio.gather(
            run_worker(es_env, address, "default", task_queue, stop),
            run_dispatcher(es_env, database_url, schema, env.client, task_queue, stop),
        )
        try:
            today = (await env.get_current_time()).astimezone(TIMEZONE).date()
            issue_id = register_issue(app, Deadline.on(today - timedelta(days=3)))
            for _ in range(100):  # real time: up to 10 s
                if milestones(app, issue_id):
                    break
                await asyncio.sleep(0.1)
            key = app.get_issue(issue_id).clock_key("overdue")
            assert milestones(app, issue_id) == [("OverdueRecorded", key)]
            handle = env.client.get_workflow_handle(clock_workflow_id(issue_id))
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        finally:
            stop.set()
            await asyncio.wait_for(processes, timeout=15)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_worker_serves_again_after_temporal_comes_back_without_its_state(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    dev, port = find_binary("temporal"), _free_port()
    first = await WorkflowEnvironment.start_local(dev_server_existing_path=dev, port=port)
    address = first.client.service_client.config.target_host
    task_queue = f"clocks-{uuid4().hex[:8]}"
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(es_env, address, "default", task_queue, stop))
    try:
        await asyncio.sleep(2)  # the worker polls the first server
        await first.shutdown()
        async with await WorkflowEnvironment.start_local(
            dev_server_existing_path=dev, port=port
        ) as second:
            today = (await second.get_current_time()).astimezone(TIMEZONE).date()
            issue_id = register_issue(app, Deadline.on(today - timedelta(days=3)))
            dispatching = asyncio.create_task(
                run_dispatcher(es_env, database_url, schema, second.client, task_queue, stop)
            )
            for _ in range(600):  # real time: up to 60 s
                if milestones(app, issue_id):
                    break
                await asyncio.sleep(0.1)
            assert [name for name, _ in milestones(app, issue_id)] == ["OverdueRecorded"]
            stop.set()
            await asyncio.wait_for(dispatching, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=30)
