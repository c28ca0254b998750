"""How far behind the head of the event log each follower is (projections, dispatchers).

Every follower keeps its position in a tracking table (name, position); this module reads
them all, so a new follower shows up without changes here as long as its table is listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.leadership import HOLDER, LOCK_CLASS

EVENTS_TABLE = "rectify_events"  # the eventsourcing library names it after the application
TRACKING_TABLES = {
    "projection_tracking": "projection",
    "dispatcher_tracking": "dispatcher",
}


@dataclass(frozen=True)
class Follower:
    name: str
    kind: str
    position: int
    lag: int  # events not yet processed


@dataclass(frozen=True)
class LogStatus:
    head: int
    followers: list[Follower]
    # the projection runner holding the lock, "rectify-projections HOST:PID" (ADR 0057)
    projection_runner: str | None = None


async def log_status(pool: Any) -> LogStatus:
    async with pool.acquire() as conn:
        head = int(
            await conn.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
            or 0
        )
        followers: list[Follower] = []
        for table, kind in TRACKING_TABLES.items():
            # A follower that never ran has no table yet in this schema.
            if await conn.fetchval("SELECT to_regclass($1)", table) is None:
                continue
            for row in await conn.fetch(f"SELECT name, position FROM {table} ORDER BY name"):
                position = int(row["position"])
                followers.append(Follower(row["name"], kind, position, max(head - position, 0)))
        runner = await conn.fetchval(
            HOLDER.format(columns="a.application_name", lock_class="$1", schema="current_schema()"),
            LOCK_CLASS,
        )
    return LogStatus(head, followers, runner)
