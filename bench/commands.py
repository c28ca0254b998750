"""One-event commands (report progress: load the issue, decide, save) from 1 and from 8
clients, against raw single-row INSERT+COMMIT of the same shape (a row of the event log's
columns with a state of the stored event's size) over the same number of connections.
Each client is a thread with its own issues, so clients never collide on a stream. The 8
clients are two processes of four threads, as two API processes of command threads, the
threads of a process sharing its one RectifyApp (ADR 0086); the baseline's 8 writers run
in the same processes and threads (bench/client_processes.py, ADR 0074)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Generator
from typing import Any
from uuid import UUID

import psycopg

from bench import raw
from bench.client_processes import ClientProcesses
from bench.runner import Result, Sample, Target, interleave
from bench.setup import Schema, fresh_schema, import_issues
from domain.application import RectifyApp

TARGET = Target("ratio", ">=", 0.4)
# (processes, threads): 8 clients as two API processes of four command threads each, the
# production shape (deploy/compose.yaml runs two API processes); the baseline the same
ONE = (1, 1)
EIGHT = (2, 4)


class _LockWaits:
    """Samples, while commands run, how many of the database's sessions wait on a lock:
    the mean over samples divided by the clients is the share of client time spent
    waiting (issue 15: the table lock)."""

    def __init__(self, schema: Schema, clients: int) -> None:
        self.schema, self.clients = schema, clients
        self.stop = threading.Event()
        self.samples: list[int] = []
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with psycopg.connect(self.schema.url, autocommit=True) as conn:
            while not self.stop.wait(0.005):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                ).fetchone()
                self.samples.append(int(row[0]) if row else 0)

    def __enter__(self) -> _LockWaits:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def share(self) -> float:
        if not self.samples:
            return 0.0
        return sum(self.samples) / len(self.samples) / self.clients


class _RoundTrips:
    """Counts, while in the block, the exchanges with the server each thread makes: every
    psycopg generator that waits on the socket at least once is one round trip (a COMMIT
    on an idle autocommit connection sends nothing and is not counted). The announcer's
    NOTIFYs run on a thread of their own and are counted apart (issue 15 asks for the
    round trips beside the lock-wait share)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._wait: Any = None

    def __enter__(self) -> _RoundTrips:
        self._wait = psycopg.Connection.wait
        original, counts = self._wait, self.counts

        def counting(conn: Any, gen: Generator[Any, Any, Any], *args: Any, **kw: Any) -> Any:
            return original(conn, _counted(gen, counts), *args, **kw)

        psycopg.Connection.wait = counting  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_: object) -> None:
        psycopg.Connection.wait = self._wait  # type: ignore[method-assign]


def _counted(gen: Generator[Any, Any, Any], counts: Counter[str]) -> Generator[Any, Any, Any]:
    waited = False
    try:
        wanted = next(gen)
        while True:
            waited = True
            wanted = gen.send((yield wanted))
    except StopIteration as done:
        return done.value
    finally:
        if waited:
            announcer = threading.current_thread().name == "announcer"
            counts["notify" if announcer else "command"] += 1


def round_trips(schema: Schema, issues: list[tuple[UUID, UUID]], commands: int) -> dict[str, float]:
    """Round trips per command of one client, on the command's own path and the
    announcer's (measured once, outside the timed rounds: the counting costs time)."""
    app = RectifyApp(env=schema.env)
    mine = issues[:8]  # as many as one of the 8 clients has
    try:
        for item, agency in mine:  # connections and statements ready, the issues cached
            app.report_progress(item, agency, "预热", [], "bench")
        time.sleep(0.1)
        with _RoundTrips() as trips:
            for k in range(commands):
                item, agency = mine[k % len(mine)]
                app.report_progress(item, agency, f"第{k}次计数", [], "bench")
            time.sleep(0.2)  # the last NOTIFY
    finally:
        app.close()
    return {f"round_trips_{kind}": trips.counts[kind] / commands for kind in ("command", "notify")}


class _Clients:
    """Ours and the baseline on the same client processes and threads (ADR 0074)."""

    def __init__(
        self,
        schema: Schema,
        shape: tuple[int, int],
        issues: list[tuple[UUID, UUID]],
        table: str,
        trips: dict[str, float],
    ) -> None:
        self.schema, self.trips = schema, trips
        self.size = raw.state_size(schema, "ProgressReported")
        processes, threads = shape
        self.fleet = ClientProcesses(
            processes,
            threads,
            env=schema.env,
            url=schema.url,
            table=table,
            size=self.size,
            issues=issues,
        )
        self.shape = {"processes": processes, "threads": threads}
        self.clients, self.sent = self.fleet.clients, 0

    def ours(self, per_client: int) -> Sample:
        with _LockWaits(self.schema, self.clients) as waits:
            seconds = self.fleet.round("commands", per_client, self.sent)
        self.sent += per_client
        details = {
            "seconds": seconds,
            "lock_wait_share": round(waits.share, 3),
            **self.trips,
            **self.shape,
        }
        return Sample(self.clients * per_client / seconds, details)

    def baseline(self, per_client: int) -> Sample:
        seconds = self.fleet.round("raw", per_client)
        details = {"seconds": seconds, "state_bytes": self.size, **self.shape}
        return Sample(self.clients * per_client / seconds, details)

    def close(self) -> None:
        self.fleet.close()


def measure(url: str, rounds: int) -> list[Result]:
    results = []
    with fresh_schema(url, "commands") as schema:
        setup = RectifyApp(env=schema.env)
        try:
            ids = import_issues(setup, "基准命令", 64)
            issues = [(i, setup.get_issue(i).lead_agency_id) for i in ids]
        finally:
            setup.close()
        table = raw.create_table(schema)
        trips = round_trips(schema, issues, 50)
        # commands per client per round, quick as full: at 200 and 50 a round took 0.07–0.2 s
        # a side, and the 8 clients' ratio swung 0.30–0.46 between rounds of one run (ADR
        # 0078); 160 commands at 8 clients had swung it from 0.4 to 0.55 before
        for shape, per_client in ((ONE, 400), (EIGHT, 100)):
            runner = _Clients(schema, shape, issues, table, trips)
            clients = runner.clients
            try:
                done = interleave(
                    rounds,
                    lambda r=runner, p=per_client: r.ours(p),  # type: ignore[misc]
                    lambda r=runner, p=per_client: r.baseline(p),  # type: ignore[misc]
                )
            finally:
                runner.close()
            results.append(
                Result(
                    f"commands, {clients} client{'s' if clients > 1 else ''}",
                    "commands/s",
                    "higher",
                    TARGET,
                    done,
                    note=(
                        "report progress (load + decide + save) vs single-row INSERT+COMMIT; "
                        f"{shape[0]} process(es) x {shape[1]} thread(s) on both sides"
                    ),
                )
            )
    return results
