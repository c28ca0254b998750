"""工作日历 in GraphQL: which arrangement each year runs on, and loading a year's.

Reading is open to every signed-in role (the calendar is public; `READ`); loading is the
leading-group office's (`LOAD_CALENDAR`). A load goes through the same function as
`rectify calendar load` (infrastructure/calendar_loading.py): the same checks, the same
`ArrangementLoaded` event naming who loaded it, after which the dispatcher moves every
open clock the year touches; each refusal is a member of the CalendarResult union.
"""

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from api import commands
from api.authz import Action, authorize
from api.context import Context
from api.results import ConflictResult, InvalidInputResult, NotAllowedResult
from domain.application import RectifyApp
from domain.calendar import ArrangementInvalid
from domain.calendar.supported import FIRST_YEAR, LAST_YEAR
from domain.errors import InvalidInput
from infrastructure.calendar_loading import (
    CalendarLoad,
    YearInForce,
    load_calendar,
    year_in_force,
    years_in_force,
)

Info = strawberry.Info[Context, None]
YEARS_AHEAD = 3  # the list reaches this far past the current year


@strawberry.enum(description="年度安排的来源 / where a year's arrangement comes from")
class CalendarSource(Enum):
    LOADED = "LOADED"  # 已加载：an administrator loaded the State Council's notice
    PACKAGE = "PACKAGE"  # 内置数据：the chinesecalendar package's official data
    PROVISIONAL = "PROVISIONAL"  # 暂定：the rule of the regulation, until one is loaded


@strawberry.type(description="一年的放假安排 / the arrangement a year's clocks count on")
class CalendarYear:
    year: int
    source: CalendarSource
    provisional: bool = strawberry.field(
        description="暂定 / no official arrangement: the days follow the regulation's rule"
    )
    document: str = strawberry.field(description="出处 / the notice (or package) it comes from")
    loaded_by: str | None = strawberry.field(description="加载人 / who loaded it, if loaded")
    loaded_at: datetime | None
    holidays: list[date] = strawberry.field(description="放假日 / days off on weekdays too")
    working_days: list[date] = strawberry.field(description="调休上班日 / weekend working days")


@strawberry.type(description="法定节假日 / a statutory holiday")
class StatutoryHoliday:
    day: date
    name: str


@strawberry.type
class CalendarLoaded:
    calendar: CalendarYear
    changed: bool = strawberry.field(description="false: the same days were already in force")
    missing_statutory_holidays: list[StatutoryHoliday] = strawberry.field(
        description="法定节假日未列为放假 / statutory holidays the arrangement leaves as "
        "working days: most likely an incomplete list"
    )


CalendarResult = Annotated[
    CalendarLoaded | NotAllowedResult | InvalidInputResult | ConflictResult,
    strawberry.union("CalendarResult"),
]


def _shown(found: YearInForce) -> CalendarYear:
    arrangement = found.arrangement
    return CalendarYear(
        year=arrangement.year,
        source=CalendarSource(found.origin.value),
        provisional=not arrangement.official,
        document=arrangement.source,
        loaded_by=found.loaded_by,
        loaded_at=found.loaded_at,
        holidays=sorted(arrangement.holidays),
        working_days=sorted(arrangement.working_days),
    )


def _years(app: RectifyApp, window: range) -> list[CalendarYear]:
    return [_shown(found) for found in years_in_force(app, window)]


def _api_field(field: str) -> str:
    # the domain names its own fields (working_days[2]); the client sent workingDays
    return field.replace("working_days", "workingDays")


@strawberry.type
class CalendarQuery:
    @strawberry.field(
        description="工作日历 / each year from the first the calendar supports to a few past "
        "this one, and any later year loaded, with where its days come from"
    )
    async def calendar_years(self, info: Info) -> list[CalendarYear]:
        context = info.context
        authorize(context.user, Action.READ)
        last = min(LAST_YEAR, context.today.year + YEARS_AHEAD)
        return await run_in_threadpool(_years, context.app, range(FIRST_YEAR, last + 1))

    @strawberry.field(description="一年的放假安排 / the arrangement in force for one year")
    async def calendar_year(self, info: Info, year: int) -> CalendarYear:
        context = info.context
        authorize(context.user, Action.READ)
        return _shown(await run_in_threadpool(year_in_force, context.app, year))


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(
        description="加载年度放假安排 / record a year's whole arrangement (every day off, the "
        "statutory holidays too, and the weekend working days), as `rectify calendar load`"
    )
    async def load_calendar(
        self,
        info: Info,
        year: int,
        holidays: list[str],
        source: str,
        working_days: list[str] | None = None,
    ) -> CalendarResult:
        context = info.context
        authorize(context.user, Action.LOAD_CALENDAR)
        who = commands.actor(context)

        # Nothing on the read side follows a load (the year is read from its stream), so
        # there is no position to wait for; the same days again record nothing.
        def load(app: RectifyApp) -> tuple[CalendarLoad, CalendarYear]:
            try:
                done = load_calendar(app, year, holidays, working_days or [], source, who)
            except ArrangementInvalid as invalid:  # every problem, each naming its field
                first, *others = invalid.problems
                text = "；".join(
                    [first.message, *(f"{_api_field(p.field)}: {p.message}" for p in others)]
                )
                raise InvalidInput(_api_field(first.field), text) from None
            return done, _shown(year_in_force(app, year))

        done, shown = await run_in_threadpool(load, context.app)
        return CalendarLoaded(
            calendar=shown,
            changed=done.changed,
            missing_statutory_holidays=[
                StatutoryHoliday(day=day, name=name)
                for day, name in sorted(done.missing_statutory.items())
            ],
        )
