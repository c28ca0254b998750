"""The audit figures. An issue's state as of one of its last ten versions (990–1,000: the
most events to replay, each call another version, as an auditor steps through them), and
as of version 1,000 on a first read (no snapshot of this process yet: the whole stream
replayed, ADR 0062), against reading that stream's rows; and
`rectify audit verify` (infrastructure.verification.verify, what the command runs) over
the log, against one pass that reads every event the way verify reads its rows and hashes
it (SHA-256, the same chained encoding; docs/decisions/0069)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg

from bench.runner import Result, Sample, Target, interleave, percentile
from bench.setup import Schema, event_count, fresh_schema, import_issues
from domain.application import RectifyApp
from domain.as_of_snapshots import SNAPSHOTS
from infrastructure.audit_queries import CHUNK, CHUNKED
from infrastructure.custody import custody_of
from infrastructure.event_hashes import GENESIS, event_hash
from infrastructure.event_store import ChunkedApplicationRecorder
from infrastructure.verification import verify
from rectify.settings import DEV_AUDIT_KEY

VERSIONS = 1_000
CALLS = 10  # per round
# verify and its baseline, each the median of this many per round: one call of 15–20 ms
# alone swung the ratio from 0.4 to 1.1 on a shared machine
VERIFY_CALLS = 5


def _latencies(
    call: Callable[[int], object], before: Callable[[], object] = lambda: None
) -> Sample:
    """Median of CALLS calls, call n asking for version VERSIONS - n; `before` runs before
    each call, untimed."""
    times = []
    for n in range(CALLS):
        before()
        started = time.perf_counter()
        call(VERSIONS - n)
        times.append((time.perf_counter() - started) * 1000)
    return Sample(statistics.median(times), {"p95_ms": percentile(times, 0.95)})


def _stream_rows(schema: Schema, item: UUID) -> Callable[[int], object]:
    def read(version: int) -> object:
        with psycopg.connect(schema.url) as conn:
            return conn.execute(
                f'SELECT topic, state FROM "{schema.name}".rectify_events '
                "WHERE originator_id = %s AND originator_version <= %s "
                "ORDER BY originator_version",
                (item, version),
            ).fetchall()

    return read


def _read_and_hash(conn: psycopg.Connection[tuple[Any, ...]], schema: Schema) -> int:
    """Every event in log order, its hash chained onto its stream's previous one: read as
    verify reads (binary, the id as text, in chunks of CHUNK rows; 0069), so that the ratio
    is what verify's checks cost, not a difference in how the rows travel."""
    heads: dict[str, bytes] = {}
    count = 0
    query = (
        "SELECT originator_id::text, originator_version, topic, state "
        f'FROM "{schema.name}".rectify_events ORDER BY notification_id'
    )
    with conn.transaction(), conn.cursor(binary=True) as cur:
        rows = cur.stream(query, size=CHUNK) if CHUNKED else cur.execute(query)
        for originator, version, topic, state in rows:
            heads[originator] = event_hash(
                heads.get(originator, GENESIS), originator, version, topic, state
            )
            count += 1
    return count


def _read_and_hash_as_before(schema: Schema) -> int:
    """The baseline before 0069, kept in the figure's details for comparison: its own
    connection, text rows through a server-side cursor, the id as a UUID."""
    heads: dict[UUID, bytes] = {}
    count = 0
    with psycopg.connect(schema.url) as conn, conn.cursor(name="bench_hash") as cur:
        cur.itersize = 5_000
        cur.execute(
            "SELECT originator_id, originator_version, topic, state "
            f'FROM "{schema.name}".rectify_events ORDER BY notification_id'
        )
        for originator, version, topic, state in cur:
            heads[originator] = event_hash(
                heads.get(originator, GENESIS), originator, version, topic, bytes(state)
            )
            count += 1
    return count


def measure(url: str, rounds: int, log_issues: int) -> list[Result]:
    with fresh_schema(url, "audit") as schema:
        app = RectifyApp(env=schema.env)
        try:
            ids = import_issues(app, "基准审计", log_issues)
            issue = app.get_issue(ids[0])
            # the aggregate's own command method, saved once: 999 commands in one save
            for n in range(VERSIONS - issue.version):
                issue.report_progress(issue.lead_agency_id, f"第{n}次进展", [], "bench")
            app.save(issue)
            read = _stream_rows(schema, issue.id)
            as_of = interleave(
                rounds,
                lambda: _latencies(lambda v: app.state_as_of(issue.id, version=v)),
                lambda: _latencies(read),
            )
            first = interleave(
                rounds,
                lambda: _latencies(
                    lambda _: app.state_as_of(issue.id, version=VERSIONS), SNAPSHOTS.forget
                ),
                lambda: _latencies(lambda _: read(VERSIONS)),
            )
            recorder = app.recorder
            assert isinstance(recorder, ChunkedApplicationRecorder)
            custody = custody_of(app, DEV_AUDIT_KEY, 10)
            events = event_count(schema)

            def ours() -> Sample:
                times = []
                for _ in range(VERIFY_CALLS):
                    started = time.perf_counter()
                    verify(recorder, custody)
                    times.append(time.perf_counter() - started)
                seconds = statistics.median(times)
                return Sample(events / seconds, {"seconds": seconds, "calls": len(times)})

            def baseline() -> Sample:
                times, hashed = [], 0
                for _ in range(VERIFY_CALLS):
                    # connected before the clock starts, as verify's pool connection is
                    with psycopg.connect(schema.url) as conn:
                        started = time.perf_counter()
                        hashed = _read_and_hash(conn, schema)
                        times.append(time.perf_counter() - started)
                started = time.perf_counter()
                _read_and_hash_as_before(schema)
                before = time.perf_counter() - started
                seconds = statistics.median(times)
                return Sample(hashed / seconds, {"seconds": seconds, "as_before_s": before})

            verified = interleave(rounds, ours, baseline)
        finally:
            app.close()
    return [
        Result(
            f"audit: state as of version {VERSIONS - CALLS + 1:,}–{VERSIONS:,}", "ms", "lower",
            Target("ours", "<", 20), as_of,
            note=f"median of {CALLS} calls per round, each another version; baseline: SELECT "
            "the stream's rows up to it",
        ),
        Result(
            f"audit: state as of version {VERSIONS:,}, first read", "ms", "lower",
            Target("ours", "<", 20), first,
            note=f"median of {CALLS} calls per round, the process's snapshots dropped before "
            "each (a whole replay); baseline: SELECT the stream's rows",
        ),
        Result(
            f"audit verify, {events:,} events", "events/s", "higher",
            Target("ratio", ">=", 0.8), verified,
            note=f"median of {VERIFY_CALLS} calls a side per round; baseline: one pass reading "
            "every event as verify reads (binary, in chunks, "
            "connected beforehand) and chaining SHA-256; as_before_s: the baseline before ADR "
            "0069 (text rows, server-side cursor, its own connection)",
        ),
    ]  # fmt: skip
