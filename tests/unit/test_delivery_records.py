"""Endpoints per agency and the record of each delivery: every event and every refusal."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.delivery import ChannelKind, Delivery, DeliveryStatus, Endpoints
from domain.errors import InvalidInput, InvalidTransition, NotFound

SECRET = "s" * 16


def _endpoints() -> Endpoints:
    endpoints = Endpoints(uuid4())
    endpoints.collect_events()
    return endpoints


def _delivery() -> Delivery:
    delivery = Delivery(uuid4(), uuid4(), uuid4(), "WEBHOOK", "http://x", "【督办】")
    delivery.collect_events()
    return delivery


def test_adding_a_webhook_records_it() -> None:
    endpoints = _endpoints()
    endpoints.add(ChannelKind.WEBHOOK, "https://hook.example/x", SECRET, ["overdue"], "admin")
    (event,) = endpoints.collect_events()
    assert isinstance(event, Endpoints.EndpointAdded)
    assert (event.channel, event.kinds) == ("WEBHOOK", ["overdue"])


def test_adding_the_same_endpoint_again_records_nothing() -> None:
    endpoints = _endpoints()
    endpoints.add(ChannelKind.EMAIL, "ban@wsj.gov.cn", "", [], "admin")
    endpoints.add(ChannelKind.EMAIL, "ban@wsj.gov.cn", "", [], "admin")
    assert len(endpoints.collect_events()) == 1


def test_a_webhook_without_a_url_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _endpoints().add(ChannelKind.WEBHOOK, "ftp://x", SECRET, [], "admin")
    assert refused.value.field == "url"


def test_a_webhook_with_a_short_secret_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _endpoints().add(ChannelKind.WEBHOOK, "https://x.example", "short", [], "admin")
    assert refused.value.field == "secret"


def test_an_email_endpoint_without_a_mailbox_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _endpoints().add(ChannelKind.EMAIL, "not-a-mailbox", "", [], "admin")
    assert refused.value.field == "email"


def test_removing_an_endpoint_records_it() -> None:
    endpoints = _endpoints()
    item = endpoints.add(ChannelKind.EMAIL, "ban@wsj.gov.cn", "", [], "admin")
    endpoints.remove(item, "admin")
    assert isinstance(endpoints.collect_events()[-1], Endpoints.EndpointRemoved)
    assert endpoints.endpoints == {}


def test_removing_an_unknown_endpoint_is_refused() -> None:
    with pytest.raises(NotFound):
        _endpoints().remove(uuid4(), "admin")


def test_a_failed_attempt_is_recorded_once_per_attempt_number() -> None:
    delivery = _delivery()
    delivery.record_failure(1, "HTTP 500", permanent=False)
    delivery.record_failure(1, "HTTP 500", permanent=False)
    (event,) = delivery.collect_events()
    assert isinstance(event, Delivery.AttemptFailed)
    assert (event.attempt, event.permanent) == (1, False)


def test_a_success_is_recorded_once() -> None:
    delivery = _delivery()
    delivery.record_delivered(2, "HTTP 200")
    delivery.record_delivered(3, "HTTP 200")
    (event,) = delivery.collect_events()
    assert isinstance(event, Delivery.Delivered)
    assert delivery.status is DeliveryStatus.DELIVERED


def test_a_failure_after_the_success_records_nothing() -> None:
    delivery = _delivery()
    delivery.record_delivered(1, "HTTP 200")
    delivery.collect_events()
    delivery.record_failure(2, "HTTP 500", permanent=False)
    assert delivery.collect_events() == []


def test_abandoning_records_the_failure_once() -> None:
    delivery = _delivery()
    delivery.abandon("retries exhausted")
    delivery.abandon("retries exhausted")
    (event,) = delivery.collect_events()
    assert isinstance(event, Delivery.Abandoned)
    assert delivery.status is DeliveryStatus.FAILED


def test_a_delivered_delivery_is_not_abandoned() -> None:
    delivery = _delivery()
    delivery.record_delivered(1, "ok")
    delivery.collect_events()
    delivery.abandon("late")
    assert delivery.collect_events() == []


def test_recording_a_success_after_abandoning_is_refused() -> None:
    delivery = _delivery()
    delivery.abandon("gave up")
    with pytest.raises(InvalidTransition) as refused:
        delivery.record_delivered(1, "ok")
    assert refused.value.current_state == "FAILED"
