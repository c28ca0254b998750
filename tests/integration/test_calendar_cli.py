"""`rectify calendar due|load|show` through the typer sub-app, against real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from rectify.cli import app

Run = Callable[..., Result]
FILE_2027: dict[str, Any] = {
    "year": 2027,
    "holidays": ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 14))],
    "working_days": ["2027-02-20"],
    "source": "国办发明电〔2026〕1号",
}


def _runner() -> Run:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["calendar", *args], catch_exceptions=False)


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    monkeypatch.setenv("RECTIFY_HOME", str(tmp_path / "home"))
    return _runner()


@pytest.fixture
def run_without_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("RECTIFY_HOME", str(tmp_path / "fresh"))
    return _runner()


def _file(tmp_path: Path, data: object, name: str = "2027.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_due_in_working_days_across_national_day_needs_no_database(
    run_without_database: Run, tmp_path: Path
) -> None:
    result = run_without_database("due", "2025-09-30", "--working-days", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2025-10-09\n"
    assert result.stderr == ""
    assert not (tmp_path / "fresh").exists()  # no embedded database was started


def test_due_in_calendar_days_and_hours(run_without_database: Run) -> None:
    assert run_without_database("due", "2025-09-27", "--calendar-days", "4").stdout == (
        "2025-10-09\n"
    )
    hours = run_without_database("due", "2025-09-30T10:00", "--hours", "24")
    assert hours.stdout == "2025-10-01T10:00:00+08:00\n"


def test_due_in_a_year_without_data_is_flagged_provisional_on_stderr(
    run_without_database: Run,
) -> None:
    result = run_without_database("due", "2027-02-04", "--working-days", "1")
    assert result.exit_code == 0
    assert result.stdout == "2027-02-11\n"
    assert "provisional" in result.stderr and "2027" in result.stderr


def test_a_start_with_another_offset_counts_from_its_day_in_china(
    run_without_database: Run,
) -> None:
    """20:00 UTC on 29 September is 04:00 on the 30th in China: one working day later is
    after National Day, as the clocks count it."""
    utc = run_without_database("due", "2026-09-29T20:00+00:00", "--working-days", "1")
    china = run_without_database("due", "2026-09-29T20:00+08:00", "--working-days", "1")
    assert (utc.stdout, china.stdout) == ("2026-10-08\n", "2026-09-30\n")


def test_due_needs_exactly_one_period(run_without_database: Run) -> None:
    result = run_without_database("due", "2025-01-01", "--working-days", "1", "--hours", "2")
    assert result.exit_code == 2
    assert "exactly one of" in result.output


def test_an_unreachable_database_is_noted_and_the_package_still_answers(
    run_without_database: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = run_without_database("due", "2025-01-27", "--working-days", "1")
    assert result.exit_code == 0
    assert result.stdout == "2025-02-05\n"
    assert "database unreachable" in result.stderr


def test_load_records_the_year_and_due_then_uses_it_without_the_provisional_note(
    run: Run, tmp_path: Path
) -> None:
    loaded = run("load", _file(tmp_path, FILE_2027), "--actor", "admin:li")
    assert loaded.exit_code == 0, loaded.output
    assert loaded.stdout.startswith("2027: loaded")

    result = run("due", "2027-02-04", "--working-days", "1")
    assert result.stdout == "2027-02-15\n"
    assert result.stderr == ""
    offline = run("due", "2027-02-04", "--working-days", "1", "--offline")
    assert offline.stdout == "2027-02-11\n" and "provisional" in offline.stderr


def test_loading_the_same_file_twice_reports_unchanged(run: Run, tmp_path: Path) -> None:
    path = _file(tmp_path, FILE_2027)
    run("load", path)
    again = run("load", path)
    assert again.exit_code == 0
    assert "unchanged" in again.stdout


def test_a_bad_file_loads_nothing_and_names_each_problem(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "2027.csv"
    bad.write_text("2027-01-01,holiday\n2027-02-06,holiday\n2027-02-06,班\n", encoding="utf-8")
    result = run("load", str(bad))
    assert result.exit_code == 1
    assert (
        "2027.csv: row 3: 2027-02-06 同时列为节假日 / 2027-02-06 is also listed as a holiday"
        in (result.stderr)
    )
    assert run("due", "2027-02-04", "--working-days", "1").stdout == "2027-02-11\n"


def test_show_prints_the_loaded_year_in_the_file_format(run: Run, tmp_path: Path) -> None:
    run("load", _file(tmp_path, FILE_2027))
    shown = json.loads(run("show", "2027").stdout)
    assert shown == FILE_2027 | {"holidays": sorted(FILE_2027["holidays"])}


def test_a_file_leaving_out_statutory_holidays_loads_with_a_note_naming_them(
    run: Run, tmp_path: Path
) -> None:
    """A file is the whole year: one giving only Spring Festival leaves 清明, 劳动节 …
    working days, which is most likely a mistake worth saying."""
    result = run("load", _file(tmp_path, FILE_2027))

    assert result.exit_code == 0 and result.stdout.startswith("2027: loaded")
    assert "2027-04-05 (清明节) is a statutory holiday the file does not list" in result.stderr
    assert "2027-10-01 (国庆节)" in result.stderr
    assert "2027-02-06" not in result.stderr  # listed in the file


def test_a_complete_file_loads_without_notes(run: Run, tmp_path: Path) -> None:
    from domain.calendar.statutory import statutory_holidays
    from rectify.calendar_data import lunar_to_solar

    holidays = sorted(d.isoformat() for d in statutory_holidays(2028, lunar_to_solar))
    data = {"year": 2028, "holidays": holidays, "working_days": []}
    result = run("load", _file(tmp_path, data, "2028.json"))

    assert result.exit_code == 0 and result.stderr == ""
