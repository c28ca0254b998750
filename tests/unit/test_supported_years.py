"""The years a clock can count (2000–2099): one range, refused in the same words by the
deadline parser, the issue's commands and the calendar loads."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    OUT_OF_RANGE,
    OfficialCalendar,
    YearArrangement,
    check_supported_date,
    check_supported_year,
    is_supported_year,
)
from domain.deadlines import Deadline, DeadlineKind, DeadlineOutOfRange, parse_deadline
from domain.errors import InvalidInput
from domain.issues import RectificationIssue
from domain.ledger_rows import LedgerRejected, RawRow, map_headers, read_rows

RANGE = "超出日历支持范围（2000–2099年） / outside the years the calendar supports (2000–2099)"


def test_the_range_is_2000_to_2099_in_chinese_then_english() -> None:
    assert (FIRST_YEAR, LAST_YEAR) == (2000, 2099)
    assert OUT_OF_RANGE == RANGE
    assert [is_supported_year(y) for y in (1999, 2000, 2099, 2100)] == [False, True, True, False]


def test_a_date_outside_the_range_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_supported_date("newDueDate", date(9999, 12, 31))

    assert refused.value.field == "newDueDate"
    assert refused.value.message == f"9999-12-31 {RANGE}"


def test_the_first_and_last_days_of_the_range_pass() -> None:
    check_supported_date("deadline", date(2000, 1, 1))
    check_supported_date("deadline", date(2099, 12, 31))
    check_supported_year("year", 2099)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("9999-12-31", 9999),
        ("2100年3月底", 2100),
        ("2100年第一季度", 2100),
        ("1999年12月31日", 1999),
        ("0000-01-01", 0),
        # the year after one written: 2099 + 1
        ("2099年6月底前完成，次年3月底前巩固", 2100),
    ],
)
def test_a_deadline_naming_a_year_outside_the_range_is_refused_with_the_range(
    text: str, year: int
) -> None:
    with pytest.raises(DeadlineOutOfRange) as refused:
        parse_deadline(text)

    assert str(refused.value) == f"'{text}'：{year}年{RANGE}"
    assert refused.value.year == year


def test_0001_01_01_is_year_1_and_refused_not_read_as_2001() -> None:
    with pytest.raises(DeadlineOutOfRange) as refused:
        parse_deadline("0001-01-01")

    assert refused.value.year == 1


def test_a_year_given_for_a_date_without_one_is_checked_too() -> None:
    with pytest.raises(DeadlineOutOfRange):
        parse_deadline("6月底前", year=2100)


def test_two_digit_years_still_mean_this_century() -> None:
    assert parse_deadline("26年6月底").due_date == date(2026, 6, 30)
    assert parse_deadline("99年底").due_date == date(2099, 12, 31)


@pytest.mark.parametrize("text", ["10000-01-01", "12026年底"])
def test_a_longer_number_is_not_read_as_the_year_inside_it(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        deadline = parse_deadline(text)
        pytest.fail(f"read as {deadline}")

    assert "cannot read" in str(refused.value)


def test_the_last_supported_day_is_read() -> None:
    assert parse_deadline("2099年12月31日").due_date == date(2099, 12, 31)
    assert parse_deadline("2000-01-01").due_date == date(2000, 1, 1)


def test_an_import_row_with_a_deadline_outside_the_range_names_row_and_column() -> None:
    headers, _ = map_headers(["问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"])
    cells = {"问题编号": "1", "反馈问题": "问题", "整改措施": "措施", "责任单位": "县卫健局"}

    with pytest.raises(LedgerRejected) as rejected:
        read_rows(headers, [RawRow(4, cells | {"完成时限": "9999-12-31"})])

    assert [str(p) for p in rejected.value.problems] == [
        f"row 4, 完成时限: '9999-12-31'：9999年{RANGE}"
    ]


def _issue(due: date) -> RectificationIssue:
    # As stored before the range was checked: the aggregate itself does not refuse it.
    deadline = Deadline(DeadlineKind.DATE, due, due.isoformat())
    issue = RectificationIssue(uuid4(), "1", "问题", ["措施"], uuid4(), [], deadline, "t", "t")
    issue.collect_events()
    return issue


def test_an_extension_past_2099_is_refused_and_records_nothing() -> None:
    issue = _issue(date(2099, 3, 31))

    with pytest.raises(InvalidInput) as refused:
        issue.request_extension(Deadline.on(date(2100, 1, 31)), "需招标", "liaison")

    assert (refused.value.field, refused.value.message) == ("deadline", f"2100-01-31 {RANGE}")
    assert issue.collect_events() == []


def test_reopening_keeps_no_deadline_the_calendar_cannot_count() -> None:
    issue = _issue(date(9999, 12, 31))
    issue.submit_for_verification("已整改", "liaison")
    issue.sign_off("", "coordinator")
    issue.collect_events()

    with pytest.raises(InvalidInput) as kept:
        issue.reopen("问题反弹", None, "coordinator", date(2026, 12, 6))
    with pytest.raises(InvalidInput) as given:
        issue.reopen("问题反弹", Deadline.on(date(2100, 6, 30)), "coordinator", date(2026, 12, 6))
    issue.reopen("问题反弹", Deadline.on(date(2027, 6, 30)), "coordinator", date(2026, 12, 6))

    assert kept.value.message == f"9999-12-31 {RANGE}"
    assert given.value.field == "deadline"
    assert [type(e).__name__ for e in issue.collect_events()] == ["Reopened"]


@pytest.mark.parametrize("year", [1999, 2100])
def test_loading_an_arrangement_for_a_year_outside_the_range_is_refused(year: int) -> None:
    calendar = OfficialCalendar(year)
    calendar.collect_events()

    with pytest.raises(InvalidInput) as refused:
        calendar.load([f"{year}-01-01"], [], "国办发明电", "admin")

    assert (refused.value.field, refused.value.message) == ("year", f"{year}年{RANGE}")
    assert calendar.collect_events() == []


def test_an_arrangement_the_calendar_cannot_count_says_the_range_in_both_languages() -> None:
    with pytest.raises(InvalidInput) as refused:
        YearArrangement.parse(2100, ["2100-01-01"], [])

    assert refused.value.message == f"2100年{RANGE}"


def test_a_stored_due_the_calendar_cannot_count_is_corrected_by_an_earlier_extension() -> None:
    issue = _issue(date(9999, 12, 31))

    issue.request_extension(Deadline.on(date(2027, 6, 30)), "时限录入有误", "liaison")
    issue.approve_extension("", "leadership")

    assert issue.deadline.due_date == date(2027, 6, 30)
    assert [type(e).__name__ for e in issue.collect_events()] == [
        "ExtensionRequested",
        "ExtensionApproved",
    ]


def test_an_extension_of_a_countable_due_must_still_be_later() -> None:
    issue = _issue(date(2027, 6, 30))

    with pytest.raises(InvalidInput, match="after the current one"):
        issue.request_extension(Deadline.on(date(2027, 3, 31)), "r", "liaison")
