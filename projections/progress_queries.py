"""asyncpg queries of campaign progress (ADR 0020), each one aggregate statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.campaigns import DEFAULT_CASE_THRESHOLD
from projections.rows import Pool


@dataclass(frozen=True)
class ReportTally:
    due: int
    received: int
    outstanding: int
    overdue: int


@dataclass(frozen=True)
class TargetCoverage:
    category: str
    region: str | None
    population: int
    required_percent: int
    inspected: int


@dataclass(frozen=True)
class RegionCases:
    region: str
    count: int


async def reports(pool: Pool, campaign: UUID, as_of: date) -> ReportTally:
    """Per agency owing a period's report: due once opened, received once submitted, overdue
    when still not received after its due date."""
    row = await pool.fetchrow(
        "SELECT count(*) AS due,"
        " count(*) FILTER (WHERE submitted_on <= $2) AS received,"
        " count(*) FILTER (WHERE submitted_on IS NULL OR submitted_on > $2) AS outstanding,"
        " count(*) FILTER (WHERE (submitted_on IS NULL OR submitted_on > $2)"
        "   AND due_date < $2) AS overdue"
        " FROM progress_reports WHERE campaign_id = $1 AND opened_on <= $2",
        campaign,
        as_of,
    )
    assert row is not None  # an aggregate without GROUP BY returns one row
    return ReportTally(**row)


async def coverage(pool: Pool, campaign: UUID, as_of: date) -> list[TargetCoverage]:
    """Each target with the distinct institutions of its category (and region, if it has
    one) first inspected on or before `as_of`."""
    rows = await pool.fetch(
        "SELECT t.category, t.region, t.population, t.required_percent,"
        " (SELECT count(*) FROM progress_inspections i WHERE i.campaign_id = t.campaign_id"
        "   AND i.category_key = t.category_key AND i.first_on <= $2"
        "   AND (t.region IS NULL OR i.region = t.region)) AS inspected"
        " FROM progress_targets t WHERE t.campaign_id = $1 ORDER BY t.category",
        campaign,
        as_of,
    )
    return [TargetCoverage(**row) for row in rows]


async def threshold(pool: Pool, campaign: UUID | None) -> int:
    if campaign is None:
        return DEFAULT_CASE_THRESHOLD
    value = await pool.fetchval(
        "SELECT threshold FROM progress_thresholds WHERE campaign_id = $1", campaign
    )
    return int(value) if value is not None else DEFAULT_CASE_THRESHOLD


async def cases_by_region(pool: Pool, campaign: UUID | None, year: int) -> list[RegionCases]:
    """Every region that has an agency, with the cases its agencies filed in `year` (linked to
    `campaign`, when given): a region with none shows 0."""
    rows = await pool.fetch(
        "SELECT a.region, count(c.case_id) AS count FROM agencies a"
        " LEFT JOIN progress_cases c ON c.agency_id = a.id"
        "  AND extract(year FROM c.filed_on) = $2"
        "  AND ($1::uuid IS NULL OR c.campaign_id = $1)"
        " WHERE a.region IS NOT NULL AND a.region <> ''"
        " GROUP BY a.region ORDER BY a.region",
        campaign,
        year,
    )
    return [RegionCases(**row) for row in rows]
