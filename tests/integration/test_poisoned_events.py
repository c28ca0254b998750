"""One event the read side cannot hold never stops it: the event is projected without its
NUL characters or skipped, recorded as parked, and every later event is projected."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from domain.application import RectifyApp
from domain.errors import InvalidInput
from domain.names import agency_id, campaign_id, issue_id
from infrastructure import event_store
from projections import catch_up, projection_position, rebuild_projections
from projections.ledger import LedgerProjection
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    Api,
    api,
    import_known_ledger,
    projection_thread,
    wait_until_projected,
)

ONE = issue_id(campaign_id(CAMPAIGN), "1")
FIXTURES = (api, projection_thread)  # the known ledger behind a running API


@pytest.fixture
def unguarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Events as older code could store them, before the edges and the store refused NUL."""
    monkeypatch.setattr(event_store, "refuse_nul", lambda events: None)
    yield


def _parked(database_url: str, schema: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            f'SELECT position, outcome, topic, error FROM "{schema}".follower_parked '
            "ORDER BY position"
        ).fetchall()


def _progress_texts(database_url: str, schema: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f"SELECT summary FROM \"{schema}\".issue_history WHERE type = 'ProgressReported' "
            "ORDER BY position"
        ).fetchall()
    return [row[0] for row in rows]


def test_the_event_store_refuses_an_event_holding_nul(app: RectifyApp) -> None:
    import_known_ledger(app)
    with pytest.raises(InvalidInput) as refused:
        app.report_progress(ONE, agency_id(HEALTH), "a\x00b", [], "liaison")
    assert "NUL" in str(refused.value) and "空字符" in str(refused.value)


def test_a_stored_nul_is_projected_without_it_and_the_read_side_moves_on(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, unguarded: None
) -> None:
    import_known_ledger(app)
    poisoned = app.report_progress(ONE, agency_id(HEALTH), "开展\x00自查", [], "liaison")
    after = app.report_progress(ONE, agency_id(HEALTH), "建立台账", [], "liaison")

    catch_up(es_env, database_url, schema)

    assert projection_position(database_url, schema) == after.position
    parked = _parked(database_url, schema)
    assert [(p, outcome) for p, outcome, _, _ in parked] == [(poisoned.position, "sanitised")]
    assert parked[0][2].endswith("ProgressReported")
    assert "开展" not in parked[0][3]  # no value from the event in the record
    texts = _progress_texts(database_url, schema)
    assert any("开展自查" in text for text in texts)
    assert any("建立台账" in text for text in texts)


def test_an_event_a_read_model_fails_on_is_skipped_and_later_ones_projected(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_known_ledger(app)
    broken = app.report_progress(ONE, agency_id(HEALTH), "触发缺陷", [], "liaison")
    later = app.report_progress(ONE, agency_id(HEALTH), "之后的报告", [], "liaison")
    original = LedgerProjection.apply

    def buggy(self: LedgerProjection, event: Any, position: int) -> None:
        if position == broken.position:
            raise KeyError("a bug in one projection")
        original(self, event, position)

    monkeypatch.setattr(LedgerProjection, "apply", buggy)
    catch_up(es_env, database_url, schema)

    assert projection_position(database_url, schema) == later.position
    assert [(p, o) for p, o, _, _ in _parked(database_url, schema)] == [
        (broken.position, "skipped")
    ]
    texts = _progress_texts(database_url, schema)
    assert any("之后的报告" in text for text in texts)
    assert not any("触发缺陷" in text for text in texts)

    # A rebuild with the bug still there completes and keeps the record ...
    rebuild_projections(es_env, database_url, schema)
    assert [p for p, _, _, _ in _parked(database_url, schema)] == [broken.position]
    # ... and once the bug is fixed a rebuild applies the event and clears it.
    monkeypatch.setattr(LedgerProjection, "apply", original)
    rebuild_projections(es_env, database_url, schema)
    assert _parked(database_url, schema) == []
    assert any("触发缺陷" in text for text in _progress_texts(database_url, schema))


async def test_parked_events_are_shown_in_system_status_and_metrics(
    app: RectifyApp, api: Api, unguarded: None
) -> None:
    poisoned = app.report_progress(ONE, agency_id(HEALTH), "开展\x00自查", [], "liaison")
    await wait_until_projected(api.client, app)
    query = "{ systemStatus { parkedCount parked { position outcome topic itemId } } }"

    seen = (await api.gql(query, role="coordinator"))["systemStatus"]
    assert seen["parkedCount"] == 1
    assert seen["parked"] == [
        {
            "position": poisoned.position,
            "outcome": "sanitised",
            "topic": seen["parked"][0]["topic"],
            "itemId": str(ONE),
        }
    ]
    liaison = (await api.gql(query, role="liaison", agency=HEALTH))["systemStatus"]
    assert liaison == {"parkedCount": 1, "parked": []}
    metrics = (await api.client.get("/metrics")).text
    assert "rectify_parked_events 1.0" in metrics
