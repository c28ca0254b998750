"""The ledger projection: rows after an import, exactly-once batches, rebuild."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.names import agency_id, campaign_id
from projections import catch_up, projection_position, rebuild_projections, run_projections
from projections.ledger import LedgerProjection
from projections.runner import connect
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    import_known_ledger,
    issue,
)

TABLES = {
    "agencies": "id",
    "campaigns": "id",
    "issues": "id",
    "issue_responsibilities": "issue_id, agency_id",
    "issue_history": "issue_id, version",
    "projection_tracking": "name",
}


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with closing(connect(database_url, schema)) as conn:
        yield conn


def rows(db: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    return db.execute(f"SELECT * FROM {table} ORDER BY {TABLES[table]}").fetchall()


def snapshot(db: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {table: rows(db, table) for table in TABLES}


def run_lifecycle(app: RectifyApp) -> None:
    """Every kind of issue event, on issue 1 (due 2020-03-31) of the known ledger."""
    item = UUID(issue("1"))
    app.report_progress(item, agency_id(INSURANCE), "已完成自查", ["a.pdf"], "联络员")
    app.request_extension(item, Deadline.on(date(2026, 7, 31)), "需要招标", "联络员")
    app.approve_extension(item, "同意", "领导")
    app.request_extension(item, Deadline.on(date(2026, 9, 30)), "仍需时间", "联络员")
    app.deny_extension(item, "不予延期", "领导")
    app.record_reminder(item, app.get_issue(item).clock_key("remind"), "clock")
    app.record_overdue(item, app.get_issue(item).clock_key("overdue"), "clock")
    app.submit_for_verification(item, "整改完成", "联络员")
    app.reject(item, "材料不全", "协调办")
    app.submit_for_verification(item, "", "联络员")
    app.sign_off(item, "", "协调办")
    app.reopen(item, "问题反弹", Deadline.on(date(2099, 6, 30)), "协调办")


def test_import_projects_agencies_campaign_issues_and_responsibilities(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any
) -> None:
    import_known_ledger(app)

    applied = catch_up(es_env, database_url, schema)

    assert applied == app.recorder.max_notification_id()
    assert projection_position(database_url, schema) == app.recorder.max_notification_id()
    names = {r[1]: r[2] for r in rows(db, "agencies")}
    assert names == {
        HEALTH: "AGENCY",
        INSURANCE: "AGENCY",
        MARKET: "AGENCY",
        "各乡镇人民政府": "GROUP",
    }
    assert [r[1] for r in rows(db, "campaigns")] == [CAMPAIGN]
    two = db.execute(
        "SELECT number, measures, status, lead_agency_id, deadline_kind, due_date, deadline_text,"
        " campaign_id FROM issues WHERE number = '2'"
    ).fetchone()
    assert two == (
        "2",
        ["措施2-1", "措施2-2"],
        "OPEN",
        agency_id(INSURANCE),
        "DATE",
        date(2099, 12, 31),
        "2099年12月31日",
        campaign_id(CAMPAIGN),
    )
    roles = db.execute(
        "SELECT a.name, r.role FROM issue_responsibilities r JOIN agencies a ON a.id = r.agency_id"
        " JOIN issues i ON i.id = r.issue_id WHERE i.number = '2' ORDER BY r.ordinal"
    ).fetchall()
    assert roles == [(INSURANCE, "LEAD"), (HEALTH, "CO"), (MARKET, "CO")]
    three = db.execute("SELECT deadline_kind, due_date FROM issues WHERE number = '3'").fetchone()
    assert three == ("ONGOING", None)
    four = db.execute("SELECT status, closed_at IS NOT NULL FROM issues WHERE number = '4'")
    assert four.fetchone() == ("CLOSED", True)


def test_every_issue_event_gets_a_chinese_history_line(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any
) -> None:
    import_known_ledger(app)
    run_lifecycle(app)

    catch_up(es_env, database_url, schema)

    history = db.execute(
        "SELECT type, actor, summary FROM issue_history WHERE issue_id = %s ORDER BY version",
        (issue("1"),),
    ).fetchall()
    assert [h[2] for h in history] == [
        "登记问题 1",
        "县医保局 报告进展：已完成自查",
        "申请延期至 2026-07-31：需要招标",
        "批准延期：2020-03-31 → 2026-07-31，完成时限：2020年3月底（延期至2026-07-31）：同意",
        "申请延期至 2026-09-30：仍需时间",
        "驳回延期：不予延期",
        "到期提醒（期限 2026-07-31）",
        "已逾期（期限 2026-07-31）",
        "提交核验：整改完成",
        "退回整改：材料不全",
        "提交核验",
        "核验通过，销号",
        "回头看重新打开：问题反弹",
    ]
    assert history[1][:2] == ("ProgressReported", "联络员")
    row = db.execute(
        "SELECT status, due_date, cycle, pending_extension_due, closed_at FROM issues"
        " WHERE id = %s",
        (issue("1"),),
    ).fetchone()
    assert row == ("OPEN", date(2099, 6, 30), 2, None, None)


def test_catching_up_twice_applies_nothing_the_second_time(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any
) -> None:
    import_known_ledger(app)
    catch_up(es_env, database_url, schema)
    before = snapshot(db)

    assert catch_up(es_env, database_url, schema) == 0
    assert snapshot(db) == before


def test_a_connection_failure_mid_batch_leaves_neither_rows_nor_position(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_known_ledger(app)
    original = LedgerProjection.apply
    calls = {"n": 0}

    def crash_on_the_fifth_event(self: LedgerProjection, event: Any, position: int) -> None:
        calls["n"] += 1
        if calls["n"] == 5:  # as the connection dies; other errors park one event instead
            raise psycopg.OperationalError("crash mid-batch")
        original(self, event, position)

    monkeypatch.setattr(LedgerProjection, "apply", crash_on_the_fifth_event)
    with pytest.raises(psycopg.OperationalError, match="crash mid-batch"):
        catch_up(es_env, database_url, schema)

    assert projection_position(database_url, schema) == 0
    assert all(not rows(db, t) for t in TABLES if t != "projection_tracking")

    monkeypatch.setattr(LedgerProjection, "apply", original)
    assert catch_up(es_env, database_url, schema) == app.recorder.max_notification_id()
    assert len(rows(db, "issues")) == 5


def test_rebuild_gives_the_same_rows_as_incremental_batches(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str, db: Any
) -> None:
    import_known_ledger(app)
    catch_up(es_env, database_url, schema, batch_size=3)
    run_lifecycle(app)
    catch_up(es_env, database_url, schema, batch_size=2)
    incremental = snapshot(db)
    progress: list[tuple[int, int]] = []

    replayed = rebuild_projections(
        es_env, database_url, schema, lambda done, total: progress.append((done, total))
    )

    head = app.recorder.max_notification_id()
    assert replayed == head
    assert progress[-1] == (head, head)
    assert snapshot(db) == incremental


def test_the_runner_follows_new_events_until_stopped(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    stop = threading.Event()
    runner = threading.Thread(
        target=run_projections, args=(es_env, database_url, schema, stop, 0.02)
    )
    runner.start()
    try:
        import_known_ledger(app)
        head = app.recorder.max_notification_id()
        assert head is not None
        deadline = time.monotonic() + 5
        while projection_position(database_url, schema) < head:
            assert time.monotonic() < deadline, "the runner did not catch up"
            time.sleep(0.02)
    finally:
        stop.set()
        runner.join(timeout=5)
    assert not runner.is_alive()


def test_an_agency_region_is_projected(
    app: RectifyApp,
    db: psycopg.Connection[Any],
    es_env: dict[str, str],
    database_url: str,
    schema: str,
) -> None:
    import_known_ledger(app)
    app.register_agency(HEALTH, actor="管理员", region="某某县")
    catch_up(es_env, database_url, schema)

    assert db.execute(
        "SELECT region FROM agencies WHERE id = %s", (agency_id(HEALTH),)
    ).fetchall() == [("某某县",)]


def test_a_read_table_from_before_a_new_column_gets_it_on_the_next_start(
    db: psycopg.Connection[Any], schema: str
) -> None:
    from projections.runner import ensure_schema

    ensure_schema(db, schema)
    db.execute("ALTER TABLE agencies DROP COLUMN region")
    db.execute("ALTER TABLE campaigns DROP COLUMN phases")

    ensure_schema(db, schema)

    columns = db.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = %s AND column_name IN ('region', 'phases')"
        " AND table_name IN ('agencies', 'campaigns')",
        (schema,),
    ).fetchall()
    assert sorted(columns) == [("agencies", "region"), ("campaigns", "phases")]


def test_an_extension_pending_before_its_wording_was_kept_stays_pending_on_upgrade(
    db: psycopg.Connection[Any], app: RectifyApp, es_env: dict[str, str], database_url: str,
    schema: str,
) -> None:  # fmt: skip
    from projections.runner import ensure_schema

    import_known_ledger(app)
    app.request_extension(UUID(issue("5")), Deadline.on(date(2099, 6, 30)), "工期", "卫健")
    catch_up(es_env, database_url, schema)
    db.execute("ALTER TABLE issues DROP COLUMN pending_extension_text")

    ensure_schema(db, schema)

    pending = db.execute(
        "SELECT number, pending_extension_text FROM issues WHERE pending_extension_text IS NOT NULL"
    ).fetchall()
    assert pending == [("5", "2099-06-30")]
    assert (
        pending
        == db.execute(
            "SELECT number, pending_extension_due::text FROM issues"
            " WHERE pending_extension_due IS NOT NULL"
        ).fetchall()
    )  # as a rebuild writes a request made by date
