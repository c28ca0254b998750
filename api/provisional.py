"""The provisional mark of a running clock's due (referrals, clues, case transfers).

A due is provisional when its day falls in a year that has no official arrangement: not in
the package data and never loaded, so the day counting followed the statutory rule and
will be recomputed when the year's arrangement is loaded (ADR 0023). Asked of the stored
calendar (loaded years, then package data), once per year and request (a DataLoader), so
a page of a hundred items reads the event store once or twice, not a hundred times.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from domain.application import RectifyApp
from domain.clocks import due_day
from infrastructure.stored_calendar import StoredCalendar

if TYPE_CHECKING:
    import strawberry

    from api.context import Context

DESCRIPTION = (
    "暂定：运行中时限所在年份尚无正式放假安排，加载后重算 / the running clock's due falls in "
    "a year without an official arrangement; recomputed when one is loaded"
)


def provisional_years(app: RectifyApp) -> DataLoader[int, bool]:
    def look(years: list[int]) -> list[bool]:
        calendar = StoredCalendar(app)
        return [calendar.is_provisional(date(year, 1, 1)) for year in years]

    async def load(years: list[int]) -> list[bool]:
        return await run_in_threadpool(look, years)

    return DataLoader(load_fn=load)


async def is_provisional(info: strawberry.Info[Context, None], due: datetime | None) -> bool:
    if due is None:
        return False
    return await info.context.provisional_years.load(due_day(due).year)
