"""Reconciling the clocks Temporal runs with the open dated items of the event log.

Temporal holds clocks, never facts, so its state can be lost without losing anything that
happened: a restore into a fresh home, a dev server's database deleted, a cluster rebuilt.
What is lost is the timers. The dispatcher knows every clocked item and whether its clock
is still open (its open-clocks table, kept from the log); at start and periodically it
lists the clock workflows Temporal runs and (re)starts the missing ones with the same
signal-with-start it uses for a change, so doing it twice is harmless: a started clock
re-reads its item and records nothing it has already recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from uuid import UUID

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from workflows.clock_inputs import clock_workflow_id

log = logging.getLogger(__name__)

RECONCILE_SECONDS = 300.0  # how often the dispatcher looks again once it has started
CONCURRENT_STARTS = 16
Target = tuple[str, UUID]  # (clocked kind, item id)


async def temporal_epoch(client: Client) -> str:
    """The id of the client's namespace: a server started on an empty database (a restore,
    a lost dev-server file, a rebuilt cluster) creates its namespace anew, with a new id."""
    response = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    return str(response.namespace_info.id)


async def running_clocks(client: Client, task_queue: str, workflow_type: str) -> set[str]:
    """Ids of the clock workflows Temporal runs on `task_queue` (its visibility store)."""
    query = (
        f"WorkflowType = '{workflow_type}' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{task_queue}'"
    )
    return {execution.id async for execution in client.list_workflows(query)}


async def reconcile_clocks(
    open_clocks: Iterable[Target],
    running: set[str],
    start: Callable[[Target], Awaitable[None]],
) -> list[Target]:
    """Start the clock of every open item whose workflow is not running; returns those."""
    missing = [t for t in open_clocks if clock_workflow_id(t[1], t[0]) not in running]
    limit = asyncio.Semaphore(CONCURRENT_STARTS)

    async def started(target: Target) -> None:
        async with limit:
            await start(target)

    await asyncio.gather(*(started(target) for target in missing))
    if missing:
        log.warning(
            "restarted %d clock(s) missing in Temporal (state lost or restored): %s",
            len(missing),
            ", ".join(f"{kind} {item}" for kind, item in missing[:10]),
        )
    return missing
