"""Plain HTTP routes beside GraphQL (export, ledger upload): a refusal raised anywhere in
a handler is answered as its JSON, and a lost database connection as 503."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.outages import CONNECTION_ERRORS, ServiceUnavailable

Handler = Callable[[Request], Awaitable[Response]]


class Refused(Exception):
    """An expected refusal: `{"error": …, "message": "中文 / English", …}` with its status."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.response = JSONResponse(
            {"error": error, "message": message, **extra}, status_code=status
        )


def answering_refusals(handler: Handler) -> Handler:
    async def handle(request: Request) -> Response:
        try:
            return await handler(request)
        except Refused as refused:
            return refused.response
        except CONNECTION_ERRORS:
            raise ServiceUnavailable() from None  # answered 503 by AnswerOutages

    return handle
