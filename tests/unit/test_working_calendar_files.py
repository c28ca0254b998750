"""Calendar files administrators write: JSON or one day a line, refusals naming row/field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domain.messages import halves
from rectify.calendar_data import (
    CalendarFile,
    CalendarFileRejected,
    arrangement_as_json,
    build_calendar,
    read_calendar_file,
)
from tests.unit.test_refusal_messages import assert_bilingual


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(CalendarFileRejected) as rejected:
        read_calendar_file(path)
    return rejected.value.problems


def _english(problems: list[str]) -> list[str]:
    """The English of each problem, once it is seen to come after its Chinese."""
    for problem in problems:
        assert_bilingual(problem)
    return [halves(p)[1] for p in problems]


def test_json_file_gives_year_days_and_source(tmp_path: Path) -> None:
    data: dict[str, Any] = {
        "year": 2027,
        "holidays": ["2027-01-01", "2027-02-05"],
        "working_days": ["2027-02-20"],
        "source": "国办发明电〔2026〕1号",
    }
    parsed = read_calendar_file(_write(tmp_path, "2027.json", json.dumps(data)))
    assert parsed == CalendarFile(
        2027, ["2027-01-01", "2027-02-05"], ["2027-02-20"], data["source"]
    )


def test_json_working_days_and_source_are_optional(tmp_path: Path) -> None:
    parsed = read_calendar_file(_write(tmp_path, "a.json", '{"year": 2027, "holidays": []}'))
    assert parsed == CalendarFile(2027, [], [], "")


def test_json_refusals_name_each_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.json", '{"year": "2027", "holiday": [], "working_days": "x"}')
    assert _english(_problems(path)) == [
        "holiday: unknown field; expected one of holidays, source, working_days, year",
        "year: '2027'; expected e.g. 2027",
        "holidays: missing; expected a list of dates (YYYY-MM-DD)",
        "working_days: expected a list of dates (YYYY-MM-DD)",
    ]


def test_json_date_problems_name_the_list_position(tmp_path: Path) -> None:
    text = (
        '{"year": 2027, "holidays": ["2027-01-01", "2027-13-01"], "working_days": ["2027-01-01"]}'
    )
    assert _problems(_write(tmp_path, "bad.json", text)) == [
        "holidays[1]: '2027-13-01' 不是日期（YYYY-MM-DD） / "
        "'2027-13-01' is not a date (YYYY-MM-DD)",
        "working_days[0]: 2027-01-01 同时列为节假日 / 2027-01-01 is also listed as a holiday",
    ]


def test_broken_json_names_line_and_column(tmp_path: Path) -> None:
    (problem,) = _english(
        _problems(_write(tmp_path, "bad.json", '{"year": 2027,\n "holidays": [,]}'))
    )
    assert problem.startswith("line 2, column ")


def test_text_file_one_day_a_line_with_chinese_or_english_kinds(tmp_path: Path) -> None:
    text = "# 2027 安排\ndate,kind\n2027-01-01,holiday\n\n2027-02-05,休\n2027-02-20,班,春节调休\n"
    parsed = read_calendar_file(_write(tmp_path, "2027.csv", text))
    assert parsed == CalendarFile(2027, ["2027-01-01", "2027-02-05"], ["2027-02-20"])


def test_text_file_refusals_name_the_row_and_column(tmp_path: Path) -> None:
    text = (
        "date,kind\n2027-01-01,holiday\n2027-02-30,holiday\n2028-01-01,holiday\n2027-03-01,rest\n"
    )
    assert _english(_problems(_write(tmp_path, "bad.csv", text))) == [
        "row 3, date: '2027-02-30' is not a date (YYYY-MM-DD)",
        "row 4, date: 2028-01-01 is not in 2027 (one year a file)",
        "row 5, kind: 'rest'; expected holiday or working_day",
    ]


def test_text_file_domain_refusals_are_mapped_back_to_rows(tmp_path: Path) -> None:
    text = "2027-01-01,holiday\n2027-02-06,holiday\n2027-02-06,working_day\n2027-02-22,班\n"
    assert _problems(_write(tmp_path, "bad.txt", text)) == [
        "row 3: 2027-02-06 同时列为节假日 / 2027-02-06 is also listed as a holiday",
        "row 4: 2027-02-22 是工作日，只能调整周六或周日 / "
        "2027-02-22 is a weekday; only a Saturday or Sunday can be adjusted",
    ]


def test_an_empty_text_file_is_refused(tmp_path: Path) -> None:
    assert _english(_problems(_write(tmp_path, "empty.csv", "date,kind\n"))) == [
        "no dates found; one line per day: 2027-01-01,holiday"
    ]


def test_what_show_prints_can_be_loaded_back(tmp_path: Path) -> None:
    data = arrangement_as_json(build_calendar().arrangement(2026))
    parsed = read_calendar_file(_write(tmp_path, "2026.json", json.dumps(data)))
    assert parsed.year == 2026 and "2026-02-14" in parsed.working_days
    assert parsed.source.startswith("chinesecalendar")
