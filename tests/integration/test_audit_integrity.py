"""Auditors never read forged history as genuine (issue 13 item 3): every entry of a GraphQL
audit trail, and every state as of a past version, says what the hash chain says of the
events behind it; and a stream's tail cut after the projection runner's last batch is
found by `rectify audit verify`, without waiting minutes for a checkpoint.

The tampering is plain SQL on the events and hash tables, as an attacker with database
access would do it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from domain.application import RectifyApp
from infrastructure.audit_queries import latest_checkpoint
from infrastructure.event_store import ChunkedApplicationRecorder
from projections import run_projections
from rectify.audit_cli import checkpointing
from rectify.cli import app as cli
from rectify.settings import DEV_AUDIT_KEY
from tests.integration.api_fixtures import Api, api, issue, projection_thread

FIXTURES = (api, projection_thread)
EVENTS, HASHES = "rectify_events", "rectify_events_hashes"
ALTERED_WARNING = "此记录与其哈希不符，可能被篡改 / this entry does not match its hash"

TRAIL = """query($id: ID!) { auditTrail(id: $id) {
  version at type integrity integrityWarning } }"""
AS_OF = """query($id: ID!, $version: Int) { itemAsOf(id: $id, version: $version) }"""


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        yield conn


def _backdate(db: psycopg.Connection[Any], stream: str, version: int) -> None:
    """Move the event's time a year back inside its stored JSON, hash row untouched."""
    changed = db.execute(
        f"UPDATE {EVENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), "
        "'\"_data_\":\"2026-', '\"_data_\":\"2025-'), 'UTF8') "
        "WHERE originator_id = %s AND originator_version = %s",
        (UUID(stream), version),
    ).rowcount
    assert changed == 1


def _delete(db: psycopg.Connection[Any], stream: str, version: int, *tables: str) -> None:
    for table in tables:
        db.execute(
            f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = %s",
            (UUID(stream), version),
        )


async def test_an_untouched_trail_is_verified_entry_by_entry(api: Api) -> None:
    trail = (await api.gql(TRAIL, "auditor", id=issue("4")))["auditTrail"]

    assert [e["integrity"] for e in trail] == ["VERIFIED"] * 3
    assert [e["integrityWarning"] for e in trail] == [None] * 3


async def test_a_sign_off_backdated_in_sql_is_flagged_not_served_as_fact(
    api: Api, db: psycopg.Connection[Any]
) -> None:
    item = issue("4")  # registered, submitted, signed off
    _backdate(db, item, 3)

    trail = (await api.gql(TRAIL, "auditor", id=item))["auditTrail"]

    signed = trail[2]
    assert signed["type"] == "SignedOff" and signed["at"].startswith("2025-")
    assert signed["integrity"] == "ALTERED"
    assert signed["integrityWarning"].startswith(ALTERED_WARNING)
    assert [e["integrity"] for e in trail[:2]] == ["VERIFIED", "VERIFIED"]


async def test_a_changed_middle_event_leaves_the_ones_after_it_unchained(
    api: Api, db: psycopg.Connection[Any]
) -> None:
    item = issue("4")
    _backdate(db, item, 2)

    trail = (await api.gql(TRAIL, "auditor", id=item))["auditTrail"]

    assert [e["integrity"] for e in trail] == ["VERIFIED", "ALTERED", "UNCHAINED"]
    assert "hash chain is broken" in trail[2]["integrityWarning"]


async def test_a_deleted_middle_event_breaks_the_chain_of_the_next(
    api: Api, db: psycopg.Connection[Any]
) -> None:
    item = issue("4")
    _delete(db, item, 2, EVENTS, HASHES)

    trail = (await api.gql(TRAIL, "auditor", id=item))["auditTrail"]

    assert [(e["version"], e["integrity"]) for e in trail] == [(1, "VERIFIED"), (3, "UNCHAINED")]


async def test_a_middle_event_deleted_without_its_hash_row_flags_the_next(
    api: Api, db: psycopg.Connection[Any]
) -> None:
    item = issue("4")
    _delete(db, item, 2, EVENTS)

    trail = (await api.gql(TRAIL, "auditor", id=item))["auditTrail"]

    assert [(e["version"], e["integrity"]) for e in trail] == [(1, "VERIFIED"), (3, "UNCHAINED")]


async def test_an_event_without_a_hash_row_is_flagged_altered(
    api: Api, db: psycopg.Connection[Any]
) -> None:
    item = issue("4")
    _delete(db, item, 3, HASHES)

    trail = (await api.gql(TRAIL, "auditor", id=item))["auditTrail"]

    assert [e["integrity"] for e in trail] == ["VERIFIED", "VERIFIED", "ALTERED"]


async def test_a_state_built_from_an_altered_event_says_so(
    api: Api, db: psycopg.Connection[Any]
) -> None:
    item = issue("4")
    _backdate(db, item, 3)

    now = (await api.gql(AS_OF, "auditor", id=item))["itemAsOf"]
    before = (await api.gql(AS_OF, "auditor", id=item, version=2))["itemAsOf"]

    assert now["integrity"] == "ALTERED"
    assert now["integrity_warning"].startswith(ALTERED_WARNING)
    assert now["unverified_versions"] == [3]
    assert before["integrity"] == "VERIFIED"
    assert "integrity_warning" not in before


# -- a tail cut after the last batch the projection runner committed ---------------------


def _projecting_with_checkpoints(
    es_env: dict[str, str], database_url: str, schema: str, stop: threading.Event
) -> None:
    """What `rectify projections` runs: the runner, checkpoints nudged by its batches, with
    the default interval of ten minutes (which alone would leave the tail unseen)."""
    with checkpointing(es_env, minutes=10, key=DEV_AUDIT_KEY) as nudge:
        run_projections(es_env, database_url, schema, stop, 0.02, on_commit=nudge)


def _wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(600):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError("condition never held")


def test_a_tail_cut_after_the_last_projected_batch_is_reported_by_verify(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = app.recorder
    assert isinstance(recorder, ChunkedApplicationRecorder)
    stop = threading.Event()
    runner = threading.Thread(
        target=_projecting_with_checkpoints, args=(es_env, database_url, schema, stop)
    )
    runner.start()
    try:
        first = app.register_agency("县卫健局", actor="t").id
        _wait_for(lambda: (latest_checkpoint(recorder) or _NONE).position > 0)
        app.register_agency("县卫健局", actor="t", aliases=("卫健局",))
        app.register_agency("县卫健局", actor="t", aliases=("县卫生健康局",))
        head = recorder.max_notification_id() or 0
        _wait_for(lambda: (latest_checkpoint(recorder) or _NONE).position >= head)
        _delete(db, str(first), 3, EVENTS, HASHES)  # the stream's newest event, at once
    finally:
        stop.set()
        runner.join(timeout=30)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)

    result = CliRunner().invoke(cli, ["audit", "verify"], catch_exceptions=False)

    assert result.exit_code == 1, result.output
    first_line = result.output.splitlines()[0]
    assert first_line.startswith(f"发现篡改 / TAMPERING FOUND: 流 stream {first}  版本 version 3")


class _NoCheckpoint:
    position = 0


_NONE = _NoCheckpoint()
