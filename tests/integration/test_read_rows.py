"""The typed read rows name exactly the columns their queries return: a column added to a
read table or a query shows up here, not as a KeyError in a resolver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.application import RectifyApp
from domain.names import agency_id
from domain.reporter_identity import ReporterIdentity
from projections import case_transfer_queries, clue_queries, queries, referral_queries
from projections.queries import create_pool
from projections.rows import HistoryRow, Pool
from tests.integration.api_fixtures import HEALTH, INSURANCE, Api, api, projection_thread
from tests.integration.api_fixtures import wait_until_projected as projected

FIXTURES = (api, projection_thread)


@pytest.fixture
async def pool(database_url: str, schema: str) -> AsyncIterator[Pool]:
    found = await create_pool(database_url, schema, max_size=2)
    try:
        yield found
    finally:
        await found.close()


async def test_a_referral_row_has_exactly_the_columns_its_type_names(
    api: Api, app: RectifyApp, pool: Pool
) -> None:
    sent = app.send_referral(agency_id(HEALTH), agency_id(INSURANCE), "涉嫌骗保", actor="张三")
    await projected(api.client, app)
    now = datetime.now(UTC)

    row = await referral_queries.referral_by_id(pool, sent.id, now)
    history = await referral_queries.referral_history(pool, sent.id)
    page = await referral_queries.referral_page(
        pool, referral_queries.QueueFilter(), now, first=1, after=None
    )

    assert row is not None and history and page.rows
    assert set(row) == referral_queries.ReferralRow.__required_keys__
    assert set(history[0]) == HistoryRow.__required_keys__
    keyset = {key for key in page.rows[0] if key.startswith("keyset_")}
    assert set(page.rows[0]) - keyset == referral_queries.ReferralRow.__required_keys__


async def test_a_clue_row_and_a_reveal_row_have_exactly_the_columns_their_types_name(
    api: Api, app: RectifyApp, pool: Pool
) -> None:
    health = agency_id(HEALTH)
    reporter = ReporterIdentity("陈某某", "13800000000", "440301197707071234")
    clue = app.receive_clue(
        health,
        "HOTLINE_12320",
        "无证开展医疗美容",
        actor="张三",
        institution="某美容院",
        reporter=reporter,
        real_name=True,
    ).id
    app.reveal_reporter(clue, health, "核实举报内容", "李四")
    await projected(api.client, app)

    row = await clue_queries.clue_by_id(pool, clue)
    history = await clue_queries.clue_history(pool, clue)
    reveals = await clue_queries.clue_reveals(pool, clue, 1)
    page = await clue_queries.clue_page(pool, clue_queries.ClueFilter(), first=1, after=None)

    assert row is not None and history and reveals and page.rows
    assert set(row) == clue_queries.ClueRow.__required_keys__
    assert set(history[0]) == HistoryRow.__required_keys__
    assert set(reveals[0]) == clue_queries.RevealRow.__required_keys__
    keyset = {key for key in page.rows[0] if key.startswith("keyset_")}
    assert set(page.rows[0]) - keyset == clue_queries.ClueRow.__required_keys__


async def test_a_case_transfer_row_has_exactly_the_columns_its_type_names(
    api: Api, app: RectifyApp, pool: Pool
) -> None:
    police = app.register_agency("县公安局", actor="t").id
    sent = app.report_case_transfer(agency_id(HEALTH), police, "虚构病历骗保", actor="张三")
    await projected(api.client, app)
    now = datetime.now(UTC)

    row = await case_transfer_queries.transfer_by_id(pool, sent.id, now)
    history = await case_transfer_queries.transfer_history(pool, sent.id)
    page = await case_transfer_queries.transfer_page(
        pool, case_transfer_queries.TransferFilter(), now, first=1, after=None
    )

    assert row is not None and history and page.rows
    assert set(row) == case_transfer_queries.TransferRow.__required_keys__
    assert set(history[0]) == HistoryRow.__required_keys__
    keyset = {key for key in page.rows[0] if key.startswith("keyset_")}
    assert set(page.rows[0]) - keyset == case_transfer_queries.TransferRow.__required_keys__


async def test_an_issue_row_has_exactly_the_columns_its_type_names(api: Api, pool: Pool) -> None:
    today = datetime.now(UTC).date()

    page = await queries.issue_page(pool, queries.IssueFilter(), today, first=1, after=None)
    assert page.rows  # the known ledger, imported by the api fixture
    row = await queries.issue_by_id(pool, page.rows[0]["id"], today)
    history = (await queries.histories(pool, [page.rows[0]["id"]]))[page.rows[0]["id"]]

    assert row is not None and history
    assert set(row) == queries.IssueRow.__required_keys__
    assert set(row["co_agencies"][0]) == queries.AgencyItem.__required_keys__
    assert set(history[0]) == queries.IssueHistoryRow.__required_keys__
    keyset = {key for key in page.rows[0] if key.startswith("keyset_")}
    assert set(page.rows[0]) - keyset == queries.IssueRow.__required_keys__
