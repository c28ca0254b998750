"""The working-day calendar: official arrangements as data, a provisional rule otherwise."""

from domain.calendar.arrangement import ArrangementInvalid, NoCalendarData, YearArrangement
from domain.calendar.official import OfficialCalendar, official_calendar_id
from domain.calendar.statutory import (
    LunarToSolar,
    provisional_arrangement,
    qingming,
    statutory_holidays,
)
from domain.calendar.supported import (
    FIRST_YEAR,
    LAST_YEAR,
    OUT_OF_RANGE,
    check_supported_date,
    check_supported_year,
    is_supported_year,
)
from domain.calendar.working_calendar import WorkingCalendar

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "OUT_OF_RANGE",
    "ArrangementInvalid",
    "LunarToSolar",
    "NoCalendarData",
    "OfficialCalendar",
    "WorkingCalendar",
    "YearArrangement",
    "check_supported_date",
    "check_supported_year",
    "is_supported_year",
    "official_calendar_id",
    "provisional_arrangement",
    "qingming",
    "statutory_holidays",
]
