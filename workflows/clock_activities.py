"""Activities of the clock engine: read an item's clock, append its milestone events.

Sync methods: the eventsourcing library is blocking, so the worker runs them on a thread
pool. Both work on any registered clocked kind (domain.clocks). Recording is idempotent:
the application recomputes the item's milestones and the aggregate ignores a key it has
already recorded, so a retried activity appends nothing twice — also when the first
attempt's effect was committed and the worker died before reporting it.

An error that no retry can fix (a due the calendar cannot count, a domain refusal) is a
clock fault: written to `clock_faults` where an operator sees it, then raised as a
non-retryable ApplicationError, on which the workflow waits for the item to change instead
of failing or asking again. A database outage or a version conflict is still retried.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.application import RectifyApp
from domain.clock_commands import CLOCK_ACTOR
from domain.clocks import MilestoneKind
from domain.errors import Conflict, DomainError
from infrastructure.stored_calendar import StoredCalendar
from workflows.clock_faults import ClockFaultTable
from workflows.clock_inputs import ClockInput, ClockPlan, MilestoneInput, PendingMilestone

# Deterministic: the same item and calendar give the same error on every attempt. A domain
# refusal (NoCalendarData for a year the calendar cannot count; NotFound, which for an item
# the dispatcher read from the log means a wiring mistake) or date arithmetic past year
# 9999 (OverflowError, ValueError). Conflict is a race: a retry settles it.
NEVER_BY_RETRYING = (DomainError, OverflowError, ValueError)


class ClockActivities:
    def __init__(self, app: RectifyApp) -> None:
        self.app = app
        self.faults = ClockFaultTable(app)

    @contextmanager
    def _faults_reported(self, input: ClockInput | MilestoneInput) -> Iterator[None]:
        try:
            yield
        except NEVER_BY_RETRYING as error:
            if isinstance(error, Conflict):
                raise
            message = f"{type(error).__name__}: {error}"
            self.faults.record(input.kind, input.item_id, message)
            raise ApplicationError(message, type=type(error).__name__, non_retryable=True) from None

    @activity.defn
    def load_clock(self, input: ClockInput) -> ClockPlan:
        """The pending milestones; first pins the due instant and policy when they are new."""
        with self._faults_reported(input):
            view, _ = self.app.schedule_clock(
                input.kind, UUID(input.item_id), StoredCalendar(self.app), CLOCK_ACTOR
            )
            pending = [
                PendingMilestone(m.key, m.at.isoformat(), m.kind.value, (m.due or m.at).isoformat())
                for m in view.milestones
                if m.key not in view.recorded
            ]
        self.faults.clear(input.kind, input.item_id)  # it runs (again): nothing to see
        if not view.open:
            return ClockPlan(closed=True)
        return ClockPlan(closed=False, running=view.running, pending=pending)

    @activity.defn
    def record_milestone(self, input: MilestoneInput) -> bool:
        """True if this call appended the event; False if already there, stale or stopped."""
        with self._faults_reported(input):
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
