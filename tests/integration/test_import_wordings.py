"""`rectify import-issues` on the wordings of real ledgers (docs/decisions/0024): headers
with notes, measures numbered without separators, deadlines without a year, and every
unknown agency listed with every other problem in one run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.application import RectifyApp
from domain.deadlines import DeadlineKind
from domain.issues import RectificationIssue
from domain.names import campaign_id, issue_id
from rectify.cli import app as cli

REAL_HEADER = "序号,存在问题,整改举措,责任领导,责任单位（部门）,整改时限(完成时间)\n"


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def _ledger(tmp_path: Path, header: str, *rows: str) -> Path:
    path = tmp_path / "ledger.csv"
    path.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def _issue(app: RectifyApp, campaign: str, number: str) -> RectificationIssue:
    return app.get_issue(issue_id(campaign_id(campaign), number))


def test_a_ledger_in_real_wordings_imports_with_its_measures_and_deadlines(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    campaign = "2026年医疗乱象专项整治"
    path = _ledger(
        tmp_path,
        REAL_HEADER,
        "1,检查结果互认不到位,（一）开展专项检查（二）建立长效机制,张三,县卫健局,6月30日前",
        '2,采购不规范,1.规范采购流程2.建立台账,李四,"县医保局、County Health Bureau",立即整改',
        "3,记分制度未建立,制定方案,王五,县卫健局,2026年度",
        "4,投诉闭环不完善,按月分析,赵六,县卫健局,一季度末",
        "5,监督检查不常态,开展督查,钱七,县卫健局,每季度",
    )

    result = run("import-issues", str(path), "--campaign", campaign, "--create-agencies")

    assert result.exit_code == 0, result.output
    first = _issue(app, campaign, "1")
    assert first.measures == ["开展专项检查", "建立长效机制"]
    assert (first.deadline.due_date, first.deadline.text) == (date(2026, 6, 30), "6月30日前")
    second = _issue(app, campaign, "2")
    assert second.measures == ["规范采购流程", "建立台账"]
    assert second.deadline.kind is DeadlineKind.ONGOING
    assert app.get_agency(second.co_agency_ids[0]).name == "County Health Bureau"
    assert _issue(app, campaign, "3").deadline.due_date == date(2026, 12, 31)
    assert _issue(app, campaign, "4").deadline.due_date == date(2026, 3, 31)
    assert _issue(app, campaign, "5").deadline.kind is DeadlineKind.ONGOING
    assert "row 2, 整改时限(完成时间): '6月30日前' names no year" in result.output
    assert "张三" not in result.output  # 责任领导 is a person, not an agency


def test_deadlines_without_a_year_take_the_year_option(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    path = _ledger(tmp_path, REAL_HEADER, "1,问题,措施,张三,县卫健局,6月底前")

    result = run(
        "import-issues", str(path), "--campaign", "测试", "--create-agencies", "--year", "2027"
    )

    assert result.exit_code == 0, result.output
    assert _issue(app, "测试", "1").deadline.due_date == date(2027, 6, 30)


def test_deadlines_without_a_year_take_the_earliest_year_of_the_ledger(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    path = _ledger(
        tmp_path,
        REAL_HEADER,
        "1,问题一,措施,张三,县卫健局,2025年12月31日",
        "2,问题二,措施,张三,县卫健局,2026年6月底",
        "3,问题三,措施,张三,县卫健局,3月底前",
    )

    result = run("import-issues", str(path), "--campaign", "测试", "--create-agencies")

    assert result.exit_code == 0, result.output
    assert _issue(app, "测试", "3").deadline.due_date == date(2025, 3, 31)


def test_two_columns_for_one_field_are_refused_naming_both(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    path = _ledger(
        tmp_path,
        "序号,问题,整改措施,责任单位,完成时限,完成时间\n",
        "1,问题,措施,县卫健局,2026年6月底,2026年5月20日",
    )

    result = run("import-issues", str(path), "--campaign", "测试", "--create-agencies")

    assert result.exit_code == 1
    assert "'完成时限' and '完成时间'" in result.output
    assert app.recorder.max_notification_id() in (None, 0)


def test_unknown_agencies_of_every_row_are_listed_with_every_other_problem(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    app.register_agency("县卫健局", actor="t")
    path = _ledger(
        tmp_path,
        "问题编号,反馈问题,整改措施,责任单位,完成时限\n",
        "1,问题一,措施一,县废物管理中心,2026年6月底",
        '2,问题二,措施二,"县卫健局、县甲局",2026年13月底',
        "3,,措施三,县废物管理中心,2026年6月底",
    )
    before = app.recorder.max_notification_id()

    result = run("import-issues", str(path), "--campaign", "测试")

    assert result.exit_code == 1
    lines = result.output.splitlines()
    for expected in (
        "row 2, 责任单位: unknown agency '县废物管理中心'",
        "row 3, 责任单位: unknown agency '县甲局'",
        "row 3, 完成时限: cannot read '2026年13月底'",
        "row 4, 责任单位: unknown agency '县废物管理中心'",
        "row 4, 反馈问题: empty",
    ):
        assert any(line.startswith(expected) for line in lines), (expected, result.output)
    assert not any("'县卫健局'" in line for line in lines)
    assert app.recorder.max_notification_id() == before


def test_section_headings_and_sign_off_lines_are_skipped_with_a_note(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    campaign = "2027年医疗乱象专项整治"
    path = _ledger(
        tmp_path,
        REAL_HEADER,
        "一、医疗机构管理方面,,,,,",
        "1,检查结果互认不到位,开展专项检查,张三,县卫健局,2027年春节前",
        "（二）医保基金监管方面,（二）医保基金监管方面,（二）医保基金监管方面,,,",
        "2,违规收费,退还费用,李四,县医保局,次年3月底前",
        "填报人：张三  联系电话：0000-1234567,,,,,",
    )

    result = run("import-issues", str(path), "--campaign", campaign, "--create-agencies")

    assert result.exit_code == 0, result.output
    assert "row 2: skipped, a section heading '一、医疗机构管理方面'" in result.output
    assert "row 4: skipped, a section heading" in result.output
    assert "row 6: skipped, a sign-off line" in result.output
    assert _issue(app, campaign, "1").deadline.due_date == date(2027, 2, 4)  # before 除夕
    assert _issue(app, campaign, "2").deadline.due_date == date(2028, 3, 31)  # 次年 of 2027
    assert "填报人" not in result.output.split("note")[0]  # no agency was made of it


def test_a_row_with_one_text_that_is_no_heading_is_still_refused(run, tmp_path: Path) -> None:
    path = _ledger(tmp_path, REAL_HEADER, "1,违规收费,,,,")

    result = run("import-issues", str(path), "--campaign", "2026年专项", "--create-agencies")

    assert result.exit_code == 1
    assert "row 2, 整改举措: empty" in result.output


def test_a_date_cell_keeps_the_text_the_sheet_shows(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    from infrastructure.ledger_files import read_xlsx

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "反馈问题", "整改措施", "责任单位", "完成时限"])
    for n, (day, form) in enumerate(
        [(dt.datetime(2026, 12, 31), 'yyyy"年"m"月"d"日"'), (dt.datetime(2026, 6, 30), "yyyy/m/d")],
        start=2,
    ):
        sheet.append([n - 1, "问题", "措施", "县卫健局", day])
        sheet.cell(n, 5).number_format = form
    sheet.append([3, "问题", "措施", "县卫健局", dt.datetime(2026, 3, 31)])
    path = tmp_path / "dates.xlsx"
    book.save(path)

    _, rows = read_xlsx(path)

    assert [r.cells["完成时限"] for r in rows] == ["2026年12月31日", "2026/6/30", "2026-03-31"]
