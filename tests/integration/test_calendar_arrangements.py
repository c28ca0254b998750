"""Loading a year's arrangement as events on real PostgreSQL: replay, idempotency, override."""

from __future__ import annotations

from datetime import date

import pytest

from domain.application import RectifyApp
from domain.calendar import OfficialCalendar, official_calendar_id
from domain.calendar.service import load_arrangement, loaded_arrangement, loaded_years
from domain.errors import InvalidInput
from infrastructure.calendar_data import build_calendar

HOLIDAYS_2027 = ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 14))]
WORKED_2027 = ["2027-02-20"]


def _loads(app: RectifyApp) -> list[object]:
    return [
        n
        for n in app.recorder.select_notifications(start=1, limit=1000)
        if n.topic == "rectify:OfficialCalendar.ArrangementLoaded"
    ]


def test_a_loaded_arrangement_is_read_back_from_its_stream(
    app: RectifyApp, es_env: dict[str, str]
) -> None:
    assert load_arrangement(app, 2027, HOLIDAYS_2027, WORKED_2027, "国办发明电", "admin:li")

    other = RectifyApp(env=es_env)  # a fresh process sees it through the events alone
    try:
        arrangement = loaded_arrangement(other, 2027)
        calendar: object = other.repository.get(official_calendar_id(2027))
    finally:
        other.close()
    assert arrangement is not None and arrangement.official
    assert arrangement.source == "国办发明电"
    assert date(2027, 2, 20) in arrangement.working_days
    assert isinstance(calendar, OfficialCalendar) and calendar.actor == "admin:li"
    assert len(_loads(app)) == 1


def test_loading_the_identical_arrangement_again_records_nothing(app: RectifyApp) -> None:
    load_arrangement(app, 2027, HOLIDAYS_2027, WORKED_2027, "notice", "admin")
    position = app.recorder.max_notification_id()

    again = load_arrangement(app, 2027, list(reversed(HOLIDAYS_2027)), WORKED_2027, "f", "x")

    assert again is False
    assert app.recorder.max_notification_id() == position


def test_a_corrected_arrangement_replaces_the_first_and_both_stay_in_the_log(
    app: RectifyApp,
) -> None:
    load_arrangement(app, 2027, HOLIDAYS_2027, WORKED_2027, "first notice", "admin:li")
    assert load_arrangement(app, 2027, HOLIDAYS_2027[:-1], [], "correction", "admin:wang")

    arrangement = loaded_arrangement(app, 2027)
    assert arrangement is not None
    assert date(2027, 2, 13) not in arrangement.holidays
    assert arrangement.working_days == frozenset()
    stored = app.recorder.select_events(official_calendar_id(2027))
    assert [e.topic for e in stored] == [
        "rectify:OfficialCalendar.Opened",
        "rectify:OfficialCalendar.ArrangementLoaded",
        "rectify:OfficialCalendar.ArrangementLoaded",
    ]


def test_loaded_years_lists_only_the_years_loaded(app: RectifyApp) -> None:
    load_arrangement(app, 2027, HOLIDAYS_2027, WORKED_2027, "notice", "admin")
    load_arrangement(app, 2025, ["2025-01-01", "2025-03-03"], [], "local day off", "admin")

    found = loaded_years(app, range(2024, 2029))

    assert sorted(found) == [2025, 2027]
    calendar = build_calendar(found.values())
    assert not calendar.is_provisional(date(2027, 2, 10))
    assert calendar.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 15)
    assert not calendar.is_working_day(date(2025, 3, 3))  # the local day off replaces 2025


def test_an_invalid_arrangement_records_nothing(app: RectifyApp) -> None:
    with pytest.raises(InvalidInput, match=r"holidays\[0\]"):
        load_arrangement(app, 2027, ["2026-12-31"], [], "notice", "admin")
    assert loaded_arrangement(app, 2027) is None
    assert app.recorder.max_notification_id() in (None, 0)
