"""Read resolvers: thin, each one asyncpg query (or two) through projections.queries.

Issues are read as api/authz/issues.py's READ_ISSUE says: agency staff see the issues their
agency leads or co-owns (another's is null, as if it did not exist, and lists leave it
out); campaigns, agencies, `me`, `systemStatus` and the dashboard's counts are open.
"""

from enum import Enum
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from api import cursors
from api.auth import Role, User
from api.authz import Action, issue_scope, may
from api.commands import parse_id
from api.context import Context
from api.types import (
    Agency,
    AgencyCounts,
    Campaign,
    ClockFault,
    Dashboard,
    FollowerStatus,
    Issue,
    IssueConnection,
    IssueEdge,
    IssueStatus,
    Me,
    PageInfo,
    ParkedEvent,
    RoleType,
    SystemStatus,
)
from domain.errors import InvalidInput
from projections import parked, queries, status
from projections.keyset import known
from workflows.clock_faults import clock_faults

Info = strawberry.Info[Context, None]
MAX_PAGE = 200


@strawberry.input
class IssueFilter:
    campaign: strawberry.ID | None = strawberry.field(default=None, description="id or title")
    status: IssueStatus | None = None
    agency: strawberry.ID | None = strawberry.field(
        default=None, description="id, name or alias; issues it leads or co-owns"
    )
    overdue: bool | None = None
    pending_extension: bool | None = strawberry.field(
        default=None, description="延期待审批 / an extension asked for and not yet decided"
    )


@strawberry.enum(description="问题列表排序 / orders of the issue list")
class IssueOrder(Enum):
    LEDGER = strawberry.enum_value("LEDGER", description="台账顺序 / as registered in the ledger")
    DUE = strawberry.enum_value(
        "DUE", description="时限最近在前，无时限在后 / soonest due first, ongoing last"
    )
    UPDATED = strawberry.enum_value(
        "UPDATED", description="最近变动在前 / most recently changed first"
    )


_NOTHING = IssueConnection(
    total=known(0), edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
)


def may_read_issue(user: User, row: queries.IssueRow) -> bool:
    """`row` as projections.queries gives an issue: its lead and co-agencies."""
    co = [UUID(str(a["id"])) for a in row["co_agencies"]]
    return may(user, Action.READ_ISSUE, row["lead_agency_id"], [row["lead_agency_id"], *co])


@strawberry.type
class Query:
    @strawberry.field
    async def campaigns(self, info: Info) -> list[Campaign]:
        rows = await queries.campaigns(info.context.pool)
        return [Campaign(id=strawberry.ID(str(r["id"])), title=r["title"]) for r in rows]

    @strawberry.field
    async def agencies(self, info: Info) -> list[Agency]:
        return [Agency.of(r) for r in await queries.agencies(info.context.pool)]

    @strawberry.field
    async def issues(
        self,
        info: Info,
        filter: IssueFilter | None = None,
        first: int = 50,
        after: str | None = None,
        order_by: IssueOrder = IssueOrder.LEDGER,
    ) -> IssueConnection:
        pool, given = info.context.pool, filter or IssueFilter()
        cursors.page_size(first, MAX_PAGE)
        campaign = agency = None
        if given.campaign is not None:
            campaign = await queries.resolve_campaign(pool, given.campaign)
            if campaign is None:
                return _NOTHING
        if given.agency is not None:
            agency = await queries.resolve_agency(pool, given.agency)
            if agency is None:
                return _NOTHING
        criteria = queries.IssueFilter(
            campaign,
            given.status.value if given.status else None,
            agency,
            given.overdue,
            given.pending_extension,
            viewer_agency_id=issue_scope(info.context.user),
        )
        order = order_by.name  # each member's name is its value (strawberry.enum_value)
        keyset = queries.ISSUE_ORDERS[order]
        page = await queries.issue_page(
            pool,
            criteria,
            info.context.today,
            first,
            cursors.decode(after, "issue", order, keyset) if after else None,
            order,
        )
        edges = [
            IssueEdge(cursor=cursors.encode("issue", order, keyset, r), node=Issue.of(r))
            for r in page.rows
        ]
        end = edges[-1].cursor if edges else None
        return IssueConnection(
            total=page.total,
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=end),
        )

    @strawberry.field
    async def issue(self, info: Info, id: strawberry.ID) -> Issue | None:
        try:
            item = parse_id(id, "id")
        except InvalidInput:
            return None
        row = await queries.issue_by_id(info.context.pool, item, info.context.today)
        if row is None or not may_read_issue(info.context.user, row):
            return None
        return Issue.of(row)

    @strawberry.field
    async def dashboard(self, info: Info, campaign: strawberry.ID) -> Dashboard | None:
        pool = info.context.pool
        found = await queries.resolve_campaign(pool, campaign)
        if found is None:
            return None
        counts = await queries.dashboard(pool, found, info.context.today)
        return Dashboard(
            campaign=Campaign(id=strawberry.ID(str(found)), title=counts.title),
            total_issues=counts.total,
            open=counts.open,
            closed=counts.closed,
            overdue=counts.overdue,
            by_agency=[
                AgencyCounts(
                    agency=Agency.of(r),
                    lead=r["lead"],
                    co_responsible=r["co"],
                    open=r["open"],
                    closed=r["closed"],
                    overdue=r["overdue"],
                )
                for r in counts.by_agency
            ],
        )

    @strawberry.field(description="每个读模型与调度器的进度 / how far behind each follower is")
    async def system_status(self, info: Info) -> SystemStatus:
        found = await status.log_status(info.context.pool)
        count, latest = await parked.parked_events(info.context.pool)
        operator = info.context.user.role in (Role.COORDINATOR, Role.AUDITOR, Role.ADMIN)
        return SystemStatus(
            head=found.head,
            followers=[
                FollowerStatus(name=f.name, kind=f.kind, position=f.position, lag=f.lag)
                for f in found.followers
            ],
            parked_count=count,
            parked=[
                ParkedEvent(
                    follower=p.follower,
                    position=p.position,
                    item_id=strawberry.ID(str(p.originator_id)),
                    version=p.originator_version,
                    topic=p.topic,
                    outcome=p.outcome,
                    error=p.error,
                    parked_at=p.parked_at,
                )
                for p in (latest if operator else [])
            ],
            clock_faults=[
                ClockFault(
                    kind=f.kind, item_id=strawberry.ID(str(f.item_id)), error=f.error, at=f.at
                )
                for f in (await clock_faults(info.context.pool) if operator else [])
            ],
            projection_runner=found.projection_runner,
        )

    @strawberry.field
    async def me(self, info: Info) -> Me:
        user = info.context.user
        agency = None
        if user.agency_id:
            try:
                row = await queries.agency(info.context.pool, parse_id(user.agency_id, "agency"))
            except InvalidInput:
                row = None
            agency = (
                Agency.of(row)
                if row
                else Agency(id=strawberry.ID(user.agency_id), name=user.agency_name or "")
            )
        account = await run_in_threadpool(info.context.app.find_account, user.subject)
        return Me(
            subject=user.subject,
            role=RoleType(user.role.value),
            agency=agency,
            region=user.region,
            display_name=account.display_name if account else None,
        )
