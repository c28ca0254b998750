"""One active projection runner per schema; the others stand by (ADR 0057).

The active runner holds a session-level PostgreSQL advisory lock on a connection of its
own. A standby polls for the lock and takes over when the active process dies: its
connection ends, and PostgreSQL releases the lock with it, with no lease to expire.

The lock decides who works; it is not what keeps the read side right. The tracking row
is still read `FOR UPDATE` per batch (projections/runner.py), so in the moment between
an active runner losing its lock connection and noticing, two runners applying a batch
each still never apply the same events twice.

The holder names itself in `application_name` (host and process id), so whoever is
active can be read from `pg_locks` and `pg_stat_activity` (`active_runner`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

log = logging.getLogger(__name__)

# the advisory lock's two keys: this constant ("RECT") and hashtext of the schema
LOCK_CLASS = 0x52454354
STANDBY_POLL_SECONDS = 2.0  # how often a standby asks for the lock
CHECK_SECONDS = 1.0  # how often the active runner makes sure its lock connection lives

_TRY_LOCK = "SELECT pg_try_advisory_lock(%s, hashtext(%s))"
# objid is an oid: the int4 cast keeps negative hashes equal to what the lock recorded
HOLDER = """
SELECT {columns}
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.classid = {lock_class}::int4::oid AND l.objid = hashtext({schema})::oid
   AND l.objsubid = 2
"""
_HOLDER = HOLDER.format(
    columns="a.pid, a.application_name, a.backend_start", lock_class="%s", schema="%s"
)


@dataclass(frozen=True)
class ActiveRunner:
    backend_pid: int  # the PostgreSQL backend holding the lock (pg_terminate_backend)
    name: str  # "rectify-projections HOST:PID"
    since: Any  # when its lock connection was opened (datetime)


def runner_name() -> str:
    return f"rectify-projections {socket.gethostname()}:{os.getpid()}"


def active_runner(conn: psycopg.Connection[Any], schema: str) -> ActiveRunner | None:
    """Who holds the lock of `schema` now, or None when no runner is active."""
    row = conn.execute(_HOLDER, (LOCK_CLASS, schema)).fetchone()
    return None if row is None else ActiveRunner(int(row[0]), str(row[1]), row[2])


def _take_lock(
    database_url: str, schema: str, name: str, stop: threading.Event, poll_seconds: float
) -> psycopg.Connection[Any] | None:
    """Wait until this process holds the lock (its connection returned) or `stop` is set.
    A standby keeps its one connection between tries rather than opening one per try."""
    said_standby = False
    conn: psycopg.Connection[Any] | None = None
    while not stop.is_set():
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(database_url, autocommit=True, application_name=name)
            row = conn.execute(_TRY_LOCK, (LOCK_CLASS, schema)).fetchone()
            if row is not None and row[0]:
                log.info("projection runner %s is active for schema %s", name, schema)
                return conn
            if not said_standby:
                holder = active_runner(conn, schema)
                log.info(
                    "projection runner %s stands by: %s is active for schema %s",
                    name, holder.name if holder else "another runner", schema,
                )  # fmt: skip
                said_standby = True
        except psycopg.OperationalError:
            log.warning("projection runner: database unavailable, retrying", exc_info=True)
            if conn is not None:
                conn.close()
            conn = None
        stop.wait(poll_seconds)
    if conn is not None:
        conn.close()
    return None


def _watch(lock: psycopg.Connection[Any], stop: threading.Event, halt: threading.Event) -> None:
    """Set `halt` when `stop` is set or the lock connection is gone (the lock with it)."""
    while not halt.is_set() and not stop.wait(CHECK_SECONDS):
        try:
            lock.execute("SELECT 1")
        except psycopg.Error:
            log.error("projection runner: lost the lock connection; standing by again")
            break
    halt.set()


def run_when_active(
    database_url: str,
    schema: str,
    stop: threading.Event,
    work: Callable[[threading.Event], None],
    poll_seconds: float = STANDBY_POLL_SECONDS,
) -> None:
    """Stand by until this process holds the lock, then run `work(halt)` until `stop` is
    set or the lock is lost (then stand by again). `work` returns when `halt` is set."""
    name = runner_name()
    while not stop.is_set():
        lock = _take_lock(database_url, schema, name, stop, poll_seconds)
        if lock is None:
            return
        halt = threading.Event()
        watcher = threading.Thread(
            target=_watch, args=(lock, stop, halt), name="projection-lock", daemon=True
        )
        watcher.start()
        try:
            work(halt)
        finally:
            halt.set()
            watcher.join()
            lock.close()  # releases the lock at once for a standby
