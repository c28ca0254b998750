"""The data and processes figures build for themselves, through the public code paths:
a fresh schema per figure, ledgers imported through RectifyApp, the read side caught up by
the projection runner, and `rectify serve` / `rectify projections` started as an operator
starts them (their own processes, so the load generator does not share their GIL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx
import psycopg

from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.ledger_rows import LedgerRow
from rectify.settings import eventsourcing_env

SECRET = "rectify-bench-secret-0123456789abcdef"
AGENCIES = 20


@dataclass
class Schema:
    url: str
    name: str
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.env = eventsourcing_env(self.url, self.name)

    def execute(self, statement: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statement)


@contextmanager
def fresh_schema(url: str, purpose: str) -> Iterator[Schema]:
    schema = Schema(url, f"bench_{purpose}_{uuid.uuid4().hex[:6]}")
    schema.execute(f'CREATE SCHEMA "{schema.name}"')
    try:
        yield schema
    finally:
        schema.execute(f'DROP SCHEMA "{schema.name}" CASCADE')


def agency_name(n: int) -> str:
    return f"县第{n % AGENCIES}局"


def ledger_rows(count: int, start: int = 0) -> list[LedgerRow]:
    """Rows shaped like a county's ledger: two measures, a lead and one co-responsible
    agency of twenty, a written deadline."""
    deadline = parse_deadline("2026年12月底")
    return [
        LedgerRow(
            i + 2, str(start + i + 1), f"问题{start + i + 1}：检查发现的情况，需整改落实",
            ["措施一：建立台账", "措施二：限期整改"], agency_name(i), [agency_name(i + 1)],
            deadline,
        )
        for i in range(count)
    ]  # fmt: skip


def import_issues(app: RectifyApp, campaign: str, count: int) -> list[UUID]:
    report = app.import_ledger(
        campaign, ledger_rows(count), actor="bench", source="bench", create_agencies=True
    )
    return list(report.created)


def event_count(schema: Schema) -> int:
    with psycopg.connect(schema.url) as conn:
        table = f'"{schema.name}".rectify_events'
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Started:
    base_url: str
    processes: list[subprocess.Popen[bytes]]


def _wait_up(process: subprocess.Popen[bytes], base: str, path: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{base}: the process exited ({process.returncode})")
        try:
            if httpx.get(base + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base}: did not come up in {seconds:.0f} s")
        time.sleep(0.2)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def rectify_serving(schema: Schema) -> Iterator[Started]:
    """`rectify projections` and `rectify serve` on `schema` (no mutation rate limit: the
    load is the point), until the block ends."""
    port = free_port()
    home = tempfile.mkdtemp(prefix="bench-home-")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=schema.url,
        RECTIFY_DB_SCHEMA=schema.name,
        RECTIFY_HOME=home,
        RECTIFY_HTTP_PORT=str(port),
        RECTIFY_JWT_SECRET=SECRET,
        RECTIFY_MUTATIONS_PER_MINUTE="0",
        RECTIFY_SIGN_INS_PER_MINUTE="0",
    )
    logs = Path(home)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in ("projections", "serve"):
            log = (logs / f"{command}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "rectify", command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        base = f"http://127.0.0.1:{port}"
        _wait_up(processes[-1], base, "/healthz", 120)
        yield Started(base, processes)
    finally:
        _stop(processes)


@contextmanager
def plain_serving(schema: Schema) -> Iterator[Started]:
    """bench/plain_server.py: the same SQL as the GraphQL resolvers, as plain JSON."""
    port = free_port()
    env = dict(os.environ, BENCH_PLAIN_URL=schema.url, BENCH_PLAIN_SCHEMA=schema.name)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.plain_server", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_up(process, base, "/healthz", 60)
        yield Started(base, [process])
    finally:
        _stop([process])


@dataclass
class Site:
    """A ledger of `count` issues behind a running `rectify serve` and `rectify projections`,
    and the plain JSON server over the same read tables."""

    schema: Schema
    rectify: Started
    plain: Started
    campaign: str
    # (issue, its lead agency, that agency's name) for the first few issues
    issues: list[tuple[UUID, UUID, str]]


CAMPAIGN = "基准专项整治"


@contextmanager
def site(url: str, count: int) -> Iterator[Site]:
    from projections import catch_up
    from projections.analyze import analyze
    from projections.registry import read_tables

    with fresh_schema(url, "site") as schema:
        app = RectifyApp(env=schema.env)
        try:
            ids = import_issues(app, CAMPAIGN, count)
            issues = []
            for item in ids[:AGENCIES]:
                lead = app.get_issue(item).lead_agency_id
                issues.append((item, lead, app.get_agency(lead).name))
        finally:
            app.close()
        catch_up(schema.env, schema.url, schema.name)
        # as `rectify projections` does after a bulk pass (the one-pass catch_up leaves it
        # to its caller): planned on empty-table statistics, the queue's first page at
        # 100,000 issues took 950 ms instead of 4 ms, until autovacuum came round
        with psycopg.connect(schema.url, autocommit=True) as conn:
            analyze(conn, read_tables(), schema.name)
        with rectify_serving(schema) as rectify, plain_serving(schema) as plain:
            yield Site(schema, rectify, plain, CAMPAIGN, issues)
