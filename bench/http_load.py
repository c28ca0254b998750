"""The reads' load generator: HTTP/1.1 keep-alive connections on asyncio streams, each
request's bytes made once, each answer read by its Content-Length (ADR 0080).

The generator shares the machine's two cores with both servers and PostgreSQL. httpx
spent about as much CPU on a request as the plain endpoint spent answering it, on both
sides alike, which pulled every throughput ratio towards 1: the dashboard measured 0.90
through httpx and 0.40 through wrk (a C load generator) in the same minutes. This client
does what wrk does for these requests — write the bytes, read the answer — in a few
Python calls, so the servers get the cores and the ratio is theirs.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

ERRORS = b'"errors":'  # a GraphQL answer with errors (bench/reads.py refuses them)


class AnswerError(RuntimeError):
    """An answer the bench must not count: not 200, or a GraphQL answer with errors."""


@dataclass(frozen=True)
class Request:
    host: str
    port: int
    raw: bytes  # the whole request, as sent on each call
    label: str  # method and path, for error messages


def request_of(base: str, spec: dict[str, Any]) -> Request:
    """A request as bench/reads.py describes it (method, url, headers, params, json) on the
    server at `base`, in bytes."""
    address = urlsplit(base)
    path = spec["url"]
    if spec.get("params"):
        path += "?" + urlencode(spec["params"])
    body = b""
    headers = {"Host": f"{address.hostname}:{address.port}", **spec.get("headers", {})}
    if "json" in spec:
        body = json.dumps(spec["json"], ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    headers["Content-Length"] = str(len(body))
    head = f"{spec['method']} {path} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return Request(
        str(address.hostname),
        int(address.port or 80),
        head.encode() + b"\r\n" + body,
        f"{spec['method']} {spec['url']}",
    )


class Connection:
    """One keep-alive connection; `send` reopens it once when the server has closed it
    (uvicorn closes a connection idle for 5 s), counting that in `reopened`."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reopened = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.request.host, self.request.port
        )

    async def send(self) -> bytes:
        """The answer's body; AnswerError for one the bench must not count."""
        try:
            status, body = await self._exchange()
        except (ConnectionError, asyncio.IncompleteReadError):
            self.reopened += 1
            self.close()
            await self.open()
            status, body = await self._exchange()
        if status != 200 or ERRORS in body:
            raise AnswerError(f"{self.request.label}: {status} {body[:300]!r}")
        return body

    async def _exchange(self) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(self.request.raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise AnswerError(f"{self.request.label}: a chunked answer, not supported")
        if length is None:
            raise AnswerError(f"{self.request.label}: an answer without Content-Length")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Pool:
    """`size` connections to one server for one request; at most `size` in flight, a
    caller beyond them waits for one to come back."""

    def __init__(self, request: Request, size: int) -> None:
        self.connections = [Connection(request) for _ in range(size)]
        self.free: asyncio.Queue[Connection] = asyncio.Queue()

    async def __aenter__(self) -> Pool:
        await asyncio.gather(*(c.open() for c in self.connections))
        for connection in self.connections:
            self.free.put_nowait(connection)
        return self

    async def __aexit__(self, *_: object) -> None:
        for connection in self.connections:
            connection.close()

    async def send(self) -> bytes:
        connection = await self.free.get()
        try:
            return await connection.send()
        finally:
            self.free.put_nowait(connection)

    @property
    def reopened(self) -> int:
        return sum(c.reopened for c in self.connections)
