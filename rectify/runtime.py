"""Resolving where the database and Temporal are, for every command and process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg.sql import SQL, Identifier

from rectify.embedded import start_embedded_postgres
from rectify.settings import Settings, eventsourcing_env


class NoDatabase(RuntimeError):
    """Shown by the CLI as one line, without a traceback (exit status 1)."""


@dataclass(frozen=True)
class Database:
    url: str
    schema: str

    @property
    def es_env(self) -> dict[str, str]:
        return eventsourcing_env(self.url, self.schema)


def ensure_schema(url: str, schema: str) -> None:
    """Every process creates its schema at start. Two `CREATE SCHEMA IF NOT EXISTS` at once
    fail the loser on pg_namespace's unique index (a dispatcher of a cluster starting
    together died of it), so they take the schema's DDL lock, as the read tables' do."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rectify-ddl:{schema}",))
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[Database]:
    """DATABASE_URL when set; else the embedded server under $RECTIFY_HOME (joined if it
    already runs for `make run`, started and stopped again around this command if not)."""
    if settings.database_url:
        ensure_schema(settings.database_url, settings.db_schema)
        yield Database(settings.database_url, settings.db_schema)
        return
    data = (settings.rectify_home / "pg").resolve()
    if not (data / "PG_VERSION").exists():
        # A command run from another folder would otherwise create a second, empty
        # database and report success against it.
        raise NoDatabase(
            f"{data.parent}（RECTIFY_HOME）下没有 Rectify 数据库：请先在那里运行 make run，或设置 "
            f"RECTIFY_HOME 或 DATABASE_URL / no Rectify database under {data.parent} "
            "(RECTIFY_HOME); start the system there with `make run` first, or set RECTIFY_HOME "
            "or DATABASE_URL"
        )
    url, server = start_embedded_postgres(data)
    try:
        ensure_schema(url, settings.db_schema)
        yield Database(url, settings.db_schema)
    finally:
        server.cleanup()  # type: ignore[attr-defined]
