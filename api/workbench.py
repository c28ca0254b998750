"""The workbench (web/, Vue + Element Plus), as built by `make web` into api/web_dist/.

Its index.html answers `/` and every path of the single-page app (the app's router decides
what to show), its hashed files are served from /assets/. The build holds no inline script,
so the strict CSP applies unchanged. Until it is built (a developer running only the Python
side), `/` keeps the old home page (api/static/index.html)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


def workbench_routes(
    config: ApiConfig, old_home: Callable[[Request], Awaitable[HTMLResponse]]
) -> list[BaseRoute]:
    """`/`, /assets and the app's own paths; to be placed after every other route, since the
    last one answers any GET path that does not name a file."""
    folder = web_dist(config)
    if folder is None:
        return [Route("/", old_home, methods=["GET"])]
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
