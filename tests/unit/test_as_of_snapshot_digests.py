"""What the as-of snapshots are checked against (ADRs 0062, 0085): the digest of the first n
stored rows is SHA-256 over each row's version, topic and state, row after row; any change to
a row — its state, its topic, its version — changes every digest over it and none before it,
and a snapshot over a changed row is passed over: the state is replayed from the rows as
they are."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any
from uuid import uuid4

import pytest

from domain.as_of_snapshots import AsOfSnapshots, _digests

EVERY = 10


@dataclass(frozen=True)
class Row:
    originator_version: int
    topic: str
    state: bytes


def _rows(count: int) -> list[Row]:
    return [
        Row(n, f"t:事件{n % 3}", f'{{"n":{n},"文":"第{n}次"}}'.encode())
        for n in range(1, count + 1)
    ]


def _row_by_row(rows: list[Row], n: int) -> bytes:
    """The digest as ADR 0062 states it, one row at a time."""
    running = hashlib.sha256()
    for row in rows[:n]:
        topic = row.topic.encode("utf8")
        running.update(row.originator_version.to_bytes(8, "big", signed=True))
        running.update(len(topic).to_bytes(4, "big") + topic)
        running.update(len(row.state).to_bytes(8, "big") + row.state)
    return running.digest()


@pytest.mark.parametrize("count", [0, 1, EVERY - 1, EVERY, EVERY + 1, 3 * EVERY, 3 * EVERY + 7])
def test_the_digest_of_the_first_n_rows_is_sha256_of_each_rows_version_topic_and_state(
    count: int,
) -> None:
    rows = _rows(count + 5)  # rows past `count` are in no digest
    assert _digests(rows, count, EVERY) == {
        n: _row_by_row(rows, n) for n in range(EVERY, count + 1, EVERY)
    }


@pytest.mark.parametrize(
    "change",
    [
        lambda row: replace(row, state=row.state.replace(b'"n"', b'"m"')),  # same length
        lambda row: replace(row, state=row.state.replace(b"}", b" }")),
        lambda row: replace(row, state=row.state[:-1]),
        lambda row: replace(row, topic=row.topic + "x"),
        lambda row: replace(row, originator_version=row.originator_version + 100),
        # the same bytes moved from the state into the topic: not the same rows
        lambda row: replace(row, topic=row.topic + '{"n"', state=row.state[4:]),
    ],
)
@pytest.mark.parametrize("at", [0, EVERY - 1, EVERY, 2 * EVERY + 3])
def test_a_changed_row_changes_every_digest_over_it_and_none_before_it(
    change: Any, at: int
) -> None:
    rows = _rows(3 * EVERY)
    before = _digests(rows, len(rows), EVERY)
    changed = [*rows[:at], change(rows[at]), *rows[at + 1 :]]
    after = _digests(changed, len(changed), EVERY)
    for n in before:
        assert (before[n] == after[n]) is (n <= at), n


class Counting:
    """A decoder and a mutator of the fake rows: the aggregate is the list of states
    applied, so that a replay's result shows every row it was built from."""

    def __init__(self) -> None:
        self.decoded = 0

    def decode(self, row: Row) -> bytes:
        self.decoded += 1
        return row.state

    @staticmethod
    def mutate(aggregate: list[bytes] | None, event: bytes) -> list[bytes]:
        return [*(aggregate or []), event]


def test_a_snapshot_over_a_changed_row_is_passed_over_and_the_rows_replayed_as_they_are() -> None:
    snapshots, item, rows = AsOfSnapshots(every=EVERY), uuid4(), _rows(3 * EVERY)
    first = Counting()
    assert snapshots.state_after(item, rows, len(rows), first.decode, first.mutate) == [
        r.state for r in rows
    ]
    assert first.decoded == len(rows)
    assert snapshots.kept(item) == [2 * EVERY, 3 * EVERY]

    warm = Counting()  # unchanged rows: from the snapshot after 2 * EVERY rows
    version = 2 * EVERY + 5
    assert snapshots.state_after(item, rows, version, warm.decode, warm.mutate) == [
        r.state for r in rows[:version]
    ]
    assert warm.decoded == 5

    changed = [*rows[:3], replace(rows[3], state=b'{"n":4,"forged":true}'), *rows[4:]]
    cold = Counting()  # a row below both snapshots changed: both passed over
    assert snapshots.state_after(item, changed, version, cold.decode, cold.mutate) == [
        r.state for r in changed[:version]
    ]
    assert cold.decoded == version


def _appended(aggregate: list[bytes] | None, event: bytes) -> list[bytes]:
    """A mutator that changes the aggregate in place, as an aggregate's apply methods do."""
    aggregate = [] if aggregate is None else aggregate
    aggregate.append(event)
    return aggregate


def test_no_read_through_a_view_changes_a_snapshot_another_read_starts_from() -> None:
    snapshots, item, rows = AsOfSnapshots(every=EVERY), uuid4(), _rows(3 * EVERY)
    states = [r.state for r in rows]
    for count in (3 * EVERY, 2 * EVERY + 5, 3 * EVERY, 2 * EVERY, 2 * EVERY + 5, 3 * EVERY):
        seen = snapshots.state_after(item, rows, count, Counting().decode, _appended, view=list)
        assert seen == states[:count], count
