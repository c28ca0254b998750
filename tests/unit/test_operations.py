"""Which operation of a document runs (api/operations.py): strawberry's rule, which the
mutation limit and the input checks follow."""

from __future__ import annotations

from graphql import parse

from api.operations import operation_to_run

TWO = "query Read { a } mutation Write { b }"


def _run(document: str, name: str | None = None) -> str | None:
    operation = operation_to_run(parse(document), name)
    if operation is None:
        return None
    return operation.name.value if operation.name else operation.operation.value


def test_without_a_name_the_first_operation_runs() -> None:
    assert _run(TWO) == "Read"
    assert _run("mutation Write { b } query Read { a }") == "Write"


def test_a_name_picks_its_operation() -> None:
    assert (_run(TWO, "Write"), _run(TWO, "Read")) == ("Write", "Read")


def test_an_unknown_or_empty_name_runs_nothing() -> None:
    assert (_run(TWO, "Other"), _run(TWO, "")) == (None, None)


def test_a_lone_anonymous_operation_runs() -> None:
    assert _run("mutation { b }") == "mutation"


def test_an_anonymous_first_operation_among_several_runs_nothing() -> None:
    assert _run("{ a } mutation Write { b }") is None
