"""`rectify run`: start every process of the system, keep them up, stop them all on
Ctrl-C or SIGTERM.

PostgreSQL (embedded, from a wheel) and the Temporal dev server are started only when
DATABASE_URL / TEMPORAL_ADDRESS are not set; their state lives under $RECTIFY_HOME and
survives restarts. The worker, dispatcher, projection runner and HTTP server each run
as their own process, as they would in production, and are restarted if one dies.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import structlog

from rectify.embedded import find_binary, start_embedded_postgres
from rectify.logs import configure
from rectify.runtime import ensure_schema
from rectify.settings import Settings

CHILDREN = ("projections", "worker", "dispatcher", "notifier", "serve")
STARTUP_SECONDS = 3.0  # every role must still be up this long after the API answers
HEALTHY_SECONDS = 60.0  # a process up this long before exiting was not crash-looping
CRASH_LOOP = 3  # exits in a row reported as errors, not warnings
STOP_GRACE_SECONDS = 10.0
log = structlog.get_logger()


def wait_for_port(
    host: str, port: int, timeout: float, alive: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"process exited with {alive.returncode} before opening port {port}")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


def start_temporal_dev_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    if not _port_free("127.0.0.1", port):
        raise RuntimeError(
            f"port {port} is taken: is another Temporal running? Set TEMPORAL_ADDRESS to use it,"
            " or RECTIFY_TEMPORAL_PORT to start ours elsewhere"
        )
    logfile = (home / "temporal.log").open("ab")
    command = [
        find_binary("temporal"), "server", "start-dev", "--headless",
        "--ip", "127.0.0.1", "--port", str(port),
        "--db-filename", str(home / "temporal.db"), "--log-level", "warn",
    ]  # fmt: skip
    # Its HTTP API and metrics ports are left to the server, which picks free ones: fixed
    # ones next to the gRPC port were sometimes taken by another program, failing the start.
    process = subprocess.Popen(command, stdout=logfile, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, 60, process)
    except RuntimeError as error:
        raise RuntimeError(f"Temporal dev server: {error}; see {home / 'temporal.log'}") from None
    return process


def stop_process(process: subprocess.Popen[bytes], name: str) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("killing after grace period", child=name)
        process.kill()
        process.wait()


def _failed_at_start(
    children: dict[str, subprocess.Popen[bytes]], stopping: threading.Event
) -> list[str]:
    """The roles that exited within STARTUP_SECONDS, as "name (exit code N)"."""
    stopping.wait(STARTUP_SECONDS)
    return [
        f"{name} (exit code {process.returncode})"
        for name, process in children.items()
        if process.poll() is not None
    ]


def supervise(settings: Settings) -> int:
    configure("run")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())

    if not _port_free(settings.http_host, settings.http_port):
        # Otherwise another program there would pass our readiness check and answer users.
        log.error(
            f"port {settings.http_port} on {settings.http_host} is taken by another program;"
            " stop it, or set RECTIFY_HTTP_PORT (端口被占用，请设置 RECTIFY_HTTP_PORT)"
        )
        return 2
    home = settings.rectify_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    pg_server = None
    temporal: subprocess.Popen[bytes] | None = None
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        if settings.database_url:
            database_url = settings.database_url
        else:
            database_url, pg_server = start_embedded_postgres(home / "pg")
            log.info("embedded PostgreSQL started", data=str(home / "pg"))
        ensure_schema(database_url, settings.db_schema)
        env["DATABASE_URL"] = database_url
        if not settings.temporal_address:
            temporal = start_temporal_dev_server(home, settings.temporal_port)
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{settings.temporal_port}"
            log.info("Temporal dev server started", address=env["TEMPORAL_ADDRESS"])

        def start(name: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen([sys.executable, "-m", "rectify", name], env=env)

        for name in CHILDREN:
            children[name] = start(name)
        wait_for_port(settings.http_host, settings.http_port, 60, children["serve"])
        failed = _failed_at_start(children, stopping)
        if failed:
            # A role that cannot even start (a missing module, a wrong setting) would only
            # crash-loop behind a "running" banner, with no clock ever ringing.
            log.error(
                "启动失败，已停止 / failed to start: "
                + ", ".join(failed)
                + "; see the output above (code, traceback)"
            )
            return 1
        url = f"http://{settings.http_host}:{settings.http_port}"
        log.info(f"Rectify is running at {url} (GraphQL at {url}/graphql); Ctrl-C stops it")

        started = {name: time.monotonic() for name in children}
        crashes: dict[str, int] = {}
        while not stopping.wait(0.5):
            for name, process in children.items():
                if process.poll() is None or stopping.is_set():
                    continue
                # A process that ran a while before exiting starts again at once; one that
                # keeps exiting backs off (up to 30 s) and is reported as crash-looping.
                if time.monotonic() - started[name] > HEALTHY_SECONDS:
                    crashes[name] = 0
                crashes[name] = crashes.get(name, 0) + 1
                delay = min(30.0, 0.5 * 2 ** (crashes[name] - 1))
                report = log.error if crashes[name] >= CRASH_LOOP else log.warning
                report("process exited; restarting", child=name, code=process.returncode,
                       after_seconds=delay, exits_in_a_row=crashes[name])  # fmt: skip
                if stopping.wait(delay):
                    break
                children[name] = start(name)
                started[name] = time.monotonic()
            if temporal is not None and temporal.poll() is not None:
                log.error("Temporal dev server exited; stopping", code=temporal.returncode)
                return 1
        return 0
    except (RuntimeError, TimeoutError) as error:
        log.error(str(error))
        return 1
    finally:
        log.info("stopping")
        for name, process in reversed(list(children.items())):
            stop_process(process, name)
        if temporal is not None:
            stop_process(temporal, "temporal")
        if pg_server is not None:
            pg_server.cleanup()  # type: ignore[attr-defined]
        log.info("stopped")
