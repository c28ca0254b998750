"""SecretVerifier remembers the tokens it verified until they expire (ADR 0067)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from api.auth import InvalidToken, issue_token
from api.tokens import SecretVerifier

SECRET = "s" * 32


def test_a_verified_token_is_answered_from_memory_with_the_same_user() -> None:
    verifier = SecretVerifier(SECRET)
    token = issue_token(SECRET, "liaison", "a1", "县第1局", "u1", 1)

    first = asyncio.run(verifier.verify(token))
    again = asyncio.run(verifier.verify(token))

    assert again is verifier.verified[token] and again == first


def test_a_remembered_token_past_its_expiry_is_checked_again_and_refused() -> None:
    verifier = SecretVerifier(SECRET)
    token = issue_token(SECRET, "liaison", "a1", "县第1局", "u1", 1)
    user = asyncio.run(verifier.verify(token))
    # as if the hour had passed: the memory's copy is expired, the token's signature is
    # now checked against a verifier of another secret, which refuses it
    other = SecretVerifier("t" * 32)
    other.verified[token] = replace(user, expires_at=datetime.now(UTC) - timedelta(seconds=1))

    with pytest.raises(InvalidToken):
        asyncio.run(other.verify(token))
    assert token not in other.verified


def test_a_refused_token_is_not_remembered() -> None:
    verifier = SecretVerifier(SECRET)
    forged = issue_token("t" * 32, "admin", None, None, "intruder", 1)

    with pytest.raises(InvalidToken):
        asyncio.run(verifier.verify(forged))
    assert verifier.verified == {}
