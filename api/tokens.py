"""Who signs our bearer tokens: a local HS256 secret (development) or an OIDC provider's JWKS.

One verifier is built at start-up and shared by the HTTP guard and the websocket
`connection_init` handshake, so both accept exactly the same tokens.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import jwt

from api.auth import InvalidToken, Role, User, expiry, optional_text, verify_token
from domain.messages import says

# Asymmetric only: a provider's tokens can never be forged with a secret we ship or share,
# and listing these explicitly refuses `alg: none` and HS256-with-public-key confusion.
OIDC_ALGORITHMS = ["RS256", "ES256"]


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> User: ...


# Tokens a SecretVerifier has verified and remembers; past this many it starts again.
REMEMBERED_TOKENS = 1024


@dataclass(frozen=True)
class SecretVerifier:
    """HS256 with a shared secret: development, or production without an OIDC provider.

    A token it has verified is remembered until it expires (ADR 0067): checking the
    signature again gives the same answer for the same text, nothing revokes a token
    before its `exp`, and once valid it stays valid until then (`nbf`, `iat` only ever
    become true), so only the expiry is checked again — as PyJWT checks it, valid while
    now < exp. About a tenth of a millisecond of every request otherwise."""

    secret: str
    verified: dict[str, User] = field(default_factory=dict, compare=False, repr=False)

    async def verify(self, token: str) -> User:
        known = self.verified.get(token)
        if known is not None and known.expires_at is not None:
            if datetime.now(UTC) < known.expires_at:
                return known
            self.verified.pop(token, None)
        user = verify_token(self.secret, token)
        if len(self.verified) >= REMEMBERED_TOKENS:
            self.verified.clear()
        self.verified[token] = user
        return user


@dataclass(frozen=True)
class ClaimNames:
    role: str = "role"
    agency_id: str = "agency_id"
    agency_name: str = "agency_name"
    region: str = "region"


class JwksVerifier:
    """RS256/ES256 tokens from an OIDC provider, keys from its JWKS (cached by PyJWKClient)."""

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        leeway_seconds: float = 60,
        claims: ClaimNames = ClaimNames(),
        timeout_seconds: float = 5,
    ) -> None:
        self.client = jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=int(timeout_seconds))
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self.claims = claims

    async def verify(self, token: str) -> User:
        # the JWKS fetch is blocking I/O: keep it off the event loop
        return await asyncio.to_thread(self.verify_blocking, token)

    def verify_blocking(self, token: str) -> User:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(says("invalid_token", error=error)) from None
        if header.get("alg") not in OIDC_ALGORITHMS:
            raise InvalidToken(f"算法不被接受 / algorithm {header.get('alg')!r} not accepted")
        try:
            signing_key = self.client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise InvalidToken("无法获取签名公钥 / identity provider keys unreachable") from None
        except jwt.PyJWKClientError as error:
            raise InvalidToken(says("unknown_signing_key", error=error)) from None
        if signing_key.algorithm_name != header["alg"]:
            raise InvalidToken("密钥与算法不符 / key does not match the token's algorithm")
        try:
            decoded: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=[header["alg"]],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            role = Role(str(decoded.get(self.claims.role)))
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(says("invalid_token", error=error)) from None
        return User(
            str(decoded["sub"]),
            role,
            optional_text(decoded, self.claims.agency_id),
            optional_text(decoded, self.claims.agency_name),
            optional_text(decoded, self.claims.region),
            expiry(decoded),
        )


def build_verifier(
    secret: str,
    oidc_jwks_url: str | None = None,
    oidc_issuer: str | None = None,
    oidc_audience: str | None = None,
    leeway_seconds: float = 60,
    claims: ClaimNames = ClaimNames(),
) -> TokenVerifier:
    """OIDC when configured (HS256 then refused entirely), otherwise the shared secret."""
    if oidc_jwks_url and oidc_issuer and oidc_audience:
        return JwksVerifier(oidc_jwks_url, oidc_issuer, oidc_audience, leeway_seconds, claims)
    return SecretVerifier(secret)
