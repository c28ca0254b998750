"""Prepared queries (api/prepared_queries.py, ADR 0081): a query whose document is valid
runs without strawberry's view and extension runner, and answers exactly as the view
would — data, every kind of error, status and headers; anything else still goes to the
view."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from api.prepared_queries import PreparedDocuments
from projections import queries
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    Api,
    api,
    projection_thread,
    token,
)
from tests.schema_calls import operations_run_by

FIXTURES = (api, projection_thread)

ISSUES = """
query Issues($filter: IssueFilter, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id number status overdue measures
      leadAgency { id name } coAgencies { name } deadline { kind dueDate text } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
DASHBOARD = """
query($campaign: ID!) {
  dashboard(campaign: $campaign) {
    campaign { id title } totalIssues open closed overdue
    byAgency { agency { id name } lead coResponsible open closed overdue }
  }
}"""
QUEUE = """
query WorkQueue($filter: WorkQueueFilter, $first: Int!, $orderBy: WorkOrder!) {
  workQueue(filter: $filter, first: $first, orderBy: $orderBy) {
    totalCount
    edges { cursor node { kind id title reference status dueDate workingDaysLeft overdue
      receivedAt campaign { id title } agency { id name } steps { mutation label } } }
  }
}"""
QUEUE_PAGE = QUEUE.replace("edges { cursor node", "edges { node")  # as the workbench asks
MARK_ALL = "mutation M { markAllNotificationsRead { __typename } }"
TWO = "query Campaigns { campaigns { id } } query Me { me { role region } }"

Post = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations run by the prepared path, and strawberry's `execute` refused while
    it is taken: an answer seen here did not come from the view."""
    return operations_run_by(monkeypatch, "execute_prepared")


def post_to(api: Api) -> Post:
    async def post(
        query: str,
        role: str = "coordinator",
        agency: str | None = None,
        name: str | None = None,
        **variables: Any,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token(role, agency)}"}
        body: dict[str, Any] = {"query": query, "variables": variables}
        if name is not None:
            body["operationName"] = name
        return await api.client.post("/graphql", json=body, headers=headers)

    return post


async def both_ways(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str], *args: Any, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """The same request through the prepared path, then through strawberry's view."""
    post = post_to(api)
    before = len(ran)
    prepared = await post(*args, **kwargs)
    assert len(ran) == before + 1, "the prepared path did not take the query"
    with monkeypatch.context() as view_only:
        view_only.setattr(PreparedDocuments, "get", lambda *_: None)
        viewed = await post(*args, **kwargs)
    assert len(ran) == before + 1
    return prepared, viewed


def same_answer(prepared: httpx.Response, viewed: httpx.Response) -> dict[str, Any]:
    assert prepared.status_code == viewed.status_code
    assert prepared.headers["content-type"] == viewed.headers["content-type"]
    assert prepared.json() == viewed.json()
    return prepared.json()  # type: ignore[no-any-return]


async def test_a_page_of_issues_is_answered_as_the_view_answers_it(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    answer = same_answer(*await both_ways(api, monkeypatch, ran, ISSUES, first=3))

    assert len(answer["data"]["issues"]["edges"]) == 3
    assert ran == ["Issues"]


async def test_the_dashboard_is_answered_as_the_view_answers_it(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    answer = same_answer(*await both_ways(api, monkeypatch, ran, DASHBOARD, campaign=CAMPAIGN))

    assert answer["data"]["dashboard"]["totalIssues"] == 5


async def test_a_work_queue_page_with_its_steps_is_answered_as_the_view_answers_it(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    answer = same_answer(
        *await both_ways(api, monkeypatch, ran, QUEUE, "liaison", HEALTH, first=20, orderBy="DUE")
    )

    assert answer["data"]["workQueue"]["edges"][0]["node"]["steps"]


@pytest.mark.parametrize(
    ("query", "role", "agency", "variables", "by_executor"),
    [
        (DASHBOARD, "coordinator", None, {"campaign": CAMPAIGN}, 1),  # the second directly
        # totalCount is counted by the list's resolver (ADR 0086): the second directly
        (QUEUE_PAGE, "liaison", HEALTH, {"first": 20, "orderBy": "DUE"}, 1),
        # an edge's cursor in the work queue has a resolver of its own, an issue's
        # `measures` is a list of strings (no template fills either): both by the executor
        (QUEUE, "liaison", HEALTH, {"first": 20, "orderBy": "DUE"}, 2),
        (ISSUES, "coordinator", None, {"first": 3}, 2),
    ],
)
async def test_a_page_asked_again_runs_without_the_executor_where_it_can_and_answers_the_same(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    ran: list[str],
    query: str,
    role: str,
    agency: str | None,
    variables: dict[str, Any],
    by_executor: int,
) -> None:
    executed = operations_run_by(monkeypatch, "_executed")

    first = same_answer(*await both_ways(api, monkeypatch, ran, query, role, agency, **variables))
    again = same_answer(*await both_ways(api, monkeypatch, ran, query, role, agency, **variables))

    assert len(ran) == 2 and len(executed) == by_executor  # ADR 0083
    assert again == first


async def test_an_unexpected_error_is_masked_and_logged_the_same_way(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(pool: Any) -> Any:
        raise RuntimeError("password=hunter2 at db-internal:5432")

    monkeypatch.setattr(queries, "campaigns", broken)
    with caplog.at_level("ERROR", logger="rectify.api"):
        prepared, viewed = await both_ways(api, monkeypatch, ran, "{ campaigns { id } }")

    answer = same_answer(prepared, viewed)
    assert answer["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in prepared.text
    failures = [r for r in caplog.records if "graphql request failed" in r.getMessage()]
    # one for each path, the same, and without the message text (the stack quotes the
    # source line that raised, here this test's)
    heads = [r.getMessage().splitlines()[0] for r in failures]
    assert len(heads) == 2 and heads[0] == heads[1]
    assert "hunter2" not in heads[0]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": "three"}, "first"),  # not coercible
        ({}, "first"),  # required and missing
        ({"first": 1000}, "first"),  # a page size the list does not serve
        ({"first": 5, "after": "not-a-cursor"}, "after"),
    ],
    ids=["wrong-type", "missing", "page-size", "bad-cursor"],
)
async def test_each_refusal_names_its_field_as_the_view_names_it(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    ran: list[str],
    variables: dict[str, Any],
    field: str,
) -> None:
    answer = same_answer(*await both_ways(api, monkeypatch, ran, ISSUES, **variables))

    assert answer["data"] is None or answer["data"].get("issues") is None
    assert answer["errors"][0]["extensions"]["field"] == field


async def test_a_nul_byte_is_refused_by_the_input_checks_as_on_the_view(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    search = {"search": "a\u0000b"}
    answer = same_answer(
        *await both_ways(
            api, monkeypatch, ran, QUEUE, "liaison", HEALTH, filter=search, first=5, orderBy="DUE"
        )
    )

    assert answer["data"] is None
    assert answer["errors"][0]["extensions"] == {"field": "filter.search", "code": "INVALID_INPUT"}


async def test_a_role_refused_the_work_queue_gets_the_views_refusal(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    answer = same_answer(
        *await both_ways(api, monkeypatch, ran, QUEUE, "auditor", first=20, orderBy="DUE")
    )

    assert answer["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


@pytest.mark.parametrize("name", ["Campaigns", "Me", None])
async def test_the_operation_named_or_else_the_first_is_run(
    api: Api, monkeypatch: pytest.MonkeyPatch, ran: list[str], name: str | None
) -> None:
    answer = same_answer(*await both_ways(api, monkeypatch, ran, TWO, name=name))

    assert list(answer["data"]) == (["me"] if name == "Me" else ["campaigns"])
    assert ran == [name or "Campaigns"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("{ campaigns { nope } }", None),  # does not validate
        ("{ campaigns { id }", None),  # does not parse
        (TWO, "Neither"),  # no such operation: the view's 400
        (f"query Q {{ campaigns {{ id }} }} {MARK_ALL}", "M"),
        ("subscription { queueChanged { position } }", None),  # the view: websockets only
        ("{ " + " ".join(f"a{n}: campaigns {{ id }}" for n in range(40)) + " }", None),
    ],
    ids=["invalid", "unparsable", "unknown-operation", "mutation", "subscription", "aliases"],
)
async def test_what_is_not_a_valid_query_is_left_to_the_view(
    api: Api, ran: list[str], query: str, name: str | None
) -> None:
    response = await post_to(api)(query, name=name)

    assert ran == []
    if name != "M":  # the mutation runs, on the view
        assert response.status_code == 400 or response.json()["errors"]


async def test_a_body_the_view_would_read_differently_is_left_to_it(
    api: Api, ran: list[str]
) -> None:
    headers = {
        "Authorization": f"Bearer {token('coordinator')}",
        "Content-Type": "application/json",
    }
    # NaN: the standard library's JSON reads it, orjson does not
    nan = b'{"query": "{ campaigns { id } }", "variables": {"x": NaN}}'
    batch = b'[{"query": "{ campaigns { id } }"}]'
    for body in (nan, batch):
        response = await api.client.post("/graphql", content=body, headers=headers)
        assert response.status_code in (200, 400)
    assert ran == []


async def test_read_your_writes_holds_on_the_prepared_path(api: Api, ran: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token('coordinator')}", "X-Rectify-Min-Position": "1"}
    response = await api.client.post(
        "/graphql", json={"query": "{ campaigns { id } }"}, headers=headers
    )

    assert int(response.headers["X-Rectify-Min-Position"]) >= 1
    assert ran == [""]


async def test_a_prepared_query_is_counted_by_its_operation(api: Api, ran: list[str]) -> None:
    await post_to(api)(ISSUES, first=1)
    metrics = (await api.client.get("/metrics")).text

    assert 'rectify_http_requests_total{operation="other",route="graphql",status="200"}' in (
        metrics
    )
    assert ran == ["Issues"]


def test_documents_are_prepared_once_and_the_oldest_forgotten() -> None:
    from api.schema import schema

    documents = PreparedDocuments(schema, size=2)
    first = documents.get("{ campaigns { id } }", None)

    assert first is not None
    assert documents.get("{ campaigns { id } }", None) is first
    documents.get("{ me { role } }", None)
    documents.get("{ __typename }", None)
    assert documents.get("{ campaigns { id } }", None) is not first  # prepared again


def test_only_valid_queries_are_prepared() -> None:
    from api.schema import production_schema, schema

    documents = PreparedDocuments(schema)
    production = PreparedDocuments(production_schema)

    assert documents.get(MARK_ALL, None) is None
    assert documents.get("{ campaigns { id }", None) is None
    assert documents.get("{ campaigns { nope } }", None) is None
    assert documents.get("{ __schema { queryType { name } } }", None) is not None
    assert production.get("{ __schema { queryType { name } } }", None) is None
