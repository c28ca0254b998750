"""OfficialCalendar: each load an event, replacing the year's days; a repeat records nothing."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import ArrangementInvalid, OfficialCalendar, YearArrangement
from domain.calendar.official import official_calendar_id
from domain.errors import InvalidInput
from domain.messages import halves

HOLIDAYS = ["2027-01-01", "2027-02-06", "2027-02-05"]
WORKED = ["2027-02-20"]


def test_one_stream_per_year_with_an_id_derived_from_the_year() -> None:
    assert OfficialCalendar(2027).id == official_calendar_id(2027)
    assert official_calendar_id(2027) == official_calendar_id(2027)
    assert official_calendar_id(2027) != official_calendar_id(2028)


def test_loading_records_the_days_sorted_with_source_and_actor() -> None:
    calendar = OfficialCalendar(2027)
    assert calendar.load(HOLIDAYS, WORKED, "国办发明电〔2026〕1号", "admin:wang")

    opened, loaded = calendar.collect_events()
    assert isinstance(opened, OfficialCalendar.Opened) and opened.year == 2027
    assert isinstance(loaded, OfficialCalendar.ArrangementLoaded)
    assert loaded.year == 2027
    assert loaded.holidays == ["2027-01-01", "2027-02-05", "2027-02-06"]
    assert loaded.working_days == ["2027-02-20"]
    assert (loaded.source, loaded.actor) == ("国办发明电〔2026〕1号", "admin:wang")
    assert type(loaded).TOPIC == "rectify:OfficialCalendar.ArrangementLoaded"
    arrangement = calendar.arrangement()
    assert arrangement is not None and arrangement.official
    assert date(2027, 2, 20) in arrangement.working_days


def test_loading_the_same_days_again_records_nothing() -> None:
    calendar = OfficialCalendar(2027)
    calendar.load(HOLIDAYS, WORKED, "notice", "admin")
    calendar.collect_events()

    assert not calendar.load(list(reversed(HOLIDAYS)), WORKED, "other file", "someone")
    assert calendar.collect_events() == []


def test_a_new_arrangement_replaces_the_previous_one() -> None:
    calendar = OfficialCalendar(2027)
    calendar.load(HOLIDAYS, WORKED, "notice", "admin")
    calendar.collect_events()

    assert calendar.load(["2027-01-01"], [], "correction", "admin")
    (event,) = calendar.collect_events()
    assert isinstance(event, OfficialCalendar.ArrangementLoaded)
    assert event.holidays == ["2027-01-01"] and event.working_days == []
    assert calendar.arrangement() == YearArrangement.parse(
        2027, ["2027-01-01"], [], source="correction"
    )


def test_a_day_both_off_and_worked_is_refused_naming_the_field() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"^working_days\[0\]: 2027-02-06 同时列为节假日 / 2027-02-06 is also listed",
    ):
        OfficialCalendar(2027).load(HOLIDAYS, ["2027-02-06"], "notice", "admin")


def test_every_problem_is_reported_with_its_list_position() -> None:
    with pytest.raises(ArrangementInvalid) as refused:
        OfficialCalendar(2027).load(
            ["2027-01-01", "2026-12-31", "2027-02-30"], ["2027-02-22"], "notice", "admin"
        )
    fields = [(p.field, halves(p.message)[1]) for p in refused.value.problems]
    assert fields == [
        ("holidays[2]", "'2027-02-30' is not a date (YYYY-MM-DD)"),
        ("holidays[1]", "2026-12-31 is not in 2027"),
        ("working_days[0]", "2027-02-22 is a weekday; only a Saturday or Sunday can be adjusted"),
    ]
    assert "（另有 2 处问题）" in str(refused.value) and "(and 2 more)" in str(refused.value)


def test_an_empty_actor_or_source_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^actor: "):
        OfficialCalendar(2027).load(HOLIDAYS, [], "notice", " ")
    with pytest.raises(InvalidInput, match=r"^source: "):
        OfficialCalendar(2027).load(HOLIDAYS, [], "", "admin")


def test_a_year_outside_the_supported_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^year: "):
        YearArrangement.parse(2100, [], [])
