"""The notifier loop with the clock's processes on a real Temporal dev server, in real
time: an issue past its deadline is recorded overdue, the overdue becomes a notice, and the
notice reaches the lead agency's webhook, once; the loops stop cleanly when asked."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from uuid import uuid4

from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.delivery import ChannelKind
from rectify.embedded import find_binary
from tests.integration.delivery_fixtures import Receiver, receiver
from tests.integration.temporal_fixtures import register_issue
from workflows.dispatcher import run_dispatcher
from workflows.notifier import run_notifier
from workflows.schedule import TIMEZONE
from workflows.worker import run_worker

FIXTURES = (receiver,)


async def test_an_overdue_issue_reaches_the_lead_agencys_webhook(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, receiver: Receiver
) -> None:
    lead = app.register_agency("县卫健局", actor="test").id
    app.add_endpoint(
        lead, ChannelKind.WEBHOOK, receiver.url, secret="s" * 32, kinds=["overdue"], actor="t"
    )
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as env:
        address = env.client.service_client.config.target_host
        task_queue = f"notify-{uuid4().hex[:8]}"
        stop = asyncio.Event()
        processes = asyncio.gather(
            run_worker(es_env, address, "default", task_queue, stop),
            run_dispatcher(es_env, database_url, schema, env.client, task_queue, stop),
            run_notifier(es_env, database_url, schema, env.client, task_queue, stop),
        )
        try:
            today = (await env.get_current_time()).astimezone(TIMEZONE).date()
            register_issue(app, Deadline.on(today - timedelta(days=1)))
            for _ in range(200):  # real time: up to 20 s
                if receiver.requests:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # room for a duplicate to show up, were there one
            kinds = [json.loads(r.body)["kind"] for r in receiver.requests]
            assert kinds == ["overdue"]
        finally:
            stop.set()
            await asyncio.wait_for(processes, timeout=15)
