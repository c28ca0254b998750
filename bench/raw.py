"""The raw PostgreSQL baselines several figures compare with: a table shaped like the event
log (same columns, same primary key, a state of the same size), written one row and one
commit at a time, and a LISTEN tailer of such commits."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg

from bench.setup import Schema

TABLE = "bench_raw_events"


def create_table(schema: Schema) -> str:
    name = f'"{schema.name}".{TABLE}'
    schema.execute(
        f"CREATE TABLE IF NOT EXISTS {name} (notification_id bigserial UNIQUE, "
        "originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text NOT NULL, "
        "state bytea NOT NULL, PRIMARY KEY (originator_id, originator_version))"
    )
    return name


def state_size(schema: Schema, topic_suffix: str) -> int:
    """The average stored state of the log's events of one kind (bytes)."""
    with psycopg.connect(schema.url) as conn:
        row = conn.execute(
            f'SELECT avg(octet_length(state))::int FROM "{schema.name}".rectify_events '
            "WHERE topic LIKE %s",
            ("%" + topic_suffix,),
        ).fetchone()
        return int(row[0]) if row and row[0] else 200


class Writer:
    """One connection writing one event-shaped row per transaction."""

    def __init__(self, schema: Schema, table: str, size: int) -> None:
        self.conn = psycopg.connect(schema.url)
        self.sql = (
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, 'rectify:RectificationIssue.ProgressReported', %s)"
        )
        self.stream, self.version, self.size = uuid.uuid4(), 0, size

    def commit_one(self, notify: str | None = None) -> None:
        self.version += 1
        self.conn.execute(self.sql, (self.stream, self.version, os.urandom(self.size)))
        if notify is not None:
            self.conn.execute("SELECT pg_notify(%s, %s)", (notify, str(self.version)))
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def copy_rows(schema: Schema, rows: Sequence[tuple[Any, ...]]) -> float:
    """Seconds to COPY `rows` (originator_id, version, topic, state) into a fresh table
    of the log's shape, in one transaction."""
    table = f'"{schema.name}".bench_copy_{uuid.uuid4().hex[:6]}'
    schema.execute(
        f"CREATE TABLE {table} (notification_id bigserial UNIQUE, originator_id uuid NOT NULL,"
        " originator_version bigint NOT NULL, topic text NOT NULL, state bytea NOT NULL,"
        " PRIMARY KEY (originator_id, originator_version))"
    )
    try:
        with psycopg.connect(schema.url) as conn:
            started = time.perf_counter()
            with conn.cursor() as cur:
                copy_sql = (
                    f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
                )
                with cur.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            conn.commit()
            return time.perf_counter() - started
    finally:
        schema.execute(f"DROP TABLE {table}")


def log_rows(schema: Schema) -> list[tuple[Any, ...]]:
    with psycopg.connect(schema.url) as conn:
        return conn.execute(
            "SELECT originator_id, originator_version, topic, state "
            f'FROM "{schema.name}".rectify_events ORDER BY notification_id'
        ).fetchall()


def insert_many(schema: Schema, table: str, count: int, size: int) -> float:
    """Seconds to INSERT `count` event-shaped rows (psycopg's pipelined executemany) in one
    transaction."""
    stream = uuid.uuid4()
    rows = [(stream, n + 1, os.urandom(size)) for n in range(count)]
    with psycopg.connect(schema.url) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, 'rectify:RectificationIssue.Registered', %s)",
                rows,
            )
        conn.commit()
        return time.perf_counter() - started
