"""The case file (案卷) over HTTP, `GET /case-files/<id>`: the printable HTML `rectify audit
export` writes, as a download, for those who may read the item's history; refused to a role
that reads no history, and the same 404 for an unknown item and one the caller may not read.
Against PostgreSQL, the projection running."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api_fixtures import (
    HEALTH,
    MARKET,
    Api,
    api,
    issue,
    projection_thread,
    token,
)

FIXTURES = (api, projection_thread)


async def fetch(
    client: httpx.AsyncClient, item: str, role: str, agency: str | None = None, query: str = ""
) -> httpx.Response:
    return await client.get(
        f"/case-files/{item}{query}", headers={"Authorization": f"Bearer {token(role, agency)}"}
    )


async def test_an_auditor_downloads_an_issues_case_file_as_printable_html(api: Api) -> None:
    response = await fetch(api.client, issue("4"), "auditor")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert issue("4") in response.headers["content-disposition"]
    assert "案卷 / Case file" in response.text
    assert "县市场监管局" in response.text  # agencies by name, not by id
    assert "全部经过" in response.text


async def test_the_same_case_file_is_had_as_json(api: Api) -> None:
    response = await fetch(api.client, issue("4"), "auditor", query="?format=json")
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["item_id"] == issue("4")
    assert [entry["version"] for entry in case["trail"]] == list(range(1, len(case["trail"]) + 1))


async def test_an_unknown_format_is_refused_naming_it(api: Api) -> None:
    response = await fetch(api.client, issue("4"), "auditor", query="?format=pdf")
    assert response.status_code == 400
    assert "format" in response.json()["message"]


async def test_a_case_file_needs_a_sign_in(api: Api) -> None:
    response = await api.client.get(f"/case-files/{issue('4')}")
    assert response.status_code == 401


async def test_leadership_reads_no_raw_history_so_no_case_file(api: Api) -> None:
    response = await fetch(api.client, issue("4"), "leadership")
    assert response.status_code == 403
    assert "审计" in response.json()["message"]


@pytest.mark.parametrize("item", ["00000000-0000-0000-0000-000000000000", "not-an-id"])
async def test_an_unknown_item_is_not_found(api: Api, item: str) -> None:
    response = await fetch(api.client, item, "auditor")
    assert response.status_code == 404


async def test_another_agencys_item_is_answered_as_an_unknown_one(api: Api) -> None:
    own = await fetch(api.client, issue("4"), "liaison", MARKET)
    other = await fetch(api.client, issue("4"), "liaison", HEALTH)
    unknown = await fetch(api.client, "00000000-0000-0000-0000-000000000000", "liaison", HEALTH)
    assert own.status_code == 200
    assert other.status_code == 404
    assert other.json() == unknown.json()
