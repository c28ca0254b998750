"""Queries whose document is known to be valid skip strawberry's view (ADR 0081).

Every read a page makes is one of a few dozen documents, sent again and again. Through
strawberry's HTTP view and `Schema.execute` each request pays again for what does not
change between them: the extension runner enters a context manager for each hook of each
of five extensions, the view parses the body and builds its request data and a response
object for each step, and the document is looked up in the parser and validation caches.

Here a query document is parsed and validated once, by the rules strawberry applies to
it (`RectifySchema.validation_rules`), and kept (`Prepared`). A POST whose JSON body
names such a document runs it through `RectifySchema.execute_prepared`: the same steps
in the same order as the extensions — input text checked, graphql-core's execution with
our executor, errors logged, named and masked, the operation told to the request log —
with the view's context, its 503 after a lost database, and its answer's encoding and
headers (api/graphql_view.py). Anything else goes to the view unchanged, the body
replayed to it: a mutation, a subscription, a document that does not parse or validate,
a GET, a batch, a body that is not a plain JSON object, another content type. So every
answer the view gives to a refused request is still the view's own.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.execution.values import VariableValues
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send
from strawberry.http import process_result
from strawberry.schema.schema import validate_document
from strawberry.utils.operation import get_first_operation

from api.graphql_view import (
    MIN_POSITION_HEADER,
    RectifyGraphQL,
    http_context,
    http_json,
    refuse_after_outage,
)
from api.hygiene import read_body, replay
from api.root_field import RootField, root_field

if TYPE_CHECKING:
    from api.schema import RectifySchema

POSITION_HEADER = MIN_POSITION_HEADER.lower().encode("latin-1")
CACHED_DOCUMENTS = 256  # as many as the parser and validation caches keep
REMEMBERED_VARIABLES = 64  # sets of variables a document remembers as checked


class Prepared(NamedTuple):
    """A valid query document and the operation strawberry would run of it."""

    query: str
    document: DocumentNode
    operation_name: str | None  # the one asked for, or the first operation's name
    root: RootField | None  # its one root field, where it runs directly (ADR 0083)
    # variables (canonical JSON) that passed the input checks, with their coercion for the
    # direct path (None: not coerced there); see `checked` and `remember`
    passed: dict[bytes, VariableValues | None]

    def checked(self, key: bytes | None) -> tuple[bool, VariableValues | None]:
        """Whether variables of this key passed the input checks before, and how the
        direct path coerced them. Both are functions of the document and the variables
        alone (api/input_checks.py, graphql-core's coercion), so neither is done twice
        for a page asked again with the same variables (ADR 0083)."""
        if key is None or key not in self.passed:
            return False, None
        return True, self.passed[key]

    def remember(self, key: bytes | None, coerced: VariableValues | None) -> None:
        """Variables that passed the input checks (never ones that failed: each refusal
        is made anew), with their coercion; the oldest forgotten past the limit."""
        if key is None:
            return
        if len(self.passed) >= REMEMBERED_VARIABLES:
            self.passed.pop(next(iter(self.passed)))
        self.passed[key] = coerced


def variables_key(variables: dict[str, Any] | None) -> bytes | None:
    """Variables as canonical JSON, to know them again; None for what orjson will not write
    (they came from orjson, so that is only a caller's own value)."""
    try:
        return orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation strawberry runs: the one named, or the first (api/operations.py)."""
    if name is None:
        return get_first_operation(document)
    for definition in document.definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.name is not None
            and definition.name.value == name
        ):
            return definition
    return None


class PreparedDocuments:
    """Documents parsed and validated once; None kept for one the view must answer."""

    def __init__(self, schema: RectifySchema, size: int = CACHED_DOCUMENTS) -> None:
        self.schema = schema
        self.size = size
        self._kept: OrderedDict[tuple[str, str | None], Prepared | None] = OrderedDict()

    def get(self, query: str, operation_name: str | None) -> Prepared | None:
        key = (query, operation_name)
        try:
            found = self._kept[key]
        except KeyError:
            found = self._prepared(query, operation_name)
            self._kept[key] = found
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
            return found
        self._kept.move_to_end(key)
        return found

    def _prepared(self, query: str, operation_name: str | None) -> Prepared | None:
        try:
            document = parse(query)
        except GraphQLError:
            return None
        operation = _operation(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        if validate_document(self.schema._schema, document, self.schema.validation_rules):
            return None
        name = operation.name.value if operation.name is not None else None
        root = root_field(self.schema._schema, document, operation)
        return Prepared(
            query, document, operation_name if operation_name is not None else name, root, {}
        )


def _request_data(body: bytes) -> tuple[str, dict[str, Any] | None, str | None, Any] | None:
    """(query, variables, operation name, extensions) of a body the view would read the
    same way, or None: orjson refuses what the standard library might take differently
    (NaN, integers past 64 bits, lone surrogates), and such a body goes to the view."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict:
        return None
    query, variables = data.get("query"), data.get("variables")
    name, extensions = data.get("operationName"), data.get("extensions")
    if (
        type(query) is not str
        or not (variables is None or type(variables) is dict)
        or not (name is None or type(name) is str)
        or not (extensions is None or type(extensions) is dict)
    ):
        return None
    return query, variables, name, extensions


def _plain_json_post(scope: Scope) -> bool:
    """A POST of `application/json` that asks for a single answer, not a stream."""
    if scope["method"] != "POST":
        return False
    kind = b""
    for key, value in scope["headers"]:
        if key == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
        elif key == b"accept" and (b"multipart" in value or b"event-stream" in value):
            return False
    return kind == b"application/json"


class PreparedQueries:
    """In front of strawberry's view: prepared queries are run here, the rest by it."""

    def __init__(self, view: RectifyGraphQL, schema: RectifySchema) -> None:
        self.view = view
        self.schema = schema
        self.documents = PreparedDocuments(schema)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _plain_json_post(scope):
            await self.view(scope, receive, send)
            return
        body = await read_body(receive)
        if not isinstance(body, bytes):
            await self.view(scope, replay([body], receive), send)
            return
        data = _request_data(body)
        prepared = self.documents.get(data[0], data[2]) if data is not None else None
        if data is None or prepared is None:
            replayed: Message = {"type": "http.request", "body": body, "more_body": False}
            await self.view(scope, replay([replayed], receive), send)
            return
        _, variables, _, extensions = data
        request = Request(scope, receive)
        context, position = await http_context(request)
        result = await self.schema.execute_prepared(prepared, variables, context, extensions)
        refuse_after_outage(request)
        body = http_json(process_result(result))
        # as RectifyGraphQL.create_response makes them, without a Response for each step
        headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]
        if position is not None:
            headers.append((POSITION_HEADER, position.encode("latin-1")))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
