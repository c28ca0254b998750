"""OfficialCalendar: one stream per year recording every arrangement loaded for it.

The log answers "who loaded which days for 2027, from what, and when"; the latest load
is the arrangement in force for the year.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.calendar.arrangement import YearArrangement
from domain.calendar.supported import check_supported_year
from domain.errors import InvalidInput
from domain.messages import says
from domain.names import NAMESPACE


def official_calendar_id(year: int) -> UUID:
    return uuid5(NAMESPACE, f"official-calendar:{year}")


class OfficialCalendar(Aggregate):
    TOPIC = "rectify:OfficialCalendar"

    class Event(Aggregate.Event):
        TOPIC = "rectify:OfficialCalendar.Event"

    class Opened(Aggregate.Created):
        TOPIC = "rectify:OfficialCalendar.Opened"
        year: int

    class ArrangementLoaded(Aggregate.Event):
        TOPIC = "rectify:OfficialCalendar.ArrangementLoaded"
        year: int
        holidays: list[str]
        working_days: list[str]
        source: str
        actor: str

    @staticmethod
    def create_id(year: int, *_: Any, **__: Any) -> UUID:
        return official_calendar_id(year)

    @event(Opened)
    def __init__(self, year: int) -> None:
        self.year = year
        self.holidays: list[str] = []
        self.working_days: list[str] = []
        self.source = ""
        self.actor = ""
        self.loads = 0

    def load(
        self,
        holidays: Sequence[str | date],
        working_days: Sequence[str | date],
        source: str,
        actor: str,
    ) -> bool:
        """Replace the year's arrangement; the same days again record nothing (False)."""
        check_supported_year("year", self.year)
        if not actor.strip():
            raise InvalidInput("actor", says("calendar_actor_missing"))
        if not source.strip():
            raise InvalidInput("source", says("calendar_source_missing"))
        new = YearArrangement.parse(self.year, holidays, working_days, source=source)
        current = self.arrangement()
        if current is not None and current.same_days(new):
            return False
        self._load(
            self.year,
            sorted(d.isoformat() for d in new.holidays),
            sorted(d.isoformat() for d in new.working_days),
            source.strip(),
            actor.strip(),
        )
        return True

    @event(ArrangementLoaded)
    def _load(
        self, year: int, holidays: list[str], working_days: list[str], source: str, actor: str
    ) -> None:
        self.holidays = holidays
        self.working_days = working_days
        self.source = source
        self.actor = actor
        self.loads += 1

    def arrangement(self) -> YearArrangement | None:
        """The arrangement in force, or None before the first load."""
        if not self.loads:
            return None
        return YearArrangement.parse(
            self.year, self.holidays, self.working_days, official=True, source=self.source
        )
