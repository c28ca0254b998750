"""`make bench`: how fast the ledger imports, commands save and the read side catches up,
and how long the work queue's page takes at 20,000 items (bench/work_queue.py).

Runs against DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder,
in a fresh schema that is dropped afterwards. Prints one line per figure.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from bench import work_queue
from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.ledger_rows import LedgerRow
from rectify.embedded import start_embedded_postgres
from rectify.settings import eventsourcing_env

ISSUES = int(os.environ.get("BENCH_ISSUES", "2000"))
COMMANDS = int(os.environ.get("BENCH_COMMANDS", "1000"))


def _rows(count: int) -> list[LedgerRow]:
    agencies = [f"县第{i}局" for i in range(20)]
    return [
        LedgerRow(
            i + 2, str(i + 1), f"问题{i + 1}：检查发现的情况", ["措施一", "措施二"],
            agencies[i % 20], [agencies[(i + 1) % 20]], parse_deadline("2026年12月底"),
        )
        for i in range(count)
    ]  # fmt: skip


def _timed(label: str, count: int, unit: str, work: Callable[[], object]) -> None:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"{label:<48} {count:>7} {unit:<8} {seconds:8.3f} s  {count / seconds:10.0f} {unit}/s")


def run(url: str) -> None:
    schema = "bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    env = eventsourcing_env(url, schema)
    app = RectifyApp(env=env)
    try:
        rows = _rows(ISSUES)
        report = {}

        def import_all() -> None:
            report["r"] = app.import_ledger(
                "基准", rows, actor="bench", source="bench", create_agencies=True
            )

        _timed("import ledger (one transaction)", ISSUES, "issues", import_all)
        ids = report["r"].created
        agency = app.get_issue(ids[0]).lead_agency_id

        def commands() -> None:
            for i in range(COMMANDS):
                issue = app.get_issue(ids[i % len(ids)])
                app.report_progress(issue.id, issue.lead_agency_id, f"进展{i}", [], "bench")

        del agency
        _timed("report progress (load + decide + save)", COMMANDS, "commands", commands)
        try:
            from projections import catch_up
        except ImportError:
            return
        events = app.recorder.max_notification_id() or 0
        _timed(
            "projection catch-up (batched)", events, "events", lambda: catch_up(env, url, schema)
        )
    finally:
        app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    if os.environ.get("DATABASE_URL"):
        print(f"database: {os.environ['DATABASE_URL']}")
        run(os.environ["DATABASE_URL"])
        work_queue.run(os.environ["DATABASE_URL"])
        return
    with tempfile.TemporaryDirectory() as folder:
        url, server = start_embedded_postgres(Path(folder) / "pg")
        print("database: embedded PostgreSQL (Unix socket)")
        try:
            run(url)
            work_queue.run(url)
        finally:
            server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
