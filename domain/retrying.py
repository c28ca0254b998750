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

    def _get_for_command(
        self, cls: type[A], item_id: UUID, kind: str, *, cached: bool
    ) -> tuple[A, bool]: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...


class Retrying:
    def retrying(
        self: _App,
        cls: type[A],
        item_id: UUID,
        decide: Callable[[A], object],
        along: Callable[[A], Sequence[Aggregate]] | None = None,
    ) -> CommandResult:
        """Load the item, `decide` (its return value is ignored), and save it with
        `along(item)` when it changed; a concurrent writer makes us decide again.

        The first attempt decides on the cached item without reading the log (ADR 0074):
        its save is of the version after the cached one, so the primary key refuses it
        if anything was saved since, and only a save that commits ends the command on
        that state. A refusal, or no change, decided on it is decided again on the item
        as read, as is a refused save; only attempts on the item as read count towards
        MAX_ATTEMPTS."""
        kind = noun(cls)
        reads, cached = 0, True
        while reads < MAX_ATTEMPTS:
            item, unread = self._get_for_command(cls, item_id, kind, cached=cached)
            cached = False
            reads += not unread
            try:
                decide(item)
                changed = bool(item.pending_events)
                others = along(item) if changed and along is not None else ()
            except Exception:
                if unread:
                    continue  # refused on the state as cached: again on the state as read
                raise
            if not changed:
                if unread:
                    continue
                return CommandResult(item_id, None, changed=False)
            try:
                return CommandResult(item_id, self._save(item, *others))
            except IntegrityError:
                continue
        raise Conflict.kept_changing(kind, item_id)


class CanRetry(Protocol):
    """`retrying` as the other command mixins see it (their `_App` protocols extend this)."""

    def retrying(
        self,
        cls: type[A],
        item_id: UUID,
        decide: Callable[[A], object],
        along: Callable[[A], Sequence[Aggregate]] | None = None,
    ) -> CommandResult: ...
