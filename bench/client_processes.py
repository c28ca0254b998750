"""Clients as production runs them: several processes of several threads each (two API
processes of command threads in deploy/compose.yaml), for the commands figure and for its
raw baseline alike, so both sides have exactly the same structure (ADR 0074).

Each process is started once per shape (spawned: no connection or lock is inherited) and
keeps one RectifyApp, shared by its threads as an API process's command threads share its
one (ADR 0086; until then a RectifyApp per thread), and per thread its own issues; a round
is a message to every process, its threads start together with the parent's clock at one
barrier, and the round ends when the last thread's last commit has returned. Threads of one
process share its GIL, as the command threads of one API process do; processes do not.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any
from uuid import UUID

# a round that has not started within this long has lost a process: fail, do not hang
BARRIER_SECONDS = 120.0

Issues = Sequence[tuple[UUID, UUID]]


def _serve(
    pipe: Connection,
    barrier: Any,
    env: dict[str, str],
    url: str,
    table: str,
    size: int,
    mine: list[Issues],
) -> None:
    """One client process: one RectifyApp for its threads, warmed by one command on each of its
    issues (its connections opened, its statements prepared, its issues cached: every
    round measures the steady state, not the first loads), then rounds."""
    from bench import raw
    from bench.setup import Schema
    from domain.application import RectifyApp

    schema = Schema(url, env["POSTGRES_SCHEMA"])
    # One RectifyApp for the process, its threads sharing it as an API process's command
    # threads share the process's one (its aggregate cache, its pool, its one announcer of
    # saves). A connection per thread and one for the announcer: none is waited for.
    app = RectifyApp(env={**env, "POSTGRES_POOL_SIZE": str(len(mine) + 1)})
    try:
        for issues in mine:
            for item, agency in issues:
                app.report_progress(item, agency, "预热", [], "bench")
        pipe.send(("ready", None))
        while True:
            job, per_client, sent = pipe.recv()
            if job == "stop":
                return
            writers: list[Any] = []
            if job == "raw":
                writers = [raw.Writer(schema, table, size) for _ in mine]

            def work(
                n: int,
                job: str = job,
                per_client: int = per_client,
                sent: int = sent,
                writers: list[Any] = writers,
            ) -> None:
                if job == "raw":
                    for _ in range(per_client):
                        writers[n].commit_one()
                    return
                issues = mine[n]
                for k in range(per_client):
                    item, agency = issues[k % len(issues)]
                    app.report_progress(
                        item, agency, f"第{sent + k}次进展：已完成部分整改", [], "bench"
                    )

            try:
                ended = _threads(barrier, len(mine), work)
                pipe.send(("done", ended))
            except BaseException as e:  # the parent voids the round with it
                pipe.send(("failed", repr(e)))
            finally:
                for w in writers:
                    w.close()
    finally:
        app.close()


def _threads(barrier: Any, threads: int, work: Callable[[int], None]) -> float:
    """Runs work(n) on `threads` threads from the shared start; the clock when the last
    one ended (time.perf_counter is CLOCK_MONOTONIC: one clock for every process)."""
    ended: list[float] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait(BARRIER_SECONDS)
        try:
            work(n)
        except BaseException as e:
            errors.append(e)
        ended.append(time.perf_counter())

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return max(ended)


class ClientProcesses:
    """`processes` × `threads` clients; client n (= process × threads + thread) works on
    issues[n::clients], so no two clients ever write one stream."""

    def __init__(
        self,
        processes: int,
        threads: int,
        *,
        env: dict[str, str],
        url: str,
        table: str,
        size: int,
        issues: Issues,
    ) -> None:
        self.processes, self.threads = processes, threads
        clients = processes * threads
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(clients + 1)
        self.pipes: list[Connection] = []
        self.workers: list[Any] = []
        for p in range(processes):
            mine = [list(issues[p * threads + t :: clients]) for t in range(threads)]
            ours, theirs = context.Pipe()
            worker = context.Process(
                target=_serve,
                args=(theirs, self.barrier, env, url, table, size, mine),
                daemon=True,
                name=f"bench-client-{p}",
            )
            worker.start()
            theirs.close()
            self.pipes.append(ours)
            self.workers.append(worker)
        for pipe in self.pipes:
            self._answer(pipe)

    @property
    def clients(self) -> int:
        return self.processes * self.threads

    def round(self, job: str, per_client: int, sent: int = 0) -> float:
        """Seconds from the common start until the last client's last command returned."""
        for pipe in self.pipes:
            pipe.send((job, per_client, sent))
        self.barrier.wait(BARRIER_SECONDS)
        started = time.perf_counter()
        ended = [self._answer(pipe) for pipe in self.pipes]
        return float(max(ended) - started)

    def _answer(self, pipe: Connection) -> Any:
        if not pipe.poll(BARRIER_SECONDS * 2):
            raise RuntimeError("a client process did not answer")
        kind, value = pipe.recv()
        if kind == "failed":
            raise RuntimeError(f"a client process failed: {value}")
        return value

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):  # a process that already ended
                pipe.send(("stop", 0, 0))
        for worker in self.workers:
            worker.join(30)
            if worker.is_alive():
                worker.terminate()
