"""Which operation of a GraphQL document runs, by the rule our server really applies.

The spec (and graphql-core's `get_operation_ast`) runs nothing when a document holds
several operations and the request names none. strawberry does otherwise: without an
`operationName` it passes the *first* operation's name on to graphql-core, which then runs
that one (strawberry.types.execution.ExecutionContext.operation_name). So
`mutation Write {…} query Read {…}` without a name runs the mutation. Whatever must know
what executes (the mutation rate limit, the input checks) asks here, so it sees exactly
what runs.
"""

from __future__ import annotations

from graphql import DocumentNode, OperationDefinitionNode


def name_to_run(document: DocumentNode, requested: str | None) -> str | None:
    """The operation name strawberry hands to graphql-core for this request."""
    if requested is not None:
        return requested
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name else None
    return None


def operation_to_run(
    document: DocumentNode, requested: str | None
) -> OperationDefinitionNode | None:
    """The operation graphql-core executes for the name strawberry gives it, chosen as its
    executor chooses (`build_execution_context`): without a name, the only operation; with
    one, the operation of that name. None when nothing runs."""
    name = name_to_run(document, requested)
    chosen: OperationDefinitionNode | None = None
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if name is None:
            if chosen is not None:
                return None  # "Must provide operation name": nothing runs
            chosen = definition
        elif definition.name and definition.name.value == name:
            chosen = definition  # the last of a duplicated name, as the executor does
    return chosen
