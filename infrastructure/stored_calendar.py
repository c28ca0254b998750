"""The working calendar the clocks run on: loaded arrangements first, then package data
(chinesecalendar), then the provisional rule (lunardate) — never chinese_calendar alone."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from eventsourcing.application import Application

from domain.calendar import WorkingCalendar, YearArrangement
from domain.calendar.service import loaded_arrangement
from infrastructure.calendar_data import lunar_to_solar, package_arrangements


class StoredCalendar(WorkingCalendar):
    """Reads a year's loaded arrangement from the event store the first time it is needed.

    Built afresh for every activity, so a calendar loaded since is always seen, while one
    computation reads each year at most once. `replace` overrides years (to compare the
    milestones before and after a load; None: only package data or the rule).
    """

    def __init__(
        self,
        app: Application[UUID],
        replace: Mapping[int, YearArrangement | None] | None = None,
    ) -> None:
        super().__init__(package_arrangements(), lunar_to_solar)
        self._app = app
        self._replace = dict(replace or {})
        self._looked: set[int] = set()

    def arrangement(self, year: int) -> YearArrangement:
        if year not in self._looked:
            self._looked.add(year)
            if year in self._replace:  # None: as if nothing had been loaded for the year
                found = self._replace[year]
            else:
                found = loaded_arrangement(self._app, year)
            if found is not None:
                # The base class keeps given years here; a loaded year replaces the package's.
                self._given[year] = found
        return super().arrangement(year)
