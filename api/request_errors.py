"""Errors of a request, as the client sees them and as the log keeps them.

GraphQL's own messages quote what the client sent: a reporter's phone sent as a number
gives "String cannot represent a non string value: 13522223333". The client may see its
own value back, and is told which field it was (`input.reporter.phone`, also in
`extensions.field`); the log never gets the message text, only the kind of error, the
field, where in the document and the response path (ADR 0022).
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    VisitorAction,
    visit,
)
from graphql.language import SKIP
from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule
from graphql.validation.rules import ASTValidationRule
from strawberry.types import ExecutionContext

from domain.errors import InvalidInput

_VARIABLE = re.compile(r"^Variable '\$(\w+)' (?:has invalid value at ((?:\.\w+|\[\d+\])+))?")
# Runs that may be a value: quoted text, digits, anything outside plain ASCII.
_VALUE_LIKE = re.compile(r"'[^']*'|\"[^\"]*\"|\d+|[^\x00-\x7f]+")


class FieldNamingValuesRule(ValuesOfCorrectTypeRule):
    """ValuesOfCorrectTypeRule whose errors name the field of an inline value: graphql-core
    says only "String cannot represent a non string value: …" and a line and column."""

    argument = ""

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.argument = node.name.value

    def leave_argument(self, *_args: Any) -> None:
        self.argument = ""

    def is_valid_value_node(self, node: ValueNode, input_type: Any) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                field = ".".join(str(p) for p in [self.argument, *path] if p != "")
                self.report_error(
                    GraphQLError(
                        f"{field}: {error.message}" if field else error.message,
                        error.nodes,
                        extensions={"field": field} if field else None,
                    )
                )

            validate_input_literal(
                node, input_type, on_error, None, None, self.context.hide_suggestions
            )
        return SKIP


def name_fields_of_bad_values(execution: ExecutionContext) -> None:
    """Before an operation: FieldNamingValuesRule in place of graphql-core's rule (same
    checks)."""
    execution.validation_rules = naming_fields_of_bad_values(execution.validation_rules)


def naming_fields_of_bad_values(
    rules: tuple[type[ASTValidationRule], ...],
) -> tuple[type[ASTValidationRule], ...]:
    return tuple(
        FieldNamingValuesRule if rule is ValuesOfCorrectTypeRule else rule for rule in rules
    )


def name_fields_of_refusals(execution: ExecutionContext) -> None:
    """After execution: puts the field in `extensions.field` of two refusals graphql-core
    and our resolvers raise without it. A variable GraphQL cannot coerce (`$first`
    missing, `$input` with a number for a phone) is named by the field it is given to, as
    an inline value is (`input.reporter.phone`), with the variable in
    `extensions.variable` as the log names it (`$input.reporter.phone`). A query resolver
    that cannot use an argument raises the domain's InvalidInput (an id that is not one):
    a mutation answers that with its InvalidInput result, a query has no such member, so
    it becomes a GraphQL error naming the field, not an unexpected error."""
    result = execution.result
    errors = getattr(result, "errors", None)
    if errors:
        uses = _variable_uses(execution.graphql_document)
        result.errors = [_naming_field(error, uses) for error in errors]  # type: ignore[union-attr]


class _VariableUses(Visitor):
    """Where each variable is given: `$input` → `input`, `$f` in `files: [$f]` → `files[0]`."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.walk(node.value, node.name.value)

    def walk(self, value: ValueNode, path: str) -> None:
        if isinstance(value, VariableNode):
            self.found.setdefault(value.name.value, path)
        elif isinstance(value, ObjectValueNode):
            for field in value.fields:
                self.walk(field.value, f"{path}.{field.name.value}")
        elif isinstance(value, ListValueNode):
            for index, item in enumerate(value.values):
                self.walk(item, f"{path}[{index}]")


def _variable_uses(document: DocumentNode | None) -> dict[str, str]:
    uses = _VariableUses()
    if document is not None:
        visit(document, uses)
    return uses.found


def _naming_field(error: GraphQLError, uses: dict[str, str]) -> GraphQLError:
    original = error.original_error
    if isinstance(original, InvalidInput):
        extensions = {"field": original.field, "code": original.code}
        return GraphQLError(
            str(original),
            error.nodes,
            path=error.path,
            original_error=original,
            extensions=extensions,
        )
    if error.path is None and "field" not in (error.extensions or {}):
        variable = _VARIABLE.match(error.message)
        if variable and variable.group(1) in uses:
            extensions = {
                **(error.extensions or {}),
                "field": uses[variable.group(1)] + (variable.group(2) or ""),
                "variable": _field(error),
            }
            return GraphQLError(error.message, error.nodes, extensions=extensions)
        field = _field(error)
        if field:
            extensions = {**(error.extensions or {}), "field": field}
            return GraphQLError(error.message, error.nodes, extensions=extensions)
    return error


def is_refused_value(error: GraphQLError) -> bool:
    """A value the domain refused, named by its field: the client's mistake, not ours."""
    return isinstance(error.original_error, InvalidInput)


def _field(error: GraphQLError) -> str:
    if isinstance(error.original_error, InvalidInput):
        return error.original_error.field
    named = (error.extensions or {}).get("variable") or (error.extensions or {}).get("field")
    if isinstance(named, str):
        return named
    found = _VARIABLE.match(error.message)
    if found:
        return f"${found.group(1)}{found.group(2) or ''}"
    return ""


def _kind(error: GraphQLError) -> str:
    if (error.extensions or {}).get("code") == "INVALID_INPUT":
        return "invalid input"  # api/input_checks.py: a string or list refused
    if error.message.startswith("Syntax Error"):
        return "syntax error"
    if error.message.startswith("Variable '$"):
        return "invalid variable"
    if error.path is None:
        return "invalid document"
    if is_refused_value(error):
        return "invalid input"
    return "refused by the resolver"


def _where(error: GraphQLError) -> str:
    at = ",".join(f"{loc.line}:{loc.column}" for loc in error.locations or [])
    path = ".".join(str(p) for p in error.path or [])
    return f"at {at or '-'}, path {path or '-'}"


def refused(error: GraphQLError) -> str:
    """A refused request for the log: kind, field, place; never the message text."""
    field = _field(error)
    return f"{_kind(error)}{f' in {field}' if field else ''} ({_where(error)})"


def masked(text: str) -> str:
    return _VALUE_LIKE.sub("…", text)


def unexpected(error: GraphQLError) -> str:
    """An error of our own code for the log: its class, its message with anything that
    may be a value masked, where, and the stack."""
    original = error.original_error
    name = type(original).__name__ if original is not None else "GraphQLError"
    stack = "".join(traceback.format_tb(original.__traceback__)) if original else ""
    return f"{name}: {masked(str(original or error.message))} ({_where(error)})\n{stack}"
