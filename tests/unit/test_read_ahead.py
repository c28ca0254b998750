"""Reading the log one batch ahead (projections/reading.py, ADR 0059): the batch read in
a thread is used only for the very request it anticipated, a short batch reads nothing
ahead, and an event that cannot be decoded leaves the decoding to the runner."""

from __future__ import annotations

import threading
from typing import Any, cast
from uuid import uuid4

from eventsourcing.persistence import Notification

from domain.application import RectifyApp
from projections.reading import ReadAhead

POISON = b"poison"


class _Recorder:
    def __init__(self, count: int) -> None:
        self.log = [
            Notification(id=n, originator_id=uuid4(), originator_version=1, topic="t", state=b"{}")
            for n in range(1, count + 1)
        ]
        self.asked: list[tuple[int, int, int | None]] = []
        self.lock = threading.Lock()

    def select_notifications(
        self, start: int, limit: int, stop: int | None = None
    ) -> list[Notification]:
        with self.lock:
            self.asked.append((start, limit, stop))
        upto = stop if stop is not None else len(self.log)
        return [n for n in self.log if start <= n.id <= upto][:limit]


class _Mapper:
    def to_domain_event(self, notification: Notification) -> Any:
        if notification.state == POISON:
            raise ValueError("cannot be decoded")
        return ("event", notification.id)


class _App:
    def __init__(self, count: int) -> None:
        self.recorder = _Recorder(count)
        self.mapper = _Mapper()


def _reader(app: _App) -> ReadAhead:
    return ReadAhead(cast(RectifyApp, app))


def test_a_full_batch_reads_the_next_one_ahead_and_it_is_used() -> None:
    app = _App(10)
    with _reader(app) as reader:
        first, events = reader.read(0, 4)
        assert [n.id for n in first] == [1, 2, 3, 4]
        assert events == [("event", n) for n in (1, 2, 3, 4)]
        second, _ = reader.read(4, 4)
        assert [n.id for n in second] == [5, 6, 7, 8]
    # the second batch was read once, ahead (the third, ahead of a read never made, may
    # have been cancelled before it ran)
    assert app.recorder.asked[:2] == [(1, 4, None), (5, 4, None)]
    assert app.recorder.asked.count((5, 4, None)) == 1


def test_a_read_from_elsewhere_drops_what_was_read_ahead() -> None:
    app = _App(10)
    with _reader(app) as reader:
        reader.read(0, 4)
        found, _ = reader.read(2, 4)  # another runner moved the position meanwhile
        assert [n.id for n in found] == [3, 4, 5, 6]
    assert (3, 4, None) in app.recorder.asked


def test_a_short_batch_reads_nothing_ahead() -> None:
    app = _App(3)
    with _reader(app) as reader:
        found, _ = reader.read(0, 4)
    assert [n.id for n in found] == [1, 2, 3]
    assert app.recorder.asked == [(1, 4, None)]


def test_nothing_is_read_ahead_past_the_stop() -> None:
    app = _App(10)
    with _reader(app) as reader:
        reader.read(0, 4, stop=4)
    assert app.recorder.asked == [(1, 4, 4)]


def test_an_event_that_cannot_be_decoded_leaves_the_batch_undecoded() -> None:
    app = _App(4)
    poisoned = app.recorder.log[1]
    app.recorder.log[1] = Notification(
        id=poisoned.id,
        originator_id=poisoned.originator_id,
        originator_version=1,
        topic="t",
        state=POISON,
    )
    with _reader(app) as reader:
        found, events = reader.read(0, 10)
    assert len(found) == 4
    assert events is None
