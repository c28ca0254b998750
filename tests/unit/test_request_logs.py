"""Every line a request writes — structlog's and the standard library's — carries its
request id, in development's readable lines as in production's JSON; none after it."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.observability import ObserveRequests, made_request_id
from rectify.logs import ReadableLine, configure, stamp


async def chatty(request: Request) -> PlainTextResponse:
    structlog.get_logger().info("from structlog", n=1)
    logging.getLogger("rectify.api").info("from logging")
    return PlainTextResponse("ok")


web = Starlette(routes=[Route("/x", chatty)], middleware=[Middleware(ObserveRequests)])


@pytest.fixture
def logged(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """What the process logs, configured for production (True) or development (False)."""
    buffer = io.StringIO()
    configure("api", production=request.param, stream=buffer)
    yield buffer
    _unconfigure()


def _unconfigure() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "rectify"]:
        root.removeHandler(handler)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


async def get(path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path, headers=headers)


@pytest.mark.parametrize("logged", [True], indirect=True)
async def test_production_lines_are_json_and_all_carry_the_request_id(
    logged: io.StringIO,
) -> None:
    await get("/x", **{"X-Request-Id": "abc-1"})
    logging.getLogger("rectify.api").info("later")
    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "from structlog",
        "from logging",
        "request",
        "later",
    ]
    assert [line.get("request_id") for line in lines] == ["abc-1", "abc-1", "abc-1", None]
    assert all(line["process"] == "api" and line["level"] == "info" for line in lines)
    assert lines[0]["n"] == 1


@pytest.mark.parametrize("logged", [False], indirect=True)
async def test_development_lines_are_readable_and_carry_the_request_id(
    logged: io.StringIO,
) -> None:
    await get("/x", **{"X-Request-Id": "abc-2"})
    lines = logged.getvalue().splitlines()
    assert len(lines) == 3
    for line in lines:
        assert "request_id=abc-2" in line
        assert not line.startswith("{")


@pytest.mark.parametrize("logged", [True], indirect=True)
async def test_probes_that_succeed_are_not_logged(logged: io.StringIO) -> None:
    probes = Starlette(
        routes=[Route("/healthz", lambda request: PlainTextResponse("ok"))],
        middleware=[Middleware(ObserveRequests)],
    )
    transport = httpx.ASGITransport(app=probes)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/healthz")
    assert answer.headers["X-Request-Id"]
    assert logged.getvalue() == ""


@pytest.mark.parametrize("logged", [True], indirect=True)
def test_a_production_line_logged_with_an_exception_carries_its_traceback_as_text(
    logged: io.StringIO,
) -> None:
    try:
        raise ValueError("broken on purpose")
    except ValueError:
        structlog.get_logger().exception("failed")
        logging.getLogger("rectify.api").exception("failed too")
    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["failed", "failed too"]
    assert all("ValueError: broken on purpose" in line["exception"] for line in lines)


def test_our_lines_follow_the_current_stderr_and_a_closed_one_fails_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure("cli")  # no stream given: stderr, as it is when each line is written
    try:
        closed = io.StringIO()
        monkeypatch.setattr(sys, "stderr", closed)
        closed.close()  # as a test runner's capture, once its command has run
        structlog.get_logger().info("into a closed stream")  # dropped, not raised

        current = io.StringIO()
        monkeypatch.setattr(sys, "stderr", current)
        structlog.get_logger().info("into the current one")

        assert "into the current one" in current.getvalue()
    finally:
        _unconfigure()


class Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


@pytest.mark.parametrize("logged", [True], indirect=True)
def test_a_production_line_writes_any_value_and_chinese_as_itself(logged: io.StringIO) -> None:
    item = uuid.UUID("0b7c5b2e-0000-4000-8000-000000000001")
    structlog.get_logger().info("值", item=item, other=Opaque(), keys={1: "一"}, n=1.5)
    structlog.get_logger().info("huge", n=2**70)  # beyond what orjson writes

    text = logged.getvalue()
    first, second = (json.loads(line) for line in text.splitlines())
    assert "值" in text and "一" in text  # not \u escapes
    assert first["item"] == str(item)
    assert first["other"] == "<opaque>"
    assert first["keys"] == {"1": "一"}
    assert first["n"] == 1.5
    assert second["n"] == 2**70


def test_made_request_ids_are_32_hex_digits_and_never_repeat() -> None:
    made = [made_request_id() for _ in range(10_000)]

    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in made)
    assert len(set(made)) == len(made)


def test_a_forked_process_makes_ids_of_its_own() -> None:
    reading, writing = os.pipe()
    parent = made_request_id()
    child = os.fork()
    if child == 0:  # the child: its first id, then gone without running the parent's exit
        os.write(writing, made_request_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs = os.read(reading, 64).decode()
    os.close(reading)
    os.close(writing)

    assert theirs[:16] != parent[:16]  # a prefix of its own, so no id is made twice


@pytest.mark.parametrize("logged", [False], indirect=True)
async def test_the_request_line_follows_a_new_configuration(logged: io.StringIO) -> None:
    await get("/x")
    later = io.StringIO()
    configure("api", production=True, stream=later)

    await get("/x")

    assert "request" in logged.getvalue() and "request" in later.getvalue()
    assert json.loads(later.getvalue().splitlines()[-1])["event"] == "request"
    assert logged.getvalue().count("event") == 0  # development's lines are not JSON


EVENTS: list[dict[str, Any]] = [
    {"event": "request", "level": "info", "timestamp": "2026-12-07T08:30:00+08:00",
     "method": "POST", "status": 200, "ms": 1.2, "user_id": "u-1", "agency_id": None,
     "request_id": "a" * 32, "process": "api"},
    {"event": "整改 已销号", "level": "warning", "timestamp": "t", "note": "两个 词"},
    {"event": "x", "level": "exception", "quote": "it's", "dq": 'say "hi"', "eq": "a=b",
     "tab": "a\tb", "nl": "a\nb", "cr": "a\rb", "empty": "", "cn": "卫健委"},
    {"event": "values", "level": "debug", "n": 10**30, "f": -0.5, "b": True,
     "u": uuid.UUID(int=7), "d": {"k": [1, "v"]}, "t": (1,), "none": None},
    {"event": "", "level": "info"},
    {"event": 42, "level": "critical", "timestamp": 3},
    {"level": "info", "only": "level"},
    {"event": "no level"},
    {"timestamp": "", "event": "empty stamp", "level": "info"},
    {"event": "very long event text that is longer than thirty characters", "level": "info"},
    {"event": "named", "level": "info", "logger": "rectify.api"},
    {"event": "stack", "level": "info", "stack": "line 1"},
]  # fmt: skip


@pytest.mark.parametrize("event", EVENTS)
def test_development_lines_are_console_renderer_s_text(event: dict[str, Any]) -> None:
    console = structlog.dev.ConsoleRenderer(colors=False)

    assert ReadableLine()(None, "info", dict(event)) == console(None, "info", dict(event))


def test_the_stamp_carries_the_offset_of_its_own_minute_across_a_change_of_summer_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        stamps = []
        # 2026-03-08 06:59:30 and 07:00:30 UTC: New York moves from -05:00 to -04:00
        for now in (1772953170.0, 1772953230.0):
            monkeypatch.setattr("rectify.logs.time", SimpleNamespace(time=lambda now=now: now))
            stamps.append(stamp(None, "info", {})["timestamp"])
    finally:
        monkeypatch.undo()
        time.tzset()

    assert stamps == ["2026-03-08T01:59:30-05:00", "2026-03-08T03:00:30-04:00"]
