"""The read side catching up on N events from position 0 (all read models), against COPY
of the same rows into a table of the log's shape. The log is built once per run by ledger
imports (`RectifyApp.import_ledger`), several at once, each thread with its own app; the
first round is the runner's catch-up onto empty read tables, later rounds rebuild
(`rectify rebuild-projections`: fresh tables, the log replayed through the same batches,
swapped in). N is BENCH_EVENTS (bench/__main__.py SIZES: 200,000 quick, 1,000,000 full)."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from bench import raw
from bench.runner import Result, Sample, Target, interleave
from bench.setup import Schema, event_count, fresh_schema, import_issues
from domain.application import RectifyApp
from projections import catch_up, rebuild_projections

TARGET = Target("ours", ">=", 25_000)
CHUNK = 10_000  # issues per imported ledger (one campaign each; the import's row limit)
# Ledgers imported at once, each in a process of its own (ADR 0066): an import is mostly
# Python, so threads of one process took turns on one core while the other idled.
WRITERS = 2


def _import(schema: Schema, n: int, count: int) -> None:
    app = RectifyApp(env=schema.env)
    try:
        import_issues(app, f"基准追赶{n}", count)
    finally:
        app.close()


def build_log(schema: Schema, events: int) -> None:
    """Import ledgers until the log holds `events`: the first alone (it registers the
    agencies every later ledger names), then the rest `WRITERS` at a time."""
    _import(schema, 1, min(CHUNK, events))
    n = 1
    # spawned, not forked: this process has threads (connection pools) a fork would copy
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WRITERS, mp_context=context) as pool:
        while (left := events - event_count(schema)) > 0:
            counts: list[int] = []
            while left > 0:
                counts.append(min(CHUNK, left))
                left -= counts[-1]
            for future in [
                pool.submit(_import, schema, n + i + 1, c) for i, c in enumerate(counts)
            ]:
                future.result()  # an import that failed fails the figure
            n += len(counts)


def measure(url: str, rounds: int, events: int) -> list[Result]:
    with fresh_schema(url, "catch_up") as schema:
        started = time.perf_counter()
        build_log(schema, events)
        built = time.perf_counter() - started
        total = event_count(schema)
        rows = raw.log_rows(schema)
        done_once = [False]

        def ours() -> Sample:
            rebuilt = done_once[0]
            started = time.perf_counter()
            if not rebuilt:
                applied = catch_up(schema.env, schema.url, schema.name)
                done_once[0] = True
            else:
                applied = rebuild_projections(schema.env, schema.url, schema.name)
            seconds = time.perf_counter() - started
            details = {"seconds": seconds, "events": applied, "rebuild": float(rebuilt)}
            return Sample(applied / seconds, {**details, "log_built_seconds": built})

        def baseline() -> Sample:
            seconds = raw.copy_rows(schema, rows)
            return Sample(len(rows) / seconds, {"seconds": seconds})

        done = interleave(rounds, ours, baseline)
    return [
        Result(
            f"read-side catch-up, {total:,} events",
            "events/s",
            "higher",
            TARGET,
            done,
            note="round 1 catch_up onto empty tables, later rounds rebuild_projections "
            "(details: rebuild 0/1); baseline COPY of the same rows (rows/s)",
        )
    ]
