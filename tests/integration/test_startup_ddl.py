"""Processes that start together create their shared tables one at a time: a second
`CREATE TABLE IF NOT EXISTS` of a table another transaction is creating fails (and the
server logs the error) instead of finding it there."""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg import sql

from projections import parked
from workflows.positions import Positions


def _someone_waits_on_a_lock(conn: psycopg.Connection[tuple[int]]) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return row is not None and row[0] > 0


def test_a_follower_starting_while_another_creates_the_tables_waits_and_does_not_fail(
    database_url: str, schema: str
) -> None:
    failures: list[BaseException] = []
    follower = Positions(database_url, schema, tracking=("dispatcher_tracking",))

    def start() -> None:
        try:
            follower.execute(sql.SQL("SELECT 1"))
        except BaseException as error:  # reported by the test thread
            failures.append(error)

    with (
        psycopg.connect(database_url, autocommit=True) as watcher,
        psycopg.connect(database_url) as other,
    ):
        # Another process, half-way through its start: the shared table created, not
        # committed yet, under the lock the projection runner takes for its DDL.
        key = f"rectify-ddl:{schema}"
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
        other.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        other.execute(parked.DDL.encode())
        thread = threading.Thread(target=start)
        thread.start()
        deadline = time.monotonic() + 30
        while not _someone_waits_on_a_lock(watcher) and thread.is_alive():
            assert time.monotonic() < deadline, "the follower neither waited nor finished"
            time.sleep(0.05)
        other.commit()
    thread.join(timeout=30)
    assert failures == []
