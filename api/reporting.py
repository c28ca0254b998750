"""Submitting a periodic report (报送) through GraphQL: the item's id comes with its
reminder in the inbox. A liaison reports for its own agency; a coordinator or admin may
record a report for any agency that owes it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from api.auth import Role
from api.authz import NotAllowedError
from api.commands import actor, find_agency, parse_id
from api.context import Context
from api.results import (
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from domain.errors import InvalidInput

Info = strawberry.Info[Context, None]
RECORDERS = (Role.LIAISON, Role.COORDINATOR, Role.ADMIN)


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
        if user.role not in RECORDERS:
            raise NotAllowedError(
                f"{user.role.value} 无权报送 / role {user.role.value} may not submit reports"
            )
        item = parse_id(report_id, "reportId")
        key = agency_id or user.agency_id
        if not key:
            raise InvalidInput("agencyId", "which agency reports? (the caller has none)")

        def submit() -> ReportSubmitted:
            agency: UUID = find_agency(context.app, key, "agencyId")
            if user.role is Role.LIAISON and str(agency) != user.agency_id:
                raise NotAllowedError(
                    "联络员只能代表本单位 / a liaison acts for its own agency only"
                )
            result = context.app.submit_report(item, agency, text, who)
            outstanding = len(context.app.get_report_due(item).outstanding)
            return ReportSubmitted(
                id=strawberry.ID(str(item)), outstanding=outstanding, position=result.position
            )

        return await run_in_threadpool(submit)
