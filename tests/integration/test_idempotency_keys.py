"""A mutation retried with its Idempotency-Key returns the original result and writes
nothing twice; the key is the caller's own, per field, and bound to what was asked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.application import RectifyApp
from domain.command_keys import CommandAlreadyDone, CommandKey, keyed
from domain.names import agency_id
from tests.integration.api_fixtures import (
    HEALTH,
    INSURANCE,
    Api,
    api,
    issue,
    projection_thread,
    token,
)

FIXTURES = (api, projection_thread)  # the known ledger behind a running API

REPORT = """mutation($id: ID!, $text: String!) {
  reportProgress(issueId: $id, text: $text) { ... on IssueChanged { position } __typename
    ... on InvalidInput { field message } }
}"""


async def _post(
    client: httpx.AsyncClient, query: str, key: str | None, agency: str = HEALTH, **variables: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token('liaison', agency)}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _count(app: RectifyApp, number: str) -> int:
    from uuid import UUID

    item = UUID(issue(number))
    return sum(
        1
        for stored in app.recorder.select_events(item)
        if stored.topic.endswith("ProgressReported")
    )


def issue_uuid(number: str) -> Any:
    from uuid import UUID

    return UUID(issue(number))


async def test_a_retry_with_the_same_key_returns_the_original_result_and_writes_once(
    api: Api, app: RectifyApp
) -> None:
    first = await _post(api.client, REPORT, "retry-1", id=issue("1"), text="已完成自查")
    again = await _post(api.client, REPORT, "retry-1", id=issue("1"), text="已完成自查")

    assert first["data"]["reportProgress"]["__typename"] == "IssueChanged"
    assert again["data"] == first["data"]
    assert _count(app, "1") == 1


async def test_without_a_key_each_request_is_a_new_command(api: Api, app: RectifyApp) -> None:
    await _post(api.client, REPORT, None, id=issue("1"), text="第一次")
    await _post(api.client, REPORT, None, id=issue("1"), text="第一次")
    assert _count(app, "1") == 2


async def test_only_a_client_key_is_looked_up_before_the_command(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key made up for the attempt cannot have been recorded: asking costs a round trip
    per mutation for nothing (ADR 0061)."""
    from infrastructure.event_store import ChunkedApplicationRecorder

    asked: list[str] = []
    original = ChunkedApplicationRecorder.command_result

    def counted(self: ChunkedApplicationRecorder, scope: str) -> Any:
        asked.append(scope)
        return original(self, scope)

    monkeypatch.setattr(ChunkedApplicationRecorder, "command_result", counted)
    await _post(api.client, REPORT, None, id=issue("1"), text="无键")
    assert asked == []
    await _post(api.client, REPORT, "looked-up", id=issue("1"), text="有键")
    assert len(asked) == 1


async def test_the_same_key_for_another_request_is_refused_naming_the_key(
    api: Api, app: RectifyApp
) -> None:
    await _post(api.client, REPORT, "reused", id=issue("1"), text="一")
    other = await _post(api.client, REPORT, "reused", id=issue("1"), text="二")

    refused = other["data"]["reportProgress"]
    assert refused["__typename"] == "InvalidInput"
    assert refused["field"] == "Idempotency-Key"
    assert "另一请求" in refused["message"] and "another request" in refused["message"]
    assert _count(app, "1") == 1


async def test_keys_are_per_caller_so_two_agencies_never_share_a_result(
    api: Api, app: RectifyApp
) -> None:
    # issue 2 is led by the insurance bureau and co-owned by the health bureau
    await _post(api.client, REPORT, "same", HEALTH, id=issue("2"), text="卫健")
    await _post(api.client, REPORT, "same", INSURANCE, id=issue("2"), text="医保")
    assert _count(app, "2") == 2


async def test_each_aliased_mutation_of_a_request_has_its_own_key(
    api: Api, app: RectifyApp
) -> None:
    both = """mutation($id: ID!) {
      a: reportProgress(issueId: $id, text: "甲") { __typename }
      b: reportProgress(issueId: $id, text: "乙") { __typename }
    }"""
    await _post(api.client, both, "pair", id=issue("1"))
    await _post(api.client, both, "pair", id=issue("1"))
    assert _count(app, "1") == 2


async def test_a_key_that_is_not_printable_ascii_is_refused(api: Api) -> None:
    body = await _post(api.client, REPORT, "a b", id=issue("1"), text="x")
    assert body["errors"][0]["extensions"]["field"] == "Idempotency-Key"


def test_a_save_that_meets_its_key_recorded_returns_the_original_result(
    app: RectifyApp,
) -> None:
    """As when the store committed, the answer was lost and the driver tried again: the
    command is decided again on the new state, but its key stops the second write."""
    from tests.integration.api_fixtures import import_known_ledger

    import_known_ledger(app)
    item, health = issue_uuid("1"), agency_id(HEALTH)
    with keyed(CommandKey("scope-1", "asked-1")):
        original = app.report_progress(item, health, "已整改", [], "liaison")
    with keyed(CommandKey("scope-1", "asked-1")), pytest.raises(CommandAlreadyDone) as done:
        app.report_progress(item, health, "已整改", [], "liaison")
    assert done.value.result.position == original.position
    assert done.value.result.id == item
    assert _count(app, "1") == 1
