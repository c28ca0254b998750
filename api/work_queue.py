"""`workQueue`: the caller's to-do list across every kind of item (我的待办, ADR 0044).

Rows come from projections.work_queue_queries in one keyset-paged query; who sees which
rows and which steps each offers is api/authz/work_queue.py. Working days left or overdue
are counted here, on the official working calendar, the way the dashboard's overdue list
counts them (`WorkingCalendar.working_days_between`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool

from api import cursors
from api.authz import work_queue as authz
from api.authz.core import NotAllowedError
from api.authz.work_queue import steps_by_row, work_scope
from api.context import Context
from api.types import Agency, Campaign, CountedByList, PageInfo, count_if_asked
from domain.application import RectifyApp
from domain.calendar import WorkingCalendar, is_supported_year
from domain.campaigns import ExtensionApprovers
from infrastructure.stored_calendar import StoredCalendar
from projections import queries
from projections import work_queue_queries as q

Info = strawberry.Info[Context, None]
MAX_PAGE = 100
MAX_SEARCH = 100
CURSOR_KIND = "work"


@strawberry.enum(description="待办类型 / kinds of work queue rows")
class WorkKind(Enum):
    REFERRAL_TO_CLAIM = strawberry.enum_value(
        q.REFERRAL_TO_CLAIM,
        description="待签收的移送（协调办：未签收，可重新指派） / a referral to claim "
        "(the office: unclaimed, to reassign)",
    )
    REFERRAL_TO_ANSWER = strawberry.enum_value(
        q.REFERRAL_TO_ANSWER, description="待反馈的移送 / a claimed referral to answer"
    )
    REFERRAL_TO_ACCEPT = strawberry.enum_value(
        q.REFERRAL_TO_ACCEPT,
        description="待确认办结的移送 / an answered referral the sending agency accepts",
    )
    REFERRAL_TO_REASSIGN = strawberry.enum_value(
        q.REFERRAL_TO_REASSIGN, description="被退回待重新指派 / a returned referral"
    )
    ISSUE_TO_REPORT = strawberry.enum_value(
        q.ISSUE_TO_REPORT,
        description="整改中的问题：报告进展、提交核验、申请延期 / an open issue of the "
        "agency: report progress, submit for verification, request an extension",
    )
    ISSUE_TO_VERIFY = strawberry.enum_value(
        q.ISSUE_TO_VERIFY, description="待核验销号 / an issue submitted for verification"
    )
    EXTENSION_TO_DECIDE = strawberry.enum_value(
        q.EXTENSION_TO_DECIDE, description="待审批的延期申请 / a pending extension request"
    )
    CLUE_TO_HANDLE = strawberry.enum_value(
        q.CLUE_TO_HANDLE,
        description="待分办、办理或答复的线索 / a clue to triage, conclude or reply on",
    )
    CASE_TRANSFER_STEP = strawberry.enum_value(
        q.CASE_TRANSFER_STEP,
        description="行刑衔接或纪检移送中本单位的下一步 / the agency's next step of a case "
        "or discipline transfer",
    )
    REPORT_DUE = strawberry.enum_value(
        q.REPORT_DUE, description="待报送的定期报告 / a periodic report the agency owes"
    )


@strawberry.enum(description="待办排序 / orders of the work queue")
class WorkOrder(Enum):
    DUE = strawberry.enum_value(
        "DUE", description="期限最近在前，无期限在后 / soonest due first, undated last"
    )
    RECEIVED = strawberry.enum_value(
        "RECEIVED", description="最近收到在前 / most recently received first"
    )


@strawberry.input
class WorkQueueFilter:
    kinds: list[WorkKind] | None = strawberry.field(
        default=None, description="只看这些类型 / only these kinds"
    )
    campaign: strawberry.ID | None = strawberry.field(default=None, description="id or title")
    overdue: bool | None = strawberry.field(
        default=None, description="true：仅逾期；false：仅未逾期 / only overdue, or only not"
    )
    search: str | None = strawberry.field(
        default=None, description="标题或文号包含 / the title or reference contains it"
    )


@strawberry.type(description="可办理的下一步 / a step the caller may take next")
class WorkStep:
    mutation: str = strawberry.field(description="办理该步的 mutation / the mutation to call")
    label: str = strawberry.field(description="中文 / English")


@strawberry.type(description="一条待办 / one row of the work queue")
class WorkItem:
    kind: WorkKind
    id: strawberry.ID = strawberry.field(description="事项的 id / the item's id")
    title: str = strawberry.field(description="问题、移送事由、线索或案由 / what it is about")
    reference: str = strawberry.field(
        description="编号、文号或报送期 / number, case number or reporting period"
    )
    status: str = strawberry.field(description="事项的状态 / the item's state")
    campaign: Campaign | None
    agency: Agency | None = strawberry.field(
        description="办理这一步的单位 / the agency whose step it is"
    )
    due_date: date | None = strawberry.field(description="期限（北京时间）/ due day (CST)")
    working_days_left: int | None = strawberry.field(
        description="剩余工作日（负数：已逾期工作日）；无期限或日历不支持该年为空 / working "
        "days left, negative when overdue (the dashboard's count); null: undated, or a "
        "year the calendar does not cover"
    )
    overdue: bool = strawberry.field(description="期限已过 / due day before today")
    received_at: datetime = strawberry.field(
        description="收到时间：移送发出、问题登记、线索收到、报送期开始；待验收、待核验、延期、"
        "行刑衔接各步为最近一次变动 / when it came in: a referral sent, an issue registered, "
        "a clue received, a report period opened; an answer to accept, an issue to verify, "
        "an extension or a transfer step: its last change"
    )
    steps: list[WorkStep] = strawberry.field(
        description="当前用户可办理的下一步，按权限表 / the steps the caller may take next"
    )


@strawberry.type
class WorkItemEdge:
    node: WorkItem
    row: strawberry.Private[Any]
    order: strawberry.Private[str]

    @strawberry.field(description="此行的游标 / this row's cursor")
    def cursor(self) -> str:
        """Encoded when asked: the workbench pages from `pageInfo.endCursor` alone, and
        twenty cursors took about 165 µs of a queue page's 4–5 ms of CPU (ADR 0081)."""
        return cursors.encode(CURSOR_KIND, self.order, q.WORK_ORDERS[self.order], self.row)


@strawberry.type
class WorkQueueConnection(CountedByList):
    edges: list[WorkItemEdge]
    page_info: PageInfo


def working_days_left(calendar: WorkingCalendar, due: date | None, today: date) -> int | None:
    """Working days in (today, due] while due; once past, minus those in (due, today] —
    the dashboard's `workingDaysOverdue`, negated. None undated or beyond the calendar."""
    if due is None or not (is_supported_year(due.year) and is_supported_year(today.year)):
        return None
    if due < today:
        return -calendar.working_days_between(due, today)
    return calendar.working_days_between(today, due)


def days_left(app: RectifyApp, rows: list[Any], today: date) -> list[int | None]:
    """Each row's working days left, counted once per due date: a page's rows often share
    one (a campaign's deadline), and each count walks the calendar day by day."""
    calendar = StoredCalendar(app)
    counted: dict[date | None, int | None] = {}
    left = []
    for row in rows:
        due = row["due"]
        if due not in counted:
            counted[due] = working_days_left(calendar, due, today)
        left.append(counted[due])
    return left


def _approvers(app: RectifyApp, campaigns: Iterable[UUID]) -> dict[UUID, ExtensionApprovers]:
    return {item: app.get_campaign(item).approvers() for item in campaigns}


def _shown(steps: list[authz.WorkStep]) -> list[WorkStep]:
    return [WorkStep(mutation=s.mutation, label=s.label) for s in steps]


def _item(row: Any, steps: list[WorkStep], days: int | None, today: date) -> WorkItem:
    campaign = None
    if row["campaign_id"] is not None:
        campaign = Campaign(id=strawberry.ID(str(row["campaign_id"])), title=row["campaign_title"])
    return WorkItem(
        kind=WorkKind[row["kind"]],
        id=strawberry.ID(str(row["item_id"])),
        title=row["title"],
        reference=row["reference"],
        status=row["status"],
        campaign=campaign,
        agency=Agency.of(row, "agency_") if row["agency_name"] is not None else None,
        due_date=row["due"],
        working_days_left=days,
        overdue=row["due"] is not None and row["due"] < today,
        received_at=row["received_at"],
        steps=steps,
    )


@strawberry.type
class WorkQueueQuery:
    @strawberry.field(
        description="我的待办 / the caller's work queue across every kind: its own agency's "
        "items (agency staff) or the office's campaign-wide ones (coordinators, admins; "
        "leadership: pending extensions); refused to a role that takes no steps (auditor)"
    )
    async def work_queue(
        self,
        info: Info,
        filter: WorkQueueFilter | None = None,
        first: int = 20,
        after: str | None = None,
        order_by: WorkOrder = WorkOrder.DUE,
    ) -> WorkQueueConnection:
        context, given = info.context, filter or WorkQueueFilter()
        cursors.page_size(first, MAX_PAGE)
        try:
            scope = work_scope(context.user)
        except NotAllowedError as refused:
            raise GraphQLError(refused.message, extensions={"code": "NOT_ALLOWED"}) from None
        if given.search is not None and len(given.search) > MAX_SEARCH:
            raise GraphQLError(
                f"filter.search: 不超过 {MAX_SEARCH} 字 / at most {MAX_SEARCH} characters",
                extensions={"field": "filter.search"},
            )
        campaign = None
        if given.campaign is not None:
            campaign = await queries.resolve_campaign(context.pool, given.campaign)
            if campaign is None:
                return WorkQueueConnection(
                    total_count=0,
                    edges=[],
                    page_info=PageInfo(has_next_page=False, end_cursor=None),
                )
        order, keyset = order_by.name, q.WORK_ORDERS[order_by.name]
        today = context.today
        page = await q.work_page(
            context.pool,
            scope,
            q.WorkFilter(
                [k.name for k in given.kinds] if given.kinds is not None else None,
                campaign,
                given.overdue,
                given.search.strip() if given.search else None,
                today,
            ),
            context.config.timezone,
            first,
            cursors.decode(after, CURSOR_KIND, order, keyset) if after else None,
            order,
        )
        days = await run_in_threadpool(days_left, context.app, page.rows, today)
        deciding = {r["campaign_id"] for r in page.rows if r["kind"] == q.EXTENSION_TO_DECIDE}
        rules = await run_in_threadpool(_approvers, context.app, deciding) if deciding else {}
        # rows that agree on what their steps depend on share them (ADR 0070)
        steps = steps_by_row(context.user, page.rows, rules, _shown)
        edges = [
            WorkItemEdge(node=_item(r, s, n, today), row=r, order=order)
            for r, s, n in zip(page.rows, steps, days, strict=True)
        ]
        return WorkQueueConnection(
            total_count=await count_if_asked(info, page.total),
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=edges[-1].cursor() if edges else None,
            ),
        )
