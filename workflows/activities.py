"""Activities of the clock engine: read an item's clock, append its milestone events.

Sync methods: the eventsourcing library is blocking, so the worker runs them on a thread
pool. Both work on any registered clocked kind (domain.clocks). Recording is idempotent:
the application recomputes the item's milestones and the aggregate ignores a key it has
already recorded, so a retried activity appends nothing twice — also when the first
attempt's effect was committed and the worker died before reporting it.
"""

from __future__ import annotations

from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.application import RectifyApp
from domain.clock_commands import CLOCK_ACTOR
from domain.clocks import MilestoneKind
from domain.errors import InvalidInput, NotFound
from workflows.calendars import StoredCalendar
from workflows.inputs import ClockInput, ClockPlan, MilestoneInput, PendingMilestone


class ClockActivities:
    def __init__(self, app: RectifyApp) -> None:
        self.app = app

    @activity.defn
    def load_clock(self, input: ClockInput) -> ClockPlan:
        """The pending milestones; first pins the due instant and policy when they are new."""
        try:
            view, _ = self.app.schedule_clock(
                input.kind, UUID(input.item_id), StoredCalendar(self.app), CLOCK_ACTOR
            )
        except (NotFound, InvalidInput) as error:
            # The dispatcher only signals items it read from the log, so a missing one is
            # a wiring mistake (another database?): retrying would not help.
            raise ApplicationError(
                str(error), type=type(error).__name__, non_retryable=True
            ) from None
        if not view.open:
            return ClockPlan(closed=True)
        pending = [
            PendingMilestone(m.key, m.at.isoformat(), m.kind.value, (m.due or m.at).isoformat())
            for m in view.milestones
            if m.key not in view.recorded
        ]
        return ClockPlan(closed=False, running=view.running, pending=pending)

    @activity.defn
    def record_milestone(self, input: MilestoneInput) -> bool:
        """True if this call appended the event; False if already there, stale or stopped."""
        return self.app.record_clock_milestone(
            input.kind,
            UUID(input.item_id),
            input.key,
            StoredCalendar(self.app),
            CLOCK_ACTOR,
            input.caught_up,
        )


REMINDER = MilestoneKind.REMINDER.value
ESCALATION = MilestoneKind.ESCALATION.value
