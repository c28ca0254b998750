"""Reload, decide, save: how a command changes an item that exists, mixed into `RectifyApp`.

`retrying(Referral, item_id, decide)` loads the item as that class (any other id is
NotFound, named as users know the kind), lets `decide` call its command methods, and saves
the events it decided together with what `along` gives (a group parent's roll-up, the clue a
referral carries). A concurrent writer makes the save fail with IntegrityError: the command
is decided again on the fresh state, a bounded number of times, then refused as Conflict.

A module of its own, like `command_results`, so that the command mixins
(`domain/*_commands.py`) and the application that combines them import it at the top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.agencies import Agency
from domain.campaigns import Campaign
from domain.case_transfers import CaseTransfer
from domain.clues import Clue
from domain.command_results import CommandResult
from domain.delivery import Delivery, Endpoints
from domain.discipline_transfers import DisciplineTransfer
from domain.errors import Conflict
from domain.inspections import Inspection
from domain.issues import RectificationIssue
from domain.referrals import Referral
from domain.reporting import ReportDue, ReportingDuty

A = TypeVar("A", bound=Aggregate)
MAX_ATTEMPTS = 5

# What refusals call each kind (NotFound, Conflict): the words users already see.
NOUNS: dict[type[Aggregate], str] = {
    Agency: "agency",
    Campaign: "campaign",
    CaseTransfer: "case transfer",
    Clue: "clue",
    Delivery: "delivery",
    DisciplineTransfer: "discipline transfer",
    Endpoints: "endpoints",
    Inspection: "inspection",
    RectificationIssue: "issue",
    Referral: "referral",
    ReportDue: "report",
    ReportingDuty: "reporting duty",
}


def noun(cls: type[Aggregate]) -> str:
    return NOUNS.get(cls, cls.__name__.lower())


class _App(Protocol):
    """What `retrying` uses of `RectifyApp`."""

    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...


class Retrying:
    def retrying(
        self: _App,
        cls: type[A],
        item_id: UUID,
        decide: Callable[[A], object],
        along: Callable[[A], Sequence[Aggregate]] | None = None,
    ) -> CommandResult:
        """Reload the item, `decide` (its return value is ignored), and save it with
        `along(item)` when it changed; a concurrent writer makes us decide again."""
        kind = noun(cls)
        for _ in range(MAX_ATTEMPTS):
            item = self._get(cls, item_id, kind)
            decide(item)
            if not item.pending_events:
                return CommandResult(item_id, None, changed=False)
            others = along(item) if along is not None else ()
            try:
                return CommandResult(item_id, self._save(item, *others))
            except IntegrityError:
                continue
        raise Conflict(f"{kind} {item_id} kept changing; try again")


class CanRetry(Protocol):
    """`retrying` as the other command mixins see it (their `_App` protocols extend this)."""

    def retrying(
        self,
        cls: type[A],
        item_id: UUID,
        decide: Callable[[A], object],
        along: Callable[[A], Sequence[Aggregate]] | None = None,
    ) -> CommandResult: ...
