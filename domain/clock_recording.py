"""How a clocked aggregate records its milestones, written once for every clocked kind.

Issues, referrals, clues, case transfers and report dues each keep the keys of the
milestones they have recorded in `clock_keys`. The clock engine offers a milestone of the
current clock (domain.clocks: it has the calendar and the policy); `ClockRecord` guards what
the aggregate can know alone — its clock runs, the key is not recorded yet, the key is of
the current clock (starts with `clock_prefix`) — and appends the kind's own
`MilestoneRecorded` event, whose `apply` adds the key.

Each kind declares its own `MilestoneRecorded(clock_recording.MilestoneRecorded)` with its
own TOPIC (`rectify:Referral.MilestoneRecorded`, …): stored events name that topic, so it
never changes. Issues (reminder, overdue, escalation events of their own) and case
transfers (statutory breaches) override `_record_milestone_event`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from eventsourcing.domain import Aggregate

from domain.clocks import Milestone


class MilestoneRecorded(Aggregate.Event):
    """A reminder, overdue, escalation or other rung of an item's clock."""

    key: str
    kind: str
    rung: str
    addressee: str
    label: str
    at: datetime
    due: datetime
    actor: str
    caught_up: bool = False  # added later: recorded in a catch-up, not notified

    def apply(self, aggregate: Any) -> None:
        aggregate.clock_keys.append(self.key)


class _Recording(Protocol):
    """What `ClockRecord` uses of the aggregate it is mixed into."""

    clock_keys: list[str]

    @property
    def clock_prefix(self) -> str: ...
    def clock_running(self) -> bool: ...
    def has_milestone(self, key: str) -> bool: ...
    def _record_milestone_event(self, milestone: Milestone, actor: str) -> None: ...


class _Emitting(Protocol):
    @property
    def MilestoneRecorded(self) -> type[MilestoneRecorded]: ...
    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...


class ClockRecord:
    """Mixed into a clocked aggregate (before `Aggregate`): `has_milestone` and
    `record_milestone` of the `Clocked` protocol."""

    def has_milestone(self: _Recording, key: str) -> bool:
        return key in self.clock_keys

    def record_milestone(self: _Recording, milestone: Milestone, actor: str) -> bool:
        """Record once; a repeated key, another cycle's key or a stopped clock records nothing.

        The caller checks that the key is among the current milestones (it has the
        calendar and the policy); the aggregate guards what it can know alone.
        """
        if (
            not self.clock_running()
            or self.has_milestone(milestone.key)
            or not milestone.key.startswith(self.clock_prefix + ":")
        ):
            return False
        self._record_milestone_event(milestone, actor)
        return True

    def _record_milestone_event(self: _Emitting, milestone: Milestone, actor: str) -> None:
        self.trigger_event(
            self.MilestoneRecorded,
            key=milestone.key,
            kind=milestone.kind.value,
            rung=milestone.rung,
            addressee=milestone.addressee,
            label=milestone.label,
            at=milestone.at,
            due=milestone.due or milestone.at,
            actor=actor,
            caught_up=milestone.caught_up,
        )
