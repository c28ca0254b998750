"""Every edge where a date enters refuses one the calendar cannot count (2000–2099), with a
typed refusal naming the field and the range in Chinese and English, and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from domain.application import RectifyApp
from rectify.cli import app as cli
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    Api,
    api,
    issue,
    projection_thread,
    token,
)
from tests.integration.test_cli_import import HEADER, _issues, run
from tests.integration.test_graphql_mutations import EXTEND, REGISTER, REOPEN
from tests.integration.test_graphql_mutations import run as gql

FIXTURES = (api, projection_thread, run)
RANGE = "超出日历支持范围（2000–2099年） / outside the years the calendar supports (2000–2099)"

INSPECT = """mutation ($on: Date!, $campaign: ID!) {
  result: recordInspection(campaign: $campaign, institution: "县人民医院", category: "医院",
                           on: $on) { __typename ... on InvalidInput { field message } } }"""
FILE_CASE = """mutation ($filedOn: Date!) {
  result: fileEnforcementCase(number: "县卫罚〔2026〕1号", filedOn: $filedOn) {
    __typename ... on InvalidInput { field message } } }"""


def refused(result: dict[str, Any], field: str) -> str:
    assert result["__typename"] == "InvalidInput", result
    assert result["field"] == field
    assert RANGE in result["message"]
    return str(result["message"])


def register(deadline: str) -> dict[str, Any]:
    return {
        "campaign": CAMPAIGN,
        "number": "99",
        "problem": "违规收费",
        "measures": ["退费"],
        "leadAgency": HEALTH,
        "deadline": deadline,
    }


@pytest.mark.parametrize("deadline", ["9999-12-31", "2100年3月底", "0001-01-01", "1999年底"])
async def test_register_issue_refuses_a_deadline_the_calendar_cannot_count(
    api: Api, app: RectifyApp, deadline: str
) -> None:
    head = app.recorder.max_notification_id()

    result = await gql(api, REGISTER, "coordinator", input=register(deadline))

    message = refused(result, "deadline")
    assert f"'{deadline}'" in message
    assert app.recorder.max_notification_id() == head


async def test_0001_01_01_is_refused_as_year_1_not_read_as_2001(api: Api) -> None:
    result = await gql(api, REGISTER, "coordinator", input=register("0001-01-01"))

    assert "1年超出日历支持范围" in refused(result, "deadline")


async def test_the_last_supported_day_is_accepted(api: Api) -> None:
    result = await gql(api, REGISTER, "coordinator", input=register("2099-12-31"))

    assert result["__typename"] == "IssueChanged", result


async def test_request_extension_refuses_a_new_due_date_after_2099_naming_new_due_date(
    api: Api, app: RectifyApp
) -> None:
    head = app.recorder.max_notification_id()

    by_date = await gql(api, EXTEND, "coordinator", id=issue("5"), reason="r", due="9999-12-31")
    by_text = await gql(api, EXTEND, "coordinator", id=issue("5"), reason="r", text="2100年6月底")

    refused(by_date, "newDueDate")
    refused(by_text, "deadline")
    assert app.recorder.max_notification_id() == head


async def test_reopen_refuses_a_deadline_the_calendar_cannot_count(api: Api) -> None:
    result = await gql(
        api, REOPEN, "coordinator", id=issue("4"), reason="问题反弹", text="2100年6月底"
    )

    refused(result, "deadline")


async def test_inspection_and_case_dates_outside_the_range_are_refused(api: Api) -> None:
    inspected = (
        await api.gql(INSPECT, role="liaison", agency=HEALTH, on="9999-12-31", campaign=CAMPAIGN)
    )["result"]
    filed = (await api.gql(FILE_CASE, role="liaison", agency=HEALTH, filedOn="0001-01-01"))[
        "result"
    ]

    refused(inspected, "on")
    refused(filed, "filedOn")


def test_import_refuses_the_row_with_a_deadline_outside_the_range_and_imports_nothing(
    run: Any, app: RectifyApp, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        ",".join(HEADER)
        + "\n1,违规收费,退费,县卫健局,2026年6月底\n2,超标准收费,退费,县卫健局,9999-12-31\n",
        encoding="utf-8",
    )

    result = run(
        "import-issues", str(ledger), "--campaign", "医疗乱象专项整治", "--create-agencies"
    )

    assert result.exit_code == 1
    assert f"row 3, 完成时限: '9999-12-31'：9999年{RANGE}" in result.output
    assert _issues(app) == []


def test_calendar_load_of_a_year_outside_the_range_is_refused(
    run: Any, app: RectifyApp, tmp_path: Path
) -> None:
    for year in (1999, 2100):
        days = tmp_path / f"{year}.json"
        days.write_text(f'{{"year": {year}, "holidays": ["{year}-01-01"]}}', encoding="utf-8")

        result = run("calendar", "load", str(days))

        assert result.exit_code == 1
        assert f"year: {year}年{RANGE}" in result.output
    assert app.recorder.max_notification_id() is None


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01T10:00"])
def test_calendar_due_refuses_a_start_outside_the_range_without_a_traceback(start: str) -> None:
    result = CliRunner().invoke(cli, ["calendar", "due", start, "--hours", "48", "--offline"])

    assert result.exit_code == 2
    assert "超出日历支持范围" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


async def test_statistics_as_of_a_day_outside_the_range_is_an_error_naming_as_of(
    api: Api,
) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": '{ statistics(asOf: "9999-12-31") { overdue { totalCount } } }'},
        headers={"Authorization": f"Bearer {token('coordinator')}"},
    )

    [error] = response.json()["errors"]
    assert error["message"] == f"asOf: 9999年{RANGE}"
    assert error["extensions"]["field"] == "asOf"
