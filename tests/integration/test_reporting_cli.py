"""`rectify report-duty set|end|submit` against real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.names import agency_id, campaign_id
from domain.reporting import Cadence, CadenceKind, duty_id
from rectify.cli import app as cli

Run = Callable[..., Result]
TITLE = "医疗乱象专项整治"


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    monkeypatch.setenv("RECTIFY_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    invoke = lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)  # noqa: E731
    for name in ("县卫健局", "县医保局"):
        assert invoke("agency", "add", name).exit_code == 0
    assert invoke("campaign", "launch", TITLE).exit_code == 0
    return invoke


@pytest.fixture
def ledger(es_env: dict[str, str]) -> Iterator[RectifyApp]:
    app = RectifyApp(env=es_env)
    yield app
    app.close()


def test_a_monthly_duty_is_set_for_its_agencies(run: Run, ledger: RectifyApp) -> None:
    result = run("report-duty", "set", TITLE, "督查整改月报", "--monthly-day", "30",
                 "--agency", "县卫健局", "--agency", "县医保局")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    duty = ledger.get_reporting_duty(duty_id(campaign_id(TITLE), "督查整改月报"))
    assert duty.cadence == Cadence(CadenceKind.MONTHLY, 30)
    assert duty.agency_ids == [agency_id("县卫健局"), agency_id("县医保局")]


def test_a_duty_needs_exactly_one_cadence(run: Run) -> None:
    result = run("report-duty", "set", TITLE, "月报", "--agency", "县卫健局")
    assert result.exit_code == 2
    assert "--monthly-day N or --quarterly" in result.stderr


def test_an_agency_submits_its_report(run: Run, ledger: RectifyApp) -> None:
    run("report-duty", "set", TITLE, "季度进展", "--quarterly", "--agency", "县卫健局")
    duty = duty_id(campaign_id(TITLE), "季度进展")
    report = ledger.open_report_due(duty, datetime(2026, 3, 1, tzinfo=TIMEZONE)).id
    result = run("report-duty", "submit", str(report), "--agency", "县卫健局", "--text", "已报送")
    assert result.exit_code == 0, result.stderr
    assert not ledger.get_report_due(report).clock_open()


def test_ending_a_duty_records_it(run: Run, ledger: RectifyApp) -> None:
    run("report-duty", "set", TITLE, "季度进展", "--quarterly", "--agency", "县卫健局")
    assert run("report-duty", "end", TITLE, "季度进展").exit_code == 0
    assert ledger.get_reporting_duty(duty_id(campaign_id(TITLE), "季度进展")).ended


def test_ending_an_unknown_duty_is_refused(run: Run) -> None:
    result = run("report-duty", "end", TITLE, "不存在")
    assert result.exit_code == 1 and "不存在" in result.stderr
