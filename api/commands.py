"""Running a command from a mutation: authorise, run it on a worker thread, read it back.

The eventsourcing library is synchronous, so commands go through `run_in_threadpool`.
Authorisation reads the issue's agencies from the aggregate itself (never a stale read
model). A result that asks for the issue waits, bounded, until the projection has reached
the command's log position, so the client reads its own write; one that asks only for the
outcome and the position returns at once (api/freshness.py).
"""

from collections.abc import Callable
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from api import freshness
from api.authz import Action, authorize
from api.context import Context
from api.results import IssueChanged
from api.types import Issue
from domain import command_keys
from domain.application import CommandResult, RectifyApp
from domain.errors import InvalidInput, UnknownAgencies
from domain.issues import RectificationIssue
from projections import queries

READ_YOUR_WRITES_SECONDS = 3.0
Info = strawberry.Info[Context, None]


def parse_id(value: str, field: str) -> UUID:
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise InvalidInput(field, f"'{value}' 不是有效的编号 / '{value}' is not an id") from None


def find_agency(app: RectifyApp, key: str, field: str) -> UUID:
    """An agency by id or by name/alias, from the event store (runs on a worker thread)."""
    try:
        return app.get_agency(UUID(str(key).strip())).id
    except ValueError:
        pass
    found = app.find_agency(str(key))
    if found is None:
        raise UnknownAgencies([str(key)])
    return found


def actor(context: Context) -> str:
    user = context.user
    return f"{user.subject}（{user.agency_name}）" if user.agency_name else user.subject


async def changed(info: Info, result: CommandResult) -> IssueChanged:
    if not freshness.asks_for(info, "issue"):
        return IssueChanged(issue=None, position=result.position)
    context = info.context
    if result.position is not None:
        await freshness.caught_up(context, result.position, READ_YOUR_WRITES_SECONDS)
    row = await queries.issue_by_id(context.pool, result.id, context.today)
    return IssueChanged(issue=Issue.of(row) if row else None, position=result.position)


async def run_command(
    context: Context, command: Callable[[RectifyApp], CommandResult]
) -> CommandResult:
    """Every mutation's one way to run a command: on a worker thread (the library is
    synchronous), under the field's idempotency key (api/idempotency.py). A key already
    recorded returns the original result without running the command again."""

    def work(app: RectifyApp) -> CommandResult:
        key = command_keys.current.get()
        # a key made up for this attempt cannot have been recorded yet
        done = app.replay(key) if key is not None and not key.made_up else None
        if done is not None:
            return done
        try:
            return command(app)
        except command_keys.CommandAlreadyDone as already:
            return already.result  # type: ignore[no-any-return]

    return await run_in_threadpool(work, context.app)


async def on_issue(
    info: Info,
    action: Action,
    issue_id: str,
    command: Callable[[RectifyApp, RectificationIssue], CommandResult],
    acting_for: Callable[[RectifyApp], UUID] | None = None,
) -> IssueChanged:
    """Load the issue, check the caller may do `action` on it, then run `command`.

    `acting_for` finds the agency the caller speaks for (report progress), if any.
    """
    context = info.context
    item = parse_id(issue_id, "issueId")

    def work(app: RectifyApp) -> CommandResult:
        issue = app.get_issue(item)
        agency = acting_for(app) if acting_for else None
        region = None
        if context.user.region is not None:  # only region-limited leadership needs it
            region = app.get_agency(issue.lead_agency_id).region
        authorize(
            context.user,
            action,
            issue.lead_agency_id,
            issue.responsible_agency_ids,
            agency,
            lead_region=region,
        )
        return command(app, issue)

    return await changed(info, await run_command(context, work))


async def on_app(
    info: Info, action: Action, command: Callable[[RectifyApp], CommandResult]
) -> IssueChanged:
    """A command that is not about one existing issue (registering one)."""
    authorize(info.context.user, action)
    return await changed(info, await run_command(info.context, command))
