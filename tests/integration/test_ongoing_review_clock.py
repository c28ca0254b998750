"""An ongoing issue (立行立改，长期坚持) has no due date but owes a progress report at least
every three months: its clock reminds, records the review overdue and escalates, and a
progress report starts the next period. On the time-skipping server."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import eventsourcing.domain
import pytest

from domain.clocks import TIMEZONE
from domain.deadlines import Deadline
from domain.issues import REVIEW_MONTHS, RectificationIssue
from domain.names import agency_id
from infrastructure.calendar_data import build_calendar
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,
    register_issue,
    rungs,
    sign_off,
)

__all__ = ["clocks_fixture"]  # provides the `clocks` fixture
CAL = build_calendar()
MINUTE = timedelta(minutes=1)


def review_due(anchor: datetime) -> datetime:
    """End of the last day of the month REVIEW_MONTHS after the anchor's, China time."""
    day = anchor.astimezone(TIMEZONE).date()
    months = day.year * 12 + day.month - 1 + REVIEW_MONTHS
    year, month = divmod(months, 12)
    last = date(year, month + 1, monthrange(year, month + 1)[1])
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=TIMEZONE)


def nine_before(due: datetime, working_days: int) -> datetime:
    day = (due - timedelta(days=1)).date()
    return datetime.combine(CAL.add_working_days(day, -working_days), time(9), tzinfo=TIMEZONE)


@pytest.fixture
def virtual_stamps(clocks: Clocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """Events stamped with the test server's time, set by the test before each command."""
    now: list[datetime] = []
    original = eventsourcing.domain.datetime_now_with_tzinfo
    monkeypatch.setattr(
        eventsourcing.domain, "datetime_now_with_tzinfo", lambda: now[-1] if now else original()
    )
    yield now


async def test_an_ongoing_issue_is_reminded_of_its_review_and_a_report_starts_the_next(
    clocks: Clocks, virtual_stamps: list[datetime]
) -> None:
    app = clocks.app
    virtual_stamps.append(await clocks.env.get_current_time())
    issue_id = register_issue(app, Deadline.ongoing())
    registered = app.get_issue(issue_id).created_on
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    first = review_due(registered)

    scheduled = [
        e for e in app.events.get(issue_id) if isinstance(e, RectificationIssue.ClockScheduled)
    ]
    assert [e.due for e in scheduled] == [first]

    await clocks.sleep_until(nine_before(first, 3) + MINUTE)
    assert [(r[1], r[2]) for r in rungs(app, issue_id)] == [("remind-3wd", nine_before(first, 3))]

    # the lead agency reports progress: that is the review; the next is three months on
    reported_at = await clocks.env.get_current_time()
    virtual_stamps.append(reported_at)
    app.report_progress(issue_id, agency_id("县卫健局"), "本季度持续整治情况", [], "联络员")
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    second = review_due(reported_at)
    assert second > first
    moved = [
        (e.previous, e.due)
        for e in app.events.get(issue_id)
        if isinstance(e, RectificationIssue.DueDateRecomputed)
    ]
    assert moved == [(first, second)]

    await clocks.sleep_until(first + timedelta(days=7))
    assert len(rungs(app, issue_id)) == 1  # the old period neither reminds again nor is overdue

    await clocks.sleep_until(second + MINUTE)
    assert [(r[0], r[1], r[2]) for r in rungs(app, issue_id)] == [
        ("ReminderRecorded", "remind-3wd", nine_before(first, 3)),
        ("ReminderRecorded", "remind-3wd", nine_before(second, 3)),
        ("ReminderRecorded", "remind-1wd", nine_before(second, 1)),
        ("OverdueRecorded", "overdue", second),
    ]
    keys = [e.key for e in app.events.get(issue_id) if hasattr(e, "key")]
    assert all(":review:" in key for key in keys)

    virtual_stamps.append(await clocks.env.get_current_time())
    sign_off(app, issue_id)
    await clocks.dispatcher.dispatch_pending()
    assert await clocks.handle(issue_id).result() == "closed"
