"""Periodic duties on Temporal: the activity that opens a period's report-due item, and the
schedule of each duty (created, changed or deleted from the duty's events by the notifier).

Schedules are Temporal's, so a missed firing (worker or server down) is caught up within the
catch-up window; the report's id comes from (duty, period), so a repeated firing opens
nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.reporting import ReportingDuty

log = logging.getLogger(__name__)
CATCH_UP = timedelta(days=7)  # a firing missed for up to a week is still made


@dataclass
class ReportDutyInput:
    duty_id: str


@dataclass
class OpenReportInput:
    duty_id: str
    at: str  # ISO 8601 instant the schedule fired for


def schedule_id(duty: UUID | str) -> str:
    return f"report-duty-{duty}"


class ReportingActivities:
    def __init__(self, app: RectifyApp) -> None:
        self.app = app

    @activity.defn
    def open_report_due(self, input: OpenReportInput) -> str:
        """The id of the period's report (opened now, or already open)."""
        result = self.app.open_report_due(UUID(input.duty_id), datetime.fromisoformat(input.at))
        return str(result.id)


def schedule_of(duty: ReportingDuty, task_queue: str) -> Schedule:
    from workflows.reporting_workflow import ReportDutyWorkflow

    months = [ScheduleRange(m) for m in duty.cadence.opening_months]
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReportDutyWorkflow.run,
            ReportDutyInput(str(duty.id)),
            id=schedule_id(duty.id),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            # 00:00 China Standard Time on the 1st of each opening month.
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(1)],
                    month=months,
                    comment=duty.cadence.describe(),
                )
            ],
            time_zone_name=str(TIMEZONE),
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCH_UP),
    )


async def sync_schedule(client: Client, duty: ReportingDuty, task_queue: str) -> None:
    """Make the duty's schedule match the duty: create, update or delete; idempotent."""
    handle = client.get_schedule_handle(schedule_id(duty.id))
    if duty.ended:
        try:
            await handle.delete()
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:
                raise
        return
    schedule = schedule_of(duty, task_queue)
    try:
        await client.create_schedule(schedule_id(duty.id), schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await handle.update(replace)
