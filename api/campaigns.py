"""Campaign management (专项行动): launch, lead agency, members, phases. Coordinators and
admins only; each returns the CampaignResult union."""

from collections.abc import Callable
from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from api import commands, freshness
from api.authz import Action, authorize
from api.context import Context
from api.results import (
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from api.types import Campaign
from domain.application import CommandResult, RectifyApp
from domain.campaigns import ExtensionApprovers
from domain.names import campaign_id
from projections import queries

Info = strawberry.Info[Context, None]

# The domain's enum itself is the GraphQL enum: the two cannot drift apart.
strawberry.enum(
    ExtensionApprovers,
    name="ExtensionApprovers",
    description="谁审批延期 / who decides on extensions: LEADERSHIP (default) or "
    "LEADERSHIP_OR_OFFICE (also the leading-group office: coordinators, admins)",
)


@strawberry.type
class CampaignChanged:
    campaign: Campaign | None = strawberry.field(
        description="the campaign as the read side shows it once it has caught up"
    )
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


CampaignResult = Annotated[
    CampaignChanged
    | NotAllowedResult
    | InvalidTransitionResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("CampaignResult"),
]


def _campaign(key: str) -> UUID:
    """By id or by title; an unknown one is refused by the command as NotFound."""
    try:
        return UUID(str(key).strip())
    except ValueError:
        return campaign_id(str(key))


async def _run(info: Info, command: Callable[[RectifyApp], CommandResult]) -> CampaignChanged:
    context = info.context
    authorize(context.user, Action.MANAGE_CAMPAIGN)
    result = await commands.run_command(context, command)
    if not freshness.asks_for(info, "campaign"):
        return CampaignChanged(campaign=None, position=result.position)
    if result.position is not None:
        await freshness.caught_up(context, result.position, commands.READ_YOUR_WRITES_SECONDS)
    title = await queries.campaign_title(context.pool, result.id)
    shown = Campaign(id=strawberry.ID(str(result.id)), title=title) if title else None
    return CampaignChanged(campaign=shown, position=result.position)


@strawberry.type
class CampaignMutation:
    @strawberry.mutation(description="发起专项行动 / launch a campaign (or assign its lead)")
    async def launch_campaign(
        self, info: Info, title: str, lead_agency: strawberry.ID | None = None
    ) -> CampaignResult:
        who = commands.actor(info.context)

        def launch(app: RectifyApp) -> CommandResult:
            lead = commands.find_agency(app, lead_agency, "leadAgency") if lead_agency else None
            return app.launch_campaign(title, actor=who, lead_agency=lead)

        return await _run(info, launch)

    @strawberry.mutation(description="指定牵头单位 / assign the lead agency")
    async def assign_campaign_lead(
        self, info: Info, campaign: strawberry.ID, agency: strawberry.ID
    ) -> CampaignResult:
        who = commands.actor(info.context)

        def assign(app: RectifyApp) -> CommandResult:
            lead = commands.find_agency(app, agency, "agency")
            return app.assign_campaign_lead(_campaign(campaign), lead, who)

        return await _run(info, assign)

    @strawberry.mutation(description="增加成员单位 / add a member agency or agency group")
    async def add_campaign_member(
        self, info: Info, campaign: strawberry.ID, agency: strawberry.ID
    ) -> CampaignResult:
        who = commands.actor(info.context)

        def add(app: RectifyApp) -> CommandResult:
            member = commands.find_agency(app, agency, "agency")
            return app.add_campaign_member(_campaign(campaign), member, who)

        return await _run(info, add)

    @strawberry.mutation(description="安排阶段 / schedule a phase; the same name replaces it")
    async def schedule_campaign_phase(
        self, info: Info, campaign: strawberry.ID, name: str, starts: date, ends: date
    ) -> CampaignResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            lambda app: app.schedule_campaign_phase(_campaign(campaign), name, starts, ends, who),
        )

    @strawberry.mutation(
        description="延期审批规则 / who may approve or deny extensions in this campaign"
    )
    async def set_extension_approvers(
        self, info: Info, campaign: strawberry.ID, approvers: ExtensionApprovers
    ) -> CampaignResult:
        who = commands.actor(info.context)
        rule = ExtensionApprovers(approvers).value
        return await _run(
            info, lambda app: app.set_extension_approvers(_campaign(campaign), rule, who)
        )

    @strawberry.mutation(
        description="销号前须上传佐证材料 / whether sign-off needs an uploaded file in a progress "
        "report of the issue"
    )
    async def require_evidence(
        self, info: Info, campaign: strawberry.ID, required: bool = True
    ) -> CampaignResult:
        who = commands.actor(info.context)
        return await _run(
            info, lambda app: app.require_evidence(_campaign(campaign), required, who)
        )
