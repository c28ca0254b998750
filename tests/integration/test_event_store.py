import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.issues import RectificationIssue
from domain.ledger_rows import LedgerRow
from domain.names import campaign_id, issue_id


def _row(number: str, deadline: str = "2026年3月底") -> LedgerRow:
    return LedgerRow(
        2, number, "问题", ["措施"], "县卫健局", ["县医保局"], parse_deadline(deadline)
    )


def test_imported_ledger_is_read_back_from_postgres(
    app: RectifyApp, es_env: dict[str, str]
) -> None:
    report = app.import_ledger("测试行动", [_row("1")], actor="t", source="f", create_agencies=True)

    other = RectifyApp(env=es_env)
    issue = other.get_issue(report.created[0])
    assert issue.deadline.due_date is not None
    assert issue.deadline.due_date.isoformat() == "2026-03-31"
    assert other.find_agency("县医保局") == issue.co_agency_ids[0]
    other.close()


def _event_count(app: RectifyApp) -> int:
    return len(app.recorder.select_notifications(start=1, limit=1_000_000))


def test_a_ledger_of_thousands_of_rows_is_saved_in_one_go(app: RectifyApp) -> None:
    rows = [_row(str(n)) for n in range(1, 2501)]

    report = app.import_ledger("大台账", rows, actor="t", source="f", create_agencies=True)

    assert len(report.created) == 2500
    ids = [n.id for n in app.recorder.select_notifications(start=1, limit=1_000_000)]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # no gaps, in commit order
    assert report.position == ids[-1]


def test_a_large_save_that_collides_at_its_end_writes_nothing(app: RectifyApp) -> None:
    app.import_ledger("大台账", [_row("1")], actor="t", source="f", create_agencies=True)
    health = app.find_agency("县卫健局")
    assert health is not None
    stale = app.get_agency(health)
    stale.add_alias("另一个别名", "t")
    fresh = app.get_agency(health)
    fresh.add_alias("卫健局别名", "t")
    app.save(fresh)
    before = _event_count(app)

    # thousands of new issues, then one stale aggregate whose version is taken: the
    # unique key fails on the last chunk, after earlier chunks were already inserted
    issues = [
        RectificationIssue(campaign_id("大台账"), r.number, r.problem, r.measures,
                           health, [], r.deadline, "f", "t")
        for r in (_row(str(n)) for n in range(2, 2002))
    ]  # fmt: skip
    with pytest.raises(IntegrityError):
        app.save(*issues, stale)

    assert _event_count(app) == before
    assert issue_id(campaign_id("大台账"), "2") not in app.repository


def test_many_processes_starting_at_once_create_the_tables_without_failing(
    es_env: dict[str, str],
) -> None:
    import threading

    rounds, starters = 4, 8
    errors: list[BaseException] = []
    for _ in range(rounds):
        barrier = threading.Barrier(starters)

        def start(barrier: threading.Barrier) -> None:
            barrier.wait()
            try:
                RectifyApp(env=es_env).close()
            except BaseException as error:  # collected: a thread's exception is lost
                errors.append(error)

        threads = [threading.Thread(target=start, args=(barrier,)) for _ in range(starters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


def test_a_second_start_runs_no_statement_the_server_refuses(
    app: RectifyApp, database_url: str
) -> None:
    # The library swallows the error of its unguarded CREATE TYPE, but the server logs
    # `type … already exists` at every process start: run each start-up statement again
    # on a plain connection, which swallows nothing.
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in app.recorder.sql_create_statements:  # type: ignore[attr-defined]
            conn.execute(statement)
