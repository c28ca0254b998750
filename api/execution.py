"""graphql-core's field execution with a short path for plain leaf fields (ADR 0067).

Most fields of a page are scalars or enums read straight off a strawberry object: 146 of
the dashboard's 169 fields, ~360 of a work-queue page's 446. For each, graphql-core builds
a resolve-info tuple, calls strawberry's attribute getter through two wrappers, asks twice
whether the result is awaitable and walks `complete_value` (non-null, list, leaf, ...)
before it coerces the value: most of the CPU of a read, none of it needed for an
attribute that holds a value. Such fields are found once per schema (`mark_plain_leaves`)
and read with `getattr` and coerced directly. Anything else — a field with a resolver or a
strawberry field extension, arguments, a list or object type, a resolver middleware (the
traced schema's OpenTelemetry spans), and any value that is not simply coercible (None,
an exception, a coercion failure) — goes the whole way, so results and errors are
graphql-core's own.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_leaf_type,
    is_object_type,
)
from graphql.pyutils import AwaitableOrValue, Path, Undefined, UndefinedType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

PLAIN_LEAF = "rectify-plain-leaf"  # the key of a field's plan in its graphql-core extensions


class PlainLeaf(NamedTuple):
    attribute: str  # the Python attribute strawberry's own getter reads
    leaf: GraphQLLeafType
    non_null: bool


def mark_plain_leaves(schema: GraphQLSchema) -> int:
    """Records a PlainLeaf on every field it applies to; returns how many. Run on the final
    schema: a field whose resolver was wrapped since (api/schema.py's mutation hooks) is
    no longer strawberry's default getter and is left alone."""
    marked = 0
    for named in schema.type_map.values():
        if not is_object_type(named) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            plan = _plan(field)
            if plan is not None:
                field.extensions[PLAIN_LEAF] = plan
                marked += 1
    return marked


def _plan(field: Any) -> PlainLeaf | None:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        definition is None
        or field.args
        or not getattr(field.resolve, "_is_default", False)
        or not definition.is_basic_field
        or definition.default_resolver is not getattr
    ):
        return None
    kind, non_null = field.type, False
    if isinstance(kind, GraphQLNonNull):
        kind, non_null = kind.of_type, True
    if not is_leaf_type(kind):
        return None
    return PlainLeaf(definition.python_name, kind, non_null)


class PlainLeavesExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any] | UndefinedType:
        node = field_details_list[0].node
        field = self.schema.get_field(parent_type, node.name.value)
        plan = field.extensions.get(PLAIN_LEAF) if field is not None else None
        middleware = self.middleware_manager
        if plan is not None and (middleware is None or not middleware.middlewares):
            try:
                value = getattr(source, plan.attribute)
                if value is None:
                    if not plan.non_null:
                        return None
                elif value is not Undefined and not isinstance(value, Exception):
                    return self.complete_leaf_value(plan.leaf, value)
            except Exception:  # noqa: S110 - resolved again below, where the error is located
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
