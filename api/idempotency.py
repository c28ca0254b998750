"""Every top-level mutation field runs under an idempotency key (domain/command_keys.py).

The client sends `Idempotency-Key: <its own unique value>` with a request (the IETF
httpapi draft's header); a retry of the same request with the same key gets the original
result instead of doing it twice. The key is scoped to the caller (token subject and agency) and to
the field's response key (its alias), so one request may carry several mutations, and it
remembers what was asked (the field and its arguments): the same key with other arguments
is refused. Without the header a key is made up for the attempt, which still makes the
store's own retries (a commit whose answer was lost) safe.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from inspect import isawaitable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from api.context import Context
from domain.command_keys import CommandKey, current

HEADER = "idempotency-key"
MAX_KEY = 200
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


def command_key(info: GraphQLResolveInfo[Context], arguments: dict[str, Any]) -> CommandKey:
    request = info.context.request
    given = request.headers.get(HEADER)
    if given is not None and (len(given) > MAX_KEY or not _PRINTABLE.match(given)):
        raise GraphQLError(
            f"Idempotency-Key: 须为不超过 {MAX_KEY} 个可见 ASCII 字符 / must be at most "
            f"{MAX_KEY} visible ASCII characters",
            extensions={"field": "Idempotency-Key"},
        )
    user = info.context.user  # the subject, and the agency it speaks for
    caller = [str(getattr(user, "subject", "")), str(getattr(user, "agency_id", ""))]
    scope = "\x1f".join([*caller, given or f"attempt:{uuid.uuid4()}", str(info.path.key)])
    asked = json.dumps([info.field_name, arguments], sort_keys=True, default=repr)
    return CommandKey(_digest(scope), _digest(asked), made_up=given is None)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def keyed_command(
    _next: Callable[..., Any],
    root: Any,
    info: GraphQLResolveInfo[Any],  # the library's: any context
    *args: Any,
    **kwargs: Any,
) -> Any:
    """Runs a top-level mutation field under its key. Wrapped around each mutation field's
    resolver when the schema is built (api/schema.py), not a per-field extension: those run
    for every field of every query (ADR 0060)."""
    if info.path.prev is not None or info.parent_type is not info.schema.mutation_type:
        return _next(root, info, *args, **kwargs)
    key = command_key(info, kwargs)

    async def keyed() -> Any:
        token = current.set(key)
        try:
            result = _next(root, info, *args, **kwargs)
            return await result if isawaitable(result) else result
        finally:
            current.reset(token)

    return keyed()
