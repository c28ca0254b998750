"""The workbench (web/, Vue + Element Plus), as built by `make web` into api/web_dist/.

Its index.html answers `/` and every path of the single-page app (the app's router decides
what to show), its hashed files are served from /assets/, kept by the browser for good and,
where the build wrote them (web/vite.config.ts), as their brotli or gzip copies when the
browser accepts one (ADR 0058). The build holds no inline script, so the strict CSP applies
unchanged. Until it is built (a developer running only the Python side), `/` says so and how
to build it; GraphQL and the rest of the API answer as ever."""

from __future__ import annotations

import mimetypes
import os
import stat
from importlib.resources import files
from pathlib import Path

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Message, Receive, Scope, Send

from api.config import ApiConfig

BUILT = Path(str(files("api").joinpath("web_dist")))
# Hashed file names: a browser may keep them for good. index.html must be asked again so a
# new build's files are found.
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
# The copies the build writes beside each asset, best first: (suffix, Content-Encoding).
COMPRESSED = ((".br", "br"), (".gz", "gzip"))


def _weight(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def accepted_encodings(header: str | None) -> set[str]:
    """The codings an Accept-Encoding header allows: those named, and not with `q=0`."""
    accepted: set[str] = set()
    for part in (header or "").split(","):
        coding, *params = part.split(";")
        if coding.strip() and _weight(params) > 0:
            accepted.add(coding.strip().lower())
    return accepted


def web_dist(config: ApiConfig) -> Path | None:
    folder = Path(config.web_dist) if config.web_dist else BUILT
    return folder if (folder / "index.html").is_file() else None


class PreCompressedFiles(StaticFiles):
    """StaticFiles that answers with the file's `.br` or `.gz` copy, when there is one and
    the browser accepts that coding: compressed once at build, never per request."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] in ("GET", "HEAD") and not path.endswith((".br", ".gz")):
            accepted = accepted_encodings(Headers(scope=scope).get("accept-encoding"))
            for suffix, coding in COMPRESSED:
                if coding not in accepted:
                    continue
                full_path, found = await anyio.to_thread.run_sync(self.lookup_path, path + suffix)
                if found is not None and stat.S_ISREG(found.st_mode):
                    return self._compressed(full_path, found, scope, path, coding)
        return await super().get_response(path, scope)

    def _compressed(
        self, full_path: str, found: os.stat_result, scope: Scope, path: str, coding: str
    ) -> Response:
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        response = FileResponse(
            full_path,
            stat_result=found,
            media_type=media_type,
            headers={"Content-Encoding": coding},
        )
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


class CachedForever:
    """StaticFiles for content-hashed assets, with a long cache lifetime."""

    def __init__(self, directory: Path) -> None:
        self.files = PreCompressedFiles(directory=str(directory), check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                # the answer depends on Accept-Encoding wherever a compressed copy exists
                message["headers"] = [
                    *message["headers"],
                    (b"cache-control", IMMUTABLE.encode()),
                    (b"vary", b"Accept-Encoding"),
                ]
            await send(message)

        await self.files(scope, receive, send_cached)


NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Rectify</title></head>
<body><main>
<h1>工作台尚未构建 / The workbench is not built</h1>
<p>请在项目目录运行 <code>make web</code>（或 <code>make run</code>）后刷新本页。
GraphQL 接口 <code>/graphql</code> 照常可用。</p>
<p>Run <code>make web</code> (or <code>make run</code>) in the project folder, then reload.
GraphQL at <code>/graphql</code> answers as ever.</p>
</main></body></html>
"""


async def not_built(request: Request) -> HTMLResponse:
    return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": NO_CACHE})


def workbench_routes(config: ApiConfig) -> list[BaseRoute]:
    """`/`, /assets and the app's own paths; to be placed after every other route, since the
    last one answers any GET path that does not name a file."""
    folder = web_dist(config)
    if folder is None:
        return [Route("/", not_built, methods=["GET"])]
    index = folder / "index.html"

    async def app_page(request: Request) -> Response:
        last = request.url.path.rsplit("/", 1)[-1]
        if "." in last:  # a file that is not there: not the app's page
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": NO_CACHE})

    return [
        Route("/", app_page, methods=["GET"]),
        Mount("/assets", CachedForever(folder / "assets"), name="assets"),
        Route("/{path:path}", app_page, methods=["GET"]),
    ]
