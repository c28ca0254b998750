"""asyncpg queries of the case transfer read tables, used by the API.

Overdue: the running statutory clock's due instant has passed. `party` restricts a list to
the transfers one agency is party to (sender, any police it went to, the procuratorate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from projections.keyset import FAR_TIME, Key, Keyset, fetch_page
from projections.rows import Pool, Record


@dataclass(frozen=True)
class TransferFilter:
    party: UUID | None = None  # None: every transfer (coordinators)
    kind: str | None = None  # CRIMINAL or DISCIPLINE
    status: str | None = None
    overdue: bool | None = None
    breached: bool | None = None  # a statutory breach is on record


@dataclass(frozen=True)
class TransferPage:
    rows: list[Record]
    total: int
    has_next: bool


_COLUMNS = "t.*, (t.due_at IS NOT NULL AND t.due_at <= $1) AS overdue"


def _where(given: TransferFilter, params: list[Any]) -> str:
    """Conditions; `params` starts with now (as $1) and gets the filter's values."""
    conditions = ["$1::timestamptz IS NOT NULL"]  # every query names $1, even unfiltered
    if given.party is not None:
        params.append(given.party)
        n = len(params)
        conditions.append(
            f"(t.agency_id = ${n} OR ${n} = ANY(t.receiver_ids) OR t.procuratorate_id = ${n})"
        )
    for column, value in (("kind", given.kind), ("status", given.status)):
        if value is not None:
            params.append(value)
            conditions.append(f"t.{column} = ${len(params)}")
    if given.overdue is not None:
        conditions.append(("" if given.overdue else "NOT ") + "coalesce(t.due_at <= $1, false)")
    if given.breached is not None:
        conditions.append(("" if given.breached else "NOT ") + "(t.breaches <> '[]'::jsonb)")
    return " AND ".join(conditions)


# The orders of the transfer list; the last key of each is unique (a log position).
TRANSFER_ORDERS = {
    "REPORTED": Keyset((Key("t.reported_position", "bigint"),)),
    "DUE": Keyset(
        (
            Key(f"coalesce(t.due_at, {FAR_TIME})", "timestamptz"),
            Key("t.reported_position", "bigint"),
        )
    ),
    "UPDATED": Keyset((Key("t.last_position", "bigint"),), descending=True),
}


async def transfer_page(
    pool: Pool,
    given: TransferFilter,
    now: datetime,
    first: int,
    after: Sequence[Any] | None,
    order: str = "REPORTED",
) -> TransferPage:
    """`first` transfers in `order` (as reported; the running statutory clock's due
    soonest first, those without one last; most recently changed first) after `after`."""
    params: list[Any] = [now]
    where = _where(given, params)
    page = await fetch_page(
        pool, _COLUMNS, "FROM case_transfers t", where, params, TRANSFER_ORDERS[order], after, first
    )
    return TransferPage(page.rows, page.total, page.has_next)


async def transfer_by_id(pool: Pool, item: UUID, now: datetime) -> Record | None:
    return await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM case_transfers t WHERE t.id = $2", now, item
    )


async def transfer_history(pool: Pool, item: UUID) -> list[Record]:
    return await pool.fetch(
        "SELECT version, at, type, actor, summary FROM case_transfer_history"
        " WHERE transfer_id = $1 ORDER BY version",
        item,
    )
