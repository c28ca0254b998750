"""Verify's first pass in log order (docs/decisions/0072): every event once, in
notification-id order, with its hash row, each stream's last recomputed hash kept in a dict.

It proves an intact log at about the cost of reading it: no sort, no full join. It only
says whether every chain held; when anything does not (or the log has too many streams to
hold), verify runs the stream-order pass, which names and classifies what broke. So it
must never accept what that pass would report: it holds only when
- every event has the hash row of its own stream, version and log position
  (an event without one, renumbered or moved, fails here);
- the hash rows are exactly as many (so none is left without its event);
- each stream's versions come 1, 2, 3, … in log order (no gap, even one rehashed over);
- each stored hash is the one recomputed on the stream's recomputed hash before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg import Connection
from psycopg.rows import DictRow

from infrastructure.audit_queries import Opening, log_order_query, streamed
from infrastructure.checkpoint_fold import CheckpointFold
from infrastructure.event_hashes import GENESIS, event_hash
from infrastructure.event_store import ChunkedApplicationRecorder

# Streams whose last hash the pass holds at once: about 280 bytes each (the id as text, the
# hash, the version), so at most about 56 MB. A log with more is verified in stream order,
# whose memory does not grow with the log. The pass only holds streams whose version 1
# has its hash row, so the count of those rows bounds it before it starts.
MAX_STREAMS = 200_000


@dataclass
class Recent:
    """The events after the newest checkpoint's position, as the first pass saw them: how
    many, and the first in the log (pass 4 asks whether it waited too long)."""

    after: int
    count: int = 0
    position: int | None = None
    first: tuple[str, int, str, bytes] | None = None

    def first_event(self) -> tuple[int, StoredEvent] | None:
        if self.position is None or self.first is None:
            return None
        oid, version, topic, state = self.first
        return self.position, StoredEvent(UUID(oid), version, topic, state)


@dataclass(frozen=True)
class Held:
    events: int
    streams: int


def chains_in_log_order(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    opening: Opening,
    fold: CheckpointFold,
    recent: Recent,
) -> Held | None:
    """Whether every chain holds (None: it does not, or could not be told here), reading
    the log once; `opening` counted the hash rows in the same snapshot. On the way,
    the hash rows up to `fold.upto` go to `fold` and the events after `recent.after` are
    counted into `recent`: the fold is only worth finishing when it holds."""
    if opening.first_versions > MAX_STREAMS:
        return None
    # two dicts of untracked values rather than one of (hash, version) tuples: a tuple
    # per stream was a container for the garbage collector to count and traverse
    hashes: dict[str, bytes] = {}
    versions: dict[str, int] = {}
    after, upto, add = recent.after, fold.upto, fold.add
    first: int | None = None
    first_index = 0  # how many events up to and including the first after `after`
    first_event: tuple[str, int, str, bytes] | None = None
    with streamed(conn, "audit_log_order", log_order_query(recorder)) as rows:
        # This loop runs once per event: tuples unpacked, no call but the hash (0069); no
        # counter either: when it holds, each stream's last version is its event count.
        for oid, version, topic, state, position, stored in rows:
            if versions.get(oid, 0) + 1 != version:
                break  # a gap, a stream not starting at 1, or versions out of log order
            recomputed = event_hash(hashes.get(oid, GENESIS), oid, version, topic, state)
            if recomputed != stored:  # also when it has no hash row (stored is None)
                break
            hashes[oid] = recomputed
            versions[oid] = version
            if first is None and position > after:
                first, first_index = position, sum(versions.values())  # once
                first_event = (oid, version, topic, state)
            if position <= upto and position > 0:  # past the checkpoints: one comparison
                add(position, stored)
        else:
            events = sum(versions.values())
            if opening.hash_rows == events:
                if first is not None:
                    recent.position, recent.count = first, events - first_index + 1
                    recent.first = first_event
                return Held(events, len(versions))
        for _ in rows:
            pass  # a stream is read to its end (0069); the stream-order pass follows
    return None
