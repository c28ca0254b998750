"""systemStatus and /metrics: how far each follower of the log is behind its head."""

from __future__ import annotations

import psycopg
from psycopg import sql

from domain.application import RectifyApp
from tests.integration.api_fixtures import Api, api, projection_thread

FIXTURES = (api, projection_thread)
STATUS = "{ systemStatus { head followers { name kind position lag } } }"


def _dispatcher_stopped_at(database_url: str, schema: str, position: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        table = sql.Identifier(schema, "dispatcher_tracking")
        conn.execute(
            sql.SQL("CREATE TABLE {} (name text PRIMARY KEY, position bigint NOT NULL)").format(
                table
            )
        )
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES ('issue-clocks', %s)").format(table), (position,)
        )


async def test_a_caught_up_projection_has_no_lag(api: Api, app: RectifyApp) -> None:
    head = app.recorder.max_notification_id()

    found = (await api.gql(STATUS))["systemStatus"]

    assert found["head"] == head
    ledger = {"name": "ledger", "kind": "projection", "position": head, "lag": 0}
    assert found["followers"] == [ledger]


async def test_lag_counts_the_events_a_follower_has_not_processed(
    api: Api, app: RectifyApp, database_url: str, schema: str
) -> None:
    head = app.recorder.max_notification_id() or 0
    _dispatcher_stopped_at(database_url, schema, head - 2)

    found = (await api.gql(STATUS))["systemStatus"]
    metrics = (await api.client.get("/metrics")).text

    dispatcher = {"name": "issue-clocks", "kind": "dispatcher", "position": head - 2, "lag": 2}
    assert dispatcher in found["followers"]
    assert f"rectify_log_head_position {float(head)}" in metrics
    assert 'rectify_follower_lag_events{follower="issue-clocks",kind="dispatcher"} 2.0' in metrics
    assert 'rectify_follower_lag_events{follower="ledger",kind="projection"} 0.0' in metrics
