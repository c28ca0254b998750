"""Answering while PostgreSQL is away: a fast 503, never a hang or a 500.

A background probe asks the read pool `SELECT 1` every second. A refused or lost
connection marks the database down at once; a probe that is only slow counts as an outage
after three in a row (a loaded machine or a pool whose connections are all busy answers
late without being away — at a load average of 20, one slow `SELECT 1` was answering 503
to a whole test module). A request that meets a connection failure gets 503 and makes the
probe ask at once. While it is down, GraphQL requests
are answered 503 with a bilingual message and `Retry-After` before anything runs, so
requests do not pile up on the command threads waiting for connections that cannot come;
the probe marks it up again as soon as PostgreSQL answers. A client that sent a mutation
and got 503 (or no answer) retries it with the same `Idempotency-Key`: if the command had
committed, the retry gets the original result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import asyncpg
import psycopg
from eventsourcing import persistence
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

PROBE_SECONDS = 1.0
SLOW_PROBES_FOR_OUTAGE = 3
RETRY_AFTER_SECONDS = 5
MESSAGE = (
    "数据库暂时不可用，请稍后重试（修改操作请用同一 Idempotency-Key 重试） / the database is "
    "unavailable; try again shortly (retry a mutation with the same Idempotency-Key)"
)

# What a lost or refused connection looks like from each driver.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    persistence.OperationalError,
    persistence.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a pooled connection broken mid-operation
    ConnectionError,
    OSError,
    TimeoutError,
)


class ServiceUnavailable(Exception):
    """Raised out of the GraphQL view when a request met a connection failure."""


def is_outage(errors: Iterable[Any]) -> bool:
    """Whether any GraphQL error was caused by a lost or refused database connection."""
    for error in errors:
        cause = getattr(error, "original_error", None)
        while cause is not None:
            if isinstance(cause, CONNECTION_ERRORS):
                return True
            cause = cause.__cause__ or cause.__context__
    return False


def unavailable() -> JSONResponse:
    return JSONResponse(
        {"error": "service_unavailable", "message": MESSAGE, "retry_after": RETRY_AFTER_SECONDS},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class DatabaseWatch:
    """Whether PostgreSQL answers, as seen by the probe and by requests."""

    def __init__(self, pool: Any, probe_seconds: float = PROBE_SECONDS) -> None:
        self.pool = pool
        self.probe_seconds = probe_seconds
        self.up = True
        self.slow_probes = 0
        self._task: asyncio.Task[None] | None = None

    async def down(self) -> None:
        """Mark it down; the pool's kept connections are dead too (a restarted server
        knows none of them), so they are all replaced on their next use."""
        if self.up:
            log.error("database unavailable: answering 503 until it is back")
            self.up = False
            await self.pool.expire_connections()

    async def suspect(self) -> None:
        """Something met a connection failure: probe now rather than wait for the next
        round, so a dead server is marked down at once and a busy one is not."""
        if self.up:
            await self.probe()

    async def probe(self) -> bool:
        try:
            await self.pool.fetchval("SELECT 1", timeout=self.probe_seconds)
        except TimeoutError:  # slow, not refused: an outage only when it lasts
            self.slow_probes += 1
            if self.slow_probes < SLOW_PROBES_FOR_OUTAGE:
                return self.up
            await self.down()
            return False
        except (*CONNECTION_ERRORS, asyncpg.PostgresError):
            await self.down()
            return False
        self.slow_probes = 0
        if not self.up:
            # connections the pool kept from before the outage are dead: open new ones
            await self.pool.expire_connections()
            log.warning("database available again")
        self.up = True
        return True

    async def _run(self) -> None:
        while True:
            await self.probe()
            await asyncio.sleep(self.probe_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class AnswerOutages:
    """In front of the GraphQL view: 503 at once while the database is known to be down,
    and 503 for a request that found it down while running."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch: DatabaseWatch | None = getattr(scope["app"].state, "database_watch", None)
        if scope["type"] != "http" or watch is None:
            await self.app(scope, receive, send)
            return
        if not watch.up:
            await unavailable()(scope, receive, send)
            return
        started = False

        async def watching_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except ServiceUnavailable:
            await watch.suspect()
            if started:
                raise
            await unavailable()(scope, receive, send)
