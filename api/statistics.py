"""The dashboard figures in GraphQL (ADR 0018): `statistics(campaign, asOf)`.

Each figure is a field with its own resolver, so a request runs only the aggregate
queries it asks for. Definitions (what is on time, which due day, the percentile method,
week boundaries) are in projections.statistics_queries and ADR 0018.
"""

from datetime import date
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool

from api import cursors
from api.authz import issue_scope
from api.context import Context
from api.types import Agency, Campaign
from domain.calendar import OUT_OF_RANGE, WorkingCalendar, is_supported_year
from domain.clocks import DEFAULT_LADDER
from infrastructure.stored_calendar import StoredCalendar
from projections import queries
from projections import statistics_queries as figures

Info = strawberry.Info[Context, None]
MAX_OVERDUE = 200
MAX_WEEKS = 104


@strawberry.enum
class ItemKind(Enum):
    ISSUE = "issue"  # 问题
    REFERRAL = "referral"  # 移送/转办
    CLUE = "clue"  # 线索
    CASE_TRANSFER = "case_transfer"  # 行刑衔接


@strawberry.type(description="件数 / counts of items")
class Counts:
    open: int
    closed: int
    overdue: int
    closed_with_due_date: int = strawberry.field(
        description="有期限的已办结件 / closed items that had a due date in force"
    )
    closed_on_time: int = strawberry.field(
        description="按期办结 / closed on or before the due date in force when closed"
    )

    @strawberry.field(description="按期办结率 / closed on time ÷ closed with a due date")
    def on_time_rate(self) -> float | None:
        if not self.closed_with_due_date:
            return None
        return self.closed_on_time / self.closed_with_due_date

    @classmethod
    def of(cls, row: figures.CountsRow) -> "Counts":
        return cls(
            open=row.open,
            closed=row.closed,
            overdue=row.overdue,
            closed_with_due_date=row.judged,
            closed_on_time=row.on_time,
        )


@strawberry.type
class KindCounts:
    kind: ItemKind
    counts: Counts


@strawberry.type
class AgencyFigures:
    agency: Agency
    counts: Counts


@strawberry.type
class RegionFigures:
    region: str | None = strawberry.field(
        description="地区；空为未指定地区的单位 / region; null: agencies with none assigned"
    )
    counts: Counts


@strawberry.type(description="小时 / hours; nearest-rank percentiles")
class ReferralTimes:
    agency: Agency = strawberry.field(description="接收单位 / the receiving agency")
    claimed: int
    answered: int
    claim_median_hours: float | None
    claim_p90_hours: float | None
    answer_median_hours: float | None
    answer_p90_hours: float | None


@strawberry.type
class RungCount:
    rung: str
    count: int


@strawberry.type
class OverdueItem:
    id: strawberry.ID
    kind: ItemKind
    label: str
    agency: Agency
    due_date: date
    working_days_overdue: int


@strawberry.type
class OverdueList:
    total_count: int
    items: list[OverdueItem]


@strawberry.type
class WeekCounts:
    week_start: date = strawberry.field(description="周一 / the ISO week's Monday")
    opened: int
    closed: int


RUNG_ORDER = [rung.name for rung in DEFAULT_LADDER.rungs]


@strawberry.type(
    description="看板数据 / dashboard figures; without a campaign: every item, those "
    "linked to no campaign included"
)
class Statistics:
    campaign: Campaign | None
    as_of: date
    campaign_id: strawberry.Private[UUID | None]

    @strawberry.field(description="合计 / all kinds together")
    async def total(self, info: Info) -> Counts:
        rows = await figures.by_kind(
            info.context.pool, self.campaign_id, self.as_of, info.context.config.timezone
        )
        return Counts.of(next(r.counts for r in rows if r.kind is None))

    @strawberry.field(
        description="按类型 / by item kind (issues, referrals, clues, case transfers)"
    )
    async def by_kind(self, info: Info) -> list[KindCounts]:
        rows = await figures.by_kind(
            info.context.pool, self.campaign_id, self.as_of, info.context.config.timezone
        )
        return [
            KindCounts(kind=ItemKind(r.kind), counts=Counts.of(r.counts))
            for r in rows
            if r.kind is not None
        ]

    @strawberry.field(
        description="按责任单位 / by responsible agency: an issue's lead agency, a "
        "referral's current receiver, a clue's receiving agency, a transfer's sending agency"
    )
    async def by_agency(self, info: Info) -> list[AgencyFigures]:
        rows = await figures.by_agency(
            info.context.pool, self.campaign_id, self.as_of, info.context.config.timezone
        )
        return [
            AgencyFigures(agency=Agency.of_ref(r.agency), counts=Counts.of(r.counts)) for r in rows
        ]

    @strawberry.field(
        description="按地区 / by the region of the responsible agency "
        "(`rectify agency add NAME --region R`)"
    )
    async def by_region(self, info: Info) -> list[RegionFigures]:
        rows = await figures.by_region(
            info.context.pool, self.campaign_id, self.as_of, info.context.config.timezone
        )
        return [RegionFigures(region=r.region, counts=Counts.of(r.counts)) for r in rows]

    @strawberry.field(description="移送签收、反馈用时 / referral times per receiving agency")
    async def referral_times(self, info: Info) -> list[ReferralTimes]:
        rows = await figures.referral_times(info.context.pool, self.campaign_id)
        return [
            ReferralTimes(
                agency=Agency.of_ref(r.agency),
                claimed=r.claimed,
                answered=r.answered,
                claim_median_hours=r.claim_median,
                claim_p90_hours=r.claim_p90,
                answer_median_hours=r.answer_median,
                answer_p90_hours=r.answer_p90,
            )
            for r in rows
        ]

    @strawberry.field(description="提醒、逾期与各级督办次数 / recorded rungs, ladder order")
    async def escalations(self, info: Info) -> list[RungCount]:
        rows = await figures.escalations(info.context.pool, self.campaign_id)
        found = {r.rung: r.count for r in rows}
        order = [r for r in RUNG_ORDER if r in found] + sorted(set(found) - set(RUNG_ORDER))
        return [RungCount(rung=rung, count=found[rung]) for rung in order]

    @strawberry.field(description="逾期清单 / overdue items, most working days overdue first")
    async def overdue(self, info: Info, first: int = 50) -> OverdueList:
        cursors.page_size(first, MAX_OVERDUE)
        # the list names items (an issue's problem, a referral's reason): agency staff see
        # their own agency's, like the items themselves; the counts stay everyone's
        page = await figures.overdue(
            info.context.pool,
            self.campaign_id,
            self.as_of,
            first,
            issue_scope(info.context.user),
        )
        calendar = StoredCalendar(info.context.app)
        days = await run_in_threadpool(_working_days, calendar, page.rows, self.as_of)
        return OverdueList(
            total_count=page.total,
            items=[
                OverdueItem(
                    id=strawberry.ID(str(r.item_id)),
                    kind=ItemKind(r.kind),
                    label=r.label,
                    agency=Agency.of_ref(r.agency),
                    due_date=r.due_date,
                    working_days_overdue=n,
                )
                for r, n in zip(page.rows, days, strict=True)
            ],
        )

    @strawberry.field(description="每周新增与办结 / opened vs closed per ISO week")
    async def weekly(self, info: Info, weeks: int = 12) -> list[WeekCounts]:
        cursors.page_size(weeks, MAX_WEEKS, "weeks")
        rows = await figures.weekly(
            info.context.pool, self.campaign_id, self.as_of, info.context.config.timezone, weeks
        )
        return [WeekCounts(week_start=r.monday, opened=r.opened, closed=r.closed) for r in rows]


def _working_days(
    calendar: WorkingCalendar, rows: list[figures.OverdueRow], today: date
) -> list[int]:
    """Working days in (due day, today]: on the first working day after the due day, 1."""
    return [calendar.working_days_between(r.due_date, today) for r in rows]


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="看板数据 / dashboard figures")
    async def statistics(
        self,
        info: Info,
        campaign: strawberry.ID | None = None,
        as_of: Annotated[
            date | None,
            strawberry.argument(description="以该日为今天 / judge as of this day (default today)"),
        ] = None,
    ) -> Statistics | None:
        if as_of is not None and not is_supported_year(as_of.year):
            # working days overdue are counted on the calendar: it has no such year
            raise GraphQLError(f"asOf: {as_of.year}年{OUT_OF_RANGE}", extensions={"field": "asOf"})
        pool, found, shown = info.context.pool, None, None
        if campaign is not None:
            found = await queries.resolve_campaign(pool, campaign)
            if found is None:
                return None
            title = await queries.campaign_title(pool, found)
            shown = Campaign(id=strawberry.ID(str(found)), title=title)
        return Statistics(campaign=shown, as_of=as_of or info.context.today, campaign_id=found)
