"""The reads' load generator (bench/http_load.py): the request's bytes, an answer read by
its length on a kept-alive connection, refusals of answers the bench must not count, and
a connection the server closed opened again. A small asyncio server plays the server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bench.http_load import AnswerError, Connection, Pool, request_of

Answer = Callable[[bytes], bytes]


def _answer(status: int, body: bytes, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


class _Server:
    def __init__(self, answer: Answer, close_after: int | None = None) -> None:
        self.answer, self.close_after = answer, close_after
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                writer.write(self.answer(request))
                await writer.drain()
                served += 1
                if self.close_after is not None and served >= self.close_after:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., asyncio.Future[tuple[_Server, str]]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer, close_after: int | None = None) -> tuple[_Server, str]:
        state = _Server(answer, close_after)
        server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return state, f"http://127.0.0.1:{port}"

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()
        await server.wait_closed()


def test_a_request_is_its_method_path_query_headers_and_json_body_in_bytes() -> None:
    made = request_of(
        "http://127.0.0.1:8123",
        {"method": "POST", "url": "/graphql", "headers": {"Authorization": "Bearer t"},
         "json": {"query": "{ a }", "variables": {"名": 1}}},
    )  # fmt: skip
    head, _, body = made.raw.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"POST /graphql HTTP/1.1"
    assert b"Host: 127.0.0.1:8123" in head and b"Authorization: Bearer t" in head
    assert b"Content-Type: application/json" in head
    assert body == '{"query": "{ a }", "variables": {"名": 1}}'.encode()
    assert f"Content-Length: {len(body)}".encode() in head
    got = request_of("http://h:1", {"method": "GET", "url": "/q", "params": {"a": "b c"}})
    assert got.raw.startswith(b"GET /q?a=b+c HTTP/1.1\r\n") and got.raw.endswith(b"\r\n\r\n")


async def test_answers_are_read_by_their_length_on_one_kept_alive_connection(serve) -> None:  # type: ignore[no-untyped-def]
    state, base = await serve(lambda request: _answer(200, b'{"data":{"n":%d}}' % len(request)))
    async with Pool(request_of(base, {"method": "GET", "url": "/q"}), 2) as pool:
        answers = await asyncio.gather(*(pool.send() for _ in range(6)))
    assert all(a.startswith(b'{"data"') for a in answers)
    assert len(state.requests) == 6 and state.connections == 2


@pytest.mark.parametrize(
    "status, body", [(500, b'{"detail":"x"}'), (200, b'{"data":null,"errors":[{"message":"m"}]}')]
)
async def test_an_answer_not_200_or_with_graphql_errors_is_refused(serve, status, body) -> None:  # type: ignore[no-untyped-def]
    _, base = await serve(lambda request: _answer(status, body))
    connection = Connection(request_of(base, {"method": "GET", "url": "/q"}))
    with pytest.raises(AnswerError, match="/q"):
        await connection.send()
    connection.close()


async def test_a_chunked_answer_is_refused_not_misread(serve) -> None:  # type: ignore[no-untyped-def]
    chunked = b"HTTP/1.1 200 X\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    _, base = await serve(lambda request: chunked)
    connection = Connection(request_of(base, {"method": "GET", "url": "/q"}))
    with pytest.raises(AnswerError, match="chunked"):
        await connection.send()
    connection.close()


async def test_a_connection_the_server_closed_is_opened_again_and_counted(serve) -> None:  # type: ignore[no-untyped-def]
    state, base = await serve(lambda request: _answer(200, b"{}"), close_after=1)
    connection = Connection(request_of(base, {"method": "GET", "url": "/q"}))
    assert await connection.send() == b"{}"
    await asyncio.sleep(0.05)  # the server has closed it meanwhile
    assert await connection.send() == b"{}"
    assert connection.reopened == 1 and state.connections == 2
    connection.close()


async def test_a_timed_closed_loop_keeps_asking_until_its_time_is_up(
    serve: Callable[..., asyncio.Future[tuple[_Server, str]]],
) -> None:
    from bench.reads import _load

    server, base = await serve(lambda _: _answer(200, b'{"data":{}}'))

    loop = asyncio.get_running_loop()
    began = loop.time()
    sample = await _load(base, {"method": "GET", "url": "/q"}, 0, clients=4, for_seconds=0.3)
    took = loop.time() - began

    asked = len(server.requests) - 4  # less the one warming request a connection
    assert took >= 0.3 and asked > 4  # every client asked again and again until then
    assert sample.value > 0


async def test_a_counted_closed_loop_asks_its_count_from_each_client(
    serve: Callable[..., asyncio.Future[tuple[_Server, str]]],
) -> None:
    from bench.reads import _load

    server, base = await serve(lambda _: _answer(200, b'{"data":{}}'))

    await _load(base, {"method": "GET", "url": "/q"}, 5, clients=3)

    assert len(server.requests) == 3 + 3 * 5
