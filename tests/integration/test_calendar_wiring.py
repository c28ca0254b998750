"""Every process builds its application with the stored calendar (rectify.composition,
ADR 0023): here the API, built exactly as `rectify serve` builds it, counts a 调休 Saturday
as a working day — a bare RectifyApp would count Monday to Friday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from infrastructure.calendar_data import build_calendar
from rectify.composition import api_config
from rectify.runtime import Database
from rectify.settings import Settings

MAKE_UP_SATURDAY = date(2026, 10, 10)  # worked after 国庆 2026 (chinesecalendar)


async def test_the_api_application_counts_a_make_up_saturday_as_a_working_day(
    database_url: str, schema: str
) -> None:
    from api.app import create_app

    assert build_calendar().is_working_day(MAKE_UP_SATURDAY)
    settings = Settings(DATABASE_URL=database_url, RECTIFY_DB_SCHEMA=schema)
    web = create_app(api_config(settings, Database(database_url, schema)))
    async with web.router.lifespan_context(web):
        ledger: RectifyApp = web.state.rectify
        calendar = ledger.referral_calendar(range(2026, 2027))
        assert calendar.is_working_day(MAKE_UP_SATURDAY)

        # Sent on the Friday before it: the Saturday is the first of the 3 claim days.
        market = ledger.register_agency("县市场监管局", actor="admin").id
        health = ledger.register_agency("县卫健局", actor="admin").id
        friday = datetime(2026, 10, 9, 10, 0, tzinfo=TIMEZONE)
        item = ledger.send_referral(market, health, "医疗美容", actor="张三", at=friday).id
        due = datetime.combine(date(2026, 10, 13) + timedelta(days=1), time(0), tzinfo=TIMEZONE)
        assert ledger.get_referral(item).claim_due == due
