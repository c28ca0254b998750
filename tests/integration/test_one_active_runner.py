"""One projection runner is active per schema, a second stands by (ADR 0057): only the
holder of the advisory lock applies batches; the standby takes over when the active one
ends, and a runner whose lock connection dies stops applying until it holds it again."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from domain.application import RectifyApp
from projections import projection_position, run_projections
from projections.leadership import active_runner, run_when_active
from projections.queries import create_pool
from projections.runner import connect
from projections.status import log_status
from tests.integration.api_fixtures import import_known_ledger, ledger_rows

POLL = 0.2


@dataclass
class Runner:
    """A runner on a thread of its own, counting the batches it commits."""

    name: str
    stop: threading.Event = field(default_factory=threading.Event)
    batches: int = 0
    terms: int = 0  # how many times it became active
    thread: threading.Thread | None = None

    def start(self, es_env: dict[str, str], url: str, schema: str) -> Runner:
        def committed() -> None:
            self.batches += 1

        def work(active: threading.Event) -> None:
            self.terms += 1
            run_projections(es_env, url, schema, active, poll_seconds=POLL, on_commit=committed)

        self.thread = threading.Thread(
            target=run_when_active, args=(url, schema, self.stop, work, POLL), name=self.name
        )
        self.thread.start()
        return self

    def end(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(30)
            assert not self.thread.is_alive()


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with closing(connect(database_url, schema)) as conn:
        yield conn


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    started: list[Runner] = []
    yield started
    for runner in started:
        runner.end()


def caught_up(app: RectifyApp, url: str, schema: str) -> Callable[[], bool]:
    return lambda: projection_position(url, schema) == app.recorder.max_notification_id()


def test_only_the_runner_holding_the_lock_applies_batches(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any,
    runners: list[Runner],
) -> None:  # fmt: skip
    first = Runner("first").start(es_env, database_url, schema)
    runners.append(first)
    wait_for(lambda: first.terms == 1, "the first runner becomes active")
    second = Runner("second").start(es_env, database_url, schema)
    runners.append(second)

    import_known_ledger(app)
    wait_for(caught_up(app, database_url, schema), "the read side catches up")

    assert first.batches > 0
    assert (second.terms, second.batches) == (0, 0)
    holder = active_runner(db, schema)
    assert holder is not None and holder.name.startswith("rectify-projections ")


def test_the_standby_takes_over_and_catches_up_when_the_active_runner_ends(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any,
    runners: list[Runner],
) -> None:  # fmt: skip
    first = Runner("first").start(es_env, database_url, schema)
    runners.append(first)
    wait_for(lambda: first.terms == 1, "the first runner becomes active")
    second = Runner("second").start(es_env, database_url, schema)
    runners.append(second)
    import_known_ledger(app)
    wait_for(caught_up(app, database_url, schema), "the read side catches up")
    was = active_runner(db, schema)

    first.end()
    app.import_ledger("第二轮专项", ledger_rows(), actor="导入", source="t2.csv")
    wait_for(lambda: second.terms == 1, "the standby becomes active")
    wait_for(caught_up(app, database_url, schema), "the standby catches up")

    assert second.batches > 0
    now = active_runner(db, schema)
    assert was is not None and now is not None and now.backend_pid != was.backend_pid


def test_a_runner_whose_lock_connection_dies_stops_until_it_holds_the_lock_again(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any,
    runners: list[Runner],
) -> None:  # fmt: skip
    only = Runner("only").start(es_env, database_url, schema)
    runners.append(only)
    wait_for(lambda: only.terms == 1, "the runner becomes active")
    holder = active_runner(db, schema)
    assert holder is not None

    db.execute("SELECT pg_terminate_backend(%s)", (holder.backend_pid,))
    wait_for(lambda: only.terms == 2, "the runner takes the lock again on a new connection")
    import_known_ledger(app)
    wait_for(caught_up(app, database_url, schema), "the read side catches up")

    again = active_runner(db, schema)
    assert again is not None and again.backend_pid != holder.backend_pid


async def test_the_log_status_names_the_active_runner_and_none_when_none_runs(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any,
    runners: list[Runner],
) -> None:  # fmt: skip
    """`app` makes the event tables the status reads."""
    pool = await create_pool(database_url, schema, max_size=1)
    try:
        assert active_runner(db, schema) is None
        assert (await log_status(pool)).projection_runner is None

        only = Runner("only").start(es_env, database_url, schema)
        runners.append(only)
        wait_for(lambda: only.terms == 1, "the runner becomes active")

        named = (await log_status(pool)).projection_runner
        assert named == f"rectify-projections {socket.gethostname()}:{os.getpid()}"
    finally:
        await pool.close()
