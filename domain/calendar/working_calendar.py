"""Due dates on the working-day calendar: official data per year, the rule elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from domain.calendar.arrangement import NoCalendarData, YearArrangement
from domain.calendar.statutory import LunarToSolar, provisional_arrangement
from domain.errors import InvalidInput
from domain.messages import says

ONE_DAY = timedelta(days=1)


class WorkingCalendar:
    """Immutable in behaviour: a year's arrangement, once looked at, never changes here.

    arrangements: official (or loaded) data by year. For any other year the provisional rule
    applies, which needs lunar_to_solar; without it such a year raises NoCalendarData.
    """

    def __init__(
        self,
        arrangements: Iterable[YearArrangement] = (),
        lunar_to_solar: LunarToSolar | None = None,
        *,
        make_up: bool = True,
    ) -> None:
        self._given: dict[int, YearArrangement] = {a.year: a for a in arrangements}
        self._lunar_to_solar = lunar_to_solar
        self._make_up = make_up
        self._computed: dict[int, YearArrangement] = {}  # provisional years, computed once

    def with_arrangements(self, arrangements: Iterable[YearArrangement]) -> WorkingCalendar:
        """A new calendar in which these arrangements replace what was there for their years."""
        merged = dict(self._given) | {a.year: a for a in arrangements}
        return WorkingCalendar(merged.values(), self._lunar_to_solar, make_up=self._make_up)

    @property
    def years(self) -> Mapping[int, YearArrangement]:
        """The years given as data (not those computed by the rule)."""
        return dict(self._given)

    def arrangement(self, year: int) -> YearArrangement:
        found = self._given.get(year) or self._computed.get(year)
        if found is None:
            if self._lunar_to_solar is None:
                raise NoCalendarData(year, says("no_official_data"))
            found = provisional_arrangement(year, self._lunar_to_solar, make_up=self._make_up)
            self._computed[year] = found
        return found

    # -- questions about one day ---------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        day = _day(day)
        return self.arrangement(day.year).is_working_day(day)

    def is_provisional(self, day: date) -> bool:
        return not self.arrangement(_day(day).year).official

    def provisional_between(self, a: date, b: date) -> bool:
        """Whether any year from a to b (either order) has no official data."""
        first, last = sorted((_day(a).year, _day(b).year))
        return any(not self.arrangement(y).official for y in range(first, last + 1))

    def next_working_day(self, day: date) -> date:
        """The day itself if it is a working day, else the first working day after it."""
        day = _day(day)
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    # -- periods -------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start (start never counts), so always a working day.

        n = 0 gives start if it is a working day, else the next one; a negative n counts
        back (the n-th working day before start), for reminders before a due date.
        """
        day = _day(start)
        _check_count("n", n, allow_negative=True)
        if n == 0:
            return self.next_working_day(day)
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def add_calendar_days_statutory(self, start: date, n: int) -> date:
        """Statutory period of n calendar days; a last day that is not worked moves forward."""
        _check_count("n", n)
        return self.next_working_day(_day(start) + timedelta(days=n))

    def add_hours(self, start: datetime, n: int) -> datetime:
        """Plain elapsed hours, holidays included; aware times stay in their zone."""
        if not isinstance(start, datetime):
            raise InvalidInput("start", says("hours_need_time"))
        _check_count("n", n)
        if start.tzinfo is None:
            return start + timedelta(hours=n)
        # Through UTC, so that a daylight-saving zone still gets elapsed hours.
        return (start.astimezone(UTC) + timedelta(hours=n)).astimezone(start.tzinfo)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b] when b is after a; minus those in [b, a) when before.

        The inverse of add_working_days in both directions:
        working_days_between(a, add_working_days(a, n)) == n for every n but 0.
        """
        a, b = _day(a), _day(b)
        if b < a:
            return -self.working_days_between(b - ONE_DAY, a - ONE_DAY)
        count, day = 0, a
        while day < b:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count


def _day(value: date) -> date:
    # A datetime is a date too, but never equal to one: compare on the calendar day.
    return value.date() if isinstance(value, datetime) else value


def _check_count(field: str, n: int, *, allow_negative: bool = False) -> None:
    if not isinstance(n, int) or isinstance(n, bool):
        raise InvalidInput(field, says("not_whole_number", n=n))
    if n < 0 and not allow_negative:
        raise InvalidInput(field, says("negative_period", n=n))
