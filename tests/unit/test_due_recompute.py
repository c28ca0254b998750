"""A calendar loaded for a year recomputes the dues referrals, case transfers and clues keep
from a start and a period (ADR 0023): one DueDateRecomputed per moved due, none when it
stays, none for a clock that is over, nothing twice; a stale milestone is not recorded.

The audit's case: a referral sent 2026-12-30 10:00 with a 3-working-day claim period is due
by the end of 2027-01-05 on the provisional 2027 calendar; an arrangement making 4–6
January holidays moves it to the end of 2027-01-08.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from uuid import UUID

import pytest

from domain.application import RectifyApp
from domain.calendar import YearArrangement
from domain.calendar.service import load_arrangement
from domain.case_transfers import CaseTransfer, TransferStatus
from domain.clocks import TIMEZONE, MilestoneKind, Period, PeriodClock, Reschedulable, moved_dues
from domain.clues import Clue
from domain.issues import RectificationIssue
from domain.referrals import Referral
from domain.reporter_identity import ReporterIdentity
from domain.reporting import ReportDue
from infrastructure.calendar_data import build_calendar
from infrastructure.stored_calendar import StoredCalendar

CAL = build_calendar()  # 2027: the provisional rule (the package stops at 2026)
SENT = datetime(2026, 12, 30, 10, 0, tzinfo=TIMEZONE)
DAYS_OFF = [date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6)]
NOTICE = "国办发明电（测试）"


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=TIMEZONE)


def official_2027() -> YearArrangement:
    rule = CAL.arrangement(2027)
    return YearArrangement(2027, rule.holidays | set(DAYS_OFF), rule.working_days)


def load_2027(app: RectifyApp) -> None:
    official = official_2027()
    assert load_arrangement(app, 2027, sorted(official.holidays), [], NOTICE, "admin")


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    # Wired as every process is (rectify.composition): the commands use the stored calendar.
    application = RectifyApp(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, calendar_source=StoredCalendar
    )
    yield application
    application.close()


def agencies(app: RectifyApp) -> tuple[UUID, UUID]:
    return (
        app.register_agency("县市场监管局", actor="admin").id,
        app.register_agency("县卫健局", actor="admin").id,
    )


def recomputed(app: RectifyApp, item: UUID) -> list[object]:
    return [e for e in app.events.get(item) if type(e).__name__ == "DueDateRecomputed"]


def reread(app: RectifyApp, kind: str, item: UUID) -> bool:
    """What the clock's load activity does on every read."""
    _, changed = app.schedule_clock(kind, item, StoredCalendar(app))
    return changed


# -- the decision ----------------------------------------------------------------------------


def test_moved_dues_lists_only_the_dues_the_calendar_puts_elsewhere() -> None:
    claim = PeriodClock("claim", SENT, Period.working_days(3), end_of(date(2027, 1, 5)))
    hours = PeriodClock("sending", SENT, Period.hours(24), SENT + timedelta(hours=24))
    assert moved_dues([claim, hours], CAL) == []
    after = build_calendar([official_2027()])
    [moved] = moved_dues([claim, hours], after)
    assert (moved.clock, moved.due, moved.provisional) == (claim, end_of(date(2027, 1, 8)), False)
    assert list(moved.years) == [2026, 2027]


def test_issues_and_report_dues_keep_fixed_dates_and_have_nothing_to_recompute() -> None:
    assert not issubclass(RectificationIssue, Reschedulable)
    assert not issubclass(ReportDue, Reschedulable)
    assert all(issubclass(k, Reschedulable) for k in (Referral, CaseTransfer, Clue))


# -- referrals -------------------------------------------------------------------------------


def test_a_loaded_arrangement_moves_the_claim_due_with_one_event(app: RectifyApp) -> None:
    market, health = agencies(app)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=SENT).id
    assert app.get_referral(item).claim_due == datetime(2027, 1, 6, 0, 0, tzinfo=TIMEZONE)
    assert not reread(app, "referral", item)  # the provisional rule gave that day: no move

    load_2027(app)
    assert reread(app, "referral", item)

    [event] = recomputed(app, item)
    assert isinstance(event, Referral.DueDateRecomputed)
    assert (event.clock, event.previous, event.due, event.provisional) == (
        "claim",
        end_of(date(2027, 1, 5)),
        end_of(date(2027, 1, 8)),
        False,
    )
    assert event.calendar[-1] == f"2027: {NOTICE} (v2)"  # the load that moved it
    assert event.calendar[0].startswith("2026: chinesecalendar")
    referral = app.get_referral(item)
    assert referral.claim_due == end_of(date(2027, 1, 8))
    overdue = next(
        m
        for m in app.clock_view("referral", item, StoredCalendar(app)).milestones
        if m.kind is MilestoneKind.OVERDUE
    )
    assert overdue.at == end_of(date(2027, 1, 8))


def test_recomputing_again_on_the_same_calendar_appends_nothing(app: RectifyApp) -> None:
    market, health = agencies(app)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=SENT).id
    load_2027(app)
    assert reread(app, "referral", item)
    versions = len(list(app.events.get(item)))
    assert not reread(app, "referral", item)
    assert not app.recompute_dues(app.get_referral(item), StoredCalendar(app))
    assert len(list(app.events.get(item))) == versions


def test_a_referral_the_load_does_not_move_gets_no_event(app: RectifyApp) -> None:
    market, health = agencies(app)
    early = datetime(2026, 12, 1, 10, 0, tzinfo=TIMEZONE)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=early).id
    load_2027(app)
    assert not reread(app, "referral", item)
    assert recomputed(app, item) == []


def test_the_answer_clock_moves_too(app: RectifyApp) -> None:
    market, health = agencies(app)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=SENT).id
    app.claim_referral(item, health, "李四", at=SENT + timedelta(hours=1))
    before = app.get_referral(item).answer_due
    load_2027(app)
    assert reread(app, "referral", item)
    [event] = recomputed(app, item)
    assert isinstance(event, Referral.DueDateRecomputed)
    assert (event.clock, event.previous) == ("answer", before)
    assert event.due == end_of(build_calendar([official_2027()]).add_working_days(SENT.date(), 15))
    assert app.get_referral(item).answer_due == event.due


def test_an_answered_or_accepted_referral_gets_nothing(app: RectifyApp) -> None:
    market, health = agencies(app)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=SENT).id
    app.claim_referral(item, health, "李四", at=SENT)
    app.answer_referral(item, health, "已查处", "李四")
    load_2027(app)
    assert not reread(app, "referral", item)
    app.accept_referral(item, "", "张三")
    assert not reread(app, "referral", item)
    assert recomputed(app, item) == []


def test_the_old_overdue_is_not_recorded_after_the_load_and_the_move_is(app: RectifyApp) -> None:
    market, health = agencies(app)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=SENT).id
    old = next(
        m
        for m in app.clock_view("referral", item, StoredCalendar(app)).milestones
        if m.kind is MilestoneKind.OVERDUE
    )
    load_2027(app)
    # The workflow woke at the old time before any read after the load.
    assert not app.record_clock_milestone("referral", item, old.key, StoredCalendar(app))
    assert [type(e).__name__ for e in app.events.get(item)][-1] == "DueDateRecomputed"
    assert not any(isinstance(e, Referral.MilestoneRecorded) for e in app.events.get(item))


def test_a_stale_move_is_refused_by_the_referral(app: RectifyApp) -> None:
    market, health = agencies(app)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=SENT).id
    referral = app.get_referral(item)
    [moved] = moved_dues(referral.period_clocks(), build_calendar([official_2027()]))
    referral.claim(health, SENT, end_of(date(2027, 2, 1)), "李四")  # the claim clock stopped
    assert not referral.record_moved_due(moved, [], "system:clock")


def test_the_dispatcher_sees_a_moved_due_in_the_views_before_and_after(app: RectifyApp) -> None:
    market, health = agencies(app)
    item = app.send_referral(market, health, "医疗美容", actor="张三", at=SENT).id
    load_2027(app)
    before = app.clock_view("referral", item, StoredCalendar(app, {2027: None}))
    after = app.clock_view("referral", item, StoredCalendar(app))
    assert before.derived_dues == (("claim", end_of(date(2027, 1, 5))),)
    assert after.derived_dues == (("claim", end_of(date(2027, 1, 8))),)


# -- case transfers --------------------------------------------------------------------------


def test_a_statutory_step_in_days_moves_and_one_in_hours_does_not(app: RectifyApp) -> None:
    health = app.register_agency("县卫健局", actor="admin").id
    police = app.register_agency("县公安局", actor="admin").id
    item = app.report_case_transfer(health, police, "骗保", actor="执法员", at=SENT).id
    # 3 days from 30 December: 2 January, a Saturday after 元旦, rolls to Monday 4 January.
    assert app.get_case_transfer(item).deadlines["approval"] == end_of(date(2027, 1, 4))
    load_2027(app)
    assert reread(app, "case-transfer", item)
    [event] = recomputed(app, item)
    assert isinstance(event, CaseTransfer.DueDateRecomputed)
    assert (event.step, event.previous, event.due) == (
        "approval",
        end_of(date(2027, 1, 4)),
        end_of(date(2027, 1, 7)),
    )
    [breach] = [
        m
        for m in app.clock_view("case-transfer", item, StoredCalendar(app)).milestones
        if m.kind is MilestoneKind.STATUTORY_BREACH
    ]
    assert breach.at == end_of(date(2027, 1, 7))

    app.approve_case_transfer(item, "同意", "局长", at=datetime(2027, 1, 7, 9, tzinfo=TIMEZONE))
    assert app.get_case_transfer(item).breaches == []  # on time by the new due
    assert not reread(app, "case-transfer", item)  # 24 hours are 24 hours
    assert len(recomputed(app, item)) == 1


def test_a_step_taken_before_the_engine_reread_is_judged_on_the_new_due(app: RectifyApp) -> None:
    health = app.register_agency("县卫健局", actor="admin").id
    police = app.register_agency("县公安局", actor="admin").id
    item = app.report_case_transfer(health, police, "骗保", actor="执法员", at=SENT).id
    load_2027(app)
    # 5 January: late by the old due, on time by the new one (the load made it a holiday).
    app.approve_case_transfer(item, "同意", "局长", at=datetime(2027, 1, 5, 9, tzinfo=TIMEZONE))
    types = [type(e).__name__ for e in app.events.get(item)]
    assert types[-2:] == ["DueDateRecomputed", "Approved"]
    assert app.get_case_transfer(item).breaches == []


def test_the_window_to_ask_for_reconsideration_follows_the_calendar(app: RectifyApp) -> None:
    health = app.register_agency("县卫健局", actor="admin").id
    police = app.register_agency("县公安局", actor="admin").id
    item = app.report_case_transfer(health, police, "骗保", actor="执法员", at=SENT).id
    hour = timedelta(hours=1)
    app.approve_case_transfer(item, "同意", "局长", at=SENT + hour)
    app.send_case_transfer(item, "执法员", at=SENT + 2 * hour)
    app.receive_case_transfer(item, police, "民警", at=SENT + 3 * hour)
    app.refuse_case_transfer(item, police, "证据不足", "民警", at=SENT + 4 * hour)
    transfer = app.get_case_transfer(item)
    assert transfer.status is TransferStatus.REFUSED
    assert transfer.deadlines["reconsideration_request"] == end_of(date(2027, 1, 4))
    load_2027(app)
    app.request_transfer_reconsideration(
        item, "证据充分", "执法员", at=datetime(2027, 1, 6, 10, tzinfo=TIMEZONE)
    )
    transfer = app.get_case_transfer(item)
    assert transfer.status is TransferStatus.RECONSIDERING
    assert transfer.deadlines["reconsideration_request"] == end_of(date(2027, 1, 7))


# -- clues -----------------------------------------------------------------------------------


def test_the_reply_owed_to_a_real_name_reporter_moves(app: RectifyApp) -> None:
    health = app.register_agency("县卫健局", actor="admin").id
    item = app.receive_clue(
        health, "HOTLINE_12320", "某诊所收取回扣", actor="接线员", institution="某诊所",
        reporter=ReporterIdentity("实名举报人", "13600000000"), real_name=True, at=SENT,
    ).id  # fmt: skip
    before = app.get_clue(item).reply_due
    assert before == end_of(CAL.add_working_days(SENT.date(), 15))
    load_2027(app)
    assert reread(app, "clue", item)
    [event] = recomputed(app, item)
    assert isinstance(event, Clue.DueDateRecomputed)
    after = end_of(build_calendar([official_2027()]).add_working_days(SENT.date(), 15))
    assert (event.clock, event.previous, event.due) == ("reply", before, after)
    assert app.get_clue(item).reply_due == after
    assert not reread(app, "clue", item)


def test_a_replied_clue_gets_nothing(app: RectifyApp) -> None:
    health = app.register_agency("县卫健局", actor="admin").id
    item = app.receive_clue(
        health, "HOTLINE_12320", "某诊所收取回扣", actor="接线员", institution="某诊所",
        reporter=ReporterIdentity("实名举报人", "13600000000"), real_name=True, at=SENT,
    ).id  # fmt: skip
    app.handle_clue(item, "", "李四")
    app.reply_to_reporter(item, "已核查", "电话", "李四")
    load_2027(app)
    assert not reread(app, "clue", item)
    assert recomputed(app, item) == []


# -- wiring ----------------------------------------------------------------------------------


def test_importing_the_referral_cli_no_longer_wires_every_application() -> None:
    import rectify.referral_cli  # noqa: F401

    assert RectifyApp.calendar_source is None
