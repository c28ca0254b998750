"""The action of a duty's schedule: open the report-due item of the period it fired for.

Deterministic: the instant comes from the schedule (TemporalScheduledStartTime), or from
workflow time when started by hand; the period and due date are computed in the activity.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from workflows.reporting_activities import (
        OpenReportInput,
        ReportDutyInput,
        ReportingActivities,
    )

SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@workflow.defn
class ReportDutyWorkflow:
    @workflow.run
    async def run(self, input: ReportDutyInput) -> str:
        at = workflow.info().typed_search_attributes.get(SCHEDULED_AT) or workflow.now()
        return await workflow.execute_activity_method(
            ReportingActivities.open_report_due,
            OpenReportInput(input.duty_id, at.isoformat()),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
