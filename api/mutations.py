"""One mutation per lifecycle step of an issue; each returns the IssueResult union."""

from datetime import date
from uuid import UUID

import strawberry

from api import commands
from api.authz import Action
from api.authz.issues import authorize_extension_decision
from api.context import Context
from api.results import IssueResult
from domain.application import CommandResult, RectifyApp
from domain.calendar import check_supported_date
from domain.deadlines import Deadline, parse_deadline
from domain.errors import InvalidInput
from domain.issues import RectificationIssue
from domain.messages import says
from domain.names import campaign_id

Info = strawberry.Info[Context, None]


@strawberry.input
class RegisterIssueInput:
    campaign: strawberry.ID = strawberry.field(description="campaign id or title")
    number: str
    problem: str
    measures: list[str]
    lead_agency: strawberry.ID = strawberry.field(description="agency id or name")
    co_agencies: list[strawberry.ID] = strawberry.field(default_factory=list)
    deadline: str = strawberry.field(description="as written: 2026年3月底, 立行立改，长期坚持 …")


def _campaign(key: str) -> UUID:
    try:
        return commands.parse_id(key, "campaign")
    except InvalidInput:
        return campaign_id(key)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_issue(self, info: Info, input: RegisterIssueInput) -> IssueResult:
        deadline = parse_deadline(input.deadline)
        who = commands.actor(info.context)

        def register(app: RectifyApp) -> CommandResult:
            lead = commands.find_agency(app, input.lead_agency, "leadAgency")
            co = [commands.find_agency(app, a, "coAgencies") for a in input.co_agencies]
            return app.register_issue(
                _campaign(input.campaign),
                input.number,
                input.problem,
                input.measures,
                lead,
                co,
                deadline,
                actor=who,
            )

        return await commands.on_app(info, Action.REGISTER_ISSUE, register)

    @strawberry.mutation
    async def report_progress(
        self,
        info: Info,
        issue_id: strawberry.ID,
        text: str,
        agency_id: strawberry.ID | None = None,
        attachments: list[str] | None = None,
    ) -> IssueResult:
        context, who = info.context, commands.actor(info.context)
        key = agency_id or context.user.agency_id
        if not key:
            raise InvalidInput("agencyId", says("which_agency_reports"))

        def agency(app: RectifyApp) -> UUID:
            return commands.find_agency(app, key, "agencyId")

        return await commands.on_issue(
            info,
            Action.REPORT_PROGRESS,
            issue_id,
            lambda app, i: app.report_progress(i.id, agency(app), text, attachments or [], who),
            acting_for=agency,
        )

    @strawberry.mutation
    async def submit_for_verification(
        self, info: Info, issue_id: strawberry.ID, summary: str = ""
    ) -> IssueResult:
        who = commands.actor(info.context)
        return await commands.on_issue(
            info,
            Action.SUBMIT_FOR_VERIFICATION,
            issue_id,
            lambda app, i: app.submit_for_verification(i.id, summary, who),
        )

    @strawberry.mutation
    async def sign_off(self, info: Info, issue_id: strawberry.ID, comment: str = "") -> IssueResult:
        who = commands.actor(info.context)
        return await commands.on_issue(
            info,
            Action.SIGN_OFF,
            issue_id,
            lambda app, i: app.sign_off(i.id, comment, who),
        )

    @strawberry.mutation
    async def reject_issue(self, info: Info, issue_id: strawberry.ID, reason: str) -> IssueResult:
        who = commands.actor(info.context)
        return await commands.on_issue(
            info,
            Action.REJECT,
            issue_id,
            lambda app, i: app.reject(i.id, reason, who),
        )

    @strawberry.mutation
    async def request_extension(
        self,
        info: Info,
        issue_id: strawberry.ID,
        reason: str,
        new_due_date: date | None = None,
        deadline_text: str | None = None,
    ) -> IssueResult:
        if new_due_date is not None:
            check_supported_date("newDueDate", new_due_date)
            requested = Deadline.on(new_due_date)
        elif deadline_text:
            requested = parse_deadline(deadline_text)
        else:
            raise InvalidInput("deadline", says("deadline_or_text"))
        who = commands.actor(info.context)
        return await commands.on_issue(
            info,
            Action.REQUEST_EXTENSION,
            issue_id,
            lambda app, i: app.request_extension(i.id, requested, reason, who),
        )

    @strawberry.mutation
    async def approve_extension(
        self, info: Info, issue_id: strawberry.ID, comment: str = ""
    ) -> IssueResult:
        context, who = info.context, commands.actor(info.context)

        def approve(app: RectifyApp, issue: RectificationIssue) -> CommandResult:
            rule = app.get_campaign(issue.campaign_id).approvers()
            authorize_extension_decision(context.user, Action.APPROVE_EXTENSION, rule)
            return app.approve_extension(issue.id, comment, who)

        return await commands.on_issue(info, Action.APPROVE_EXTENSION, issue_id, approve)

    @strawberry.mutation
    async def deny_extension(self, info: Info, issue_id: strawberry.ID, reason: str) -> IssueResult:
        context, who = info.context, commands.actor(info.context)

        def deny(app: RectifyApp, issue: RectificationIssue) -> CommandResult:
            rule = app.get_campaign(issue.campaign_id).approvers()
            authorize_extension_decision(context.user, Action.DENY_EXTENSION, rule)
            return app.deny_extension(issue.id, reason, who)

        return await commands.on_issue(info, Action.DENY_EXTENSION, issue_id, deny)

    @strawberry.mutation
    async def reopen_issue(
        self, info: Info, issue_id: strawberry.ID, reason: str, deadline_text: str | None = None
    ) -> IssueResult:
        deadline = parse_deadline(deadline_text) if deadline_text else None
        who = commands.actor(info.context)
        return await commands.on_issue(
            info,
            Action.REOPEN,
            issue_id,
            lambda app, i: app.reopen(i.id, reason, deadline, who),
        )
