"""Every string and list of a GraphQL request is checked before anything runs
(api/input_checks.py): NUL, lone surrogates, control characters, lengths, list sizes. A
refusal is a GraphQL error naming the field, HTTP 200, and nothing written."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import ApiConfig, create_app
from api.persisted import load_allow_list
from domain.application import RectifyApp
from domain.text_rules import MAX_ITEMS, MAX_NAME, MAX_TEXT
from tests.integration.api_fixtures import (
    HEALTH,
    SECRET,
    Api,
    api,
    import_known_ledger,
    issue,
    projection_thread,
    token,
)

FIXTURES = (api, projection_thread)

ISSUE_RESULT = "__typename ... on InvalidInput { field message }"
PROGRESS = f"""mutation($id: ID!, $text: String!, $files: [String!]) {{
  result: reportProgress(issueId: $id, text: $text, attachments: $files) {{ {ISSUE_RESULT} }} }}"""
RECEIVE = """mutation($input: ReceiveClueInput!) {
  result: receiveClue(input: $input) { __typename } }"""
SEND = """mutation($input: SendReferralInput!) {
  result: sendReferral(input: $input) { __typename } }"""


async def post(
    api: Api, body: dict[str, Any], role: str = "liaison", agency: str | None = HEALTH
) -> httpx.Response:
    """The raw response: `json.dumps` keeps a lone surrogate as the escape `\\ud800`, as a
    browser's JSON.stringify does."""
    return await api.client.post(
        "/graphql",
        content=json.dumps(body).encode("ascii"),
        headers={
            "Authorization": f"Bearer {token(role, agency)}",
            "Content-Type": "application/json",
        },
    )


async def refused(
    api: Api, app: RectifyApp, body: dict[str, Any], role: str = "liaison"
) -> dict[str, Any]:
    """The one error of a refused request, after checking that nothing was written."""
    head = app.recorder.max_notification_id()
    response = await post(api, body, role, HEALTH if role == "liaison" else None)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["data"] is None, answer
    assert app.recorder.max_notification_id() == head
    error: dict[str, Any] = answer["errors"][0]
    assert error["message"].startswith(f"{error['extensions']['field']}: ")
    return error


async def test_a_nul_byte_in_progress_text_is_refused_naming_the_field(
    api: Api, app: RectifyApp
) -> None:
    arguments = f'issueId: "{issue("1")}", text: "a\\u0000b"'
    inline = f"mutation {{ reportProgress({arguments}) {{ __typename }} }}"
    error = await refused(api, app, {"query": inline})
    assert error["extensions"]["field"] == "text"
    assert "含有空字符" in error["message"] and "contains a NUL character" in error["message"]


async def test_a_lone_surrogate_in_a_variable_is_refused_not_an_unexpected_error(
    api: Api, app: RectifyApp
) -> None:
    body = {"query": PROGRESS, "variables": {"id": issue("1"), "text": "a\ud800b"}}
    error = await refused(api, app, body)
    assert error["extensions"]["field"] == "text"
    assert "lone surrogate U+D800" in error["message"]


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (
            RECEIVE,
            {"input": {"channel": "LETTER", "content": "举报\x00内容"}},
            "input.content",
        ),
        (
            RECEIVE,
            {
                "input": {
                    "channel": "LETTER",
                    "content": "x",
                    "realName": True,
                    "reporter": {"name": "张三", "phone": "135\x01"},
                }
            },
            "input.reporter.phone",
        ),
        (SEND, {"input": {"receiver": "县医保局", "reason": "移送\x00理由"}}, "input.reason"),
        (SEND, {"input": {"receiver": "县医保局\x1b", "reason": "r"}}, "input.receiver"),
    ],
)
async def test_a_control_character_inside_an_input_object_is_refused_with_its_path(
    api: Api, app: RectifyApp, query: str, variables: dict[str, Any], field: str
) -> None:
    error = await refused(api, app, {"query": query, "variables": variables})
    assert error["extensions"]["field"] == field


async def test_an_entry_of_a_list_is_named_with_its_index(api: Api, app: RectifyApp) -> None:
    body = {
        "query": PROGRESS,
        "variables": {"id": issue("1"), "text": "ok", "files": ["a.jpg", "b\x00.jpg"]},
    }
    error = await refused(api, app, body)
    assert error["extensions"]["field"] == "attachments[1]"


async def test_free_text_over_the_limit_is_refused(api: Api, app: RectifyApp) -> None:
    register = """mutation { registerIssue(input: {campaign: "c", number: "9", problem: "%s",
      measures: ["m"], leadAgency: "县卫健局", deadline: "2099年12月31日"}) { __typename } }"""
    error = await refused(api, app, {"query": register % ("问" * 100_000)}, "coordinator")
    assert error["extensions"]["field"] == "input.problem"
    assert f"longer than {MAX_TEXT} characters" in error["message"]


async def test_a_name_has_the_shorter_limit_of_names(api: Api, app: RectifyApp) -> None:
    launch = "mutation($t: String!) { launchCampaign(title: $t) { __typename } }"
    error = await refused(api, app, {"query": launch, "variables": {"t": "行" * (MAX_NAME + 1)}})
    assert error["extensions"]["field"] == "title"
    assert f"longer than {MAX_NAME} characters" in error["message"]


async def test_a_free_text_longer_than_a_name_is_accepted(api: Api) -> None:
    body = {"query": PROGRESS, "variables": {"id": issue("1"), "text": "进" * (MAX_NAME + 1)}}
    response = await post(api, body)
    assert response.json()["data"]["result"]["__typename"] == "IssueChanged"


async def test_tab_line_feed_and_carriage_return_are_accepted(api: Api) -> None:
    body = {"query": PROGRESS, "variables": {"id": issue("1"), "text": "一\t二\r\n三\n"}}
    response = await post(api, body)
    assert response.json()["data"]["result"]["__typename"] == "IssueChanged"


async def test_a_list_over_the_limit_is_refused(api: Api, app: RectifyApp) -> None:
    files = ["照片.jpg"] * 20_000
    body = {"query": PROGRESS, "variables": {"id": issue("1"), "text": "ok", "files": files}}
    error = await refused(api, app, body)
    assert error["extensions"]["field"] == "attachments"
    assert f"more than {MAX_ITEMS} entries" in error["message"]


async def test_a_bad_string_in_a_query_argument_is_refused(api: Api, app: RectifyApp) -> None:
    query = '{ issues(filter: {campaign: "\\u0000"}) { totalCount } }'
    error = await refused(api, app, {"query": query}, "coordinator")
    assert error["extensions"]["field"] == "filter.campaign"


async def test_a_variable_default_is_checked(api: Api, app: RectifyApp) -> None:
    query = f"""mutation($text: String! = "a\\u0007") {{
      reportProgress(issueId: "{issue("1")}", text: $text) {{ __typename }} }}"""
    error = await refused(api, app, {"query": query})
    assert error["extensions"]["field"] == "text"


async def test_arguments_in_fragments_are_checked(api: Api, app: RectifyApp) -> None:
    query = f"""mutation {{ ...Progress }} fragment Progress on Mutation {{
      reportProgress(issueId: "{issue("1")}", text: "a\\u0000") {{ __typename }} }}"""
    error = await refused(api, app, {"query": query})
    assert error["extensions"]["field"] == "text"


async def test_the_log_names_the_field_and_never_the_value(
    api: Api, app: RectifyApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rectify.api")
    body = {"query": PROGRESS, "variables": {"id": issue("1"), "text": "秘密\x00内容"}}
    await refused(api, app, body)
    assert "graphql request refused: invalid input in text" in caplog.text
    assert "秘密" not in caplog.text


@pytest.fixture
async def production(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
) -> AsyncIterator[httpx.AsyncClient]:
    import_known_ledger(app)
    web = create_app(ApiConfig(database_url, schema, dict(es_env), SECRET, production=True))
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_a_lone_surrogate_sent_to_a_persisted_query_is_refused_naming_the_field(
    production: httpx.AsyncClient,
) -> None:
    """In production the allow-list re-encodes the body: it failed on a lone surrogate."""
    # any allowed document with an `$id: ID!` variable (the pages and the workbench have several)
    digest = next(k for k, v in sorted(load_allow_list().items()) if "issue(id: $id)" in v)
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    response = await production.post(
        "/graphql",
        content=json.dumps({**body, "variables": {"id": "\ud800"}}).encode("ascii"),
        headers={
            "Authorization": f"Bearer {token('coordinator')}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["errors"][0]["extensions"]["field"] == "id"


# page sizes

LISTS = [
    "{ issues(first: %d) { totalCount } }",
    "{ notifications(first: %d) { unreadCount } }",
    "{ referralQueue(first: %d) { totalCount } }",
    "{ caseTransfers(first: %d) { totalCount } }",
    "{ clues(first: %d) { totalCount } }",
    "{ clueReveals(first: %d) { reason } }",
    "{ statistics { overdue(first: %d) { totalCount } } }",
    "{ statistics { weekly(weeks: %d) { opened } } }",
]


@pytest.mark.parametrize("query", LISTS)
async def test_a_page_size_out_of_range_is_refused_naming_the_argument(
    api: Api, query: str
) -> None:
    field = "weeks" if "weeks" in query else "first"
    for size in (-1, 0, 2_000_000_000):
        response = await post(api, {"query": query % size}, "auditor", None)
        (error,) = response.json()["errors"]
        assert error["extensions"]["field"] == field, error
        assert error["message"].startswith(f"{field}: 须在 1 到 ")


async def test_a_cursor_of_nothing_names_the_after_argument(api: Api) -> None:
    response = await post(api, {"query": '{ issues(after: "2099年") { totalCount } }'})
    (error,) = response.json()["errors"]
    assert error["extensions"]["field"] == "after" and "invalid cursor" in error["message"]


async def test_a_variable_graphql_cannot_coerce_names_its_field_and_the_variable(
    api: Api,
) -> None:
    """graphql-core names the variable only in its message; extensions.field had nothing."""
    wrong_type = {"query": PROGRESS, "variables": {"id": issue("1"), "text": 123}}
    missing = {"query": PROGRESS, "variables": {"text": "ok"}}
    in_a_list = {"query": PROGRESS, "variables": {"id": issue("1"), "text": "ok", "files": [1]}}
    for body, field, variable in (
        (wrong_type, "text", "$text"),
        (missing, "issueId", "$id"),
        (in_a_list, "attachments[0]", "$files[0]"),
    ):
        (error,) = (await post(api, body)).json()["errors"]
        assert error["extensions"]["field"] == field, error
        assert error["extensions"]["variable"] == variable, error


# arguments a query resolver cannot use


async def test_a_query_given_something_that_is_not_an_id_names_the_field(api: Api) -> None:
    """The domain's InvalidInput from a query resolver was masked as "Unexpected error"."""
    response = await post(api, {"query": '{ issueClock(issueId: "县卫健局") { __typename } }'})
    (error,) = response.json()["errors"]
    assert error["extensions"]["field"] == "issueId"
    assert error["message"].startswith("issueId: ")


async def test_a_wrong_typed_variable_names_its_field_as_an_inline_value_does(
    api: Api, app: RectifyApp
) -> None:
    reporter = '{name: "张三", phone: 13522223333}'
    inline = f"""mutation {{ receiveClue(input: {{channel: LETTER, content: "x", realName: true,
      reporter: {reporter}}}) {{ __typename }} }}"""
    variables = {
        "input": {
            "channel": "LETTER",
            "content": "x",
            "realName": True,
            "reporter": {"name": "张三", "phone": 13522223333},
        }
    }
    by_literal = (await post(api, {"query": inline})).json()["errors"][0]
    by_variable = (await post(api, {"query": RECEIVE, "variables": variables})).json()["errors"][0]
    assert by_literal["extensions"]["field"] == "input.reporter.phone"
    assert by_variable["extensions"]["field"] == "input.reporter.phone"
    assert by_variable["extensions"]["variable"] == "$input.reporter.phone"
