"""How every long-running role (`rectify worker | dispatcher | notifier | projections`) is
started, written once: its log set up with its name, its settings checked (production
refuses unsafe ones, naming each), SIGTERM and SIGINT turned into a stop the role
finishes its work on, and the database opened around it."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog
import typer
from rich.console import Console

from rectify.runtime import Database, database
from rectify.settings import Settings

if TYPE_CHECKING:
    from temporalio.client import Client

err = Console(stderr=True)
Work = Callable[[Settings, Database, asyncio.Event], Awaitable[None]]


def checked_settings(*, serving: bool = True, audit_key: bool = False) -> Settings:
    """Settings for a process: production mode refuses unsafe ones, naming each. The API
    never holds the audit key; the checkpoint taker and `rectify audit` do."""
    settings = Settings()
    problems = settings.production_problems() if serving else []
    problems += settings.audit_key_problems() if audit_key else []
    for problem in problems:
        err.print(problem, markup=False)
    if problems:
        raise typer.Exit(2)
    return settings


def run_role(role: str, work: Work, *, audit_key: bool = False) -> None:
    """Run `work` until SIGTERM or SIGINT sets the stop it is given, then let it finish."""
    from rectify.logs import configure
    from rectify.role_metrics import serving_metrics
    from rectify.tracing import start_tracing

    configure(role)
    start_tracing(role)
    settings = checked_settings(serving=False, audit_key=audit_key)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        with (
            database(settings) as db,
            serving_metrics(db.url, db.schema, settings.http_host, settings.metrics_port),
        ):
            structlog.get_logger().info("started", role=role, metrics_port=settings.metrics_port)
            await work(settings, db, stop)
        structlog.get_logger().info("stopped", role=role)

    asyncio.run(main())


async def on_a_thread(stop: asyncio.Event, body: Callable[[threading.Event], None]) -> None:
    """A synchronous role's body on a thread of its own, told to stop when `stop` is."""
    halt = threading.Event()
    waiter = asyncio.create_task(stop.wait())
    waiter.add_done_callback(lambda _: halt.set())
    try:
        await asyncio.to_thread(body, halt)
    finally:
        waiter.cancel()


def run_follower(role: str, follow: Callable[..., Awaitable[None]]) -> None:
    """A role that follows the log and tells Temporal (the dispatcher, the notifier):
    `follow(es_env, url, schema, client, task_queue, stop, make_app)`."""
    from rectify.composition import rectify_app

    async def work(settings: Settings, db: Database, stop: asyncio.Event) -> None:
        client = await temporal_client(settings)
        await follow(db.es_env, db.url, db.schema, client, settings.task_queue, stop, rectify_app)

    run_role(role, work)


def temporal_address(settings: Settings) -> str:
    return settings.temporal_address or "127.0.0.1:7233"


async def temporal_client(settings: Settings) -> Client:
    from temporalio.client import Client

    from rectify.tracing import tracing_enabled
    from workflows.worker import tracing_interceptors

    return await Client.connect(
        temporal_address(settings),
        namespace=settings.temporal_namespace,
        interceptors=tracing_interceptors(tracing_enabled()),
    )
