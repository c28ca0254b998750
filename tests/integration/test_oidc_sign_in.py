"""Browser sign-in through an OIDC provider: authorization code with PKCE (ADR 0042).

The provider is a small real one served by uvicorn on 127.0.0.1 (discovery, token endpoint
checking the S256 code challenge, JWKS, RS256 ID tokens); the API under test reaches it
over HTTP as it would a real one. The browser is the test: it follows the redirect to
the provider, takes the code the provider issues, and comes back with it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.app import ApiConfig, create_app
from api.oidc_sign_in import OidcSignIn
from api.sessions import COOKIE
from domain.application import RectifyApp
from tests.integration.api_fixtures import SECRET, projection_thread

__all__ = ["projection_thread"]  # a fixture

CLIENT_ID = "rectify-web"
REDIRECT = "http://test/auth/oidc/callback"
WAIT_SECONDS = 20  # a bound on a hang, not a timing assertion


@dataclass
class Provider:
    """A minimal OIDC provider: codes issued by `authorize`, redeemed once at /token."""

    base: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    nonce_override: str | None = None

    def authorize(self, url: str, username: str) -> str:
        """What the provider does when the person signs in there: a code for this request."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "username": username}
        return code

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": self.base,
                    "authorization_endpoint": f"{self.base}/authorize",
                    "token_endpoint": f"{self.base}/token",
                    "jwks_uri": f"{self.base}/jwks",
                }
            )

        async def jwks(request: Request) -> JSONResponse:
            key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return JSONResponse({"keys": [{**key, "kid": "k1", "alg": "RS256", "use": "sig"}]})

        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            asked = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if (
                asked is None
                or asked["code_challenge_method"] != "S256"
                or challenge.decode().rstrip("=") != asked["code_challenge"]
                or form.get("client_id") != CLIENT_ID
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = datetime.now(UTC)
            claims = {
                "iss": self.base,
                "aud": CLIENT_ID,
                "sub": f"sub-{asked['username']}",
                "preferred_username": asked["username"],
                "nonce": self.nonce_override or asked["nonce"],
                "iat": now,
                "exp": now + timedelta(minutes=5),
            }
            id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
            return JSONResponse(
                {"access_token": "opaque", "token_type": "Bearer", "id_token": id_token}
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/token", token, methods=["POST"]),
            ]
        )


@pytest.fixture
def provider() -> Iterator[Provider]:
    found = Provider()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    found.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(found.app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        assert time.monotonic() < deadline, "the provider did not start"
        time.sleep(0.02)
    yield found
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
async def client(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    provider: Provider,
    projection_thread: threading.Thread,
) -> AsyncIterator[httpx.AsyncClient]:
    app.add_account("zhang.san", "张三", None, "test", grant=("auditor", None, None, None))
    oidc = OidcSignIn(provider.base, CLIENT_ID, REDIRECT)
    site = create_app(ApiConfig(database_url, schema, dict(es_env), SECRET, oidc_sign_in=oidc))
    async with site.router.lifespan_context(site):
        transport = httpx.ASGITransport(app=site)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def _leave(client: httpx.AsyncClient) -> str:
    response = await client.get("/auth/oidc/login")
    assert response.status_code == 302
    return response.headers["location"]


async def test_the_login_sends_the_browser_to_the_provider_with_pkce(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    location = await _leave(client)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{provider.base}/authorize?")
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == [REDIRECT] and "openid" in query["scope"][0]
    assert query["state"][0] and query["nonce"][0]


async def test_coming_back_with_the_code_signs_in_the_local_account(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    location = await _leave(client)
    code = provider.authorize(location, "zhang.san")
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = await client.get("/auth/oidc/callback", params={"code": code, "state": state})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "HttpOnly" in response.headers["set-cookie"]
    session = await client.get("/auth/session")
    assert session.status_code == 200
    assert session.json()["user"]["username"] == "zhang.san"
    assert session.json()["user"]["role"] == "auditor"
    assert client.cookies.get(COOKIE)


async def test_a_state_is_used_once(client: httpx.AsyncClient, provider: Provider) -> None:
    location = await _leave(client)
    state = parse_qs(urlsplit(location).query)["state"][0]
    first = provider.authorize(location, "zhang.san")
    assert (
        await client.get("/auth/oidc/callback", params={"code": first, "state": state})
    ).is_redirect
    again = provider.authorize(location, "zhang.san")
    replayed = await client.get("/auth/oidc/callback", params={"code": again, "state": state})
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "oidc_state"


async def test_an_unknown_state_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/oidc/callback", params={"code": "x", "state": "made-up"})
    assert response.status_code == 400
    assert "set-cookie" not in response.headers


async def test_an_id_token_of_another_sign_in_is_refused(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    location = await _leave(client)
    provider.nonce_override = "the nonce of some other sign-in"
    code = provider.authorize(location, "zhang.san")
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = await client.get("/auth/oidc/callback", params={"code": code, "state": state})
    assert response.status_code == 401
    assert response.json()["error"] == "oidc_token"
    assert "set-cookie" not in response.headers


async def test_a_person_without_a_local_account_is_told_to_ask_an_admin(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    location = await _leave(client)
    code = provider.authorize(location, "wang.wu")
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = await client.get("/auth/oidc/callback", params={"code": code, "state": state})
    assert response.status_code == 403
    assert response.json()["error"] == "no_account"
    assert "wang.wu" in response.json()["message"]


async def test_the_login_page_is_told_the_provider_is_there(client: httpx.AsyncClient) -> None:
    options = (await client.get("/auth/options")).json()
    assert options == {"password": True, "oidc": True, "oidcLoginUrl": "/auth/oidc/login"}
