"""The workbench's build (web/ → api/web_dist/) served by the API: its page at `/` and at
every path of the app, its hashed files from /assets/, under the same strict CSP, while
/graphql and /healthz keep answering beside it; the old token pages are gone. A made-up
build stands in for `make web`, so this runs without Node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_api_hygiene import Serve, serve

FIXTURES = (serve,)
PAGE = (
    "<!doctype html><title>整改工作台</title>"
    '<script type="module" src="/assets/app-1a2b.js"></script>'
)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log(1)", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/login", "/todo", "/verification", "/users?x=1"])
async def test_every_path_of_the_app_gets_its_page(serve: Serve, built: Path, path: str) -> None:
    async with serve(web_dist=str(built)) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.text == PAGE
    assert response.headers["cache-control"] == "no-cache"


async def test_the_hashed_files_are_served_to_be_kept(serve: Serve, built: Path) -> None:
    async with serve(web_dist=str(built)) as client:
        response = await client.get("/assets/app-1a2b.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize("path", ["/assets/gone-0000.js", "/favicon.ico", "/todo/x.map"])
async def test_a_missing_file_is_not_answered_with_the_page(
    serve: Serve, built: Path, path: str
) -> None:
    async with serve(web_dist=str(built)) as client:
        response = await client.get(path)
    assert response.status_code == 404


async def test_the_page_is_under_the_strict_policy(serve: Serve, built: Path) -> None:
    async with serve(web_dist=str(built)) as client:
        response = await client.get("/todo")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "connect-src 'self'" in policy


async def test_the_api_still_answers_beside_the_app(serve: Serve, built: Path) -> None:
    async with serve(web_dist=str(built)) as client:
        health = await client.get("/healthz")
        unauthenticated = await client.post("/graphql", json={"query": "{ campaigns { id } }"})
        metrics = await client.get("/metrics")
    assert health.json()["ok"] is True
    assert unauthenticated.status_code == 401
    assert "rectify_log_head_position" in metrics.text


@pytest.mark.parametrize("path", ["/dashboard", "/queue", "/issue?id=x"])
async def test_the_old_token_pages_are_the_apps_paths_now(
    serve: Serve, built: Path, path: str
) -> None:
    async with serve(web_dist=str(built)) as client:
        response = await client.get(path)
        static = await client.get("/static/rectify.js")
    assert response.text == PAGE  # the app's router answers; no page asks for a token
    assert static.status_code == 404


async def test_without_a_build_the_home_page_says_how_to_build_it(
    serve: Serve, tmp_path: Path
) -> None:
    async with serve(web_dist=str(tmp_path)) as client:
        home = await client.get("/")
        elsewhere = await client.get("/todo")
    assert home.status_code == 503
    assert "make web" in home.text and "<script" not in home.text
    assert elsewhere.status_code == 404


async def _raw(client: Any, path: str, accept: str) -> tuple[int, dict[str, str], bytes]:
    """The answer as sent, not decoded: the copies here are stand-ins, not real brotli."""
    async with client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        return response.status_code, dict(response.headers), body


@pytest.fixture
def compressed(built: Path) -> Path:
    (built / "assets" / "app-1a2b.js.br").write_bytes(b"BR-COPY")
    (built / "assets" / "app-1a2b.js.gz").write_bytes(b"GZ-COPY")
    return built


async def test_the_brotli_copy_is_sent_to_a_browser_that_accepts_it(
    serve: Serve, compressed: Path
) -> None:
    async with serve(web_dist=str(compressed)) as client:
        status, headers, body = await _raw(client, "/assets/app-1a2b.js", "gzip, deflate, br")
    assert (status, body) == (200, b"BR-COPY")
    assert headers["content-encoding"] == "br"
    assert headers["content-type"].startswith("text/javascript")
    assert "immutable" in headers["cache-control"]
    assert headers["vary"] == "Accept-Encoding"


async def test_the_gzip_copy_when_brotli_is_not_accepted(serve: Serve, compressed: Path) -> None:
    async with serve(web_dist=str(compressed)) as client:
        status, headers, body = await _raw(client, "/assets/app-1a2b.js", "gzip, br;q=0")
    assert (status, body) == (200, b"GZ-COPY")
    assert headers["content-encoding"] == "gzip"


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0, br;q=0", ""])
async def test_the_file_itself_when_no_copy_is_accepted(
    serve: Serve, compressed: Path, accept: str
) -> None:
    async with serve(web_dist=str(compressed)) as client:
        status, headers, body = await _raw(client, "/assets/app-1a2b.js", accept)
    assert (status, body) == (200, b"console.log(1)")
    assert "content-encoding" not in headers
    assert headers["vary"] == "Accept-Encoding"


async def test_a_file_without_copies_is_sent_as_it_is(serve: Serve, built: Path) -> None:
    async with serve(web_dist=str(built)) as client:
        status, headers, body = await _raw(client, "/assets/app-1a2b.js", "gzip, br")
    assert (status, body) == (200, b"console.log(1)")
    assert "content-encoding" not in headers


async def test_a_copy_cannot_be_asked_for_outside_the_assets(
    serve: Serve, compressed: Path
) -> None:
    (compressed / "secret.txt.br").write_bytes(b"SECRET")
    async with serve(web_dist=str(compressed)) as client:
        status, _, body = await _raw(client, "/assets/../secret.txt", "br")
    assert status == 404 and b"SECRET" not in body
