"""The Temporal worker that runs the clocks of every clocked kind and their activities."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client, Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from domain.application import RectifyApp
from workflows.clock_activities import ClockActivities
from workflows.clock_workflow import ClockWorkflow
from workflows.delivery_activities import DeliveryActivities
from workflows.delivery_workflow import DeliveryWorkflow
from workflows.reporting_activities import ReportingActivities
from workflows.reporting_workflow import ReportDutyWorkflow

# Activities block on PostgreSQL; keep their threads within the psycopg pool
# (POSTGRES_POOL_SIZE 4 + POSTGRES_MAX_OVERFLOW 8) so none waits for a connection.
ACTIVITY_THREADS = 8
# Workflow task pollers, half of them on the shared (non-sticky) queue. The SDK's default
# is 5 with one non-sticky: every new clock, and every clock evicted from the worker's
# cache (1,000 by default) that a signal or its timer wakes, is fetched by that one poller.
# Opening 450 clocks on the loaded dev machine, it delivered 2 tasks a second while 250
# waited and the worker sat at 5% CPU; with these, 34 s instead of 75 s. At 1,300 clocks
# the worker again sat idle with hundreds waiting: there the dev server was the limit
# (bench/clocks.py, ADR 0062).
WORKFLOW_TASK_POLLS = 10
NONSTICKY_SHARE = 0.5


def build_worker(
    client: Client,
    app: RectifyApp,
    task_queue: str,
    activities: ClockActivities | None = None,
    delivery: DeliveryActivities | None = None,
    **worker_kwargs: Any,
) -> Worker:
    """`activities`: the clock activities to run (tests pass a subclass that misbehaves)."""
    clock = activities or ClockActivities(app)
    sender = delivery or DeliveryActivities(app)  # notifications: webhook and e-mail
    options: dict[str, Any] = {
        "activity_executor": ThreadPoolExecutor(
            max_workers=ACTIVITY_THREADS, thread_name_prefix="clock-activity"
        ),
        "max_concurrent_activities": ACTIVITY_THREADS,
        "workflow_task_poller_behavior": PollerBehaviorSimpleMaximum(WORKFLOW_TASK_POLLS),
        "nonsticky_to_sticky_poll_ratio": NONSTICKY_SHARE,
    }
    options.update(worker_kwargs)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ClockWorkflow, DeliveryWorkflow, ReportDutyWorkflow],
        activities=[
            clock.load_clock,
            clock.record_milestone,
            sender.deliver,
            sender.abandon_delivery,
            ReportingActivities(app).open_report_due,
        ],
        **options,
    )


async def run_worker(
    es_env: dict[str, str],
    temporal_address: str,
    namespace: str,
    task_queue: str,
    stop: asyncio.Event,
    make_app: Callable[[dict[str, str]], RectifyApp] = RectifyApp,
    metrics_address: str | None = None,
    traced: bool = False,
) -> None:
    """Run the clocks until `stop` is set, then let running activities finish.

    `make_app` builds the application (the composition root wires its calendar and its
    clock settings, RECTIFY_REMINDER_WORKING_DAYS among them)."""
    client = await Client.connect(
        temporal_address,
        namespace=namespace,
        runtime=metrics_runtime(metrics_address),
        interceptors=tracing_interceptors(traced),
    )
    app = make_app(es_env)
    try:
        worker = build_worker(client, app, task_queue)
        async with worker:
            await stop.wait()
    finally:
        app.close()


def metrics_runtime(address: str | None) -> Runtime | None:
    """The SDK's own metrics (workflow and activity task latencies, slots, polls…) on a
    Prometheus endpoint at host:port, from its core; None: the default runtime, none."""
    if address is None:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))


def tracing_interceptors(traced: bool) -> list[Interceptor]:
    """Temporal's own spans (starting, signalling, running workflows and activities), with
    the trace carried in their headers; none unless tracing is on (rectify/tracing.py)."""
    if not traced:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]
