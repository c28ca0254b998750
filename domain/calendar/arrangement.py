"""One year's arrangement: which days are off and which weekend days are worked (调休).

A value, checked when built, so a calendar never holds a day that is both off and worked,
or a day of another year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.calendar.supported import FIRST_YEAR as FIRST
from domain.calendar.supported import LAST_YEAR as LAST
from domain.errors import DomainError, InvalidInput
from domain.messages import joined, says

# What the calendar can count (the lunar conversion's range, for the provisional rule of a
# year before a due: reminders count back); a user may name only domain.calendar.supported's.
FIRST_YEAR, LAST_YEAR = 1900, 2099
SATURDAY = 5


class ArrangementInvalid(InvalidInput):
    """Every problem of an arrangement at once; field and message are those of the first."""

    def __init__(self, problems: list[InvalidInput]) -> None:
        self.problems = problems
        first = problems[0]
        more = says("and_more", count=len(problems) - 1)
        super().__init__(
            first.field, joined(first.message, more) if problems[1:] else first.message
        )


class NoCalendarData(DomainError):
    """A day of a year for which there is neither data nor a rule to compute it."""

    code = "NO_CALENDAR_DATA"

    def __init__(self, year: int, detail: str = "") -> None:
        self.year = year
        message = says("no_calendar", year=year)
        super().__init__(joined(message, detail) if detail else message)


@dataclass(frozen=True)
class YearArrangement:
    """Days off (any weekday; holiday blocks include their weekends) and worked weekends.

    official: published by the State Council (or loaded by an administrator);
    False when computed by the provisional rule.
    """

    year: int
    holidays: frozenset[date]
    working_days: frozenset[date]
    official: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        problems = _problems(self.year, sorted(self.holidays), sorted(self.working_days))
        if problems:
            raise ArrangementInvalid(problems)

    @classmethod
    def parse(
        cls,
        year: int,
        holidays: Sequence[str | date],
        working_days: Sequence[str | date],
        *,
        official: bool = True,
        source: str = "",
    ) -> YearArrangement:
        """From ISO strings or dates; problems name the list and the index (holidays[2])."""
        problems: list[InvalidInput] = []
        if not isinstance(year, int) or isinstance(year, bool):
            raise InvalidInput("year", says("not_a_year", year=year))
        off = _dates("holidays", holidays, problems)
        worked = _dates("working_days", working_days, problems)
        problems += _problems(year, off, worked)
        if problems:
            raise ArrangementInvalid(problems)
        return cls(year, frozenset(d for _, d in off), frozenset(d for _, d in worked),
                   official, source)  # fmt: skip

    def is_working_day(self, day: date) -> bool:
        return day in self.working_days or (day.weekday() < SATURDAY and day not in self.holidays)

    def same_days(self, other: YearArrangement) -> bool:
        return (self.year, self.holidays, self.working_days) == (
            other.year,
            other.holidays,
            other.working_days,
        )


def _dates(
    field: str, values: Sequence[str | date], problems: list[InvalidInput]
) -> list[tuple[int, date]]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        problems.append(InvalidInput(field, says("not_a_date_list")))
        return []
    found: list[tuple[int, date]] = []
    for index, value in enumerate(values):
        if isinstance(value, date):
            found.append((index, value))
            continue
        try:
            found.append((index, date.fromisoformat(str(value).strip())))
        except ValueError:
            problems.append(InvalidInput(f"{field}[{index}]", says("not_a_date", value=value)))
    return found


def _problems(
    year: int,
    holidays: Sequence[tuple[int, date]] | Sequence[date],
    working_days: Sequence[tuple[int, date]] | Sequence[date],
) -> list[InvalidInput]:
    problems: list[InvalidInput] = []
    if not FIRST_YEAR <= year <= LAST_YEAR:
        # Outside what can be counted is outside what is supported too: one message.
        return [
            InvalidInput("year", says("year_outside_calendar", year=year, first=FIRST, last=LAST))
        ]
    off = _indexed(holidays)
    worked = _indexed(working_days)
    for index, day in off:
        if day.year != year:
            problems.append(
                InvalidInput(f"holidays[{index}]", says("day_not_in_year", day=day, year=year))
            )
    off_days = {day for _, day in off}
    for index, day in worked:
        field = f"working_days[{index}]"
        if day.year != year:
            problems.append(InvalidInput(field, says("day_not_in_year", day=day, year=year)))
        elif day in off_days:
            problems.append(InvalidInput(field, says("day_also_holiday", day=day)))
        elif day.weekday() < SATURDAY:
            # Monday–Friday are worked anyway: listing one is most likely a typo.
            problems.append(InvalidInput(field, says("weekday_adjusted", day=day)))
    return problems


def _indexed(days: Sequence[tuple[int, date]] | Sequence[date]) -> list[tuple[int, date]]:
    return [d if isinstance(d, tuple) else (i, d) for i, d in enumerate(days)]
