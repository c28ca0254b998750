"""Latency at a stated load (ADR 0073): requests sent on a fixed schedule, whatever the
server answers, each timed from the moment it was due.

Closed-loop clients (bench/reads.py's throughput figures) send their next request when
the last one answers: with no think time the server is saturated and the latency they see
is mostly the queue in front of it (Little's law: 16 clients / throughput), whatever it
costs to answer one request. Here the `i`-th request is due at `start + i / rate`; it is
sent then (the schedule never waits for answers), and its latency runs from that due time
to its answer, so a request that waited for a free connection, or behind a stalled
generator, counts the wait too (no coordinated omission: a slow answer cannot hold back the
requests that would have shown the queue). At most `clients` are in flight at once: the
HTTP client's pool has that many connections, and a request beyond them waits for one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenLoop:
    latencies_ms: list[float]  # each from its due time to its answer, in the order due
    seconds: float  # from the first due time to the last answer
    # how far behind its schedule the generator sent a request, at worst: a generator
    # that cannot keep up would understate the offered load
    worst_send_lag_ms: float

    @property
    def achieved_rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else 0.0


async def open_loop(
    send: Callable[[], Awaitable[object]],
    rate: float,
    count: int,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> OpenLoop:
    """`count` calls of `send`, the `i`-th due `i / rate` seconds after the first."""
    if rate <= 0 or count <= 0:
        raise ValueError("a positive rate and count")
    latencies: list[float] = [0.0] * count
    lag = 0.0
    start = clock()

    async def one(index: int, due: float) -> None:
        await send()
        latencies[index] = (clock() - due) * 1000

    pending: list[asyncio.Task[None]] = []
    try:
        for index in range(count):
            due = start + index / rate
            wait = due - clock()
            if wait > 0:
                await sleep(wait)
            lag = max(lag, clock() - due)
            pending.append(asyncio.create_task(one(index, due)))
        await asyncio.gather(*pending)
    finally:
        for task in pending:
            task.cancel()
    return OpenLoop(latencies, clock() - start, lag * 1000)
