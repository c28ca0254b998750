"""Waiting for a `rectify run` a test started: up once its /healthz answers 200."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_until_up(process: subprocess.Popen[bytes], base: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, "rectify run exited early"
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the HTTP server did not come up"
        time.sleep(0.3)
