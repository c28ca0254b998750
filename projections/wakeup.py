"""Waking a follower of the event log when a save commits, not on a timer (ADR 0053).

Every save NOTIFYs the event store's channel (`recorder.channel_name`) in its transaction,
so the notice arrives exactly when the events can be read. A follower LISTENs on its own
connection and waits for a notice, or for its fallback interval: NOTIFY is not durable
(a notice sent while the listening connection is down is lost), and a commit that
becomes readable only later is not announced again, so a follower still looks now and
then without one.

A listener never raises: when its connection breaks it waits out the interval without
one, reconnects on the next wait, and then answers "woken", as notices may have been
missed meanwhile. The caller's own reconnection (runner, dispatcher) is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

SLICE = 0.1  # the longest a sync wait goes without looking at `stop`


def _listen_statement(channel: str) -> sql.Composed:
    return sql.SQL("LISTEN {}").format(sql.Identifier(channel))


class Listener:
    """A LISTENing connection for a thread (the projection runner)."""

    def __init__(self, database_url: str, channel: str) -> None:
        self.database_url = database_url
        self.channel = channel
        self._conn: psycopg.Connection[Any] | None = None

    def listen(self) -> bool:
        """Connect and LISTEN if not yet; True if it did so now (notices may have been
        missed before). A caller listens before its first pass, so a save that commits
        during the pass wakes the wait after it."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return False
        self.close()
        try:
            conn = psycopg.connect(self.database_url, autocommit=True)
            conn.execute(_listen_statement(self.channel))
        except psycopg.Error:
            log.debug("log listener: cannot listen yet", exc_info=True)
            return False
        self._conn = conn
        return True

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Until a notice arrives (True), `seconds` pass or `stop` is set (False). Notices
        already queued are all taken: one pass serves every save before it."""
        if self.listen():
            return True
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._conn is None:  # not listening: the fallback interval alone
                stop.wait(min(left, SLICE))
                continue
            try:
                # Each generator runs to its end: it holds the connection's lock until then.
                if list(self._conn.notifies(timeout=min(left, SLICE), stop_after=1)):
                    list(self._conn.notifies(timeout=0))
                    return True
            except psycopg.Error:
                log.warning("log listener: connection lost; polling until it is back")
                self.close()
        return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


class AsyncListener:
    """A LISTENing connection for an asyncio follower (clock dispatcher, notifier)."""

    def __init__(self, database_url: str, channel: str) -> None:
        self.database_url = database_url
        self.channel = channel
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def listen(self) -> bool:
        """As `Listener.listen`."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return False
        await self.close()
        try:
            conn = await psycopg.AsyncConnection.connect(self.database_url, autocommit=True)
            await conn.execute(_listen_statement(self.channel))
        except psycopg.Error:
            log.debug("log listener: cannot listen yet", exc_info=True)
            return False
        self._conn = conn
        return True

    async def wait(self, seconds: float, stop: asyncio.Event) -> bool:
        """As `Listener.wait`; `stop` ends the wait at once."""
        if await self.listen():
            return True
        conn = self._conn
        stopped = asyncio.ensure_future(stop.wait())
        heard = asyncio.ensure_future(self._notice(conn) if conn else asyncio.sleep(seconds))
        try:
            done, _ = await asyncio.wait(
                {stopped, heard}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (stopped, heard):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(stopped, heard, return_exceptions=True)
        if heard in done and conn is not None:
            if heard.exception() is None:
                return True
            log.warning("log listener: connection lost; polling until it is back")
            await self.close()
        return False

    @staticmethod
    async def _notice(conn: psycopg.AsyncConnection[Any]) -> None:
        # Each generator runs to its end (no `break`): it holds the connection's lock until
        # then, and an abandoned async generator is closed only when collected.
        async for _ in conn.notifies(stop_after=1):
            pass
        async for _ in conn.notifies(timeout=0):
            pass

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
            self._conn = None
