from datetime import date, datetime

import pytest

from domain.clocks import DEFAULT_LADDER
from workflows.schedule import (
    TIMEZONE,
    default_ladder,
    is_working_day,
    overdue_at,
    remind_at,
    working_days_before,
)


def test_overdue_starts_at_midnight_after_the_due_date_in_china() -> None:
    assert overdue_at(date(2026, 3, 31)) == datetime(2026, 4, 1, 0, 0, tzinfo=TIMEZONE)
    assert overdue_at(date(2026, 3, 31)).isoformat() == "2026-04-01T00:00:00+08:00"


def test_reminder_is_at_nine_three_working_days_before_an_ordinary_due_date() -> None:
    # Friday 2026-03-27: Thursday, Wednesday, Tuesday.
    assert remind_at(date(2026, 3, 27)) == datetime(2026, 3, 24, 9, 0, tzinfo=TIMEZONE)


def test_reminder_skips_the_weekend() -> None:
    # Tuesday 2026-03-31: Monday, then Friday and Thursday of the week before.
    assert remind_at(date(2026, 3, 31)) == datetime(2026, 3, 26, 9, 0, tzinfo=TIMEZONE)


def test_reminder_skips_the_national_day_holiday_and_counts_makeup_workdays() -> None:
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are workdays.
    assert not is_working_day(date(2025, 10, 6))
    assert is_working_day(date(2025, 9, 28))
    # Due Thursday 9 October: Sunday 28 Sep (makeup), Monday 29, Tuesday 30 September.
    assert working_days_before(date(2025, 10, 9), 1) == date(2025, 9, 30)
    assert working_days_before(date(2025, 10, 9), 3) == date(2025, 9, 28)


def test_years_without_an_official_calendar_use_the_provisional_statutory_rule() -> None:
    # No more Monday–Friday guess: 1 January is a statutory holiday whatever the year.
    assert not is_working_day(date(2030, 1, 1))  # a Tuesday, 元旦
    assert not is_working_day(date(2030, 1, 5))  # a Saturday
    assert working_days_before(date(2030, 1, 7), 1) == date(2030, 1, 4)
    assert working_days_before(date(2030, 1, 3), 1) == date(2030, 1, 2)


def test_number_of_working_days_is_configurable() -> None:
    assert remind_at(date(2026, 3, 27), 1) == datetime(2026, 3, 26, 9, 0, tzinfo=TIMEZONE)
    assert remind_at(date(2026, 3, 27), 0) == datetime(2026, 3, 27, 9, 0, tzinfo=TIMEZONE)


def test_reminder_is_never_after_the_overdue_instant() -> None:
    due = date(2026, 3, 27)
    assert remind_at(due, 0) < overdue_at(due)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError):
        working_days_before(date(2026, 3, 27), -1)


def test_the_configured_first_reminder_replaces_the_three_day_one_in_the_built_in_ladder() -> None:
    assert default_ladder() == DEFAULT_LADDER
    names = [r.name for r in default_ladder(5).rungs]
    assert names[:2] == ["remind-5wd", "remind-1wd"]
    assert "remind-3wd" not in names
    assert [r.name for r in default_ladder(1).rungs][:2] == ["remind-1wd", "overdue"]
