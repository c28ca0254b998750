"""Importing a ledger (RectifyApp.import_ledger: every agency, the campaign and every issue
in one save), each round a new campaign of BENCH_IMPORT_ROWS rows, against inserting as
many event-shaped rows (the stored Registered event's size) in one transaction. The
target, 10,000 rows in under 15 s, is a rate: at least 667 rows/s."""

from __future__ import annotations

import time

from bench import raw
from bench.runner import Result, Sample, Target, interleave
from bench.setup import fresh_schema, ledger_rows
from domain.application import RectifyApp

TARGET = Target("ours", ">=", round(10_000 / 15, 1))


def measure(url: str, rounds: int, count: int) -> list[Result]:
    with fresh_schema(url, "import") as schema:
        app = RectifyApp(env=schema.env)
        table = raw.create_table(schema)
        rows = ledger_rows(count)
        made = [0]
        try:

            def ours() -> Sample:
                made[0] += 1
                started = time.perf_counter()
                app.import_ledger(
                    f"基准导入{made[0]}",
                    rows,
                    actor="bench",
                    source="bench",
                    create_agencies=True,
                )
                seconds = time.perf_counter() - started
                return Sample(count / seconds, {"seconds": seconds})

            def baseline() -> Sample:
                size = raw.state_size(schema, "RectificationIssue.Registered")
                seconds = raw.insert_many(schema, table, count, size)
                return Sample(count / seconds, {"seconds": seconds})

            done = interleave(rounds, ours, baseline)
        finally:
            app.close()
    return [
        Result(
            f"ledger import, {count:,} rows",
            "rows/s",
            "higher",
            TARGET,
            done,
            note="one transaction; baseline: the same number of event-shaped rows, "
            "pipelined INSERT, one transaction",
        )
    ]
