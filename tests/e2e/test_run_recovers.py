"""`rectify run` keeps the system up when the servers it owns die, and leaves nothing
behind when it is itself killed: PostgreSQL and the Temporal dev server are killed with
-9 and come back on their own, then the run is killed with -9 and every process it started
goes with it; a new run on the same home starts cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.3)


def _status(base: str) -> int:
    try:
        return httpx.get(base + "/healthz", timeout=2).status_code
    except httpx.HTTPError:
        return 0


def _pid(path: Path) -> int:
    return int(path.read_text().splitlines()[0].strip())


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _start(home: Path, http_port: int, temporal_port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")}
    env.update(
        RECTIFY_HOME=str(home),
        RECTIFY_HTTP_PORT=str(http_port),
        RECTIFY_TEMPORAL_PORT=str(temporal_port),
    )
    return subprocess.Popen([sys.executable, "-m", "rectify", "run"], env=env)


def test_dead_servers_are_restarted_and_a_killed_run_leaves_no_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    http_port, temporal_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{http_port}"
    run = _start(home, http_port, temporal_port)
    try:
        _wait(lambda: _status(base) == 200, 120, "the system comes up")

        postgres = _pid(home / "pg" / "postmaster.pid")
        os.kill(postgres, signal.SIGKILL)
        _wait(lambda: _status(base) == 503, 30, "the API reports the outage")
        _wait(lambda: _status(base) == 200, 120, "PostgreSQL is restarted and the API serves")
        assert _pid(home / "pg" / "postmaster.pid") != postgres

        temporal = _pid(home / "temporal.pid")
        os.kill(temporal, signal.SIGKILL)
        _wait(
            lambda: _pid(home / "temporal.pid") != temporal and _alive(_pid(home / "temporal.pid")),
            60,
            "the Temporal dev server is restarted",
        )
        assert run.poll() is None, "rectify run stopped instead of restarting a server"

        children = [c.pid for c in psutil.Process(run.pid).children(recursive=True)]
        started = [*children, _pid(home / "pg" / "postmaster.pid")]
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        _wait(lambda: not any(_alive(pid) for pid in started), 60, "every process goes")
    finally:
        if run.poll() is None:
            run.kill()

    again = _start(home, http_port, temporal_port)
    try:
        _wait(lambda: _status(base) == 200, 120, "a new run on the same home comes up")
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(60)
