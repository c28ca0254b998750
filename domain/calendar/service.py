"""Use cases of the calendar, on any eventsourcing application that stores our aggregates.

Streams are read by id (uuid5 of the year), so no read model is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.calendar.arrangement import YearArrangement
from domain.calendar.official import OfficialCalendar, official_calendar_id
from domain.errors import Conflict, InvalidInput
from domain.messages import says

MAX_ATTEMPTS = 5


def get_official_calendar(app: Application[UUID], year: int) -> OfficialCalendar | None:
    try:
        found: object = app.repository.get(official_calendar_id(year))
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, OfficialCalendar) else None


def load_arrangement(
    app: Application[UUID],
    year: int,
    holidays: Sequence[str | date],
    working_days: Sequence[str | date],
    source: str,
    actor: str,
) -> bool:
    """Record the year's arrangement; False when it holds exactly the days already in force.

    Two administrators loading at once: the loser reloads and decides again.
    """
    if not isinstance(year, int) or isinstance(year, bool):
        raise InvalidInput("year", says("not_a_year", year=year))
    for _ in range(MAX_ATTEMPTS):
        calendar = get_official_calendar(app, year) or OfficialCalendar(year)
        changed = calendar.load(holidays, working_days, source, actor)
        if not changed:
            return False
        try:
            app.save(calendar)
        except IntegrityError:
            continue
        return True
    raise Conflict(says("calendar_kept_changing", year=year))


def loaded_arrangement(app: Application[UUID], year: int) -> YearArrangement | None:
    calendar = get_official_calendar(app, year)
    return calendar.arrangement() if calendar is not None else None


def loaded_years(app: Application[UUID], years: Iterable[int]) -> dict[int, YearArrangement]:
    """The arrangements loaded for these years (years never loaded are absent)."""
    found: dict[int, YearArrangement] = {}
    for year in years:
        arrangement = loaded_arrangement(app, year)
        if arrangement is not None:
            found[year] = arrangement
    return found
