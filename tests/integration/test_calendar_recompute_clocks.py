"""A calendar loaded mid-clock moves the dues referrals, case transfers and clues keep from a
start and a period (ADR 0023), on the time-skipping server: the dispatcher signals the
clock, the clock records the move, and the milestone rings at the new due, exactly once,
and nothing at the old one.

Whatever the day the test runs: the arrangement loaded is the year's data as the package
or the rule gives it, with the due day itself turned into a holiday. Expected instants
come from the calendar's primitives.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from domain.application import RectifyApp
from domain.calendar import WorkingCalendar, YearArrangement
from domain.calendar.service import load_arrangement
from domain.case_transfers import CaseTransfer
from domain.clocks import TIMEZONE
from domain.clues import Clue
from domain.referrals import Referral
from domain.reporter_identity import ReporterIdentity
from infrastructure.calendar_data import build_calendar
from infrastructure.stored_calendar import StoredCalendar
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
CAL = build_calendar()


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=TIMEZONE)


def local(instant: datetime) -> date:
    return instant.astimezone(TIMEZONE).date()


def make_holiday(app: RectifyApp, day: date) -> WorkingCalendar:
    """Load the year of `day` as it stands with `day` a holiday; the calendar after it."""
    base = CAL.arrangement(day.year)
    official = YearArrangement(day.year, base.holidays | {day}, base.working_days - {day})
    assert load_arrangement(
        app,
        day.year,
        sorted(official.holidays),
        sorted(official.working_days),
        "国办发明电（测试）",
        "admin",
    )
    return build_calendar([official])


def recomputed(app: RectifyApp, item: UUID) -> list[tuple[datetime, datetime]]:
    return [
        (e.previous, e.due) for e in app.events.get(item) if type(e).__name__ == "DueDateRecomputed"
    ]


def recorded(app: RectifyApp, item: UUID, kinds: tuple[type[Any], ...]) -> list[tuple[str, Any]]:
    """(rung or step, due) of every milestone the clock recorded, in order."""
    return [
        (getattr(e, "rung", "") or getattr(e, "step", ""), e.due)
        for e in app.events.get(item)
        if isinstance(e, kinds)
    ]


async def load_and_dispatch(clocks: Clocks, day: date) -> WorkingCalendar:
    after = make_holiday(clocks.app, day)
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(HOUR)  # the signalled clock reads again
    return after


async def test_a_referrals_claim_due_moves_and_goes_overdue_at_the_new_time_only(
    clocks: Clocks,
) -> None:
    app = clocks.app
    app.calendar_source = StoredCalendar
    market = app.register_agency("县市场监管局", actor="admin").id
    health = app.register_agency("县卫健局", actor="admin").id
    sent_at = await clocks.env.get_current_time()
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=sent_at).id
    untouched = app.send_referral(
        market, health, "早已签收", actor="张三", at=sent_at - timedelta(days=40)
    ).id
    app.claim_referral(untouched, health, "李四", at=sent_at - timedelta(days=40))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(HOUR)
    old_day = CAL.add_working_days(local(sent_at), 3)
    assert app.get_referral(item).claim_due == end_of(old_day)

    after = await load_and_dispatch(clocks, old_day)
    new_day = after.add_working_days(local(sent_at), 3)
    assert new_day > old_day
    # Recorded by the clock's read, long before any milestone: the dispatcher signalled it.
    assert recomputed(app, item) == [(end_of(old_day), end_of(new_day))]
    assert app.get_referral(item).claim_due == end_of(new_day)
    assert recomputed(app, untouched) == []  # its answer clock is weeks from that day

    overdue = (Referral.MilestoneRecorded,)
    await clocks.sleep_until(end_of(old_day) + MINUTE)
    assert [r for r in recorded(app, item, overdue) if r[0] == "overdue"] == []
    await clocks.sleep_until(end_of(new_day) - MINUTE)
    assert [r for r in recorded(app, item, overdue) if r[0] == "overdue"] == []
    await clocks.sleep_until(end_of(new_day) + MINUTE)
    assert [r for r in recorded(app, item, overdue) if r[0] == "overdue"] == [
        ("overdue", end_of(new_day))
    ]
    # Every milestone rang on the new due, none on the old one, each once.
    await clocks.sleep_until(
        datetime.combine(after.add_working_days(new_day, 3), time(9), tzinfo=TIMEZONE) + MINUTE
    )
    rungs = recorded(app, item, overdue)
    assert {due for _, due in rungs} == {end_of(new_day)}
    assert [r for r, _ in rungs] == ["remind-1wd", "overdue", "supervision", "listed-supervision"]
    assert len(recomputed(app, item)) == 1


async def test_a_statutory_step_in_days_breaches_at_its_recomputed_due(clocks: Clocks) -> None:
    app = clocks.app
    app.calendar_source = StoredCalendar
    health = app.register_agency("县卫健局", actor="admin").id
    police = app.register_agency("县公安局", actor="admin").id
    reported_at = await clocks.env.get_current_time()
    item = app.report_case_transfer(health, police, "骗保", actor="执法员", at=reported_at).id
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(HOUR)
    old_day = CAL.add_calendar_days_statutory(local(reported_at), 3)

    after = await load_and_dispatch(clocks, old_day)
    new_day = after.add_calendar_days_statutory(local(reported_at), 3)
    assert recomputed(app, item) == [(end_of(old_day), end_of(new_day))]

    breach = (CaseTransfer.StatutoryBreachRecorded,)
    await clocks.sleep_until(end_of(old_day) + MINUTE)
    assert recorded(app, item, breach) == []
    await clocks.sleep_until(end_of(new_day) - MINUTE)
    assert recorded(app, item, breach) == []
    await clocks.sleep_until(end_of(new_day) + MINUTE)
    assert recorded(app, item, breach) == [("approval", end_of(new_day))]
    await clocks.env.sleep(timedelta(days=2))
    assert len(recorded(app, item, breach)) == 1


async def test_the_reply_owed_to_a_reporter_goes_overdue_at_its_recomputed_due(
    clocks: Clocks,
) -> None:
    app = clocks.app
    app.calendar_source = StoredCalendar
    health = app.register_agency("县卫健局", actor="admin").id
    received_at = await clocks.env.get_current_time()
    item = app.receive_clue(
        health, "HOTLINE_12320", "某诊所收取回扣", actor="接线员", institution="某诊所",
        reporter=ReporterIdentity("实名举报人", "13600000000"), real_name=True, at=received_at,
    ).id  # fmt: skip
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(HOUR)
    old_day = CAL.add_working_days(local(received_at), 15)

    after = await load_and_dispatch(clocks, old_day)
    new_day = after.add_working_days(local(received_at), 15)
    assert recomputed(app, item) == [(end_of(old_day), end_of(new_day))]

    milestone = (Clue.MilestoneRecorded,)
    await clocks.sleep_until(end_of(old_day) + MINUTE)
    assert ("overdue", end_of(old_day)) not in recorded(app, item, milestone)
    assert [r for r in recorded(app, item, milestone) if r[0] == "overdue"] == []
    await clocks.sleep_until(end_of(new_day) + MINUTE)
    assert [r for r in recorded(app, item, milestone) if r[0] == "overdue"] == [
        ("overdue", end_of(new_day))
    ]
