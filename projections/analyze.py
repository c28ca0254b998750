"""Fresh planner statistics after bulk writes (ADR 0053).

Autovacuum analyzes a table only after a share of it changed and at its next round, so
right after a ledger import or a rebuild the planner still plans for the old, often empty,
tables: measured on 20,000 issues, the dashboard answered 26 requests/s before ANALYZE
and 67 after. Whoever writes in bulk analyzes what it wrote, at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg import sql

BULK_EVENTS = 1000  # a pass that applied at least this many events was a bulk write


def analyze(conn: Any, tables: Iterable[str], schema: str | None = None) -> None:
    """ANALYZE each table (of `schema`, else of the search path), in the caller's
    transaction if any: ANALYZE, unlike VACUUM, may run inside one."""
    for table in tables:
        name = sql.Identifier(schema, table) if schema else sql.Identifier(table)
        conn.execute(sql.SQL("ANALYZE {}").format(name))
