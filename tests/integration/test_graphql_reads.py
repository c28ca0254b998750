"""GraphQL reads over the known ledger: auth, the issues connection, history, dashboard."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import issue_token
from domain.names import agency_id, campaign_id
from projections import queries
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    SECRET,
    TOWNS,
    Api,
    api,
    issue,
    projection_thread,
    token,
)

# fixtures: the known ledger behind a running API, with the projection following the log
FIXTURES = (api, projection_thread)

OTHER_SECRET = "another-secret-of-at-least-32-bytes!"
ISSUES = """
query($filter: IssueFilter, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id number status overdue measures
      leadAgency { id name } coAgencies { name } deadline { kind dueDate text }
      campaign { title } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def numbers(api: Api, **issue_filter: Any) -> list[str]:
    data = await api.gql(ISSUES, filter=issue_filter, first=50)
    return [e["node"]["number"] for e in data["issues"]["edges"]]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": f"Bearer {token('admin', secret=OTHER_SECRET)}"},
        {"Authorization": f"Bearer {issue_token(SECRET, 'admin', None, None, 'x', -1)}"},
        {"Authorization": f"Basic {token('admin')}"},
    ],
    ids=["no-token", "garbage", "wrong-secret", "expired", "not-bearer"],
)
async def test_graphql_without_a_valid_bearer_token_is_401(
    api: Api, headers: dict[str, str]
) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ campaigns { id } }"}, headers=headers
    )

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_health_and_home_page_need_no_token(api: Api) -> None:
    health = await api.client.get("/healthz")
    home = await api.client.get("/")

    assert health.json()["ok"] is True and health.json()["projection_position"] > 0
    # the workbench's page, or the old home page where it is not built
    assert home.status_code == 200
    assert "整改" in home.text and "cdn" not in home.text.lower()


async def test_campaigns_agencies_and_me(api: Api) -> None:
    data = await api.gql(
        "{ campaigns { id title } agencies { name kind } me { subject role agency { name } } }",
        role="liaison",
        agency=HEALTH,
    )

    assert data["campaigns"] == [{"id": str(campaign_id(CAMPAIGN)), "title": CAMPAIGN}]
    assert {"name": TOWNS, "kind": "GROUP"} in data["agencies"]
    assert data["me"] == {"subject": "liaison-user", "role": "LIAISON", "agency": {"name": HEALTH}}


async def test_issue_nodes_carry_agencies_measures_and_parsed_deadlines(api: Api) -> None:
    data = await api.gql(ISSUES, first=50)
    nodes = {e["node"]["number"]: e["node"] for e in data["issues"]["edges"]}

    assert nodes["2"]["leadAgency"] == {"id": str(agency_id(INSURANCE)), "name": INSURANCE}
    assert nodes["2"]["coAgencies"] == [{"name": HEALTH}, {"name": MARKET}]
    assert nodes["2"]["measures"] == ["措施2-1", "措施2-2"]
    assert nodes["2"]["deadline"] == {
        "kind": "DATE",
        "dueDate": "2099-12-31",
        "text": "2099年12月31日",
    }
    assert nodes["3"]["deadline"] == {
        "kind": "ONGOING",
        "dueDate": None,
        "text": "立行立改，长期坚持",
    }
    assert nodes["1"]["overdue"] is True and nodes["4"]["overdue"] is False
    assert nodes["4"]["status"] == "CLOSED"
    assert nodes["1"]["campaign"] == {"title": CAMPAIGN}


async def test_pages_follow_the_cursor_in_ledger_order(api: Api) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = (await api.gql(ISSUES, first=2, after=after))["issues"]
        pages += 1
        assert data["totalCount"] == 5
        seen += [e["node"]["number"] for e in data["edges"]]
        assert data["pageInfo"]["endCursor"] == data["edges"][-1]["cursor"]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]

    assert pages == 3
    assert seen == ["1", "2", "3", "4", "5"]


async def test_a_forged_cursor_is_a_graphql_error(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": ISSUES, "variables": {"first": 2, "after": "bm9wZQ=="}},
        headers={"Authorization": f"Bearer {token('auditor')}"},
    )

    assert "invalid cursor" in response.json()["errors"][0]["message"]


async def test_filters_by_campaign_status_agency_and_overdue(api: Api) -> None:
    assert await numbers(api, campaign=CAMPAIGN) == ["1", "2", "3", "4", "5"]
    assert await numbers(api, campaign=str(campaign_id(CAMPAIGN))) == ["1", "2", "3", "4", "5"]
    assert await numbers(api, campaign="没有这个行动") == []
    assert await numbers(api, status="CLOSED") == ["4"]
    assert await numbers(api, status="OPEN") == ["1", "2", "3", "5"]
    assert await numbers(api, agency=INSURANCE) == ["1", "2"]
    assert await numbers(api, agency=str(agency_id(MARKET))) == ["2", "4", "5"]
    assert await numbers(api, overdue=True) == ["1"]
    assert await numbers(api, overdue=False) == ["2", "3", "4", "5"]
    assert await numbers(api, agency=HEALTH, overdue=True, status="OPEN") == ["1"]


async def test_issue_by_id_has_its_history(api: Api) -> None:
    data = await api.gql(
        "query($id: ID!) { issue(id: $id) { number status history { at type actor summary } } }",
        id=issue("4"),
    )

    history = data["issue"]["history"]
    assert [h["type"] for h in history] == ["Registered", "SubmittedForVerification", "SignedOff"]
    assert [h["summary"] for h in history] == ["登记问题 4", "提交核验：已完成", "核验通过，销号"]
    assert history[0]["actor"] == "导入" and history[0]["at"].startswith("20")


async def test_unknown_issue_is_null(api: Api) -> None:
    query = "query($a: ID!, $b: ID!) { a: issue(id: $a) { id } b: issue(id: $b) { id } }"

    data = await api.gql(query, a="nope", b=str(campaign_id("x")))

    assert data == {"a": None, "b": None}


async def test_dashboard_counts_match_the_ledger(api: Api) -> None:
    data = await api.gql(
        """query($c: ID!) { dashboard(campaign: $c) { totalIssues open closed overdue
           byAgency { agency { name } lead coResponsible open closed overdue } } }""",
        role="leadership",
        c=CAMPAIGN,
    )

    board = data["dashboard"]
    assert (board["totalIssues"], board["open"], board["closed"], board["overdue"]) == (5, 4, 1, 1)
    rows = {r["agency"]["name"]: r for r in board["byAgency"]}
    counts = {
        name: (r["lead"], r["coResponsible"], r["open"], r["closed"], r["overdue"])
        for name, r in rows.items()
    }
    assert counts == {
        HEALTH: (3, 1, 4, 0, 1),
        INSURANCE: (1, 1, 2, 0, 1),
        MARKET: (1, 2, 2, 1, 0),
        TOWNS: (0, 1, 0, 1, 0),
    }


async def test_unexpected_errors_are_masked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(pool: Any) -> Any:
        raise RuntimeError("password=hunter2 at db-internal:5432")

    monkeypatch.setattr(queries, "campaigns", broken)
    response = await api.client.post(
        "/graphql",
        json={"query": "{ campaigns { id } }"},
        headers={"Authorization": f"Bearer {token('admin')}"},
    )

    assert response.json()["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in response.text


async def test_too_many_aliases_are_refused(api: Api) -> None:
    headers = {"Authorization": f"Bearer {token('admin')}"}
    few = "{ " + " ".join(f"a{n}: campaigns {{ id }}" for n in range(5)) + " }"
    many = "{ " + " ".join(f"a{n}: campaigns {{ id }}" for n in range(40)) + " }"

    accepted = await api.client.post("/graphql", json={"query": few}, headers=headers)
    refused = await api.client.post("/graphql", json={"query": many}, headers=headers)

    assert "errors" not in accepted.json()
    assert "aliases" in refused.json()["errors"][0]["message"]


# -- issue 6: agency staff read their own agency's issues only ----------------------------

ONE = "query($id: ID!) { issue(id: $id) { number history { type } } }"


async def staff_numbers(api: Api, role: str, of: str | None, **issue_filter: Any) -> list[str]:
    data = await api.gql(ISSUES, role, of, filter=issue_filter, first=50)
    return [e["node"]["number"] for e in data["issues"]["edges"]]


async def test_a_liaison_lists_only_the_issues_its_agency_leads_or_co_owns(api: Api) -> None:
    # HEALTH leads 1, 3, 5 and co-owns 2; MARKET leads 4 and co-owns 2 and 5
    assert await staff_numbers(api, "liaison", HEALTH) == ["1", "2", "3", "5"]
    assert await staff_numbers(api, "investigator", MARKET) == ["2", "4", "5"]


async def test_a_liaison_filtering_by_another_agency_sees_only_the_issues_they_share(
    api: Api,
) -> None:
    assert await staff_numbers(api, "agency_head", HEALTH, agency=MARKET) == ["2", "5"]


async def test_staff_whose_token_names_no_agency_list_no_issue(api: Api) -> None:
    assert await staff_numbers(api, "investigator", None) == []


@pytest.mark.parametrize("role", ["coordinator", "leadership", "auditor", "admin"])
async def test_oversight_roles_list_every_issue(api: Api, role: str) -> None:
    assert await staff_numbers(api, role, MARKET) == ["1", "2", "3", "4", "5"]


async def test_another_agencys_issue_and_its_history_are_null_to_its_staff(api: Api) -> None:
    refused = await api.gql(ONE, "liaison", INSURANCE, id=issue("3"))  # HEALTH's alone
    shown = await api.gql(ONE, "liaison", INSURANCE, id=issue("1"))  # co-owned

    assert refused["issue"] is None
    assert shown["issue"]["number"] == "1" and shown["issue"]["history"]
