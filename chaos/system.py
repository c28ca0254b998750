"""The system under test, started exactly as `make run` starts it: `rectify run` with a
fresh RECTIFY_HOME and free ports, its own embedded PostgreSQL and Temporal dev server.

Also finds the processes the killer may hit. Every one is found from this run's own
process tree or home folder, never by name: the machine's own PostgreSQL and other
engineers' servers must never be touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROLES = ("serve", "projections", "worker", "dispatcher", "notifier")
TEMPORAL = "temporal"
# The dev server killed after its database file is deleted: it comes back empty, as after
# a restore into a fresh home; the clocks must be reconciled from the log.
TEMPORAL_STATE = "temporal-state"
POSTGRES = "postgres"
TARGETS = (*ROLES, TEMPORAL, TEMPORAL_STATE, POSTGRES)
LEDGER = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ledger_sample.csv"


def free_port(taken: set[int] | None = None) -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if not taken or port not in taken:
            return port


@dataclass
class System:
    home: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    base_url: str
    temporal_address: str
    schema: str
    log_path: Path
    tokens: dict[str, str] = field(default_factory=dict)

    # -- lifecycle ---------------------------------------------------------------------

    @classmethod
    def start(cls, home: Path) -> System:
        home.mkdir(parents=True, exist_ok=True)
        http_port = free_port()
        temporal_port = free_port({http_port})
        env = dict(os.environ)
        # The embedded PostgreSQL and the dev server are ours to kill: never use shared ones.
        for name in ("DATABASE_URL", "TEMPORAL_ADDRESS"):
            env.pop(name, None)
        schema = "chaos_" + uuid.uuid4().hex[:8]
        env.update(
            RECTIFY_HOME=str(home),
            RECTIFY_HTTP_PORT=str(http_port),
            RECTIFY_TEMPORAL_PORT=str(temporal_port),
            RECTIFY_DB_SCHEMA=schema,
        )
        log_path = home / "run.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "rectify", "run"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C of the harness reaches it only through stop()
            )  # fmt: skip
        system = cls(
            home, env, process, f"http://127.0.0.1:{http_port}",
            f"127.0.0.1:{temporal_port}", schema, log_path,
        )  # fmt: skip
        if not system.wait_healthy(120):
            system.stop()
            raise RuntimeError(f"rectify run did not come up; see {log_path}")
        return system

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._kill_leftovers()
        return self.process.returncode

    def _kill_leftovers(self) -> None:
        """What a failed run may leave behind of its own home: its PostgreSQL and Temporal."""
        for pid in (self.postmaster_pid(), self.temporal_pid()):
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def running(self) -> bool:
        return self.process.poll() is None

    def healthy(self) -> bool:
        try:
            return httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.running():
                return False
            if self.healthy():
                return True
            time.sleep(0.5)
        return False

    def rectify(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rectify", *args],
            env=self.env, capture_output=True, text=True, timeout=180, check=True,
        )  # fmt: skip

    def token(self, role: str, agency: str | None = None) -> str:
        key = f"{role}:{agency or ''}"
        if key not in self.tokens:
            args = ["token", "--role", role] + (["--agency", agency] if agency else [])
            self.tokens[key] = self.rectify(*args).stdout.strip()
        return self.tokens[key]

    # -- the processes a kill may hit --------------------------------------------------

    def descendants(self) -> dict[int, list[str]]:
        """pid -> argv of every live process below `rectify run`."""
        children: dict[int, list[int]] = {}
        argv: dict[int, list[str]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] == "Z":
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            argv[int(entry.name)] = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        found: dict[int, list[str]] = {}
        todo = [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found[child] = argv.get(child, [])
                todo.append(child)
        return found

    def role_pid(self, role: str) -> int | None:
        for pid, argv in self.descendants().items():
            if argv[-2:] == ["rectify", role] and "-m" in argv:
                return pid
        return None

    def temporal_pid(self) -> int | None:
        database = str(self.home / "temporal.db")
        for pid, argv in self.descendants().items():
            if "start-dev" in argv and database in argv:
                return pid
        return _pid_with_arg("start-dev", database)

    def postmaster_pid(self) -> int | None:
        """The postmaster of this home's data folder, checked by its working directory."""
        data = (self.home / "pg").resolve()
        try:
            pid = int((data / "postmaster.pid").read_text().split()[0])
            if Path(f"/proc/{pid}/cwd").resolve() == data:
                return pid
        except (OSError, ValueError, IndexError):
            pass
        return None

    def pid_of(self, target: str) -> int | None:
        if target in (TEMPORAL, TEMPORAL_STATE):
            return self.temporal_pid()
        if target == POSTGRES:
            return self.postmaster_pid()
        return self.role_pid(target)

    def forget_temporal_state(self) -> None:
        """Unlink the dev server's SQLite files while it runs: it keeps writing to the
        unlinked ones until killed, and its restart finds none (no race with the restart)."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            (self.home / f"temporal.db{suffix}").unlink(missing_ok=True)

    def database_url(self) -> str | None:
        """The embedded server's URL (a Unix socket), read from its postmaster.pid."""
        try:
            lines = (self.home / "pg" / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        if len(lines) < 5 or not lines[4].strip():
            return None
        return f"postgresql://postgres:@/postgres?host={lines[4].strip()}&port={lines[3].strip()}"


def _pid_with_arg(first: str, second: str) -> int | None:
    """A process outside the tree (re-parented after its parent died) of this home."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if first in argv and second in argv:
            return int(entry.name)
    return None
