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

Objects and lists of objects held in such attributes (a work-queue row's edge, node,
campaign, agency and steps: ~160 a page, ADR 0070) are completed the same way: the
attribute read, then graphql-core's own `collect_and_execute_subfields` for the object or
each item, under the path and with the error handling `execute_field` would give them —
without the resolve info, strawberry's wrappers and `complete_value`'s dispatch, which an
object held in an attribute does not need. A value graphql-core would check or await
(None where non-null, an exception, an awaitable, a list that is not a list or holds
any of those, a field under a directive such as `@stream`) takes the whole path.

Where every field selected on such an object is itself a plain leaf, `__typename` or a
plain object of the same kind, all the way down (a queue row's node, campaign, agency and
steps), the selection is made into a template (`_Template`) once per execution, or once
for all executions of a document without directives, and each object is filled from it
in one loop: no path, no graphql-core call per object (ADR 0076).
The template is kept only for values of exactly the strawberry class the type was built
from; anything else met while filling (another class, a None where non-null, a value that
does not coerce, an exception reading it) drops what was filled and completes the object
the way above, which reads the same attributes again and reports the error as
graphql-core would.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
    is_object_type,
)
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter

PLAIN_LEAF = "rectify-plain-leaf"  # the key of a field's plan in its graphql-core extensions
PLAIN_OBJECT = "rectify-plain-object"  # the same, for an object or a list of objects


class PlainLeaf(NamedTuple):
    attribute: str  # the Python attribute strawberry's own getter reads
    leaf: GraphQLLeafType
    non_null: bool
    # A strawberry enum's Python class and each member's GraphQL name, as strawberry's
    # coercion finds it (the first value equal to the member's) with a loop per value.
    enum_class: type | None = None
    names: dict[Any, str] | None = None
    int32: bool = False  # an Int: a Python int in range is its own coercion


class _Inner(NamedTuple):
    """A plain object field of a template: its template, and where None may stand."""

    template: _Template
    non_null: bool
    listed: bool
    item_non_null: bool


class _Entry(NamedTuple):
    response_name: str
    attribute: str | None  # None: `__typename`, answered by `constant`
    same: type | None  # as in `_plans_of`: a value of this type is its own coercion
    leaf: PlainLeaf | None
    inner: _Inner | None
    constant: str | None


class _Template(NamedTuple):
    origin: type  # the strawberry class the object type was built from
    entries: tuple[_Entry, ...]
    # `_filled` for this template as one generated function (`_compiled`), for templates
    # kept across executions; None: `_filled` walks the entries
    fill: Callable[[Any], dict[str, Any]] | None = None


# Templates of selections in documents without directives, kept across executions: a
# document the parser cache holds is the same object in each, so its field nodes key the
# template. Each entry keeps its nodes alive, so their ids are not reused while it lives.
SHARED_TEMPLATES = 512
_SHARED_TEMPLATES: dict[tuple[Any, ...], tuple[tuple[Any, ...], _Template | None]] = {}


class _Irregular(Exception):
    """A value a template does not fill: the object is completed the long way instead."""


class PlainObject(NamedTuple):
    attribute: str
    field_type: GraphQLOutputType  # as declared, for graphql-core's error handling
    object_type: GraphQLObjectType
    non_null: bool
    item_type: GraphQLOutputType | None  # a list's items (object, possibly non-null)
    item_non_null: bool


def mark_plain_leaves(schema: GraphQLSchema) -> int:
    """Records a PlainLeaf (or a PlainObject) on every field it applies to; returns how
    many leaves. Run on the final schema: a field whose resolver was wrapped since
    (api/schema.py's mutation hooks) is no longer strawberry's default getter and is left
    alone."""
    marked = 0
    for named in schema.type_map.values():
        if not is_object_type(named) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            attribute = _attribute(field)
            if attribute is None:
                continue
            plan = _plan(field, attribute)
            if plan is not None:
                field.extensions[PLAIN_LEAF] = plan
                marked += 1
            objects = _object_plan(field, attribute)
            if objects is not None:
                field.extensions[PLAIN_OBJECT] = objects
    return marked


def _attribute(field: Any) -> str | None:
    """The attribute strawberry's default getter reads for `field`, or None: a resolver, a
    field extension, arguments, another getter."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        definition is None
        or field.args
        or not getattr(field.resolve, "_is_default", False)
        or not definition.is_basic_field
        or definition.default_resolver is not getattr
    ):
        return None
    return str(definition.python_name)


def _plan(field: Any, attribute: str) -> PlainLeaf | None:
    kind, non_null = field.type, False
    if isinstance(kind, GraphQLNonNull):
        kind, non_null = kind.of_type, True
    if not is_leaf_type(kind):
        return None
    if isinstance(kind, CustomGraphQLEnumType):
        names: dict[Any, str] = {}
        members: list[Any] = list(kind.wrapped_cls)
        for member in members:
            found = [name for name, value in kind.values.items() if value.value == member.value]
            if found:
                names[member] = found[0]
        return PlainLeaf(attribute, kind, non_null, kind.wrapped_cls, names)
    return PlainLeaf(attribute, kind, non_null, int32=kind is GraphQLInt)


def _object_plan(field: Any, attribute: str) -> PlainObject | None:
    """An object type, or a list of one, whose values graphql-core would not check: no
    `is_type_of` (strawberry sets one only on types with interfaces)."""
    kind, non_null = field.type, False
    if isinstance(kind, GraphQLNonNull):
        kind, non_null = kind.of_type, True
    item_type, item_non_null = None, False
    if isinstance(kind, GraphQLList):
        item_type = kind = kind.of_type
        if isinstance(kind, GraphQLNonNull):
            kind, item_non_null = kind.of_type, True
    if not is_object_type(kind) or kind.is_type_of is not None:
        return None
    return PlainObject(attribute, field.type, kind, non_null, item_type, item_non_null)


# graphql-core's own scalars whose output coercion returns a value of exactly this type
# unchanged (graphql/type/scalars.py: serialize_string, serialize_id, serialize_boolean)
_IDENTITY_COERCED: dict[int, type] = {
    id(GraphQLString): str,
    id(GraphQLID): str,
    id(GraphQLBoolean): bool,
}


_NOT_PLAIN = object()  # a leaf the short path leaves to graphql-core's whole path


def _completed(plan: PlainLeaf, value: Any) -> Any:
    """The field's completed value, read off its source, or _NOT_PLAIN for graphql-core to
    resolve again (and report its error exactly as it would: a null in a non-null field,
    an exception, a value that does not coerce)."""
    try:
        if value is None:
            return _NOT_PLAIN if plan.non_null else None
        if type(value) is plan.enum_class:
            return plan.names[value]  # type: ignore[index]  # KeyError: the whole path
        if plan.int32 and type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
            return value
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
        """graphql-core's `execute_fields` (3.3.2), with plain leaves answered in the loop
        (no path, resolve info or method call for them) and plain objects completed
        without resolve info (`_plain_object`). A resolver middleware (the traced schema's
        spans) sees every field, so then nothing takes the short path."""
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, plan, same, objects in self._plans_of(
                parent_type, grouped_field_set
            ):
                if plan is not None:
                    # a str in a String or ID field, a bool in a Boolean one: graphql-core's
                    # coercion returns the value itself (serialize_string, _id, _boolean)
                    try:
                        value = getattr(source_value, plan.attribute)
                    except Exception:  # resolved again on the whole path, with its error
                        value = _NOT_PLAIN
                    else:
                        if type(value) is same:
                            results[response_name] = value
                            continue
                        value = _completed(plan, value)
                    if value is not _NOT_PLAIN:
                        results[response_name] = value
                        continue
                field_path = Path(path, response_name, parent_type.name)
                result = _NOT_PLAIN
                if objects is not None:
                    result = self._plain_object(
                        objects, source_value, field_details_list, field_path, position_context
                    )
                if result is _NOT_PLAIN:
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
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

    def _plans_of(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Any]:
        """Each field of a selection with its short-path plans, looked up once per
        execution: the rows of a list share one collected selection (graphql-core memoises
        `collect_subfields`), so a page's twenty rows look their fields up once, not
        twenty times."""
        key = id(grouped_field_set)
        plans: dict[int, Any] = self.__dict__.setdefault("_rectify_plans", {})
        found = plans.get(key)
        # the selection kept alive with its plans, so its id cannot be reused meanwhile
        if found is not None and found[0] is grouped_field_set and found[1] is parent_type:
            return found[2]  # type: ignore[no-any-return]
        get_field = self.schema.get_field
        planned = []
        for response_name, field_details_list in grouped_field_set.items():
            field = get_field(parent_type, field_details_list[0].node.name.value)
            extensions = field.extensions if field is not None else {}
            leaf = extensions.get(PLAIN_LEAF)
            same = _IDENTITY_COERCED.get(id(leaf.leaf)) if leaf is not None else None
            planned.append(
                (response_name, field_details_list, leaf, same, extensions.get(PLAIN_OBJECT))
            )
        plans[key] = (grouped_field_set, parent_type, planned)
        return planned

    def _plain_object(
        self,
        plan: PlainObject,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """`execute_field` for an object, or a list of objects, held in an attribute: the
        value completed by graphql-core's `collect_and_execute_subfields`, errors handled
        as `execute_field` handles them; _NOT_PLAIN for anything graphql-core would check
        or await first, before any of it is executed."""
        try:
            value = getattr(source, plan.attribute)
        except Exception:  # resolved again on the whole path, where the error is located
            return _NOT_PLAIN
        if value is None:
            return _NOT_PLAIN if plan.non_null else None
        is_awaitable = self.is_awaitable
        if plan.item_type is None:
            if not _completable(value, is_awaitable):
                return _NOT_PLAIN
        elif (
            type(value) is not list
            or any(details.node.directives for details in field_details_list)  # @stream
            or not all(
                _completable(item, is_awaitable) if item is not None else not plan.item_non_null
                for item in value
            )
        ):
            return _NOT_PLAIN
        template = self._template(plan.object_type, field_details_list, position_context)
        if template is not None:
            try:
                if plan.item_type is None:
                    return _filled(template, value)
                return [None if item is None else _filled(template, item) for item in value]
            except Exception:  # _Irregular, or an attribute that raised: the long way below
                pass
        completed: Any
        try:
            if plan.item_type is None:
                completed = self.collect_and_execute_subfields(
                    plan.object_type, field_details_list, path, value, position_context
                )
            else:
                completed = self._plain_list(
                    plan, field_details_list, path, value, position_context
                )
            if is_awaitable(completed):
                return self._settled(completed, plan.field_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.field_type, field_details_list, path)
            return None
        return completed

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's, with an object a resolver returned (the dashboard) filled
        from its selection's template where it has one, as objects held in
        attributes are. A type with `is_type_of`, a value of another class and anything
        irregular inside take graphql-core's own path, which reports any error."""
        middleware = self.middleware_manager
        if return_type.is_type_of is None and not (middleware and middleware.middlewares):
            template = self._template(return_type, field_details_list, position_context)
            if template is not None:
                try:
                    return _filled(template, result)
                except Exception:  # _Irregular, or an attribute that raised: the long way
                    pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _template(
        self, object_type: GraphQLObjectType, field_details_list: Any, position_context: Any
    ) -> _Template | None:
        """The selection's template on `object_type`, made once per execution, or kept from
        an earlier execution of the same directive-free document; None where some field is
        not plain or the selection defers (incremental delivery)."""
        if position_context is not None:
            return None
        key = (object_type, id(field_details_list))
        templates: dict[Any, Any] = self.__dict__.setdefault("_rectify_templates", {})
        found = templates.get(key)
        # the selection kept alive with its template, so its id cannot be reused meanwhile
        if found is not None and found[0] is field_details_list:
            return found[1]  # type: ignore[no-any-return]
        nodes = tuple(details.node for details in field_details_list)
        shared = (object_type, *map(id, nodes)) if self._undirected() else None
        kept = _SHARED_TEMPLATES.get(shared) if shared is not None else None
        if kept is not None and all(a is b for a, b in zip(kept[0], nodes, strict=True)):
            template: _Template | None = kept[1]
        else:
            template = self._made_template(object_type, field_details_list)
            if shared is not None and template is not None:
                # kept for every later execution of the document: worth compiling
                template = template._replace(fill=_compiled(template))
            if shared is not None:
                if len(_SHARED_TEMPLATES) >= SHARED_TEMPLATES:
                    _SHARED_TEMPLATES.clear()
                _SHARED_TEMPLATES[shared] = (nodes, template)
        templates[key] = (field_details_list, template)
        return template

    def _undirected(self) -> bool:
        """Whether the operation's document holds no directive at all: its selections are
        then the same in every execution of it, whatever the variables."""
        found = self.__dict__.get("_rectify_undirected")
        if found is None:
            location = self.operation.loc
            found = location is not None and "@" not in location.source.body
            self.__dict__["_rectify_undirected"] = found
        return bool(found)

    def _made_template(
        self, object_type: GraphQLObjectType, field_details_list: Any
    ) -> _Template | None:
        definition = object_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        origin = getattr(definition, "origin", None)
        if not isinstance(origin, type):
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        entries = []
        for response_name, details in grouped_field_set.items():
            if any(_directed(detail.node) for detail in details):  # @stream and the like
                return None
            name = details[0].node.name.value
            if name == "__typename":
                entries.append(_Entry(response_name, None, None, None, None, object_type.name))
                continue
            field = self.schema.get_field(object_type, name)
            extensions = field.extensions if field is not None else {}
            leaf = extensions.get(PLAIN_LEAF)
            if leaf is not None:
                same = _IDENTITY_COERCED.get(id(leaf.leaf))
                entries.append(_Entry(response_name, leaf.attribute, same, leaf, None, None))
                continue
            plan = extensions.get(PLAIN_OBJECT)
            inner = self._template(plan.object_type, details, None) if plan else None
            if plan is None or inner is None:
                return None
            held = _Inner(inner, plan.non_null, plan.item_type is not None, plan.item_non_null)
            entries.append(_Entry(response_name, plan.attribute, None, None, held, None))
        return _Template(origin, tuple(entries))

    def _plain_list(
        self,
        plan: PlainObject,
        field_details_list: Any,
        path: Path,
        items: list[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """graphql-core's `complete_iterable_value` (3.3.2) for a list of objects already
        checked (no awaitable item, None only where the items may be null)."""
        object_type, item_type = plan.object_type, plan.item_type
        assert item_type is not None  # a list's plan
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                if item is None:
                    completed_results.append(None)
                    continue
                item_path = path.add_key(index, None)
                try:
                    completed = self.collect_and_execute_subfields(
                        object_type, field_details_list, item_path, item, position_context
                    )
                    if is_awaitable(completed):
                        completed = self._settled(
                            completed, item_type, field_details_list, item_path
                        )
                        awaitable_indices.append(index)
                    completed_results.append(completed)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    completed_results.append(None)
        except Exception:
            # as graphql-core: awaitables of other items are settled, they may fail too
            if awaitable_indices:
                self.settle_in_background([completed_results[i] for i in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                index = awaitable_indices[0]
                completed_results[index] = await completed_results[index]
            else:
                awaited = await gather_with_cancel(
                    *(completed_results[i] for i in awaitable_indices)
                )
                for index, result in zip(awaitable_indices, awaited, strict=True):
                    completed_results[index] = result
            return completed_results

        return get_completed_results()

    async def _settled(
        self,
        completed: Any,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        path: Path,
    ) -> Any:
        """An awaited completion, its error handled as `execute_field`'s `await_completed`."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None


def kept_template(object_type: GraphQLObjectType, nodes: tuple[Any, ...]) -> _Template | None:
    """The template an earlier execution kept for the selection of `nodes` on
    `object_type` in a document without directives, or None: not made yet, forgotten
    since, or the selection is not plain all the way down (api/root_field.py)."""
    kept = _SHARED_TEMPLATES.get((object_type, *map(id, nodes)))
    if kept is None or not all(a is b for a, b in zip(kept[0], nodes, strict=True)):
        return None
    return kept[1]


def fill_kept_template(template: _Template, source: Any) -> dict[str, Any]:
    """`source` filled from `template`; raises where graphql-core must complete it."""
    return _filled(template, source)


def _completable(value: Any, is_awaitable: Any) -> bool:
    """An object graphql-core would complete at once: not an error to raise, not a value
    to await first."""
    return not (value is Undefined or isinstance(value, Exception) or is_awaitable(value))


def _directed(node: Any) -> bool:
    """A field under a directive other than @skip and @include (which collecting the
    fields has already applied)."""
    return any(d.name.value not in ("skip", "include") for d in node.directives or ())


def _filled(template: _Template, source: Any) -> dict[str, Any]:
    """The object's completed value, filled from its template; raises _Irregular at any
    value graphql-core would check, error or coerce differently."""
    if template.fill is not None:
        return template.fill(source)
    if type(source) is not template.origin:
        raise _Irregular
    result: dict[str, Any] = {}
    for name, attribute, same, leaf, inner, constant in template.entries:
        if attribute is None:
            result[name] = constant
            continue
        value = getattr(source, attribute)
        if leaf is not None:
            if type(value) is not same:
                value = _completed(leaf, value)
                if value is _NOT_PLAIN:
                    raise _Irregular
            result[name] = value
        elif inner is not None:
            if value is None:
                if inner.non_null:
                    raise _Irregular
                result[name] = None
            elif not inner.listed:
                result[name] = _filled(inner.template, value)
            elif type(value) is list:
                result[name] = [_item(inner, item) for item in value]
            else:
                raise _Irregular
    return result


def _item(inner: _Inner, item: Any) -> dict[str, Any] | None:
    if item is not None:
        return _filled(inner.template, item)
    if inner.item_non_null:
        raise _Irregular
    return None


def _compiled(template: _Template) -> Callable[[Any], dict[str, Any]]:
    """`_filled` for one template as a single generated function: the same reads, checks
    and coercions in the same order, with no loop over the entries, no tuple unpacking and
    no call per inner object's entry walk (ADR 0082). The generated text holds only names
    it makes itself (v0, L0, …) and attribute names of the schema's own Python classes;
    the response names, which come from the caller's document, are never part of it: they
    are values bound in the function's namespace."""
    namespace: dict[str, Any] = {
        "_Irregular": _Irregular,
        "_NOT_PLAIN": _NOT_PLAIN,
        "_completed": _completed,
        "_item": _item,
        "_MIN": GRAPHQL_MIN_INT,
        "_MAX": GRAPHQL_MAX_INT,
        "ORIGIN": template.origin,
    }
    lines = ["def fill(source):", "    if type(source) is not ORIGIN:", "        raise _Irregular"]
    keys = []
    for n, (name, attribute, same, leaf, inner, constant) in enumerate(template.entries):
        namespace[f"N{n}"] = name
        keys.append(f"N{n}: v{n}")
        if attribute is None:
            namespace[f"C{n}"] = constant
            lines.append(f"    v{n} = C{n}")
            continue
        if attribute.isidentifier() and not keyword.iskeyword(attribute):
            lines.append(f"    v{n} = source.{attribute}")
        else:
            namespace[f"A{n}"] = attribute
            lines.append(f"    v{n} = getattr(source, A{n})")
        if leaf is not None:
            namespace[f"S{n}"], namespace[f"L{n}"] = same, leaf
            test = f"type(v{n}) is not S{n}"
            if leaf.int32:  # an Int in range is its own coercion (as `_completed`)
                test = f"{test} and not (type(v{n}) is int and _MIN <= v{n} <= _MAX)"
            lines += [
                f"    if {test}:",
                f"        v{n} = _completed(L{n}, v{n})",
                f"        if v{n} is _NOT_PLAIN:",
                "            raise _Irregular",
            ]
        elif inner is not None:
            inner_fill = inner.template.fill
            namespace[f"F{n}"] = inner_fill or partial(_filled, inner.template)
            none = "raise _Irregular" if inner.non_null else "pass"
            lines += [f"    if v{n} is None:", f"        {none}"]
            if not inner.listed:
                lines += ["    else:", f"        v{n} = F{n}(v{n})"]
            else:
                namespace[f"I{n}"] = inner
                lines += [
                    f"    elif type(v{n}) is list:",
                    f"        v{n} = [F{n}(i) if i is not None else _item(I{n}, i) for i in v{n}]",
                    "    else:",
                    "        raise _Irregular",
                ]
    lines.append(f"    return {{{', '.join(keys)}}}")
    exec(compile("\n".join(lines), f"<template {template.origin.__name__}>", "exec"), namespace)
    return namespace["fill"]  # type: ignore[no-any-return]
