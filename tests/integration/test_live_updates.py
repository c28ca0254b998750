"""Live updates: graphql-transport-ws subscriptions fed by the projection runner's NOTIFY,
against the real app served by uvicorn, a websocket client and PostgreSQL."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import jwt
import psycopg
import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from api.app import ApiConfig, create_app
from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.names import agency_id, campaign_id
from domain.reporting import Cadence, CadenceKind
from projections import changes, rebuild_projections
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    SECRET,
    import_known_ledger,
    issue,
    projection_thread,
    token,
)

__all__ = ["projection_thread"]  # a fixture

QUEUE = "subscription { queueChanged { position kinds } }"
DASHBOARD = "subscription { dashboardChanged { position kinds } }"
WAIT_SECONDS = 20  # a bound on a hang, not a timing assertion


@pytest.fixture
def server(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: threading.Thread,
) -> Iterator[str]:
    """The API on a free port of 127.0.0.1, as `rectify serve` runs it; yields its base."""
    import_known_ledger(app)
    web = create_app(ApiConfig(database_url, schema, dict(es_env), SECRET))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(web, log_level="warning", ws="websockets-sansio")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not running.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    base = f"127.0.0.1:{port}"
    _wait_projected(base, app.recorder.max_notification_id() or 0)
    yield base
    running.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _wait_projected(base: str, position: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while httpx.get(f"http://{base}/healthz").json()["projection_position"] < position:
        assert time.monotonic() < deadline, "projection stuck"
        time.sleep(0.02)


def _open(base: str) -> ClientConnection:
    return ws_connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]


def _receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=WAIT_SECONDS))  # type: ignore[no-any-return]


def _init(ws: ClientConnection, payload: dict[str, Any]) -> dict[str, Any]:
    ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return _receive(ws)


def _subscribe(ws: ClientConnection, query: str = QUEUE) -> None:
    ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))


@contextmanager
def _subscribed(
    base: str, bearer: str, query: str = QUEUE, shape: str = "header"
) -> Iterator[ClientConnection]:
    payload = {"Authorization": f"Bearer {bearer}"} if shape == "header" else {"token": bearer}
    with _open(base) as ws:
        assert _init(ws, payload)["type"] == "connection_ack"
        _subscribe(ws, query)
        yield ws


def _closed_code(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        _receive(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def _notice(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]
    return next(iter(data.values()))  # type: ignore[no-any-return]


def _gql(base: str, bearer: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"http://{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


PROGRESS = (
    'mutation($id: ID!) { result: reportProgress(issueId: $id, text: "已约谈") {'
    " ... on IssueChanged { position } } }"
)


def test_a_change_made_through_a_mutation_reaches_a_subscribed_client(server: str) -> None:
    with _subscribed(server, token("liaison", HEALTH)) as ws:
        done = _gql(server, token("liaison", HEALTH), PROGRESS, id=issue("3"))
        notice = _notice(_receive(ws))

    assert notice["position"] >= done["result"]["position"]
    assert "issue" in notice["kinds"]


def test_a_dashboard_subscriber_hears_of_every_change(server: str) -> None:
    with _subscribed(server, token("leadership"), DASHBOARD) as ws:
        done = _gql(server, token("liaison", HEALTH), PROGRESS, id=issue("3"))
        notice = _notice(_receive(ws))

    assert notice["position"] >= done["result"]["position"]


def test_a_liaisons_dashboard_hears_of_another_agencys_change(server: str) -> None:
    """The dashboard's figures are the campaign's: issue 3 is the health bureau's alone,
    and it moves the market liaison's dashboard too."""
    with _subscribed(server, token("liaison", MARKET), DASHBOARD) as ws:
        done = _gql(server, token("liaison", HEALTH), PROGRESS, id=issue("3"))
        notice = _notice(_receive(ws))

    assert notice["position"] >= done["result"]["position"]


def test_a_liaison_hears_only_of_changes_to_items_of_its_own_agency(
    server: str, app: RectifyApp
) -> None:
    with _subscribed(server, token("liaison", MARKET), shape="token") as ws:
        # issue 3 concerns the health bureau alone
        health_only = app.report_progress(
            UUID(issue("3")), agency_id(HEALTH), "卫健自查", [], "联络员"
        ).position
        assert health_only is not None
        _wait_projected(server, health_only)
        # issue 2 names market regulation as co-responsible
        ours = app.report_progress(
            UUID(issue("2")), agency_id(MARKET), "市场监管配合", [], "联络员"
        ).position
        notice = _notice(_receive(ws))

    assert ours is not None
    # the first notice this liaison gets is the one of its own item, not the earlier one
    assert notice["position"] >= ours


def test_a_report_owed_reaches_the_queue_of_an_agency_that_owes_it(
    server: str, app: RectifyApp
) -> None:
    """A report due is a row of `workQueue` (ADR 0044): its opening is a queue notice."""
    with _subscribed(server, token("liaison", HEALTH)) as ws:
        duty = app.set_reporting_duty(
            campaign_id(CAMPAIGN), "督查整改月报", Cadence(CadenceKind.MONTHLY, 30),
            [agency_id(HEALTH)], "协调办",
        ).id  # fmt: skip
        opened = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).position
        notice = _notice(_receive(ws))

    assert opened is not None and notice["position"] >= opened
    assert "report" in notice["kinds"]


SEND = """mutation { result: sendReferral(input: {receiver: "县卫健局", reason: "美容院医美"})
  { __typename ... on ReferralChanged { position referral { id } } } }"""
CLAIM = """mutation($id: ID!) { result: claimReferral(referralId: $id) {
  __typename ... on ReferralChanged { position } } }"""


def test_a_step_naming_no_agency_still_reaches_every_agency_of_the_item(server: str) -> None:
    """The claim names only the receiver; the sender hears of it (its referral moved on),
    an agency with no part in the referral does not."""
    sent = _gql(server, token("liaison", MARKET), SEND)["result"]
    _wait_projected(server, sent["position"])
    with (
        _subscribed(server, token("liaison", MARKET)) as sender,
        _subscribed(server, token("liaison", INSURANCE)) as outsider,
    ):
        claimed = _gql(server, token("liaison", HEALTH), CLAIM, id=sent["referral"]["id"])
        heard = _notice(_receive(sender))
        _wait_projected(server, claimed["result"]["position"])
        later = _gql(server, token("liaison", INSURANCE), PROGRESS, id=issue("1"))
        first_of_outsider = _notice(_receive(outsider))

    assert claimed["result"]["__typename"] == "ReferralChanged"
    assert heard["position"] >= claimed["result"]["position"]
    assert "referral" in heard["kinds"]
    assert first_of_outsider["position"] >= later["result"]["position"]


def test_a_connection_init_without_a_valid_token_is_refused(server: str) -> None:
    for payload in ({}, {"token": "not-a-jwt"}, {"Authorization": "Basic abc"}):
        with _open(server) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            assert _closed_code(ws) == 4403, payload


def test_a_subscribe_before_connection_init_is_refused(server: str) -> None:
    with _open(server) as ws:
        _subscribe(ws)
        assert _closed_code(ws) == 4401


def test_the_legacy_graphql_ws_protocol_is_not_offered(server: str) -> None:
    """graphql-ws lets a client start an operation before connection_init."""
    with ws_connect(f"ws://{server}/graphql", subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol is None
        assert _closed_code(ws) == 4406


def test_a_websocket_serves_no_queries_or_mutations(server: str) -> None:
    with _subscribed(server, token("coordinator"), "{ campaigns { id title } }") as ws:
        message = _receive(ws)

    assert message["type"] == "error", message
    assert "subscriptions only" in message["payload"][0]["message"]


def test_a_subscription_ends_when_its_token_expires(server: str) -> None:
    soon = jwt.encode(
        {"sub": "x", "role": "coordinator", "exp": datetime.now(UTC) + timedelta(seconds=2)},
        SECRET,
        algorithm="HS256",
    )
    with _subscribed(server, soon) as ws:
        message = _receive(ws)

    assert message["type"] in ("next", "error"), message
    text = json.dumps(message, ensure_ascii=False)
    assert "token expired" in text


def _terminate_listener(database_url: str, schema: str) -> int:
    listen = f'LISTEN "{changes.channel(schema)}"'
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
            (listen,),
        ).fetchall()
    return len(rows)


def test_after_losing_its_database_connection_the_feed_tells_clients_to_refetch(
    server: str, app: RectifyApp, database_url: str, schema: str
) -> None:
    with _subscribed(server, token("coordinator"), DASHBOARD) as ws:
        assert _terminate_listener(database_url, schema) == 1
        resumed = _notice(_receive(ws))
        done = _gql(server, token("liaison", HEALTH), PROGRESS, id=issue("3"))
        after = _notice(_receive(ws))

    assert resumed == {"position": 0, "kinds": []}  # anything may have changed meanwhile
    assert after["position"] >= done["result"]["position"]


def test_a_rebuild_of_the_read_tables_tells_every_client_to_refetch(
    server: str, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    with _subscribed(server, token("liaison", INSURANCE)) as ws:
        rebuild_projections(es_env, database_url, schema, model="referral")
        notice = _notice(_receive(ws))

    assert notice["kinds"] == []
