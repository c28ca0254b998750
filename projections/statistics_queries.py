"""asyncpg queries of the dashboard figures (ADR 0018), each one aggregate statement.

`campaign` None means every item, including those without a campaign; a campaign counts
only the items linked to it. `today` is the caller's date in `tz` (injectable for tests).
Percentiles are nearest-rank: the value at rank ceil(p·n) of the n sorted values, which
is what PostgreSQL's percentile_disc(p) returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from projections.rows import AgencyRef, Pool, Record

_SCOPE = "($1::uuid IS NULL OR i.campaign_id = $1)"
# Closed with a due day in force, and on time: the act's China-time date not after that day.
_JUDGED = "i.closed_at IS NOT NULL AND i.done_due IS NOT NULL"
_ON_TIME = f"{_JUDGED} AND (i.done_at AT TIME ZONE $3)::date <= i.done_due"
_COUNTS = f"""
    count(*) FILTER (WHERE i.closed_at IS NULL) AS open,
    count(*) FILTER (WHERE i.closed_at IS NOT NULL) AS closed,
    count(*) FILTER (WHERE i.closed_at IS NULL AND i.due_date < $2) AS overdue,
    count(*) FILTER (WHERE {_JUDGED}) AS judged,
    count(*) FILTER (WHERE {_ON_TIME}) AS on_time
"""


@dataclass(frozen=True)
class CountsRow:
    open: int
    closed: int
    overdue: int
    judged: int  # closed with a due day in force
    on_time: int

    @classmethod
    def of(cls, row: Record) -> CountsRow:
        return cls(row["open"], row["closed"], row["overdue"], row["judged"], row["on_time"])


@dataclass(frozen=True)
class KindRow:
    kind: str | None  # None: every kind together
    counts: CountsRow


@dataclass(frozen=True)
class AgencyRow:
    agency: AgencyRef
    counts: CountsRow


@dataclass(frozen=True)
class RegionRow:
    region: str | None  # None: agencies with no region assigned
    counts: CountsRow


@dataclass(frozen=True)
class ReferralTimesRow:
    agency: AgencyRef
    claimed: int
    answered: int
    claim_median: float | None  # hours
    claim_p90: float | None
    answer_median: float | None
    answer_p90: float | None


@dataclass(frozen=True)
class RungRow:
    rung: str
    count: int


@dataclass(frozen=True)
class OverdueRow:
    item_id: UUID
    kind: str
    label: str
    due_date: date
    agency: AgencyRef


@dataclass(frozen=True)
class WeekRow:
    monday: date
    opened: int
    closed: int


def _hours(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


async def by_kind(pool: Pool, campaign: UUID | None, today: date, tz: str) -> list[KindRow]:
    """One row per kind, and a total row whose kind is NULL."""
    rows = await pool.fetch(
        f"SELECT i.kind, {_COUNTS} FROM stat_items i WHERE {_SCOPE}"
        " GROUP BY GROUPING SETS ((i.kind), ()) ORDER BY i.kind NULLS LAST",
        campaign,
        today,
        tz,
    )
    return [KindRow(row["kind"], CountsRow.of(row)) for row in rows]


async def by_agency(pool: Pool, campaign: UUID | None, today: date, tz: str) -> list[AgencyRow]:
    rows = await pool.fetch(
        f"SELECT a.id, a.name, a.kind, {_COUNTS} FROM stat_items i"
        f" JOIN agencies a ON a.id = i.agency_id WHERE {_SCOPE}"
        " GROUP BY a.id, a.name, a.kind ORDER BY a.name",
        campaign,
        today,
        tz,
    )
    return [AgencyRow(AgencyRef.of(row), CountsRow.of(row)) for row in rows]


async def by_region(pool: Pool, campaign: UUID | None, today: date, tz: str) -> list[RegionRow]:
    """The by-agency figures summed per region of the responsible agency; agencies
    with no region assigned form one row whose region is NULL, listed last."""
    rows = await pool.fetch(
        f"SELECT a.region, {_COUNTS} FROM stat_items i"
        f" JOIN agencies a ON a.id = i.agency_id WHERE {_SCOPE}"
        " GROUP BY a.region ORDER BY a.region NULLS LAST",
        campaign,
        today,
        tz,
    )
    return [RegionRow(row["region"], CountsRow.of(row)) for row in rows]


async def referral_times(pool: Pool, campaign: UUID | None) -> list[ReferralTimesRow]:
    """Hours to claim (assignment → claim) and to answer (claim → first answer) per
    receiving agency, over the rounds that reached that step."""
    rows = await pool.fetch(
        "WITH r AS ("
        "  SELECT r.agency_id,"
        "   extract(epoch FROM r.claimed_at - r.assigned_at) / 3600 AS claim_hours,"
        "   extract(epoch FROM r.answered_at - r.claimed_at) / 3600 AS answer_hours"
        "  FROM stat_referral_rounds r JOIN stat_items i ON i.item_id = r.referral_id"
        f"  WHERE {_SCOPE})"
        " SELECT a.id, a.name, a.kind,"
        "  count(claim_hours) AS claimed, count(answer_hours) AS answered,"
        "  percentile_disc(0.5) WITHIN GROUP (ORDER BY claim_hours) AS claim_median,"
        "  percentile_disc(0.9) WITHIN GROUP (ORDER BY claim_hours) AS claim_p90,"
        "  percentile_disc(0.5) WITHIN GROUP (ORDER BY answer_hours) AS answer_median,"
        "  percentile_disc(0.9) WITHIN GROUP (ORDER BY answer_hours) AS answer_p90"
        " FROM r JOIN agencies a ON a.id = r.agency_id"
        " GROUP BY a.id, a.name, a.kind ORDER BY a.name",
        campaign,
    )
    return [
        ReferralTimesRow(
            AgencyRef.of(row),
            row["claimed"],
            row["answered"],
            _hours(row["claim_median"]),
            _hours(row["claim_p90"]),
            _hours(row["answer_median"]),
            _hours(row["answer_p90"]),
        )
        for row in rows
    ]


async def escalations(pool: Pool, campaign: UUID | None) -> list[RungRow]:
    rows = await pool.fetch(
        "SELECT e.rung, count(*) AS count FROM stat_escalations e"
        f" JOIN stat_items i ON i.item_id = e.item_id WHERE {_SCOPE}"
        " GROUP BY e.rung",
        campaign,
    )
    return [RungRow(row["rung"], row["count"]) for row in rows]


@dataclass(frozen=True)
class OverduePage:
    rows: list[OverdueRow]
    total: int


async def overdue(
    pool: Pool, campaign: UUID | None, today: date, limit: int, agency: UUID | None = None
) -> OverduePage:
    """Open items past their due day, earliest due first: the order of working days
    overdue, as more days past due never means fewer working days. With `agency`, only the
    items that agency's staff may read (the list names items; the counts stay everyone's)."""
    # The items the agency's staff read: those their history names (item_audiences), a
    # clue only while its receiving or handling agency (a clue that was referred on and
    # came back is no longer the referee's to read).
    own = (
        "($3::uuid IS NULL OR CASE WHEN i.kind = 'clue' THEN EXISTS (SELECT 1 FROM clues c"
        " WHERE c.id = i.item_id AND $3 IN (c.agency_id, c.handling_agency_id))"
        " ELSE EXISTS (SELECT 1 FROM item_audiences w"
        " WHERE w.item_id = i.item_id AND w.agency_id = $3) END)"
    )
    total = await pool.fetchval(
        f"SELECT count(*) FROM stat_items i WHERE {_SCOPE} AND {own}"
        " AND i.closed_at IS NULL AND i.due_date < $2",
        campaign,
        today,
        agency,
    )
    rows = await pool.fetch(
        "SELECT i.item_id, i.kind, i.label, i.due_date,"
        " a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind"
        " FROM stat_items i JOIN agencies a ON a.id = i.agency_id"
        f" WHERE {_SCOPE} AND {own} AND i.closed_at IS NULL AND i.due_date < $2"
        " ORDER BY i.due_date, i.item_id LIMIT $4",
        campaign,
        today,
        agency,
        limit,
    )
    return OverduePage(
        [
            OverdueRow(
                row["item_id"],
                row["kind"],
                row["label"],
                row["due_date"],
                AgencyRef.of(row, "agency_"),
            )
            for row in rows
        ],
        int(total),
    )


async def weekly(
    pool: Pool, campaign: UUID | None, today: date, tz: str, weeks: int
) -> list[WeekRow]:
    """Items opened and closed per ISO week (Monday start, dates in `tz`), the `weeks`
    weeks up to today's, empty weeks included."""
    week = "date_trunc('week', {} AT TIME ZONE $3)::date"
    first = "(date_trunc('week', $2::date) - ($4 - 1) * interval '1 week')"
    rows = await pool.fetch(
        "WITH w AS (SELECT generate_series("
        f"   {first}, date_trunc('week', $2::date), interval '1 week')::date AS monday),"
        f" o AS (SELECT {week.format('i.opened_at')} AS monday, count(*) AS n"
        f"   FROM stat_items i WHERE {_SCOPE} AND i.opened_at AT TIME ZONE $3 >= {first}"
        "   GROUP BY 1),"
        f" c AS (SELECT {week.format('i.closed_at')} AS monday, count(*) AS n"
        f"   FROM stat_items i WHERE {_SCOPE} AND i.closed_at AT TIME ZONE $3 >= {first}"
        "   GROUP BY 1)"
        " SELECT w.monday, coalesce(o.n, 0) AS opened, coalesce(c.n, 0) AS closed"
        " FROM w LEFT JOIN o USING (monday) LEFT JOIN c USING (monday) ORDER BY w.monday",
        campaign,
        today,
        tz,
        weeks,
    )
    return [WeekRow(**row) for row in rows]
