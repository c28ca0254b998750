"""asyncpg query of the issue clocks read table, used by the API."""

from __future__ import annotations

from uuid import UUID

from projections.rows import Pool, Record


async def issue_clock(pool: Pool, issue_id: UUID) -> Record | None:
    row: Record | None = await pool.fetchrow(
        "SELECT issue_id, due_at, provisional, policy_version, rings, paused_since,"
        " pause_reason, last_milestone, last_milestone_at, closed"
        " FROM issue_clocks WHERE issue_id = $1",
        issue_id,
    )
    return row
