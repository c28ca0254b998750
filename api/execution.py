"""graphql-core's field execution with a short path for plain leaf fields (ADR 0067).

Most fields of a page are scalars or enums read straight off a strawberry object: 146 of
the dashboard's 169 fields, ~360 of a work-queue page's 446. For each, graphql-core makes
a response path, builds a resolve-info tuple, calls strawberry's attribute getter through
two wrappers, asks twice whether the result is awaitable and walks `complete_value`
(non-null, list, leaf, ...) before it coerces the value: most of the CPU of a read, none
of it needed for an attribute that holds a value. Such fields are found once per schema
(`mark_plain_leaves`) and answered in `execute_fields`' loop with `getattr` and
graphql-core's own leaf coercion. Anything else — a field with a resolver or a strawberry
field extension, arguments, a list or object type, any field while a resolver middleware
is installed (the traced schema's OpenTelemetry spans), and any value that is not simply
coercible (None in a non-null field, an exception, a coercion failure) — goes the whole
way, so results and errors are graphql-core's own.
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
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
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


_NOT_PLAIN = object()  # a leaf the short path leaves to graphql-core's whole path


def _plain_value(plan: PlainLeaf, source: Any) -> Any:
    """The field's completed value, or _NOT_PLAIN for graphql-core to resolve again (and
    report its error exactly as it would: a null in a non-null field, an exception, a
    value that does not coerce)."""
    try:
        value = getattr(source, plan.attribute)
        if value is None:
            return _NOT_PLAIN if plan.non_null else None
        if value is Undefined or isinstance(value, Exception):
            return _NOT_PLAIN
        return PlainLeavesExecutor.complete_leaf_value(plan.leaf, value)
    except Exception:  # resolved again on the whole path, where the error is located
        return _NOT_PLAIN


class PlainLeavesExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's `execute_fields` (3.3.2), with plain leaves answered in the loop:
        no path, resolve info or method call for them. A resolver middleware (the traced
        schema's spans) sees every field, so then nothing takes the short path."""
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        get_field = self.schema.get_field
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field = get_field(parent_type, field_details_list[0].node.name.value)
                plan = field.extensions.get(PLAIN_LEAF) if field is not None else None
                if plan is not None:
                    value = _plain_value(plan, source_value)
                    if value is not _NOT_PLAIN:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # as graphql-core: awaitables of other fields are settled, they may fail too
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()
