"""Snapshots for the audit's as-of view, derived here from the stored events and checked
against them on every use (ADR 0062).

`state_as_of` replays an item's stream. An auditor reading one item moves between its
versions, and each read replayed the whole stream again: about 40 ms at version 1,000. This
keeps, in this process's memory only, the aggregate after stored rows at multiples of
`EVERY` (the two latest each replay passes) of the items read lately, each with a SHA-256
digest of the stored rows it was built from (version, topic and state bytes of every row
up to it). A later read digests the rows it has just read from the store and starts from
the latest snapshot whose digest matches, replaying only the events after it.

So a snapshot is never a source of facts: it is never stored, never shared between
processes, and used only when the stored events below it are byte for byte those it was
replayed from, which makes the state exactly that of a full replay of the same rows. An
event altered, removed or re-chained since changes the digest, the snapshot is passed
over, and the state is replayed from the events as they are now (the hash chain still
says beside it whether they are what was written). A snapshot is a deep copy, and is
copied again when used, so no read can change it.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

EVERY = 100  # events between two snapshots of an item
ITEMS = 256  # items whose snapshots are kept, the least recently read dropped first


@dataclass(frozen=True)
class Snapshot:
    rows: int  # how many stored rows it was replayed from
    digest: bytes  # of those rows
    aggregate: Any  # after them; never handed out, only copies


_NONE = Snapshot(0, b"", None)


def _digests(rows: Sequence[Any], count: int, every: int) -> dict[int, bytes]:
    """The digest of the first n rows, for every n up to `count` that is a multiple of
    `every`: SHA-256 over each row's version (8 bytes), topic (its length in 4 bytes, its
    UTF-8) and state (its length in 8 bytes, its bytes), in order. The hash is fed a
    multiple's rows at once (the same bytes as row by row), and not the rows after the last
    multiple, which no digest covers."""
    running = hashlib.sha256()
    found: dict[int, bytes] = {}
    topics: dict[str, bytes] = {}  # a topic's length and bytes, encoded once
    parts: list[bytes] = []
    for n in range(every, count - count % every + 1, every):
        for row in rows[n - every : n]:
            topic = topics.get(row.topic)
            if topic is None:
                encoded = row.topic.encode("utf8")
                topic = topics[row.topic] = len(encoded).to_bytes(4, "big") + encoded
            state = row.state if type(row.state) is bytes else bytes(row.state)
            parts += (
                int(row.originator_version).to_bytes(8, "big", signed=True),
                topic,
                len(state).to_bytes(8, "big"),
                state,
            )
        running.update(b"".join(parts))
        parts.clear()
        found[n] = running.digest()
    return found


class AsOfSnapshots:
    def __init__(self, every: int = EVERY, items: int = ITEMS) -> None:
        self.every = every
        self.items = items
        self._kept: OrderedDict[UUID, dict[int, Snapshot]] = OrderedDict()
        self._lock = threading.Lock()

    def state_after(
        self,
        item_id: UUID,
        rows: Sequence[Any],
        count: int,
        decode: Callable[[Any], Any],
        mutate: Callable[[Any, Any], Any],
        view: Callable[[Any], Any] | None = None,
    ) -> Any:
        """The aggregate after the first `count` stored `rows` of the item: from the
        latest matching snapshot, else from nothing; snapshots missing on the way are kept.
        With a `view`, what it makes of that aggregate instead (it must only read it, and
        return nothing of it that can change it): then the aggregate after the last row
        is kept as a snapshot without a copy, and a snapshot after exactly `count` rows is
        viewed without one, since neither is then handed out or changed."""
        digests = _digests(rows, count, self.every)
        with self._lock:
            kept = dict(self._kept.get(item_id, {}))
        start, aggregate = 0, None
        for n in sorted(digests, reverse=True):
            snapshot = kept.get(n)
            if snapshot is not None and snapshot.digest == digests[n]:
                if view is not None and n == count:
                    return view(snapshot.aggregate)
                start, aggregate = n, copy.deepcopy(snapshot.aggregate)
                break
        # Only the two latest on the way are taken: a read near the end (the common
        # case, and stepping back through versions) starts from one of them, and a cold
        # read of a long stream pays for two copies, not one per hundred events.
        wanted = {n for n in sorted(digests)[-2:] if kept.get(n, _NONE).digest != digests[n]}
        taken: list[Snapshot] = []
        for n in range(start, count):
            aggregate = mutate(aggregate, decode(rows[n]))
            if n + 1 in wanted:
                last = view is not None and n + 1 == count
                kept_as = aggregate if last else copy.deepcopy(aggregate)
                taken.append(Snapshot(n + 1, digests[n + 1], kept_as))
        self._keep(item_id, taken)
        return aggregate if view is None else view(aggregate)

    def _keep(self, item_id: UUID, taken: list[Snapshot]) -> None:
        with self._lock:
            kept = self._kept.setdefault(item_id, {})
            self._kept.move_to_end(item_id)
            for snapshot in taken:
                kept[snapshot.rows] = snapshot
            while len(self._kept) > self.items:
                self._kept.popitem(last=False)

    def forget(self) -> None:
        """Drop every snapshot (the bench's first read; tests)."""
        with self._lock:
            self._kept.clear()

    def kept(self, item_id: UUID) -> list[int]:
        """The row counts of the item's snapshots (tests)."""
        with self._lock:
            return sorted(self._kept.get(item_id, {}))


SNAPSHOTS = AsOfSnapshots()
