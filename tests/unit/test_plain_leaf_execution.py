"""api/execution.py reads plain leaf fields without graphql-core's per-field machinery
(ADR 0067): every answer and every error must be exactly graphql-core's own."""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.execution import PLAIN_LEAF, PlainLeavesExecutor, mark_plain_leaves
from api.schema import schema as api_schema


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    id: strawberry.ID
    name: str
    count: int
    colour: Colour
    note: str | None
    tags: list[str]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def times(self, n: int) -> int:
        return self.count * n


def _things() -> list[Thing]:
    return [
        Thing(id=strawberry.ID("1"), name="a", count=1, colour=Colour.RED, note=None, tags=["x"]),
        Thing(id=strawberry.ID("2"), name="b", count=2, colour=Colour.BLUE, note="n", tags=[]),
    ]


def _broken() -> list[Any]:
    # values a resolver could wrongly hand over: None for a non-null, text for an Int
    return [
        Thing(id=strawberry.ID("3"), name=None, count=3, colour=Colour.RED, note=None, tags=[]),  # type: ignore[arg-type]
        Thing(id=strawberry.ID("4"), name="d", count="many", colour=Colour.RED, note=None, tags=[]),  # type: ignore[arg-type]
    ]


@strawberry.type
class Query:
    @strawberry.field
    async def things(self) -> list[Thing]:
        return _things()

    @strawberry.field
    def broken(self) -> list[Thing | None]:
        return _broken()


QUERY = "{ things { id name count colour note tags shout times(n: 3) } }"
BROKEN = "{ broken { id name count } }"


def _schemas(query: type | None = None) -> tuple[strawberry.Schema, strawberry.Schema]:
    """The short path's schema and graphql-core's own, of `query` (default: Query)."""
    query = query or Query
    fast = strawberry.Schema(query=query, execution_context_class=PlainLeavesExecutor)
    mark_plain_leaves(fast._schema)
    plain = strawberry.Schema(
        query=query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    return fast, plain


def _answer(built: strawberry.Schema, query: str) -> tuple[Any, list[Any]]:
    result = asyncio.run(built.execute(query))
    errors = [(e.message, e.path, e.locations) for e in result.errors or []]
    return result.data, errors


def test_plain_leaf_fields_answer_what_graphql_core_answers() -> None:
    fast, plain = _schemas()

    assert _answer(fast, QUERY) == _answer(plain, QUERY)
    assert _answer(fast, QUERY)[0]["things"][0] == {
        "id": "1", "name": "a", "count": 1, "colour": "RED", "note": None, "tags": ["x"],
        "shout": "A", "times": 3,
    }  # fmt: skip


def test_a_null_or_uncoercible_leaf_is_the_error_graphql_core_reports() -> None:
    fast, plain = _schemas()

    data, errors = _answer(fast, BROKEN)

    assert (data, errors) == _answer(plain, BROKEN)
    assert data == {"broken": [None, None]}
    assert [path for _, path, _ in errors] == [["broken", 0, "name"], ["broken", 1, "count"]]
    assert "Cannot return null for non-nullable field Thing.name." in errors[0][0]


def test_only_attribute_leaves_without_arguments_take_the_short_path() -> None:
    fast, _ = _schemas()
    thing = fast._schema.type_map["Thing"].fields  # type: ignore[union-attr]

    marked = {name for name, field in thing.items() if PLAIN_LEAF in field.extensions}

    # not a resolver (shout), not with arguments (times), not a list (tags)
    assert marked == {"id", "name", "count", "colour", "note"}


def test_the_api_schema_leaves_its_mutation_fields_to_their_hooks() -> None:
    mutation = api_schema._schema.mutation_type
    assert mutation is not None

    assert not [name for name, f in mutation.fields.items() if PLAIN_LEAF in f.extensions]
    dashboard = api_schema._schema.type_map["Dashboard"].fields  # type: ignore[union-attr]
    assert PLAIN_LEAF in dashboard["totalIssues"].extensions


class Shouted(str):
    """A str subclass: graphql-core's serialize_string keeps it, our shortcut must not
    take it for a plain str."""


@strawberry.type
class Mixed:
    key: strawberry.ID
    label: str
    flag: bool


@strawberry.type
class MixedQuery:
    @strawberry.field
    def mixed(self) -> list[Mixed | None]:
        # exact str and bool (taken as they are), then values graphql-core coerces or
        # refuses: a str subclass, numbers and a bool in text fields, numbers in a flag
        return [
            Mixed(key=strawberry.ID("k"), label="text", flag=True),
            Mixed(key=Shouted("s"), label=Shouted("t"), flag=False),  # type: ignore[arg-type]
            Mixed(key=7, label=True, flag=1),  # type: ignore[arg-type]
            Mixed(key=1.5, label=2.5, flag=0.0),  # type: ignore[arg-type]
            Mixed(key=True, label=[1], flag="yes"),  # type: ignore[arg-type]
        ]


def test_text_and_flags_not_exactly_str_or_bool_are_coerced_as_graphql_core_does() -> None:
    fast, plain = _schemas(MixedQuery)
    query = "{ mixed { key label flag } }"

    data, errors = _answer(fast, query)

    assert (data, errors) == _answer(plain, query)
    assert data["mixed"][:3] == [
        {"key": "k", "label": "text", "flag": True},
        {"key": "s", "label": "t", "flag": False},
        {"key": "7", "label": "true", "flag": True},
    ]
    assert [path for _, path, _ in errors][:2] == [["mixed", 3, "key"], ["mixed", 4, "key"]]


@strawberry.enum
class Size(Enum):
    SMALL = 1
    LITTLE = 1  # an alias: the same member as SMALL
    LARGE = 2


@strawberry.type
class Measured:
    size: Size
    count: int


@strawberry.type
class MeasuredQuery:
    @strawberry.field
    def measured(self) -> list[Measured | None]:
        return [
            Measured(size=Size.LITTLE, count=2**31 - 1),
            Measured(size=Size.LARGE, count=True),  # a bool in an Int: 1, as graphql-core says
            Measured(size=Size.SMALL, count=-(2**31)),
            Measured(size=Size.LARGE, count=2**31),  # beyond 32 bits: graphql-core's error
            Measured(size="LARGE", count=0),  # type: ignore[arg-type]  # not a member
        ]


def test_enum_members_and_ints_are_coerced_as_graphql_core_coerces_them() -> None:
    fast, plain = _schemas(MeasuredQuery)
    query = "{ measured { size count } }"

    data, errors = _answer(fast, query)

    assert (data, errors) == _answer(plain, query)
    assert data["measured"][:3] == [
        {"size": "SMALL", "count": 2**31 - 1},
        {"size": "LARGE", "count": 1},
        {"size": "SMALL", "count": -(2**31)},
    ]
    assert [path for _, path, _ in errors] == [["measured", 3, "count"], ["measured", 4, "size"]]
