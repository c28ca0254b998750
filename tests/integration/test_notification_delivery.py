"""Notices delivered by webhook and e-mail from Temporal activities, against a local HTTP
receiver and a local SMTP sink: signatures, retries with backoff, permanent failures,
no second send, every outcome recorded in the delivery's own stream."""

from __future__ import annotations

import json
import time
from uuid import UUID

import pytest

from domain.delivery import ChannelKind, Delivery, DeliveryStatus, delivery_id
from tests.integration.delivery_fixtures import (
    REFUSED_MAILBOX,
    Deliveries,
    Receiver,
    SmtpSink,
    deliveries_fixture,
    receiver,
    remind_issue,
    smtp_sink,
)
from workflows.delivery_activities import DeliveryActivities
from workflows.delivery_channels import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SmtpConfig,
    verify_signature,
)
from workflows.delivery_workflow import SEND_RETRY, DeliveryWorkflow

FIXTURES = (deliveries_fixture, receiver, smtp_sink)
SECRET = "agency-webhook-secret-0123456789"


def add_webhook(
    deliveries: Deliveries, agency: UUID, url: str, kinds: list[str] | None = None
) -> UUID:
    deliveries.app.add_endpoint(
        agency, ChannelKind.WEBHOOK, url, secret=SECRET, kinds=kinds, actor="admin"
    )
    return deliveries.app.endpoints_of(agency)[0].id


def event_names(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


async def test_a_webhook_is_posted_as_json_with_a_valid_signature(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url)
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "delivered"
    (request,) = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    timestamp, signature = headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()]
    assert verify_signature(SECRET, timestamp, request.body, signature, now=time.time())
    assert not verify_signature(
        "another-secret-0123456789", timestamp, request.body, signature, now=time.time()
    )
    assert headers[DELIVERY_HEADER.lower()] == str(delivery_id(notice, endpoint))
    body = json.loads(request.body)
    assert body["title"] == "【到期提醒】问题1：违规收费 / Reminder"
    assert (body["kind"], body["agency_name"]) == ("reminder", "县卫健局")


def test_a_replayed_signature_is_refused_once_its_timestamp_is_old() -> None:
    from workflows.delivery_channels import sign

    body = b'{"kind": "overdue"}'
    signature = sign(SECRET, "1700000000", body)
    assert verify_signature(SECRET, "1700000000", body, signature, now=1700000000 + 60)
    assert not verify_signature(SECRET, "1700000000", body, signature, now=1700000000 + 301)
    assert not verify_signature(SECRET, "1700000301", body, signature, now=1700000301)


async def test_a_webhook_answering_500_is_retried_then_its_success_recorded(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    receiver.answers = [500, 503, 200]
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url)
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "delivered"
    assert len(receiver.requests) == 3
    assert len({r.headers[DELIVERY_HEADER] for r in receiver.requests}) == 1
    events = deliveries.events(notice, endpoint)
    assert event_names(events) == ["Requested", "AttemptFailed", "AttemptFailed", "Delivered"]
    assert [(e.attempt, e.permanent) for e in events[1:3]] == [(1, False), (2, False)]
    assert events[3].attempt == 3


async def test_a_webhook_answering_400_fails_at_once_and_the_failure_is_recorded(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    receiver.answers = [400]
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url)
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "failed"
    assert len(receiver.requests) == 1
    events = deliveries.events(notice, endpoint)
    assert event_names(events) == ["Requested", "AttemptFailed", "Abandoned"]
    assert events[1].permanent is True and events[1].error.startswith("HTTP 400")
    assert deliveries.record(notice, endpoint).status is DeliveryStatus.FAILED


async def test_a_webhook_that_keeps_failing_is_abandoned_when_the_retries_run_out(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    receiver.answers = [503]
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url)
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "failed"
    attempts = SEND_RETRY.maximum_attempts
    assert len(receiver.requests) == attempts
    events = deliveries.events(notice, endpoint)
    assert event_names(events) == ["Requested"] + ["AttemptFailed"] * attempts + ["Abandoned"]


async def test_an_email_reaches_the_smtp_sink_in_chinese_and_english(
    deliveries: Deliveries, smtp_sink: tuple[SmtpSink, SmtpConfig]
) -> None:
    sink, _ = smtp_sink
    agency, notice = remind_issue(deliveries.app)
    deliveries.app.add_endpoint(agency, ChannelKind.EMAIL, "ban@wsj.example.cn", actor="admin")
    endpoint = deliveries.app.endpoints_of(agency)[0].id
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "delivered"
    (mail,) = sink.messages
    assert mail["Subject"] == "【到期提醒】问题1：违规收费 / Reminder"
    assert mail["To"] == "ban@wsj.example.cn"
    assert mail["Message-ID"] == f"<{delivery_id(notice, endpoint)}@rectify>"
    text = mail.get_content()
    assert "到期提醒：问题1：违规收费" in text and "Sent automatically by Rectify" in text
    assert event_names(deliveries.events(notice, endpoint)) == ["Requested", "Delivered"]


async def test_a_mailbox_the_server_refuses_is_a_permanent_failure(
    deliveries: Deliveries, smtp_sink: tuple[SmtpSink, SmtpConfig]
) -> None:
    sink, _ = smtp_sink
    agency, notice = remind_issue(deliveries.app)
    deliveries.app.add_endpoint(agency, ChannelKind.EMAIL, REFUSED_MAILBOX, actor="admin")
    endpoint = deliveries.app.endpoints_of(agency)[0].id
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "failed"
    assert sink.messages == []
    events = deliveries.events(notice, endpoint)
    assert event_names(events) == ["Requested", "AttemptFailed", "Abandoned"]
    assert events[1].permanent is True and "550" in events[1].error


class DiesAfterRecording(DeliveryActivities):
    """The worker dies after the success is recorded, before the activity completes."""

    died = False

    def after_recorded(self, delivery_id: UUID) -> None:
        if not DiesAfterRecording.died:
            DiesAfterRecording.died = True
            raise RuntimeError("worker died")


@pytest.mark.parametrize("deliveries", [DiesAfterRecording], indirect=True)
async def test_a_retried_activity_does_not_send_again_after_a_success(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url)
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "delivered"
    assert DiesAfterRecording.died
    assert len(receiver.requests) == 1
    assert event_names(deliveries.events(notice, endpoint)) == ["Requested", "Delivered"]


async def test_a_re_dispatched_notice_is_not_sent_twice(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url)
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "delivered"
    deliveries.notifier._write_position(0)  # the notifier crashed before saving its position
    assert await deliveries.notifier.notify_pending() > 0
    assert await deliveries.result(notice, endpoint) == "delivered"
    assert len(receiver.requests) == 1
    assert event_names(deliveries.events(notice, endpoint)) == ["Requested", "Delivered"]


async def test_an_endpoint_gets_only_the_kinds_it_asked_for(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url, kinds=["overdue", "escalation"])
    await deliveries.notifier.notify_pending()
    assert receiver.requests == []
    assert list(deliveries.app.events.get(delivery_id(notice, endpoint))) == []


async def test_a_notice_of_an_agency_without_endpoints_starts_no_delivery(
    deliveries: Deliveries,
) -> None:
    remind_issue(deliveries.app)
    assert await deliveries.notifier.notify_pending() > 0
    topics = [n.topic for n in deliveries.app.recorder.select_notifications(start=1, limit=100)]
    assert "rectify:Notice.Issued" in topics
    assert Delivery.Requested.TOPIC not in topics


async def test_a_delivery_recorded_as_sent_is_not_sent_by_a_later_workflow(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    """Temporal forgets finished workflows after their retention: the record still holds."""
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url)
    await deliveries.notifier.notify_pending()
    assert await deliveries.result(notice, endpoint) == "delivered"
    (issued,) = deliveries.app.events.get(notice)
    (again,) = await deliveries.notifier._deliveries(issued)
    handle = await deliveries.env.client.start_workflow(
        DeliveryWorkflow.run,
        again,
        id=f"delivery-{again.message.delivery_id}-after-retention",
        task_queue=deliveries.task_queue,
    )
    assert await handle.result() == "delivered"
    assert len(receiver.requests) == 1
    assert event_names(deliveries.events(notice, endpoint)) == ["Requested", "Delivered"]


async def test_a_delivery_to_an_endpoint_removed_meanwhile_is_skipped(
    deliveries: Deliveries, receiver: Receiver
) -> None:
    agency, notice = remind_issue(deliveries.app)
    endpoint = add_webhook(deliveries, agency, receiver.url, kinds=["overdue"])
    await deliveries.notifier.notify_pending()  # not wanted yet: nothing started
    deliveries.app.add_endpoint(
        agency, ChannelKind.WEBHOOK, receiver.url, secret=SECRET, actor="admin"
    )  # now wanted: the input of its delivery is what the notifier would start
    (issued,) = deliveries.app.events.get(notice)
    (pending,) = await deliveries.notifier._deliveries(issued)
    deliveries.app.remove_endpoint(agency, endpoint, "admin")
    result = await deliveries.env.client.execute_workflow(
        DeliveryWorkflow.run, pending, id="delivery-removed", task_queue=deliveries.task_queue
    )
    assert result == "skipped"
    assert receiver.requests == []
    assert not deliveries.app.has_delivery(delivery_id(notice, endpoint))
