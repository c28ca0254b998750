"""Stored events of older code, put back into PostgreSQL as they were stored, load through
today's application and read side (ADR 0029): every stream through the repository, its
history (auditTrail) and state as of its last event (itemAsOf), and the projections follow
the whole recording to its end."""

from __future__ import annotations

import json
from contextlib import closing

import pytest

from domain.application import RectifyApp
from projections import catch_up, projection_position
from projections.runner import connect
from tests.fixtures.stored_events import FOLDER, fixture_files, load, streams


@pytest.mark.parametrize("recording", [path.name for path in fixture_files()])
def test_a_recording_loads_into_postgresql_and_the_read_side_follows_it_to_the_end(
    recording: str, app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    fixtures = sorted(load(FOLDER / recording), key=lambda f: f.position)
    app.recorder.insert_events([f.stored_event() for f in fixtures])

    for stream in streams(fixtures):
        item = stream[0].originator_id
        assert app.repository.get(item).version == len(stream)
        assert len(app.audit_trail(item)) == len(stream)
        assert app.state_as_of(item)

    catch_up(es_env, database_url, schema)
    assert projection_position(database_url, schema) == app.recorder.max_notification_id()
    with closing(connect(database_url, schema)) as conn:
        regions = dict(conn.execute("SELECT name, region FROM agencies").fetchall())
    registers = [f for f in fixtures if f.topic.startswith("rectify:Agency.Registered")]
    if any("县卫健局".encode() in f.state for f in registers):  # not in every recording
        assert regions["县卫健局"] == "某县"  # registered (v1 upcast, or v2), region assigned
    for fixture in registers:  # every agency a recording registers is in the read model
        assert json.loads(fixture.state)["name"] in regions
