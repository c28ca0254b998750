"""The loop every follower of the event log runs (clock dispatcher, notifier).

A pass catches up with the log and returns how many events it read past; an idle pass
waits a little before the next; a failed pass (PostgreSQL or Temporal away) did not
advance the follower's position, so it is retried, with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from temporalio.service import RPCError

from projections import parked

# Failures of PostgreSQL or Temporal: the pass is retried as it is. Anything else that one
# event causes sets that event aside (projections/parked.py) so the follower moves on.
TRANSIENT: tuple[type[BaseException], ...] = (*parked.TRANSIENT, RPCError, TimeoutError, OSError)

IDLE_WAIT = 0.2  # seconds between polls when the log has nothing new
MAX_ERROR_WAIT = 30.0

log = logging.getLogger(__name__)


async def follow(
    catch_up: Callable[[asyncio.Event], Awaitable[int]],
    stop: asyncio.Event,
    name: str,
    reconcile: Callable[[], Awaitable[object]] | None = None,
    reconcile_seconds: float = 300.0,
) -> None:
    """Run `catch_up(stop)` until `stop` is set; after a pass, at start and every
    `reconcile_seconds`, `reconcile()` (Temporal state the follower re-creates if lost: a
    failed reconciliation is tried again after the next pass)."""
    error_wait = IDLE_WAIT
    reconciled_at: float | None = None
    while not stop.is_set():
        try:
            processed = await catch_up(stop)
            now = asyncio.get_running_loop().time()
            if reconcile is not None and (
                reconciled_at is None or now - reconciled_at >= reconcile_seconds
            ):
                await reconcile()
                reconciled_at = now
            error_wait = IDLE_WAIT
        except Exception:
            log.exception("%s failed; retrying in %.1f s", name, error_wait)
            await wait(stop, error_wait)
            error_wait = min(error_wait * 2, MAX_ERROR_WAIT)
            continue
        if processed == 0:
            await wait(stop, IDLE_WAIT)


async def wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
