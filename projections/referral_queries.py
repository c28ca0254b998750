"""asyncpg queries of the referral read tables, used by the API.

Overdue: the running clock's due instant has passed. Due soon: it falls within the next
`DUE_SOON` (two days: a liaison who looks each morning sees it at least once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypedDict, cast
from uuid import UUID

from projections.keyset import FAR_TIME, Key, Keyset, Total, fetch_page
from projections.rows import HistoryRow, Pool, Record

DUE_SOON = timedelta(days=2)


class Direction(StrEnum):
    INCOMING = "INCOMING"  # addressed to the agency: its liaisons' work
    OUTGOING = "OUTGOING"  # sent by the agency: awaiting its acceptance


@dataclass(frozen=True)
class QueueFilter:
    agency_id: UUID | None = None  # None: every agency (coordinators)
    direction: Direction = Direction.INCOMING
    status: str | None = None
    due_soon: bool | None = None
    overdue: bool | None = None


class ReferralRow(TypedDict):
    """A referral as the API reads it: the read table's columns (referrals.sql), its
    sender's name and kind, its receiver's kind, and whether its running clock is overdue
    at the time asked. A page's rows also carry their keyset columns (projections/keyset)."""

    id: UUID
    parent_id: UUID | None
    is_group: bool
    campaign_id: UUID | None
    sender_agency_id: UUID
    receiver_agency_id: UUID
    receiver_name: str
    assigned_ids: list[UUID]
    status: str
    reason: str
    subject_kind: str
    subject_id: UUID | None
    attachments: list[str]
    round: int
    claimed_by: str
    claim_due: datetime | None
    answer_due: datetime | None
    due_at: datetime | None
    outcome: str
    case_number: str
    sent_at: datetime
    updated_at: datetime
    sent_position: int
    last_position: int
    sender_name: str | None
    sender_kind: str | None
    receiver_kind: str | None
    overdue: bool


def _referral(row: Record) -> ReferralRow:
    # The columns are those named above; tests/integration/test_read_rows.py holds them to it.
    return cast(ReferralRow, dict(row))


@dataclass(frozen=True)
class ReferralPage:
    rows: list[ReferralRow]
    total: Total  # counted when awaited
    has_next: bool


_COLUMNS = """
    r.*, s.name AS sender_name, s.kind AS sender_kind, a.kind AS receiver_kind,
    (r.due_at IS NOT NULL AND r.due_at <= $1) AS overdue
"""
_FROM = """
    FROM referrals r
    LEFT JOIN agencies s ON s.id = r.sender_agency_id
    LEFT JOIN agencies a ON a.id = r.receiver_agency_id
"""


def _where(queue: QueueFilter, params: list[Any]) -> str:
    """Conditions; `params` starts with now (as $1) and gets the filter's values."""
    conditions = ["$1::timestamptz IS NOT NULL"]  # every query names $1, even unfiltered
    if queue.agency_id is None:
        conditions.append("NOT r.is_group")  # the work items; parents show their children
    elif queue.direction is Direction.INCOMING:
        params.append(queue.agency_id)
        conditions.append(f"r.receiver_agency_id = ${len(params)} AND NOT r.is_group")
    else:
        params.append(queue.agency_id)
        conditions.append(f"r.sender_agency_id = ${len(params)} AND r.parent_id IS NULL")
    if queue.status is not None:
        params.append(queue.status)
        conditions.append(f"r.status = ${len(params)}")
    if queue.overdue is not None:
        conditions.append(("" if queue.overdue else "NOT ") + "coalesce(r.due_at <= $1, false)")
    if queue.due_soon is not None:
        params.append(DUE_SOON)
        horizon = f"$1::timestamptz + ${len(params)}::interval"
        soon = f"coalesce(r.due_at > $1 AND r.due_at <= {horizon}, false)"
        conditions.append(soon if queue.due_soon else f"NOT {soon}")
    return " AND ".join(conditions)


# The orders of the queue; the last key of each is unique (a log position).
REFERRAL_ORDERS = {
    "SENT": Keyset((Key("r.sent_position", "bigint"),)),
    "DUE": Keyset(
        (Key(f"coalesce(r.due_at, {FAR_TIME})", "timestamptz"), Key("r.sent_position", "bigint"))
    ),
    "UPDATED": Keyset((Key("r.last_position", "bigint"),), descending=True),
}


async def referral_page(
    pool: Pool,
    queue: QueueFilter,
    now: datetime,
    first: int,
    after: Sequence[Any] | None,
    order: str = "SENT",
) -> ReferralPage:
    """`first` referrals in `order` (as sent; the running clock's due soonest first, those
    without a running clock last; most recently changed first) after keyset `after`."""
    params: list[Any] = [now]
    where = _where(queue, params)
    page = await fetch_page(
        pool, _COLUMNS, _FROM, where, params, REFERRAL_ORDERS[order], after, first
    )
    return ReferralPage([_referral(r) for r in page.rows], page.total, page.has_next)


async def referral_by_id(pool: Pool, referral_id: UUID, now: datetime) -> ReferralRow | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} {_FROM} WHERE r.id = $2", now, referral_id)
    return _referral(row) if row is not None else None


async def referral_children(pool: Pool, parent_id: UUID, now: datetime) -> list[ReferralRow]:
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} {_FROM} WHERE r.parent_id = $2 ORDER BY r.receiver_name",
        now,
        parent_id,
    )
    return [_referral(r) for r in rows]


async def referral_history(pool: Pool, referral_id: UUID) -> list[HistoryRow]:
    rows = await pool.fetch(
        "SELECT version, at, type, actor, summary FROM referral_history"
        " WHERE referral_id = $1 ORDER BY version",
        referral_id,
    )
    return [cast(HistoryRow, dict(r)) for r in rows]
