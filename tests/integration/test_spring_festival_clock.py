"""A 60-working-day clock across Spring Festival, with a pause, an approved extension and
the whole ladder, on the time-skipping server: the exact sequence and times of the events.

Deterministic whatever the day it runs: the test skips ahead to early January of the next
year whose Spring Festival falls late enough (lunar calendar), loads that year's
arrangement — the festival week off, a Saturday/Sunday before and after worked (调休) — as
an administrator would, and computes every expected time with its own day-by-day count
over those days, not with the engine's calendar code.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from lunardate import LunarDate
from temporalio.worker import Replayer

from domain.calendar.service import load_arrangement
from domain.clocks import TIMEZONE
from domain.deadlines import Deadline
from domain.issues import RectificationIssue
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,
    register_issue,
    rungs,
    sign_off,
)
from workflows.clock_workflow import ClockWorkflow

__all__ = ["clocks_fixture"]  # provides the `clocks` fixture
MINUTE = timedelta(minutes=1)
SATURDAY = 5


class Oracle:
    """Working days by counting one day at a time over the loaded year."""

    def __init__(self, holidays: set[date], worked: set[date]) -> None:
        self.holidays, self.worked = holidays, worked

    def working(self, day: date) -> bool:
        return day in self.worked or (day.weekday() < SATURDAY and day not in self.holidays)

    def add(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it when n < 0); `day` itself never counts."""
        step = 1 if n >= 0 else -1
        left = abs(n)
        while left:
            day += timedelta(days=step)
            left -= self.working(day)
        return day

    def next_working(self, day: date) -> date:
        while not self.working(day):
            day += timedelta(days=1)
        return day

    def between(self, first: date, last: date) -> int:
        """Working days from `first` (included) to `last` (excluded)."""
        return sum(self.working(first + timedelta(days=n)) for n in range((last - first).days))


def festival_after(today: date) -> date:
    """The first Spring Festival after `today` falling on 5 February or later, so that a
    clock started on 2 January runs across it within one year's arrangement."""
    year = today.year + 1
    while (found := LunarDate(year, 1, 1).to_solar_date()) < date(year, 2, 5):
        year += 1
    return found


def arrangement(festival: date) -> tuple[list[date], list[date]]:
    """New Year's Day and the festival week off (eve to 7th day); the nearest weekend day
    before and after the week worked instead."""
    week = [festival + timedelta(days=n) for n in range(-1, 8)]
    before = week[0] - timedelta(days=1)
    while before.weekday() < SATURDAY:
        before -= timedelta(days=1)
    after = week[-1] + timedelta(days=1)
    while after.weekday() < SATURDAY:
        after += timedelta(days=1)
    return [date(festival.year, 1, 1), *week], [before, after]


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=TIMEZONE)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=TIMEZONE)


def ladder(oracle: Oracle, due: date) -> list[tuple[str, str, datetime]]:
    """The default ladder (ADR 0008): reminders 3 and 1 working days before at 09:00,
    overdue at the end of the due day, then 督办 +1, 挂牌督办 +5, 约谈 +10, 问责 +20."""
    return [
        ("ReminderRecorded", "remind-3wd", at_nine(oracle.add(due, -3))),
        ("ReminderRecorded", "remind-1wd", at_nine(oracle.add(due, -1))),
        ("OverdueRecorded", "overdue", end_of(due)),
        ("EscalationRecorded", "supervision", at_nine(oracle.add(due, 1))),
        ("EscalationRecorded", "listed-supervision", at_nine(oracle.add(due, 5))),
        ("EscalationRecorded", "admonition", at_nine(oracle.add(due, 10))),
        ("EscalationRecorded", "accountability", at_nine(oracle.add(due, 20))),
    ]


async def test_sixty_working_days_across_spring_festival_with_pause_extension_and_ladder(
    clocks: Clocks,
) -> None:
    app = clocks.app
    festival = festival_after(await clocks.today())
    holidays, worked = arrangement(festival)
    load_arrangement(app, festival.year, holidays, worked, "test.json", "admin")
    oracle = Oracle(set(holidays), set(worked))
    start = date(festival.year, 1, 4)
    await clocks.sleep_until(datetime.combine(start, time(10), tzinfo=TIMEZONE))

    first = oracle.add(start, 60)
    assert start < worked[0] < festival < worked[1] < first  # really across the festival
    issue_id = register_issue(app, Deadline.on(first))
    await clocks.dispatcher.dispatch_pending()

    # Paused over the festival, from 10:00 of the working day before the eve to 10:00 of
    # the first working day after the week: whole working days (ADR 0008), the worked
    # Saturday/Sunday after the week included.
    paused = oracle.add(holidays[1], -1)
    resumed = oracle.next_working(holidays[-1] + timedelta(days=1))
    pause_days = oracle.between(paused, resumed)
    assert pause_days == 1 + (worked[1] < resumed)
    await clocks.sleep_until(datetime.combine(paused, time(10), tzinfo=TIMEZONE))
    app.pause_clock(issue_id, "等待第三方检测报告", "coordinator", at=await _now(clocks))
    await clocks.dispatcher.dispatch_pending()
    await clocks.sleep_until(datetime.combine(resumed, time(10), tzinfo=TIMEZONE))
    app.resume_clock(issue_id, "检测报告已出具", "coordinator", at=await _now(clocks))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    after_pause = oracle.add(first, pause_days)

    # An extension approved before any reminder: the old date's ladder never rings.
    second = first + timedelta(days=20)
    app.request_extension(issue_id, Deadline.on(second), "需要招标采购", actor="liaison")
    app.approve_extension(issue_id, "同意延期", actor="leadership")
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    due = oracle.add(second, pause_days)

    for index, milestone in enumerate(expected := ladder(oracle, due)):
        await clocks.sleep_until(milestone[2] - MINUTE)
        assert rungs(app, issue_id) == expected[:index]
        await clocks.sleep_until(milestone[2] + MINUTE)
        assert rungs(app, issue_id) == expected[: index + 1]

    events = list(app.events.get(issue_id))
    assert [type(e).__name__ for e in events] == [
        "Registered",
        "ClockScheduled",
        "ClockPaused",
        "ClockResumed",
        "DueDateRecomputed",
        "ExtensionRequested",
        "ExtensionApproved",
        "DueDateRecomputed",
        "ReminderRecorded",
        "ReminderRecorded",
        "OverdueRecorded",
        "EscalationRecorded",
        "EscalationRecorded",
        "EscalationRecorded",
        "EscalationRecorded",
    ]
    scheduled = next(e for e in events if isinstance(e, RectificationIssue.ClockScheduled))
    assert (scheduled.due, scheduled.provisional) == (end_of(first), False)
    moves = [
        (e.previous, e.due) for e in events if isinstance(e, RectificationIssue.DueDateRecomputed)
    ]
    assert moves == [(end_of(first), end_of(after_pause)), (end_of(after_pause), end_of(due))]
    assert [e.label for e in events if hasattr(e, "label")] == ["督办", "挂牌督办", "约谈", "问责"]

    sign_off(app, issue_id)
    await clocks.dispatcher.dispatch_pending()
    handle = clocks.handle(issue_id)
    assert await handle.result() == "closed"
    await clocks.env.sleep(timedelta(days=60))
    assert len(rungs(app, issue_id)) == 7
    await Replayer(workflows=[ClockWorkflow]).replay_workflow(await handle.fetch_history())


async def _now(clocks: Clocks) -> datetime:
    return await clocks.env.get_current_time()


def test_the_oracle_counts_a_worked_saturday_and_skips_the_festival() -> None:
    festival = date(2027, 2, 6)
    holidays, worked = arrangement(festival)
    oracle = Oracle(set(holidays), set(worked))

    assert holidays[1:] == [date(2027, 2, 5) + timedelta(days=n) for n in range(9)]
    assert worked == [date(2027, 1, 31), date(2027, 2, 14)]  # a Sunday each
    assert oracle.add(date(2027, 1, 29), 1) == date(2027, 1, 31)
    assert oracle.add(date(2027, 2, 4), 1) == date(2027, 2, 14)
    assert oracle.add(date(2027, 2, 14), -1) == date(2027, 2, 4)
    assert oracle.between(date(2027, 2, 4), date(2027, 2, 15)) == 2
