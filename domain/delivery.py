"""Where an agency's notifications go (endpoints) and what became of each delivery.

`Endpoints` is one aggregate per agency: its webhook URLs and e-mail addresses, kept as
events so that who pointed an agency's notices where, and when, is on record.

`Delivery` is one aggregate per (notice, endpoint), its id derived from both, so a
re-dispatched milestone or a retried activity finds the same delivery: once it is
`Delivered` nothing sends it again. Every attempt's failure is recorded too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, InvalidTransition, NotFound
from domain.messages import says
from domain.names import NAMESPACE

MIN_SECRET_LENGTH = 16


class ChannelKind(StrEnum):
    WEBHOOK = "WEBHOOK"
    EMAIL = "EMAIL"


def endpoints_id(agency_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"endpoints:{agency_id}")


def endpoint_id(agency_id: UUID, channel: ChannelKind, address: str) -> UUID:
    return uuid5(NAMESPACE, f"endpoint:{agency_id}:{channel.value}:{address.strip()}")


def delivery_id(notice_id: UUID, endpoint: UUID) -> UUID:
    return uuid5(NAMESPACE, f"delivery:{notice_id}:{endpoint}")


@dataclass(frozen=True)
class Endpoint:
    id: UUID
    channel: ChannelKind
    address: str  # the URL of a webhook, the mailbox of an e-mail
    secret: str  # HMAC key of a webhook; empty for e-mail
    kinds: tuple[str, ...]  # milestone kinds wanted (reminder, overdue, …); empty: all

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


def check_endpoint(channel: ChannelKind, address: str, secret: str) -> None:
    """Refuse what could never be delivered to, naming the field."""
    address = address.strip()
    if channel is ChannelKind.WEBHOOK:
        if not address.startswith(("http://", "https://")):
            raise InvalidInput("url", says("webhook_url"))
        if len(secret) < MIN_SECRET_LENGTH:
            raise InvalidInput("secret", says("secret_too_short", least=MIN_SECRET_LENGTH))
    else:
        local, _, domain = address.partition("@")
        if not local or "." not in domain or " " in address:
            raise InvalidInput("email", says("not_an_email", address=address))


class Endpoints(Aggregate):
    TOPIC = "rectify:Endpoints"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Endpoints.Event"

    class Created(Aggregate.Created):
        TOPIC = "rectify:Endpoints.Created"
        agency_id: UUID

    class EndpointAdded(Aggregate.Event):
        TOPIC = "rectify:Endpoints.EndpointAdded"
        endpoint_id: UUID
        channel: str
        address: str
        secret: str
        kinds: list[str]
        actor: str

    class EndpointRemoved(Aggregate.Event):
        TOPIC = "rectify:Endpoints.EndpointRemoved"
        endpoint_id: UUID
        actor: str

    @staticmethod
    def create_id(agency_id: UUID, *_: Any, **__: Any) -> UUID:
        return endpoints_id(agency_id)

    @event(Created)
    def __init__(self, agency_id: UUID) -> None:
        self.agency_id = agency_id
        self.endpoints: dict[UUID, Endpoint] = {}

    def add(
        self, channel: ChannelKind, address: str, secret: str, kinds: list[str], actor: str
    ) -> UUID:
        """Add an endpoint, or change the secret/kinds of the same address; a repeat is a no-op."""
        check_endpoint(channel, address, secret)
        item = endpoint_id(self.agency_id, channel, address)
        wanted = Endpoint(item, channel, address.strip(), secret, tuple(sorted(set(kinds))))
        if self.endpoints.get(item) != wanted:
            self._added(item, channel.value, wanted.address, secret, list(wanted.kinds), actor)
        return item

    @event(EndpointAdded)
    def _added(
        self,
        endpoint_id: UUID,
        channel: str,
        address: str,
        secret: str,
        kinds: list[str],
        actor: str,
    ) -> None:
        self.endpoints[endpoint_id] = Endpoint(
            endpoint_id, ChannelKind(channel), address, secret, tuple(kinds)
        )

    def remove(self, endpoint: UUID, actor: str) -> None:
        if endpoint not in self.endpoints:
            raise NotFound("endpoint", str(endpoint))
        self._removed(endpoint, actor)

    @event(EndpointRemoved)
    def _removed(self, endpoint_id: UUID, actor: str) -> None:
        del self.endpoints[endpoint_id]


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # 待发送
    DELIVERED = "DELIVERED"  # 已送达
    FAILED = "FAILED"  # 发送失败（已放弃）


class Delivery(Aggregate):
    TOPIC = "rectify:Delivery"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Delivery.Event"

    class Requested(Aggregate.Created):
        TOPIC = "rectify:Delivery.Requested"
        notice_id: UUID
        endpoint_id: UUID
        agency_id: UUID
        channel: str
        address: str
        subject: str

    class AttemptFailed(Aggregate.Event):
        TOPIC = "rectify:Delivery.AttemptFailed"
        attempt: int
        error: str
        permanent: bool

    class Delivered(Aggregate.Event):
        TOPIC = "rectify:Delivery.Delivered"
        attempt: int
        detail: str

    class Abandoned(Aggregate.Event):
        TOPIC = "rectify:Delivery.Abandoned"
        reason: str

    @staticmethod
    def create_id(notice_id: UUID, endpoint_id: UUID, *_: Any, **__: Any) -> UUID:
        return delivery_id(notice_id, endpoint_id)

    @event(Requested)
    def __init__(
        self,
        notice_id: UUID,
        endpoint_id: UUID,
        agency_id: UUID,
        channel: str,
        address: str,
        subject: str,
    ) -> None:
        self.notice_id = notice_id
        self.endpoint_id = endpoint_id
        self.agency_id = agency_id
        self.channel = ChannelKind(channel)
        self.address = address
        self.status = DeliveryStatus.PENDING
        self.failed_attempts: list[int] = []

    @property
    def attempts(self) -> int:
        return len(self.failed_attempts) + (1 if self.status is DeliveryStatus.DELIVERED else 0)

    def record_failure(self, attempt: int, error: str, permanent: bool) -> None:
        """Once per attempt number: a retried recording of the same attempt adds nothing."""
        if self.status is not DeliveryStatus.PENDING or attempt in self.failed_attempts:
            return
        if attempt < 1:
            raise InvalidInput("attempt", says("attempt_from_one"))
        self._attempt_failed(attempt, error.strip() or "unknown error", permanent)

    @event(AttemptFailed)
    def _attempt_failed(self, attempt: int, error: str, permanent: bool) -> None:
        self.failed_attempts.append(attempt)

    def record_delivered(self, attempt: int, detail: str) -> None:
        if self.status is DeliveryStatus.DELIVERED:
            return
        if self.status is DeliveryStatus.FAILED:
            # A send that outlived its abandonment would be a bug in the workflow.
            raise InvalidTransition("record a delivery", self.status.value, kind="delivery")
        self._delivered(attempt, detail)

    @event(Delivered)
    def _delivered(self, attempt: int, detail: str) -> None:
        self.status = DeliveryStatus.DELIVERED

    def abandon(self, reason: str) -> None:
        if self.status is not DeliveryStatus.PENDING:
            return
        self._abandoned(reason.strip() or "retries exhausted")

    @event(Abandoned)
    def _abandoned(self, reason: str) -> None:
        self.status = DeliveryStatus.FAILED
