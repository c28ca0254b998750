"""Quiet escalation: an item whose rungs are all past when its clock first runs (an old
ledger imported, a worker down for days) gets every rung in its history, but only the
overdue and the highest rung reached are notified. On the time-skipping server."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID

from domain.clocks import TIMEZONE
from domain.deadlines import Deadline
from domain.issues import RectificationIssue
from domain.notices import notice_of
from infrastructure.calendar_data import build_calendar
from projections.summaries import CAUGHT_UP_NOTE, summarise
from tests.integration.temporal_fixtures import Clocks, clocks_fixture, register_issue

__all__ = ["clocks_fixture"]  # provides the `clocks` fixture
CAL = build_calendar()
MILESTONES = (
    RectificationIssue.ReminderRecorded,
    RectificationIssue.OverdueRecorded,
    RectificationIssue.EscalationRecorded,
)


async def test_rungs_already_past_are_recorded_but_only_the_highest_is_notified(
    clocks: Clocks,
) -> None:
    app = clocks.app
    long_ago = CAL.add_working_days(await clocks.today(), -40)  # past 问责 (+20)
    issue_id = register_issue(app, Deadline.on(long_ago))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))

    recorded = [e for e in app.events.get(issue_id) if isinstance(e, MILESTONES)]
    assert [e.rung for e in recorded] == [
        "overdue",
        "supervision",
        "listed-supervision",
        "admonition",
        "accountability",
    ]  # no reminder after the deadline
    # overdue is always told; of the rungs only the highest reached
    assert [e.caught_up for e in recorded] == [False, True, True, True, False]
    assert [notice_of(e) is not None for e in recorded] == [True, False, False, False, True]
    assert summarise(recorded[1], lambda _: "").endswith(CAUGHT_UP_NOTE)
    assert not summarise(recorded[-1], lambda _: "").endswith(CAUGHT_UP_NOTE)


async def test_rungs_recorded_on_time_are_each_notified(clocks: Clocks) -> None:
    app = clocks.app
    due = CAL.add_working_days(await clocks.today(), 5)
    issue_id = register_issue(app, Deadline.on(due))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(days=50))

    recorded = [e for e in app.events.get(issue_id) if isinstance(e, MILESTONES)]
    assert len(recorded) == 7
    assert not any(e.caught_up for e in recorded)
    assert all(notice_of(e) is not None for e in recorded)


async def _registered_due(clocks: Clocks, days_ahead: int) -> UUID:
    """An issue registered at 10:00 China time (after the day's 09:00 rings), due
    `days_ahead` calendar days later, its clock run for an hour."""
    now = (await clocks.env.get_current_time()).astimezone(TIMEZONE)
    ten = datetime.combine(now.date(), time(10, 0), tzinfo=TIMEZONE)
    if now < ten:
        await clocks.sleep_until(ten)
    issue_id = register_issue(clocks.app, Deadline.on(await clocks.today() + timedelta(days_ahead)))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    return issue_id


def _reminders(clocks: Clocks, issue_id: UUID) -> list[RectificationIssue.ReminderRecorded]:
    return [
        e
        for e in clocks.app.events.get(issue_id)
        if isinstance(e, RectificationIssue.ReminderRecorded)
    ]


async def test_an_issue_registered_the_day_before_its_due_gets_one_reminder(
    clocks: Clocks,
) -> None:
    issue_id = await _registered_due(clocks, 1)  # remind-3wd and remind-1wd both past

    reminders = _reminders(clocks, issue_id)
    told = [e for e in reminders if notice_of(e) is not None]

    assert len({e.key for e in reminders}) == len(reminders)  # none recorded twice
    assert len(told) == 1
    assert told[0].rung == "remind-1wd"
    assert all(e.caught_up for e in reminders if e is not told[0])


async def test_an_issue_registered_on_its_due_date_gets_one_reminder(clocks: Clocks) -> None:
    issue_id = await _registered_due(clocks, 0)

    told = [e.rung for e in _reminders(clocks, issue_id) if notice_of(e) is not None]

    assert told == ["remind-1wd"]
