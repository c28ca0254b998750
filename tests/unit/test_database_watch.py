"""The API's database watch: a refused connection is an outage at once, a slow answer only
when it lasts (api/outages.py). The pool is a stand-in: what PostgreSQL does when killed is
tested in tests/integration/test_database_outage.py."""

from __future__ import annotations

from typing import Any

import asyncpg

from api.outages import SLOW_PROBES_FOR_OUTAGE, DatabaseWatch


class Pool:
    """Answers `SELECT 1` as told, one answer per probe."""

    def __init__(self, *answers: BaseException | None) -> None:
        self.answers = list(answers)
        self.expired = 0

    async def fetchval(self, query: str, timeout: float) -> Any:
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer
        return 1

    async def expire_connections(self) -> None:
        self.expired += 1


async def test_a_refused_connection_marks_the_database_down_at_once() -> None:
    watch = DatabaseWatch(Pool(ConnectionRefusedError()))
    assert await watch.probe() is False
    assert watch.up is False


async def test_a_lost_connection_marks_it_down_and_drops_the_pooled_connections() -> None:
    pool = Pool(asyncpg.exceptions.ConnectionDoesNotExistError("gone"))
    watch = DatabaseWatch(pool)
    await watch.probe()
    assert watch.up is False
    assert pool.expired == 1


async def test_slow_answers_are_an_outage_only_when_they_last() -> None:
    slow = [TimeoutError() for _ in range(SLOW_PROBES_FOR_OUTAGE)]
    watch = DatabaseWatch(Pool(*slow))
    for _ in range(SLOW_PROBES_FOR_OUTAGE - 1):
        assert await watch.probe() is True
        assert watch.up
    assert await watch.probe() is False
    assert watch.up is False


async def test_an_answer_in_time_starts_the_count_of_slow_ones_again() -> None:
    answers: list[BaseException | None] = [TimeoutError()] * (SLOW_PROBES_FOR_OUTAGE - 1)
    answers += [None] + [TimeoutError()] * (SLOW_PROBES_FOR_OUTAGE - 1)
    watch = DatabaseWatch(Pool(*answers))
    for _ in answers:
        await watch.probe()
    assert watch.up


async def test_a_request_that_met_a_failure_makes_the_probe_ask_at_once() -> None:
    dead = DatabaseWatch(Pool(ConnectionRefusedError()))
    await dead.suspect()
    assert dead.up is False
    busy = DatabaseWatch(Pool(TimeoutError()))
    await busy.suspect()
    assert busy.up


async def test_the_first_answer_after_an_outage_marks_it_up_with_fresh_connections() -> None:
    pool = Pool(ConnectionRefusedError(), None)
    watch = DatabaseWatch(pool)
    await watch.probe()
    assert await watch.probe() is True
    assert watch.up
    assert pool.expired == 2
