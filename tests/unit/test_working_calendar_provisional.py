"""Years without official data: Monday–Friday minus the holidays the regulation fixes."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar  # type: ignore[import-untyped]
import pytest
from lunardate import LunarDate  # type: ignore[import-untyped]

from domain.calendar import (
    NoCalendarData,
    WorkingCalendar,
    YearArrangement,
    qingming,
    statutory_holidays,
)
from infrastructure.calendar_data import build_calendar, lunar_to_solar

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return build_calendar()


def test_lunardate_agrees_on_the_2027_festivals() -> None:
    assert LunarDate(2027, 1, 1).to_solar_date() == D("2027-02-06")
    assert lunar_to_solar(2027, 8, 15) == D("2027-09-15")


def test_2027_spring_festival_is_new_years_eve_to_the_third_day_provisionally(
    cal: WorkingCalendar,
) -> None:
    for day in ("2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"):
        assert not cal.is_working_day(D(day)), day
    assert cal.is_working_day(D("2027-02-04"))
    assert cal.is_provisional(D("2027-02-05"))


def test_holidays_on_a_weekend_are_made_up_on_the_next_free_weekdays(
    cal: WorkingCalendar,
) -> None:
    # 初一 and 初二 2027 are Saturday and Sunday: Tuesday 9 and Wednesday 10 are off instead.
    assert not cal.is_working_day(D("2027-02-09"))
    assert not cal.is_working_day(D("2027-02-10"))
    assert cal.is_working_day(D("2027-02-11"))
    assert cal.add_working_days(D("2027-02-04"), 1) == D("2027-02-11")


def test_make_up_days_can_be_switched_off_for_plain_monday_to_friday() -> None:
    plain = WorkingCalendar((), lunar_to_solar, make_up=False)
    assert plain.is_working_day(D("2027-02-09"))
    assert plain.add_working_days(D("2027-02-04"), 1) == D("2027-02-09")


def test_qingming_dragon_boat_mid_autumn_and_fixed_days_of_2027(cal: WorkingCalendar) -> None:
    for day in ("2027-01-01", "2027-04-05", "2027-05-03", "2027-06-09", "2027-09-15"):
        assert not cal.is_working_day(D(day)), day
    assert not any(cal.is_working_day(D(f"2027-10-0{d}")) for d in (1, 4, 5))
    assert cal.is_working_day(D("2027-10-06"))
    assert cal.is_provisional(D("2027-04-05"))


def test_statutory_holidays_are_named_after_the_regulation() -> None:
    days = statutory_holidays(2027, lunar_to_solar)
    assert days[D("2027-02-05")] == "春节"  # 除夕
    assert days[D("2027-04-05")] == "清明节"
    assert days[D("2027-06-09")] == "端午节"
    assert len(days) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3 days (2025 revision)


def test_mid_autumn_on_national_day_still_gives_both_their_days_off() -> None:
    """As in 2020 (中秋 on 1 October: 1–8 October off, four statutory days)."""
    days = statutory_holidays(2031, lunar_to_solar)  # 中秋 2031 is 1 October
    assert lunar_to_solar(2031, 8, 15) == D("2031-10-01")
    assert len(days) == 13
    assert days[D("2031-10-04")].startswith("中秋节")
    assert [D(f"2031-10-0{n}") in days for n in range(1, 6)] == [True] * 4 + [False]


def test_mid_autumn_apart_from_national_day_adds_no_day_after_it() -> None:
    days = statutory_holidays(2027, lunar_to_solar)  # 中秋 2027 is 15 September
    assert D("2027-10-04") not in days


def test_qingming_matches_the_solar_term_tables_for_two_centuries() -> None:
    for year in range(1901, 2100):
        (term,) = [
            d
            for d, name in chinese_calendar.get_solar_terms(D(f"{year}-04-01"), D(f"{year}-04-10"))
            if name == "清明"
        ]
        assert qingming(year) == term, year


def test_qingming_agrees_with_the_official_holiday_of_recent_years() -> None:
    assert qingming(2024) == D("2024-04-04")
    assert qingming(2025) == D("2025-04-04")
    assert qingming(2026) == D("2026-04-05")


def test_a_range_touching_a_provisional_year_is_flagged(cal: WorkingCalendar) -> None:
    assert cal.provisional_between(D("2026-12-01"), D("2027-01-15"))
    assert not cal.provisional_between(D("2026-01-01"), D("2026-12-31"))
    assert cal.is_provisional(D("2003-06-01"))  # before the package's data too


def test_loading_2027_overrides_the_provisional_rule(cal: WorkingCalendar) -> None:
    official = YearArrangement.parse(
        2027,
        [f"2027-02-{d:02d}" for d in range(5, 14)] + ["2027-01-01"],
        ["2027-02-20"],
        source="test notice",
    )
    loaded = cal.with_arrangements([official])
    assert not loaded.is_provisional(D("2027-02-05"))
    assert not loaded.is_working_day(D("2027-02-12"))  # off in the notice, not by the rule
    assert loaded.is_working_day(D("2027-02-20"))  # make-up Saturday
    assert loaded.is_working_day(D("2027-04-05"))  # the notice did not list Qingming
    assert cal.is_provisional(D("2027-02-05"))  # the original calendar is unchanged
    assert loaded.add_working_days(D("2027-02-04"), 1) == D("2027-02-15")


def test_a_loaded_arrangement_overrides_the_package_for_its_year(cal: WorkingCalendar) -> None:
    local = YearArrangement.parse(2025, ["2025-01-01", "2025-03-03"], [], source="local")
    assert not cal.with_arrangements([local]).is_working_day(D("2025-03-03"))
    assert cal.with_arrangements([local]).is_working_day(D("2025-10-08"))


def test_without_lunar_conversion_a_year_without_data_is_refused() -> None:
    with pytest.raises(NoCalendarData, match="2027"):
        WorkingCalendar().is_working_day(D("2027-03-01"))


def test_beyond_the_lunar_tables_the_refusal_names_the_year(cal: WorkingCalendar) -> None:
    with pytest.raises(NoCalendarData, match="2100"):
        cal.is_working_day(D("2100-03-01"))


def test_working_days_run_from_an_official_year_into_a_provisional_one(
    cal: WorkingCalendar,
) -> None:
    due = cal.add_working_days(D("2026-12-30"), 3)
    assert due == D("2027-01-05")  # Thu 31, (Fri 1 Jan off), Mon 4, Tue 5
    assert cal.provisional_between(D("2026-12-30"), due)
    assert due - D("2026-12-30") == timedelta(days=6)
