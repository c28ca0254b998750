"""asyncpg queries of the read tables, used by the API.

Overdue: not CLOSED and due before `today` (the caller passes today's date in the
configured time zone). Open: not CLOSED (being worked on or awaiting verification).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict, cast
from uuid import UUID

import asyncpg

from domain.names import agency_id, campaign_id, normalise_name
from projections.keyset import FAR_DATE, Key, Keyset, Total, fetch_page
from projections.rows import HistoryRow, Pool, Record
from projections.runner import NAME as TRACKING_NAME


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection given back to the pool needs beyond asyncpg's own clean-up (an
    open transaction rolled back, listeners dropped): nothing. The reads set no session
    state (no SET, LISTEN, cursor outside a transaction or advisory lock), so asyncpg's
    default reset (`RESET ALL`, `CLOSE ALL`, `UNLISTEN *`, unlocking) was one more round
    trip after every statement, three on a work-queue page."""


CONNECT_SECONDS = 5.0
QUERY_SECONDS = 60.0


async def create_pool(database_url: str, schema: str, max_size: int = 10) -> Pool:
    pool: Pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        # bounded: a server that does not answer is an outage (api/outages.py), not a hang
        timeout=CONNECT_SECONDS,
        command_timeout=QUERY_SECONDS,
        # and the server itself stops a read running longer (a client gone away included)
        server_settings={
            "search_path": schema,
            "statement_timeout": f"{QUERY_SECONDS:.0f}s",
            # The API's reads are short; a plan whose estimate crosses jit_above_cost (the
            # work queue's UNION over 20,000 issues did) spent 200-700 ms compiling for a
            # 30 ms execution, on every request (ADR 0060).
            "jit": "off",
        },
        init=_init_connection,
        reset=_keep_session,
    )
    return pool


def _as_uuid(value: str) -> UUID | None:
    try:
        return UUID(value.strip())
    except ValueError:
        return None


async def resolve_campaign(pool: Pool, key: str) -> UUID | None:
    """A campaign by id or by title."""
    candidates = [c for c in (_as_uuid(key), campaign_id(key)) if c is not None]
    found: UUID | None = await pool.fetchval(
        "SELECT id FROM campaigns WHERE id = ANY($1::uuid[])", candidates
    )
    return found


async def resolve_agency(pool: Pool, key: str) -> UUID | None:
    """An agency by id, by name or by one of its aliases."""
    candidates = [c for c in (_as_uuid(key), agency_id(key)) if c is not None]
    found: UUID | None = await pool.fetchval(
        "SELECT id FROM agencies WHERE id = ANY($1::uuid[])", candidates
    )
    if found is not None:
        return found
    wanted = normalise_name(key)
    for row in await pool.fetch("SELECT id, aliases FROM agencies WHERE aliases <> '{}'"):
        if any(normalise_name(alias) == wanted for alias in row["aliases"]):
            alias_of: UUID = row["id"]
            return alias_of
    return None


async def campaigns(pool: Pool) -> list[Record]:
    return await pool.fetch("SELECT id, title FROM campaigns ORDER BY registered_at, title")


async def campaign_details(pool: Pool, campaigns: list[UUID]) -> dict[UUID, Record]:
    """Lead, members (with names) and phases of several campaigns in one query."""
    rows = await pool.fetch(
        "SELECT c.id, c.lead_agency_id, c.phases, l.name AS lead_name, l.kind AS lead_kind,"
        " coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name,"
        "   'kind', a.kind) ORDER BY a.name) FROM agencies a WHERE a.id = ANY(c.member_ids)),"
        "   '[]'::jsonb) AS members"
        " FROM campaigns c LEFT JOIN agencies l ON l.id = c.lead_agency_id"
        " WHERE c.id = ANY($1::uuid[])",
        campaigns,
    )
    return {row["id"]: row for row in rows}


async def campaign_title(pool: Pool, campaign: UUID) -> str:
    title: str = await pool.fetchval("SELECT title FROM campaigns WHERE id = $1", campaign)
    return title


async def agency(pool: Pool, agency_id: UUID) -> Record | None:
    return await pool.fetchrow("SELECT id, name, kind FROM agencies WHERE id = $1", agency_id)


async def agencies(pool: Pool) -> list[Record]:
    return await pool.fetch("SELECT id, name, kind FROM agencies ORDER BY kind, name")


@dataclass(frozen=True)
class IssueFilter:
    campaign_id: UUID | None = None
    status: str | None = None
    agency_id: UUID | None = None
    overdue: bool | None = None
    # an extension asked for and not yet approved or denied (延期审批)
    pending_extension: bool | None = None
    # the agency whose issues the caller may read (it leads or co-owns them); None: all
    viewer_agency_id: UUID | None = None


_ISSUE_COLUMNS = """
    i.id, i.number, i.problem, i.measures, i.status, i.deadline_kind, i.due_date,
    i.deadline_text, i.cycle, i.pending_extension_due, i.pending_extension_text,
    i.registered_position,
    i.campaign_id, c.title AS campaign_title,
    i.lead_agency_id, la.name AS lead_agency_name, la.kind AS lead_agency_kind,
    (i.status <> 'CLOSED' AND i.due_date < $TODAY) AS overdue,
    COALESCE((
        SELECT jsonb_agg(
            jsonb_build_object('id', a.id, 'name', a.name, 'kind', a.kind) ORDER BY r.ordinal
        )
        FROM issue_responsibilities r JOIN agencies a ON a.id = r.agency_id
        WHERE r.issue_id = i.id AND r.role = 'CO'
    ), '[]'::jsonb) AS co_agencies
"""
_ISSUE_FROM = """
    FROM issues i
    JOIN campaigns c ON c.id = i.campaign_id
    JOIN agencies la ON la.id = i.lead_agency_id
"""


def _columns(today_param: int) -> str:
    return _ISSUE_COLUMNS.replace("$TODAY", f"${today_param}")


def _where(issue_filter: IssueFilter, params: list[Any], today: date) -> str:
    """Conditions of the filter, appending their values to `params`."""
    conditions = ["TRUE"]
    if issue_filter.campaign_id is not None:
        params.append(issue_filter.campaign_id)
        conditions.append(f"i.campaign_id = ${len(params)}")
    if issue_filter.status is not None:
        params.append(issue_filter.status)
        conditions.append(f"i.status = ${len(params)}")
    # the agency asked for, and the reader's own (agency staff): issues it leads or co-owns
    for agency in (issue_filter.agency_id, issue_filter.viewer_agency_id):
        if agency is not None:
            params.append(agency)
            conditions.append(
                "EXISTS (SELECT 1 FROM issue_responsibilities r"
                f" WHERE r.issue_id = i.id AND r.agency_id = ${len(params)})"
            )
    if issue_filter.overdue is not None:
        params.append(today)
        overdue = f"(i.status <> 'CLOSED' AND i.due_date < ${len(params)})"
        conditions.append(overdue if issue_filter.overdue else f"NOT COALESCE({overdue}, FALSE)")
    if issue_filter.pending_extension is not None:
        # the wording, not the date: a request is pending whatever it names
        pending = "i.pending_extension_text IS NOT NULL"
        conditions.append(pending if issue_filter.pending_extension else f"NOT ({pending})")
    return " AND ".join(conditions)


class AgencyItem(TypedDict):
    id: str  # from jsonb: the agency's UUID as text
    name: str
    kind: str


class IssueRow(TypedDict):
    """An issue as the API reads it (_ISSUE_COLUMNS): its ledger columns, its campaign's
    title, its lead agency's name and kind, its co-responsible agencies, and whether it is
    overdue on the day asked. A page's rows also carry their keyset columns."""

    id: UUID
    number: str
    problem: str
    measures: list[str]
    status: str
    deadline_kind: str
    due_date: date | None
    deadline_text: str
    cycle: int
    pending_extension_due: date | None
    pending_extension_text: str | None
    registered_position: int
    campaign_id: UUID
    campaign_title: str
    lead_agency_id: UUID
    lead_agency_name: str
    lead_agency_kind: str
    overdue: bool | None  # None: no due date
    co_agencies: list[AgencyItem]


class IssueHistoryRow(HistoryRow):
    issue_id: UUID
    position: int


def _issue(row: Record) -> IssueRow:
    # The columns are those named above; tests/integration/test_read_rows.py holds them to it.
    return cast(IssueRow, dict(row))


@dataclass(frozen=True)
class IssuePage:
    rows: list[IssueRow]
    total: Total  # counted when awaited
    has_next: bool


# The orders of the issue list; the last key of each is unique (a log position).
ISSUE_ORDERS = {
    "LEDGER": Keyset((Key("i.registered_position", "bigint"),)),
    "DUE": Keyset(
        (Key(f"coalesce(i.due_date, {FAR_DATE})", "date"), Key("i.registered_position", "bigint"))
    ),
    "UPDATED": Keyset((Key("i.last_position", "bigint"),), descending=True),
}


async def issue_page(
    pool: Pool,
    issue_filter: IssueFilter,
    today: date,
    first: int,
    after: Sequence[Any] | None,
    order: str = "LEDGER",
) -> IssuePage:
    """`first` issues in `order` (ledger order; soonest due first, undated last; most
    recently changed first) after the keyset values `after` of the previous page."""
    params: list[Any] = []
    where = _where(issue_filter, params, today)
    columns = _columns(len(params) + 1)  # the overdue column compares with today
    page = await fetch_page(
        pool, columns, _ISSUE_FROM, where, params, ISSUE_ORDERS[order], after, first, [today]
    )
    return IssuePage([_issue(r) for r in page.rows], page.total, page.has_next)


async def issue_by_id(pool: Pool, issue_id: UUID, today: date) -> IssueRow | None:
    row = await pool.fetchrow(
        f"SELECT {_columns(1)} {_ISSUE_FROM} WHERE i.id = $2", today, issue_id
    )
    return _issue(row) if row is not None else None


async def histories(pool: Pool, issue_ids: list[UUID]) -> dict[UUID, list[IssueHistoryRow]]:
    """The history of several issues in one query (for a DataLoader)."""
    rows = await pool.fetch(
        "SELECT issue_id, version, at, type, actor, summary, position FROM issue_history"
        " WHERE issue_id = ANY($1::uuid[]) ORDER BY issue_id, version",
        issue_ids,
    )
    found: dict[UUID, list[IssueHistoryRow]] = {i: [] for i in issue_ids}
    for row in rows:
        found[row["issue_id"]].append(cast(IssueHistoryRow, dict(row)))
    return found


@dataclass(frozen=True)
class Dashboard:
    title: str  # the campaign's
    total: int
    open: int
    closed: int
    overdue: int
    by_agency: list[Record]


# From the counters the dashboard_counts model keeps (ADR 0060): a campaign has a row per
# status and due day of its issues (per agency and role in the second table), so what changes
# with today — overdue — is a sum over those few rows, and nothing grows with the issues.
_DASHBOARD_TOTALS = (
    "SELECT coalesce(sum(n), 0) AS total,"
    " coalesce(sum(n) FILTER (WHERE status <> 'CLOSED'), 0) AS open,"
    " coalesce(sum(n) FILTER (WHERE status = 'CLOSED'), 0) AS closed,"
    " coalesce(sum(n) FILTER (WHERE status <> 'CLOSED' AND due < $2), 0) AS overdue,"
    " (SELECT title FROM campaigns WHERE id = $1) AS title"
    " FROM dashboard_counts WHERE campaign_id = $1"
)
_DASHBOARD_BY_AGENCY = (
    "SELECT a.id, a.name, a.kind,"
    " coalesce(sum(d.n) FILTER (WHERE d.role = 'LEAD'), 0) AS lead,"
    " coalesce(sum(d.n) FILTER (WHERE d.role = 'CO'), 0) AS co,"
    " coalesce(sum(d.n) FILTER (WHERE d.status <> 'CLOSED'), 0) AS open,"
    " coalesce(sum(d.n) FILTER (WHERE d.status = 'CLOSED'), 0) AS closed,"
    " coalesce(sum(d.n) FILTER (WHERE d.status <> 'CLOSED' AND d.due < $2), 0) AS overdue"
    " FROM dashboard_agency_counts d JOIN agencies a ON a.id = d.agency_id"
    " WHERE d.campaign_id = $1"
    " GROUP BY a.id, a.name, a.kind ORDER BY lead DESC, co DESC, a.name"
)


async def dashboard(pool: Pool, campaign: UUID, today: date) -> Dashboard:
    """The campaign's title and its issues: all, open (not signed off), closed, overdue
    (open and due before `today`); and per agency responsible for any (lead or
    co-responsible), in order of issues led, then co-owned, then name."""
    async with pool.acquire() as conn:  # two statements, one connection taken
        totals = await conn.fetchrow(_DASHBOARD_TOTALS, campaign, today)
        by_agency = await conn.fetch(_DASHBOARD_BY_AGENCY, campaign, today)
    assert totals is not None  # an aggregate without GROUP BY returns one row
    return Dashboard(
        totals["title"],
        totals["total"],
        totals["open"],
        totals["closed"],
        totals["overdue"],
        list(by_agency),
    )


async def position(pool: Pool) -> int:
    value = await pool.fetchval(
        "SELECT position FROM projection_tracking WHERE name = $1", TRACKING_NAME
    )
    return int(value or 0)


async def wait_for_position(pool: Pool, wanted: int, timeout: float = 3.0) -> bool:
    """Read-your-writes: poll the tracking row until it reaches `wanted`, bounded."""
    deadline = time.monotonic() + timeout
    while await position(pool) < wanted:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True
