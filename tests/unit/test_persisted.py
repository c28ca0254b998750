"""The persisted-query wrapper alone: websockets pass untouched, hashes ignore layout."""

from __future__ import annotations

from typing import Any

from starlette.types import Message, Receive, Scope, Send

from api.persisted import PersistedOnly, allow_list, document_hash


def test_the_hash_ignores_whitespace_and_commas() -> None:
    assert document_hash("{ campaigns { id title } }") == document_hash(
        "query {\n  campaigns {\n    id,\n    title\n  }\n}"
    )


async def test_a_websocket_scope_passes_through_untouched() -> None:
    seen: list[Scope] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        raise AssertionError(f"the wrapper answered: {message}")

    scope: dict[str, Any] = {"type": "websocket", "path": "/graphql", "headers": []}
    await PersistedOnly(inner, allow_list(["{ me { subject } }"]))(scope, receive, send)

    assert seen == [scope]
