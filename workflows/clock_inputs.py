"""Values that cross the Temporal boundary (workflow input, activity arguments/results).

Kept out of the sandboxed workflow module and limited to str/bool/int fields: the default
data converter rejects date/timedelta, and a dataclass defined inside a sandboxed module
cannot be decoded reliably. Instants are ISO 8601 strings with a UTC offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

ISSUE = "issue"


@dataclass
class ClockInput:
    """The item whose clock this is; `kind` is its registered clocked kind."""

    item_id: str
    kind: str = ISSUE


@dataclass
class PendingMilestone:
    key: str
    at: str
    kind: str  # domain.clocks.MilestoneKind value
    due: str


@dataclass
class ClockPlan:
    """What the clock must do next, as read from the item's aggregate."""

    closed: bool  # the item's clock is over: the workflow ends
    running: bool = False  # False while paused: wait for a change
    pending: list[PendingMilestone] = field(default_factory=list)  # not yet recorded, by time


@dataclass
class MilestoneInput:
    item_id: str
    key: str
    kind: str = ISSUE
    caught_up: bool = False  # a later rung is due too: record without notices


def clock_workflow_id(item_id: UUID | str, kind: str = ISSUE) -> str:
    """One clock per item, named after its stream so signal-with-start finds it."""
    return f"{kind}-clock-{item_id}"
