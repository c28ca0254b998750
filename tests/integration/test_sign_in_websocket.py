"""The live-updates websocket accepts the session cookie of a page of our own origin, and
refuses it from any other page (ADR 0042); bearer tokens in connection_init still work."""

from __future__ import annotations

import json
from uuid import UUID

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from api.passwords import hash_password
from api.sessions import COOKIE
from domain.application import RectifyApp
from domain.names import agency_id
from tests.integration.api_fixtures import HEALTH, issue, projection_thread
from tests.integration.test_live_updates import QUEUE, _closed_code, _init, _receive, server

__all__ = ["projection_thread", "server"]  # fixtures

PASSWORD = "correct horse battery"


def _signed_in(app: RectifyApp, base: str) -> httpx.Response:
    grant = ("liaison", agency_id(HEALTH), HEALTH, None)
    app.add_account("ws.user", "王五", hash_password(PASSWORD), "test", grant=grant)
    response = httpx.post(
        f"http://{base}/auth/login", json={"username": "ws.user", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response


def _cookie(app: RectifyApp, base: str) -> str:
    return _signed_in(app, base).cookies[COOKIE]


def _open(base: str, cookie: str, origin: str | None) -> ClientConnection:
    return ws_connect(
        f"ws://{base}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"{COOKIE}={cookie}"},
    )


def test_a_page_of_our_own_origin_subscribes_with_its_session_cookie(
    server: str, app: RectifyApp
) -> None:
    cookie = _cookie(app, server)
    with _open(server, cookie, f"http://{server}") as ws:
        assert _init(ws, {})["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUEUE}}))
        # a change of the liaison's own agency reaches it: the cookie made it that user
        done = app.report_progress(UUID(issue("3")), agency_id(HEALTH), "自查", [], "联络员")
        notice = _receive(ws)
    assert notice["type"] == "next", notice
    assert notice["payload"]["data"]["queueChanged"]["position"] >= (done.position or 0)


def test_the_session_cookie_from_another_origin_is_refused(server: str, app: RectifyApp) -> None:
    cookie = _cookie(app, server)
    with pytest.raises(InvalidStatus) as refused:  # strawberry refuses the handshake itself
        _open(server, cookie, "http://evil.example")
    assert refused.value.response.status_code == 403


def test_the_session_cookie_without_an_origin_is_refused(server: str, app: RectifyApp) -> None:
    """Not a browser page (a browser always sends Origin): a script uses a bearer token."""
    cookie = _cookie(app, server)
    with _open(server, cookie, None) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert _closed_code(ws) == 4403


def test_a_session_ended_by_logout_cannot_open_a_subscription(server: str, app: RectifyApp) -> None:
    signed_in = _signed_in(app, server)
    cookie = signed_in.cookies[COOKIE]
    ended = httpx.post(
        f"http://{server}/auth/logout",
        cookies={COOKIE: cookie},
        headers={"X-CSRF-Token": signed_in.json()["csrfToken"]},
    )
    assert ended.status_code == 204
    with _open(server, cookie, f"http://{server}") as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert _closed_code(ws) == 4403
