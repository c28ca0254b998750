"""Referral clocks on the time-skipping server: claim, then answer, and a new claim clock
after a return and a reassignment. Expected instants come from the calendar's primitives."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.referrals import Referral, ReturnReason
from infrastructure.calendar_data import build_calendar
from infrastructure.stored_calendar import StoredCalendar
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
)

MINUTE = timedelta(minutes=1)
CAL = build_calendar()


def nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=TIMEZONE)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=TIMEZONE)


def rung_keys(app: RectifyApp, item: UUID) -> list[tuple[str, str]]:
    """(rung, clock) of every milestone recorded: clock is e.g. round1:claim."""
    return [
        (e.rung, ":".join(e.key.split(":")[2:4]))
        for e in app.events.get(item)
        if isinstance(e, Referral.MilestoneRecorded)
    ]


def _agencies(app: RectifyApp) -> tuple[UUID, UUID, UUID]:
    app.calendar_source = StoredCalendar
    return (
        app.register_agency("县市场监管局", actor="admin").id,
        app.register_agency("县卫健局", actor="admin").id,
        app.register_agency("县医保局", actor="admin").id,
    )


async def test_claim_clock_rings_then_the_answer_clock_takes_over_once_claimed(
    clocks: Clocks,
) -> None:
    app = clocks.app
    market, health, _ = _agencies(app)
    sent_at = await clocks.env.get_current_time()
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=sent_at).id
    await clocks.dispatcher.dispatch_pending()
    claim_day = CAL.add_working_days(sent_at.astimezone(TIMEZONE).date(), 3)

    await clocks.sleep_until(nine(CAL.add_working_days(claim_day, -1)) + MINUTE)
    assert rung_keys(app, item) == [("remind-1wd", "round1:claim")]
    await clocks.sleep_until(end_of(claim_day) - MINUTE)
    assert len(rung_keys(app, item)) == 1
    await clocks.sleep_until(end_of(claim_day) + MINUTE)
    assert rung_keys(app, item)[-1] == ("overdue", "round1:claim")

    claimed_at = await clocks.env.get_current_time()
    app.claim_referral(item, health, "李四", at=claimed_at)
    await clocks.dispatcher.dispatch_pending()
    answer_day = CAL.add_working_days(claimed_at.astimezone(TIMEZONE).date(), 15)
    await clocks.sleep_until(end_of(answer_day) + MINUTE)
    recorded = rung_keys(app, item)
    # The claim clock's escalations never rang: the claim stopped that clock.
    assert recorded == [
        ("remind-1wd", "round1:claim"),
        ("overdue", "round1:claim"),
        ("remind-1wd", "round1:answer1"),
        ("overdue", "round1:answer1"),
    ]


async def test_return_stops_the_clock_and_reassignment_starts_a_new_one_for_the_new_agency(
    clocks: Clocks,
) -> None:
    app = clocks.app
    market, health, insurance = _agencies(app)
    sent_at = await clocks.env.get_current_time()
    item = app.send_referral(market, health, "骗保线索", actor="张三", at=sent_at).id
    await clocks.dispatcher.dispatch_pending()
    app.return_referral(item, health, ReturnReason.NOT_OUR_REMIT, "", "李四")
    await clocks.dispatcher.dispatch_pending()
    first_claim_day = CAL.add_working_days(sent_at.astimezone(TIMEZONE).date(), 3)
    await clocks.sleep_until(end_of(first_claim_day) + MINUTE)
    assert rung_keys(app, item) == []  # returned: waits for the coordinator, nothing rings

    moved_at = await clocks.env.get_current_time()
    app.reassign_referral(item, insurance, "医保基金问题", "协调办", at=moved_at)
    await clocks.dispatcher.dispatch_pending()
    claim_day = CAL.add_working_days(moved_at.astimezone(TIMEZONE).date(), 3)
    await clocks.sleep_until(end_of(claim_day) + MINUTE)
    assert rung_keys(app, item) == [("remind-1wd", "round2:claim"), ("overdue", "round2:claim")]
    assert app.get_referral(item).assignments == [health, insurance]


async def test_return_after_claiming_stops_the_answer_clock_and_the_new_receiver_gets_a_claim_clock(
    clocks: Clocks,
) -> None:
    app = clocks.app
    market, health, insurance = _agencies(app)
    sent_at = await clocks.env.get_current_time()
    item = app.send_referral(market, health, "骗保线索", actor="张三", at=sent_at).id
    app.claim_referral(item, health, "李四", at=sent_at)  # by mistake
    await clocks.dispatcher.dispatch_pending()
    answer_day = CAL.add_working_days(sent_at.astimezone(TIMEZONE).date(), 15)
    await clocks.sleep_until(nine(CAL.add_working_days(answer_day, -1)) + MINUTE)
    assert rung_keys(app, item) == [("remind-1wd", "round1:answer1")]

    app.return_referral(item, health, ReturnReason.NEEDS_ANOTHER_AGENCY, "误签收", "李四")
    await clocks.dispatcher.dispatch_pending()
    # Past the answer due and every escalation of the old answer clock: nothing rings.
    await clocks.sleep_until(end_of(CAL.add_working_days(answer_day, 4)) + MINUTE)
    assert rung_keys(app, item) == [("remind-1wd", "round1:answer1")]

    moved_at = await clocks.env.get_current_time()
    app.reassign_referral(item, insurance, "医保基金问题", "协调办", at=moved_at)
    await clocks.dispatcher.dispatch_pending()
    claim_day = CAL.add_working_days(moved_at.astimezone(TIMEZONE).date(), 3)
    await clocks.sleep_until(end_of(claim_day) + MINUTE)
    assert rung_keys(app, item) == [
        ("remind-1wd", "round1:answer1"),
        ("remind-1wd", "round2:claim"),
        ("overdue", "round2:claim"),
    ]

    claimed_at = await clocks.env.get_current_time()
    app.claim_referral(item, insurance, "王五", at=claimed_at)
    await clocks.dispatcher.dispatch_pending()
    new_answer_day = CAL.add_working_days(claimed_at.astimezone(TIMEZONE).date(), 15)
    await clocks.sleep_until(end_of(new_answer_day) + MINUTE)
    recorded = rung_keys(app, item)
    assert recorded[3:] == [("remind-1wd", "round2:answer1"), ("overdue", "round2:answer1")]
    # The first receiver's clocks never rang again.
    assert [r for r in recorded if r[1].startswith("round1")] == [("remind-1wd", "round1:answer1")]
