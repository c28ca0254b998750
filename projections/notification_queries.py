"""asyncpg queries of the inbox, and the read marks (a read-side write, decision 0010).

Who sees a notice: a user of an agency sees the notices addressed to that agency for
everyone, and those for the office if the user is a coordinator (or admin); a user of no
agency sees the office's notices if a coordinator (or admin), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from projections.rows import Pool, Record

OFFICE_ROLES = ("coordinator", "admin")


@dataclass(frozen=True)
class Viewer:
    reader: str  # the user's subject: read marks are per user
    agency_id: UUID | None
    role: str

    @property
    def audiences(self) -> list[str]:
        office = ["coordinator"] if self.role in OFFICE_ROLES else []
        return (["", *office]) if self.agency_id is not None else office


# $1 agency (or NULL), $2 audiences; the notice table is aliased n.
_VISIBLE = (
    "(n.audience = ANY($2::text[]) AND"
    " (($1::uuid IS NULL AND n.audience <> '') OR n.agency_id = $1::uuid))"
)


@dataclass(frozen=True)
class DeliveryState:
    channel: str  # WEBHOOK or EMAIL
    address: str
    status: str  # PENDING, DELIVERED or FAILED
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class InboxRow:
    id: UUID
    position: int  # of Notice.Issued in the log: the inbox's order and keyset
    item_kind: str
    item_id: UUID
    kind: str
    rung: str
    agency_id: UUID | None  # None: the office of a campaign that has no lead agency
    audience: str  # '' everyone of the agency, 'coordinator' the office only
    title: str
    body: str
    at: datetime
    read_at: datetime | None  # by this viewer
    deliveries: list[DeliveryState]

    @classmethod
    def of(cls, row: Record) -> InboxRow:
        return cls(
            row["id"],
            row["position"],
            row["item_kind"],
            row["item_id"],
            row["kind"],
            row["rung"],
            row["agency_id"],
            row["audience"],
            row["title"],
            row["body"],
            row["at"],
            row["read_at"],
            [DeliveryState(**d) for d in row["deliveries"]],
        )


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    has_next: bool
    unread: int  # of all the viewer's notices, not only this page


async def inbox_page(
    pool: Pool, viewer: Viewer, unread_only: bool, first: int, before: int | None
) -> InboxPage:
    """Newest first; `before` is the position of the last row of the previous page."""
    rows = await pool.fetch(
        "SELECT n.*, r.read_at,"
        " coalesce((SELECT jsonb_agg(jsonb_build_object('channel', d.channel, 'address',"
        "   d.address, 'status', d.status, 'attempts', d.attempts, 'last_error', d.last_error)"
        "   ORDER BY d.channel, d.address) FROM notification_deliveries d"
        "   WHERE d.notification_id = n.id), '[]'::jsonb) AS deliveries"
        " FROM notifications n"
        " LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.reader = $3"
        f" WHERE {_VISIBLE}"
        " AND ($4::bigint IS NULL OR n.position < $4)"
        " AND (NOT $5 OR r.read_at IS NULL)"
        " ORDER BY n.position DESC LIMIT $6",
        viewer.agency_id,
        viewer.audiences,
        viewer.reader,
        before,
        unread_only,
        first + 1,
    )
    unread = await pool.fetchval(
        "SELECT count(*) FROM notifications n WHERE"
        f" {_VISIBLE} AND NOT EXISTS (SELECT 1 FROM notification_reads r"
        " WHERE r.notification_id = n.id AND r.reader = $3)",
        viewer.agency_id,
        viewer.audiences,
        viewer.reader,
    )
    return InboxPage([InboxRow.of(r) for r in rows[:first]], len(rows) > first, int(unread))


async def mark_read(pool: Pool, viewer: Viewer, notification: UUID) -> bool:
    """Mark one notice read for this user; False if the user cannot see it (or no such)."""
    visible = await pool.fetchval(
        f"SELECT true FROM notifications n WHERE n.id = $3 AND {_VISIBLE}",
        viewer.agency_id,
        viewer.audiences,
        notification,
    )
    if not visible:
        return False
    await pool.execute(
        "INSERT INTO notification_reads (notification_id, reader) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING",
        notification,
        viewer.reader,
    )
    return True


async def mark_all_read(pool: Pool, viewer: Viewer) -> int:
    """Mark every notice the user can see as read; returns how many were unread."""
    result: str = await pool.execute(
        "INSERT INTO notification_reads (notification_id, reader)"
        f" SELECT n.id, $3 FROM notifications n WHERE {_VISIBLE}"
        " ON CONFLICT DO NOTHING",
        viewer.agency_id,
        viewer.audiences,
        viewer.reader,
    )
    return int(result.split()[-1])  # "INSERT 0 <rows>"
