"""Every string and list a GraphQL request carries is checked with domain/text_rules.py
before any resolver runs.

One step for the whole schema (`check_input_text`, run by api/request_hooks.py): before
execution it walks the arguments of the operation that will run (api/operations.py),
inline literals and variables alike, into input objects and lists, with the schema's
types, and checks each string (NUL, lone
surrogates, other control characters, length) and each list (entries). A refusal is a
GraphQL error naming the argument's path (`input.reporter.phone`, `text`,
`input.measures[2]`) in its message and in `extensions.field`, with the bilingual reason;
the request answers HTTP 200 and nothing of it runs. A value of the wrong type is refused
before this by GraphQL's own validation and coercion (api/request_errors.py).

Why not a custom String scalar: a scalar sees one value without knowing its field, so it
can neither apply a name's limit rather than a text's nor count a list's entries; and
why not a validation rule: validation is cached per document and never sees variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from strawberry.types import ExecutionContext

from api.operations import operation_to_run
from domain.text_rules import MAX_NAME, MAX_TEXT, list_problem, text_problem

# Strings that are names, numbers, keys or references, not free text: MAX_NAME. By field
# name across the schema (a `name` is a name wherever it is), plus any ID, Date or other
# scalar; everything else of type String is free text (MAX_TEXT).
NAME_FIELDS = frozenset(
    {
        "address",
        "after",
        "attachments",
        "category",
        "channel",
        "deadline",
        "deadlineText",
        "institution",
        "key",
        "name",
        "number",
        "person",
        "phone",
        "region",
        "subjectKind",
        "suspect",
        "suspectedOffence",
        "title",
    }
)
NAME_SUFFIXES = ("Id", "Key", "Number")
MAX_ERRORS = 20  # one bad list of 200 entries need not give 200 errors

Path = tuple[str | int, ...]


def limit_for(path: Path, scalar: GraphQLScalarType) -> int:
    named = next(p for p in reversed(path) if isinstance(p, str))
    if scalar.name != "String" or named in NAME_FIELDS or named.endswith(NAME_SUFFIXES):
        return MAX_NAME
    return MAX_TEXT


def field_name(path: Path) -> str:
    """`input.reporter.phone`, `input.measures[2]`: as graphql-core names variable paths."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def refusal(path: Path, problem: str, node: Node) -> GraphQLError:
    field = field_name(path)
    return GraphQLError(
        f"{field}: {problem}", node, extensions={"field": field, "code": "INVALID_INPUT"}
    )


class _Argument(NamedTuple):
    value: ValueNode
    type_: GraphQLInputType
    name: str
    node: ArgumentNode


class _Arguments:
    """The arguments of one operation's fields, with their declared types, in the order
    the document gives them: the same for every request that sends the document."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.seen_fragments: set[str] = set()
        self.found: list[_Argument] = []

    def selections(self, selection_set: SelectionSetNode, parent: Any) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                self.selections(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                # a fragment's arguments are the same wherever it is spread: check it once
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in self.seen_fragments:
                    self.seen_fragments.add(name)
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    self.selections(fragment.selection_set, inner)

    def field(self, node: FieldNode, parent: Any) -> None:
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return  # a union's only field is __typename
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return  # __typename and friends take no strings
        for argument in node.arguments or ():
            declared = definition.args.get(argument.name.value)
            if declared is not None:
                name = argument.name.value
                self.found.append(_Argument(argument.value, declared.type, name, argument))
        if node.selection_set is not None:
            self.selections(node.selection_set, get_named_type(definition.type))


# Each document's arguments, found once: a document the parser caches (or
# api/prepared_queries.py keeps) is the same object in every request, so its id keys them.
# Each entry keeps its document alive, so the id is not reused while it lives.
KEPT_ARGUMENTS = 512
_KEPT: dict[tuple[int, int, int], tuple[DocumentNode, tuple[_Argument, ...]]] = {}


def _arguments(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> tuple[_Argument, ...]:
    key = (id(schema), id(document), id(operation))
    kept = _KEPT.get(key)
    if kept is not None and kept[0] is document:
        return kept[1]
    walk = _Arguments(schema, document)
    walk.selections(operation.selection_set, schema.get_root_type(operation.operation))
    found = tuple(walk.found)
    if len(_KEPT) >= KEPT_ARGUMENTS:
        _KEPT.clear()
    _KEPT[key] = (document, found)
    return found


class _Walk:
    """The values given to an operation's arguments, checked with their types."""

    def __init__(self, operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> None:
        self.variables = variables
        self.defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        self.errors: list[GraphQLError] = []

    def literal(self, value: ValueNode, type_: GraphQLInputType, path: Path, at: Node) -> None:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(value, VariableNode):
            name = value.name.value
            if name in self.variables:
                self.raw(self.variables[name], type_, path, value)
            elif name in self.defaults:
                self.literal(self.defaults[name], type_, path, at)
        elif isinstance(type_, GraphQLList):
            if isinstance(value, ListValueNode):
                self.count(value.values, path, at)
                for index, item in enumerate(value.values):
                    self.literal(item, type_.of_type, (*path, index), item)
            else:  # one value given for a list is a list of one (input coercion)
                self.literal(value, type_.of_type, path, at)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, ObjectValueNode):
            for field in value.fields:
                declared = type_.fields.get(field.name.value)
                if declared is not None:
                    self.literal(field.value, declared.type, (*path, field.name.value), field)
        elif isinstance(type_, GraphQLScalarType) and isinstance(value, StringValueNode):
            self.text(value.value, type_, path, at)

    def raw(self, value: Any, type_: GraphQLInputType, path: Path, at: Node) -> None:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            if isinstance(value, list):
                self.count(value, path, at)
                for index, item in enumerate(value):
                    self.raw(item, type_.of_type, (*path, index), at)
            else:
                self.raw(value, type_.of_type, path, at)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
            for key, item in value.items():
                declared = type_.fields.get(key)
                if declared is not None:
                    self.raw(item, declared.type, (*path, key), at)
        elif isinstance(type_, GraphQLScalarType) and isinstance(value, str):
            self.text(value, type_, path, at)

    def text(self, value: str, scalar: GraphQLScalarType, path: Path, at: Node) -> None:
        problem = text_problem(value, limit_for(path, scalar))
        if problem is not None:
            self.report(path, problem, at)

    def count(self, values: Any, path: Path, at: Node) -> None:
        problem = list_problem(values)
        if problem is not None:
            self.report(path, problem, at)

    def report(self, path: Path, problem: str, at: Node) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(refusal(path, problem, at))


def input_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> list[GraphQLError]:
    """What is wrong with the strings and lists of the operation that will run."""
    operation = operation_to_run(document, operation_name)
    if operation is None:
        return []
    walk = _Walk(operation, variables or {})
    for argument in _arguments(schema, document, operation):
        walk.literal(argument.value, argument.type_, (argument.name,), argument.node)
    return walk.errors


def check_input_text(execution: ExecutionContext) -> None:
    """Before execution: refuses the request when `input_errors` finds anything."""
    document = execution.graphql_document
    if document is not None and not execution.result:
        errors = input_errors(
            execution.schema._schema, document, execution.operation_name, execution.variables
        )
        if errors:
            # strawberry runs nothing when an extension has set the result
            execution.result = ExecutionResult(data=None, errors=errors)
