"""Submitting a periodic report (报送) through GraphQL: the item's id comes with its
reminder in the inbox. Who may: api/authz/issues.py's SUBMIT_REPORT (a liaison for its own
agency; a coordinator or admin records a report for any agency that owes it)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from api.authz import Action, authorize, authorize_role
from api.commands import actor, find_agency, parse_id, run_command
from api.context import Context
from api.results import (
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from domain.application import CommandResult, RectifyApp
from domain.errors import InvalidInput
from domain.messages import says

Info = strawberry.Info[Context, None]


@strawberry.type
class ReportSubmitted:
    id: strawberry.ID
    outstanding: int = strawberry.field(description="agencies that still have to report")
    position: int | None


SubmitReportResult = Annotated[
    ReportSubmitted
    | NotAllowedResult
    | InvalidTransitionResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("SubmitReportResult"),
]


@strawberry.type
class ReportingMutation:
    @strawberry.mutation(description="报送定期报告 / submit a periodic report for an agency")
    async def submit_report(
        self,
        info: Info,
        report_id: strawberry.ID,
        text: str,
        agency_id: strawberry.ID | None = None,
    ) -> SubmitReportResult:
        context = info.context
        user, who = context.user, actor(context)
        authorize_role(user, Action.SUBMIT_REPORT)
        item = parse_id(report_id, "reportId")
        key = agency_id or user.agency_id
        if not key:
            raise InvalidInput("agencyId", says("which_agency_reports"))

        def submit(app: RectifyApp) -> CommandResult:
            agency: UUID = find_agency(app, key, "agencyId")
            authorize(user, Action.SUBMIT_REPORT, acting_for=agency)
            return app.submit_report(item, agency, text, who)

        result = await run_command(context, submit)
        due = await run_in_threadpool(context.app.get_report_due, item)
        return ReportSubmitted(
            id=strawberry.ID(str(item)), outstanding=len(due.outstanding), position=result.position
        )
