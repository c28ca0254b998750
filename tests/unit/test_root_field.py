"""api/root_field.py runs a prepared query of one root field without graphql-core's
executor (ADR 0083): every answer and every error must be graphql-core's own, and the
resolver must run once, whatever happens in it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry

import api.schema as schema_module
from api.execution import PlainLeavesExecutor, mark_plain_leaves
from api.prepared_queries import REMEMBERED_VARIABLES, PreparedDocuments
from api.schema import RectifySchema
from tests.schema_calls import operations_run_by

CALLS: list[str] = []
SEEN: list[dict[str, Any]] = []


@strawberry.type
class Part:
    name: str
    size: int | None = None


@strawberry.type
class Board:
    title: str
    parts: list[Part]


class OtherBoard(Board):
    """Another class than the one the type was built from: left to graphql-core."""


def _board(title: str = "看板") -> Board:
    return Board(title=title, parts=[Part(name="a", size=1), Part(name="b")])


@strawberry.type
class Query:
    @strawberry.field
    async def board(self, info: strawberry.Info, title: str = "看板") -> Board | None:
        CALLS.append("board")
        raw = info._raw_info  # graphql-core's info, as the executor or the direct path made it
        SEEN.append(
            {
                "field": info.field_name,
                "path": info.path.as_list(),
                "path_type": raw.path.typename,
                "variables": info.variable_values,
                "selected": [f.name for f in info.selected_fields[0].selections],
                "operation": info.operation.name.value if info.operation.name else None,
                "return": str(raw.return_type),
                "parent": raw.parent_type.name,
                "nodes": raw.field_nodes,
                "fragments": raw.fragments,
                "root": raw.root_value,
                "awaitable": raw.is_awaitable,
                "extensions": raw.operation_extensions,  # type: ignore[attr-defined]
            }
        )
        if title == "raise":
            raise ValueError("board failed")
        if title == "none":
            return None
        if title == "other":
            return OtherBoard(title="other", parts=[])
        if title == "bad part":
            return Board(title="bad", parts=[Part(name=None)])  # type: ignore[arg-type]
        return _board(title)

    @strawberry.field
    async def required(self, how: str) -> Board:
        CALLS.append("required")
        if how == "raise":
            raise ValueError("required failed")
        return None if how == "none" else _board()  # type: ignore[return-value]

    @strawberry.field
    async def helped(self, info: strawberry.Info) -> Board:
        """Uses the resolve info's helpers as graphql-core documents them."""
        helpers = info._raw_info.async_helpers

        async def part(name: str) -> Part:
            return Part(name=name)

        async def settled() -> None:
            CALLS.append("tracked work settled")

        parts = await helpers.gather([part("x"), part("y")])
        helpers.track([settled(), "not awaitable"])
        return Board(title="helped", parts=parts)

    @strawberry.field
    def boards(self) -> list[Board]:
        return [_board()]

    @strawberry.field
    def second(self) -> Board:
        return _board("second")


BOARD = "query B($title: String!) { board(title: $title) { title parts { name size } } }"


def _schemas() -> tuple[RectifySchema, RectifySchema]:
    """Ours, and the same built again, answering by graphql-core's executor alone."""
    built = []
    for _ in range(2):
        schema = RectifySchema(query=Query, execution_context_class=PlainLeavesExecutor)
        mark_plain_leaves(schema._schema)
        built.append(schema)
    return built[0], built[1]


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The operations graphql-core's executor ran (the rest ran directly)."""
    ran = operations_run_by(monkeypatch, "_executed")
    CALLS.clear()
    SEEN.clear()
    yield ran


def _run(
    schema: RectifySchema,
    query: str,
    variables: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
) -> tuple[Any, list[Any]]:
    # one document a query, as the server keeps it: its nodes key the kept templates
    documents = schema.__dict__.setdefault("test_documents", PreparedDocuments(schema))
    prepared = documents.get(query, None)
    assert prepared is not None
    context = SimpleNamespace(request=None)
    result = asyncio.run(schema.execute_prepared(prepared, variables, context, extensions))
    return result.data, [(e.message, e.path) for e in result.errors or []]


def _graphql_core(schema: RectifySchema, query: str, **variables: Any) -> tuple[Any, list[Any]]:
    """The same request with the direct path taken away: graphql-core's executor answers,
    through the same input checks, error logging and masking."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(schema_module, "run_directly", _nothing_ran)
        return _run(schema, query, variables)


async def _nothing_ran(*_: Any) -> None:
    return None


def test_a_query_of_one_root_field_runs_directly_once_its_template_is_kept(
    executed: list[str],
) -> None:
    ours, plain = _schemas()

    first = _run(ours, BOARD, {"title": "一"})
    second = _run(ours, BOARD, {"title": "二"})

    assert executed == ["B"]  # the first made the template; the second ran directly
    assert CALLS == ["board", "board"]
    assert first == _graphql_core(plain, BOARD, title="一")
    assert second == _graphql_core(plain, BOARD, title="二")
    assert second[0] == {
        "board": {"title": "二", "parts": [{"name": "a", "size": 1}, {"name": "b", "size": None}]}
    }


def test_the_resolver_sees_the_info_graphql_core_s_executor_gives_it(
    executed: list[str],
) -> None:
    ours, _ = _schemas()
    _run(ours, BOARD, {"title": "一"}, {"trace": "x"})
    _run(ours, BOARD, {"title": "一"}, {"trace": "x"})

    assert executed == ["B"]
    by_executor, directly = SEEN
    assert directly == by_executor
    assert directly["path"] == ["board"] and directly["selected"] == ["title", "parts"]
    assert directly["variables"] == {"title": "一"} and directly["extensions"] == {"trace": "x"}


@pytest.mark.parametrize(
    ("title", "answer"),
    [
        ("raise", ({"board": None}, [("Unexpected error.", ["board"])])),  # masked
        ("none", ({"board": None}, [])),
        ("other", ({"board": {"title": "other", "parts": []}}, [])),
        (
            "bad part",
            (
                {"board": None},
                [("Unexpected error.", ["board", "parts", 0, "name"])],
            ),
        ),
    ],
)
def test_what_the_template_does_not_fill_is_graphql_core_s_answer_and_the_resolver_runs_once(
    executed: list[str], title: str, answer: tuple[Any, list[Any]]
) -> None:
    ours, plain = _schemas()
    _run(ours, BOARD, {"title": "kept"})  # the template kept
    executed.clear()
    CALLS.clear()

    found = _run(ours, BOARD, {"title": title})
    calls, ran = list(CALLS), list(executed)

    assert calls == ["board"]
    # None in a nullable field is answered directly; everything else by graphql-core
    assert ran == ([] if title == "none" else ["B"])
    assert found == answer == _graphql_core(plain, BOARD, title=title)


@pytest.mark.parametrize("how", ["none", "raise"])
def test_a_non_null_root_field_without_a_value_is_graphql_core_s_error(
    executed: list[str], how: str
) -> None:
    ours, plain = _schemas()
    query = "query R($how: String!) { required(how: $how) { title } }"
    _run(ours, query, {"how": "board"})  # the template kept
    executed.clear()
    CALLS.clear()

    found = _run(ours, query, {"how": how})

    assert CALLS == ["required"] and executed == ["R"]
    assert found == _graphql_core(plain, query, how=how)
    assert found[0] is None and found[1][0][1] == ["required"]


def test_variables_that_do_not_coerce_run_nothing_and_get_graphql_core_s_errors(
    executed: list[str],
) -> None:
    ours, plain = _schemas()
    _run(ours, BOARD, {"title": "kept"})
    executed.clear()
    CALLS.clear()

    found = _run(ours, BOARD, {"title": ["not", "text"]})

    assert CALLS == [] and executed == ["B"]
    assert found == _graphql_core(plain, BOARD, title=["not", "text"])
    assert found[1] and found[0] is None


@pytest.mark.parametrize(
    "query",
    [
        "{ boards { title } }",  # a list
        "{ board { title } second { title } }",  # two root fields
        "query($on: Boolean!) { board { title @include(if: $on) } }",  # a directive
        "{ ...Top }  fragment Top on Query { board { title } }",  # a fragment at the root
        "{ __typename }",
    ],
)
def test_only_one_object_field_of_a_document_without_directives_runs_directly(
    query: str,
) -> None:
    ours, _ = _schemas()
    prepared = PreparedDocuments(ours).get(query, None)
    assert prepared is not None and prepared.root is None


def test_an_alias_and_fragments_inside_are_answered_directly_as_graphql_core_answers(
    executed: list[str],
) -> None:
    ours, plain = _schemas()
    query = '{ mine: board(title: "别名") { ...Parts title } } fragment Parts on Board { parts { name } }'  # noqa: E501
    _run(ours, query)

    found = _run(ours, query)

    assert executed == [""]
    assert found == _graphql_core(plain, query)
    assert found[0] == {"mine": {"parts": [{"name": "a"}, {"name": "b"}], "title": "别名"}}


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The variables the input checks and the direct path's coercion were run on."""
    seen: list[Any] = []
    checked, coerced = schema_module.input_errors, schema_module.coerced_variables

    def counted_checks(schema: Any, document: Any, name: Any, variables: Any) -> Any:
        seen.append(("checked", variables))
        return checked(schema, document, name, variables)

    def counted_coercion(root: Any, schema: Any, variables: Any) -> Any:
        seen.append(("coerced", variables))
        return coerced(root, schema, variables)

    monkeypatch.setattr(schema_module, "input_errors", counted_checks)
    monkeypatch.setattr(schema_module, "coerced_variables", counted_coercion)
    return seen


def test_variables_checked_once_are_not_checked_or_coerced_again(
    executed: list[str], checks: list[Any]
) -> None:
    ours, _ = _schemas()

    for title in ("一", "一", "二", "一"):
        _run(ours, BOARD, {"title": title})

    assert checks == [
        ("checked", {"title": "一"}),
        ("coerced", {"title": "一"}),
        ("checked", {"title": "二"}),
        ("coerced", {"title": "二"}),
    ]
    assert [seen["variables"] for seen in SEEN] == [{"title": t} for t in ("一", "一", "二", "一")]


def test_a_refusal_is_made_anew_each_time(executed: list[str], checks: list[Any]) -> None:
    ours, _ = _schemas()

    answers = [_run(ours, BOARD, {"title": "nul\x00"}) for _ in range(2)]

    assert [kind for kind, _ in checks] == ["checked", "checked"]
    assert answers[0] == answers[1] and answers[0][0] is None and answers[0][1]
    assert CALLS == []


def test_a_resolver_changing_its_variables_changes_nothing_for_the_next_request(
    executed: list[str],
) -> None:
    ours, _ = _schemas()
    for _ in range(3):
        _run(ours, BOARD, {"title": "一"})
        SEEN[-1]["variables"]["title"] = "changed by a resolver"

    assert [seen["variables"] for seen in SEEN][-1] == {"title": "changed by a resolver"}
    assert _run(ours, BOARD, {"title": "一"})[0]["board"]["title"] == "一"
    assert SEEN[-1]["variables"] == {"title": "一"}


def test_the_oldest_variables_are_forgotten_past_the_limit(checks: list[Any]) -> None:
    ours, _ = _schemas()
    query = "query C($title: String!) { board(title: $title) { title } }"

    for n in range(REMEMBERED_VARIABLES + 1):
        _run(ours, query, {"title": str(n)})
    checks.clear()
    _run(ours, query, {"title": str(REMEMBERED_VARIABLES)})  # the newest: remembered
    _run(ours, query, {"title": "0"})  # the oldest: forgotten

    assert [variables for kind, variables in checks if kind == "checked"] == [{"title": "0"}]


def test_the_info_s_helpers_gather_and_settle_tracked_work_on_both_paths(
    executed: list[str],
) -> None:
    ours, _ = _schemas()
    query = "query H { helped { title parts { name } } }"

    answers = [_run(ours, query) for _ in range(2)]

    assert executed == ["H"]  # the second ran directly
    assert (
        answers[0]
        == answers[1]
        == (
            {"helped": {"title": "helped", "parts": [{"name": "x"}, {"name": "y"}]}},
            [],
        )
    )
    assert CALLS == ["tracked work settled"] * 2  # settled before each answer
