"""Password hashes of web accounts: argon2id (argon2-cffi), with the library's defaults.

The policy (length, no control characters) is the domain's (domain.accounts.check_password),
checked before hashing; the password itself is passed on to nothing else.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.accounts import check_password


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of `password`, after the policy refused it or let it through."""
    check_password(password)
    return _hasher().hash(password)


@cache
def _decoy() -> str:
    # compared against when the user is unknown, so that answer costs what a known one does
    return _hasher().hash("rectify-decoy-password")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; an account without a hash (or an unknown user: None)
    takes as long to refuse as a wrong password."""
    try:
        return _hasher().verify(password_hash or _decoy(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
