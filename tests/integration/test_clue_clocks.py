"""The reply owed to a real-name reporter, timed on the time-skipping server: reminder and
overdue ring on working days; the recorded reply stops the clock; anonymous owes nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.clues import Clue
from domain.reporter_identity import ReporterIdentity
from infrastructure.calendar_data import build_calendar
from infrastructure.stored_calendar import StoredCalendar
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
)

MINUTE = timedelta(minutes=1)
CAL = build_calendar()
REPORTER = ReporterIdentity("实名举报人", "13600000000")


def nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=TIMEZONE)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=TIMEZONE)


def rungs(app: RectifyApp, item: UUID) -> list[str]:
    return [e.rung for e in app.events.get(item) if isinstance(e, Clue.MilestoneRecorded)]


def _receive(app: RectifyApp, at: datetime, named: bool = True) -> UUID:
    app.calendar_source = StoredCalendar
    health = app.register_agency("县卫健局", actor="admin").id
    return app.receive_clue(
        health, "HOTLINE_12320", "某诊所收取回扣", actor="接线员", institution="某诊所",
        reporter=REPORTER if named else None, real_name=named, at=at,
    ).id  # fmt: skip


async def test_reply_clock_reminds_then_goes_overdue_on_working_days(clocks: Clocks) -> None:
    app = clocks.app
    received_at = await clocks.env.get_current_time()
    item = _receive(app, received_at)
    await clocks.dispatcher.dispatch_pending()
    due_day = CAL.add_working_days(received_at.astimezone(TIMEZONE).date(), 15)
    assert app.get_clue(item).reply_due == end_of(due_day)

    await clocks.sleep_until(nine(CAL.add_working_days(due_day, -2)) + MINUTE)
    assert rungs(app, item) == ["remind-2wd"]
    await clocks.sleep_until(end_of(due_day) + MINUTE)
    assert rungs(app, item) == ["remind-2wd", "overdue"]


async def test_recorded_reply_stops_the_clock(clocks: Clocks) -> None:
    app = clocks.app
    received_at = await clocks.env.get_current_time()
    item = _receive(app, received_at)
    await clocks.dispatcher.dispatch_pending()
    app.handle_clue(item, "", "李四")
    app.reply_to_reporter(item, "已核查", "电话", "李四")
    await clocks.dispatcher.dispatch_pending()
    due_day = CAL.add_working_days(received_at.astimezone(TIMEZONE).date(), 15)
    await clocks.sleep_until(end_of(due_day) + MINUTE)
    assert rungs(app, item) == []


async def test_anonymous_clue_has_no_clock(clocks: Clocks) -> None:
    app = clocks.app
    received_at = await clocks.env.get_current_time()
    item = _receive(app, received_at, named=False)
    await clocks.dispatcher.dispatch_pending()
    due_day = CAL.add_working_days(received_at.astimezone(TIMEZONE).date(), 15)
    await clocks.sleep_until(end_of(due_day) + MINUTE)
    assert rungs(app, item) == []
