"""Our own steps around each GraphQL operation, in one strawberry extension (ADR 0067).

strawberry wraps every hook of every extension in a new context manager on each request
(and probes each extension for each of its four hooks): five extensions of a line or two
each cost more CPU than the work they do. The steps stay in their modules; this runs them
in the order the five extensions ran.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from api.input_checks import check_input_text
from api.live import subscriptions_only_over_websockets
from api.observability import tell_operation
from api.request_errors import name_fields_of_bad_values, name_fields_of_refusals


class RequestHooks(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        name_fields_of_bad_values(self.execution_context)
        yield
        tell_operation(self.execution_context)

    def on_execute(self) -> Iterator[None]:
        subscriptions_only_over_websockets(self.execution_context)
        check_input_text(self.execution_context)
        yield
        name_fields_of_refusals(self.execution_context)
