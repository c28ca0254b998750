"""Typed results of the mutations, and the handlers that turn refusals into them.

A refusal the user can act on (not allowed, wrong state, bad value, unknown item,
concurrent change) is a union member; anything else is masked as "Unexpected error."
"""

from typing import Annotated, Any

import strawberry

from api.authz import NotAllowedError
from api.types import Issue
from domain import errors
from domain.deadlines import DeadlineParseError
from domain.referrals import AlreadyClaimed


@strawberry.type
class IssueChanged:
    issue: Issue | None = strawberry.field(
        description="the issue as the read side shows it once it has caught up (null if it "
        "has not within a few seconds)"
    )
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


@strawberry.type(name="NotAllowed")
class NotAllowedResult:
    message: str


@strawberry.type(name="InvalidTransition")
class InvalidTransitionResult:
    message: str
    current_state: str


@strawberry.type(name="AlreadyClaimed")
class AlreadyClaimedResult:
    message: str
    current_state: str
    agency_name: str = strawberry.field(description="the agency that claimed it")
    claimed_by: str


@strawberry.type(name="InvalidInput")
class InvalidInputResult:
    message: str
    field: str


@strawberry.type(name="NotFound")
class NotFoundResult:
    message: str


@strawberry.type(name="Conflict")
class ConflictResult:
    message: str


IssueResult = Annotated[
    IssueChanged
    | NotAllowedResult
    | InvalidTransitionResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("IssueResult"),
]


class _NotAllowed(strawberry.ExceptionHandler[NotAllowedError, NotAllowedResult]):
    def handle(self, exception: NotAllowedError, **_: Any) -> NotAllowedResult:
        return NotAllowedResult(message=exception.message)


class _DomainNotAllowed(strawberry.ExceptionHandler[errors.NotAllowed, NotAllowedResult]):
    def handle(self, exception: errors.NotAllowed, **_: Any) -> NotAllowedResult:
        return NotAllowedResult(message=exception.message)


class _AlreadyClaimed(strawberry.ExceptionHandler[AlreadyClaimed, AlreadyClaimedResult]):
    """A referral's claim refused because another agency claimed first: names who. Only
    fields whose union has AlreadyClaimed (ReferralResult) use it; elsewhere the refusal is
    the InvalidTransition it derives from."""

    def handle(self, exception: AlreadyClaimed, **_: Any) -> AlreadyClaimedResult:
        return AlreadyClaimedResult(
            message=str(exception),
            current_state=exception.current_state,
            agency_name=exception.agency_name,
            claimed_by=exception.claimed_by,
        )


class _InvalidTransition(
    strawberry.ExceptionHandler[errors.InvalidTransition, InvalidTransitionResult]
):
    def handle(self, exception: errors.InvalidTransition, **_: Any) -> InvalidTransitionResult:
        return InvalidTransitionResult(
            message=str(exception), current_state=exception.current_state
        )


class _InvalidInput(strawberry.ExceptionHandler[errors.InvalidInput, InvalidInputResult]):
    def handle(self, exception: errors.InvalidInput, **_: Any) -> InvalidInputResult:
        return InvalidInputResult(message=str(exception), field=exception.field)


class _BadDeadline(strawberry.ExceptionHandler[DeadlineParseError, InvalidInputResult]):
    def handle(self, exception: DeadlineParseError, **_: Any) -> InvalidInputResult:
        return InvalidInputResult(message=f"deadline: {exception}", field="deadline")


class _UnknownAgencies(strawberry.ExceptionHandler[errors.UnknownAgencies, InvalidInputResult]):
    def handle(self, exception: errors.UnknownAgencies, **_: Any) -> InvalidInputResult:
        return InvalidInputResult(message=str(exception), field="agencies")


class _NotFound(strawberry.ExceptionHandler[errors.NotFound, NotFoundResult]):
    def handle(self, exception: errors.NotFound, **_: Any) -> NotFoundResult:
        return NotFoundResult(message=str(exception))


class _Conflict(strawberry.ExceptionHandler[errors.Conflict, ConflictResult]):
    def handle(self, exception: errors.Conflict, **_: Any) -> ConflictResult:
        return ConflictResult(message=str(exception) or "changed concurrently; try again")


# The first handler whose exception matches (and whose result the field's union has) wins:
# a subclass comes before its base.
EXCEPTION_HANDLERS = (
    _NotAllowed(),
    _DomainNotAllowed(),
    _AlreadyClaimed(),
    _InvalidTransition(),
    _InvalidInput(),
    _BadDeadline(),
    _UnknownAgencies(),
    _NotFound(),
    _Conflict(),
)
