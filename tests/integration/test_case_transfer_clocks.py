"""Statutory clocks of a case transfer on the time-skipping server: each period that runs
out records its breach once in the transfer's stream; a step taken in time records none.
Expected instants come from the calendar's primitives."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from domain.application import RectifyApp
from domain.case_transfers import CaseTransfer, ReconsiderationOutcome
from domain.clocks import TIMEZONE
from infrastructure.calendar_data import build_calendar
from infrastructure.stored_calendar import StoredCalendar
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
)

MINUTE = timedelta(minutes=1)
CAL = build_calendar()


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=TIMEZONE)


def three_days(start: datetime) -> datetime:
    return end_of(CAL.add_calendar_days_statutory(start.astimezone(TIMEZONE).date(), 3))


def breaches(app: RectifyApp, item: UUID) -> list[tuple[str, datetime]]:
    return [
        (e.step, e.due)
        for e in app.events.get(item)
        if isinstance(e, CaseTransfer.StatutoryBreachRecorded)
    ]


def _agencies(app: RectifyApp) -> tuple[UUID, UUID]:
    app.calendar_source = StoredCalendar
    return (
        app.register_agency("县卫健局", actor="admin").id,
        app.register_agency("县公安局", actor="admin").id,
    )


async def test_each_statutory_period_that_runs_out_records_its_breach_once(
    clocks: Clocks,
) -> None:
    app = clocks.app
    health, police = _agencies(app)
    reported_at = await clocks.env.get_current_time()
    item = app.report_case_transfer(health, police, "骗保", actor="执法员", at=reported_at).id
    await clocks.dispatcher.dispatch_pending()
    approval_due = three_days(reported_at)

    await clocks.sleep_until(approval_due - MINUTE)
    assert breaches(app, item) == []
    await clocks.sleep_until(approval_due + MINUTE)
    assert breaches(app, item) == [("approval", approval_due)]

    approved_at = await clocks.env.get_current_time()
    app.approve_case_transfer(item, "同意", "局长", at=approved_at)
    await clocks.dispatcher.dispatch_pending()
    sending_due = approved_at + timedelta(hours=24)  # plain hours, holiday or not
    await clocks.sleep_until(sending_due + MINUTE)
    assert breaches(app, item)[-1] == ("sending", sending_due)

    app.send_case_transfer(item, "执法员", at=await clocks.env.get_current_time())
    received_at = await clocks.env.get_current_time()
    app.receive_case_transfer(item, police, "民警", at=received_at)
    await clocks.dispatcher.dispatch_pending()
    decision_due = three_days(received_at)
    await clocks.sleep_until(decision_due + MINUTE)
    assert breaches(app, item)[-1] == ("decision1", decision_due)

    # Decided late: the engine's record stands and the step adds no second one.
    app.refuse_case_transfer(
        item, police, "证据不足", "民警", at=await clocks.env.get_current_time()
    )
    asked_at = await clocks.env.get_current_time()
    app.request_transfer_reconsideration(item, "已达标准", "卫健局", at=asked_at)
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(asked_at + timedelta(hours=1))
    app.answer_transfer_reconsideration(
        item, police, ReconsiderationOutcome.FILE, "", "民警",
        at=await clocks.env.get_current_time(),
    )  # fmt: skip
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(three_days(asked_at) + MINUTE)
    assert [step for step, _ in breaches(app, item)] == ["approval", "sending", "decision1"]


async def test_a_transfer_declined_in_time_records_no_breach(clocks: Clocks) -> None:
    app = clocks.app
    health, police = _agencies(app)
    reported_at = await clocks.env.get_current_time()
    item = app.report_case_transfer(health, police, "骗保", actor="执法员", at=reported_at).id
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(reported_at + timedelta(hours=2))
    app.decline_case_transfer(item, "尚不构成犯罪", "局长", at=await clocks.env.get_current_time())
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(three_days(reported_at) + MINUTE)
    assert breaches(app, item) == []


async def test_a_reconsideration_the_police_do_not_answer_in_3_days_records_its_breach_once(
    clocks: Clocks,
) -> None:
    app = clocks.app
    health, police = _agencies(app)
    now = await clocks.env.get_current_time()
    item = app.report_case_transfer(health, police, "骗保", actor="执法员", at=now).id
    app.approve_case_transfer(item, "同意", "局长", at=now)
    app.send_case_transfer(item, "执法员", at=now)
    app.receive_case_transfer(item, police, "民警", at=now)
    app.refuse_case_transfer(item, police, "证据不足", "民警", at=now)
    asked_at = await clocks.env.get_current_time()
    app.request_transfer_reconsideration(item, "骗保金额已达立案标准", "卫健局", at=asked_at)
    await clocks.dispatcher.dispatch_pending()
    answer_due = three_days(asked_at)

    await clocks.sleep_until(answer_due - MINUTE)
    assert breaches(app, item) == []
    await clocks.sleep_until(answer_due + MINUTE)
    assert breaches(app, item) == [("reconsideration", answer_due)]
    await clocks.sleep_until(answer_due + timedelta(days=2))
    assert breaches(app, item) == [("reconsideration", answer_due)]

    # Answered late: the engine's record stands and the answer adds no second one.
    app.answer_transfer_reconsideration(
        item, police, ReconsiderationOutcome.UPHOLD, "维持不予立案", "民警",
        at=await clocks.env.get_current_time(),
    )  # fmt: skip
    assert breaches(app, item) == [("reconsideration", answer_due)]
