"""strawberry's GraphQL view as the API uses it, and what prepared queries share with it
(api/prepared_queries.py): each request's context, its read-your-writes wait, and how an
answer is encoded."""

from __future__ import annotations

import json

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.execution import ExecutionResult

from api.auth import Role, User
from api.context import Context
from api.outages import ServiceUnavailable
from api.session_auth import authenticate_connection
from projections import queries

# A websocket's user until connection_init is verified; subscriptions refuse it (api/live.py).
UNVERIFIED = User("unverified", Role.LIAISON)
MIN_POSITION_HEADER = "X-Rectify-Min-Position"
READ_WAIT_SECONDS = 5.0


class RectifyGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Request, response: Response | None = None) -> Context:  # type: ignore[override]
        state = request.app.state
        if request.scope["type"] == "websocket":
            # No user until connection_init is verified (on_ws_connect); the protocol
            # refuses every operation before that.
            return Context(
                request,
                UNVERIFIED,
                state.pool,
                state.rectify,
                state.config,
                websocket=True,
                authenticated=False,
            )
        context, position = await http_context(request)
        if response is not None and position is not None:
            response.headers[MIN_POSITION_HEADER] = position
        return context

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """strawberry's own (0.341), with the answer encoded by orjson (ADR 0073): a queue
        page's JSON in a tenth of the standard library's time. Websocket messages keep
        strawberry's `encode_json` (text frames)."""
        response = Response(
            http_json(response_data), status_code=200, media_type="application/json"
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def on_ws_connect(self, context: Context) -> None:
        await authenticate_connection(context, context.request.app.state.verifier)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """A request that met a lost database connection is answered 503 (api/outages.py),
        not with "Unexpected error": the client can tell it to retry."""
        refuse_after_outage(request)
        return await super().process_result(request, result)


def refuse_after_outage(request: Request) -> None:
    # set by the schema's error hook on `request.state`, which keeps it in this dict; read
    # here without State's attribute lookup, which raises and catches when it is absent
    if request.scope.get("state", {}).get("database_outage", False):
        raise ServiceUnavailable()


async def http_context(request: Request) -> tuple[Context, str | None]:
    """An HTTP request's context, and the log position its answer reports when the client
    asked to read its own writes (the header's value, else None)."""
    state = request.app.state
    position = await read_after(request)
    return Context(request, request.user, state.pool, state.rectify, state.config), position


def http_json(data: object) -> bytes:
    """A GraphQL answer as JSON: orjson, its text in UTF-8 as it is (the standard encoder
    escaped every non-ASCII character as \\uXXXX; both decode the same). A value orjson will
    not take (a key that is not a string, an integer past 64 bits, a lone surrogate) is
    encoded as before; a dataclass or datetime, which the standard encoder refuses, is
    refused the same way."""
    try:
        return orjson.dumps(
            data, option=orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
        )
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode("utf-8")


async def read_after(request: Request) -> str | None:
    """Read-your-writes: a client that sends the log position a mutation returned gets
    answers from read tables at least that fresh; the wait is bounded, and the position
    actually read is returned in the same header so the client can tell."""
    wanted = request.headers.get(MIN_POSITION_HEADER)
    if wanted is None:
        return None
    try:
        position = int(wanted)
    except ValueError:
        raise HTTPException(400, f"{MIN_POSITION_HEADER}: not a number") from None
    await request.app.state.fresh.wait(position, READ_WAIT_SECONDS)
    return str(await queries.position(request.app.state.pool))
