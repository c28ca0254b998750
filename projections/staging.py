"""A rebuild writes fresh tables beside the live ones, then swaps them in (ADR 0052).

Replaying into the live tables after a DELETE left every old row as a dead tuple and
every index to be updated row by row over a bloated heap. Instead the rebuild creates the
model's tables afresh in a schema of its own, first on the search_path, so the models'
unqualified statements write there while anything else (the tracking row, other models'
tables, the event log) is still found in the live schema. At the end, in the same
transaction, each live table is dropped, its fresh copy moved into the live schema, and
analysed, so the planner knows the new rows at once. Readers see the old tables until the
commit; a failed rebuild leaves nothing behind (DDL is transactional).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from psycopg import Cursor, sql


def read_ddl() -> list[str]:
    """The read side's DDL files, in file-name order (each idempotent)."""
    package = files("projections")
    return [
        entry.read_text(encoding="utf-8")
        for entry in sorted(package.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".sql")
    ]


def staging_schema(schema: str) -> str:
    return f"{schema[:50]}_rebuild"


def stage(cur: Cursor[Any], schema: str, tables: list[str]) -> str:
    """Fresh, empty `tables` in the staging schema, which comes first on the search_path
    until the transaction ends; returns the staging schema's name."""
    staging = staging_schema(schema)
    cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(staging)))
    cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(staging)))
    _search_path(cur, staging, schema)
    for statements in read_ddl():
        cur.execute(statements.encode())
    found = cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (staging,))
    others = [name for (name,) in found.fetchall() if name not in tables]
    if others:  # then found in the live schema: the tracking row, other models' tables
        names = sql.SQL(", ").join(sql.Identifier(staging, name) for name in others)
        cur.execute(sql.SQL("DROP TABLE {}").format(names))
    return staging


_SECONDARY = (
    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
    " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = %s AND NOT i.indisunique AND NOT EXISTS"
    " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname"
)


def defer_indexes(cur: Cursor[Any], staging: str) -> list[str]:
    """Drop the staged tables' indexes that back no constraint, and return the statements
    that build them again (`build_indexes`, once the rows are in): one sort per index
    instead of an insertion per row and index (ADR 0059). The models only look rows up by
    their primary key, whose index, like every unique one, stays for the replay."""
    found = cur.execute(_SECONDARY, (staging,)).fetchall()
    if found:
        names = sql.SQL(", ").join(sql.Identifier(staging, name) for name, _ in found)
        cur.execute(sql.SQL("DROP INDEX {}").format(names))
    return [str(definition) for _, definition in found]


def build_indexes(cur: Cursor[Any], definitions: list[str]) -> None:
    # each index's sort in memory: a million rows' keys outgrow the default 64 MB
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for definition in definitions:
        cur.execute(definition.encode())


def swap(cur: Cursor[Any], schema: str, staging: str, tables: list[str]) -> None:
    """Put the staged tables in place of the live ones, then analyse them."""
    for table in tables:
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, table)))
        cur.execute(
            sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                sql.Identifier(staging, table), sql.Identifier(schema)
            )
        )
    cur.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(staging)))
    _search_path(cur, schema)
    for table in tables:
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, table)))


_PRIMARY_KEY = (
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE conrelid = to_regclass(%s) AND contype = 'p'"
)


def fill(cur: Cursor[Any], table: str, statement: str, params: Any = None) -> None:
    """Run `statement`, which fills the fresh, empty `table` of a rebuild, with the
    table's primary key dropped, then put the key back: one sort instead of an index
    insertion per row (ADR 0075; a duplicate key fails here, as the insertion would)."""
    key = cur.execute(_PRIMARY_KEY, (table,)).fetchone()
    name = sql.Identifier(table)
    if key is not None:
        cur.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(name, sql.Identifier(key[0]))
        )
    cur.execute(statement.encode(), params)
    if key is not None:
        cur.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                name, sql.Identifier(key[0]), sql.SQL(key[1])
            )
        )


def _search_path(cur: Cursor[Any], *schemas: str) -> None:
    cur.execute(
        sql.SQL("SET LOCAL search_path TO {}").format(
            sql.SQL(", ").join(map(sql.Identifier, schemas))
        )
    )
