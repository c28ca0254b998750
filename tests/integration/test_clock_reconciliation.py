"""Clocks lost by Temporal (a restore into a fresh home, its state deleted) are started
again by the dispatcher from the open items of the log, on a real dev server."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from uuid import uuid4

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.application import RectifyApp
from domain.deadlines import Deadline
from rectify.embedded import find_binary
from tests.integration.temporal_fixtures import register_issue, sign_off
from workflows.clock_inputs import clock_workflow_id
from workflows.clock_schedule import TIMEZONE
from workflows.dispatcher import Dispatcher, run_dispatcher
from workflows.reconcile import running_clocks
from workflows.worker import build_worker


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _running(client: Client, task_queue: str, count: int, seconds: float = 10) -> set[str]:
    """The running clocks once Temporal's visibility lists exactly `count` (or after
    `seconds`)."""
    found: set[str] = set()
    for _ in range(int(seconds * 10)):
        found = await running_clocks(client, task_queue, "ClockWorkflow")
        if len(found) == count:
            return found
        await asyncio.sleep(0.1)
    return found


async def test_a_fresh_temporal_gets_a_clock_for_every_open_item_and_none_for_closed_ones(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    task_queue = f"clocks-{uuid4().hex[:8]}"
    dev = find_binary("temporal")
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=dev) as first:
        today = (await first.get_current_time()).astimezone(TIMEZONE).date()
        open_one = register_issue(app, Deadline.on(today + timedelta(days=60)), "1")
        closed = register_issue(app, Deadline.on(today + timedelta(days=60)), "2")
        sign_off(app, closed)
        dispatcher = Dispatcher(app, database_url, schema, first.client, task_queue)
        try:
            await dispatcher.dispatch_pending()
        finally:
            dispatcher.close()
    # The first server is gone with all its state, as after a restore into a fresh home.
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=dev) as second:
        dispatcher = Dispatcher(app, database_url, schema, second.client, task_queue)
        worker = build_worker(second.client, app, task_queue)
        try:
            async with worker:
                assert await dispatcher.dispatch_pending() == 0  # nothing new in the log
                assert await dispatcher.reconcile() == [("issue", open_one)]
                handle = second.client.get_workflow_handle(clock_workflow_id(open_one))
                assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
                assert await _running(second.client, task_queue, 1) == {clock_workflow_id(open_one)}
                # Once Temporal runs it, looking again starts nothing.
                assert await dispatcher.reconcile() == []
        finally:
            dispatcher.close()


async def test_a_clock_terminated_in_temporal_is_started_again_and_reads_its_item(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    task_queue = f"clocks-{uuid4().hex[:8]}"
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as env:
        today = (await env.get_current_time()).astimezone(TIMEZONE).date()
        item = register_issue(app, Deadline.on(today + timedelta(days=60)))
        dispatcher = Dispatcher(app, database_url, schema, env.client, task_queue)
        worker: Worker = build_worker(env.client, app, task_queue)
        try:
            async with worker:
                await dispatcher.dispatch_pending()
                await dispatcher.reconcile()
                handle = env.client.get_workflow_handle(clock_workflow_id(item))
                await handle.terminate("operator error")
                assert await _running(env.client, task_queue, 0) == set()

                assert await dispatcher.reconcile() == [("issue", item)]

                restarted = env.client.get_workflow_handle(clock_workflow_id(item))
                assert (await restarted.describe()).status == WorkflowExecutionStatus.RUNNING
        finally:
            dispatcher.close()


async def test_the_running_dispatcher_restarts_clocks_soon_after_temporal_comes_back_empty(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    """Not only at its own start or every five minutes: a Temporal server that came back
    without its state (a new namespace id) is reconciled within seconds."""
    task_queue = f"clocks-{uuid4().hex[:8]}"
    dev, port = find_binary("temporal"), _free_port()
    first = await WorkflowEnvironment.start_local(dev_server_existing_path=dev, port=port)
    today = (await first.get_current_time()).astimezone(TIMEZONE).date()
    item = register_issue(app, Deadline.on(today + timedelta(days=60)))
    client = first.client
    stop = asyncio.Event()
    dispatcher = asyncio.create_task(
        run_dispatcher(es_env, database_url, schema, client, task_queue, stop,
                       reconcile_seconds=3600)
    )  # fmt: skip
    try:
        assert await _running(client, task_queue, 1) == {clock_workflow_id(item)}
        await first.shutdown()
        async with await WorkflowEnvironment.start_local(
            dev_server_existing_path=dev, port=port
        ) as second:
            assert await _running(second.client, task_queue, 1, seconds=60) == {
                clock_workflow_id(item)
            }
    finally:
        stop.set()
        await asyncio.wait_for(dispatcher, timeout=30)
