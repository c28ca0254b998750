"""Health check of one Rectify container, whatever its role (deploy/Dockerfile HEALTHCHECK).

`python healthcheck.py [ROLE]`: without ROLE, the role of the `rectify ROLE` process
running in the container. Exit 0 healthy, 1 unhealthy (the reason on stderr):
- serve: `GET /healthz` answers 200 (it reads PostgreSQL itself);
- every other role: PostgreSQL (DATABASE_URL) answers `SELECT 1`;
- worker, dispatcher, notifier: Temporal's frontend (TEMPORAL_ADDRESS) accepts a connection.
It runs on the standard library and psycopg only: the image has no curl.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

ROLES = ("serve", "worker", "dispatcher", "notifier", "projections")
TEMPORAL_ROLES = ("worker", "dispatcher", "notifier")
TIMEOUT = 3.0


def role_of(command_lines: Iterable[list[str]]) -> str | None:
    """The role of the first `rectify ROLE` among these command lines (argv lists)."""
    for args in command_lines:
        for i, arg in enumerate(args[:-1]):
            if Path(arg).name == "rectify" and args[i + 1] in ROLES:
                return args[i + 1]
    return None


def running_command_lines(proc: Path = Path("/proc")) -> Iterable[list[str]]:
    for entry in sorted(proc.glob("[0-9]*/cmdline"), key=lambda p: int(p.parent.name)):
        try:
            raw = entry.read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        yield [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def host_and_port(address: str, default_port: int = 7233) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or a bare host, as TEMPORAL_ADDRESS is written."""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, colon, port = address.rpartition(":")
    if not colon or ":" in host:  # a bare host name or IPv6 address
        return address, default_port
    return host, int(port)


def problems(role: str, env: Mapping[str, str]) -> list[str]:
    """What is wrong for this role; empty when healthy."""
    if role == "serve":
        port = env.get("RECTIFY_HTTP_PORT", "8000")
        return _http_ok(f"http://127.0.0.1:{port}/healthz")
    found = _database_ok(env.get("DATABASE_URL"))
    if role in TEMPORAL_ROLES:
        found += _tcp_ok(env.get("TEMPORAL_ADDRESS") or "127.0.0.1:7233")
    return found


def _http_ok(url: str) -> list[str]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            status: int = answer.status
    except OSError as error:  # HTTPError (503) and URLError are OSErrors
        return [f"{url}: {error}"]
    return [] if status == 200 else [f"{url}: HTTP {status}"]


def _database_ok(url: str | None) -> list[str]:
    if not url:
        return ["DATABASE_URL is not set"]
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=int(TIMEOUT)) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return [f"PostgreSQL: {error}".strip()]
    return []


def _tcp_ok(address: str) -> list[str]:
    host, port = host_and_port(address)
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT):
            return []
    except OSError as error:
        return [f"Temporal {address}: {error}"]


def main(argv: list[str]) -> int:
    role = argv[1] if len(argv) > 1 else role_of(running_command_lines())
    if role not in ROLES:
        print(f"no Rectify role to check (one of {', '.join(ROLES)})", file=sys.stderr)
        return 1
    found = problems(role, os.environ)
    for problem in found:
        print(f"{role}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
