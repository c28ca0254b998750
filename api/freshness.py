"""Read-your-writes on the projection runner's notice (ADR 0053).

A mutation waits for the read tables only when its result asks for a field read from them
(`asks_for`); a result of the outcome, the id and the log position returns as soon as the
command is saved, and the client sends that position in X-Rectify-Min-Position with its
next read. A wait is a future per awaited position, resolved by the notice the runner
sends after each committed batch, heard on the API process's one listening connection
(api/live.py ChangeFeed). NOTIFY is not durable, so a waiter also reads the tracking row
when it starts and every FALLBACK_SECONDS; the bound on the whole wait is the caller's.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

from projections import queries

if TYPE_CHECKING:
    from asyncpg import Pool

    from api.context import Context
    from api.live import Notice

FALLBACK_SECONDS = 0.5  # a notice lost while the listener reconnected costs at most this


class PositionWaiter:
    """The log position the read tables have reached, as the runner's notices tell it,
    and the requests waiting for a position."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.reached = 0
        self._waiting: dict[asyncio.Future[None], int] = {}

    def heard(self, notice: Notice) -> None:
        """A batch committed up to `notice.position` (0: notices may have been missed;
        waiters find out from the tracking row at their next fallback read)."""
        self._advance(notice.position)

    def _advance(self, position: int) -> None:
        if position <= self.reached:
            return
        self.reached = position
        for future, wanted in list(self._waiting.items()):
            if wanted <= position and not future.done():
                future.set_result(None)

    async def wait(self, wanted: int, timeout: float) -> bool:
        """Until the read tables reach `wanted` (True) or `timeout` seconds pass (False)."""
        if self.reached >= wanted:
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        future: asyncio.Future[None] = loop.create_future()
        self._waiting[future] = wanted
        try:
            while True:
                # Registered first: a notice that comes while the row is read is not missed.
                self._advance(await queries.position(self.pool))
                left = deadline - loop.time()
                if future.done():
                    return True
                if left <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(future), min(left, FALLBACK_SECONDS))
                    return True
        finally:
            del self._waiting[future]


async def caught_up(context: Context, position: int, timeout: float) -> bool:
    """Wait, bounded, until the read tables reach `position` (the process's waiter, or
    polling the tracking row where the API was built without one)."""
    waiter = getattr(context.request.app.state, "fresh", None)
    if waiter is None:
        return await queries.wait_for_position(context.pool, position, timeout)
    return await waiter.wait(position, timeout)  # type: ignore[no-any-return]


def asks_for(info: Any, *fields: str) -> bool:
    """Whether the result of the field being resolved selects any of `fields` (GraphQL
    names), directly, under an alias or in a fragment, at any of the result's union
    members. Read off the syntax tree, as strawberry's `selected_fields` reads it (neither
    weighs `@skip` or `@include`: a field left out may count as asked, never the other way
    round), without converting the whole selection, every edge's fields included (ADR
    0086: a work queue page asks whether totalCount is selected)."""
    raw = getattr(info, "_raw_info", info)
    wanted = set(fields)
    return any(
        _selects(node.selection_set, raw.fragments, wanted, set()) for node in raw.field_nodes
    )


def _selects(
    selection_set: Any, fragments: dict[str, Any], fields: set[str], seen: set[str]
) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in fields:
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects(selection.selection_set, fragments, fields, seen):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if name not in seen and fragment is not None:
                seen.add(name)
                if _selects(fragment.selection_set, fragments, fields, seen):
                    return True
    return False
