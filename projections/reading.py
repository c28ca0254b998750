"""Reading the log one batch ahead, so that two cores work at once (ADR 0059).

The runner reads a batch, decodes it, folds it and waits for the database to write it,
in turn: while the database writes, the Python process idles, and while Python decodes,
the database idles. When a batch was full (a backlog: the next batch is surely there),
`ReadAhead` reads and decodes the next one in a thread while the current one is folded
and written. The read is the recorder's own (its pool's connection, bounded by the
decided position at the moment it runs, ADR 0051), so it returns what a read made then
would return; it is used only if the next batch asked for starts exactly where it was
read from, with the same limit and stop, and dropped otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from eventsourcing.persistence import Mapper, Notification

from domain.application import RectifyApp
from domain.stream_decoding import StreamDecoder

Read = tuple[Sequence[Notification], list[Any] | None]

# One decoder per thread: the read-ahead thread and the runner's may decode at once, and
# a JSON decoder's scanner is not meant to be shared between threads.
_decoders = threading.local()


def _decoder(app: RectifyApp) -> Callable[[Notification], Any]:
    """This thread's lean decoder for `app`'s mapper (ADR 0066): what the mapper returns,
    with each distinct UUID decoded once (a batch of ledger registrations names the same
    twenty agencies thousands of times) and no general dispatch per event. A mapper of
    another kind decodes for itself."""
    mapper = app.mapper
    if not isinstance(mapper, Mapper):
        return mapper.to_domain_event
    found: StreamDecoder | None = getattr(_decoders, "decoder", None)
    if found is None or found.mapper is not mapper:
        found = _decoders.decoder = StreamDecoder(mapper)
    return found.event


def read(
    app: RectifyApp, after: int, limit: int, stop: int | None, skip: str | None = None
) -> Read:
    """Up to `limit` notifications after `after` and their decoded events; None for the
    events when one of them cannot be decoded (the runner then meets the failure itself
    and applies the batch event by event). A rebuild whose registrations the database
    has projected passes over them (`skip`, their topic; `stop` then required, ADR 0075)."""
    if skip is not None:
        if stop is None:
            raise ValueError("passing over a topic needs a decided stop position")
        recorder: Any = app.recorder
        notifications = recorder.select_notifications_except(after, stop, limit, skip)
    else:
        notifications = app.recorder.select_notifications(start=after + 1, limit=limit, stop=stop)
    try:
        decode = _decoder(app)
        return notifications, [decode(n) for n in notifications]
    except Exception:  # a poisoned event: decoded again, and parked, by the runner
        return notifications, None


class ReadAhead:
    """Reads batches, the next one in a thread when the last was full; close when done."""

    def __init__(self, app: RectifyApp, skip: str | None = None) -> None:
        self.app = app
        self.skip = skip  # a topic passed over (`read`)
        self._pool: ThreadPoolExecutor | None = None
        self._next: tuple[tuple[int, int, int | None], Future[Read]] | None = None

    def read(self, after: int, limit: int, stop: int | None = None) -> Read:
        ahead, self._next = self._next, None
        if ahead is not None and ahead[0] == (after, limit, stop):
            found = ahead[1].result()
        else:
            if ahead is not None:
                ahead[1].cancel()
            found = read(self.app, after, limit, stop, self.skip)
        notifications = found[0]
        if len(notifications) == limit and limit > 1:
            last = notifications[-1].id
            if stop is None or last < stop:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(1, thread_name_prefix="read-ahead")
                future = self._pool.submit(read, self.app, last, limit, stop, self.skip)
                self._next = ((last, limit, stop), future)
        return found

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._next = None
