"""The dashboard's counters (ADR 0060) give the figures the aggregate over every issue
gave, on any day, however the history was batched; and an existing read side gets them
filled on its first start after the upgrade."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest

from api.auth import Role, User
from api.authz.work_queue import work_scope
from domain.application import RectifyApp
from domain.deadlines import Deadline, parse_deadline
from domain.ledger_rows import LedgerRow
from domain.names import agency_id, campaign_id, issue_id
from projections import catch_up, queries, rebuild_projections
from projections import work_queue_queries as q
from projections.queries import create_pool
from projections.rows import Pool
from projections.runner import connect, ensure_schema
from tests.integration import test_rebuild
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    TOWNS,
    import_known_ledger,
)
from tests.integration.test_projection import run_lifecycle

OTHER = "第二个专项"
WHO = "计数测试"
COUNTERS = ("dashboard_issues", "dashboard_counts", "dashboard_agency_counts")
# before every due day, between them, after them all
DAYS = [date(2019, 1, 1), date(2020, 4, 15), date(2026, 7, 1), date(2027, 1, 1), date(2100, 1, 1)]

# What `queries.dashboard` ran before the counters: aggregates over every issue.
OLD_TOTALS = (
    "SELECT count(*) AS total,"
    " count(*) FILTER (WHERE status <> 'CLOSED') AS open,"
    " count(*) FILTER (WHERE status = 'CLOSED') AS closed,"
    " count(*) FILTER (WHERE status <> 'CLOSED' AND due_date < %(today)s) AS overdue"
    " FROM issues WHERE campaign_id = %(campaign)s"
)
OLD_BY_AGENCY = (
    "SELECT a.id, a.name, a.kind,"
    " count(*) FILTER (WHERE r.role = 'LEAD') AS lead,"
    " count(*) FILTER (WHERE r.role = 'CO') AS co,"
    " count(*) FILTER (WHERE i.status <> 'CLOSED') AS open,"
    " count(*) FILTER (WHERE i.status = 'CLOSED') AS closed,"
    " count(*) FILTER (WHERE i.status <> 'CLOSED' AND i.due_date < %(today)s) AS overdue"
    " FROM issue_responsibilities r"
    " JOIN issues i ON i.id = r.issue_id"
    " JOIN agencies a ON a.id = r.agency_id"
    " WHERE i.campaign_id = %(campaign)s"
    " GROUP BY a.id, a.name, a.kind ORDER BY lead DESC, co DESC, a.name"
)

# number, lead, co, deadline: shared due days, undated ones, an agency only co-responsible
OTHER_LEDGER = [
    ("A1", MARKET, [HEALTH], "2026年6月底"),
    ("A2", MARKET, [], "2026年6月底"),
    ("A3", TOWNS, [MARKET, INSURANCE], "2026年12月31日"),
    ("A4", HEALTH, [TOWNS], "立行立改"),
    ("A5", INSURANCE, [HEALTH], "2020年1月底"),
    ("A6", TOWNS, [], "2026年12月31日"),
    ("A7", HEALTH, [], "立行立改，长期坚持"),
]


def _other(number: str) -> UUID:
    return issue_id(campaign_id(OTHER), number)


def write_varied_history(app: RectifyApp) -> None:
    """Two campaigns; issues closed, reopened with a new due day, extended, submitted and
    rejected (still open), one closed and reopened twice, one awaiting verification."""
    import_known_ledger(app)
    run_lifecycle(app)  # issue 1: extended, closed, reopened with a 2099 due day
    rows = [
        LedgerRow(n + 2, number, f"问题{number}", ["措施"], lead, co, parse_deadline(deadline))
        for n, (number, lead, co, deadline) in enumerate(OTHER_LEDGER)
    ]
    app.import_ledger(OTHER, rows, actor=WHO, source="b.csv", create_agencies=True)
    app.request_extension(_other("A1"), Deadline.on(date(2027, 3, 31)), "需要时间", WHO)
    app.approve_extension(_other("A1"), "同意", WHO)
    for number in ("A2", "A4"):
        app.submit_for_verification(_other(number), "已完成", WHO)
        app.sign_off(_other(number), "", WHO)
    app.submit_for_verification(_other("A3"), "已完成", WHO)
    app.reject(_other("A3"), "材料不全", WHO)
    for due in (date(2027, 2, 26), date(2026, 12, 31)):  # not before today
        app.submit_for_verification(_other("A5"), "已完成", WHO)
        app.sign_off(_other("A5"), "", WHO)
        app.reopen(_other("A5"), "反弹", Deadline.on(due), WHO)
    app.submit_for_verification(_other("A6"), "已完成", WHO)  # left awaiting verification


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with closing(connect(database_url, schema)) as conn:
        yield conn


@pytest.fixture
async def pool(database_url: str, schema: str) -> AsyncIterator[Pool]:
    found = await create_pool(database_url, schema, max_size=2)
    yield found
    await found.close()


def _old(db: psycopg.Connection[Any], campaign: UUID, today: date) -> tuple[Any, ...]:
    given = {"campaign": campaign, "today": today}
    totals = db.execute(OLD_TOTALS, given).fetchone()
    return (totals, db.execute(OLD_BY_AGENCY, given).fetchall())


async def _new(pool: Pool, campaign: UUID, today: date) -> tuple[Any, ...]:
    found = await queries.dashboard(pool, campaign, today)
    totals = (found.total, found.open, found.closed, found.overdue)
    return (totals, [tuple(r.values()) for r in found.by_agency])


def _counters(db: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {t: test_rebuild.snapshot(db)[t] for t in COUNTERS}


@pytest.mark.parametrize("batch_size", [1, 3, 500])
async def test_the_counters_give_the_figures_of_the_aggregate_on_any_day(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
    pool: Pool,
    batch_size: int,
) -> None:
    write_varied_history(app)
    catch_up(es_env, database_url, schema, batch_size=batch_size)

    for campaign in (campaign_id(CAMPAIGN), campaign_id(OTHER)):
        for today in DAYS:
            assert await _new(pool, campaign, today) == _old(db, campaign, today)
    # the data set is varied: every figure is non-zero on some day
    figures = [await _new(pool, campaign_id(OTHER), today) for today in DAYS]
    assert all(any(f[0][k] for f in figures) for k in range(4))
    # A5 was due 2020-01-31, then reopened due 2027-02-26, then due 2026-12-31
    assert figures[1][0] == (7, 5, 2, 0)
    assert figures[3][0] == (7, 5, 2, 3)


async def test_a_counter_that_falls_to_zero_is_gone_and_an_unknown_campaign_counts_nothing(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
    pool: Pool,
) -> None:
    write_varied_history(app)
    catch_up(es_env, database_url, schema, batch_size=1)

    assert db.execute("SELECT count(*) FROM dashboard_counts WHERE n = 0").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM dashboard_agency_counts WHERE n = 0").fetchone() == (0,)
    # A5's earlier due days (2020-01-31, 2027-02-26) no longer count; A7 is undated
    dues = db.execute(
        "SELECT DISTINCT due FROM dashboard_counts WHERE campaign_id = %s AND status <> 'CLOSED'"
        " ORDER BY due",
        (campaign_id(OTHER),),
    ).fetchall()
    assert [d for (d,) in dues] == [date(2026, 12, 31), date(2027, 3, 31), date(9999, 12, 31)]
    nothing = await queries.dashboard(pool, campaign_id("没有的专项"), date(2026, 7, 1))
    assert (nothing.total, nothing.open, nothing.closed, nothing.overdue) == (0, 0, 0, 0)
    assert nothing.by_agency == []


def test_a_rebuild_of_the_counters_alone_gives_the_incremental_rows(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
) -> None:
    write_varied_history(app)
    catch_up(es_env, database_url, schema, batch_size=2)
    incremental = _counters(db)

    rebuild_projections(es_env, database_url, schema, model="dashboard_counts")

    assert _counters(db) == incremental


def test_a_read_side_from_before_the_counters_gets_them_filled_on_its_next_start(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
) -> None:
    write_varied_history(app)
    catch_up(es_env, database_url, schema)
    incremental = _counters(db)
    db.execute("DROP TABLE " + ", ".join(COUNTERS))  # as before the upgrade

    ensure_schema(db, schema)

    assert _counters(db) == incremental


@pytest.mark.parametrize("role", [Role.LIAISON, Role.COORDINATOR])
async def test_the_work_queue_counts_from_the_counters_what_its_rows_count(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    pool: Pool,
    role: Role,
) -> None:
    write_varied_history(app)
    catch_up(es_env, database_url, schema, batch_size=3)
    agencies = [HEALTH, INSURANCE, MARKET, TOWNS] if role is Role.LIAISON else [None]
    kinds: set[str] = set()
    for agency in agencies:
        scope = work_scope(User("t", role, str(agency_id(agency)) if agency else None))
        for campaign in (None, campaign_id(OTHER)):
            for overdue in (None, True, False):
                for today in DAYS[1:4]:
                    given = q.WorkFilter(None, campaign, overdue, None, today)
                    page = await q.work_page(pool, scope, given, "Asia/Shanghai", 100, None)
                    # every title here is an issue's "问题…": the text search counts rows
                    by_rows = q.WorkFilter(None, campaign, overdue, "问题", today)
                    rows = await q.work_page(pool, scope, by_rows, "Asia/Shanghai", 100, None)
                    assert await page.total() == await rows.total() == len(page.rows), (
                        agency, campaign, overdue, today,
                    )  # fmt: skip
                    kinds |= {r["kind"] for r in page.rows}
    # both counted kinds were met (a coordinator verifies, a liaison reports)
    assert kinds == ({q.ISSUE_TO_REPORT} if role is Role.LIAISON else {q.ISSUE_TO_VERIFY})
