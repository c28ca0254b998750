"""Activities of a delivery: one attempt on the endpoint's channel, its outcome recorded.

Sync methods on a thread pool (the event store is blocking). Each call first reads the
delivery's record: if an earlier attempt already succeeded (the activity is being retried
because the worker died after recording), it sends nothing again. A failed attempt is
recorded, then raised: retryable failures go back to the retry policy (backoff), permanent
ones are non-retryable and end the workflow at once.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.application import RectifyApp
from domain.delivery import ChannelKind, DeliveryStatus, Endpoint
from workflows.delivery_channels import Channel, EmailChannel, SmtpConfig, WebhookChannel
from workflows.delivery_inputs import AbandonInput, DeliveryInput

DELIVERED = "delivered"
FAILED = "failed"
SKIPPED = "skipped"  # the endpoint was removed before the first attempt


def default_channels(smtp: SmtpConfig) -> Callable[[Endpoint], Channel]:
    def channel_for(endpoint: Endpoint) -> Channel:
        if endpoint.channel is ChannelKind.WEBHOOK:
            return WebhookChannel(endpoint.address, endpoint.secret)
        return EmailChannel(smtp, endpoint.address)

    return channel_for


class DeliveryActivities:
    def __init__(
        self, app: RectifyApp, channel_for: Callable[[Endpoint], Channel] | None = None
    ) -> None:
        self.app = app
        self.channel_for = channel_for or default_channels(SmtpConfig.from_env())

    @activity.defn
    def deliver(self, input: DeliveryInput) -> str:
        message = input.message
        agency = UUID(message.agency_id)
        endpoint = next(
            (e for e in self.app.endpoints_of(agency) if str(e.id) == input.endpoint_id), None
        )
        delivery_id = UUID(message.delivery_id)
        if endpoint is None:
            if self.app.has_delivery(delivery_id):
                self.app.abandon_delivery(delivery_id, "endpoint removed / 接收地址已删除")
                return FAILED
            return SKIPPED
        delivery = self.app.open_delivery(UUID(message.notice_id), endpoint, agency, message.title)
        if delivery.status is DeliveryStatus.DELIVERED:
            return DELIVERED  # sent by an earlier attempt whose completion was lost
        if delivery.status is DeliveryStatus.FAILED:
            return FAILED
        attempt = activity.info().attempt
        outcome = self.channel_for(endpoint).send(message)
        if outcome.delivered:
            self.app.record_delivered(delivery.id, attempt, outcome.detail)
            self.after_recorded(delivery.id)
            return DELIVERED
        self.app.record_delivery_failure(
            delivery.id, attempt, outcome.detail, permanent=not outcome.retryable
        )
        raise ApplicationError(
            outcome.detail, type="DeliveryFailed", non_retryable=not outcome.retryable
        )

    def after_recorded(self, delivery_id: UUID) -> None:
        """Nothing; tests override it to die between recording and completing."""

    @activity.defn
    def abandon_delivery(self, input: AbandonInput) -> None:
        self.app.abandon_delivery(UUID(input.delivery_id), input.reason)
