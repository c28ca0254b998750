"""Loading a year's official arrangement and reading what each year runs on: the one path
of `rectify calendar load` and of the workbench's 工作日历 page (api/calendar.py).

A load appends `OfficialCalendar.ArrangementLoaded` to the year's stream (who, from what
source, which days); the dispatcher follows the log and signals every open clock the year
touches, so neither caller has anything left to do afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.application import Application

from domain.calendar import NoCalendarData, OfficialCalendar, YearArrangement
from domain.calendar.service import get_official_calendar, load_arrangement
from domain.calendar.supported import FIRST_YEAR, LAST_YEAR, check_supported_year
from infrastructure.calendar_data import lunar_to_solar
from infrastructure.stored_calendar import StoredCalendar


class YearSource(StrEnum):
    LOADED = "LOADED"  # an arrangement an administrator loaded (events)
    PACKAGE = "PACKAGE"  # the chinesecalendar package's official data
    PROVISIONAL = "PROVISIONAL"  # the rule of 《全国年节及纪念日放假办法》, until one is loaded


@dataclass(frozen=True)
class YearInForce:
    arrangement: YearArrangement
    origin: YearSource
    loaded_by: str | None = None
    loaded_at: datetime | None = None


@dataclass(frozen=True)
class CalendarLoad:
    year: int
    changed: bool  # False: the same days were already in force
    # statutory holidays (元旦, 春节 …) the arrangement leaves as working days, by day
    missing_statutory: dict[date, str]


def statutory_days_missing(year: int, holidays: Iterable[date | str]) -> dict[date, str]:
    """The days the national regulation fixes as holidays (元旦, 春节 …) that an arrangement
    leaves as working days: most likely an incomplete file, as the State Council's notices
    always give them off (moved days aside)."""
    from domain.calendar.statutory import statutory_holidays

    listed = {d if isinstance(d, date) else date.fromisoformat(str(d)) for d in holidays}
    try:
        fixed = statutory_holidays(year, lunar_to_solar)
    except NoCalendarData:
        return {}
    return {day: name for day, name in fixed.items() if day not in listed}


def load_calendar(
    app: Application[UUID],
    year: int,
    holidays: Sequence[str | date],
    working_days: Sequence[str | date],
    source: str,
    actor: str,
) -> CalendarLoad:
    """Check the arrangement with the domain's rules (each problem names its field:
    `year`, `holidays[2]`, `source`), then record it; nothing is written when refused."""
    check_supported_year("year", year)
    parsed = YearArrangement.parse(year, holidays, working_days)
    missing = statutory_days_missing(year, parsed.holidays)
    changed = load_arrangement(app, year, holidays, working_days, source=source, actor=actor)
    return CalendarLoad(year, changed, missing)


def year_in_force(app: Application[UUID], year: int) -> YearInForce:
    """The arrangement the clocks count a year on, and where it comes from."""
    check_supported_year("year", year)
    return _in_force(app, year, get_official_calendar(app, year))


def years_in_force(app: Application[UUID], window: range) -> list[YearInForce]:
    """Every year of `window`, and every other supported year someone loaded, in order."""
    found: list[YearInForce] = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        loaded = get_official_calendar(app, year)
        if year in window or (loaded is not None and loaded.loads):
            found.append(_in_force(app, year, loaded))
    return found


def _in_force(app: Application[UUID], year: int, loaded: OfficialCalendar | None) -> YearInForce:
    own = loaded.arrangement() if loaded is not None else None
    # the year's stream is read already: the calendar need not read it again
    arrangement = StoredCalendar(app, replace={year: own}).arrangement(year)
    if loaded is not None and own is not None:
        return YearInForce(arrangement, YearSource.LOADED, loaded.actor, loaded.modified_on)
    origin = YearSource.PACKAGE if arrangement.official else YearSource.PROVISIONAL
    return YearInForce(arrangement, origin)
