"""The inbox projection: notices become inbox rows, delivery events their delivery state.

Statements only; the runner owns the transaction (rows and tracking position together).
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.delivery import Delivery, DeliveryStatus
from domain.notices import Notice


class NotificationProjection:
    TABLES: ClassVar[tuple[str, ...]] = ("notification_deliveries", "notifications")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        match event:
            case Notice.Issued():
                self._issued(event, position)
            case Delivery.Requested():
                self.cur.execute(
                    "INSERT INTO notification_deliveries (id, notification_id, channel, address,"
                    " status, updated_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (
                        event.originator_id,
                        event.notice_id,
                        event.channel,
                        event.address,
                        DeliveryStatus.PENDING.value,
                        event.timestamp,
                    ),
                )
            case Delivery.AttemptFailed():
                self._delivery(event, "attempts = attempts + 1, last_error = %s", event.error)
            case Delivery.Delivered():
                self._delivery(
                    event, "attempts = attempts + 1, status = %s", DeliveryStatus.DELIVERED.value
                )
            case Delivery.Abandoned():
                self._delivery(
                    event,
                    "status = %s, last_error = coalesce(last_error, %s)",
                    DeliveryStatus.FAILED.value,
                    event.reason,
                )

    def _issued(self, event: Notice.Issued, position: int) -> None:
        self.cur.execute(
            "INSERT INTO notifications (id, position, item_kind, item_id, kind, rung, agency_id,"
            " audience, title, body, at, issued_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                event.originator_id,
                position,
                event.item_kind,
                event.item_id,
                event.kind,
                event.rung,
                event.agency_id,
                event.audience,
                event.title,
                event.body,
                event.at,
                event.timestamp,
            ),
        )

    def _delivery(self, event: Any, assignments: str, *params: Any) -> None:
        """`assignments` are constants of this module; values go as parameters."""
        self.cur.execute(
            f"UPDATE notification_deliveries SET {assignments}, updated_at = %s WHERE id = %s",
            (*params, event.timestamp, event.originator_id),
        )
