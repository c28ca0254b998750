"""The provisional rule for a year whose official arrangement is not published yet.

《全国年节及纪念日放假办法》 (2025 revision, in force since 2025-01-01), article 2, fixes
the public holidays of all citizens: 元旦 1 January; 春节 除夕 and the 1st–3rd of the first
lunar month; 清明 (the solar term); 劳动节 1–2 May; 端午 (lunar 5/5); 中秋 (lunar 8/15);
国庆节 1–3 October. Article 6: a holiday of all citizens that falls on a Saturday or Sunday
is made up on a working day (补假). The yearly 调休 cannot be predicted, so none is assumed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from domain.calendar.arrangement import NoCalendarData, YearArrangement
from domain.messages import says

LunarToSolar = Callable[[int, int, int], date]
"""(lunar year, lunar month, day) of an ordinary (non-leap) month → the solar date.
Supplied by an adapter (e.g. the lunardate package) so the domain imports nothing else."""

RULE_SOURCE = "《全国年节及纪念日放假办法》(2025) provisional rule"
SATURDAY = 5
_BEIJING = timedelta(hours=8)
_DELTA_T = timedelta(seconds=70)  # terrestrial minus universal time, about 70 s this century
_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def statutory_holidays(year: int, lunar_to_solar: LunarToSolar) -> dict[date, str]:
    """The days off the regulation fixes for this year, with their names (no 补假)."""
    try:
        new_year = lunar_to_solar(year, 1, 1)
        dragon_boat = lunar_to_solar(year, 5, 5)
        mid_autumn = lunar_to_solar(year, 8, 15)
    except ValueError as error:  # the converter's range is its own business
        raise NoCalendarData(year, says("no_lunar_dates", error=error)) from None
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    for offset in range(-1, 3):  # 除夕, 初一, 初二, 初三
        days[new_year + timedelta(days=offset)] = "春节"
    days[qingming(year)] = "清明节"
    days.update({date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节"})
    days[dragon_boat] = "端午节"
    days[mid_autumn] = "中秋节"
    for day in (1, 2, 3):
        days.setdefault(date(year, 10, day), "国庆节")
    if date(year, 10, 1) <= mid_autumn <= date(year, 10, 3):
        # Both festivals on one day still give both their days off: in 2020 (中秋 on
        # 1 October) the State Council gave 1–8 October, four statutory days. So the day
        # after 国庆 is off as well (made up on a weekday below if it is a weekend).
        days[date(year, 10, 4)] = "中秋节（与国庆节同日，顺延）"
    return days


def make_up_days(holidays: dict[date, str]) -> dict[date, str]:
    """补假: each holiday on a weekend gives the first later Monday–Friday not yet off."""
    made_up: dict[date, str] = {}
    for day in sorted(holidays):
        if day.weekday() < SATURDAY:
            continue
        candidate = day + timedelta(days=1)
        while candidate.weekday() >= SATURDAY or candidate in holidays or candidate in made_up:
            candidate += timedelta(days=1)
        made_up[candidate] = f"补假（{holidays[day]}）"
    return made_up


def provisional_arrangement(
    year: int, lunar_to_solar: LunarToSolar, *, make_up: bool = True
) -> YearArrangement:
    holidays = statutory_holidays(year, lunar_to_solar)
    if make_up:
        holidays |= make_up_days(holidays)
    return YearArrangement(year, frozenset(holidays), frozenset(), official=False,
                           source=RULE_SOURCE)  # fmt: skip


def qingming(year: int) -> date:
    """The Beijing-time day on which the sun's apparent longitude reaches 15° (清明)."""
    day = date(year, 4, 2)
    while _sun_longitude(_beijing_midnight(day + timedelta(days=1))) < 15.0:
        day += timedelta(days=1)
    return day


def _beijing_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - _BEIJING


def _sun_longitude(moment: datetime) -> float:
    """Apparent ecliptic longitude of the sun in degrees, to about 0.01° (Meeus, ch. 25)."""
    t = (moment + _DELTA_T - _J2000).total_seconds() / 86400 / 36525
    mean_longitude = 280.46646 + 36000.76983 * t + 0.0003032 * t * t
    anomaly = math.radians(357.52911 + 35999.05029 * t - 0.0001537 * t * t)
    centre = (
        (1.914602 - 0.004817 * t - 0.000014 * t * t) * math.sin(anomaly)
        + (0.019993 - 0.000101 * t) * math.sin(2 * anomaly)
        + 0.000289 * math.sin(3 * anomaly)
    )
    node = math.radians(125.04 - 1934.136 * t)
    return (mean_longitude + centre - 0.00569 - 0.00478 * math.sin(node)) % 360
