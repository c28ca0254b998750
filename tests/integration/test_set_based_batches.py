"""A batch is folded per item in memory and written with a few statements per table
(ADR 0052): the rows are those of applying its events one at a time, however many events
of one item it holds, and the statements do not grow with the events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from domain.application import RectifyApp
from projections import catch_up, rebuild_projections
from projections.rowset import Appends, Table
from projections.runner import connect
from tests.integration.api_fixtures import import_known_ledger, issue
from tests.integration.test_projection import run_lifecycle
from tests.integration.test_rebuild import snapshot, write_history


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with closing(connect(database_url, schema)) as conn:
        yield conn


def _events(app: RectifyApp) -> int:
    return len(app.recorder.select_notifications(start=1, limit=100_000))


def test_one_batch_of_a_varied_history_gives_the_rows_of_one_event_at_a_time(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
) -> None:
    write_history(app)
    catch_up(es_env, database_url, schema, batch_size=1)
    one_at_a_time = snapshot(db)

    replayed = rebuild_projections(es_env, database_url, schema, batch_size=100_000)

    assert replayed == _events(app)
    assert snapshot(db) == one_at_a_time


def test_an_issue_registered_changed_closed_and_reopened_in_one_batch(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
) -> None:
    import_known_ledger(app)
    run_lifecycle(app)  # issue 1: extended, reminded, submitted, rejected, signed off, reopened

    assert catch_up(es_env, database_url, schema, batch_size=100_000) == _events(app)
    in_one_batch = snapshot(db)
    row = db.execute(
        "SELECT status, due_date, cycle, pending_extension_due, closed_at FROM issues"
        " WHERE id = %s",
        (issue("1"),),
    ).fetchone()
    assert row == ("OPEN", date(2099, 6, 30), 2, None, None)
    versions = db.execute(
        "SELECT version FROM issue_history WHERE issue_id = %s ORDER BY version", (issue("1"),)
    ).fetchall()
    assert [v for (v,) in versions] == list(range(1, len(versions) + 1))

    rebuild_projections(es_env, database_url, schema, batch_size=1)

    assert snapshot(db) == in_one_batch


class _Counting:
    """Counts (and keeps) the statements every psycopg cursor sends while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.statements: list[str] = []
        original = psycopg.Cursor.execute

        def execute(cur: psycopg.Cursor[Any], *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            query = args[0]
            text = query.as_string(cur) if isinstance(query, sql.Composable) else str(query)
            self.statements.append(text)
            return original(cur, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", execute)


def test_a_batch_sends_as_many_statements_for_many_events_as_for_few(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_known_ledger(app)
    catch_up(es_env, database_url, schema)
    items = [app.get_issue(UUID(issue(number))) for number in ("1", "2", "3", "5")]

    def statements_for(reports: int) -> int:
        for n in range(reports):
            item = items[n % len(items)]
            app.report_progress(item.id, item.lead_agency_id, f"进展{n}", [], "联络员")
        counting = _Counting(monkeypatch)
        assert catch_up(es_env, database_url, schema) == reports
        monkeypatch.undo()
        return counting.count

    few = statements_for(1)
    many = statements_for(40)  # ten for each of four issues

    assert many == few


def test_a_table_written_at_once_keeps_arrays_json_and_defaults_as_given(
    db: psycopg.Connection[Any],
) -> None:
    db.execute(
        "CREATE TABLE folded (id integer PRIMARY KEY, names text[] NOT NULL DEFAULT '{}',"
        " ids uuid[], facts jsonb NOT NULL DEFAULT '{}', note text NOT NULL DEFAULT '无')"
    )
    awkward = ["a,b", "{x}", '"q"', "NULL", "", "反斜杠\\"]
    ids = [UUID(int=2), UUID(int=1)]
    with db.transaction(), db.cursor() as cur:
        table = Table(cur, "folded", ("id",))
        table.insert({"id": 1, "names": awkward, "ids": ids, "facts": {"k": [1, "二"]}})
        table.insert({"id": 2})
        table.flush()
    with db.transaction(), db.cursor() as cur:
        table = Table(cur, "folded", ("id",))
        table.load([1, 2])
        table.update(2, names=["后来"], ids=None, note="改")
        table.flush()

    rows = db.execute("SELECT * FROM folded ORDER BY id").fetchall()

    assert rows == [
        (1, awkward, ids, {"k": [1, "二"]}, "无"),
        (2, ["后来"], None, {}, "改"),
    ]


def test_rows_whose_key_is_there_are_left_as_they_were_and_the_first_of_a_batch_wins(
    db: psycopg.Connection[Any],
) -> None:
    db.execute("CREATE TABLE pairs (item uuid, agency uuid, note text, PRIMARY KEY (item, agency))")
    item, first, second = UUID(int=1), UUID(int=2), UUID(int=3)
    with db.transaction(), db.cursor() as cur:
        pairs = Appends(cur, "pairs", ("item", "agency"), "nothing")
        pairs.add({"item": item, "agency": first, "note": "先"})
        pairs.flush()
    with db.transaction(), db.cursor() as cur:
        pairs = Appends(cur, "pairs", ("item", "agency"), "nothing")
        pairs.add({"item": str(item), "agency": str(first), "note": "又"})  # the same, as text
        pairs.add({"item": item, "agency": second, "note": "新"})
        pairs.add({"item": item, "agency": second, "note": "重"})
        pairs.flush()

    rows = db.execute("SELECT item, agency, note FROM pairs ORDER BY agency").fetchall()

    assert rows == [(item, first, "先"), (item, second, "新")]


def test_an_item_whose_stream_begins_in_the_batch_is_written_without_a_look_up(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_known_ledger(app)
    counting = _Counting(monkeypatch)
    catch_up(es_env, database_url, schema)
    monkeypatch.undo()

    # the rows of the ledger's new issues: no SELECT of theirs by key before they are written
    tables = ('"issues"', '"issue_responsibilities"', '"stat_items"', '"item_audiences"')
    lookups = [s for s in counting.statements if "= ANY(" in s and any(t in s for t in tables)]
    assert counting.count > 0
    assert lookups == []
