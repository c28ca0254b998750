"""What the API tells operators about each HTTP request: a request id (the caller's
X-Request-Id, or a new one) echoed in the answer and bound to every log line the request
writes; one log line per request with the user id and agency (never a name, a phone number
or a reporter's identity); Prometheus counts and latencies by route and GraphQL operation;
and the outcome of every command (mutation) by its result type."""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import structlog
from graphql import GraphQLResolveInfo
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import ExecutionContext

REQUEST_ID_HEADER = "X-Request-Id"
SEEN = "rectify.observed"  # the scope key inner layers write the GraphQL operation under
# A caller's id is kept only if it is short and plain: it goes into every log line.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")
ROUTES = {
    "graphql", "auth", "files", "export", "ledger", "case-files", "healthz", "readyz",
    "metrics", "static",
}  # fmt: skip
PROBES = {"healthz", "readyz", "metrics"}

REQUESTS = Counter(
    "rectify_http_requests",
    "HTTP requests answered, by route, GraphQL operation and status code",
    ["route", "operation", "status"],
)
LATENCY = Histogram(
    "rectify_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and GraphQL operation",
    ["route", "operation"],
)
COMMANDS = Counter(
    "rectify_command_outcomes",
    "Commands (GraphQL mutations) by command and result type (error: an unexpected failure)",
    ["command", "result"],
)


@cache
def known_operations() -> frozenset[str]:
    """The operation names of the checked-in allow-list (the workbench's and the pages'):
    a label takes only these, so a caller cannot grow the metrics without bound."""
    from api.persisted import CHECKED_IN

    documents = json.loads(CHECKED_IN.read_text(encoding="utf-8")).values()
    return frozenset(name for document in documents for name in _OPERATION.findall(document))


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    return name if name in known_operations() else "other"


def route_label(path: str) -> str:
    first = path.strip("/").split("/", 1)[0]
    return first if first in ROUTES else "page"


def request_id(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            given: str = value.decode("latin-1")
            if _GIVEN_ID.fullmatch(given):
                return given
    return made_request_id()


class _MadeIds:
    """Request ids of 32 hex digits: 16 random to this process, 16 counted. Ids need only
    be unique across processes, not unguessable: a uuid4 read the kernel's random source
    for each request, a tenth of the request line's bookkeeping (ADR 0083)."""

    def __init__(self) -> None:
        self.renew()
        os.register_at_fork(after_in_child=self.renew)  # a forked worker: its own prefix

    def renew(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counted = itertools.count()


_MADE = _MadeIds()


def made_request_id() -> str:
    return f"{_MADE.prefix}{next(_MADE.counted):016x}"


class ObserveRequests:
    """Outermost middleware: id, log line and metrics of each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        seen: dict[str, Any] = {"operation": None, "status": 500}
        scope[SEEN] = seen
        started = time.perf_counter()

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        # bound by token and reset after: `bound_contextvars` reads every bound variable
        # first (a scan of the whole context) for the same outcome
        bound = structlog.contextvars.bind_contextvars(request_id=rid)
        try:
            await self.app(scope, receive, answer)
        finally:
            try:
                _record(scope, seen, time.perf_counter() - started)
            finally:
                structlog.contextvars.reset_contextvars(**bound)


def _record(scope: Scope, seen: dict[str, Any], elapsed: float) -> None:
    """The request's metrics and its log line (the request id still bound to it)."""
    route = route_label(scope["path"])
    operation = operation_label(seen["operation"]) if route == "graphql" else ""
    counted, timed = _series(route, operation, seen["status"])
    counted.inc()
    timed.observe(elapsed)
    user = scope.get("user")
    # probes and scrapes come every few seconds: logged only when they fail
    quiet = route in PROBES and seen["status"] < 500
    logger = _request_logger()
    (logger.debug if quiet else logger.info)(
        "request",
        method=scope["method"],
        path=scope["path"],  # never the query string: it can hold search text
        operation=seen["operation"] if operation not in ("", "other") else None,
        status=seen["status"],
        ms=round(elapsed * 1000, 1),
        user_id=getattr(user, "subject", None),
        agency_id=getattr(user, "agency_id", None),
    )


_CONFIGURED_BY = ("processors", "logger_factory", "wrapper_class", "context_class")


class _Bound:
    """The request line's logger and the configuration it was bound under."""

    logger: Any = None
    made_under: tuple[Any, ...] = ()


def _request_logger() -> Any:
    """structlog's logger for the request line, bound once per configuration: the module's
    lazy proxy binds a new one for every line (ADR 0083). Any change of configuration (a
    test's own processors, another stream) gives a new one."""
    config = structlog.get_config()
    under = tuple(config[key] for key in _CONFIGURED_BY)
    made = _Bound.made_under
    if len(made) != len(under) or not all(a is b for a, b in zip(made, under, strict=True)):
        _Bound.logger, _Bound.made_under = structlog.get_logger().bind(), under
    return _Bound.logger


@cache  # bounded: routes and operations are labelled from fixed sets, statuses are few
def _series(route: str, operation: str, status: int) -> tuple[Any, Any]:
    """The request's counter and histogram, looked up once: prometheus_client looks a
    labelled child up under a lock on every `labels` call (6 µs of the request's 8 µs of
    metrics, measured)."""
    return REQUESTS.labels(route, operation, str(status)), LATENCY.labels(route, operation)


def tell_operation(execution: ExecutionContext) -> None:
    """After an operation: tells ObserveRequests its name (commands are counted by
    `counted_command`, wrapped around the mutation fields' resolvers in api/schema.py)."""
    tell_operation_name(getattr(execution.context, "request", None), execution.operation_name)


def tell_operation_name(request: Any, name: str | None) -> None:
    seen = request.scope.get(SEEN) if request is not None else None
    if seen is not None:
        seen["operation"] = name


def counted_command(
    _next: Callable[..., Any],
    root: Any,
    info: GraphQLResolveInfo[Any],
    *args: Any,
    **kwargs: Any,
) -> Any:
    """Counts each command's outcome (the GraphQL type it answered with)."""
    if info.path.prev is not None or info.parent_type is not info.schema.mutation_type:
        return _next(root, info, *args, **kwargs)
    command = info.field_name
    try:
        result = _next(root, info, *args, **kwargs)
    except Exception:
        COMMANDS.labels(command, "error").inc()
        raise
    if hasattr(result, "__await__"):
        return _counted(command, result)
    COMMANDS.labels(command, result_type(result)).inc()
    return result


def result_type(result: Any) -> str:
    """The GraphQL type a command answered with (IssueChanged, InvalidTransition…)."""
    definition = getattr(result, "__strawberry_definition__", None)
    return str(definition.name) if definition is not None else type(result).__name__


async def _counted(command: str, pending: Any) -> Any:
    try:
        result = await pending
    except Exception:
        COMMANDS.labels(command, "error").inc()
        raise
    COMMANDS.labels(command, result_type(result)).inc()
    return result
