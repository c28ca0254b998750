"""The inbox projection: notices become inbox rows, delivery events their delivery state.

No transaction here; the runner owns it (rows and tracking position together).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.delivery import Delivery, DeliveryStatus
from domain.notices import Notice
from projections.rowset import Appends, Table

_DELIVERY = (Delivery.Requested, Delivery.Event)


class NotificationProjection:
    """Folds a batch into rows in memory (projections/rowset.py): one load and one write
    per table."""

    TABLES: ClassVar[tuple[str, ...]] = ("notification_deliveries", "notifications")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.notices = Appends(cursor, "notifications", ("id",), "nothing")
        self.deliveries = Table(cursor, "notification_deliveries", ("id",))

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        self.deliveries.load(e.originator_id for e, _ in batch if isinstance(e, _DELIVERY))

    def flush(self) -> None:
        self.notices.flush()
        self.deliveries.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        match event:
            case Notice.Issued():
                self._issued(event, position)
            case Delivery.Requested():
                self.deliveries.insert(
                    {
                        "id": event.originator_id,
                        "notification_id": event.notice_id,
                        "channel": event.channel,
                        "address": event.address,
                        "status": DeliveryStatus.PENDING.value,
                        "updated_at": event.timestamp,
                    }
                )
            case Delivery.AttemptFailed():
                self._delivery(event, attempts=1, last_error=event.error)
            case Delivery.Delivered():
                self._delivery(event, attempts=1, status=DeliveryStatus.DELIVERED.value)
            case Delivery.Abandoned():
                self._delivery(event, status=DeliveryStatus.FAILED.value, first_error=event.reason)

    def _issued(self, event: Notice.Issued, position: int) -> None:
        self.notices.add(
            {
                "id": event.originator_id,
                "position": position,
                "item_kind": event.item_kind,
                "item_id": event.item_id,
                "kind": event.kind,
                "rung": event.rung,
                "agency_id": event.agency_id,
                "audience": event.audience,
                "title": event.title,
                "body": event.body,
                "at": event.at,
                "issued_at": event.timestamp,
            }
        )

    def _delivery(
        self, event: Any, attempts: int = 0, first_error: str | None = None, **changes: Any
    ) -> None:
        """`attempts` are added to the count; `first_error` is kept only if none is there."""
        row = self.deliveries.get(event.originator_id)
        if row is None:
            return
        if first_error is not None and row["last_error"] is None:
            changes["last_error"] = first_error
        changes["attempts"] = row["attempts"] + attempts
        self.deliveries.update(event.originator_id, updated_at=event.timestamp, **changes)
