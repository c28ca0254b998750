"""Campaign progress in GraphQL (ADR 0020): `campaignProgress(campaign, asOf)`, the
law-enforcement case counts per region `enforcementCases(campaign, year)`, and the commands
that feed them (coverage targets, the case threshold, inspections, cases)."""

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated
from uuid import UUID

import strawberry

from api import commands
from api.authz import Action, authorize
from api.context import Context
from api.results import (
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from api.types import Campaign, Phase, _phases
from domain.application import CommandResult, RectifyApp
from domain.errors import InvalidInput
from domain.names import campaign_id
from projections import progress_queries as progress
from projections import queries

Info = strawberry.Info[Context, None]


@strawberry.type(description="定期报送 / agencies' periodic reports, one per agency and period")
class ReportCounts:
    due: int = strawberry.field(description="已开始的应报 / owed by periods opened by asOf")
    received: int = strawberry.field(description="已报送 / submitted by asOf")
    outstanding: int = strawberry.field(description="未报送 / not submitted by asOf")
    overdue: int = strawberry.field(description="逾期未报 / not submitted, due before asOf")


@strawberry.type(description="检查覆盖 / inspection coverage of one institution category")
class Coverage:
    category: str
    region: str | None
    population: int = strawberry.field(description="范围内机构数 / institutions in scope")
    required_percent: int = strawberry.field(description="要求覆盖比例 % / required share")
    inspected: int = strawberry.field(description="已检查机构数 / distinct institutions")
    percent: Decimal = strawberry.field(description="实际覆盖 % (一位小数) / share, 0.1 %")
    met: bool = strawberry.field(description="inspected ÷ population ≥ required share")


@strawberry.type(description="行政处罚立案数 / law-enforcement cases of one region in a year")
class RegionCases:
    region: str
    count: int
    threshold: int
    below_threshold: bool = strawberry.field(description="count < threshold")


@strawberry.type
class CampaignProgress:
    campaign: Campaign
    as_of: date
    campaign_id: strawberry.Private[UUID]

    @strawberry.field(description="阶段 / phases in date order")
    async def phases(self, info: Info) -> list[Phase]:
        return await _phases(info, str(self.campaign_id))

    @strawberry.field(description="asOf 所在阶段 / the phase whose dates contain asOf")
    async def current_phase(self, info: Info) -> Phase | None:
        phases = await _phases(info, str(self.campaign_id))
        return next((p for p in phases if p.starts <= self.as_of <= p.ends), None)

    @strawberry.field
    async def reports(self, info: Info) -> ReportCounts:
        row = await progress.reports(info.context.pool, self.campaign_id, self.as_of)
        return ReportCounts(
            due=row.due, received=row.received, outstanding=row.outstanding, overdue=row.overdue
        )

    @strawberry.field
    async def coverage(self, info: Info) -> list[Coverage]:
        rows = await progress.coverage(info.context.pool, self.campaign_id, self.as_of)
        return [
            Coverage(
                category=r.category,
                region=r.region,
                population=r.population,
                required_percent=r.required_percent,
                inspected=r.inspected,
                percent=share(r.inspected, r.population),
                met=r.inspected * 100 >= r.required_percent * r.population,
            )
            for r in rows
        ]


def share(inspected: int, population: int) -> Decimal:
    return (Decimal(inspected * 100) / population).quantize(Decimal("0.1"), ROUND_HALF_UP)


@strawberry.type
class ProgressQuery:
    @strawberry.field(description="专项行动进度 / campaign progress as of a day")
    async def campaign_progress(
        self,
        info: Info,
        campaign: strawberry.ID,
        as_of: Annotated[
            date | None,
            strawberry.argument(description="以该日为今天 / judge as of this day (default today)"),
        ] = None,
    ) -> CampaignProgress | None:
        pool = info.context.pool
        found = await queries.resolve_campaign(pool, campaign)
        if found is None:
            return None
        title = await queries.campaign_title(pool, found)
        return CampaignProgress(
            campaign=Campaign(id=strawberry.ID(str(found)), title=title),
            as_of=as_of or info.context.today,
            campaign_id=found,
        )

    @strawberry.field(
        description="各地区行政处罚立案数 / law-enforcement cases per region in a calendar year"
    )
    async def enforcement_cases(
        self, info: Info, year: int, campaign: strawberry.ID | None = None
    ) -> list[RegionCases]:
        pool, found = info.context.pool, None
        if campaign is not None:
            found = await queries.resolve_campaign(pool, campaign)
            if found is None:
                return []
        limit = await progress.threshold(pool, found)
        rows = await progress.cases_by_region(pool, found, year)
        return [
            RegionCases(
                region=r.region,
                count=r.count,
                threshold=limit,
                below_threshold=r.count < limit,
            )
            for r in rows
        ]


@strawberry.type
class ProgressChanged:
    id: strawberry.ID
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


ProgressResult = Annotated[
    ProgressChanged
    | NotAllowedResult
    | InvalidTransitionResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("ProgressResult"),
]


def _campaign(key: str) -> UUID:
    """By id or by title; an unknown one is refused by the command as NotFound."""
    try:
        return UUID(str(key).strip())
    except ValueError:
        return campaign_id(str(key))


async def _run(info: Info, command: Callable[[RectifyApp], CommandResult]) -> ProgressChanged:
    context = info.context
    # Nothing in the result is read from the read side: no wait (api/freshness.py).
    result = await commands.run_command(context, command)
    return ProgressChanged(id=strawberry.ID(str(result.id)), position=result.position)


def _own_agency(info: Info, action: Action) -> UUID:
    """Inspections and cases are recorded by staff for the agency of their token."""
    user = info.context.user
    agency = commands.parse_id(user.agency_id, "agency") if user.agency_id else None
    authorize(user, action, acting_for=agency)
    if agency is None:  # authorize refuses a caller without an agency; kept for the type
        raise InvalidInput("agency", "调用者不属于任何单位 / the caller has no agency")
    return agency


@strawberry.type
class ProgressMutation:
    @strawberry.mutation(
        description="设定检查覆盖目标 / set a coverage target; the same category replaces it"
    )
    async def set_coverage_target(
        self,
        info: Info,
        campaign: strawberry.ID,
        category: str,
        population: int,
        required_percent: int,
        region: str | None = None,
    ) -> ProgressResult:
        authorize(info.context.user, Action.SET_COVERAGE_TARGET)
        who = commands.actor(info.context)
        return await _run(
            info,
            lambda app: app.set_coverage_target(
                _campaign(campaign), category, population, required_percent, who, region
            ),
        )

    @strawberry.mutation(description="设定立案数阈值 / cases a year below which a region is named")
    async def set_case_threshold(
        self, info: Info, campaign: strawberry.ID, threshold: int
    ) -> ProgressResult:
        authorize(info.context.user, Action.SET_COVERAGE_TARGET)
        who = commands.actor(info.context)
        return await _run(
            info, lambda app: app.set_case_threshold(_campaign(campaign), threshold, who)
        )

    @strawberry.mutation(description="登记检查 / record an inspection by the caller's agency")
    async def record_inspection(
        self,
        info: Info,
        campaign: strawberry.ID,
        institution: str,
        category: str,
        on: date,
        findings: str = "",
        region: str | None = None,
    ) -> ProgressResult:
        agency = _own_agency(info, Action.RECORD_INSPECTION)
        who = commands.actor(info.context)
        return await _run(
            info,
            lambda app: app.record_inspection(
                _campaign(campaign), institution, category, agency, on, findings, who, region
            ),
        )

    @strawberry.mutation(description="登记行政处罚立案 / file a case for the caller's agency")
    async def file_enforcement_case(
        self,
        info: Info,
        number: str,
        filed_on: date,
        campaign: strawberry.ID | None = None,
    ) -> ProgressResult:
        agency = _own_agency(info, Action.FILE_ENFORCEMENT_CASE)
        who = commands.actor(info.context)
        linked = _campaign(campaign) if campaign is not None else None
        return await _run(
            info, lambda app: app.file_enforcement_case(agency, number, filed_on, who, linked)
        )
