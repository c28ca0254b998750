"""The working-day calendar on real official dates (chinesecalendar data, 2024–2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import WorkingCalendar
from domain.errors import InvalidInput
from infrastructure.calendar_data import build_calendar

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return build_calendar()


def _days(first: str, last: str) -> list[date]:
    start, end = D(first), D(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_spring_festival_2025_is_off_and_its_two_makeup_sundays_and_saturdays_are_worked(
    cal: WorkingCalendar,
) -> None:
    assert not any(cal.is_working_day(d) for d in _days("2025-01-28", "2025-02-04"))
    assert cal.is_working_day(D("2025-01-26"))  # Sunday, worked
    assert cal.is_working_day(D("2025-02-08"))  # Saturday, worked
    assert cal.is_working_day(D("2025-01-27")) and cal.is_working_day(D("2025-02-05"))


def test_national_day_2025_is_eight_days_off_with_two_makeup_weekend_days(
    cal: WorkingCalendar,
) -> None:
    assert not any(cal.is_working_day(d) for d in _days("2025-10-01", "2025-10-08"))
    assert cal.is_working_day(D("2025-09-28")) and cal.is_working_day(D("2025-10-11"))
    assert not cal.is_working_day(D("2025-10-12"))  # an ordinary Sunday


def test_may_day_2025_is_five_days_off_with_sunday_27_april_worked(cal: WorkingCalendar) -> None:
    assert not any(cal.is_working_day(d) for d in _days("2025-05-01", "2025-05-05"))
    assert cal.is_working_day(D("2025-04-27"))


def test_2024_and_2026_spring_festivals_follow_their_own_notices(cal: WorkingCalendar) -> None:
    assert not any(cal.is_working_day(d) for d in _days("2024-02-10", "2024-02-17"))
    assert cal.is_working_day(D("2024-02-04")) and cal.is_working_day(D("2024-02-18"))
    assert not any(cal.is_working_day(d) for d in _days("2026-02-15", "2026-02-23"))
    assert cal.is_working_day(D("2026-02-14")) and cal.is_working_day(D("2026-02-28"))


def test_official_years_are_not_provisional(cal: WorkingCalendar) -> None:
    assert not cal.is_provisional(D("2025-06-01"))
    assert not cal.is_provisional(D("2026-12-31"))


def test_working_days_skip_the_spring_festival_and_count_the_makeup_saturday(
    cal: WorkingCalendar,
) -> None:
    assert cal.add_working_days(D("2025-01-27"), 1) == D("2025-02-05")
    # Wed 5, Thu 6, Fri 7, Sat 8 (make-up), Mon 10.
    assert cal.add_working_days(D("2025-01-27"), 5) == D("2025-02-10")


def test_working_days_counted_from_a_makeup_sunday_start_on_the_next_working_day(
    cal: WorkingCalendar,
) -> None:
    # Sunday 26 January 2025 is worked but the start never counts.
    assert cal.add_working_days(D("2025-01-26"), 1) == D("2025-01-27")
    assert cal.add_working_days(D("2025-01-26"), 2) == D("2025-02-05")


def test_working_days_across_national_day_2025(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2025-09-26"), 1) == D("2025-09-28")  # make-up Sunday
    assert cal.add_working_days(D("2025-09-30"), 1) == D("2025-10-09")
    assert cal.add_working_days(D("2025-09-30"), 3) == D("2025-10-11")  # make-up Saturday


def test_a_start_inside_a_holiday_counts_from_the_first_day_back(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2025-05-02"), 1) == D("2025-05-06")
    assert cal.add_working_days(D("2025-05-02"), 0) == D("2025-05-06")
    assert cal.add_working_days(D("2025-05-06"), 0) == D("2025-05-06")


def test_negative_working_days_count_back_for_reminders(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2025-10-09"), -1) == D("2025-09-30")
    assert cal.add_working_days(D("2025-10-09"), -3) == D("2025-09-28")


def test_sixty_working_days_across_the_2026_spring_festival(cal: WorkingCalendar) -> None:
    due = cal.add_working_days(D("2026-01-05"), 60)
    # 19 in January, 16 in February (with make-up Saturdays 14 and 28), 22 in March.
    assert due == D("2026-04-03")
    assert cal.working_days_between(D("2026-01-05"), due) == 60
    assert cal.add_working_days(D("2026-01-05"), 61) == D("2026-04-07")  # 4–6 April off


def test_working_days_between_is_the_inverse_of_adding_in_both_directions(
    cal: WorkingCalendar,
) -> None:
    start = D("2025-09-20")
    for n in (*range(1, 25), *range(-25, 0)):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n
    assert cal.working_days_between(D("2025-10-01"), D("2025-10-08")) == 0


def test_statutory_calendar_days_ending_in_a_holiday_move_to_the_next_working_day(
    cal: WorkingCalendar,
) -> None:
    assert cal.add_calendar_days_statutory(D("2025-09-27"), 4) == D("2025-10-09")
    assert cal.add_calendar_days_statutory(D("2025-01-20"), 10) == D("2025-02-05")


def test_statutory_period_ending_on_a_makeup_working_day_stays_there(
    cal: WorkingCalendar,
) -> None:
    assert cal.add_calendar_days_statutory(D("2025-09-21"), 7) == D("2025-09-28")


def test_statutory_period_ending_on_an_ordinary_weekend_moves_to_monday(
    cal: WorkingCalendar,
) -> None:
    assert cal.add_calendar_days_statutory(D("2025-03-01"), 14) == D("2025-03-17")


def test_hours_are_plain_elapsed_hours_through_holidays(cal: WorkingCalendar) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    start = datetime(2025, 9, 30, 10, 0, tzinfo=shanghai)
    assert cal.add_hours(start, 24) == datetime(2025, 10, 1, 10, 0, tzinfo=shanghai)
    assert cal.add_hours(start, 72).isoformat() == "2025-10-03T10:00:00+08:00"


def test_hours_in_a_daylight_saving_zone_are_elapsed_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward on 30 March 2025
    start = datetime(2025, 3, 29, 12, 0, tzinfo=berlin)
    due = WorkingCalendar().add_hours(start, 24)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert due.hour == 13  # a wall-clock day later would have been 12:00, 23 hours


def test_datetimes_are_taken_as_their_calendar_day(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(datetime(2025, 10, 1, 9, 0))
    assert cal.add_working_days(datetime(2025, 9, 30, 18, 0), 1) == D("2025-10-09")


def test_negative_or_fractional_periods_are_refused_naming_the_field(
    cal: WorkingCalendar,
) -> None:
    with pytest.raises(InvalidInput, match=r"^n: "):
        cal.add_calendar_days_statutory(D("2025-01-01"), -1)
    with pytest.raises(InvalidInput, match=r"^n: "):
        cal.add_hours(datetime(2025, 1, 1), -2)
    with pytest.raises(InvalidInput, match=r"^n: "):
        cal.add_working_days(D("2025-01-01"), 1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"^start: "):
        cal.add_hours(D("2025-01-01"), 2)  # type: ignore[arg-type]
