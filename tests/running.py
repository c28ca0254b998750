"""Waiting for a `rectify run` a test started: up once its /healthz answers 200."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_until_up(
    process: subprocess.Popen[bytes], base: str, seconds: float = 120, log: Path | None = None
) -> None:
    """`log`: the run's output, whose last lines go into the failure (why it did not start)."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, "rectify run exited early" + _tail(log)
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the HTTP server did not come up" + _tail(log)
        time.sleep(0.3)


def _tail(log: Path | None, lines: int = 40) -> str:
    if log is None or not log.is_file():
        return ""
    return "; its log ends:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
