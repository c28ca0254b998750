"""The years a date may name wherever a clock will count on it.

One place for the range, so every edge refuses the same dates with the same words.

Why 2000–2099: the working calendar counts a year from official data (the
`chinesecalendar` package, 2004–2026, or an arrangement an administrator loads) or, for
any other year, by the provisional rule, whose lunar festivals come from `lunardate`,
which knows lunar years 1900–2099 only. A year after 2099 cannot be counted at all; a year
before 2000 can, but only by today's regulation, which did not apply then (the holidays of
the 1990s differ), and such a date is far more likely a typo (`0026`, `1026`). The CLI's
`--year` already says 2000..2099.

A due date late in 2099 can still lead a clock into 2100 (escalation rungs count working
days after the due): that clock fails visibly (a clock fault), never silently.
"""

from __future__ import annotations

from datetime import date

from domain.errors import InvalidInput
from domain.messages import says

FIRST_YEAR = 2000
LAST_YEAR = 2099
OUT_OF_RANGE = (
    f"超出日历支持范围（{FIRST_YEAR}–{LAST_YEAR}年）"
    f" / outside the years the calendar supports ({FIRST_YEAR}–{LAST_YEAR})"
)


def is_supported_year(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def check_supported_year(field: str, year: int) -> None:
    """Refuse a year outside the range, naming the field."""
    if not is_supported_year(year):
        raise InvalidInput(
            field, says("year_outside_calendar", year=year, first=FIRST_YEAR, last=LAST_YEAR)
        )


def check_supported_date(field: str, day: date) -> None:
    """Refuse a date (or date-time) outside the range, naming the field."""
    if not is_supported_year(day.year):
        raise InvalidInput(
            field,
            says("date_outside_calendar", day=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR),
        )
