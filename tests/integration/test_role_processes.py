"""The long-running roles as the operator starts them (`rectify projections | dispatcher |
notifier`, rectify/roles.py): each starts against the configured database, does its work,
and stops cleanly (exit status 0) on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from temporalio.testing import WorkflowEnvironment

from projections.runner import connect, ensure_schema
from rectify.embedded import find_binary

STOP_SECONDS = 30


class Role:
    """A `rectify ROLE` process whose stderr lines are collected as they come."""

    def __init__(self, role: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rectify", role],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, words: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            if any(words in line for line in self.lines):
                return
            time.sleep(0.1)
        raise AssertionError(f"no '{words}' from the process:\n{''.join(self.lines)}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_SECONDS)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def environment(database_url: str, schema: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "RECTIFY_DB_SCHEMA": schema,
        "RECTIFY_HOME": str(tmp_path / "home"),
    }


@pytest.fixture
def roles() -> Iterator[list[Role]]:
    started: list[Role] = []
    yield started
    for role in started:
        if role.process.poll() is None:
            role.process.kill()
            role.process.wait()


def test_the_projection_runner_prunes_the_sign_in_log_and_stops_on_sigterm(
    environment: dict[str, str], database_url: str, schema: str, roles: list[Role]
) -> None:
    with connect(database_url, schema) as conn:
        ensure_schema(conn, schema)
        conn.execute(
            "INSERT INTO sign_in_log (at, username, outcome) VALUES (%s, 'old', 'signed_in'),"
            " (%s, 'recent', 'signed_in')",
            (datetime.now(UTC) - timedelta(days=400), datetime.now(UTC)),
        )
    roles.append(Role("projections", environment))
    roles[0].wait_for("started")
    for _ in range(300):
        with psycopg.connect(database_url) as conn:
            names = conn.execute(f'SELECT username FROM "{schema}".sign_in_log').fetchall()
        if names == [("recent",)]:
            break
        time.sleep(0.1)
    assert names == [("recent",)]
    assert roles[0].stop() == 0, "".join(roles[0].lines)
    assert any("stopped" in line for line in roles[0].lines)


async def test_the_dispatcher_and_the_notifier_start_and_stop_on_sigterm(
    environment: dict[str, str], roles: list[Role]
) -> None:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as temporal:
        address = temporal.client.service_client.config.target_host
        env = {**environment, "TEMPORAL_ADDRESS": address, "RECTIFY_TASK_QUEUE": "roles-test"}
        roles.extend(Role(name, env) for name in ("dispatcher", "notifier"))
        for role in roles:
            role.wait_for("started")
        codes = [role.stop() for role in roles]
    assert codes == [0, 0], [("".join(role.lines)) for role in roles]
