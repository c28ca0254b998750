"""Campaign progress (GraphQL `campaignProgress`, `enforcementCases`) equals what
tests/cross_check.py recomputes from the raw events, on a dataset driven through the
mutations and RectifyApp."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import eventsourcing.domain
import pytest

from domain.application import RectifyApp
from domain.names import agency_id, campaign_id
from domain.reporting import Cadence, CadenceKind
from tests import cross_check
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    projection_thread,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
MID_APRIL = date(2026, 4, 15)
MID_MARCH = date(2026, 3, 15)
PROGRESS = """
query ($campaign: ID!, $asOf: Date) {
  campaignProgress(campaign: $campaign, asOf: $asOf) {
    currentPhase { name } phases { name starts ends }
    reports { due received outstanding overdue }
    coverage { category region population requiredPercent inspected percent met }
  }
}"""
CASES = """
query ($campaign: ID, $year: Int!) {
  enforcementCases(campaign: $campaign, year: $year) { region count threshold belowThreshold }
}"""
INSPECT = """
mutation ($campaign: ID!, $institution: String!, $category: String!, $on: Date!,
          $region: String) {
  recordInspection(campaign: $campaign, institution: $institution, category: $category,
                   on: $on, findings: "病历书写不规范", region: $region) {
    __typename ... on ProgressChanged { id position }
  }
}"""
FILE_CASE = """
mutation ($number: String!, $filedOn: Date!, $campaign: ID) {
  fileEnforcementCase(number: $number, filedOn: $filedOn, campaign: $campaign) {
    __typename ... on ProgressChanged { id position }
  }
}"""
TARGET = """
mutation ($campaign: ID!, $category: String!, $population: Int!, $requiredPercent: Int!,
          $region: String) {
  setCoverageTarget(campaign: $campaign, category: $category, population: $population,
                    requiredPercent: $requiredPercent, region: $region) {
    __typename ... on InvalidInput { field } ... on ProgressChanged { position }
  }
}"""


class Clock:
    """The log's clock: every event created while patched gets this timestamp."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: date, hour: int = 10) -> None:
        """Move to `hour` o'clock China time on `day` (never backwards)."""
        moment = datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)
        assert moment > self.now
        self.now = moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # eventsourcing stamps events through this module-level function, looked up per call.
    found = Clock(datetime(2026, 3, 2, 1, tzinfo=UTC))
    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", found)
    return found


@pytest.fixture
async def data(clock: Clock, api: Api, app: RectifyApp) -> Api:
    await build_dataset(api, app, clock)
    await wait_until_projected(api.client, app)
    return api


async def build_dataset(api: Api, app: RectifyApp, clock: Clock) -> None:
    """Two phases; a monthly report (one on time, one late, one never); coverage targets
    with a re-inspected hospital and a clinic outside the target's region; cases of 甲县 (at
    the default threshold), 乙县 (below) and none at all in 丙县."""
    campaign = campaign_id(CAMPAIGN)
    health, market = agency_id(HEALTH), agency_id(MARKET)
    app.register_agency(HEALTH, actor="管理员", region="甲县")
    app.register_agency(MARKET, actor="管理员", region="乙县")
    app.register_agency(INSURANCE, actor="管理员", region="丙县")
    app.schedule_campaign_phase(campaign, "自查自纠", date(2026, 3, 1), date(2026, 3, 31), "协调办")
    app.schedule_campaign_phase(campaign, "集中整治", date(2026, 4, 1), date(2026, 6, 30), "协调办")
    duty = app.set_reporting_duty(
        campaign, "月报", Cadence(CadenceKind.MONTHLY, 10), [health, market], "协调办"
    ).id
    march = app.open_report_due(duty, clock.now).id
    for category, population, percent, region in [
        ("县级医院", 2, 100, None),
        ("诊所", 4, 50, "甲县"),
    ]:
        got = await api.gql(
            TARGET, campaign=CAMPAIGN, category=category, population=population,
            requiredPercent=percent, region=region,
        )  # fmt: skip
        assert got["setCoverageTarget"]["__typename"] == "ProgressChanged"

    async def inspect(agency: str, institution: str, category: str, on: date, region: Any) -> None:
        got = await api.gql(
            INSPECT, role="investigator", agency=agency, campaign=str(campaign),
            institution=institution, category=category, on=on.isoformat(), region=region,
        )  # fmt: skip
        assert got["recordInspection"]["__typename"] == "ProgressChanged"

    async def file(agency: str, number: str, filed_on: date, linked: bool) -> None:
        got = await api.gql(
            FILE_CASE, role="liaison", agency=agency, number=number,
            filedOn=filed_on.isoformat(), campaign=CAMPAIGN if linked else None,
        )  # fmt: skip
        assert got["fileEnforcementCase"]["__typename"] == "ProgressChanged"

    clock.at(date(2026, 3, 9))
    app.submit_report(march, health, "三月报告", "卫健联络员")
    clock.at(date(2026, 3, 12))  # an inspection is recorded on or after its day
    await inspect(HEALTH, "甲县人民医院", "县级医院", date(2026, 3, 10), "甲县")
    await inspect(HEALTH, "甲县A诊所", "诊所", date(2026, 3, 12), "甲县")
    clock.at(date(2026, 3, 20))
    app.submit_report(march, market, "三月报告（迟报）", "市场联络员")
    await inspect(MARKET, "乙县C诊所", "诊所", date(2026, 3, 20), "乙县")
    clock.at(date(2026, 4, 1))
    april = app.open_report_due(duty, clock.now).id
    clock.at(date(2026, 4, 8))
    await inspect(HEALTH, "甲县 人民医院。", "县级医院", date(2026, 4, 5), "甲县")  # again
    await inspect(HEALTH, "甲县B诊所", "诊所", date(2026, 4, 8), "甲县")
    clock.at(date(2026, 4, 12))
    app.submit_report(april, health, "四月报告", "卫健联络员")
    clock.at(date(2026, 4, 20))
    await inspect(MARKET, "乙县人民医院", "县级医院", date(2026, 4, 20), "乙县")
    for n in range(1, 11):  # 甲县: ten in 2026, seven of them for the campaign
        await file(HEALTH, f"甲卫罚〔2026〕{n}号", date(2026, 1 + n % 6, 3), linked=n <= 7)
    await file(HEALTH, "甲卫罚〔2026〕1号", date(2026, 2, 3), linked=True)  # a retry: no-op
    await file(HEALTH, "甲卫罚〔2025〕9号", date(2025, 12, 30), linked=False)
    for n in range(1, 4):  # 乙县: three
        await file(MARKET, f"乙市监罚〔2026〕{n}号", date(2026, 5, n), linked=True)
    app.set_case_threshold(campaign, 6, "协调办")


async def progress(api: Api, as_of: date) -> dict[str, Any]:
    data = await api.gql(PROGRESS, campaign=CAMPAIGN, asOf=as_of.isoformat())
    return data["campaignProgress"]  # type: ignore[no-any-return]


def by_region(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["region"]: r for r in rows}


@pytest.mark.parametrize("as_of", [MID_MARCH, MID_APRIL], ids=["march", "april"])
async def test_coverage_equals_the_log_counting_a_reinspection_once(
    data: Api, app: RectifyApp, as_of: date
) -> None:
    got = (await progress(data, as_of))["coverage"]

    found = cross_check.read_progress(app)
    assert got == cross_check.coverage(found, campaign_id(CAMPAIGN), as_of)
    if as_of == MID_APRIL:
        hospitals = next(c for c in got if c["category"] == "县级医院")
        assert (hospitals["inspected"], hospitals["percent"], hospitals["met"]) == (
            1,
            "50.0",
            False,
        )
        clinics = next(c for c in got if c["category"] == "诊所")
        assert (clinics["inspected"], clinics["met"]) == (2, True)  # 乙县C诊所 is out of region


@pytest.mark.parametrize("as_of", [MID_MARCH, MID_APRIL], ids=["march", "april"])
async def test_report_counts_equal_the_log(data: Api, app: RectifyApp, as_of: date) -> None:
    got = (await progress(data, as_of))["reports"]

    found = cross_check.read_progress(app)
    assert got == cross_check.report_counts(found, campaign_id(CAMPAIGN), as_of)
    expected = {"due": 2, "received": 1, "outstanding": 1, "overdue": 1}
    if as_of == MID_APRIL:
        expected = {"due": 4, "received": 3, "outstanding": 1, "overdue": 1}
    assert got == expected


async def test_current_phase_is_the_one_containing_as_of(data: Api) -> None:
    march, april = await progress(data, MID_MARCH), await progress(data, date(2026, 7, 1))
    assert march["currentPhase"] == {"name": "自查自纠"}
    assert april["currentPhase"] is None
    assert [p["name"] for p in march["phases"]] == ["自查自纠", "集中整治"]


@pytest.mark.parametrize("scope", [None, CAMPAIGN], ids=["all", "campaign"])
async def test_case_counts_per_region_equal_the_log_with_zero_and_threshold(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    got = (await data.gql(CASES, campaign=scope, year=2026))["enforcementCases"]

    found = cross_check.read_progress(app)
    linked = campaign_id(scope) if scope else None
    assert by_region(got) == by_region(cross_check.case_counts(found, linked, 2026))
    regions = by_region(got)
    assert regions["丙县"]["count"] == 0 and regions["丙县"]["belowThreshold"]
    assert regions["乙县"]["count"] == 3 and regions["乙县"]["belowThreshold"]
    if scope is None:  # ten cases against the default threshold of ten: not below
        assert (regions["甲县"]["count"], regions["甲县"]["threshold"]) == (10, 10)
    else:  # seven cases linked to the campaign, against its threshold of six
        assert (regions["甲县"]["count"], regions["甲县"]["threshold"]) == (7, 6)
    assert not regions["甲县"]["belowThreshold"]


async def test_coverage_target_with_a_share_over_100_is_refused_naming_the_field(
    data: Api,
) -> None:
    got = await data.gql(
        TARGET, campaign=CAMPAIGN, category="诊所", population=4, requiredPercent=120
    )
    assert got["setCoverageTarget"] == {
        "__typename": "InvalidInput",
        "field": "requiredPercent",
    }
