"""`rectify run`: start every process of the system, keep them up, stop them all on
Ctrl-C or SIGTERM.

PostgreSQL (embedded, from a wheel) and the Temporal dev server are started only when
DATABASE_URL / TEMPORAL_ADDRESS are not set; their state lives under $RECTIFY_HOME and
survives restarts. The worker, dispatcher, projection runner and HTTP server each run
as their own process, as they would in production, and are restarted if one dies; so are
the embedded PostgreSQL and the Temporal dev server, the roles reconnecting on their own.
Every child dies with the run, even a run killed with -9 (PDEATHSIG; the PostgreSQL daemon
through rectify.pg_guard), and a new run stops a Temporal left behind in its home.
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
from typing import Any

import psutil
import structlog

from domain.messages import joined
from rectify.embedded import (
    die_with_parent,
    find_binary,
    postgres_alive,
    restart_embedded_postgres,
    start_embedded_postgres,
)
from rectify.first_admin import announcement, ensure_first_admin
from rectify.logs import configure
from rectify.runtime import ensure_schema
from rectify.settings import Settings, eventsourcing_env

CHILDREN = ("projections", "worker", "dispatcher", "notifier", "serve")
STARTUP_SECONDS = 3.0  # every role must still be up this long after the API answers
HEALTHY_SECONDS = 60.0  # a process up this long before exiting was not crash-looping
CRASH_LOOP = 3  # exits in a row reported as errors, not warnings
STOP_GRACE_SECONDS = 10.0
# How long the API may take to listen while its process lives (one that exits is reported
# at once). Five roles import and create their tables together: on two busy cores that
# took over 60 s here (2026-12-06, load 18), and a slow start is not a failed one.
SERVE_START_SECONDS = 180.0
log = structlog.get_logger()


def wait_for_port(
    host: str, port: int, timeout: float, alive: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(
                f"进程在打开端口 {port} 之前退出（退出码 {alive.returncode}） / process exited "
                f"with {alive.returncode} before opening port {port}"
            )
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(
        f"{timeout:.0f} 秒后 {host}:{port} 仍无服务监听 / nothing listens on {host}:{port} "
        f"after {timeout:.0f} s"
    )


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


def _stop_stale_temporal(home: Path) -> None:
    """A dev server a killed run left on this home's database (its pid file says which)."""
    pid_file = home / "temporal.pid"
    try:
        stale = psutil.Process(int(pid_file.read_text().strip()))
        if str(home / "temporal.db") not in " ".join(stale.cmdline()):
            return  # the pid was reused by an unrelated program
        log.warning("停止上次运行遗留的 Temporal 开发服务器 / stopping a Temporal dev server left "
                    "by an earlier run", pid=stale.pid)  # fmt: skip
        stale.terminate()
        try:
            stale.wait(STOP_GRACE_SECONDS)
        except psutil.TimeoutExpired:
            stale.kill()
            stale.wait(STOP_GRACE_SECONDS)
    except (OSError, ValueError, psutil.Error):
        pass
    pid_file.unlink(missing_ok=True)


def role_env(env: dict[str, str], role: str, metrics_port: int | None) -> dict[str, str]:
    """One RECTIFY_METRICS_PORT would make the roles collide on one machine: each role gets
    its own, that port plus its place in CHILDREN (projections first); the API serves
    /metrics on its HTTP port and gets none."""
    own = {k: v for k, v in env.items() if k != "RECTIFY_METRICS_PORT"}
    if metrics_port is not None and role != "serve":
        own["RECTIFY_METRICS_PORT"] = str(metrics_port + CHILDREN.index(role))
    return own


def ui_port_for(port: int) -> int:
    """The Temporal Web UI's port: the dev server's usual one (gRPC port + 1000) when it is
    free, else one the system picks, so a taken port never fails the start."""
    if port + 1000 < 65536 and _port_free("127.0.0.1", port + 1000):
        return port + 1000
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_temporal_dev_server(
    home: Path, port: int, ui_port: int | None = None
) -> subprocess.Popen[bytes]:
    """The dev server on 127.0.0.1:port, its Web UI on ui_port (None: no UI)."""
    _stop_stale_temporal(home)
    if not _port_free("127.0.0.1", port):
        raise RuntimeError(
            f"端口 {port} 已被占用：是否已有 Temporal 在运行？设置 TEMPORAL_ADDRESS 使用它，或设置 "
            f"RECTIFY_TEMPORAL_PORT 换一个端口 / port {port} is taken: is another Temporal "
            "running? Set TEMPORAL_ADDRESS to use it, or RECTIFY_TEMPORAL_PORT to start ours "
            "elsewhere"
        )
    logfile = (home / "temporal.log").open("ab")
    command = [
        find_binary("temporal"), "server", "start-dev",
        "--ip", "127.0.0.1", "--port", str(port),
        "--db-filename", str(home / "temporal.db"), "--log-level", "warn",
    ]  # fmt: skip
    command += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    # Its HTTP API and metrics ports are left to the server, which picks free ones: fixed
    # ones next to the gRPC port were sometimes taken by another program, failing the start.
    process = subprocess.Popen(
        command, stdout=logfile, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
    )
    (home / "temporal.pid").write_text(str(process.pid))
    try:
        wait_for_port("127.0.0.1", port, 60, process)
    except RuntimeError as error:
        logged = home / "temporal.log"
        raise RuntimeError(
            joined(
                f"Temporal 开发服务器未能启动，日志见 {logged} / the Temporal dev server did not "
                f"start, see {logged}",
                str(error),
            )
        ) from None
    return process


def stop_process(process: subprocess.Popen[bytes], name: str) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("宽限期已过，强制结束 / killing after grace period", child=name)
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


def _restart_temporal(
    dead: subprocess.Popen[bytes],
    home: Path,
    port: int,
    stopping: threading.Event,
    ui_port: int | None = None,
) -> subprocess.Popen[bytes] | None:
    """Start the dev server again on its database (workflows and timers survive in it),
    backing off while it cannot; None if the run is stopping meanwhile."""
    log.error("Temporal 开发服务器已退出，正在重启 / Temporal dev server exited; restarting it",
              code=dead.returncode)  # fmt: skip
    delay = 0.5
    while not stopping.is_set():
        try:
            process = start_temporal_dev_server(home, port, ui_port)
            log.warning("Temporal 开发服务器已重启 / Temporal dev server restarted; the roles "
                        "reconnect")  # fmt: skip
            return process
        except (RuntimeError, TimeoutError) as error:
            log.error("Temporal 开发服务器未能启动，重试中 / Temporal dev server did not start; "
                      "retrying", error=str(error))  # fmt: skip
            stopping.wait(delay)
            delay = min(delay * 2, 30.0)
    return None


def supervise(settings: Settings) -> int:
    configure("run")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())

    if not _port_free(settings.http_host, settings.http_port):
        # Otherwise another program there would pass our readiness check and answer users.
        log.error(
            f"{settings.http_host} 的端口 {settings.http_port} 已被其他程序占用：请停止它，或设置 "
            f"RECTIFY_HTTP_PORT / port {settings.http_port} on {settings.http_host} is taken by "
            "another program; stop it, or set RECTIFY_HTTP_PORT"
        )
        return 2
    home = settings.rectify_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    pg_server: Any = None
    pg_guard: subprocess.Popen[bytes] | None = None
    temporal: subprocess.Popen[bytes] | None = None
    children: dict[str, subprocess.Popen[bytes]] = {}
    ui_port: int | None = None
    try:
        if settings.database_url:
            database_url = settings.database_url
        else:
            database_url, pg_server = start_embedded_postgres(home / "pg")
            pg_guard = subprocess.Popen(
                [sys.executable, "-m", "rectify.pg_guard", str(home / "pg")],
                preexec_fn=die_with_parent,
            )
            log.info("embedded PostgreSQL started", data=str(home / "pg"))
        ensure_schema(database_url, settings.db_schema)
        env["DATABASE_URL"] = database_url
        # a fresh home has no account: make the first admin, to show once it all runs
        first_password = ensure_first_admin(
            eventsourcing_env(database_url, settings.db_schema), home
        )
        if not settings.temporal_address:
            ui_port = ui_port_for(settings.temporal_port)
            temporal = start_temporal_dev_server(home, settings.temporal_port, ui_port)
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{settings.temporal_port}"
            log.info("Temporal dev server started", address=env["TEMPORAL_ADDRESS"],
                     web_ui=f"http://127.0.0.1:{ui_port}")  # fmt: skip

        def start(name: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "rectify", name],
                env=role_env(env, name, settings.metrics_port),
                preexec_fn=die_with_parent,
            )

        for name in CHILDREN:
            children[name] = start(name)
        wait_for_port(
            settings.http_host, settings.http_port, SERVE_START_SECONDS, children["serve"]
        )
        failed = _failed_at_start(children, stopping)
        if failed:
            # A role that cannot even start (a missing module, a wrong setting) would only
            # crash-loop behind a "running" banner, with no clock ever ringing.
            log.error(
                f"启动失败，已停止：{'、'.join(failed)}；原因见上方输出 / failed to start: "
                f"{', '.join(failed)}; see the output above (code, traceback)"
            )
            return 1
        url = f"http://{settings.http_host}:{settings.http_port}"
        log.info(f"Rectify is running at {url} (GraphQL at {url}/graphql); Ctrl-C stops it")
        if ui_port is not None:
            log.info(f"Temporal Web UI 工作流界面: http://127.0.0.1:{ui_port}")
        if first_password is not None:
            print(announcement(first_password, home), flush=True)

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
                report("进程退出，正在重启 / process exited; restarting", child=name,
                       code=process.returncode, after_seconds=delay,
                       exits_in_a_row=crashes[name])  # fmt: skip
                if stopping.wait(delay):
                    break
                children[name] = start(name)
                started[name] = time.monotonic()
            if pg_server is not None and not postgres_alive(home / "pg"):
                log.error(
                    "内置 PostgreSQL 已退出，正在重启 / embedded PostgreSQL exited; restarting"
                )
                restart_embedded_postgres(pg_server)
                log.warning("内置 PostgreSQL 已重启 / embedded PostgreSQL restarted; the roles "
                            "reconnect")  # fmt: skip
            if temporal is not None and temporal.poll() is not None:
                temporal = _restart_temporal(
                    temporal, home, settings.temporal_port, stopping, ui_port
                )
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
            (home / "temporal.pid").unlink(missing_ok=True)
        if pg_guard is not None:
            stop_process(pg_guard, "pg_guard")  # stops PostgreSQL
        if pg_server is not None:
            pg_server.cleanup()
        log.info("stopped")
