"""Property-based fuzzing of the GraphQL API from the checked-in schema (hypothesis-graphql).

Random queries and mutations, with random arguments mixed with the known ledger's real ids
and names (so that mutations reach the aggregates and write), as a liaison and as a
coordinator, against the real app (PostgreSQL, projection thread). Whatever is sent:
never a 5xx, never "Unexpected error", never a traceback, every refusal of a value names
its field, and afterwards the read side reaches the head of the log (no stuck follower).

The normal suite runs a few examples, derandomized (the same ones each run). For a long,
random run:

    RECTIFY_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/integration/test_graphql_fuzz.py

A failure prints the document and role; hypothesis shrinks it to a small one first.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from api.auth import issue_token
from domain.application import RectifyApp
from domain.names import agency_id
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    LEDGER,
    MARKET,
    SECRET,
    Api,
    api,
    issue,
    projection_thread,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)

SCHEMA = (Path(__file__).resolve().parents[2] / "api" / "schema.graphql").read_text("utf-8")
EXAMPLES = int(os.environ.get("RECTIFY_FUZZ_EXAMPLES", "0"))
LONG_RUN = EXAMPLES > 0

KNOWN_IDS = [issue(number) for number, *_ in LEDGER] + [
    HEALTH,
    INSURANCE,
    MARKET,
    CAMPAIGN,
    str(agency_id(HEALTH)),
]
KNOWN_TEXT = ["2099年12月31日", "2020年3月底", "立行立改", "已整改", "照片.jpg", "12320"]


def _string(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda value: graphql.StringValueNode(value=value))


# hypothesis-graphql has no strategies for our own scalars, and its ID and String are
# random text, nearly always holding a control character the input checks refuse, so that
# no mutation would ever write. Two kinds of documents, then: plausible ones (the ledger's
# real ids and names, printable text, real dates) that reach the aggregates and write
# events the read side must then project, and wild ones (any text anywhere).
PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")))
PLAUSIBLE = {
    "ID": _string(st.sampled_from(KNOWN_IDS)),
    "String": _string(st.sampled_from(KNOWN_TEXT) | PRINTABLE),
    "Date": _string(st.dates(date(2020, 1, 1), date(2099, 12, 31)).map(str)),
    "DateTime": _string(st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)),
    "Decimal": _string(st.decimals(allow_nan=False, allow_infinity=False).map(str)),
    "JSON": _string(PRINTABLE),
}
WILD = {name: _string(st.text()) for name in PLAUSIBLE}
OPERATIONS = st.one_of(
    from_schema(SCHEMA, custom_scalars=PLAUSIBLE),
    from_schema(SCHEMA, custom_scalars=PLAUSIBLE),
    from_schema(SCHEMA, custom_scalars=WILD),
)


def variable_values(type_: graphql.GraphQLInputType) -> st.SearchStrategy[Any]:
    """JSON for a variable of `type_`: mostly of the right shape (the ledger's ids, text,
    numbers around the bounds), now and then of a wrong one, to reach both the input
    checks and GraphQL's own coercion."""
    nullable = not isinstance(type_, graphql.GraphQLNonNull)
    inner = type_.of_type if isinstance(type_, graphql.GraphQLNonNull) else type_
    strategy: st.SearchStrategy[Any]
    if isinstance(inner, graphql.GraphQLList):
        item = variable_values(inner.of_type)
        strategy = st.lists(item, max_size=4) | item
    elif isinstance(inner, graphql.GraphQLInputObjectType):
        fields = {name: variable_values(field.type) for name, field in inner.fields.items()}
        strategy = st.fixed_dictionaries({}, optional=fields)
    elif isinstance(inner, graphql.GraphQLEnumType):
        strategy = st.sampled_from(list(inner.values))
    elif inner.name == "Int":
        strategy = st.integers(-5, 300) | st.integers(-(2**40), 2**40)
    elif inner.name == "Boolean":
        strategy = st.booleans()
    elif inner.name == "Date":
        strategy = st.dates().map(str) | st.text(max_size=12)
    else:
        strategy = st.sampled_from(KNOWN_IDS + KNOWN_TEXT) | PRINTABLE | st.text()
    wrong = st.integers() | st.booleans() | st.lists(st.integers(), max_size=2)
    strategy = st.one_of(strategy, strategy, strategy, wrong)
    return strategy | st.none() if nullable else strategy


def with_variables(root: graphql.GraphQLObjectType, kind: str) -> list[tuple[str, Any]]:
    """One document per root field taking arguments, every argument a variable, and the
    strategy of its variables."""
    found = []
    for name, field in root.fields.items():
        if not field.args:
            continue
        signature = ", ".join(f"${arg}: {field.args[arg].type}" for arg in field.args)
        arguments = ", ".join(f"{arg}: ${arg}" for arg in field.args)
        selection = (
            "" if graphql.is_leaf_type(graphql.get_named_type(field.type)) else "{ __typename }"
        )
        document = f"{kind}({signature}) {{ {name}({arguments}) {selection} }}"
        variables = {arg: variable_values(field.args[arg].type) for arg in field.args}
        found.append((document, st.fixed_dictionaries({}, optional=variables)))
    return found


PARSED = graphql.build_schema(SCHEMA)
assert PARSED.query_type is not None and PARSED.mutation_type is not None
WITH_VARIABLES = st.sampled_from(
    with_variables(PARSED.query_type, "query") + with_variables(PARSED.mutation_type, "mutation")
).flatmap(lambda pair: st.tuples(st.just(pair[0]), pair[1]))
ROLES = st.sampled_from([("liaison", HEALTH), ("coordinator", None)])
SUBJECTS = itertools.count()


def _token(role: str, agency: str | None) -> str:
    """A fresh subject per request: the mutation rate limit is per subject, and a fuzz run
    is not a user's minute."""
    key = str(agency_id(agency)) if agency else None
    return issue_token(SECRET, role, key, agency, f"fuzz-{role}-{next(SUBJECTS)}")


def problems_of(response: httpx.Response, mutation: bool) -> list[str]:
    """What is wrong with one answer; empty when nothing is."""
    found = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    if "Traceback" in response.text or "Unexpected error" in response.text:
        found.append("an unexpected error or a traceback in the body")
    if response.status_code != 200:
        return found
    body = response.json()
    for error in body.get("errors") or []:
        # refused before any resolver ran (a value of the wrong type, a bad string or
        # list): the request's own values, so the field must be named
        if "path" not in error and not (error.get("extensions") or {}).get("field"):
            found.append(f"a refused value without its field: {error}")
    if mutation:
        for result in (body.get("data") or {}).values():
            if isinstance(result, dict) and result.get("field") == "":
                found.append(f"an InvalidInput naming no field: {result}")
    return found


def assert_nothing_written_if_refused(
    response: httpx.Response, head: int | None, app: RectifyApp
) -> None:
    """A request refused before execution (an error with no path: a bad value, string or
    list) runs none of its mutations, the valid ones beside the bad one included."""
    body = response.json() if response.status_code == 200 else {}
    refused = body.get("data") is None and any("path" not in e for e in body.get("errors") or [])
    if refused or response.status_code >= 400:
        assert app.recorder.max_notification_id() == head, response.text[:2000]


def settings_of_the_run() -> settings:
    return settings(
        max_examples=EXAMPLES or 40,
        derandomize=not LONG_RUN,
        deadline=None,
        database=None if not LONG_RUN else settings.default.database,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def sender(api: Api) -> Callable[[dict[str, Any], tuple[str, str | None]], httpx.Response]:
    """A blocking POST for hypothesis, which drives from a worker thread while the app runs
    on the test's event loop."""
    loop = asyncio.get_running_loop()

    def send(body: dict[str, Any], role: tuple[str, str | None]) -> httpx.Response:
        request = api.client.post(
            "/graphql",
            content=json.dumps(body).encode("ascii"),
            headers={
                "Authorization": f"Bearer {_token(*role)}",
                "Content-Type": "application/json",
            },
        )
        return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)

    return send


async def test_random_operations_never_break_the_api_or_the_read_side(
    api: Api, app: RectifyApp
) -> None:
    send = sender(api)

    @settings_of_the_run()
    @given(document=OPERATIONS, role=ROLES)
    def fuzz(document: str, role: tuple[str, str | None]) -> None:
        head = app.recorder.max_notification_id()
        response = send({"query": document}, role)
        assert_nothing_written_if_refused(response, head, app)
        mutation = document.lstrip().startswith("mutation")
        assert not problems_of(response, mutation), (role, document, response.text[:2000])

    await asyncio.to_thread(fuzz)
    # every event the run wrote, whatever its text, is projected: no follower is stuck
    await wait_until_projected(api.client, app)


async def test_random_variables_never_break_the_api_or_the_read_side(
    api: Api, app: RectifyApp
) -> None:
    send = sender(api)

    @settings_of_the_run()
    @given(operation=WITH_VARIABLES, role=ROLES)
    def fuzz(operation: tuple[str, dict[str, Any]], role: tuple[str, str | None]) -> None:
        document, variables = operation
        head = app.recorder.max_notification_id()
        response = send({"query": document, "variables": variables}, role)
        assert_nothing_written_if_refused(response, head, app)
        mutation = document.startswith("mutation")
        assert not problems_of(response, mutation), (role, operation, response.text[:2000])

    await asyncio.to_thread(fuzz)
    await wait_until_projected(api.client, app)
