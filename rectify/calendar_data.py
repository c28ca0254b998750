"""Where the working-day calendar's data comes from, and the file administrators load.

Precedence per year: an arrangement loaded as events, else the `chinesecalendar` package
(2004–2026), else the provisional rule with lunar dates from `lunardate`.

Calendar file, JSON:
    {"year": 2027, "holidays": ["2027-01-01", ...], "working_days": ["2027-02-07", ...],
     "source": "国办发明电〔2026〕…号"}            (working_days and source optional)
or text/CSV, one day a line (header, blank lines and # comments optional):
    date,kind
    2027-01-01,holiday        kind: holiday | off | 休 — or working_day | work | 班
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar  # type: ignore[import-untyped]  # ships no py.typed
from lunardate import LunarDate  # type: ignore[import-untyped]  # ships no py.typed

from domain.calendar import ArrangementInvalid, WorkingCalendar, YearArrangement
from domain.messages import says

PACKAGE_SOURCE = f"chinesecalendar {chinese_calendar.__version__}"
HOLIDAY_WORDS = {"holiday", "holidays", "off", "休", "假", "休息", "放假"}
WORKING_WORDS = {"working_day", "working", "work", "workday", "班", "上班", "调休上班"}
JSON_FIELDS = {"year", "holidays", "working_days", "source"}


def lunar_to_solar(year: int, month: int, day: int) -> date:
    """The domain's LunarToSolar, by lunardate (lunar years 1900–2099)."""
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


@lru_cache(maxsize=1)
def package_arrangements() -> tuple[YearArrangement, ...]:
    """Every year the package knows, as official arrangements (its dicts are by date)."""
    years = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
    return tuple(
        YearArrangement(
            year,
            frozenset(d for d in chinese_calendar.holidays if d.year == year),
            frozenset(d for d in chinese_calendar.workdays if d.year == year),
            official=True,
            source=PACKAGE_SOURCE,
        )
        for year in years
    )


def build_calendar(loaded: Iterable[YearArrangement] = ()) -> WorkingCalendar:
    """The package's years, replaced by loaded ones; the rule (with lunardate) elsewhere."""
    return WorkingCalendar(package_arrangements(), lunar_to_solar).with_arrangements(loaded)


def arrangement_as_json(arrangement: YearArrangement) -> dict[str, Any]:
    """The file format, so an administrator can start from what is in force."""
    return {
        "year": arrangement.year,
        "holidays": sorted(d.isoformat() for d in arrangement.holidays),
        "working_days": sorted(d.isoformat() for d in arrangement.working_days),
        "source": arrangement.source,
    }


# -- calendar files ----------------------------------------------------------------------


@dataclass
class CalendarFile:
    year: int
    holidays: list[str]
    working_days: list[str] = field(default_factory=list)
    source: str = ""


class CalendarFileRejected(Exception):
    """Every problem found in a calendar file, each naming its row or field."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path.name}: " + "; ".join(problems))


def read_calendar_file(path: Path) -> CalendarFile:
    """Parse and check (with the domain's rules) a JSON or text/CSV calendar file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CalendarFileRejected(path, [says("calendar_file_unreadable", error=error)]) from None
    if path.suffix.lower() == ".json":
        return _read_json(path, text)
    return _read_rows(path, text)


def _read_json(path: Path, text: str) -> CalendarFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CalendarFileRejected(
            path,
            [says("calendar_not_json", line=error.lineno, column=error.colno, error=error.msg)],
        ) from None
    if not isinstance(data, dict):
        raise CalendarFileRejected(path, [says("calendar_not_object")])
    problems = [
        says("calendar_unknown_field", key=key, known=", ".join(sorted(JSON_FIELDS)))
        for key in data
        if key not in JSON_FIELDS
    ]
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        given = "missing" if year is None else repr(year)
        problems.append(says("calendar_year", given=given))
    if "holidays" not in data:
        problems.append(says("calendar_holidays_missing"))
    source = data.get("source", "")
    if not isinstance(source, str):
        problems.append(says("calendar_source_text"))
    holidays, working_days = data.get("holidays", []), data.get("working_days", [])
    for name, values in (("holidays", holidays), ("working_days", working_days)):
        if not isinstance(values, list):
            problems.append(says("calendar_not_a_list", name=name))
    if problems or not isinstance(year, int):
        raise CalendarFileRejected(path, problems)
    _check(path, year, holidays, working_days, lambda f: f)
    return CalendarFile(year, [str(d) for d in holidays], [str(d) for d in working_days], source)


def _read_rows(path: Path, text: str) -> CalendarFile:
    problems: list[str] = []
    off: list[tuple[int, str]] = []  # (row number, date text)
    worked: list[tuple[int, str]] = []
    year: int | None = None
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#") or cells[0].lower() == "date":
            continue
        if len(cells) < 2 or not cells[1]:
            problems.append(says("calendar_kind_missing", row=number))
            continue
        day_text, kind = cells[0], cells[1].lower()
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            problems.append(says("calendar_row_not_a_date", row=number, text=day_text))
            continue
        if year is None:
            year = day.year
        elif day.year != year:
            problems.append(says("calendar_row_other_year", row=number, day=day, year=year))
            continue
        if kind in HOLIDAY_WORDS:
            off.append((number, day_text))
        elif kind in WORKING_WORDS:
            worked.append((number, day_text))
        else:
            problems.append(says("calendar_unknown_kind", row=number, kind=cells[1]))
    if year is None and not problems:
        problems.append(says("calendar_no_dates"))
    if problems or year is None:
        raise CalendarFileRejected(path, problems)
    rows = {"holidays": [n for n, _ in off], "working_days": [n for n, _ in worked]}

    def row_of(field_name: str) -> str:
        # The domain names list positions (holidays[3]); a text file's reader wants rows.
        match = re.fullmatch(r"(holidays|working_days)\[(\d+)\]", field_name)
        return f"row {rows[match[1]][int(match[2])]}" if match else field_name

    holidays, working_days = [d for _, d in off], [d for _, d in worked]
    _check(path, year, holidays, working_days, row_of)
    return CalendarFile(year, holidays, working_days)


def _check(
    path: Path,
    year: int,
    holidays: list[Any],
    working_days: list[Any],
    where: Callable[[str], str],
) -> None:
    try:
        YearArrangement.parse(year, holidays, working_days)
    except ArrangementInvalid as invalid:
        raise CalendarFileRejected(
            path, [f"{where(p.field)}: {p.message}" for p in invalid.problems]
        ) from None
