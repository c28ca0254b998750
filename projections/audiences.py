"""Who each item concerns, for filtering live notices by agency (ADR 0021).

An item concerns every agency its stream has ever named: a referral its sender and each
receiver it had, an issue its lead and co-responsible agencies, a case transfer the
reporting agency, the police and the procuratorate. Later events of the stream (an
acceptance by the sender, a clock milestone) often name no agency; the table remembers the
agencies of the earlier ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.parties import agencies_named
from projections.rowset import shape_of, write


class AudienceProjection:
    NAME = "audience"
    TABLES: ClassVar[tuple[str, ...]] = ("item_audiences",)

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.pending: set[tuple[UUID, UUID]] = set()
        self.begun: set[UUID] = set()  # items whose first event is in the batch

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        named = agencies_named(vars(event))
        self.pending.update((event.originator_id, agency) for agency in named)
        if event.originator_version == 1:  # rowset.begun: the item has no row yet
            self.begun.add(event.originator_id)

    def flush(self) -> None:
        """One COPY for the batch, after one SELECT of the pairs already there (most events
        name an agency the item has), for the items not begun in this batch."""
        if not self.pending:
            return
        # unsorted: sorting pairs of UUIDs (compared in Python) was 7% of a rebuild
        rows = [{"item_id": item, "agency_id": agency} for item, agency in self.pending]
        shape = shape_of(self.cur, "item_audiences")
        write(self.cur, shape, rows, ("item_id", "agency_id"), "nothing", self.begun)
        self.pending.clear()
        self.begun.clear()


def audience_of(cur: Cursor[Any], items: Iterable[UUID]) -> set[UUID] | None:
    """The agencies the `items` concern; None when one of them names no agency at all
    (an agency, a campaign's calendar, a notice to the leading group office): such a
    change concerns everyone, and a spare notice is better than a missed one."""
    wanted = sorted(set(items))
    if not wanted:
        return set()
    rows = cur.execute(
        "SELECT item_id, agency_id FROM item_audiences WHERE item_id = ANY(%s)", (wanted,)
    ).fetchall()
    if len({row[0] for row in rows}) < len(wanted):
        return None
    return {row[1] for row in rows}
