"""When an issue's clock rings, on the working calendar: pure date arithmetic, no I/O.

A deadline date means "by the end of that day" in China Standard Time, so the issue is
overdue from 00:00 of the next day. Reminders go out at 09:00 a number of working days
before the due date. Working days come from a WorkingCalendar: official (or loaded) data
where there is some, the provisional rule of the national regulation elsewhere — never a
plain Monday–Friday guess. The general arithmetic lives in domain.clocks.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from domain.calendar import WorkingCalendar
from domain.clock_settings import DEFAULT_REMINDER_WORKING_DAYS
from domain.clock_settings import reminder_ladder as default_ladder
from domain.clocks import TIMEZONE, end_of_day
from rectify.calendar_data import build_calendar

__all__ = ["TIMEZONE", "default_ladder", "overdue_at", "remind_at"]

REMIND_TIME = time(9, 0)


def _calendar(calendar: WorkingCalendar | None) -> WorkingCalendar:
    return calendar if calendar is not None else build_calendar()


def is_working_day(day: date, calendar: WorkingCalendar | None = None) -> bool:
    return _calendar(calendar).is_working_day(day)


def working_days_before(due: date, count: int, calendar: WorkingCalendar | None = None) -> date:
    """The day `count` working days before `due` (`due` itself when count is 0)."""
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return due
    return _calendar(calendar).add_working_days(due, -count)


def overdue_at(due: date, tz: ZoneInfo = TIMEZONE) -> datetime:
    return end_of_day(due, tz)


def remind_at(
    due: date,
    working_days: int = DEFAULT_REMINDER_WORKING_DAYS,
    tz: ZoneInfo = TIMEZONE,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    day = working_days_before(due, working_days, calendar)
    # Never later than the overdue instant, whatever the configuration says.
    return min(datetime.combine(day, REMIND_TIME, tzinfo=tz), overdue_at(due, tz))
