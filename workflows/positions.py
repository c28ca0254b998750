"""Where a follower of the log has got to: named positions in tracking tables, on one
kept connection (a broken connection is replaced next time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from psycopg import sql

from projections import parked

TRACKING = "dispatcher_tracking"  # the table every follower's position lives in


class Positions:
    def __init__(
        self,
        database_url: str,
        schema: str,
        tracking: Sequence[str] = (TRACKING,),
        ddl: Sequence[sql.SQL | sql.Composed] = (),
    ) -> None:
        """`tracking`: the (name, position) tables used; `ddl`: the follower's other
        tables, created with them on each new connection (idempotent)."""
        self.database_url = database_url
        self.schema = schema
        self.tracking = tuple(tracking)
        self.ddl = tuple(ddl)
        self._conn: psycopg.Connection[Any] | None = None

    def table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    def execute(
        self, query: sql.SQL | sql.Composed, params: tuple[Any, ...] = ()
    ) -> psycopg.Cursor[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self.database_url, autocommit=True)
            self._conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            # Dispatcher, notifier and projection runner start together and share tables
            # (follower_parked): two CREATE TABLE IF NOT EXISTS at once make the server log
            # an error for the loser. The projection runner takes the same lock.
            with self._conn.transaction():
                self._conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rectify-ddl:{self.schema}",)
                )
                for name in self.tracking:
                    self._conn.execute(
                        sql.SQL(
                            "CREATE TABLE IF NOT EXISTS {} "
                            "(name text PRIMARY KEY, position bigint NOT NULL)"
                        ).format(self.table(name))
                    )
                for statement in self.ddl:
                    self._conn.execute(statement)
                self._conn.execute(parked.DDL.encode())
        return self._conn.execute(query, params)

    def park(self, follower: str, notification: Notification, error: BaseException) -> None:
        """Record an event `follower` skips because it cannot process it (projections/parked)."""
        self.execute(sql.SQL("SELECT 1"))  # connected, with the parked table in the schema
        assert self._conn is not None
        parked.park(self._conn, follower, notification, parked.SKIPPED, error)

    def read(self, name: str, table: str = TRACKING) -> int:
        query = sql.SQL("SELECT position FROM {} WHERE name = %s").format(self.table(table))
        row = self.execute(query, (name,)).fetchone()
        return int(row[0]) if row else 0

    def write(self, name: str, position: int, table: str = TRACKING) -> None:
        query = sql.SQL(
            "INSERT INTO {} (name, position) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position"
        ).format(self.table(table))
        self.execute(query, (name, position))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
