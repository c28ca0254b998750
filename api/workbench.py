"""The workbench (web/, Vue + Element Plus), as built by `make web` into api/web_dist/.

Its index.html answers `/` and every path of the single-page app (the app's router decides
what to show), its hashed files are served from /assets/. The build holds no inline script,
so the strict CSP applies unchanged. Until it is built (a developer running only the Python
side), `/` says so and how to build it; GraphQL and the rest of the API answer as ever."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from api.config import ApiConfig

BUILT = Path(str(files("api").joinpath("web_dist")))
# Hashed file names: a browser may keep them for good. index.html must be asked again so a
# new build's files are found.
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


def web_dist(config: ApiConfig) -> Path | None:
    folder = Path(config.web_dist) if config.web_dist else BUILT
    return folder if (folder / "index.html").is_file() else None


class CachedForever:
    """StaticFiles for content-hashed assets, with a long cache lifetime."""

    def __init__(self, directory: Path) -> None:
        self.files = StaticFiles(directory=str(directory), check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [*message["headers"], (b"cache-control", IMMUTABLE.encode())]
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
