"""The clock of one item (issue, referral, case transfer …), as a reconciler.

The workflow holds no facts. On start and after every `changed` signal it asks an activity
for the item's pending milestones, sleeps until the next one, asks an activity to record
it, and reads again. Signals only mean "look again", so a duplicate or out-of-order signal
costs one extra read and nothing else. Deterministic: no I/O, time from workflow.now(), no
randomness; due instants are computed in activities, so a calendar change is data.

A clock fault (an activity failing in a way no retry fixes: a due the calendar cannot
count) does not fail the workflow: the activity has reported it (workflows.clock_faults),
and the clock waits for the next change of the item (an extension, a reopening, a calendar
loaded), then reads again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.clock_activities import ESCALATION, REMINDER, ClockActivities
    from workflows.clock_inputs import ClockInput, ClockPlan, MilestoneInput, PendingMilestone

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Keep retrying a database outage for ever, but not hammering it.
ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
# Start a fresh history well before Temporal's limits; the new run simply reads again.
MAX_READS_PER_RUN = 500
# Before this patch a clock fault failed the workflow; histories from then replay as before.
FAULT_WAITS = "clock-fault-waits"
# Before this patch every reminder already due rang on its own: an item registered the day
# before its due got the 3- and the 1-working-day reminder at once.
QUIET_REMINDERS = "quiet-reminders"


def _is_fault(error: ActivityError) -> bool:
    """A non-retryable failure of the activity: retrying cannot fix it, a change may."""
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.non_retryable


@workflow.defn
class ClockWorkflow:
    def __init__(self) -> None:
        self._changed = False
        # A key the record activity just declined (e.g. a kind that refuses it): waiting
        # for a change instead of asking again keeps a stuck item from spinning.
        self._declined: str | None = None

    @workflow.signal
    def changed(self, position: int) -> None:
        """The item changed at log `position` (kept in the history for tracing)."""
        self._changed = True

    @workflow.run
    async def run(self, input: ClockInput) -> str:
        reads = 0
        while True:
            # Cleared before reading: a signal that arrives during the read triggers another.
            self._changed = False
            reads += 1
            plan = await self._load(input)
            if plan is None:  # a clock fault, reported by the activity
                await self._wait_for_change()
            elif plan.closed:
                return "closed"
            else:
                await self._wait_and_record(input, plan)
            if reads >= MAX_READS_PER_RUN or workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(input)

    async def _load(self, input: ClockInput) -> ClockPlan | None:
        """The item's plan, or None after a clock fault."""
        try:
            return await workflow.execute_activity_method(
                ClockActivities.load_clock,
                input,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as error:
            if _is_fault(error) and workflow.patched(FAULT_WAITS):
                return None
            raise

    async def _wait_and_record(self, input: ClockInput, plan: ClockPlan) -> None:
        """Sleep until the next milestone (or a change), record it; the caller reads again."""
        milestone = self._next(plan) if plan.running else None
        if milestone is not None and milestone.key == self._declined:
            milestone = None
        if milestone is None:
            # Paused, or everything recorded: only a change of the item can give new keys.
            await workflow.wait_condition(lambda: self._changed)
            self._declined = None
            return
        delay = datetime.fromisoformat(milestone.at) - workflow.now()
        if delay > timedelta(0):  # a zero timeout would raise at once
            try:
                await workflow.wait_condition(
                    lambda: self._changed, timeout=delay, timeout_summary=milestone.key
                )
                return  # changed before the milestone: read again, the time may have moved
            except TimeoutError:
                pass
        # Quiet escalation: of several rungs already due at once (old items imported, a
        # worker down for days) only the highest is notified; the others are history.
        caught_up = workflow.patched("quiet-catch-up") and self._superseded(plan, milestone)
        if milestone.kind == REMINDER and workflow.patched(QUIET_REMINDERS):
            caught_up = self._superseded(plan, milestone, REMINDER)
        try:
            recorded = await workflow.execute_activity_method(
                ClockActivities.record_milestone,
                MilestoneInput(input.item_id, milestone.key, input.kind, caught_up),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as error:
            if not (_is_fault(error) and workflow.patched(FAULT_WAITS)):
                raise
            await self._wait_for_change()
            return
        # Declined: usually the item changed (the next read shows it); if the read offers
        # the same key again, wait for a change rather than asking again.
        self._declined = None if recorded else milestone.key

    async def _wait_for_change(self) -> None:
        """After a clock fault: nothing to do until the item changes (the read clears the
        flag; a signal already in during the failed activity counts)."""
        await workflow.wait_condition(lambda: self._changed)
        self._declined = None

    @staticmethod
    def _superseded(plan: ClockPlan, milestone: PendingMilestone, kind: str = ESCALATION) -> bool:
        """An escalation rung whose next, higher rung is already due as well; or (kind
        REMINDER) a reminder whose later reminder is already due too: an item registered
        on or near its due gets one reminder, not two saying the same. (Overdue is always
        told: it is the change of state the rungs build on.)"""
        if milestone.kind != kind:
            return False
        now, at = workflow.now(), datetime.fromisoformat(milestone.at)
        return any(
            other.key != milestone.key
            and other.kind == kind
            and at < datetime.fromisoformat(other.at) <= now
            for other in plan.pending
        )

    @staticmethod
    def _next(plan: ClockPlan) -> PendingMilestone | None:
        now = workflow.now()
        for milestone in plan.pending:  # sorted by time
            # A reminder once the deadline has passed would only be noise.
            if milestone.kind == REMINDER and now >= datetime.fromisoformat(milestone.due):
                continue
            return milestone
        return None
