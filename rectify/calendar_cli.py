"""`rectify calendar …`: due dates on the working-day calendar, and loading a year's days.

Where loaded calendars come from, for `due` and `show`: with --offline, nowhere (package
data and the provisional rule only). Otherwise DATABASE_URL when set — if it cannot be
reached the command still answers and says on stderr that loaded calendars were not
consulted; without DATABASE_URL, the embedded database under $RECTIFY_HOME only if it
exists (nothing can have been loaded before it does), so a fresh machine needs no database.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from domain.calendar import (
    OUT_OF_RANGE,
    NoCalendarData,
    WorkingCalendar,
    YearArrangement,
    is_supported_year,
)
from domain.clocks import TIMEZONE
from infrastructure.calendar_data import (
    CalendarFileRejected,
    arrangement_as_json,
    build_calendar,
    read_calendar_file,
)
from rectify.cli_text import name_text
from rectify.settings import Settings

calendar_app = typer.Typer(help="工作日历 / working-day calendar.", no_args_is_help=True)

Loader = Callable[[range], list[YearArrangement]]
CONNECT_TIMEOUT_S = 3


def _note(text: str) -> None:
    typer.echo(text, err=True)


@contextmanager
def _loaded_calendars(offline: bool) -> Iterator[Loader | None]:
    """A reader of loaded arrangements by year, or None when none can be consulted."""
    settings = Settings()
    if offline or (not settings.database_url and not (settings.rectify_home / "pg").exists()):
        yield None
        return
    import psycopg

    if settings.database_url:
        try:  # fail fast, rather than on the pool's own (long) timeout
            psycopg.connect(settings.database_url, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.Error as error:
            _note(f"note: database unreachable, loaded calendars not consulted ({error})")
            yield None
            return
    from domain.calendar.service import loaded_years
    from rectify.composition import rectify_app
    from rectify.runtime import database

    with database(settings) as db:
        ledger = rectify_app(db.es_env)
        try:
            yield lambda years: list(loaded_years(ledger, years).values())
        finally:
            ledger.close()


def _calendar_until(load: Loader | None, first: int, last: int) -> WorkingCalendar:
    return build_calendar(load(range(first, last + 1)) if load else ())


def _parse_start(text: str) -> date:
    try:
        if "T" in text or " " in text.strip():
            start: date = datetime.fromisoformat(text)
        else:
            start = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' 不是 ISO 日期或时间 / '{text}' is not an ISO date or date-time",
            param_hint="START",
        ) from None
    if not is_supported_year(start.year):
        raise typer.BadParameter(f"{start.year}年{OUT_OF_RANGE}", param_hint="START")
    return start


@calendar_app.command()
def due(
    start: str = typer.Argument(..., help="起算日 start: 2025-09-30 or 2025-09-30T10:00"),
    working_days: int | None = typer.Option(None, "--working-days", min=0, help="工作日"),
    calendar_days: int | None = typer.Option(
        None, "--calendar-days", min=0, help="自然日 (statutory: a last day off moves on)"
    ),
    hours: int | None = typer.Option(None, "--hours", min=0, help="小时 plain hours"),
    offline: bool = typer.Option(False, "--offline", help="do not consult loaded calendars"),
) -> None:
    """计算期限 / print the due date (ISO), or the due date-time for --hours.

    The start day never counts. On stderr, "provisional" when the result depends on a year
    without an official arrangement.
    """
    given = [o for o in (working_days, calendar_days, hours) if o is not None]
    if len(given) != 1:
        raise typer.BadParameter(
            "请只给出 --working-days、--calendar-days、--hours 之一 / "
            "give exactly one of --working-days, --calendar-days, --hours",
            param_hint="period",
        )
    moment = _parse_start(start)
    if hours is not None:
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(Settings().timezone))
        # Plain hours need no calendar at all, hence no database either.
        print(WorkingCalendar().add_hours(moment, hours).isoformat())
        return
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        # The day a period starts from is the day in China, as the clocks count it.
        moment = moment.astimezone(TIMEZONE)
    day = moment.date() if isinstance(moment, datetime) else moment
    try:
        with _loaded_calendars(offline) as load:
            first, last = day.year - 1, day.year + 1
            while True:  # read loaded years as far as the result reaches
                calendar = _calendar_until(load, first, last)
                if working_days is not None:
                    result = calendar.add_working_days(day, working_days)
                    counted_from = day
                else:
                    assert calendar_days is not None
                    result = calendar.add_calendar_days_statutory(day, calendar_days)
                    # Only the roll-forward from the last day depends on the calendar.
                    counted_from = day + timedelta(days=calendar_days)
                if result.year <= last or load is None:
                    break
                last = result.year + 1
    except NoCalendarData as error:
        _note(f"error: {error}")
        raise typer.Exit(1) from None
    print(result.isoformat())
    if calendar.provisional_between(counted_from, result):
        years = sorted({y for y in range(counted_from.year, result.year + 1)} - set(calendar.years))
        _note(
            "provisional: no official arrangement for "
            + ", ".join(map(str, years))
            + " (rule of 《全国年节及纪念日放假办法》; `rectify calendar load` when published)"
        )


@calendar_app.command()
def load(
    file: Path = typer.Argument(..., help="日历文件 calendar file: .json, or .csv/.txt lines"),
    actor: str | None = typer.Option(
        None,
        "--actor",
        help="recorded as who loaded it (default: cli:<the system user>)",
        callback=name_text,
    ),
) -> None:
    """加载年度放假安排 / record a year's holidays and make-up working days as events.

    A file is the whole year's arrangement: every day off, the statutory holidays too."""
    from domain.errors import DomainError
    from infrastructure.calendar_loading import load_calendar
    from rectify.composition import rectify_app
    from rectify.runtime import database

    try:
        parsed = read_calendar_file(file)
    except CalendarFileRejected as rejected:
        for problem in rejected.problems:
            _note(f"{file.name}: {problem}")
        _note(f"nothing loaded: {len(rejected.problems)} problem(s)")
        raise typer.Exit(1) from None
    who = actor or f"cli:{getpass.getuser()}"
    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            loaded = load_calendar(
                ledger,
                parsed.year,
                parsed.holidays,
                parsed.working_days,
                source=parsed.source or file.name,
                actor=who,
            )
        except DomainError as error:
            _note(f"nothing loaded: {error}")
            raise typer.Exit(1) from None
        finally:
            ledger.close()
    for day, name in sorted(loaded.missing_statutory.items()):
        _note(f"注意 note: {day} ({name}) is a statutory holiday the file does not list as off")
    counts = f"{len(parsed.holidays)} holidays, {len(parsed.working_days)} working days"
    state = "loaded" if loaded.changed else "unchanged (already in force)"
    print(f"{parsed.year}: {state} — {counts}")


@calendar_app.command()
def show(
    year: int = typer.Argument(..., help="年份 year"),
    offline: bool = typer.Option(False, "--offline", help="do not consult loaded calendars"),
) -> None:
    """显示年度安排 / print the arrangement in force for a year, in the file format (JSON)."""
    try:
        with _loaded_calendars(offline) as load:
            arrangement = _calendar_until(load, year, year).arrangement(year)
    except NoCalendarData as error:
        _note(f"error: {error}")
        raise typer.Exit(1) from None
    print(json.dumps(arrangement_as_json(arrangement), ensure_ascii=False, indent=2))
    if not arrangement.official:
        _note(f"provisional: {year} has no official arrangement; these days follow the rule")
