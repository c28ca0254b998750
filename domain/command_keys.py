"""Idempotency keys: a command retried with the key it was first sent with returns what it
first did, instead of doing it twice.

A mutation acknowledged as "failed" may have committed just before the connection died;
the client cannot know. So every command runs under a key (the client's `Idempotency-Key`
for its request, else one made up for this attempt), and the first save of the command
records the key in the same transaction as its events (infrastructure/event_store.py). A retry
with the same key finds it and gets the original result; a save that meets its own key
already recorded (the store committed, the answer was lost, the driver retried) stops
there too. The key is scoped to who sent it and which field of the request, and records
what was asked, so it can never replay another user's or another request's result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CommandKey:
    scope: str  # a digest of who, their key and the request field: never shared
    fingerprint: str  # a digest of what was asked (the field and its arguments)
    saved: bool = field(default=False, compare=False)  # recorded by this attempt's save
    # made up for this attempt (no client key): nothing can be recorded under it before the
    # attempt's own save, so there is nothing to look up first (ADR 0061: a round trip)
    made_up: bool = field(default=False, compare=False)


current: ContextVar[CommandKey | None] = ContextVar("rectify_command_key", default=None)


@contextlib.contextmanager
def keyed(key: CommandKey | None) -> Iterator[None]:
    """Run the commands inside under `key` (None: no key)."""
    token = current.set(key)
    try:
        yield
    finally:
        current.reset(token)


class CommandAlreadyDone(Exception):
    """A save found its command's key already recorded: the command had committed."""

    def __init__(self, result: Any) -> None:
        super().__init__("command already recorded")
        self.result = result
