"""Events a follower of the log could not process, set aside so the rest keeps moving.

One event that a read model cannot hold (a NUL character stored before the edges refused
it, a bug in one projection) used to stop every read model for good: the batch failed,
was retried, failed again. Now the runner retries such an event alone; if a sanitised copy
(NUL characters taken out of its text) can be projected, that copy is applied; if not, the
event is skipped. Either way it is recorded here, shown in `systemStatus` and `/metrics`,
and the event itself stays in the log untouched (the audit chain holds): a rebuild after
the fault is fixed replays it, and a rebuild that applies it cleanly removes its row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification

TABLE = "follower_parked"
SANITISED, SKIPPED = "sanitised", "skipped"

DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    follower text NOT NULL,
    position bigint NOT NULL,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    outcome text NOT NULL,
    error text NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower, position)
)
"""

# Errors of the connection or of concurrency: the batch is retried as it is, nothing parked.
TRANSIENT = (
    psycopg.OperationalError,
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.LockNotAvailable,
    psycopg.errors.QueryCanceled,
)

# A JSON escape of NUL that is not itself an escaped backslash followed by "u0000".
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
# Anything in an error message that may be a value from the event (the log keeps none).
_VALUE_LIKE = re.compile(r"'[^']*'|\"[^\"]*\"|\d{3,}|[^\x00-\x7f]+")


def holds_nul(state: bytes) -> bool:
    """Whether a stored event's JSON state holds a NUL character in some text."""
    # the substring test first: every save asks, and the regex's look-behind costs ten
    # times a plain search on a state that has no escape at all (ADR 0068)
    return b"\\u0000" in state and _NUL_ESCAPE.search(state) is not None


def sanitised(notification: Notification) -> Notification | None:
    """The notification with NUL characters taken out of its text; None if it has none."""
    state = _NUL_ESCAPE.sub(rb"\1", notification.state)
    if state == notification.state:
        return None
    return Notification(
        id=notification.id,
        originator_id=notification.originator_id,
        originator_version=notification.originator_version,
        topic=notification.topic,
        state=state,
    )


def describe(error: BaseException) -> str:
    """The error's kind and first line, with anything that may be a value masked."""
    first = (str(error).splitlines() or [""])[0][:300]
    return f"{type(error).__name__}: {_VALUE_LIKE.sub('…', first)}"


def park(
    cur: psycopg.Cursor[Any] | psycopg.Connection[Any],
    follower: str,
    notification: Notification,
    outcome: str,
    error: BaseException,
) -> None:
    """Record `notification` as set aside by `follower` (a cursor or a connection)."""
    cur.execute(
        f"INSERT INTO {TABLE} (follower, position, originator_id, originator_version, topic, "
        "outcome, error) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (follower, position) "
        "DO UPDATE SET outcome = EXCLUDED.outcome, error = EXCLUDED.error, parked_at = now()",
        (
            follower,
            notification.id,
            notification.originator_id,
            notification.originator_version,
            notification.topic,
            outcome,
            describe(error),
        ),
    )


def unpark(cur: psycopg.Cursor[Any], follower: str, positions: list[int]) -> None:
    """Forget positions a rebuild has now applied cleanly."""
    if positions:
        cur.execute(
            f"DELETE FROM {TABLE} WHERE follower = %s AND position = ANY(%s)",
            (follower, positions),
        )


@dataclass(frozen=True)
class ParkedEvent:
    follower: str
    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    outcome: str
    error: str
    parked_at: datetime


async def parked_events(pool: Any, limit: int = 100) -> tuple[int, list[ParkedEvent]]:
    """How many events are parked, and the latest `limit` of them (asyncpg pool)."""
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT to_regclass($1)", TABLE) is None:
            return 0, []
        total = int(await conn.fetchval(f"SELECT count(*) FROM {TABLE}"))
        rows = await conn.fetch(
            f"SELECT follower, position, originator_id, originator_version, topic, outcome, "
            f"error, parked_at FROM {TABLE} ORDER BY parked_at DESC, position DESC LIMIT $1",
            limit,
        )
    return total, [ParkedEvent(**dict(row)) for row in rows]
