"""The read side catching up on N events from position 0 (all read models), against COPY
of the same rows into a table of the log's shape. The log is built by ledger imports;
the first round is the runner's catch-up onto empty read tables, later rounds rebuild
(`rectify rebuild-projections`: empty the tables, replay the log through the same batches).
N is BENCH_EVENTS (default 200,000; bench-quick sets a size that fits its 3 minutes)."""

from __future__ import annotations

import time

from bench import raw
from bench.runner import Result, Sample, Target, interleave
from bench.setup import event_count, fresh_schema, import_issues
from domain.application import RectifyApp
from projections import catch_up, rebuild_projections

TARGET = Target("ours", ">=", 25_000)
CHUNK = 5_000  # issues per imported ledger (one campaign each)


def measure(url: str, rounds: int, events: int) -> list[Result]:
    with fresh_schema(url, "catch_up") as schema:
        app = RectifyApp(env=schema.env)
        try:
            n = 0
            while event_count(schema) < events:
                n += 1
                left = events - event_count(schema)
                import_issues(app, f"基准追赶{n}", max(1, min(CHUNK, left)))
        finally:
            app.close()
        total = event_count(schema)
        rows = raw.log_rows(schema)
        done_once = [False]

        def ours() -> Sample:
            started = time.perf_counter()
            if not done_once[0]:
                applied = catch_up(schema.env, schema.url, schema.name)
                done_once[0] = True
            else:
                applied = rebuild_projections(schema.env, schema.url, schema.name)
            seconds = time.perf_counter() - started
            return Sample(applied / seconds, {"seconds": seconds, "events": applied})

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
            note="round 1 catch_up onto empty tables, later rounds rebuild_projections; "
            "baseline COPY of the same rows (rows/s)",
        )
    ]
