"""`rectify run` refuses to start when its HTTP port is already taken."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

from rectify.settings import Settings
from rectify.supervisor import supervise


def test_a_taken_http_port_stops_the_run_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("RECTIFY_HTTP_PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("RECTIFY_HOME", str(home))
        try:
            code = supervise(Settings())
        finally:
            signal.signal(signal.SIGTERM, handlers[0])
            signal.signal(signal.SIGINT, handlers[1])
    assert code == 2
    assert not home.exists()  # no database, no Temporal was started


def test_a_command_run_where_no_system_runs_creates_no_second_database(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RECTIFY_HOME")}
    result = subprocess.run(
        [sys.executable, "-m", "rectify", "token", "--role", "liaison", "--agency", "县卫健局"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no Rectify database under" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / ".rectify").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_role_that_cannot_start_stops_the_run_instead_of_a_running_banner(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    database_url: str,
    schema: str,
) -> None:
    """With Temporal unreachable the worker, dispatcher and notifier exit at once: the run
    says so and stops, rather than announcing a system whose clocks never ring."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{_free_port()}")  # nothing listens
    monkeypatch.setenv("RECTIFY_HTTP_PORT", str(_free_port()))
    monkeypatch.setenv("RECTIFY_HOME", str(tmp_path / "home"))
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        code = supervise(Settings())
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])

    err = capfd.readouterr().err
    assert code == 1
    assert "failed to start" in err and "worker (exit code" in err
    assert "Rectify is running" not in err
