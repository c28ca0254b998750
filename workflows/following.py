"""The loop every follower of the event log runs (clock dispatcher, notifier).

A pass catches up with the log and returns how many events it read past; an idle pass
waits for the next save's NOTIFY (projections/wakeup.py), or a while without one; a
failed pass (PostgreSQL or Temporal away) did not advance the follower's position, so it
is retried, with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from temporalio.service import RPCError

from projections import parked
from projections.wakeup import AsyncListener

# Failures of PostgreSQL or Temporal: the pass is retried as it is. Anything else that one
# event causes sets that event aside (projections/parked.py) so the follower moves on.
TRANSIENT: tuple[type[BaseException], ...] = (*parked.TRANSIENT, RPCError, TimeoutError, OSError)

EPOCH_SECONDS = 10.0  # how often a follower asks whether Temporal is the same server
IDLE_WAIT = 0.2  # seconds between polls when the log has nothing new and no listener
LISTENING_WAIT = 1.0  # with a listener: the fallback when no notice comes
MAX_ERROR_WAIT = 30.0

log = logging.getLogger(__name__)


async def follow(
    catch_up: Callable[[asyncio.Event], Awaitable[int]],
    stop: asyncio.Event,
    name: str,
    reconcile: Callable[[], Awaitable[object]] | None = None,
    reconcile_seconds: float = 300.0,
    epoch: Callable[[], Awaitable[object]] | None = None,
    epoch_seconds: float = EPOCH_SECONDS,
    listener: AsyncListener | None = None,
) -> None:
    """Run `catch_up(stop)` until `stop` is set; after a pass, `reconcile()` (Temporal
    state the follower re-creates if lost) at start, every `reconcile_seconds`, after a
    failed pass (Temporal or PostgreSQL may have come back without their state), and as
    soon as `epoch()` (asked every `epoch_seconds`) answers differently: a Temporal server
    that lost its state has a new one (workflows/reconcile.py, `temporal_epoch`).
    With a `listener`, an idle follower waits for the next save's notice instead of
    polling every IDLE_WAIT."""
    error_wait = IDLE_WAIT
    reconciled_at: float | None = None
    seen_epoch: object = None
    epoch_at = 0.0
    while not stop.is_set():
        try:
            if listener is not None:
                await listener.listen()  # before the pass: a save during it wakes the wait
            processed = await catch_up(stop)
            now = asyncio.get_running_loop().time()
            if epoch is not None and now - epoch_at >= epoch_seconds:
                current, epoch_at = await epoch(), now
                if current != seen_epoch:
                    seen_epoch, reconciled_at = current, None
            if reconcile is not None and (
                reconciled_at is None or now - reconciled_at >= reconcile_seconds
            ):
                await reconcile()
                reconciled_at = now
            error_wait = IDLE_WAIT
        except Exception:
            reconciled_at = None  # whatever was away may have come back empty
            log.exception("%s failed; retrying in %.1f s", name, error_wait)
            await wait(stop, error_wait)
            error_wait = min(error_wait * 2, MAX_ERROR_WAIT)
            continue
        if processed == 0:
            if listener is None:
                await wait(stop, IDLE_WAIT)
            else:
                await listener.wait(LISTENING_WAIT, stop)


async def wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
