"""`rectify audit verify`'s first pass in log order (docs/decisions/0072): it proves an
intact log in one read, and whatever it cannot prove goes to the stream-order pass, which
names it. These are the cases only the log-order pass's own checks catch, and its bound.

The tampering is plain SQL, as an attacker with database access would do it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from domain.application import RectifyApp
from infrastructure import chains_in_log_order, verification
from infrastructure.checkpoints import take_checkpoint
from infrastructure.custody import Custody, custody_of
from infrastructure.event_store import ChunkedApplicationRecorder
from infrastructure.verification import BreakKind, Verification, verify
from rectify.settings import DEV_AUDIT_KEY
from tests.integration.test_audit import _rehash_everything

EVENTS = "rectify_events"
HASHES = "rectify_events_hashes"


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        yield conn


@pytest.fixture
def agency(app: RectifyApp) -> UUID:
    """An agency whose stream has three events, two alias streams and one more agency."""
    result = app.register_agency("县卫健局", actor="t")
    app.register_agency("县卫健局", actor="t", aliases=("卫健局",))
    app.register_agency("县卫健局", actor="t", aliases=("县卫生健康局",))
    app.register_agency("县医保局", actor="t")
    return result.id


@pytest.fixture
def stream_order_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry each time verify falls back to the stream-order pass."""
    runs: list[int] = []
    check_streams = verification._check_streams

    def counted(*args: Any) -> Verification:
        runs.append(1)
        return check_streams(*args)

    monkeypatch.setattr(verification, "_check_streams", counted)
    return runs


def _verify(app: RectifyApp) -> Verification:
    assert isinstance(app.recorder, ChunkedApplicationRecorder)
    return verify(app.recorder, _custody(app))


def _custody(app: RectifyApp) -> Custody:
    return custody_of(app, DEV_AUDIT_KEY, 10)


def test_an_intact_log_is_proven_in_one_pass_in_log_order(
    app: RectifyApp, agency: UUID, stream_order_runs: list[int]
) -> None:
    result = _verify(app)

    assert result.intact, [b.describe() for b in result.breaks]
    assert (result.events, result.streams) == (6, 4)
    assert stream_order_runs == []


def test_an_event_deleted_with_its_hash_row_and_the_stream_rehashed_is_named(
    app: RectifyApp, agency: UUID, db: psycopg.Connection[Any], stream_order_runs: list[int]
) -> None:
    # every stored hash chains again: only the version numbers show the gap
    for table in (EVENTS, HASHES):
        db.execute(
            f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = 2", (agency,)
        )
    _rehash_everything(db)

    result = _verify(app)

    assert [(b.kind, b.originator_id, b.version) for b in result.breaks] == [
        (BreakKind.DELETED_WITH_HASH, str(agency), 2)
    ]
    assert stream_order_runs == [1]


def test_a_hash_row_without_any_event_is_named(
    app: RectifyApp, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    # a hash row for a version the stream never had: every event still has its own
    db.execute(
        f"INSERT INTO {HASHES} (originator_id, originator_version, hash, notification_id) "
        "VALUES (%s, 4, %s, 1000000)",
        (agency, bytes(32)),
    )

    result = _verify(app)

    assert [(b.kind, b.originator_id, b.version) for b in result.breaks] == [
        (BreakKind.DELETED, str(agency), 4)
    ]


def test_events_of_a_stream_swapped_in_the_log_under_a_checkpoint_are_a_mismatch(
    app: RectifyApp, agency: UUID, db: psycopg.Connection[Any], stream_order_runs: list[int]
) -> None:
    assert isinstance(app.recorder, ChunkedApplicationRecorder)
    take_checkpoint(app.recorder, _custody(app))
    # versions 2 and 3 trade log positions, hash rows and all: every chain still holds
    positions = dict(
        db.execute(
            f"SELECT originator_version, notification_id FROM {EVENTS} "
            "WHERE originator_id = %s AND originator_version IN (2, 3)",
            (agency,),
        ).fetchall()
    )
    for table in (EVENTS, HASHES):
        for version, position in ((2, -1), (3, positions[2]), (2, positions[3])):
            db.execute(
                f"UPDATE {table} SET notification_id = %s "
                "WHERE originator_id = %s AND originator_version = %s",
                (position, agency, version),
            )

    result = _verify(app)

    assert [b.kind for b in result.breaks] == [BreakKind.CHECKPOINT_MISMATCH]
    assert stream_order_runs == [1]


def test_a_log_with_more_streams_than_the_pass_holds_is_verified_in_stream_order(
    app: RectifyApp,
    agency: UUID,
    db: psycopg.Connection[Any],
    monkeypatch: pytest.MonkeyPatch,
    stream_order_runs: list[int],
) -> None:
    monkeypatch.setattr(chains_in_log_order, "MAX_STREAMS", 3)
    intact = _verify(app)
    db.execute(
        f"UPDATE {HASHES} SET hash = %s WHERE originator_id = %s AND originator_version = 2",
        (bytes(32), agency),
    )

    altered = _verify(app)

    assert intact.intact and (intact.events, intact.streams) == (6, 4)
    assert [(b.kind, b.version) for b in altered.breaks] == [(BreakKind.HASH_ALTERED, 2)]
    assert stream_order_runs == [1, 1]


def test_both_passes_find_the_same_of_an_intact_log_with_checkpoints(
    app: RectifyApp, agency: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(app.recorder, ChunkedApplicationRecorder)
    take_checkpoint(app.recorder, _custody(app))
    app.register_agency("市公安局", actor="t")
    take_checkpoint(app.recorder, _custody(app))
    app.register_agency("市税务局", actor="t")
    app.register_agency("市税务局", actor="t", aliases=("税务局",))

    in_log_order = _verify(app)
    monkeypatch.setattr(chains_in_log_order, "MAX_STREAMS", 0)
    in_stream_order = _verify(app)

    assert in_log_order.intact, [b.describe() for b in in_log_order.breaks]
    assert (in_log_order.events, in_log_order.streams, in_log_order.checkpoints) == (10, 7, 2)
    assert in_log_order == in_stream_order
    assert any("3 event(s) after position" in note for note in in_log_order.notes)
