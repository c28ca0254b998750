"""督办规则 in GraphQL: the escalation ladder of each campaign for each clocked item kind.

Reading is open to every signed-in role (`READ`: the rungs say when reminders and
supervision come, nothing about any item); setting is the leading-group office's
(`SET_ESCALATION_POLICY`). Both go through what `rectify policy show|set` uses: the
domain's `ladder_in_force`, `ladder_from_dicts` (each problem names its rung:
`rungs[2].offset`) and `set_escalation_policy`, whose event names who set which version.
"""

from typing import Annotated, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from api import commands
from api.authz import Action, authorize
from api.context import Context
from api.results import ConflictResult, InvalidInputResult, NotAllowedResult, NotFoundResult
from api.types import Campaign
from domain.application import CommandResult, RectifyApp
from domain.clocks import Ladder, clocked_kinds
from domain.errors import NotFound
from domain.names import campaign_id
from domain.policies import ladder_from_dicts, rung_as_dict
from projections import queries

Info = strawberry.Info[Context, None]


@strawberry.type(description="督办规则的一级 / one rung of an escalation ladder")
class PolicyRung:
    name: str = strawberry.field(description="stable name, e.g. remind-3wd")
    kind: str = strawberry.field(description="reminder, overdue, escalation, statutory_breach")
    offset: str = strawberry.field(
        description="3wd (working days), 15d (calendar days), 24h (hours): before due for "
        "reminders, after due for the others"
    )
    addressee: str
    label: str


@strawberry.input(description="督办规则的一级 / one rung, as `rectify policy set`'s file has it")
class PolicyRungInput:
    name: str
    kind: str
    offset: str
    addressee: str = ""
    label: str = ""


@strawberry.type(description="一个专项行动一类事项的督办规则 / a campaign's ladder for a kind")
class EscalationPolicy:
    campaign: Campaign
    kind: str = strawberry.field(description="item kind: issue, referral, clue, …")
    version: int = strawberry.field(description="0: the built-in ladder, no policy set yet")
    rungs: list[PolicyRung]


@strawberry.type
class PolicyChanged:
    policy: EscalationPolicy
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


PolicyResult = Annotated[
    PolicyChanged | NotAllowedResult | InvalidInputResult | NotFoundResult | ConflictResult,
    strawberry.union("PolicyResult"),
]


def _shown(campaign: Campaign, kind: str, ladder: Ladder) -> EscalationPolicy:
    rungs = [PolicyRung(**rung_as_dict(r)) for r in ladder.rungs]
    return EscalationPolicy(campaign=campaign, kind=kind, version=ladder.version, rungs=rungs)


def _campaign(key: str) -> UUID:
    try:
        return UUID(str(key).strip())
    except ValueError:
        return campaign_id(str(key))


def _ladders(app: RectifyApp, campaigns: list[Campaign]) -> list[EscalationPolicy]:
    kinds = [k.kind for k in clocked_kinds()]
    return [
        _shown(c, kind, app.ladder_in_force(UUID(str(c.id)), kind))
        for c in campaigns
        for kind in kinds
    ]


@strawberry.type
class PolicyQuery:
    @strawberry.field(
        description="督办规则 / the ladder new clocks get, per campaign (or the one given) and "
        "item kind"
    )
    async def escalation_policies(
        self, info: Info, campaign: strawberry.ID | None = None
    ) -> list[EscalationPolicy]:
        context = info.context
        authorize(context.user, Action.READ)
        rows = await queries.campaigns(context.pool)
        shown = [Campaign(id=strawberry.ID(str(r["id"])), title=r["title"]) for r in rows]
        if campaign is not None:
            wanted = _campaign(campaign)
            shown = [c for c in shown if c.id == str(wanted)]
            if not shown:
                raise NotFound("campaign", str(campaign))
        return await run_in_threadpool(_ladders, context.app, shown)


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(
        description="设置督办规则 / record a new version of a campaign's ladder for a kind, as "
        "`rectify policy set`; applyToRunning also moves the clocks already running"
    )
    async def set_escalation_policy(
        self,
        info: Info,
        campaign: strawberry.ID,
        kind: str,
        rungs: list[PolicyRungInput],
        apply_to_running: bool = False,
        reason: str = "",
    ) -> PolicyResult:
        context = info.context
        authorize(context.user, Action.SET_ESCALATION_POLICY)
        who = commands.actor(context)
        given: list[dict[str, Any]] = [vars(r) for r in rungs]
        item = _campaign(campaign)

        def set_ladder(app: RectifyApp) -> CommandResult:
            ladder = ladder_from_dicts(given, 0)
            return app.set_escalation_policy(
                item,
                kind,
                list(ladder.rungs),
                actor=who,
                apply_to_running=apply_to_running,
                reason=reason,
            )

        def read(app: RectifyApp) -> Ladder:
            return app.ladder_in_force(item, kind)

        result = await commands.run_command(context, set_ladder)
        title = await queries.campaign_title(context.pool, item)
        ladder = await run_in_threadpool(read, context.app)
        shown = Campaign(id=strawberry.ID(str(item)), title=title or str(campaign))
        return PolicyChanged(policy=_shown(shown, kind, ladder), position=result.position)
