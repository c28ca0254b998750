"""Text no event may hold is refused at the CLI and in imported files, naming the option or
the row, and nothing is written (real PostgreSQL)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from domain.application import RectifyApp
from domain.text_rules import MAX_NAME, MAX_TEXT

HEADER = ["问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"]
NUL = "县\x00卫健局"


def _events(app: RectifyApp) -> int:
    return app.recorder.max_notification_id() or 0


# Every text argument a command stores (or looks a stored item up by), with a NUL in it.
STORED_TEXT = [
    (["agency", "add", NUL], "name"),
    (["agency", "add", "县卫健局", "--alias", "卫健局", "--alias", NUL], "--alias"),
    (["agency", "add", "县卫健局", "--level", NUL], "--level"),
    (["agency", "add", "县卫健局", "--parent", NUL], "--parent"),
    (["agency", "add", "县卫健局", "--region", NUL], "--region"),
    (["agency", "add", "各成员单位", "--member", NUL], "--member"),
    (["campaign", "launch", NUL], "title"),
    (["campaign", "launch", "专项", "--lead", NUL], "--lead"),
    (["campaign", "member", "专项", "县卫健局", NUL], "agencies"),
    (["campaign", "phase", "专项", NUL, "2026-01-01", "2026-02-01"], "name"),
    (["campaign", "target", "专项", NUL, "10", "50"], "category"),
    (["campaign", "target", "专项", "民营医院", "10", "50", "--region", NUL], "--region"),
    (["report-duty", "set", "专项", NUL, "--agency", "县卫健局", "--quarterly"], "name"),
    (["report-duty", "submit", "id", "--agency", "县卫健局", "--text", NUL], "--text"),
    (["referral", "terms", NUL, "--claim-days", "3"], "campaign"),
    (["policy", "set", "rungs.json", "--campaign", "专项", "--reason", NUL], "--reason"),
    (["notifications", "add-email", "县卫健局", NUL], "address"),
    (["notifications", "add-webhook", "县卫健局", "https://x", "--secret", NUL], "--secret"),
    (["calendar", "load", "2026.json", "--actor", NUL], "--actor"),
    (["import-issues", "ledger.csv", "--campaign", NUL], "--campaign"),
    (["import-issues", "ledger.csv", "--campaign", "专项", "--actor", NUL], "--actor"),
]


@pytest.mark.parametrize(("args", "named"), STORED_TEXT)
def test_a_nul_in_any_stored_text_argument_is_refused_naming_it(
    run, app: RectifyApp, args: list[str], named: str
) -> None:
    before = _events(app)

    result = run(*args)

    assert result.exit_code == 2
    assert f"{named}: 含有空字符（U+0000），请删除后重试" in result.output
    assert _events(app) == before


def test_a_lone_surrogate_in_a_campaign_title_is_refused(run, app: RectifyApp) -> None:
    result = run("campaign", "launch", "专项\udcff")  # a non-UTF-8 byte of argv, as Python reads it

    assert result.exit_code == 2
    assert "title: 含有无效字符（孤立代理项 U+DCFF）" in result.output
    assert _events(app) == 0


def test_a_ledger_file_name_no_text_may_hold_is_refused(run, app: RectifyApp) -> None:
    result = run("import-issues", "台账\udcff.csv", "--campaign", "专项")  # stored as its source

    assert result.exit_code == 2
    assert "file: 含有无效字符（孤立代理项 U+DCFF）" in result.output
    assert _events(app) == 0


def test_an_alias_longer_than_a_name_allows_is_refused(run, app: RectifyApp) -> None:
    result = run("agency", "add", "县卫健局", "--alias", "卫" * (MAX_NAME + 1))

    assert result.exit_code == 2
    assert f"--alias: 超过 {MAX_NAME} 个字符上限" in result.output
    assert _events(app) == 0


def test_a_report_as_long_as_free_text_allows_passes_the_text_check(run) -> None:
    result = run(
        "report-duty", "submit", "not-an-id", "--agency", "县卫健局", "--text", "报" * MAX_TEXT
    )

    assert "--text" not in result.output
    assert "'not-an-id' is not an id" in result.output  # refused later, for its id


def test_an_agency_added_with_plain_aliases_is_recorded(run, app: RectifyApp) -> None:
    result = run("agency", "add", "县卫生健康局", "--alias", "县卫健局", "--region", "某某县")

    assert result.exit_code == 0, result.output
    assert app.find_agency("县卫健局") is not None


def _ledger(tmp_path: Path, *rows: list[str]) -> Path:
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(",".join(row) for row in [HEADER, *rows]), encoding="utf-8")
    return path


def test_an_import_with_a_nul_in_an_agency_name_writes_nothing_and_names_the_row(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    path = _ledger(
        tmp_path,
        ["1", "问题一", "措施一", "县卫健局", "2026年6月底"],
        ["2", "问题二", "措施二", NUL, "2026年6月底"],
    )

    result = run("import-issues", str(path), "--campaign", "专项", "--create-agencies")

    assert result.exit_code == 1
    assert "row 3, 责任单位: 含有空字符（U+0000），请删除后重试" in result.output
    assert "nothing imported: 1 problem(s)" in result.output
    assert _events(app) == 0


def test_an_import_with_a_nul_and_unknown_agencies_lists_both_without_creating(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    path = _ledger(
        tmp_path,
        ["1", "问题一", "措施一", "县未知局", "2026年6月底"],
        ["2", "问题\x00二", "措施二", f"县卫健局、{NUL}", "2026年6月底"],
    )

    result = run("import-issues", str(path), "--campaign", "专项")

    assert result.exit_code == 1
    assert "row 2, 责任单位: 未知单位'县未知局'" in result.output
    assert "row 3, 反馈问题: 含有空字符" in result.output
    assert _events(app) == 0


def test_a_zip_bomb_import_is_refused_with_the_limit_and_writes_nothing(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    bomb = tmp_path / "bomb.xlsx"
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c></row>"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in source.infolist():
            if entry.filename != "xl/worksheets/sheet1.xml":
                out.writestr(entry, source.read(entry.filename))
        with out.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            sheet.write(b"<sheetData>")
            for _ in range(200):
                sheet.write(row * (2**20 // len(row)))
            sheet.write(b"</sheetData></worksheet>")

    result = run("import-issues", str(bomb), "--campaign", "专项", "--create-agencies")

    assert result.exit_code == 1
    assert "file: 解压后超过 64.0 MiB 上限（200.0 MiB）" in result.output
    assert "nothing imported" in result.output
    assert _events(app) == 0
