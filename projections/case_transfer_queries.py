"""asyncpg queries of the case transfer read tables, used by the API.

Overdue: the running statutory clock's due instant has passed. `party` restricts a list to
the transfers one agency is party to (sender, any police it went to, the procuratorate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, cast
from uuid import UUID

from projections.keyset import FAR_TIME, Key, Keyset, Total, fetch_page
from projections.rows import HistoryRow, Pool, Record


@dataclass(frozen=True)
class TransferFilter:
    party: UUID | None = None  # None: every transfer (coordinators)
    kind: str | None = None  # CRIMINAL or DISCIPLINE
    status: str | None = None
    overdue: bool | None = None
    breached: bool | None = None  # a statutory breach is on record


class TransferRow(TypedDict):
    """A case transfer as the API reads it: the read table's columns (case_transfers.sql)
    and whether its running statutory clock is overdue at the time asked. A page's rows
    also carry their keyset columns."""

    id: UUID
    kind: str
    campaign_id: UUID | None
    agency_id: UUID
    agency_name: str
    receiver_id: UUID
    receiver_name: str
    receiver_ids: list[UUID]
    procuratorate_id: UUID | None
    procuratorate_name: str
    status: str
    case_number: str
    suspect: str
    suspected_offence: str
    category: str
    facts: str
    attachments: list[str]
    outcome: str
    criminal_case_number: str
    deadlines: dict[str, str]  # statutory due instants (ISO) by step key
    due_at: datetime | None
    due_step: str
    breaches: list[dict[str, str]]  # {key, step, label, addressee, due, at}
    reported_at: datetime
    updated_at: datetime
    reported_position: int
    last_position: int
    overdue: bool


def _transfer(row: Record) -> TransferRow:
    # The columns are those named above; tests/integration/test_read_rows.py holds them to it.
    return cast(TransferRow, dict(row))


@dataclass(frozen=True)
class TransferPage:
    rows: list[TransferRow]
    total: Total  # counted when awaited
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
    return TransferPage([_transfer(r) for r in page.rows], page.total, page.has_next)


async def transfer_by_id(pool: Pool, item: UUID, now: datetime) -> TransferRow | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM case_transfers t WHERE t.id = $2", now, item)
    return _transfer(row) if row is not None else None


async def transfer_history(pool: Pool, item: UUID) -> list[HistoryRow]:
    rows = await pool.fetch(
        "SELECT version, at, type, actor, summary FROM case_transfer_history"
        " WHERE transfer_id = $1 ORDER BY version",
        item,
    )
    return [cast(HistoryRow, dict(r)) for r in rows]
