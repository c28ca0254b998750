"""A prepared query of one root field, run without graphql-core's executor (ADR 0083).

Most pages ask one root field whose resolver returns one object. Where that object is
plain all the way down (the dashboard, and since ADR 0086 the work queue's page; not the
issues' page, whose `measures` is a list of strings) it is filled from a compiled
template since ADR 0082, and what was left of the read's extra CPU was graphql-core's
orchestration around the one resolver call: building an executor and strawberry's
execution context, the incremental executor, collecting the root fields,
`execute_fields`, `execute_field`, three coroutines around the awaited value and building
the result.

Here such a query is run directly: its variables and arguments coerced by graphql-core's
own functions, the resolve info strawberry's executor would build, the field's resolver
called through strawberry's wrapper (its argument conversion and field extensions), the
object filled from the template an earlier execution of the same document kept
(api/execution.py). Only that happy path is answered here. Whatever else happens is left
to graphql-core, so its answers and errors stay its own:
- a variable or an argument that does not coerce, or no kept template yet: nothing has
  run, and graphql-core runs the whole operation;
- the resolver raised, returned None where null is not allowed, or returned a value the
  template does not fill: graphql-core runs the operation with that outcome in place of
  the resolver's call (`answered_by`), so the resolver runs once and the error is located,
  propagated and reported as graphql-core does.

A document qualifies when it holds no directive at all (its selections are the same in
every execution, the condition templates are kept on) and its operation selects exactly
one field of the query type, one with a resolver of its own, returning an object type,
possibly non-null, that checks no `is_type_of`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    is_object_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Path, gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo

from api.execution import fill_kept_template, kept_template

MAX_COERCION_ERRORS = 50  # graphql-core's `execute` default, which the full path uses


class RootField(NamedTuple):
    """The one root field of a prepared query the direct path may run."""

    response_name: str
    node: FieldNode
    field: GraphQLField
    query_type: GraphQLObjectType
    object_type: GraphQLObjectType
    non_null: bool
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]


class Outcome(NamedTuple):
    """What the resolver did, for graphql-core to complete in place of calling it again."""

    value: Any
    error: Exception | None


def root_field(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> RootField | None:
    """The operation's root field if the direct path may run it, else None."""
    location = operation.loc
    if location is None or "@" in location.source.body:
        return None
    selections = operation.selection_set.selections
    query_type = schema.query_type
    if len(selections) != 1 or not isinstance(selections[0], FieldNode) or query_type is None:
        return None
    node = selections[0]
    field = query_type.fields.get(node.name.value)  # `__typename` and the like: None
    if field is None or field.resolve is None:
        return None
    kind, non_null = field.type, isinstance(field.type, GraphQLNonNull)
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if not is_object_type(kind) or kind.is_type_of is not None:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    response_name = node.alias.value if node.alias is not None else node.name.value
    return RootField(response_name, node, field, query_type, kind, non_null, operation, fragments)


def coerced_variables(
    root: RootField, schema: GraphQLSchema, variables: dict[str, Any] | None
) -> VariableValues | None:
    """The operation's variables as graphql-core's execution coerces them, or None where
    they do not coerce (graphql-core then reports why)."""
    try:
        coerced = get_variable_values(
            schema,
            root.operation.variable_definitions or (),
            variables or {},
            max_errors=MAX_COERCION_ERRORS,
        )
    except Exception:  # graphql-core reports it
        return None
    return None if isinstance(coerced, list) else coerced


async def run_directly(
    root: RootField,
    schema: GraphQLSchema,
    coerced: VariableValues,
    context: Any,
    extensions: dict[str, Any] | None,
    is_awaitable: Callable[[Any], bool],
) -> dict[str, Any] | Outcome | None:
    """The answer's data; or the resolver's Outcome where graphql-core must complete it;
    or None where nothing ran and graphql-core must run the whole operation. `coerced`
    may be remembered for later requests (api/prepared_queries.py): it is only read."""
    template = kept_template(root.object_type, (root.node,))
    if template is None:  # the first execution, or templates forgotten since
        return None
    node, field = root.node, root.field
    try:
        arguments = {}
        if field.args or node.arguments:
            arguments = get_argument_values(field, node, coerced)
    except Exception:  # graphql-core locates and reports it, and nothing has run yet
        return None
    tracked: list[Awaitable[Any]] = []
    info = _OperationContextAwareGraphQLResolveInfo(
        node.name.value,
        [node],
        field.type,
        root.query_type,
        Path(None, root.response_name, root.query_type.name),
        schema,
        root.fragments,
        None,  # the root value, as the full path runs it
        root.operation,
        dict(coerced.coerced),  # strawberry hands resolvers the plain dict: theirs to keep
        context,
        is_awaitable,
        None,  # no abort signal, as the full path runs it
        GraphQLResolveInfoHelpers(gather=_gathered, track=_tracker(tracked, is_awaitable)),
        cast("dict[str, Any]", extensions),  # None where none were sent, as strawberry's
    )
    try:
        value = field.resolve(None, info, **arguments)  # type: ignore[misc]
        if is_awaitable(value):
            value = await value
    except Exception as error:
        return Outcome(None, error)
    finally:
        if tracked:  # work a resolver asked to be settled before the operation ends
            await asyncio.gather(*tracked, return_exceptions=True)
    if value is None:
        return Outcome(None, None) if root.non_null else {root.response_name: None}
    try:
        return {root.response_name: fill_kept_template(template, value)}
    except Exception:  # a value the template does not fill: graphql-core completes it
        return Outcome(value, None)


def answered_by(root: RootField, outcome: Outcome) -> Callable[..., Any]:
    """A graphql-core middleware answering the root field with `outcome` instead of
    calling its resolver again; every other field resolves as usual."""

    def middleware(
        resolve: Any, source: Any, info: GraphQLResolveInfo[Any], **arguments: Any
    ) -> Any:
        path = info.path
        if path.prev is None and path.key == root.response_name:
            if outcome.error is not None:
                raise outcome.error
            return outcome.value
        return resolve(source, info, **arguments)

    return middleware


def _gathered(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


def _tracker(
    tracked: list[Awaitable[Any]], is_awaitable: Callable[[Any], bool]
) -> Callable[[Sequence[Any]], None]:
    def track(values: Sequence[Any]) -> None:
        tracked.extend(value for value in values if is_awaitable(value))

    return track
