"""api/execution.py completes objects and lists of objects held in attributes without
graphql-core's per-field machinery (ADR 0070): every answer and every error must be
exactly graphql-core's own."""

from __future__ import annotations

import asyncio
import enum
from typing import Any, ClassVar

import strawberry
from graphql import execute, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.execution import (
    PLAIN_OBJECT,
    PlainLeavesExecutor,
    _filled,
    _Irregular,
    mark_plain_leaves,
)
from api.schema import schema as api_schema


@strawberry.type
class Step:
    name: str
    note: str | None = None


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tag(Named):
    pass


@strawberry.type
class Row:
    id: strawberry.ID
    step: Step
    maybe: Step | None
    steps: list[Step]
    gaps: list[Step | None]
    tag: Tag

    @strawberry.field
    async def later(self) -> Step:
        if self.id == "10":
            raise ValueError("no later step")
        return Step(name=f"later {self.id}")

    @strawberry.field
    def computed(self) -> Step:
        return Step(name="computed")


@strawberry.type
class Holder:
    row: Row
    rows: list[Row]


def _row(n: int) -> Row:
    return Row(
        id=strawberry.ID(str(n)),
        step=Step(name=f"s{n}"),
        maybe=None if n % 2 else Step(name="m", note="n"),
        steps=[Step(name="a"), Step(name="b")],
        gaps=[None, Step(name="g")],
        tag=Tag(name="t"),
    )


def _bad(n: int, step: Any = "fine", steps: Any = (), gaps: Any = ()) -> Row:
    return Row(
        id=strawberry.ID(str(n)),
        step=Step(name="x") if step == "fine" else step,
        maybe=None,
        steps=list(steps),
        gaps=list(gaps),
        tag=Tag(name="t"),
    )


def _broken() -> list[Any]:
    # what a resolver could wrongly hand over: None where non-null, a bad leaf inside
    return [
        _bad(5, step=None),
        _bad(6, steps=[None]),
        _bad(7, step=Step(name=None)),  # type: ignore[arg-type]
        _bad(8, steps=[Step(name=["x"])]),  # type: ignore[arg-type]
        _bad(9, gaps=[Step(name=None)]),  # type: ignore[arg-type]
    ]


class Shouting(Step):
    """Another class than the one the type was built from: left to graphql-core."""


@strawberry.type
class Query:
    @strawberry.field
    async def rows(self) -> list[Row]:
        return [_row(1), _row(2)]

    @strawberry.field
    def holder(self) -> Holder:
        return Holder(row=_row(3), rows=[_row(4)])

    @strawberry.field
    def broken(self) -> list[Row | None]:
        return _broken()

    @strawberry.field
    def failing(self) -> Holder | None:
        return Holder(row=_row(3), rows=[_row(4), _row(10)])

    @strawberry.field
    def loud(self) -> Step:
        return Shouting(name="loud")

    @strawberry.field
    def torn(self) -> Holder | None:
        return Holder(row=_bad(11, step=None), rows=[])


ROW = "id step { name note } maybe { name } steps { name } gaps { name } tag { name }"
QUERY = f"{{ rows {{ {ROW} later {{ name }} computed {{ name }} }} holder {{ row {{ {ROW} }} rows {{ id later {{ name }} }} }} }}"  # noqa: E501
BROKEN = "{ broken { id step { name } steps { name } gaps { name } } }"
FAILING = "{ failing { row { later { name } } rows { id later { name } } } }"


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    fast = strawberry.Schema(query=Query, types=[Tag], execution_context_class=PlainLeavesExecutor)
    mark_plain_leaves(fast._schema)
    plain = strawberry.Schema(
        query=Query, types=[Tag], execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    return fast, plain


def _answer(built: strawberry.Schema, query: str) -> tuple[Any, list[Any]]:
    result = asyncio.run(built.execute(query))
    errors = [(e.message, e.path, e.locations) for e in result.errors or []]
    return result.data, errors


def test_objects_and_lists_of_objects_answer_what_graphql_core_answers() -> None:
    fast, plain = _schemas()

    data, errors = _answer(fast, QUERY)

    assert (data, errors) == _answer(plain, QUERY)
    assert not errors
    assert data["rows"][1]["maybe"] == {"name": "m"}
    assert data["rows"][0]["gaps"] == [None, {"name": "g"}]
    assert data["holder"]["rows"] == [{"id": "4", "later": {"name": "later 4"}}]


def test_a_null_or_a_bad_value_inside_is_the_error_graphql_core_reports() -> None:
    fast, plain = _schemas()

    data, errors = _answer(fast, BROKEN)

    assert (data, errors) == _answer(plain, BROKEN)
    assert data["broken"] == [
        None, None, None, None, {"id": "9", "step": {"name": "x"}, "steps": [], "gaps": [None]}
    ]  # fmt: skip
    assert [path for _, path, _ in errors] == [
        ["broken", 0, "step"],
        ["broken", 1, "steps", 0],
        ["broken", 2, "step", "name"],
        ["broken", 3, "steps", 0, "name"],
        ["broken", 4, "gaps", 0, "name"],
    ]


def test_only_attribute_objects_without_interfaces_take_the_short_path() -> None:
    fast, _ = _schemas()
    row = fast._schema.type_map["Row"].fields  # type: ignore[union-attr]

    marked = {name for name, field in row.items() if PLAIN_OBJECT in field.extensions}

    # not a resolver (later, computed), not a type graphql-core checks (tag: an interface's)
    assert marked == {"step", "maybe", "steps", "gaps"}


def test_the_work_queue_rows_are_completed_on_the_short_path() -> None:
    types = api_schema._schema.type_map
    edge = types["WorkItemEdge"].fields  # type: ignore[union-attr]
    item = types["WorkItem"].fields  # type: ignore[union-attr]
    connection = types["WorkQueueConnection"].fields  # type: ignore[union-attr]

    assert PLAIN_OBJECT in edge["node"].extensions
    assert all(PLAIN_OBJECT in item[name].extensions for name in ("campaign", "agency", "steps"))
    assert PLAIN_OBJECT in connection["edges"].extensions


def test_a_resolver_failing_inside_a_list_of_objects_is_graphql_core_s_error() -> None:
    fast, plain = _schemas()

    data, errors = _answer(fast, FAILING)

    assert (data, errors) == _answer(plain, FAILING)
    assert data == {"failing": None}
    assert errors == [("no later step", ["failing", "rows", 1, "later"], errors[0][2])]


class CountingExecutor(PlainLeavesExecutor):
    """Counts the objects completed field by field (not filled from a template)."""

    completed: ClassVar[list[str]] = []

    def execute_fields(self, parent_type: Any, *args: Any) -> Any:
        self.completed.append(parent_type.name)
        return super().execute_fields(parent_type, *args)


@strawberry.type
class OddQuery:
    @strawberry.field
    def holder(self) -> Holder:
        row = _row(3)
        row.step = Shouting(name="loud")
        return Holder(row=row, rows=[_row(4)])


PLAIN_ALL_THE_WAY = (
    "{ holder { row { __typename id step { __typename name note } maybe { name } "
    "steps { name } gaps { name } } rows { id steps { name } } } }"
)
DIRECTED = (
    "query ($yes: Boolean!) { holder { row { id step @include(if: $yes) { name } "
    "steps @skip(if: $yes) { name } } } }"
)


def _counted(query_type: type, query: str, **variables: Any) -> tuple[Any, list[str]]:
    built = strawberry.Schema(
        query=query_type, types=[Tag], execution_context_class=CountingExecutor
    )
    mark_plain_leaves(built._schema)
    CountingExecutor.completed = []
    result = asyncio.run(built.execute(query, variable_values=variables))
    assert not result.errors
    return result.data, CountingExecutor.completed


def _reference(query_type: type, query: str, **variables: Any) -> Any:
    built = strawberry.Schema(
        query=query_type, types=[Tag], execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    return asyncio.run(built.execute(query, variable_values=variables)).data


def test_objects_plain_all_the_way_down_are_filled_without_completing_field_by_field() -> None:
    data, completed = _counted(Query, PLAIN_ALL_THE_WAY)

    assert data == _reference(Query, PLAIN_ALL_THE_WAY)
    assert data["holder"]["row"]["__typename"] == "Row"
    assert data["holder"]["row"]["step"] == {"__typename": "Step", "name": "s3", "note": None}
    # the holder a resolver returned, its rows and their steps: all from templates
    assert completed == ["Query"]


def test_fields_skipped_or_included_by_a_variable_are_filled_as_graphql_core_answers() -> None:
    for yes in (True, False):
        data, completed = _counted(Query, DIRECTED, yes=yes)

        assert data == _reference(Query, DIRECTED, yes=yes)
        assert completed == ["Query"]


def test_an_object_of_another_class_is_completed_field_by_field() -> None:
    data, completed = _counted(OddQuery, PLAIN_ALL_THE_WAY)

    assert data == _reference(OddQuery, PLAIN_ALL_THE_WAY)
    assert data["holder"]["row"]["step"]["name"] == "loud"
    assert "Step" in completed  # the Shouting step, and so its row, the long way


class TemplateCounter(PlainLeavesExecutor):
    made: ClassVar[list[str]] = []

    def _made_template(self, object_type: Any, field_details_list: Any) -> Any:
        self.made.append(object_type.name)
        return super()._made_template(object_type, field_details_list)


def test_a_document_without_directives_reuses_its_templates_and_one_with_them_does_not() -> None:
    built = strawberry.Schema(query=Query, types=[Tag], execution_context_class=TemplateCounter)
    mark_plain_leaves(built._schema)
    plain_document, directed = parse(PLAIN_ALL_THE_WAY), parse(DIRECTED)

    def made(document: Any, **variables: Any) -> tuple[Any, list[str]]:
        TemplateCounter.made = []
        result = execute(
            built._schema,
            document,
            variable_values=variables,
            executor_class=TemplateCounter,
        )
        assert not result.errors  # type: ignore[union-attr]
        return result.data, TemplateCounter.made  # type: ignore[union-attr]

    first, made_first = made(plain_document)
    again, made_again = made(plain_document)

    assert first == again == _reference(Query, PLAIN_ALL_THE_WAY)
    assert made_first
    assert made_again == []  # the same document: every template kept from the first
    for yes in (True, False, True):
        data, made_directed = made(directed, yes=yes)
        assert made_directed  # made again: a variable may change what is selected
        assert data == _reference(Query, DIRECTED, yes=yes)


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


@strawberry.type
class Gauge:
    count: int
    level: Level
    label: str | None
    parts: list[Step]
    first: Step | None


@strawberry.type
class Gauges:
    gauges: list[Gauge]


@strawberry.type
class GaugeQuery:
    @strawberry.field
    def holder(self) -> Gauges:
        return Gauges(gauges=[Gauge(count=1, level=Level.LOW, label=None, parts=[], first=None)])


GAUGES = (
    "{ holder { gauges { n: count level class: label parts { name } first { name note } "
    "__typename } } }"
)


class TemplateKeeper(PlainLeavesExecutor):
    kept: ClassVar[list[Any]] = []

    def _template(self, object_type: Any, field_details_list: Any, position_context: Any) -> Any:
        found = super()._template(object_type, field_details_list, position_context)
        self.kept.append(found)
        return found


def test_a_kept_template_s_generated_fill_answers_what_walking_its_entries_answers() -> None:
    built = strawberry.Schema(query=GaugeQuery, execution_context_class=TemplateKeeper)
    mark_plain_leaves(built._schema)
    TemplateKeeper.kept = []
    assert not execute(built._schema, parse(GAUGES), executor_class=TemplateKeeper).errors  # type: ignore[union-attr]
    (template,) = {id(t): t for t in TemplateKeeper.kept if t.origin is Gauge}.values()
    assert template.fill is not None  # a document without directives: compiled
    walked = template._replace(fill=None)

    def both(value: Any) -> tuple[Any, Any]:
        answers: list[Any] = []
        for way in (template, walked):
            try:
                answers.append(_filled(way, value))
            except Exception as error:  # the same kind either way
                answers.append(type(error))
        return answers[0], answers[1]

    step = Step(name="s", note="n")
    fine = [
        Gauge(count=3, level=Level.HIGH, label="x", parts=[step, step], first=step),
        Gauge(count=-(2**31), level=Level.LOW, label=None, parts=[], first=None),
        Gauge(count=True, level=Level.LOW, label="y", parts=[], first=None),  # type: ignore[arg-type]
    ]
    odd: list[Any] = [
        Gauge(count=2**31, level=Level.LOW, label=None, parts=[], first=None),  # beyond Int
        Gauge(count=None, level=Level.LOW, label=None, parts=[], first=None),  # type: ignore[arg-type]
        Gauge(count=1, level="LOW", label=None, parts=[], first=None),  # type: ignore[arg-type]
        Gauge(count=1, level=Level.LOW, label=None, parts=[None], first=None),  # type: ignore[list-item]
        Gauge(count=1, level=Level.LOW, label=None, parts=(step,), first=None),  # type: ignore[arg-type]
        Gauge(count=1, level=Level.LOW, label=None, parts=[], first=Shouting(name="s")),
        step,
    ]
    for value in fine:
        compiled, walking = both(value)
        assert compiled == walking
        assert list(compiled) == ["n", "level", "class", "parts", "first", "__typename"]
    assert both(fine[0])[0] == {
        "n": 3, "level": "HIGH", "class": "x", "parts": [{"name": "s"}] * 2,
        "first": {"name": "s", "note": "n"}, "__typename": "Gauge",
    }  # fmt: skip
    for value in odd:
        assert both(value) == (_Irregular, _Irregular)


RETURNED = "{ loud { name } torn { row { id step { name } } rows { id } } holder { rows { id } } }"


def test_objects_resolvers_return_are_filled_from_templates_or_answer_as_graphql_core() -> None:
    fast, plain = _schemas()

    data, errors = _answer(fast, RETURNED)

    assert (data, errors) == _answer(plain, RETURNED)
    assert data == {"loud": {"name": "loud"}, "torn": None, "holder": {"rows": [{"id": "4"}]}}
    assert errors == [
        (
            "Cannot return null for non-nullable field Row.step.",
            ["torn", "row", "step"],
            errors[0][2],
        )
    ]
    _, completed = _counted(Query, "{ loud { name } holder { rows { id } } }")
    assert completed == ["Query", "Step"]  # the Shouting step the long way, the holder not
