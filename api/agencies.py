"""Agency groups in GraphQL: which agencies a group (各乡镇人民政府, …各成员单位) stands for.

Changes are the coordinators' and admins' (MANAGE_AGENCY_GROUP); the groups and their
members are read by every signed-in role, as the agencies are. A referral to a group goes
to each member, so the members are agencies, never other groups; each refusal is a member
of the AgencyResult union.
"""

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from api import commands, freshness
from api.authz import Action, authorize
from api.context import Context
from api.results import ConflictResult, InvalidInputResult, NotAllowedResult, NotFoundResult
from api.types import Agency, AgencyKind
from domain.agencies import Agency as DomainAgency
from domain.agencies import AgencyKind as DomainKind
from domain.application import CommandResult, RectifyApp
from domain.errors import NotFound
from projections import queries

Info = strawberry.Info[Context, None]


@strawberry.type
class AgencyChanged:
    agency: Agency = strawberry.field(description="the group")
    members: list[Agency] = strawberry.field(description="its member agencies, in order added")
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


AgencyResult = Annotated[
    AgencyChanged | NotAllowedResult | InvalidInputResult | NotFoundResult | ConflictResult,
    strawberry.union("AgencyResult"),
]


def _find(app: RectifyApp, key: str) -> UUID:
    """By id, name or alias; an unknown one is NotFound (not a bad value)."""
    try:
        return app.get_agency(UUID(str(key).strip())).id
    except ValueError:
        pass
    found = app.find_agency(str(key))
    if found is None:
        raise NotFound("agency", str(key))
    return found


def _shown(agency: DomainAgency) -> Agency:
    return Agency(
        id=strawberry.ID(str(agency.id)), name=agency.name, kind=AgencyKind(agency.kind.value)
    )


@strawberry.type
class AgencyMutation:
    @strawberry.mutation(
        description="单位组增加成员 / add a member agency to an agency group (a referral to the "
        "group then goes to it too)"
    )
    async def add_group_member(
        self, info: Info, group: strawberry.ID, agency: strawberry.ID
    ) -> AgencyResult:
        context = info.context
        authorize(context.user, Action.MANAGE_AGENCY_GROUP)
        who = commands.actor(context)

        def add(app: RectifyApp) -> CommandResult:
            return app.add_group_member(_find(app, group), _find(app, agency), who)

        return await _changed(context, add)

    @strawberry.mutation(
        description="单位组移除成员 / remove a member agency from an agency group (referrals "
        "already sent keep their receivers; later ones go to the remaining members)"
    )
    async def remove_group_member(
        self, info: Info, group: strawberry.ID, agency: strawberry.ID
    ) -> AgencyResult:
        context = info.context
        authorize(context.user, Action.MANAGE_AGENCY_GROUP)
        who = commands.actor(context)

        def remove(app: RectifyApp) -> CommandResult:
            return app.remove_group_member(_find(app, group), _find(app, agency), who)

        return await _changed(context, remove)

    @strawberry.mutation(
        description="新建单位组 / create an agency group (各乡镇人民政府, …各成员单位) by name; "
        "the name of an existing group changes nothing"
    )
    async def create_agency_group(self, info: Info, name: str) -> AgencyResult:
        context = info.context
        authorize(context.user, Action.MANAGE_AGENCY_GROUP)
        who = commands.actor(context)
        return await _changed(context, lambda app: app.create_agency_group(name, who))


def _group(app: RectifyApp, group_id: UUID) -> tuple[Agency, list[Agency]]:
    found = app.get_agency(group_id)
    return _shown(found), [_shown(app.get_agency(m)) for m in found.member_ids]


async def _changed(
    context: Context, command: Callable[[RectifyApp], CommandResult]
) -> AgencyChanged:
    result = await commands.run_command(context, command)
    position = result.position
    shown, members = await run_in_threadpool(_group, context.app, result.id)
    if position is not None:  # later reads (a referral's fan-out, the list) see the change
        await freshness.caught_up(context, position, commands.READ_YOUR_WRITES_SECONDS)
    return AgencyChanged(agency=shown, members=members, position=position)


@strawberry.type(description="单位组 / an agency group and the agencies it stands for")
class AgencyGroup:
    agency: Agency
    members: list[Agency] = strawberry.field(description="in the order they were added")


@strawberry.type
class AgencyGroupQuery:
    @strawberry.field(description="单位组及其成员 / every agency group with its members")
    async def agency_groups(self, info: Info) -> list[AgencyGroup]:
        context = info.context
        authorize(context.user, Action.READ)
        rows = await queries.agencies(context.pool)
        ids = [UUID(str(r["id"])) for r in rows if r["kind"] == DomainKind.GROUP.value]

        def read(app: RectifyApp) -> list[AgencyGroup]:
            shown = [_group(app, group) for group in ids]
            return [AgencyGroup(agency=group, members=members) for group, members in shown]

        return await run_in_threadpool(read, context.app)
