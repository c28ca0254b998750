"""The web pages: served without a token, and every GraphQL query they send is valid
against the schema (so a schema change cannot silently break a page)."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from api.persisted import page_documents
from api.schema import schema
from tests.integration.api_fixtures import Api, api, projection_thread

FIXTURES = (api, projection_thread)


def _queries() -> list[tuple[str, str]]:
    # the same extraction the production allow-list is generated from (api/persisted.py)
    return page_documents()


def test_the_pages_send_queries() -> None:
    names = {name for name, _ in _queries()}
    assert {"dashboard.html", "queue.html", "issue.html", "rectify.js"} <= names


@pytest.mark.parametrize(("page", "query"), _queries())
def test_every_query_of_the_pages_is_valid(page: str, query: str) -> None:
    errors = validate(schema._schema, parse(query))
    assert not errors, f"{page}: {errors}"


# `/` is the workbench once built (tests/integration/test_workbench_serving.py)
@pytest.mark.parametrize("path", ["/dashboard", "/queue", "/issue?id=x"])
async def test_pages_are_served_without_a_token(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    assert 'id="token-form"' in response.text


async def test_the_shared_script_and_style_are_served(api: Api) -> None:
    script = await api.client.get("/static/rectify.js")
    style = await api.client.get("/static/style.css")
    assert script.status_code == 200 and "export async function gql" in script.text
    assert style.status_code == 200
