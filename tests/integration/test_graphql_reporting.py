"""submitReport through GraphQL: who may report for which agency, and the refusals."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.names import agency_id, campaign_id
from domain.reporting import Cadence, CadenceKind
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    issue,
    projection_thread,
)

FIXTURES = (api, projection_thread)
SUBMIT = """mutation($report: ID!, $text: String!, $forAgency: ID) {
  submitReport(reportId: $report, text: $text, agencyId: $forAgency) {
    __typename
    ... on ReportSubmitted { outstanding }
    ... on NotAllowed { message }
    ... on InvalidTransition { currentState }
    ... on NotFound { message }
  }
}"""


def open_report(app: RectifyApp) -> UUID:
    agencies = [agency_id(HEALTH), agency_id(INSURANCE)]
    duty = app.set_reporting_duty(
        campaign_id(CAMPAIGN), "督查整改月报", Cadence(CadenceKind.MONTHLY, 30), agencies, "协调办"
    ).id
    return app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id


async def submit(
    api: Api, report: UUID, role: str, caller: str | None, for_agency: str | None = None
) -> dict:
    data = await api.gql(
        SUBMIT, role, caller, report=str(report), text="4月情况", forAgency=for_agency
    )
    return data["submitReport"]  # type: ignore[no-any-return]


async def test_a_liaison_submits_its_agencys_report(api: Api, app: RectifyApp) -> None:
    report = open_report(app)
    assert await submit(api, report, "liaison", HEALTH) == {
        "__typename": "ReportSubmitted",
        "outstanding": 1,
    }
    assert app.get_report_due(report).submitted == [agency_id(HEALTH)]


async def test_a_coordinator_records_a_report_for_an_agency(api: Api, app: RectifyApp) -> None:
    report = open_report(app)
    done = await submit(api, report, "coordinator", None, for_agency=INSURANCE)
    assert done["__typename"] == "ReportSubmitted"


async def test_a_liaison_cannot_report_for_another_agency(api: Api, app: RectifyApp) -> None:
    report = open_report(app)
    refused = await submit(api, report, "liaison", MARKET, for_agency=HEALTH)
    assert refused["__typename"] == "NotAllowed"


async def test_an_auditor_cannot_submit_reports(api: Api, app: RectifyApp) -> None:
    report = open_report(app)
    assert (await submit(api, report, "auditor", None, for_agency=HEALTH))[
        "__typename"
    ] == "NotAllowed"


async def test_submitting_twice_is_refused(api: Api, app: RectifyApp) -> None:
    report = open_report(app)
    await submit(api, report, "liaison", HEALTH)
    again = await submit(api, report, "liaison", HEALTH)
    assert again == {"__typename": "InvalidTransition", "currentState": "SUBMITTED"}


async def test_an_unknown_report_is_not_found(api: Api) -> None:
    assert (await submit(api, uuid4(), "liaison", HEALTH))["__typename"] == "NotFound"


async def test_an_id_of_another_kind_is_not_found(api: Api, app: RectifyApp) -> None:
    """An issue's or a duty's id given as a report: NotFound, not an internal error."""
    agencies = [agency_id(HEALTH)]
    duty = app.set_reporting_duty(
        campaign_id(CAMPAIGN), "季度报告", Cadence(CadenceKind.QUARTERLY), agencies, "协调办"
    ).id
    for other in (UUID(issue("1")), duty):
        assert (await submit(api, other, "liaison", HEALTH))["__typename"] == "NotFound"
