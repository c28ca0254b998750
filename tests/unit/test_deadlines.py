"""Deadlines (完成时限) as officials write them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from domain.deadlines import Deadline, DeadlineKind, DeadlineParseError, parse_deadline


def _due(text: str) -> date | None:
    deadline = parse_deadline(text)
    assert deadline.kind is DeadlineKind.DATE
    assert deadline.text == text.strip()
    return deadline.due_date


# -- exact dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2025年12月31日", "2025-12-31", "2025/12/31", "2025.12.31", "2025年12月31号", "25年12月31日"],
)
def test_exact_date_is_read_in_every_spelling(text: str) -> None:
    assert _due(text) == date(2025, 12, 31)


def test_iso_date_with_leading_zero_is_read() -> None:
    assert _due("2026-02-28") == date(2026, 2, 28)


def test_full_width_digits_are_read() -> None:
    assert _due("２０２６年３月３日") == date(2026, 3, 3)


def test_text_is_kept_as_written_but_stripped() -> None:
    deadline = parse_deadline("  2026年3月底。 ")
    assert deadline == Deadline(DeadlineKind.DATE, date(2026, 3, 31), "2026年3月底。")


def test_space_between_year_and_month_is_ignored() -> None:
    assert _due("2026 年6月底") == date(2026, 6, 30)


# -- end of month -----------------------------------------------------------------------


def test_month_end_di_is_last_day_of_month() -> None:
    assert _due("2026年3月底") == date(2026, 3, 31)


def test_month_end_mo_is_last_day_of_month() -> None:
    assert _due("2026年6月末") == date(2026, 6, 30)


def test_month_end_with_trailing_full_stop_is_read() -> None:
    assert _due("2026年3月底。") == date(2026, 3, 31)


def test_month_end_before_is_read() -> None:
    assert _due("2026年9月底前") == date(2026, 9, 30)


def test_bare_month_with_year_means_its_end() -> None:
    assert _due("2026年4月") == date(2026, 4, 30)


def test_month_end_of_february_in_leap_year_is_29th() -> None:
    assert _due("2028年2月底") == date(2028, 2, 29)


# -- thirds of a month ------------------------------------------------------------------


def test_shangxun_is_the_10th() -> None:
    assert _due("2026年1月上旬") == date(2026, 1, 10)


def test_zhongxun_is_the_20th() -> None:
    assert _due("2026年1月中旬") == date(2026, 1, 20)


def test_xiaxun_is_the_last_day_of_a_31_day_month() -> None:
    assert _due("2025年12月下旬") == date(2025, 12, 31)


def test_xiaxun_of_february_in_a_leap_year_is_the_29th() -> None:
    assert _due("2024年2月下旬") == date(2024, 2, 29)


def test_xiaxun_of_february_in_a_non_leap_year_is_the_28th() -> None:
    assert _due("2025年2月下旬") == date(2025, 2, 28)


def test_xiaxun_of_a_30_day_month_is_the_30th() -> None:
    assert _due("2026年4月下旬") == date(2026, 4, 30)


# -- year, half-year, quarter -----------------------------------------------------------


@pytest.mark.parametrize("text", ["2026年底", "2026年年底", "2026年末", "2026年内", "2026年前"])
def test_year_end_is_31_december(text: str) -> None:
    assert _due(text) == date(2026, 12, 31)


def test_first_half_year_ends_30_june() -> None:
    assert _due("2026年上半年") == date(2026, 6, 30)


def test_second_half_year_ends_31_december() -> None:
    assert _due("2026年下半年") == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2026年一季度", date(2026, 3, 31)),
        ("2026年第二季度", date(2026, 6, 30)),
        ("2026年三季度末", date(2026, 9, 30)),
        ("2026年4季度", date(2026, 12, 31)),
    ],
)
def test_quarter_ends_on_its_last_day(text: str, due: date) -> None:
    assert _due(text) == due


# -- ongoing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["立行立改，长期坚持", "立行立改,长期坚持。", "立行立改", "长期坚持", "持续推进"]
)
def test_ongoing_variants_have_no_due_date(text: str) -> None:
    deadline = parse_deadline(text)
    assert deadline == Deadline(DeadlineKind.ONGOING, None, text)


def test_ongoing_factory_defaults_to_the_usual_words() -> None:
    assert Deadline.ongoing() == Deadline(DeadlineKind.ONGOING, None, "立行立改，长期坚持")


def test_on_factory_defaults_text_to_iso_date() -> None:
    assert Deadline.on(date(2026, 1, 2)).text == "2026-01-02"


def test_a_date_wins_over_ongoing_words() -> None:
    assert _due("立行立改，2026年6月底前建立长效机制") == date(2026, 6, 30)


# -- several dates in one text ----------------------------------------------------------


def test_text_with_two_dates_takes_the_later_one() -> None:
    assert _due("2026年3月底前完成排查，2026年6月底前全面整改") == date(2026, 6, 30)


def test_bare_month_inherits_the_year_written_before_it() -> None:
    assert _due("2026年3月底前完成排查，6月底前全面整改") == date(2026, 6, 30)


def test_bare_third_of_month_inherits_the_year() -> None:
    assert _due("2026年3月底前排查，5月中旬前整改") == date(2026, 5, 20)


def test_bare_month_earlier_than_the_written_one_is_in_the_next_year() -> None:
    assert _due("2025年12月底前排查，1月中旬前整改") == date(2026, 1, 20)


def test_bare_month_after_a_rolled_over_one_stays_in_the_next_year() -> None:
    assert _due("2025年11月底前排查，1月底前整改，3月底前验收") == date(2026, 3, 31)


# -- refusals ---------------------------------------------------------------------------


def test_month_13_is_refused_naming_the_text() -> None:
    with pytest.raises(DeadlineParseError) as refused:
        parse_deadline("2021年13月底")
    assert "cannot read '2021年13月底'" in str(refused.value)
    assert refused.value.text == "2021年13月底"


def test_month_without_year_is_refused_as_no_year() -> None:
    with pytest.raises(DeadlineParseError) as refused:
        parse_deadline("6月底")
    assert "cannot read '6月底'" in str(refused.value)
    assert refused.value.reason == "没有写明年份 / no year"


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_deadline_is_refused(text: str) -> None:
    with pytest.raises(DeadlineParseError) as refused:
        parse_deadline(text)
    assert refused.value.reason == "不能为空 / empty"


def test_day_30_of_february_is_refused() -> None:
    with pytest.raises(DeadlineParseError, match="cannot read '2026年2月30日'"):
        parse_deadline("2026年2月30日")


def test_29_february_in_a_non_leap_year_is_refused() -> None:
    with pytest.raises(DeadlineParseError, match="cannot read '2025-02-29'"):
        parse_deadline("2025-02-29")


def test_words_without_a_date_are_refused() -> None:
    with pytest.raises(DeadlineParseError, match="cannot read '尽快完成'"):
        parse_deadline("尽快完成")


# -- before a festival, and years relative to the ledger's ---------------------------------


@pytest.fixture
def lunar() -> Iterator[None]:
    from domain.deadlines import use_lunar_calendar
    from rectify.calendar_data import lunar_to_solar

    use_lunar_calendar(lunar_to_solar)
    yield
    use_lunar_calendar(None)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2026年国庆节前", date(2026, 9, 30)),
        ("2027年五一前", date(2027, 4, 30)),
        ("2027年劳动节前完成", date(2027, 4, 30)),
        ("2027年元旦前", date(2026, 12, 31)),
        ("2027年清明节前", date(2027, 4, 4)),
        ("2027年春节前", date(2027, 2, 4)),  # 除夕 (5 February) is already off
        ("2027年春节假期前", date(2027, 2, 4)),
        ("2027年端午节前", date(2027, 6, 8)),
        ("2027年中秋节之前", date(2027, 9, 14)),
    ],
)
def test_before_a_festival_is_the_day_before_its_first_day_off(
    lunar: None, text: str, due: date
) -> None:
    assert parse_deadline(text) == Deadline(DeadlineKind.DATE, due, text)


def test_a_lunar_festival_without_a_converter_is_refused_asking_for_the_date() -> None:
    with pytest.raises(DeadlineParseError, match="write the date"):
        parse_deadline("2027年春节前")
    assert parse_deadline("2026年国庆节前").due_date == date(2026, 9, 30)  # needs none


def test_a_festival_without_a_year_takes_the_year_given(lunar: None) -> None:
    assert parse_deadline("国庆节前", 2026).due_date == date(2026, 9, 30)
    with pytest.raises(DeadlineParseError, match="no year"):
        parse_deadline("国庆节前")


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("次年3月底前", date(2027, 3, 31)),
        ("翌年6月底", date(2027, 6, 30)),
        ("当年12月底前", date(2026, 12, 31)),
        ("本年度", date(2026, 12, 31)),
        ("12月底前排查，次年3月底前整改", date(2027, 3, 31)),
    ],
)
def test_years_relative_to_the_one_given(text: str, due: date) -> None:
    assert parse_deadline(text, 2026).due_date == due


def test_a_relative_year_without_a_year_given_is_refused() -> None:
    with pytest.raises(DeadlineParseError, match="no year"):
        parse_deadline("次年3月底前")


def test_a_relative_year_counts_from_the_year_written_before_it() -> None:
    text = "2026年6月底前完成，次年3月底前巩固"
    assert parse_deadline(text).due_date == date(2027, 3, 31)
    assert parse_deadline(text, 2030).due_date == date(2027, 3, 31)  # the written year wins
