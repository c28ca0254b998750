"""What the API tells operators: Prometheus counts and latencies of requests by GraphQL
operation, command outcomes by result type and events appended, scraped from /metrics;
a request id taken from X-Request-Id or made, echoed, and on the request's log lines,
which in production are JSON with the time's UTC offset, the user id and the agency, and
no names."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from domain.names import agency_id
from rectify.logs import configure
from tests.integration.api_fixtures import HEALTH, Api, api, issue, projection_thread, token

__all__ = ["api", "projection_thread"]  # fixtures

SUBMIT = """mutation SubmitForVerification($id: ID!) {
  result: submitForVerification(issueId: $id, summary: "已整改") { __typename }
}"""
SIGN_OFF = "mutation SignOff($id: ID!) { result: signOff(issueId: $id) { __typename } }"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a scrape; 0 when the series is not there yet."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    return answer.text


async def post(api: Api, query: str, role: str, agency: str | None, **variables: str) -> None:
    headers = {"Authorization": f"Bearer {token(role, agency)}"}
    answer = await api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert answer.status_code == 200, answer.text


async def test_requests_are_counted_and_timed_by_operation(api: Api) -> None:
    before = await scrape(api.client)
    await post(api, SUBMIT, "liaison", HEALTH, id=issue("1"))
    after = await scrape(api.client)
    labels = {"route": "graphql", "operation": "SubmitForVerification"}
    counted = "rectify_http_requests_total"
    assert (
        sample(after, counted, status="200", **labels)
        == sample(before, counted, status="200", **labels) + 1
    )
    timed = "rectify_http_request_duration_seconds_count"
    assert sample(after, timed, **labels) == sample(before, timed, **labels) + 1


async def test_an_operation_outside_the_known_ones_is_counted_as_other(api: Api) -> None:
    renamed = SIGN_OFF.replace("SignOff", "Whatever" + "x" * 40)
    before = await scrape(api.client)
    await post(api, renamed, "coordinator", None, id=issue("1"))
    after = await scrape(api.client)
    name, labels = "rectify_http_requests_total", {"route": "graphql", "operation": "other"}
    assert sample(after, name, **labels) == sample(before, name, **labels) + 1
    assert "Whateverxxx" not in after


async def test_command_outcomes_are_counted_by_result_type(api: Api) -> None:
    before = await scrape(api.client)
    await post(api, SUBMIT, "liaison", HEALTH, id=issue("1"))  # changed
    await post(api, SIGN_OFF, "coordinator", None, id=issue("5"))  # not yet submitted
    after = await scrape(api.client)
    name = "rectify_command_outcomes_total"
    for command, result in [
        ("submitForVerification", "IssueChanged"),
        ("signOff", "InvalidTransition"),
    ]:
        labels = {"command": command, "result": result}
        assert sample(after, name, **labels) == sample(before, name, **labels) + 1, labels


async def test_events_appended_are_counted(api: Api) -> None:
    before = await scrape(api.client)
    await post(api, SUBMIT, "liaison", HEALTH, id=issue("1"))
    after = await scrape(api.client)
    name = "rectify_events_appended_total"
    assert sample(after, name) > sample(before, name)


async def test_a_request_id_given_is_echoed_and_one_is_made_otherwise(api: Api) -> None:
    given = await api.client.get("/healthz", headers={"X-Request-Id": "edge-42.a"})
    made = await api.client.get("/healthz")
    assert given.headers["X-Request-Id"] == "edge-42.a"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])


async def test_an_unfit_request_id_is_replaced(api: Api) -> None:
    answer = await api.client.get("/healthz", headers={"X-Request-Id": 'a b"c' + "x" * 80})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])


@pytest.fixture
def production_logs() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure("api", production=True, stream=buffer)
    yield buffer
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "rectify"]:
        root.removeHandler(handler)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


async def test_production_logs_are_json_lines_carrying_the_request_id_user_and_agency(
    api: Api, production_logs: io.StringIO
) -> None:
    await api.client.post(
        "/graphql",
        json={"query": SUBMIT, "variables": {"id": issue("1")}},
        headers={"Authorization": f"Bearer {token('liaison', HEALTH)}", "X-Request-Id": "r-1"},
    )
    logging.getLogger("rectify.api").info("after the request")  # another request's line
    lines = [json.loads(line) for line in production_logs.getvalue().splitlines() if line]
    assert lines, "nothing logged"
    for line in lines:
        assert {"timestamp", "level", "event", "process"} <= line.keys(), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d", line["timestamp"]), line
    mine = [line for line in lines if line.get("request_id") == "r-1"]
    request = next(line for line in mine if line["event"] == "request")
    assert request["operation"] == "SubmitForVerification"
    assert request["status"] == 200 and request["user_id"] == "liaison-user"
    assert request["agency_id"] == str(agency_id(HEALTH))
    assert "request_id" not in lines[-1]  # bound for the request only
    assert HEALTH not in json.dumps(mine, ensure_ascii=False)  # ids, never names
