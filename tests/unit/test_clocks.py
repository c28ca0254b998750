"""The clock contract's pure arithmetic: periods, working time, ladders, keys, registry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.clocks import (
    DEFAULT_LADDER,
    TIMEZONE,
    Ladder,
    Milestone,
    MilestoneKind,
    Period,
    PeriodUnit,
    Rung,
    add_working_time,
    clocked_kind,
    due_at,
    due_day,
    due_stamp,
    due_wording,
    end_of_day,
    is_provisional,
    kind_of_aggregate,
    kind_of_topic,
    ladder_milestones,
    next_milestone,
    register_clocked,
    ring_at,
    working_time_between,
)
from domain.errors import InvalidInput
from domain.issues import RectificationIssue
from infrastructure.calendar_data import build_calendar

CAL = build_calendar()


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)  # type: ignore[misc]


def test_working_day_period_ends_at_the_end_of_the_nth_working_day_across_spring_festival() -> None:
    # 2026: 15–23 February off, Saturday 14 February worked.
    assert due_at(CAL, at(2026, 2, 12, 10), Period.working_days(3)) == at(2026, 2, 25)


def test_statutory_calendar_days_ending_on_a_holiday_move_to_the_next_working_day() -> None:
    assert due_at(CAL, at(2026, 2, 2, 10), Period.calendar_days(13)) == at(2026, 2, 25)
    assert due_at(CAL, at(2026, 2, 2, 10), Period.calendar_days(3)) == at(2026, 2, 6)


def test_hour_period_is_plain_elapsed_time() -> None:
    assert due_at(CAL, at(2026, 2, 16, 10), Period.hours(24)) == at(2026, 2, 17, 10)


def test_period_parses_short_and_long_spellings_and_refuses_others() -> None:
    assert Period.parse("3wd") == Period(3, PeriodUnit.WORKING_DAYS)
    assert Period.parse("15 calendar_days") == Period.calendar_days(15)
    assert Period.parse("24h") == Period.hours(24)
    assert str(Period.working_days(5)) == "5wd"
    with pytest.raises(InvalidInput):
        Period.parse("three days")


def test_negative_period_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Period.working_days(-1)
    assert refused.value.field == "period"


def test_naive_start_is_refused() -> None:
    with pytest.raises(InvalidInput):
        due_at(CAL, datetime(2026, 2, 2), Period.hours(1))


def test_due_day_is_the_day_a_due_instant_ends() -> None:
    assert due_day(end_of_day(date(2026, 3, 31))) == date(2026, 3, 31)
    assert due_day(at(2026, 3, 31, 15)) == date(2026, 3, 31)


def test_provisional_when_the_period_reaches_a_year_without_official_data() -> None:
    assert is_provisional(CAL, at(2026, 12, 1), at(2027, 1, 20))
    assert not is_provisional(CAL, at(2026, 3, 1), at(2026, 6, 1))


def test_working_time_counts_only_working_days() -> None:
    # Friday noon to the Tuesday noon after the festival: Fri 12 h, Sat 14th 24 h, Tue 12 h.
    assert working_time_between(CAL, at(2026, 2, 13, 12), at(2026, 2, 24, 12)) == timedelta(days=2)
    assert working_time_between(CAL, at(2026, 2, 16), at(2026, 2, 20)) == timedelta(0)


def test_adding_working_time_skips_days_off_and_keeps_ends_of_days() -> None:
    assert add_working_time(CAL, at(2026, 2, 14), timedelta(days=1)) == at(2026, 2, 15)
    assert add_working_time(CAL, at(2026, 2, 15), timedelta(days=1)) == at(2026, 2, 25)
    assert add_working_time(CAL, at(2026, 2, 24, 12), timedelta(hours=6)) == at(2026, 2, 24, 18)


def test_default_ladder_rings_reminders_before_overdue_at_and_rungs_after_due() -> None:
    due = end_of_day(date(2026, 2, 13))  # a Friday before the festival
    found = ladder_milestones("issue:x:cycle1", due, DEFAULT_LADDER, CAL)
    assert [(m.rung, m.at) for m in found] == [
        ("remind-3wd", at(2026, 2, 10, 9)),
        ("remind-1wd", at(2026, 2, 12, 9)),
        ("overdue", at(2026, 2, 14)),
        ("supervision", at(2026, 2, 14, 9)),  # Saturday 14 February is a working day
        ("listed-supervision", at(2026, 2, 27, 9)),
        ("admonition", at(2026, 3, 5, 9)),
        ("accountability", at(2026, 3, 19, 9)),
    ]
    assert found[0].key == "issue:x:cycle1:remind-3wd:2026-02-13"
    assert [m.label for m in found][3:] == ["督办", "挂牌督办", "约谈", "问责"]


def test_a_calendar_day_reminder_falling_on_a_day_off_rings_the_working_day_before() -> None:
    # Spring Festival 2026: 15–23 February off, Saturday 14 February worked.
    rung = Rung("remind-10d", MilestoneKind.REMINDER, Period.calendar_days(10))
    assert ring_at(CAL, end_of_day(date(2026, 2, 28)), rung) == at(2026, 2, 14, 9)
    assert ring_at(CAL, end_of_day(date(2026, 3, 10)), rung) == at(2026, 2, 28, 9)  # 调休 Sat
    assert ring_at(CAL, end_of_day(date(2026, 3, 13)), rung) == at(2026, 3, 3, 9)


def test_hour_offsets_count_from_the_due_instant() -> None:
    rung = Rung("warn", MilestoneKind.REMINDER, Period.hours(6))
    assert ring_at(CAL, at(2026, 2, 17, 10), rung) == at(2026, 2, 17, 4)


def test_a_mid_day_due_instant_keeps_its_time_in_the_key() -> None:
    assert due_stamp(at(2026, 2, 17, 10)) == "2026-02-17T10:00:00+08:00"
    assert due_stamp(at(2026, 2, 18)) == "2026-02-17"


def test_ladder_refuses_a_repeated_rung() -> None:
    rung = Rung("overdue", MilestoneKind.OVERDUE, Period.working_days(0))
    with pytest.raises(InvalidInput):
        Ladder((rung, rung))


def test_rung_name_cannot_hold_a_key_separator() -> None:
    with pytest.raises(InvalidInput):
        Rung("a:b", MilestoneKind.ESCALATION, Period.working_days(1))


def test_next_milestone_skips_recorded_ones_and_reminders_past_due() -> None:
    due = end_of_day(date(2026, 3, 27))
    found = ladder_milestones("k", due, DEFAULT_LADDER, CAL)
    recorded = {found[0].key}
    assert next_milestone(found, recorded.__contains__, at(2026, 3, 1)) == found[1]
    late = next_milestone(found, recorded.__contains__, at(2026, 3, 30))
    assert late is not None and late.rung == "overdue"
    assert next_milestone(found, lambda _key: True, at(2026, 3, 1)) is None


def test_milestone_needs_an_aware_time() -> None:
    with pytest.raises(InvalidInput):
        Milestone("k", datetime(2026, 1, 1), MilestoneKind.OVERDUE)


def test_issues_are_registered_as_clocked_by_class_and_topic() -> None:
    entry = clocked_kind("issue")
    assert entry.aggregate is RectificationIssue
    assert kind_of_aggregate(RectificationIssue) is entry
    assert kind_of_topic(RectificationIssue.Registered.TOPIC) is entry
    assert kind_of_topic("rectify:Nothing") is None


def test_registering_a_kind_needs_a_plain_name() -> None:
    with pytest.raises(InvalidInput):
        register_clocked("bad kind", object, (), DEFAULT_LADDER)


def test_a_due_on_31_december_of_an_official_year_is_not_provisional() -> None:
    from domain.clocks import is_provisional

    due = end_of_day(date(2026, 12, 31))  # 00:00 on 1 January 2027, a provisional year
    assert not is_provisional(CAL, due, due)
    assert is_provisional(CAL, due, end_of_day(date(2027, 1, 4)))


def test_a_due_at_the_end_of_a_day_is_written_as_that_days_end() -> None:
    due = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)  # 2026-12-10 00:00 in China

    assert due_wording(due) == "2026-12-09日终"


def test_a_due_within_a_day_is_written_in_china_time_to_the_minute() -> None:
    due = datetime(2026, 12, 9, 7, 30, 45, 123, tzinfo=UTC)

    assert due_wording(due) == "2026-12-09 15:30"
