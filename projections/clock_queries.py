"""asyncpg query of the issue clocks read table, used by the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from projections.rows import Pool


@dataclass(frozen=True)
class IssueClockRow:
    issue_id: UUID
    due_at: datetime | None
    provisional: bool
    policy_version: int | None
    rings: list[str]  # "rung@instant", of the current schedule
    paused_since: datetime | None
    pause_reason: str
    last_milestone: str
    last_milestone_at: datetime | None
    closed: bool


async def issue_clock(pool: Pool, issue_id: UUID) -> IssueClockRow | None:
    row = await pool.fetchrow(
        "SELECT issue_id, due_at, provisional, policy_version, rings, paused_since,"
        " pause_reason, last_milestone, last_milestone_at, closed"
        " FROM issue_clocks WHERE issue_id = $1",
        issue_id,
    )
    return IssueClockRow(**row) if row is not None else None
