"""Bulk writes refresh the planner's statistics at once (ADR 0053): a ledger import the
event tables, the projection runner's bulk catch-up and a rebuild the read tables."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from domain.application import RectifyApp
from infrastructure import ledger_import
from infrastructure.ledger_import import CheckedLedger, import_checked
from projections import projection_position, rebuild_projections, run_projections
from projections import runner as runner_module
from projections.registry import read_tables
from tests.integration.api_fixtures import CAMPAIGN, import_known_ledger, ledger_rows

BOUND = 10.0


def _analyzed(database_url: str, schema: str) -> set[str]:
    """The tables of `schema` that an explicit ANALYZE has visited."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_stat_user_tables"
            " WHERE schemaname = %s AND last_analyze IS NOT NULL",
            (schema,),
        ).fetchall()
    return {row[0] for row in rows}


def _eventually_analyzed(database_url: str, schema: str, tables: set[str]) -> None:
    deadline = time.monotonic() + BOUND
    while not tables <= (seen := _analyzed(database_url, schema)):
        assert time.monotonic() < deadline, f"not analyzed: {tables - seen}"
        time.sleep(0.05)


def test_a_bulk_ledger_import_analyzes_the_event_tables(
    app: RectifyApp, database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_import, "BULK_ISSUES", 3)  # the known ledger's five are bulk
    recorder: Any = app.recorder

    import_checked(
        app,
        CheckedLedger(ledger_rows(), []),
        CAMPAIGN,
        actor="导入",
        source="t.csv",
        create_agencies=True,
    )

    _eventually_analyzed(
        database_url, schema, {recorder.events_table_name, recorder.hashes_table_name}
    )


def test_a_small_import_leaves_the_statistics_to_autovacuum(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    import_checked(
        app,
        CheckedLedger(ledger_rows(), []),
        CAMPAIGN,
        actor="导入",
        source="t.csv",
        create_agencies=True,
    )

    assert _analyzed(database_url, schema) == set()


def test_the_runners_bulk_catch_up_analyzes_the_read_tables(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner_module, "BULK_EVENTS", 5)
    import_known_ledger(app)
    head = app.recorder.max_notification_id()
    assert head is not None
    stop = threading.Event()
    thread = threading.Thread(target=run_projections, args=(es_env, database_url, schema, stop))
    thread.start()
    try:
        deadline = time.monotonic() + BOUND
        while projection_position(database_url, schema) < head:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        _eventually_analyzed(database_url, schema, set(read_tables()))
    finally:
        stop.set()
        thread.join(timeout=BOUND)


def test_a_rebuild_analyzes_the_tables_it_rebuilt(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    import_known_ledger(app)

    rebuild_projections(es_env, database_url, schema)

    _eventually_analyzed(database_url, schema, set(read_tables()))
