"""The typed read rows name exactly the columns their queries return: a column added to a
read table or a query shows up here, not as a KeyError in a resolver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.application import RectifyApp
from domain.names import agency_id
from projections import referral_queries
from projections.queries import create_pool
from projections.rows import Pool
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
    assert set(history[0]) == referral_queries.HistoryRow.__required_keys__
    keyset = {key for key in page.rows[0] if key.startswith("keyset_")}
    assert set(page.rows[0]) - keyset == referral_queries.ReferralRow.__required_keys__
