"""The read model of issue clocks: what the clock runs on now, for the API.

No transaction here; the runner owns it. Fed by the clock's own events
(ClockScheduled, DueDateRecomputed, milestones) and the controls (pause, resume), so it
shows the due instant the engine uses — pauses and calendar loads included — and whether
it rests on a provisional calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.issues import RectificationIssue as Issue
from projections.rowset import Table

_MILESTONES = (Issue.ReminderRecorded, Issue.OverdueRecorded, Issue.EscalationRecorded)
# Shown as null by the API: no milestone of the current schedule recorded yet.
_NO_MILESTONE: dict[str, Any] = {"last_milestone": "", "last_milestone_at": None}


class ClockProjection:
    """Folds a batch into rows in memory (projections/rowset.py): one load, one write.
    A row changes only for an event after the one it last took (`last_position`)."""

    TABLES: ClassVar[tuple[str, ...]] = ("issue_clocks",)

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.clocks = Table(cursor, "issue_clocks", ("issue_id",))

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        self.clocks.load(
            event.originator_id
            for event, _ in batch
            if isinstance(event, Issue.ExtensionApproved) or self._changes(event) is not None
        )

    def flush(self) -> None:
        self.clocks.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        item = event.originator_id
        if isinstance(event, Issue.ExtensionApproved):
            # Before the clock reschedules, the old due's milestones are over already; an
            # issue whose clock never ran gets no row (it has no clock to show).
            row = self.clocks.get(item)
            if row is not None and row["last_position"] < position:
                self.clocks.update(item, last_position=position, **_NO_MILESTONE)
            return
        changes = self._changes(event)
        if changes is None:
            return
        row = self.clocks.get(item)
        if row is None:
            self.clocks.insert({"issue_id": item, "last_position": position, **changes})
        elif row["last_position"] < position:
            self.clocks.update(item, last_position=position, **changes)

    @staticmethod
    def _changes(event: Any) -> dict[str, Any] | None:
        match event:
            case Issue.ClockScheduled() | Issue.DueDateRecomputed():
                changes = {
                    "due_at": event.due,
                    "provisional": event.provisional,
                    "policy_version": event.policy_version,
                    "rings": list(event.rings),
                }
                if isinstance(event, Issue.DueDateRecomputed) and event.previous != event.due:
                    # The milestones of the old due are not this schedule's (an extension,
                    # a pause): "overdue" would no longer be true.
                    changes |= _NO_MILESTONE
                return changes
            case Issue.ClockPaused():
                return {"paused_since": event.at, "pause_reason": event.reason}
            case Issue.ClockResumed():
                return {"paused_since": None, "pause_reason": ""}
            case Issue.SignedOff():
                return {"closed": True}
            case Issue.Reopened():
                # A fresh clock: nothing scheduled until it first reads the issue.
                return {
                    "closed": False,
                    "due_at": None,
                    "provisional": False,
                    "policy_version": None,
                    "rings": [],
                    "paused_since": None,
                    "pause_reason": "",
                    **_NO_MILESTONE,
                }
            case _ if isinstance(event, _MILESTONES):
                return {"last_milestone": event.rung or event.key, "last_milestone_at": event.at}
        return None
