"""Processes and threads that start together and create the same tables: none of them may
fail on the other's DDL (a scale-out run's dispatcher died of `CREATE SCHEMA IF NOT EXISTS`
racing the seven other processes')."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from uuid import uuid4

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import RectifyApp
from rectify.runtime import ensure_schema
from workflows.clock_faults import TABLE, ClockFaultTable

THREADS = 8
ROUNDS = 8


def _all_at_once(body: Callable[[], None]) -> list[BaseException]:
    """Run `body` on THREADS threads released together; the errors they raised."""
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            body()
        except BaseException as error:  # collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_processes_starting_together_all_create_their_schema(database_url: str) -> None:
    for _ in range(ROUNDS):
        name = "race_" + uuid.uuid4().hex[:8]
        try:
            errors = _all_at_once(lambda: ensure_schema(database_url, name))  # noqa: B023
            assert errors == []
            with psycopg.connect(database_url) as conn:
                found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,))
                assert found.fetchone() == (1,)
        finally:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(name)))


def test_activity_threads_writing_the_first_clock_faults_at_once_all_succeed(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    for _ in range(ROUNDS):
        faults = ClockFaultTable(app)  # a fresh worker: it has not made the table yet
        errors = _all_at_once(lambda: faults.clear("issue", str(uuid4())))  # noqa: B023
        assert errors == []
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(SQL("DROP TABLE {}").format(Identifier(schema, TABLE)))
