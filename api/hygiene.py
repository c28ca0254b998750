"""HTTP hygiene: request size limit, per-user mutation rate limit, security headers, CORS.

The mutation limit is counted in PostgreSQL (api/rate_limits.py), so it holds across every
API process behind a load balancer, not once per process.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from starlette.datastructures import QueryParams
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.operations import operation_to_run
from api.rate_limits import SharedWindow

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MUTATIONS_PER_MINUTE = 60


class BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {
            "error": "request_too_large",
            "message": f"请求体超过 {limit} 字节上限 / request body exceeds the limit of "
            f"{limit} bytes",
            "limit": limit,
        },
        status_code=413,
    )


class LimitBodySize:
    """Answers 413 to bodies over `limit` bytes: at once when Content-Length says so, and
    otherwise as soon as the streamed chunks add up to more, so nothing larger is buffered."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = DEFAULT_MAX_BODY_BYTES,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})  # path -> its own limit (file uploads: api/files.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.larger.get(scope.get("path", ""), self.limit)
        if scope["type"] != "http" or limit <= 0:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, "content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:  # too late to say so: the connection is cut instead
                raise
            await _too_large(limit)(scope, receive, send)


def count_mutations(body: bytes) -> int:
    """Top-level mutation fields in a GraphQL POST body: each field of the operation that
    runs (aliases each count: `a: signOff … b: signOff` is two), reached directly or
    through fragments on the Mutation type, and each operation of a batch. Anything that
    does not parse counts 0: GraphQL refuses it without running anything."""
    try:
        data = json.loads(body)
    except ValueError:
        return 0
    items = data if isinstance(data, list) else [data]
    return sum(_mutation_fields(item) for item in items if isinstance(item, dict))


def _mutation_fields(item: dict[str, Any]) -> int:
    query, name = item.get("query"), item.get("operationName")
    if not isinstance(query, str) or not isinstance(name, (str, type(None))):
        return 0
    document = _parsed(query)
    if document is None:
        return 0
    # the operation that will run, by the server's own rule: without a name, the first
    # (api/operations.py); a mutation after a query runs nothing, one before it runs
    operation = operation_to_run(document, name)
    if operation is None or operation.operation != OperationType.MUTATION:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _fields(operation.selection_set, fragments, set())


@lru_cache(maxsize=256)  # pages send the same few documents: parse each once per process
def _parsed(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None


def _fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> int:
    """Fields of one selection set, fragments expanded (each fragment once per path: a
    cycle is a validation error GraphQL refuses anyway, it must not hang the count)."""
    count = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            count += not selection.name.value.startswith("__")  # __typename runs nothing
        elif isinstance(selection, InlineFragmentNode):
            count += _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            spread = selection.name.value
            if spread in fragments and spread not in seen:
                count += _fields(fragments[spread].selection_set, fragments, seen | {spread})
    return count


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]},
        status_code=400,
    )


def _json_problem(text: str) -> JSONResponse | None:
    return _parsed_json(text)[1]


def _parsed_json(text: str) -> tuple[Any, JSONResponse | None]:
    try:
        return json.loads(text), None
    except ValueError:
        return None, _bad_request("请求不是有效的 JSON / the request is not valid JSON")
    except RecursionError:
        return None, _bad_request("请求嵌套过深 / the request is nested too deeply")


SHALLOW = 256  # brackets in a JSON body: far below any recursion limit, above any query's


def malformed_body(scope: Scope, body: bytes) -> JSONResponse | None:
    """A 400 for a JSON POST body GraphQL could not take, None for one it can. strawberry
    itself answers a bare JSON string or number and invalid UTF-8 with HTTP 500 (it calls
    `.get` on whatever parsed, and catches only JSONDecodeError); a body nested deeper than
    the parser's recursion limit would do the same."""
    content_type = (_header(scope, "content-type") or "").lower()
    if "application/json" not in content_type:
        return None  # strawberry refuses other content types itself, with a 400
    # The common case at a tenth of the cost: a body orjson reads as an object or a list,
    # the standard library reads too, unless nested past its recursion limit (orjson reads
    # 1,024 levels); a body with fewer brackets than SHALLOW cannot nest that deep. Anything
    # else is judged as before (NaN, huge integers and lone surrogates pass there).
    if body.count(b"{") + body.count(b"[") < SHALLOW:
        try:
            if type(orjson.loads(body)) in (dict, list):
                return None
        except orjson.JSONDecodeError:
            pass
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _bad_request("请求体不是有效的 UTF-8 编码 / the body is not valid UTF-8")
    data, problem = _parsed_json(text)
    if problem is not None:
        return problem
    if not isinstance(data, (dict, list)):
        return _bad_request("请求须为 JSON 对象 / the request must be a JSON object")
    return None


def malformed_query_string(scope: Scope) -> JSONResponse | None:
    """The same for a GET's `variables` and `extensions`, JSON in the query string, which
    strawberry parses catching only JSONDecodeError: deep nesting was an HTTP 500 too."""
    params = QueryParams(scope.get("query_string", b""))
    for name in ("variables", "extensions"):
        value = params.get(name)
        if value:
            problem = _json_problem(value)
            if problem is not None:
                return problem
    return None


class LimitMutations:
    """Per-user (token subject) limit on GraphQL mutations; reads are never limited. Sits
    behind the bearer guard, which puts the user in the scope. Over the limit the request is
    answered HTTP 429 with Retry-After before GraphQL runs, so nothing of it is executed.
    It buffers each POST body anyway, so it also answers a body GraphQL cannot take
    (`malformed_body`, and a GET's JSON parameters: `malformed_query_string`) with a 400,
    limit or not."""

    def __init__(self, app: ASGIApp, window: SharedWindow) -> None:
        self.app = app
        self.window = window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if scope["type"] == "http" and scope["method"] == "GET":
            refusal = malformed_query_string(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        # The body is bounded by LimitBodySize, so buffering it here is safe.
        body = await read_body(receive)
        if not isinstance(body, bytes):
            await self.app(scope, replay([body]), send)
            return
        refusal = malformed_body(scope, body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        count = count_mutations(body) if self.window.limit > 0 else 0
        subject = str(getattr(user, "subject", ""))
        wait = await self.window.take(scope["app"].state.pool, subject, count)
        if wait:
            seconds = math.ceil(wait)
            response = JSONResponse(
                {
                    "error": "rate_limited",
                    "message": f"修改操作过于频繁，请 {seconds} 秒后再试 / too many mutations, "
                    f"retry after {seconds} s",
                    "retry_after": seconds,
                },
                status_code=429,
                headers={"Retry-After": str(seconds)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, replay([{"type": "http.request", "body": body}], receive), send)


async def read_body(receive: Receive) -> bytes | Message:
    """The whole body of a request, or the message that ended it first (the client
    gone). Only behind LimitBodySize, which bounds what this buffers."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """`messages` again, then what `then` receives (or a disconnect)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def content_security_policy() -> str:
    """Scripts and styles of our own origin only: the workbench's build has no inline
    script (ADR 0043)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Adds the security headers to every HTTP response (errors and refusals included).
    Strict-Transport-Security only in production, which is served over TLS (behind a
    proxy); on a developer's http://127.0.0.1 it would only be ignored or get in the way."""

    def __init__(self, app: ASGIApp, csp: str, hsts: bool = False) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", csp.encode("latin-1")),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", HSTS))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def parse_origins(value: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in value.split(",") if origin.strip())


def middleware(
    max_body_bytes: int,
    cors_origins: Iterable[str],
    csp: str,
    expose: Iterable[str] = (),
    hsts: bool = False,
    larger_bodies: Mapping[str, int] | None = None,
) -> list[Middleware]:
    """Outermost first: headers wrap everything (413s and CORS answers too); CORS is only
    installed when origins are configured, so by default no cross-origin reads at all."""
    stack = [Middleware(SecurityHeaders, csp=csp, hsts=hsts)]
    origins = list(cors_origins)
    if origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", *expose],
                expose_headers=list(expose),
                max_age=600,
            )
        )
    stack.append(Middleware(LimitBodySize, limit=max_body_bytes, larger=larger_bodies))
    return stack


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode("latin-1")
    for key, value in scope["headers"]:
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None
