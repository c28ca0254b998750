"""asyncpg queries of the lists behind the cockpit's figures (ADR 0048): each list reads the
rows its figure counts, with the figure's own conditions, so that its total is the figure.

- `items`: rows of stat_items (every item kind) — weekly opened/closed, by region, by
  agency, by kind, the on-time counts (projections.statistics_queries);
- `escalations`: rows of stat_escalations — escalations by rung;
- `cases`: rows of progress_cases — enforcement cases per region and year;
- `inspections`: rows of progress_inspections — a coverage target's inspected institutions;
- `reports`: rows of progress_reports — which agencies reported a period and which did not.

`viewer` limits a list that names items to those the agency's staff read, as the overdue
list does (statistics_queries.overdue); None: every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.names import normalise_name
from projections.keyset import Key, Keyset, Page, fetch_page
from projections.rows import Pool


class ItemState(StrEnum):
    """Which of statistics' counts a row belongs to (statistics_queries._COUNTS)."""

    OPEN = "open"
    CLOSED = "closed"
    OVERDUE = "overdue"
    JUDGED = "judged"  # closed with a due day in force
    ON_TIME = "on_time"


@dataclass(frozen=True)
class ItemFilter:
    campaign: UUID | None = None
    kind: str | None = None
    state: ItemState | None = None
    agency: UUID | None = None
    region: str | None = None
    no_region: bool = False  # the agencies with no region assigned (by_region's NULL row)
    opened_week: date | None = None  # any day of the ISO week, China time
    closed_week: date | None = None
    viewer: UUID | None = None


ITEM_ORDER = Keyset((Key("i.opened_at", "timestamptz"), Key("i.item_id", "uuid")))
ESCALATION_ORDER = Keyset(
    (Key("e.at", "timestamptz"), Key("e.item_id", "uuid"), Key("e.key", "text"))
)
CASE_ORDER = Keyset((Key("c.filed_on", "date"), Key("c.case_id", "uuid")))
INSPECTION_ORDER = Keyset((Key("i.first_on", "date"), Key("i.inspection_id", "uuid")))
REPORT_ORDER = Keyset(
    (Key("r.due_date", "date"), Key("r.item_id", "uuid"), Key("r.agency_id", "uuid"))
)

_AGENCY = "a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind"


def _arg(params: list[Any], value: Any, cast: str) -> str:
    params.append(value)
    return f"${len(params)}::{cast}"


def _readable(params: list[Any], viewer: UUID | None) -> str:
    """The items `viewer`'s staff read: those their history names, a clue only while its
    receiving or handling agency (as statistics_queries.overdue)."""
    if viewer is None:
        return "TRUE"
    me = _arg(params, viewer, "uuid")
    return (
        "CASE WHEN i.kind = 'clue' THEN EXISTS (SELECT 1 FROM clues c"
        f" WHERE c.id = i.item_id AND {me} IN (c.agency_id, c.handling_agency_id))"
        " ELSE EXISTS (SELECT 1 FROM item_audiences w"
        f" WHERE w.item_id = i.item_id AND w.agency_id = {me}) END"
    )


def _week(params: list[Any], column: str, day: date, tz: str) -> str:
    zone, monday = _arg(params, tz, "text"), _arg(params, day, "date")
    return (
        f"date_trunc('week', {column} AT TIME ZONE {zone})::date"
        f" = date_trunc('week', {monday})::date"
    )


def _state(params: list[Any], state: ItemState, today: date, tz: str) -> str:
    judged = "i.closed_at IS NOT NULL AND i.done_due IS NOT NULL"
    if state is ItemState.OPEN:
        return "i.closed_at IS NULL"
    if state is ItemState.CLOSED:
        return "i.closed_at IS NOT NULL"
    if state is ItemState.OVERDUE:
        return f"i.closed_at IS NULL AND i.due_date < {_arg(params, today, 'date')}"
    if state is ItemState.JUDGED:
        return judged
    return f"{judged} AND (i.done_at AT TIME ZONE {_arg(params, tz, 'text')})::date <= i.done_due"


def item_where(found: ItemFilter, params: list[Any], today: date, tz: str) -> str:
    """The filter as SQL over `stat_items i JOIN agencies a`, appending its values."""
    where = [_readable(params, found.viewer)]
    if found.campaign is not None:
        where.append(f"i.campaign_id = {_arg(params, found.campaign, 'uuid')}")
    if found.kind is not None:
        where.append(f"i.kind = {_arg(params, found.kind, 'text')}")
    if found.state is not None:
        where.append(_state(params, found.state, today, tz))
    if found.agency is not None:
        where.append(f"i.agency_id = {_arg(params, found.agency, 'uuid')}")
    if found.no_region:
        where.append("a.region IS NULL")
    elif found.region is not None:
        where.append(f"a.region = {_arg(params, found.region, 'text')}")
    if found.opened_week is not None:
        where.append(_week(params, "i.opened_at", found.opened_week, tz))
    if found.closed_week is not None:
        where.append(_week(params, "i.closed_at", found.closed_week, tz))
    return " AND ".join(where)


async def items(
    pool: Pool,
    found: ItemFilter,
    today: date,
    tz: str,
    first: int,
    after: Sequence[Any] | None,
) -> Page:
    """Items in the order they were opened."""
    params: list[Any] = []
    where = item_where(found, params, today, tz)
    columns = (
        "i.item_id, i.kind, i.label, i.opened_at, i.closed_at, i.due_date,"
        f" (i.closed_at IS NULL AND i.due_date < ${len(params) + 1}::date) AS overdue,"
        f" {_AGENCY}"
    )  # today, numbered after the filter's values: only the columns use it
    source = "FROM stat_items i JOIN agencies a ON a.id = i.agency_id"
    return await fetch_page(pool, columns, source, where, params, ITEM_ORDER, after, first, [today])


async def escalations(
    pool: Pool,
    campaign: UUID | None,
    rung: str | None,
    viewer: UUID | None,
    first: int,
    after: Sequence[Any] | None,
) -> Page:
    """Recorded rungs in the order they fired, with the item each belongs to."""
    params: list[Any] = []
    where = [_readable(params, viewer)]
    if campaign is not None:
        where.append(f"i.campaign_id = {_arg(params, campaign, 'uuid')}")
    if rung is not None:
        where.append(f"e.rung = {_arg(params, rung, 'text')}")
    columns = f"e.item_id, e.key, e.rung, e.at, i.kind, i.label, {_AGENCY}"
    source = (
        "FROM stat_escalations e JOIN stat_items i ON i.item_id = e.item_id"
        " JOIN agencies a ON a.id = i.agency_id"
    )
    return await fetch_page(
        pool, columns, source, " AND ".join(where), params, ESCALATION_ORDER, after, first
    )


async def cases(
    pool: Pool,
    campaign: UUID | None,
    year: int,
    region: str | None,
    viewer: UUID | None,
    first: int,
    after: Sequence[Any] | None,
) -> Page:
    """Cases filed in `year` (linked to `campaign`, when given) by the agencies of `region`
    (progress_queries.cases_by_region counts them), in filing order."""
    params: list[Any] = [year]
    where = ["extract(year FROM c.filed_on) = $1", "a.region IS NOT NULL", "a.region <> ''"]
    if campaign is not None:
        where.append(f"c.campaign_id = {_arg(params, campaign, 'uuid')}")
    if region is not None:
        where.append(f"a.region = {_arg(params, region, 'text')}")
    if viewer is not None:
        where.append(f"c.agency_id = {_arg(params, viewer, 'uuid')}")
    columns = f"c.case_id, c.number, c.filed_on, a.region, {_AGENCY}"
    source = "FROM progress_cases c JOIN agencies a ON a.id = c.agency_id"
    return await fetch_page(
        pool, columns, source, " AND ".join(where), params, CASE_ORDER, after, first
    )


async def inspections(
    pool: Pool,
    campaign: UUID,
    category: str,
    as_of: date,
    first: int,
    after: Sequence[Any] | None,
) -> Page:
    """The distinct institutions a coverage target counts as inspected by `as_of`: of its
    category and, if it names one, its region (progress_queries.coverage)."""
    params: list[Any] = [campaign, normalise_name(category), as_of]
    where = (
        "i.campaign_id = $1 AND i.category_key = $2 AND i.first_on <= $3"
        " AND EXISTS (SELECT 1 FROM progress_targets t WHERE t.campaign_id = $1"
        "  AND t.category_key = $2 AND (t.region IS NULL OR i.region = t.region))"
    )
    columns = "i.inspection_id, i.institution, i.region, i.first_on, i.last_on"
    return await fetch_page(
        pool, columns, "FROM progress_inspections i", where, params, INSPECTION_ORDER, after, first
    )


class ReportState(StrEnum):
    """Which of campaignProgress.reports' counts a row belongs to (progress_queries)."""

    DUE = "due"
    RECEIVED = "received"
    OUTSTANDING = "outstanding"
    OVERDUE = "overdue"


_REPORT_STATES = {
    ReportState.DUE: "TRUE",
    ReportState.RECEIVED: "r.submitted_on <= $2",
    ReportState.OUTSTANDING: "(r.submitted_on IS NULL OR r.submitted_on > $2)",
    ReportState.OVERDUE: "(r.submitted_on IS NULL OR r.submitted_on > $2) AND r.due_date < $2",
}


async def reports(
    pool: Pool,
    campaign: UUID,
    as_of: date,
    state: ReportState,
    viewer: UUID | None,
    first: int,
    after: Sequence[Any] | None,
) -> Page:
    """Each agency's report of each period opened by `as_of`, soonest due first; a report
    submitted after `as_of` is shown as not yet submitted."""
    params: list[Any] = [campaign, as_of]
    where = ["r.campaign_id = $1", "r.opened_on <= $2", _REPORT_STATES[state]]
    if viewer is not None:
        where.append(f"r.agency_id = {_arg(params, viewer, 'uuid')}")
    columns = (
        "r.item_id, r.name, r.period, r.due_date,"
        " CASE WHEN r.submitted_on <= $2 THEN r.submitted_on END AS submitted_on,"
        f" {_AGENCY}"
    )
    source = "FROM progress_reports r JOIN agencies a ON a.id = r.agency_id"
    return await fetch_page(
        pool, columns, source, " AND ".join(where), params, REPORT_ORDER, after, first
    )
