"""Agency groups in GraphQL: which agencies a group (各乡镇人民政府, …各成员单位) stands for.

Coordinators and admins only. A referral to a group goes to each member, so the members
are agencies, never other groups; each refusal is a member of the AgencyResult union.
"""

from typing import Annotated
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from api import commands
from api.authz import Action, authorize
from api.context import Context
from api.results import ConflictResult, InvalidInputResult, NotAllowedResult, NotFoundResult
from api.types import Agency, AgencyKind
from domain.agencies import Agency as DomainAgency
from domain.application import CommandResult, RectifyApp
from domain.errors import NotFound

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

        def read(app: RectifyApp, group_id: UUID) -> tuple[Agency, list[Agency]]:
            found = app.get_agency(group_id)
            return _shown(found), [_shown(app.get_agency(m)) for m in found.member_ids]

        result = await commands.run_command(context, add)
        position = result.position
        shown, members = await run_in_threadpool(read, context.app, result.id)
        # Read from the event store: no wait; later reads send `position`
        # (X-Rectify-Min-Position) to see the member.
        return AgencyChanged(agency=shown, members=members, position=position)
