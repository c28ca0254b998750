"""The open loop of the reads' p95 (bench/open_loop.py): requests sent on their schedule,
each timed from its due time. A virtual clock stands in for time: no timing here."""

from __future__ import annotations

import asyncio

import pytest

from bench.open_loop import open_loop


class VirtualClock:
    """Time moves only when the generator sleeps: the tasks ready run first, as they do
    while a real generator sleeps; `oversleep` is a starved generator waking late."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.now = 100.0
        self.oversleep = oversleep

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.now += seconds + self.oversleep


async def test_each_request_is_sent_when_it_is_due_whatever_the_answers() -> None:
    clock, sent = VirtualClock(), []
    held = asyncio.Event()

    async def send() -> None:
        sent.append(clock.now)
        await held.wait()  # no answer until every request is out

    run = asyncio.create_task(open_loop(send, 50.0, 5, clock, clock.sleep))
    while len(sent) < 5:
        await asyncio.sleep(0)
    held.set()
    await run
    assert sent == pytest.approx([100.0, 100.02, 100.04, 100.06, 100.08])


async def test_a_latency_runs_from_the_due_time_so_waiting_for_an_answer_counts() -> None:
    clock = VirtualClock()
    last_sent = asyncio.Event()
    calls = 0

    async def send() -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            last_sent.set()
        else:  # the first three are answered only once the fourth has gone out
            await last_sent.wait()

    done = await open_loop(send, 10.0, 4, clock, clock.sleep)
    # all answered at 0.3 s: the first waited 300 ms from its due time, the last none
    assert done.latencies_ms == pytest.approx([300.0, 200.0, 100.0, 0.0])
    assert done.seconds == pytest.approx(0.3)
    assert done.worst_send_lag_ms == 0.0


async def test_a_generator_behind_its_schedule_says_how_far() -> None:
    clock = VirtualClock(oversleep=0.03)

    async def send() -> None:
        return None

    done = await open_loop(send, 100.0, 3, clock, clock.sleep)
    # the second was due 10 ms in and sent 40 ms in; the third, due at 20, at once after
    assert done.worst_send_lag_ms == pytest.approx(30.0)


async def test_a_failed_request_fails_the_measurement() -> None:
    async def send() -> None:
        raise RuntimeError("/graphql: errors")

    clock = VirtualClock()
    with pytest.raises(RuntimeError, match="errors"):
        await open_loop(send, 10.0, 3, clock, clock.sleep)


async def test_a_rate_or_count_of_nothing_is_refused() -> None:
    async def send() -> None:
        return None

    with pytest.raises(ValueError):
        await open_loop(send, 0.0, 3)
    with pytest.raises(ValueError):
        await open_loop(send, 10.0, 0)
