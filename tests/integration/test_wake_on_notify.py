"""Followers of the log wake on the NOTIFY every save sends (ADR 0053): the projection
runner, the clock dispatcher and the notifier look at once, not at their next poll. Each
test makes the poll interval a minute and bounds its wait at a few seconds, so only a
notice can have woken the follower."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.application import RectifyApp
from domain.names import agency_id
from projections import projection_position, run_projections
from projections.wakeup import AsyncListener, Listener
from tests.integration.api_fixtures import HEALTH, import_known_ledger, issue
from workflows import following
from workflows.following import follow

CHANNEL = "rectify_wake_test"
MINUTE = 60.0
BOUND = 10.0  # far below the poll interval, far above a notice's delivery


def _notify(database_url: str, channel: str = CHANNEL) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("NOTIFY {}").format(psycopg.sql.Identifier(channel)))


def _wait_for_position(database_url: str, schema: str, wanted: int) -> None:
    deadline = time.monotonic() + BOUND
    while projection_position(database_url, schema) < wanted:
        assert time.monotonic() < deadline, "the runner did not project the event"
        time.sleep(0.02)


@pytest.fixture
def runner(es_env: dict[str, str], database_url: str, schema: str) -> Iterator[threading.Thread]:
    """A projection runner that polls once a minute."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_projections, args=(es_env, database_url, schema, stop, MINUTE), daemon=True
    )
    thread.start()
    yield thread
    stop.set()
    thread.join(timeout=BOUND)
    assert not thread.is_alive(), "the runner did not stop when asked"


def test_the_runner_projects_a_save_without_waiting_for_its_poll_interval(
    app: RectifyApp, database_url: str, schema: str, runner: threading.Thread
) -> None:
    import_known_ledger(app)
    first = app.recorder.max_notification_id()
    assert first is not None
    _wait_for_position(database_url, schema, first)
    time.sleep(0.3)  # the runner is idle now, a minute from its next poll

    result = app.report_progress(UUID(issue("1")), agency_id(HEALTH), "已整改", [], "卫健局")

    assert result.position is not None and result.position > first
    _wait_for_position(database_url, schema, result.position)


def test_a_notice_wakes_a_waiting_listener(database_url: str) -> None:
    listener = Listener(database_url, CHANNEL)
    try:
        assert listener.listen()
        stop, woken = threading.Event(), []
        waiter = threading.Thread(target=lambda: woken.append(listener.wait(MINUTE, stop)))
        waiter.start()
        time.sleep(0.2)
        _notify(database_url)
        waiter.join(timeout=BOUND)
        stop.set()
        assert woken == [True]
    finally:
        listener.close()


def test_a_listener_that_lost_its_connection_listens_again_and_says_it_may_have_missed(
    database_url: str,
) -> None:
    listener = Listener(database_url, CHANNEL)
    stop = threading.Event()
    try:
        assert listener.listen()
        assert listener._conn is not None
        pid = listener._conn.info.backend_pid
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

        assert not listener.wait(0.5, stop)  # the broken connection is noticed, not raised
        assert listener.wait(MINUTE, stop)  # listening again: a pass is due at once
        waiter_result: list[bool] = []
        waiter = threading.Thread(target=lambda: waiter_result.append(listener.wait(MINUTE, stop)))
        waiter.start()
        time.sleep(0.2)
        _notify(database_url)
        waiter.join(timeout=BOUND)
        assert waiter_result == [True]
    finally:
        stop.set()
        listener.close()


def test_stop_ends_a_listeners_wait(database_url: str) -> None:
    listener = Listener(database_url, CHANNEL)
    stop = threading.Event()
    try:
        listener.listen()
        waiter = threading.Thread(target=listener.wait, args=(MINUTE, stop))
        waiter.start()
        stop.set()
        waiter.join(timeout=BOUND)
        assert not waiter.is_alive()
    finally:
        listener.close()


async def test_an_idle_follower_runs_its_next_pass_on_a_notice(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(following, "LISTENING_WAIT", MINUTE)
    listener = AsyncListener(database_url, CHANNEL)
    stop, passes = asyncio.Event(), asyncio.Queue[int]()

    async def catch_up(_stop: Any) -> int:
        passes.put_nowait(1)
        return 0  # idle: the follower waits for its listener

    task = asyncio.create_task(follow(catch_up, stop, "test follower", listener=listener))
    try:
        await asyncio.wait_for(passes.get(), BOUND)  # the first pass, at start
        await asyncio.sleep(0.2)
        await asyncio.to_thread(_notify, database_url)
        await asyncio.wait_for(passes.get(), BOUND)  # the notice's pass, not a minute later
    finally:
        stop.set()
        await asyncio.wait_for(task, BOUND)  # stop ends the listener's wait too
        await listener.close()


async def test_an_async_listener_survives_a_lost_connection(database_url: str) -> None:
    listener = AsyncListener(database_url, CHANNEL)
    stop = asyncio.Event()
    try:
        assert await listener.listen()
        assert listener._conn is not None
        pid = listener._conn.info.backend_pid
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert not await listener.wait(BOUND, stop)  # the broken connection ends the wait
        assert await listener.wait(MINUTE, stop)  # listening again: a pass is due at once
    finally:
        await listener.close()
