"""The read model of issue clocks: what the clock runs on now, for the API.

Statements only; the runner owns the transaction. Fed by the clock's own events
(ClockScheduled, DueDateRecomputed, milestones) and the controls (pause, resume), so it
shows the due instant the engine uses — pauses and calendar loads included — and whether
it rests on a provisional calendar.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.issues import RectificationIssue as Issue

_MILESTONES = (Issue.ReminderRecorded, Issue.OverdueRecorded, Issue.EscalationRecorded)
# Shown as null by the API: no milestone of the current schedule recorded yet.
_NO_MILESTONE: dict[str, Any] = {"last_milestone": "", "last_milestone_at": None}


class ClockProjection:
    TABLES: ClassVar[tuple[str, ...]] = ("issue_clocks",)

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        if isinstance(event, Issue.ExtensionApproved):
            # Before the clock reschedules, the old due's milestones are over already; an
            # issue whose clock never ran gets no row (it has no clock to show).
            self.cur.execute(
                "UPDATE issue_clocks SET last_position = %s, last_milestone = '',"
                " last_milestone_at = NULL WHERE issue_id = %s AND last_position < %s",
                (position, event.originator_id, position),
            )
            return
        changes = self._changes(event)
        if changes is None:
            return
        columns = ", ".join(changes)
        updates = "".join(f", {c} = EXCLUDED.{c}" for c in changes)
        self.cur.execute(
            f"INSERT INTO issue_clocks (issue_id, last_position, {columns})"
            f" VALUES (%s, %s{', %s' * len(changes)})"
            f" ON CONFLICT (issue_id) DO UPDATE SET last_position = EXCLUDED.last_position"
            f"{updates} WHERE issue_clocks.last_position < EXCLUDED.last_position",
            (event.originator_id, position, *changes.values()),
        )

    @staticmethod
    def _changes(event: Any) -> dict[str, Any] | None:
        match event:
            case Issue.ClockScheduled() | Issue.DueDateRecomputed():
                changes = {
                    "due_at": event.due,
                    "provisional": event.provisional,
                    "policy_version": event.policy_version,
                    "rings": Jsonb(list(event.rings)),
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
                    "rings": Jsonb([]),
                    "paused_since": None,
                    "pause_reason": "",
                    **_NO_MILESTONE,
                }
            case _ if isinstance(event, _MILESTONES):
                return {"last_milestone": event.rung or event.key, "last_milestone_at": event.at}
        return None
