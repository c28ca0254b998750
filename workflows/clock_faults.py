"""Clocks that cannot run: where an operator sees them.

A clock activity that fails in a way no retry can fix (a due the calendar cannot count, a
domain refusal) writes a row here before it fails for good, and the clock workflow then
waits for the item to change (an extension or a reopening may fix it). The row goes away
when that item's clock next runs fine. `clock_faults(pool)` reads the rows for the API
(`systemStatus`, `/metrics`).

The table is state of the clock engine, not a fact of the domain (those are events): it is
written by activities through the event store's own connection pool, outside the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

TABLE = "clock_faults"
MAX_ERROR = 2000  # characters of the error kept: enough to read, never a whole traceback

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClockFault:
    kind: str  # the clocked kind: issue, referral, case-transfer, clue …
    item_id: UUID
    error: str
    at: datetime  # when the fault was last seen


class ClockFaultTable:
    """Writes of the clock activities (sync: they run on the worker's thread pool)."""

    def __init__(self, app: Application[UUID]) -> None:
        recorder = app.recorder
        # An in-memory store (unit tests) has nowhere to write: faults are then only raised.
        self._recorder = recorder if isinstance(recorder, PostgresApplicationRecorder) else None
        self._ready = False

    def record(self, kind: str, item_id: str, error: str) -> None:
        self._run(
            "INSERT INTO {table} (kind, item_id, error, at) VALUES (%s, %s, %s, now()) "
            "ON CONFLICT (kind, item_id) DO UPDATE SET error = EXCLUDED.error, at = now()",
            (kind, UUID(item_id), error[:MAX_ERROR]),
        )

    def clear(self, kind: str, item_id: str) -> None:
        self._run("DELETE FROM {table} WHERE kind = %s AND item_id = %s", (kind, UUID(item_id)))

    def _run(self, statement: str, params: tuple[Any, ...]) -> None:
        if self._recorder is None:
            return
        datastore = self._recorder.datastore
        table = Identifier(datastore.schema, TABLE)
        with datastore.get_connection() as conn:
            with conn.transaction():
                if not self._ready:
                    # Two workers starting at once would race on the catalogue otherwise.
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(hashtext(%s))",
                        (f"rectify-ddl:{datastore.schema}:{TABLE}",),
                    )
                    conn.execute(
                        SQL(
                            "CREATE TABLE IF NOT EXISTS {table} (kind text NOT NULL, "
                            "item_id uuid NOT NULL, error text NOT NULL, "
                            "at timestamptz NOT NULL, PRIMARY KEY (kind, item_id))"
                        ).format(table=table)
                    )
                conn.execute(SQL(statement).format(table=table), params)
            # Only once committed: another activity thread, on a connection of its own, would
            # otherwise skip the DDL and not yet see the table.
            self._ready = True


async def clock_faults(pool: Any) -> list[ClockFault]:
    """Every clock that cannot run, latest first (asyncpg pool on the rectify schema)."""
    async with pool.acquire() as conn:
        # No clock has failed yet (or no worker has run) in this schema: no table.
        if await conn.fetchval("SELECT to_regclass($1)", TABLE) is None:
            return []
        rows = await conn.fetch(
            f"SELECT kind, item_id, error, at FROM {TABLE} ORDER BY at DESC, kind, item_id"
        )
    return [ClockFault(r["kind"], r["item_id"], r["error"], r["at"]) for r in rows]
