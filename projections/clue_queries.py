"""asyncpg queries of the clue read tables, used by the API. No identity lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, cast
from uuid import UUID

from projections.keyset import FAR_TIME, Key, Keyset, Total, fetch_page
from projections.rows import HistoryRow, Pool, Record


@dataclass(frozen=True)
class ClueFilter:
    agency_id: UUID | None = None  # received or handled by this agency; None: every clue
    status: str | None = None
    channel: str | None = None
    real_name: bool | None = None


class ClueRow(TypedDict):
    """A clue as the API reads it: the read table's columns (clues.sql) and the names of
    its receiving and handling agencies. A page's rows also carry their keyset columns."""

    id: UUID
    agency_id: UUID
    handling_agency_id: UUID
    campaign_id: UUID | None
    channel: str
    institution: str
    person: str
    content: str
    attachments: list[str]
    anonymous: bool
    real_name: bool
    status: str
    triage_note: str
    referred_to: UUID | None
    referral_id: UUID | None
    merged_into: UUID | None
    outcome: str
    reply_due: datetime | None
    replied_at: datetime | None
    reply_channel: str
    reveal_count: int
    received_at: datetime
    updated_at: datetime
    received_position: int
    last_position: int
    agency_name: str | None
    handling_agency_name: str | None


class RevealRow(TypedDict):
    clue_id: UUID
    version: int
    agency_id: UUID
    actor: str
    reason: str
    at: datetime
    position: int
    agency_name: str | None


def _clue(row: Record) -> ClueRow:
    # The columns are those named above; tests/integration/test_read_rows.py holds them to it.
    return cast(ClueRow, dict(row))


@dataclass(frozen=True)
class CluePage:
    rows: list[ClueRow]
    total: Total  # counted when awaited
    has_next: bool


_COLUMNS = "c.*, a.name AS agency_name, h.name AS handling_agency_name"
_FROM = """
    FROM clues c
    LEFT JOIN agencies a ON a.id = c.agency_id
    LEFT JOIN agencies h ON h.id = c.handling_agency_id
"""
_SELECT = f"SELECT {_COLUMNS} {_FROM}"


def _where(given: ClueFilter, params: list[Any]) -> str:
    conditions = ["true"]
    if given.agency_id is not None:
        params.append(given.agency_id)
        n = len(params)
        conditions.append(f"(c.agency_id = ${n} OR c.handling_agency_id = ${n})")
    for column, value in (("status", given.status), ("channel", given.channel)):
        if value is not None:
            params.append(value)
            conditions.append(f"c.{column} = ${len(params)}")
    if given.real_name is not None:
        params.append(given.real_name)
        conditions.append(f"c.real_name = ${len(params)}")
    return " AND ".join(conditions)


# The orders of the clue list; the last key of each is unique (a log position).
CLUE_ORDERS = {
    "RECEIVED": Keyset((Key("c.received_position", "bigint"),)),
    "REPLY_DUE": Keyset(
        (
            Key(f"coalesce(c.reply_due, {FAR_TIME})", "timestamptz"),
            Key("c.received_position", "bigint"),
        )
    ),
    "UPDATED": Keyset((Key("c.last_position", "bigint"),), descending=True),
}


async def clue_page(
    pool: Pool,
    given: ClueFilter,
    first: int,
    after: Sequence[Any] | None,
    order: str = "RECEIVED",
) -> CluePage:
    """`first` clues in `order` (as received; the reply owed to a real-name reporter
    soonest first; most recently changed first) after keyset `after`."""
    params: list[Any] = []
    where = _where(given, params)
    page = await fetch_page(pool, _COLUMNS, _FROM, where, params, CLUE_ORDERS[order], after, first)
    return CluePage([_clue(r) for r in page.rows], page.total, page.has_next)


async def clue_by_id(pool: Pool, clue_id: UUID) -> ClueRow | None:
    row = await pool.fetchrow(f"{_SELECT} WHERE c.id = $1", clue_id)
    return _clue(row) if row is not None else None


async def clue_history(pool: Pool, clue_id: UUID) -> list[HistoryRow]:
    rows = await pool.fetch(
        "SELECT version, at, type, actor, summary FROM clue_history"
        " WHERE clue_id = $1 ORDER BY version",
        clue_id,
    )
    return [cast(HistoryRow, dict(r)) for r in rows]


async def clue_reveals(pool: Pool, clue_id: UUID | None, limit: int) -> list[RevealRow]:
    """Reveals, newest first; of one clue or of all."""
    rows = await pool.fetch(
        "SELECT r.*, a.name AS agency_name FROM clue_reveals r"
        " LEFT JOIN agencies a ON a.id = r.agency_id"
        " WHERE $1::uuid IS NULL OR r.clue_id = $1 ORDER BY r.position DESC LIMIT $2",
        clue_id,
        limit,
    )
    return [cast(RevealRow, dict(r)) for r in rows]
