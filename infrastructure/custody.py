"""What the audit keeps outside the database (the checkpoint key, the promised interval, the
clock), and the two judgements that need it: is a checkpoint authentic, and has an event
waited too long for one (docs/decisions/0025)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.persistence import StoredEvent
from psycopg import Connection
from psycopg.rows import DictRow

from infrastructure.audit_keys import AuditKeys
from infrastructure.audit_queries import Checkpoint, first_event_after
from infrastructure.event_hashes import checkpoint_mac, rekeyed_mac
from infrastructure.event_store import ChunkedApplicationRecorder


@dataclass(frozen=True)
class Custody:
    """What the audit needs from outside the database: the checkpoint keys (docs/decisions/
    0064), the interval checkpoints are promised at (None: not taken periodically), how to
    read an event's time, and the clock."""

    keys: AuditKeys
    interval: timedelta | None
    event_time: Callable[[StoredEvent], datetime]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def late_after(self) -> timedelta | None:
        """How long an event may wait for a checkpoint: the taker runs every interval, so
        twice that leaves room for a slow run without letting a deleted one pass."""
        return 2 * self.interval if self.interval else None


def custody_of(app: Any, keys: AuditKeys | str | bytes, minutes: float) -> Custody:
    """Custody for the application `app` (its mapper decodes event times); a single key is
    the unnamed one of before (RECTIFY_AUDIT_KEY alone)."""
    mapper = app.mapper

    def event_time(stored: StoredEvent) -> datetime:
        return mapper.to_domain_event(stored).timestamp  # type: ignore[no-any-return]

    return Custody(
        keys=keys if isinstance(keys, AuditKeys) else AuditKeys.legacy(keys),
        interval=timedelta(minutes=minutes) if minutes > 0 else None,
        event_time=event_time,
    )


def mac_of(key: bytes, checkpoint: Checkpoint, heads: bytes) -> bytes:
    """The MAC `checkpoint` should carry under `key`: a moved one also covers its move."""
    if checkpoint.rekeyed_at is None:
        return checkpoint_mac(key, checkpoint.digest, heads, checkpoint.acknowledged)
    return rekeyed_mac(
        key,
        checkpoint.digest,
        heads,
        checkpoint.acknowledged,
        checkpoint.rekeyed_from,
        checkpoint.rekeyed_at,
    )


def authentic(key: bytes, checkpoint: Checkpoint, heads: bytes) -> bool:
    """Whether `checkpoint` carries its MAC under `key` (the key its key id names)."""
    if checkpoint.mac is None:
        return False
    return hmac.compare_digest(mac_of(key, checkpoint, heads), checkpoint.mac)


def oldest_overdue(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    custody: Custody,
    last: Checkpoint | None,
) -> tuple[int, datetime] | None:
    """The position and time of the oldest event no checkpoint covers, if it has waited
    longer than a checkpoint may take; None when nothing is overdue (or checkpoints are not
    promised at all)."""
    if custody.late_after is None:
        return None
    return overdue(custody, first_event_after(conn, recorder, last.position if last else 0))


def overdue(custody: Custody, first: tuple[int, StoredEvent] | None) -> tuple[int, datetime] | None:
    """`oldest_overdue` of the first event after the newest checkpoint (its log position and
    the event), however it was found: verify finds it in its streams pass (0069). An event
    whose time cannot be read is left to pass 1, which names it."""
    late_after = custody.late_after
    if late_after is None or first is None:
        return None
    try:
        at = custody.event_time(first[1])
    except Exception:
        return None
    return (first[0], at) if custody.now() - at > late_after else None
