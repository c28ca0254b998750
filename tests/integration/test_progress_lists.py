"""The lists behind the campaign-progress figures (ADR 0048): a region's enforcement cases,
a coverage target's inspected institutions and which agencies reported a period (and which
did not), each with a total equal to the figure of the same data. The dataset is
test_campaign_progress' (cases in three regions, a re-inspection, reports on time, late and
never)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.application import RectifyApp
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    MARKET,
    Api,
    api,
    projection_thread,
    token,
)
from tests.integration.test_campaign_progress import (
    CASES,
    MID_APRIL,
    MID_MARCH,
    clock,
    data,
    progress,
)
from tests.integration.test_figure_lists import every_row

FIXTURES = (api, projection_thread, clock, data)

CASE_LIST = """
query($year: Int!, $campaign: ID, $region: String, $first: Int!, $after: String) {
  enforcementCaseList(year: $year, campaign: $campaign, region: $region, first: $first,
                      after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id number filedOn region agency { name } } }
  }
}"""
INSPECTED = """
query($campaign: ID!, $category: String!, $asOf: Date, $first: Int!, $after: String) {
  inspectedInstitutions(campaign: $campaign, category: $category, asOf: $asOf,
                        first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id institution region firstOn lastOn } }
  }
}"""
REPORTS = """
query($campaign: ID!, $state: ReportState!, $asOf: Date, $first: Int!, $after: String) {
  reportList(campaign: $campaign, state: $state, asOf: $asOf, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { itemId name period dueDate submittedOn agency { name } } }
  }
}"""


@pytest.mark.parametrize("scope", [None, CAMPAIGN], ids=["all", "campaign"])
async def test_each_regions_case_list_holds_the_cases_it_counts(
    data: Api, scope: str | None
) -> None:
    regions = (await data.gql(CASES, campaign=scope, year=2026))["enforcementCases"]

    assert {r["region"] for r in regions} == {"甲县", "乙县", "丙县"}
    for row in regions:
        total, cases = await every_row(
            data, CASE_LIST, "enforcementCaseList", year=2026, campaign=scope,
            region=row["region"],
        )  # fmt: skip
        assert total == len(cases) == row["count"]
        assert {c["region"] for c in cases} <= {row["region"]}
        assert all(c["filedOn"].startswith("2026-") for c in cases)
    _, cases = await every_row(data, CASE_LIST, "enforcementCaseList", year=2026, region="乙县")
    assert [c["number"] for c in cases] == [f"乙市监罚〔2026〕{n}号" for n in (1, 2, 3)]


async def test_agency_staff_list_only_their_own_agencys_cases(data: Api) -> None:
    total, cases = await every_row(
        data, CASE_LIST, "enforcementCaseList", "liaison", MARKET, year=2026
    )
    assert total == 3 and {c["agency"]["name"] for c in cases} == {MARKET}


@pytest.mark.parametrize("as_of", [MID_MARCH, MID_APRIL], ids=["march", "april"])
async def test_each_coverage_rows_list_holds_the_institutions_it_counts(
    data: Api, as_of: date
) -> None:
    coverage = (await progress(data, as_of))["coverage"]

    assert len(coverage) == 2
    for row in coverage:
        total, found = await every_row(
            data, INSPECTED, "inspectedInstitutions", campaign=CAMPAIGN,
            category=row["category"], asOf=as_of.isoformat(),
        )  # fmt: skip
        assert total == len(found) == row["inspected"]
        assert all(date.fromisoformat(f["firstOn"]) <= as_of for f in found)
    if as_of == MID_APRIL:  # the re-inspected hospital once; 乙县C诊所 out of the region
        _, clinics = await every_row(
            data, INSPECTED, "inspectedInstitutions", campaign=CAMPAIGN, category="诊所",
            asOf=as_of.isoformat(),
        )  # fmt: skip
        assert sorted(c["institution"] for c in clinics) == ["甲县A诊所", "甲县B诊所"]


@pytest.mark.parametrize("as_of", [MID_MARCH, MID_APRIL], ids=["march", "april"])
async def test_which_agencies_reported_and_which_did_not_as_the_counts_say(
    data: Api, as_of: date
) -> None:
    counts = (await progress(data, as_of))["reports"]

    found: dict[str, list[dict[str, Any]]] = {}
    for state in ("due", "received", "outstanding", "overdue"):
        total, found[state] = await every_row(
            data, REPORTS, "reportList", campaign=CAMPAIGN, state=state.upper(),
            asOf=as_of.isoformat(),
        )  # fmt: skip
        assert total == len(found[state]) == counts[state], state
    assert all(r["submittedOn"] is not None for r in found["received"])
    assert all(r["submittedOn"] is None for r in found["outstanding"])
    if as_of == MID_MARCH:  # the market bureau reported March late, on 03-20
        assert [r["agency"]["name"] for r in found["outstanding"]] == [MARKET]


async def test_agency_staff_see_only_their_own_agencys_reports(data: Api) -> None:
    total, rows = await every_row(
        data, REPORTS, "reportList", "liaison", HEALTH, campaign=CAMPAIGN, state="DUE",
        asOf=MID_APRIL.isoformat(),
    )  # fmt: skip
    assert total == 2 and {r["agency"]["name"] for r in rows} == {HEALTH}


async def test_an_unknown_campaign_has_no_report_or_inspection_rows(data: Api) -> None:
    got = await data.gql(REPORTS, campaign="没有这个专项", state="DUE", first=5)
    assert got["reportList"]["totalCount"] == 0
    got = await data.gql(INSPECTED, campaign="没有这个专项", category="诊所", first=5)
    assert got["inspectedInstitutions"]["totalCount"] == 0


async def test_an_as_of_outside_the_calendar_is_refused_naming_the_field(
    data: Api, app: RectifyApp
) -> None:
    response = await data.client.post(
        "/graphql",
        json={
            "query": REPORTS,
            "variables": {"campaign": CAMPAIGN, "state": "DUE", "asOf": "1999-01-01", "first": 5},
        },
        headers={"Authorization": f"Bearer {token('leadership')}"},
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["field"] == "asOf"
