"""The clocks figure: `BENCH_CLOCKS` open clocks on one worker, its memory, and the delay
from a clock's due instant to its recorded milestone, on the Temporal dev server.

Everything through the public code path: case transfers reported through `RectifyApp`
(each opens its statutory clock, the head's approval due in days), `rectify dispatcher`
starting a `ClockWorkflow` for each, `rectify worker` (one process: its RSS is the memory
figure) loading each clock and sleeping until its due. Case transfers, because their
sending period is 24 plain hours from the approval instant, the one due a run can place to
the second: each round approves `BENCH_CLOCKS_DUE` of them with an approval instant 24 hours
before a due a few seconds ahead, spread over the round at `RATE` dues a second (issues
are due at the end of a day, 00:00 China time, which no run can wait for). The dispatcher
signals those clocks, they read their new due and sleep; when it passes the worker records
`StatutoryBreachRecorded`. Delay: that event's timestamp (taken in the record activity)
minus its due.

Baseline in the same run, interleaved: as many bare workflows (bench/bare_clock.py) with
the same dues, on a worker in this process with nothing else to do, each sleeping until its
due and running one activity that notes the time: the floor the dev server's timers and
task dispatch set. Ours carries the other open clocks, the dispatcher, the activities'
reads and saves in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import psutil
import psycopg
from temporalio import activity
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.bare_clock import STAMP, BareClock
from bench.runner import Result, Sample, Target, interleave, percentile
from bench.setup import Schema, fresh_schema
from domain.case_transfers import CaseTransfer
from rectify.composition import rectify_app
from rectify.embedded import find_binary

RATE = 20.0  # dues a second within a round, ours and the baseline alike
# From the round's start to its first due, plus room to open them. It covers the setup
# (0.1–0.9 s measured) and the clocks' rereads (0.2–0.5 s; `ready_s` up to 1.1 s with the
# setup) of bench-quick's 40 a round, with room to spare (ADR 0079); the server's backlog
# count, which `ready_s` reads, lags by seconds and came out -1 in half the rounds at 5 s
# as well. A clock set after its due only makes its own delay longer: it is counted, not
# dropped.
LEAD_SECONDS = 2.0
SETUP_FACTOR = 6.0  # times the measured command time: an approval, then the clock's reread
# The worker's own time for each approved clock to reread its item before its due: at
# 10,600 open clocks one due clock costs it 36–44 ms of CPU in all, for four steps (reread,
# timer, record, reread). With 2 s and no such allowance the full bench's 200 a round were
# still rereading at their dues: p95 1,723 ms, against 726 ms with 6.7 s (ADR 0079).
REREAD_SECONDS = 0.015
QUIET_PERCENT = 10.0  # of a core: the worker idle, every clock asleep
GRACE_SECONDS = 60.0  # after the last due: a clock not recorded by then counts as this late
REPORTERS = 4  # transfers reported at once while the clocks are set up (ADR 0069)
TIMED = 50  # of them, reported one by one last: a command's own time, for the lead
TASK_QUEUE = "bench-clocks"
BARE_QUEUE = "bench-bare"
BREACH = CaseTransfer.StatutoryBreachRecorded.TOPIC
T = TypeVar("T")


def dues(start: datetime, count: int, rate: float = RATE) -> list[datetime]:
    """`count` due instants from `start`, `rate` a second."""
    return [start + timedelta(seconds=n / rate) for n in range(count)]


def lead(count: int, per_command: float) -> float:
    """Seconds from a round's start to its first due: room to approve `count` transfers at
    `per_command` seconds each (as measured when reporting them; a loaded machine is
    slower), and for the dispatcher and the worker to pass each its new due."""
    return LEAD_SECONDS + (SETUP_FACTOR * per_command + REREAD_SECONDS) * count


def delays_ms(
    due: dict[Any, datetime], recorded: dict[Any, datetime], grace: float = GRACE_SECONDS
) -> list[float]:
    """Each clock's delay from due to recorded, in ms; one never recorded counts as the
    whole grace period late (it is not dropped: a lost clock must worsen the figure)."""
    return [
        (recorded[key] - at).total_seconds() * 1000 if key in recorded else grace * 1000
        for key, at in due.items()
    ]


def delay_sample(delays: list[float], missing: int) -> Sample:
    """The p95 delay, with the median, the worst and how many were never recorded."""
    return Sample(
        percentile(delays, 0.95),
        {
            "p50_ms": percentile(delays, 0.5),
            "max_ms": max(delays),
            "clocks": len(delays),
            "missing": missing,
        },
    )


class _Loop:
    """An asyncio loop on a thread of its own: the baseline's worker and the Temporal
    client live there while the figure's rounds (bench.runner.interleave) stay blocking."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class _Roles:
    """`rectify worker` and `rectify dispatcher` on the schema and the dev server, started
    one by one (the dispatcher once the idle worker's memory is read)."""

    def __init__(self, schema: Schema, address: str, home: Path) -> None:
        self.home = home
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=schema.url,
            RECTIFY_DB_SCHEMA=schema.name,
            RECTIFY_HOME=str(home),
            TEMPORAL_ADDRESS=address,
            RECTIFY_TASK_QUEUE=TASK_QUEUE,
        )
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, role: str) -> psutil.Process:
        log = (self.home / f"{role}.log").open("wb")
        self.started[role] = subprocess.Popen(
            [sys.executable, "-m", "rectify", role],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        return psutil.Process(self.started[role].pid)

    def stop(self) -> None:
        for process in self.started.values():
            process.terminate()
        for process in self.started.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def _roles(schema: Schema, address: str, home: Path) -> Iterator[_Roles]:
    roles = _Roles(schema, address, home)
    try:
        yield roles
    finally:
        roles.stop()


def _mib(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / (1024 * 1024)


def _cpu_seconds(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return float(times.user + times.system)


def _breaches(
    conn: psycopg.Connection[Any], schema: Schema, items: list[UUID]
) -> dict[UUID, datetime]:
    """When each item's statutory breach was recorded (its event's timestamp)."""
    rows = conn.execute(
        f"SELECT originator_id, convert_from(state, 'UTF8')::jsonb #>> '{{timestamp,_data_}}' "
        f'FROM "{schema.name}".rectify_events WHERE topic = %s AND originator_id = ANY(%s)',
        (BREACH, items),
    ).fetchall()
    return {row[0]: datetime.fromisoformat(row[1]) for row in rows}


def _wait_for(done: Any, until: float, every: float = 0.5) -> bool:
    """Whether `done()` came true before `until` (monotonic seconds)."""
    while not done():
        if time.monotonic() >= until:
            return False
        time.sleep(every)
    return True


class _Figure:
    def __init__(self, schema: Schema, client: Client, loop: _Loop, per_round: int) -> None:
        self.schema = schema
        self.client = client
        self.loop = loop
        self.per_round = per_round
        self.app = rectify_app(schema.env)
        # one connection for a round's polls (four a second), not one each
        self.polls = psycopg.connect(schema.url, autocommit=True)
        self.waiting: list[UUID] = []  # reported, not yet approved
        self.stamped: dict[str, datetime] = {}
        self.lead = LEAD_SECONDS
        self.ready = -1.0  # seconds into the round when nothing waited for the worker
        self.worker: psutil.Process | None = None  # `rectify worker`, once started

    def report(self, count: int) -> None:
        """`count` transfers reported two days ago: open clocks, the approval due in days.
        `REPORTERS` at a time, as the API's threads would run them, each a command of its
        own through `RectifyApp`; then `TIMED` one after another, timed: a round approves
        one after another, so its lead takes a command's time alone."""
        health = self.app.register_agency("县卫健局", actor="bench").id
        police = self.app.register_agency("县公安局", actor="bench").id
        at = datetime.now(UTC) - timedelta(days=2)

        def one(n: int) -> UUID:
            return self.app.report_case_transfer(
                health, police, f"涉嫌骗保案件{n}", actor="执法员", case_number=f"B{n}", at=at
            ).id

        timed = min(TIMED, count)
        with ThreadPoolExecutor(REPORTERS) as pool:
            self.waiting.extend(pool.map(one, range(timed, count)))
        # last, once the worker started beside them has settled; their mean, as the lead
        # took the mean of every report before (a median came out shorter than the bare
        # workflows' readiness in one round)
        took = []
        for n in range(timed):
            started = time.monotonic()
            self.waiting.append(one(n))
            took.append(time.monotonic() - started)
        self.lead = lead(self.per_round, statistics.fmean(took) if took else 0.0)

    def ours(self) -> Sample:
        items = [self.waiting.pop() for _ in range(self.per_round)]
        cpu_before = _cpu_seconds(self.worker)
        started = time.monotonic()
        first = datetime.now(UTC) + timedelta(seconds=self.lead)
        due = dict(zip(items, dues(first, len(items)), strict=True))
        for item, at in due.items():  # the sending period: 24 plain hours from approval
            self.app.approve_case_transfer(item, "同意移送", "局长", at=at - timedelta(hours=24))
        recorded: dict[UUID, datetime] = {}

        def all_in() -> bool:
            recorded.update(_breaches(self.polls, self.schema, items))
            return len(recorded) == len(items)

        setup = time.monotonic() - started
        # Nothing left waiting for the worker before the first due: every clock has read
        # its new due (else the round also measures the rereads; `ready_s` -1 says so).
        ready = _wait_for(
            lambda: self.loop.run(_backlog(self.client)) == 0,
            time.monotonic() + _until({None: first}),
            every=0.25,
        )
        self.ready = time.monotonic() - started if ready else -1.0
        _wait_for(all_in, time.monotonic() + _until(due) + GRACE_SECONDS, every=0.25)
        found = self._sample(delays_ms(due, recorded), len(items) - len(recorded), setup)
        # what one clock's round costs the worker: the reread after its approval, the
        # timer, recording the breach and the reread after it
        cpu = (_cpu_seconds(self.worker) - cpu_before) * 1000 / len(items)
        return Sample(found.value, {**found.details, "worker_cpu_ms_per_clock": cpu})

    def baseline(self) -> Sample:
        count = self.per_round
        started = time.monotonic()
        first = datetime.now(UTC) + timedelta(seconds=self.lead)
        due = {f"bare-{uuid4().hex}": at for at in dues(first, count)}

        async def start() -> None:
            for workflow_id, at in due.items():
                await self.client.start_workflow(
                    BareClock.run, at.isoformat(), id=workflow_id, task_queue=BARE_QUEUE
                )

        self.loop.run(start())
        setup = time.monotonic() - started
        ready = _wait_for(
            lambda: self.loop.run(_backlog(self.client, BARE_QUEUE)) == 0,
            time.monotonic() + _until({None: first}),
            every=0.25,
        )
        self.ready = time.monotonic() - started if ready else -1.0
        keys = {at.isoformat(): key for key, at in due.items()}
        _wait_for(lambda: all(k in self.stamped for k in keys), time.monotonic() +
                  _until(due) + GRACE_SECONDS, every=0.25)  # fmt: skip
        recorded = {keys[k]: v for k, v in self.stamped.items() if k in keys}
        return self._sample(delays_ms(due, recorded), len(due) - len(recorded), setup)

    def _sample(self, delays: list[float], missing: int, setup: float) -> Sample:
        """With the round's lead and how long approving (starting) its clocks took: a
        setup longer than the lead means the first dues passed before they were set."""
        found = delay_sample(delays, missing)
        extra = {"lead_s": self.lead, "setup_s": setup, "ready_s": self.ready}
        self.ready = -1.0
        return Sample(found.value, {**found.details, **extra})

    async def bare_worker(self) -> Worker:
        stamped = self.stamped

        @activity.defn(name=STAMP)
        async def stamp(due: str) -> None:
            stamped[due] = datetime.now(UTC)

        return Worker(self.client, task_queue=BARE_QUEUE, workflows=[BareClock], activities=[stamp])


def _until(due: dict[Any, datetime]) -> float:
    """Seconds from now to the last due."""
    return max(0.0, (max(due.values()) - datetime.now(UTC)).total_seconds())


async def _backlog(client: Client, queue: str = TASK_QUEUE) -> int:
    """Tasks waiting on the clocks' task queue (workflow and activity): none once every
    clock has been started, has read its item and sleeps."""
    waiting = 0
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        found = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=kind,
                report_stats=True,
            )
        )
        waiting += found.stats.approximate_backlog_count
    return waiting


async def _polling(client: Client) -> bool:
    """Whether a worker polls the clocks' task queue: connected, waiting for work."""
    found = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(found.pollers) > 0


class _Settling:
    """Whether every clock has been started, has read its item and sleeps: all running and
    the worker idle, with nothing waiting for it — or idle at two readings in a row. The
    server's backlog count lags by seconds (it read 114 for four readings, about 6 s,
    while the worker sat at 0% CPU), and a worker with tasks waiting is not idle: it polls
    them at once. What each reading saw is printed, so a run that never settles says why."""

    def __init__(self, loop: _Loop, client: Client, total: int, worker: psutil.Process) -> None:
        self.loop, self.client, self.total, self.worker = loop, client, total, worker
        self.quiet_before = False

    def __call__(self) -> bool:
        running = self.loop.run(_running_clocks(self.client))
        waiting = self.loop.run(_backlog(self.client))
        busy = float(self.worker.cpu_percent(interval=1.0))
        print(
            f"  clocks: {running}/{self.total} running, {waiting} tasks waiting, worker "
            f"{busy:.0f}% CPU",
            file=sys.stderr,
            flush=True,
        )
        quiet = running >= self.total and busy < QUIET_PERCENT
        settled = quiet and (waiting == 0 or self.quiet_before)
        self.quiet_before = quiet
        return settled


async def _running_clocks(client: Client) -> int:
    found = await client.count_workflows(
        "WorkflowType = 'ClockWorkflow' AND ExecutionStatus = 'Running'"
    )
    return found.count


def measure(url: str, rounds: int, count: int, per_round: int) -> list[Result]:
    loop = _Loop()
    home = Path(tempfile.mkdtemp(prefix="bench-clocks-"))
    try:
        with fresh_schema(url, "clocks") as schema:
            server = loop.run(
                WorkflowEnvironment.start_local(
                    dev_server_existing_path=find_binary("temporal"),
                    ui=False,
                    dev_server_log_level="error",  # its warnings under load flood the table
                ),
                timeout=120,
            )
            try:
                return _measure(schema, server, loop, home, rounds, count, per_round)
            finally:
                loop.run(server.shutdown(), timeout=60)
    finally:
        loop.close()
        shutil.rmtree(home, ignore_errors=True)


def _measure(
    schema: Schema,
    server: WorkflowEnvironment,
    loop: _Loop,
    home: Path,
    rounds: int,
    count: int,
    per_round: int,
) -> list[Result]:
    client = server.client
    address = client.service_client.config.target_host
    figure = _Figure(schema, client, loop, per_round)
    total = count + rounds * per_round  # the rounds' clocks open beside the others
    bare = loop.run(figure.bare_worker())  # a worker is built on its loop
    bare_run = asyncio.run_coroutine_threadsafe(bare.run(), loop.loop)
    try:
        with _roles(schema, address, home) as roles:
            # the worker starts while the transfers are reported: nothing reaches it before
            # the dispatcher starts, so its idle memory is read as before, once it polls
            worker = figure.worker = roles.start("worker")
            started = time.perf_counter()
            figure.report(total)
            reported = time.perf_counter() - started
            polling = _wait_for(
                lambda: loop.run(_polling(client)), time.monotonic() + 60, every=0.25
            )
            idle = _mib(worker)
            started = time.perf_counter()
            roles.start("dispatcher")
            settled = _wait_for(
                _Settling(loop, client, total, worker),
                time.monotonic() + 120 + total / 10,
                every=0.5,
            )
            opened = time.perf_counter() - started
            running = loop.run(_running_clocks(client))
            loaded = _mib(worker)
            done = interleave(rounds, figure.ours, figure.baseline)
            after = _mib(worker)
    finally:
        loop.run(bare.shutdown(), timeout=60)
        bare_run.result(60)
        figure.app.close()
        figure.polls.close()
    rate = f"{per_round} clocks due per round, {RATE:g} a second"
    return [
        Result(
            f"clocks: due → recorded delay p95, {total:,} open clocks", "ms", "lower",
            Target("ours", "<", 2000), done,
            note=f"{rate}; ours: case transfers' statutory breach through dispatcher and "
            "worker; baseline: bare workflows sleeping to the same dues, their own worker",
        ),
        Result(
            f"clocks: worker memory (RSS), {total:,} open clocks", "MiB", "lower", None,
            [{
                "ours": loaded, "baseline": None, "idle_mib": idle, "after_rounds_mib": after,
                "running_workflows": running, "open_seconds": opened, "settled": settled,
                "report_seconds": reported, "polling": polling,
            }],
            note="`rectify worker` once every clock is open and loaded; idle_mib: the same "
            "worker before any clock was started",
        ),
    ]  # fmt: skip
