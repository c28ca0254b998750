"""Campaign management through GraphQL: lead, members, phases, and who may do it."""

from __future__ import annotations

from typing import Any

from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    Api,
    api,
    projection_thread,
)

FIXTURES = (api, projection_thread)

RESULT = """
  __typename
  ... on CampaignChanged { position campaign { title leadAgency { name }
      members { name } phases { name starts ends } } }
  ... on NotAllowed { message }
  ... on InvalidInput { message field }
  ... on NotFound { message }
"""
LAUNCH = f"""mutation($title: String!, $lead: ID) {{
  result: launchCampaign(title: $title, leadAgency: $lead) {{ {RESULT} }} }}"""
MEMBER = f"""mutation($c: ID!, $a: ID!) {{
  result: addCampaignMember(campaign: $c, agency: $a) {{ {RESULT} }} }}"""
PHASE = f"""mutation($c: ID!, $n: String!, $s: Date!, $e: Date!) {{
  result: scheduleCampaignPhase(campaign: $c, name: $n, starts: $s, ends: $e) {{ {RESULT} }} }}"""


async def run(api: Api, query: str, role: str = "coordinator", **variables: Any) -> Any:
    return (await api.gql(query, role=role, **variables))["result"]


async def test_a_campaign_is_launched_with_its_lead_members_and_phases(api: Api) -> None:
    title = "医保基金管理突出问题专项整治"
    launched = await run(api, LAUNCH, title=title, lead=HEALTH)
    await run(api, MEMBER, c=title, a=INSURANCE)
    await run(api, PHASE, c=title, n="集中整治", s="2026-05-01", e="2026-10-31")
    result = await run(api, PHASE, c=title, n="自查自纠", s="2026-03-01", e="2026-04-30")

    assert launched["__typename"] == "CampaignChanged" and launched["position"] > 0
    campaign = result["campaign"]
    assert campaign["leadAgency"] == {"name": HEALTH}
    assert sorted(m["name"] for m in campaign["members"]) == sorted([HEALTH, INSURANCE])
    assert campaign["phases"] == [
        {"name": "自查自纠", "starts": "2026-03-01", "ends": "2026-04-30"},
        {"name": "集中整治", "starts": "2026-05-01", "ends": "2026-10-31"},
    ]


async def test_the_imported_campaign_lists_the_agencies_of_its_ledger(api: Api) -> None:
    data = await api.gql("{ campaigns { title leadAgency { name } members { name } } }")
    imported = next(c for c in data["campaigns"] if c["title"] == CAMPAIGN)
    assert imported["leadAgency"] is None
    assert HEALTH in {m["name"] for m in imported["members"]}


async def test_a_liaison_may_not_manage_a_campaign(api: Api) -> None:
    result = await api.gql(LAUNCH, role="liaison", agency=HEALTH, title="某行动")
    assert result["result"]["__typename"] == "NotAllowed"


async def test_overlapping_phases_are_refused_naming_the_field(api: Api) -> None:
    await run(api, PHASE, c=CAMPAIGN, n="自查自纠", s="2026-03-01", e="2026-04-30")
    result = await run(api, PHASE, c=CAMPAIGN, n="集中整治", s="2026-04-15", e="2026-10-31")
    assert result == {
        "__typename": "InvalidInput",
        "field": "phase",
        "message": result["message"],
    }
    assert "集中整治 overlaps 自查自纠" in result["message"]


async def test_an_unknown_campaign_is_not_found(api: Api) -> None:
    result = await run(api, MEMBER, c="没有这个行动", a=HEALTH)
    assert result["__typename"] == "NotFound"
