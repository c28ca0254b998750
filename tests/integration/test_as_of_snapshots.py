"""The as-of view's snapshots and decoder (ADR 0062): the state as of any version, before
or after a snapshot, cold or warm, is the state a full replay gives; an event altered
below a snapshot makes the view pass over it; the lean decoder gives the mapper's events."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from domain.application import RectifyApp
from domain.as_of_snapshots import EVERY, SNAPSHOTS
from domain.audit_trail import public_state
from domain.names import agency_id
from domain.stream_decoding import StreamDecoder
from tests.integration.api_fixtures import HEALTH, import_known_ledger, issue

PROBES = (1, 2, EVERY - 1, EVERY, EVERY + 1, 2 * EVERY - 1, 2 * EVERY, 2 * EVERY + 1)


@pytest.fixture(autouse=True)
def _no_snapshots_between_tests() -> None:
    SNAPSHOTS.forget()


def _long_item(app: RectifyApp, events: int) -> UUID:
    """An issue of `events` events: progress reports, then submitted (a change of status
    after the last snapshot, so the state at the end depends on what came before)."""
    import_known_ledger(app)
    item = UUID(issue("5"))
    found = app.get_issue(item)
    for n in range(events - found.version - 1):
        found.report_progress(agency_id(HEALTH), f"第{n}次进展", [], "卫健局张三")
    found.submit_for_verification("已整改完毕", "卫健局张三")
    app.save(found)
    assert app.get_issue(item).version == events
    return item


def _replayed(app: RectifyApp, item: UUID, version: int) -> dict[str, Any]:
    """The state a full replay by the repository gives (no snapshot of ours involved)."""
    return public_state(app.repository.get(item, version=version))


def test_as_of_any_version_before_and_after_a_snapshot_is_the_full_replay(
    app: RectifyApp,
) -> None:
    item = _long_item(app, 2 * EVERY + 1)
    # cold: the first read takes the snapshots on its way
    assert app.state_as_of(item) == _replayed(app, item, 2 * EVERY + 1)
    assert SNAPSHOTS.kept(item) == [EVERY, 2 * EVERY]
    for version in (*PROBES, *reversed(PROBES)):  # warm, from the snapshots below each
        assert app.state_as_of(item, version=version) == _replayed(app, item, version)
    assert app.state_as_of(item)["status"] == "SUBMITTED"


def test_an_event_altered_below_a_snapshot_is_shown_as_stored_not_as_snapshotted(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    item = _long_item(app, 2 * EVERY + 1)
    before = app.state_as_of(item)  # snapshots at EVERY and 2 * EVERY taken
    altered_at = "2001-01-01T00:00:00+00:00"
    table = sql.Identifier(schema, "rectify_events")
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            sql.SQL("SELECT state FROM {} WHERE originator_id = %s AND originator_version = %s")
            .format(table), (item, 2 * EVERY),
        ).fetchone()  # fmt: skip
        assert row is not None
        state = json.loads(bytes(row[0]))
        state["timestamp"]["_data_"] = altered_at  # the last progress report's time
        conn.execute(
            sql.SQL("UPDATE {} SET state = %s WHERE originator_id = %s "
                    "AND originator_version = %s").format(table),
            (json.dumps(state, ensure_ascii=False).encode(), item, 2 * EVERY),
        )  # fmt: skip
    after = app.state_as_of(item)
    assert after["reviewed_at"] == altered_at != before["reviewed_at"]
    assert after == _replayed(app, item, 2 * EVERY + 1)
    assert app.state_as_of(item, version=EVERY + 1) == _replayed(app, item, EVERY + 1)
    flagged = app.state_integrity(item, after)
    assert flagged["integrity"] == "ALTERED" and 2 * EVERY in flagged["unverified_versions"]


def test_the_lean_decoder_gives_the_mappers_events(app: RectifyApp) -> None:
    item = _long_item(app, 5)
    decoder = StreamDecoder(app.mapper)
    assert decoder.lean
    streams = [item, agency_id(HEALTH)]  # an issue, and an agency (an upcast event class)
    for stream in streams:
        for stored in app.recorder.select_events(stream):
            lean, mapped = decoder.event(stored), app.mapper.to_domain_event(stored)
            assert type(lean) is type(mapped)
            assert vars(lean) == vars(mapped)
