"""One delivery of one notice to one endpoint, with retries and backoff from Temporal.

The workflow only orders two activities: `deliver` under a retry policy with exponential
backoff, and, once the policy gives up or a failure is permanent, `abandon_delivery` so
the record says the delivery failed. Deterministic: no I/O, no clock, no randomness.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.delivery_activities import FAILED, DeliveryActivities
    from workflows.delivery_inputs import AbandonInput, DeliveryInput

SEND_TIMEOUT = timedelta(seconds=60)
# 10 s, 20 s, 40 s … capped at 30 min; about 8 hours over 20 attempts.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=20,
)
RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


@workflow.defn
class DeliveryWorkflow:
    @workflow.run
    async def run(self, input: DeliveryInput) -> str:
        try:
            return await workflow.execute_activity_method(
                DeliveryActivities.deliver,
                input,
                start_to_close_timeout=SEND_TIMEOUT,
                retry_policy=SEND_RETRY,
            )
        except ActivityError as error:
            reason = str(error.cause or error)
        await workflow.execute_activity_method(
            DeliveryActivities.abandon_delivery,
            AbandonInput(input.message.delivery_id, reason),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
        return FAILED
