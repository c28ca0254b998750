"""The lists behind the cockpit's figures in GraphQL (ADR 0048), keyset-paged: each list's
`totalCount` is the figure of the same arguments.

- `figureItems(campaign, asOf, filter)`: `statistics`' items (every kind) by week opened or
  closed, region, agency, kind and which count (open, closed, overdue, on time);
- `escalationsFired(campaign, rung)`: `statistics.escalations`' recorded rungs;
- `enforcementCaseList(year, campaign, region)`: the cases `enforcementCases` counts;
- `inspectedInstitutions(campaign, category, asOf)`: a coverage row's `inspected`;
- `reportList(campaign, asOf, state)`: which agencies reported a period and which did not.

Which rows a caller reads is api/authz/figures.py's table.
"""

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry
from graphql import GraphQLError

from api import cursors
from api.authz.figures import FigureList, figure_scope
from api.context import Context
from api.statistics import ItemKind
from api.types import Agency, Counted, PageInfo
from domain.calendar import OUT_OF_RANGE, is_supported_year
from projections import figure_lists as lists
from projections import queries
from projections.keyset import Keyset, Page, known

Info = strawberry.Info[Context, None]
MAX_PAGE = 200
AS_OF = strawberry.argument(description="以该日为今天 / judge as of this day (default today)")


@strawberry.enum(description="看板计数 / which count of `statistics` an item is in")
class FigureState(Enum):
    OPEN = "open"
    CLOSED = "closed"
    OVERDUE = "overdue"
    CLOSED_WITH_DUE_DATE = "judged"
    CLOSED_ON_TIME = "on_time"


@strawberry.input(description="看板件的筛选 / which of the dashboard's items to list")
class FigureItemFilter:
    kind: ItemKind | None = None
    state: FigureState | None = None
    agency: strawberry.ID | None = strawberry.field(
        default=None, description="责任单位 id / the responsible agency, as statistics.byAgency"
    )
    region: str | None = strawberry.field(
        default=None, description="责任单位所在地区 / the responsible agency's region"
    )
    no_region: bool | None = strawberry.field(
        default=None, description="责任单位未指定地区 / the byRegion row whose region is null"
    )
    opened_week: date | None = strawberry.field(
        default=None, description="该日所在周新增 / opened in the ISO week of this day"
    )
    closed_week: date | None = strawberry.field(
        default=None, description="该日所在周办结 / closed in the ISO week of this day"
    )


@strawberry.type
class FigureItem:
    id: strawberry.ID
    kind: ItemKind
    label: str
    agency: Agency = strawberry.field(description="责任单位 / the responsible agency")
    opened_at: datetime
    closed_at: datetime | None
    due_date: date | None
    overdue: bool


@strawberry.type
class FiredEscalation:
    item_id: strawberry.ID
    kind: ItemKind
    label: str
    agency: Agency
    rung: str
    at: datetime


@strawberry.type
class EnforcementCaseRow:
    id: strawberry.ID
    number: str
    filed_on: date
    region: str
    agency: Agency


@strawberry.type
class InspectedInstitution:
    id: strawberry.ID
    institution: str
    region: str | None
    first_on: date = strawberry.field(description="首次检查 / first inspected")
    last_on: date = strawberry.field(description="最近检查 / last inspected")


@strawberry.enum(description="定期报送计数 / which count of campaignProgress.reports")
class ReportState(Enum):
    DUE = "due"
    RECEIVED = "received"
    OUTSTANDING = "outstanding"
    OVERDUE = "overdue"


@strawberry.type
class AgencyReport:
    item_id: strawberry.ID
    name: str
    period: str
    agency: Agency
    due_date: date
    submitted_on: date | None = strawberry.field(
        description="报送日（asOf 之前）/ the day reported, if by asOf"
    )


@strawberry.type
class FigureItemEdge:
    cursor: str
    node: FigureItem


@strawberry.type
class FigureItemConnection(Counted):
    edges: list[FigureItemEdge]
    page_info: PageInfo


@strawberry.type
class FiredEscalationEdge:
    cursor: str
    node: FiredEscalation


@strawberry.type
class FiredEscalationConnection(Counted):
    edges: list[FiredEscalationEdge]
    page_info: PageInfo


@strawberry.type
class EnforcementCaseEdge:
    cursor: str
    node: EnforcementCaseRow


@strawberry.type
class EnforcementCaseConnection(Counted):
    edges: list[EnforcementCaseEdge]
    page_info: PageInfo


@strawberry.type
class InspectedInstitutionEdge:
    cursor: str
    node: InspectedInstitution


@strawberry.type
class InspectedInstitutionConnection(Counted):
    edges: list[InspectedInstitutionEdge]
    page_info: PageInfo


@strawberry.type
class AgencyReportEdge:
    cursor: str
    node: AgencyReport


@strawberry.type
class AgencyReportConnection(Counted):
    edges: list[AgencyReportEdge]
    page_info: PageInfo


def _agency(row: Any) -> Agency:
    return Agency.of(row, "agency_")


def _page_info(page: Page, cursors_: list[str]) -> PageInfo:
    return PageInfo(has_next_page=page.has_next, end_cursor=cursors_[-1] if cursors_ else None)


def _after(after: str | None, kind: str, keyset: Keyset) -> Any:
    return cursors.decode(after, kind, "DEFAULT", keyset) if after else None


def _cursors(page: Page, kind: str, keyset: Keyset) -> list[str]:
    return [cursors.encode(kind, "DEFAULT", keyset, row) for row in page.rows]


def _as_of(as_of: date | None, info: Info) -> date:
    if as_of is not None and not is_supported_year(as_of.year):
        raise GraphQLError(f"asOf: {as_of.year}年{OUT_OF_RANGE}", extensions={"field": "asOf"})
    return as_of or info.context.today


async def _campaign(info: Info, campaign: strawberry.ID | None) -> tuple[bool, UUID | None]:
    """(found, id): an unknown campaign lists nothing, as its figures are null or empty."""
    if campaign is None:
        return True, None
    found = await queries.resolve_campaign(info.context.pool, campaign)
    return found is not None, found


def _id(value: strawberry.ID | None, field: str) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise GraphQLError(
            f"{field}: 不是有效的 id / not a valid id: {value}", extensions={"field": field}
        ) from None


_EMPTY = PageInfo(has_next_page=False, end_cursor=None)


@strawberry.type
class FigureListQuery:
    @strawberry.field(description="看板件清单 / the items a `statistics` figure counts")
    async def figure_items(
        self,
        info: Info,
        campaign: strawberry.ID | None = None,
        as_of: Annotated[date | None, AS_OF] = None,
        filter: FigureItemFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> FigureItemConnection:
        cursors.page_size(first, MAX_PAGE)
        given, today = filter or FigureItemFilter(), _as_of(as_of, info)
        viewer = figure_scope(info.context.user, FigureList.ITEMS)
        exists, found = await _campaign(info, campaign)
        if not exists:
            return FigureItemConnection(total=known(0), edges=[], page_info=_EMPTY)
        criteria = lists.ItemFilter(
            campaign=found,
            kind=given.kind.value if given.kind else None,
            state=lists.ItemState(given.state.value) if given.state else None,
            agency=_id(given.agency, "agency"),
            region=given.region,
            no_region=bool(given.no_region),
            opened_week=given.opened_week,
            closed_week=given.closed_week,
            viewer=viewer,
        )
        keyset = lists.ITEM_ORDER
        page = await lists.items(
            info.context.pool,
            criteria,
            today,
            info.context.config.timezone,
            first,
            _after(after, "figure-item", keyset),
        )
        marks = _cursors(page, "figure-item", keyset)
        return FigureItemConnection(
            total=page.total,
            edges=[
                FigureItemEdge(
                    cursor=mark,
                    node=FigureItem(
                        id=strawberry.ID(str(r["item_id"])),
                        kind=ItemKind(r["kind"]),
                        label=r["label"],
                        agency=_agency(r),
                        opened_at=r["opened_at"],
                        closed_at=r["closed_at"],
                        due_date=r["due_date"],
                        overdue=bool(r["overdue"]),
                    ),
                )
                for r, mark in zip(page.rows, marks, strict=True)
            ],
            page_info=_page_info(page, marks),
        )

    @strawberry.field(description="已触发的督办 / the rungs `statistics.escalations` counts")
    async def escalations_fired(
        self,
        info: Info,
        campaign: strawberry.ID | None = None,
        rung: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> FiredEscalationConnection:
        cursors.page_size(first, MAX_PAGE)
        viewer = figure_scope(info.context.user, FigureList.ESCALATIONS)
        exists, found = await _campaign(info, campaign)
        if not exists:
            return FiredEscalationConnection(total=known(0), edges=[], page_info=_EMPTY)
        keyset = lists.ESCALATION_ORDER
        page = await lists.escalations(
            info.context.pool, found, rung, viewer, first, _after(after, "escalation", keyset)
        )
        marks = _cursors(page, "escalation", keyset)
        return FiredEscalationConnection(
            total=page.total,
            edges=[
                FiredEscalationEdge(
                    cursor=mark,
                    node=FiredEscalation(
                        item_id=strawberry.ID(str(r["item_id"])),
                        kind=ItemKind(r["kind"]),
                        label=r["label"],
                        agency=_agency(r),
                        rung=r["rung"],
                        at=r["at"],
                    ),
                )
                for r, mark in zip(page.rows, marks, strict=True)
            ],
            page_info=_page_info(page, marks),
        )

    @strawberry.field(description="行政处罚立案清单 / the cases `enforcementCases` counts")
    async def enforcement_case_list(
        self,
        info: Info,
        year: int,
        campaign: strawberry.ID | None = None,
        region: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> EnforcementCaseConnection:
        cursors.page_size(first, MAX_PAGE)
        viewer = figure_scope(info.context.user, FigureList.CASES)
        exists, found = await _campaign(info, campaign)
        if not exists:
            return EnforcementCaseConnection(total=known(0), edges=[], page_info=_EMPTY)
        keyset = lists.CASE_ORDER
        page = await lists.cases(
            info.context.pool,
            found,
            year,
            region,
            viewer,
            first,
            _after(after, "enforcement-case", keyset),
        )
        marks = _cursors(page, "enforcement-case", keyset)
        return EnforcementCaseConnection(
            total=page.total,
            edges=[
                EnforcementCaseEdge(
                    cursor=mark,
                    node=EnforcementCaseRow(
                        id=strawberry.ID(str(r["case_id"])),
                        number=r["number"],
                        filed_on=r["filed_on"],
                        region=r["region"],
                        agency=_agency(r),
                    ),
                )
                for r, mark in zip(page.rows, marks, strict=True)
            ],
            page_info=_page_info(page, marks),
        )

    @strawberry.field(description="已检查机构 / a coverage target's inspected institutions")
    async def inspected_institutions(
        self,
        info: Info,
        campaign: strawberry.ID,
        category: str,
        as_of: Annotated[date | None, AS_OF] = None,
        first: int = 50,
        after: str | None = None,
    ) -> InspectedInstitutionConnection:
        cursors.page_size(first, MAX_PAGE)
        figure_scope(info.context.user, FigureList.INSPECTIONS)
        today = _as_of(as_of, info)
        _, found = await _campaign(info, campaign)
        if found is None:
            return InspectedInstitutionConnection(total=known(0), edges=[], page_info=_EMPTY)
        keyset = lists.INSPECTION_ORDER
        page = await lists.inspections(
            info.context.pool, found, category, today, first, _after(after, "inspection", keyset)
        )
        marks = _cursors(page, "inspection", keyset)
        return InspectedInstitutionConnection(
            total=page.total,
            edges=[
                InspectedInstitutionEdge(
                    cursor=mark,
                    node=InspectedInstitution(
                        id=strawberry.ID(str(r["inspection_id"])),
                        institution=r["institution"],
                        region=r["region"],
                        first_on=r["first_on"],
                        last_on=r["last_on"],
                    ),
                )
                for r, mark in zip(page.rows, marks, strict=True)
            ],
            page_info=_page_info(page, marks),
        )

    @strawberry.field(description="定期报送清单 / which agencies reported and which did not")
    async def report_list(
        self,
        info: Info,
        campaign: strawberry.ID,
        state: ReportState = ReportState.DUE,
        as_of: Annotated[date | None, AS_OF] = None,
        first: int = 50,
        after: str | None = None,
    ) -> AgencyReportConnection:
        cursors.page_size(first, MAX_PAGE)
        viewer = figure_scope(info.context.user, FigureList.REPORTS)
        today = _as_of(as_of, info)
        _, found = await _campaign(info, campaign)
        if found is None:
            return AgencyReportConnection(total=known(0), edges=[], page_info=_EMPTY)
        keyset = lists.REPORT_ORDER
        page = await lists.reports(
            info.context.pool,
            found,
            today,
            lists.ReportState(state.value),
            viewer,
            first,
            _after(after, "report", keyset),
        )
        marks = _cursors(page, "report", keyset)
        return AgencyReportConnection(
            total=page.total,
            edges=[
                AgencyReportEdge(
                    cursor=mark,
                    node=AgencyReport(
                        item_id=strawberry.ID(str(r["item_id"])),
                        name=r["name"],
                        period=r["period"],
                        agency=_agency(r),
                        due_date=r["due_date"],
                        submitted_on=r["submitted_on"],
                    ),
                )
                for r, mark in zip(page.rows, marks, strict=True)
            ],
            page_info=_page_info(page, marks),
        )
