"""OIDC tokens: RS256/ES256 verified against a JWKS served over real HTTP, through the app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.app import ApiConfig, create_app
from api.auth import Role, User, issue_token
from api.tokens import JwksVerifier
from rectify.settings import DEV_JWT_SECRET
from tests.integration.api_fixtures import SECRET

ISSUER, AUDIENCE = "https://idp.example.test/realms/rectify", "rectify-api"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(public_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk: dict[str, Any] = json.loads(algorithm.to_jwk(public_key))
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


JWKS = {
    "keys": [
        _jwk(RSA_KEY.public_key(), "rsa-1", "RS256"),
        _jwk(EC_KEY.public_key(), "ec-1", "ES256"),
    ]
}


class _JwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(JWKS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture
def unreachable_url() -> str:
    # a port that was just free and is closed again: connection refused
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JwksHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/jwks.json"


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "zhang.san",
        "exp": now + 600,
        "iat": now,
        "role": "liaison",
        "agency_id": "agency-health",
        "agency_name": "县卫健局",
    }
    base.update(overrides)
    return base


def rs256(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})


def es256(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})


async def _status(
    es_env: dict[str, str], database_url: str, schema: str, url: str, token: str
) -> tuple[int, str]:
    config = ApiConfig(database_url, schema, dict(es_env), SECRET)
    config.verifier = JwksVerifier(url, ISSUER, AUDIENCE, leeway_seconds=60)
    web = create_app(config)
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.status_code, response.text


@pytest.fixture
async def status(
    es_env: dict[str, str], database_url: str, schema: str, jwks_url: str
) -> AsyncIterator[Any]:
    async def status(token: str, url: str = jwks_url) -> tuple[int, str]:
        return await _status(es_env, database_url, schema, url, token)

    yield status


async def test_rs256_token_from_the_provider_is_accepted(status) -> None:  # type: ignore[no-untyped-def]
    code, body = await status(rs256())
    assert code == 200, body


async def test_es256_token_from_the_provider_is_accepted(status) -> None:  # type: ignore[no-untyped-def]
    code, body = await status(es256())
    assert code == 200, body


async def test_provider_claims_map_to_the_user(jwks_url: str) -> None:
    user = await JwksVerifier(jwks_url, ISSUER, AUDIENCE).verify(rs256())
    assert user == User("zhang.san", Role.LIAISON, "agency-health", "县卫健局")


async def test_a_region_claim_limits_leadership(jwks_url: str) -> None:
    token = rs256(role="leadership", region="甲县")

    user = await JwksVerifier(jwks_url, ISSUER, AUDIENCE).verify(token)

    assert (user.role, user.region) == (Role.LEADERSHIP, "甲县")


async def test_expiry_within_the_leeway_is_accepted(status) -> None:  # type: ignore[no-untyped-def]
    code, body = await status(rs256(exp=int(time.time()) - 30))
    assert code == 200, body


async def test_wrong_issuer_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    code, _ = await status(rs256(iss="https://evil.example.test"))
    assert code == 401


async def test_wrong_audience_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    code, _ = await status(rs256(aud="another-api"))
    assert code == 401


async def test_expired_token_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    code, _ = await status(rs256(exp=int(time.time()) - 3600))
    assert code == 401


async def test_expiry_beyond_the_leeway_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    code, _ = await status(rs256(exp=int(time.time()) - 120))
    assert code == 401


async def test_token_without_expiry_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    payload = claims()
    del payload["exp"]
    token = jwt.encode(payload, RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    code, _ = await status(token)
    assert code == 401


async def test_unknown_key_id_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    token = jwt.encode(claims(), OTHER_RSA_KEY, algorithm="RS256", headers={"kid": "rsa-9"})
    code, _ = await status(token)
    assert code == 401


async def test_hs256_token_signed_with_the_dev_secret_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    code, _ = await status(issue_token(DEV_JWT_SECRET, "admin", None, None, "attacker"))
    assert code == 401


async def test_hs256_token_signed_with_the_public_key_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    # algorithm confusion: the provider's public key (PEM) used as an HMAC secret, signed by
    # hand because PyJWT itself refuses to produce such a token
    secret = RSA_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    signing_input = f"{header}.{_b64(claims(role='admin'))}".encode()
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    token = f"{signing_input.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    code, _ = await status(token)
    assert code == 401


async def test_unsigned_token_is_refused(status) -> None:  # type: ignore[no-untyped-def]
    token = jwt.encode(claims(role="admin"), None, algorithm="none", headers={"kid": "rsa-1"})
    code, _ = await status(token)
    assert code == 401


async def test_unreachable_jwks_is_refused_with_a_clear_message(status, unreachable_url) -> None:  # type: ignore[no-untyped-def]
    code, body = await status(rs256(), unreachable_url)
    assert code == 401
    assert "unreachable" in body
