"""The working-day calendar: official arrangements as data, a provisional rule otherwise."""

from domain.calendar.arrangement import ArrangementInvalid, NoCalendarData, YearArrangement
from domain.calendar.official import OfficialCalendar, official_calendar_id
from domain.calendar.statutory import (
    LunarToSolar,
    provisional_arrangement,
    qingming,
    statutory_holidays,
)
from domain.calendar.working_calendar import WorkingCalendar

__all__ = [
    "ArrangementInvalid",
    "LunarToSolar",
    "NoCalendarData",
    "OfficialCalendar",
    "WorkingCalendar",
    "YearArrangement",
    "official_calendar_id",
    "provisional_arrangement",
    "qingming",
    "statutory_holidays",
]
