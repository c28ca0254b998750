"""The reads' baseline: a plain Starlette app answering JSON from the same SQL the GraphQL
resolvers run (projections.queries.dashboard, projections.work_queue_queries.work_page, and
the working days left counted on the stored calendar), with the same pool, no GraphQL, no
authentication. Started by bench/setup.py as its own process:
`python -m bench.plain_server PORT` with BENCH_PLAIN_URL and BENCH_PLAIN_SCHEMA set."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from api.auth import Role, User
from api.authz.work_queue import work_scope
from api.work_queue import days_left
from domain.application import RectifyApp
from projections import queries
from projections import work_queue_queries as q
from rectify.settings import eventsourcing_env

TIMEZONE = "Asia/Shanghai"


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


async def dashboard(request: Request) -> JSONResponse:
    pool = request.app.state.pool
    found = await queries.resolve_campaign(pool, request.query_params["campaign"])
    if found is None:
        return JSONResponse(None)
    counts = await queries.dashboard(pool, found, _today())
    return JSONResponse(
        {
            "campaign": {"id": str(found), "title": counts.title},
            "totalIssues": counts.total,
            "open": counts.open,
            "closed": counts.closed,
            "overdue": counts.overdue,
            "byAgency": [{k: _plain(v) for k, v in r.items()} for r in counts.by_agency],
        }
    )


async def queue(request: Request) -> JSONResponse:
    pool, today = request.app.state.pool, _today()
    # the caller's agency as the token would carry it (a liaison's queue)
    scope = work_scope(User("bench", Role.LIAISON, request.query_params["agency"]))
    page = await q.work_page(pool, scope, q.WorkFilter(today=today), TIMEZONE, 20, None, "DUE")

    left = await run_in_threadpool(days_left, request.app.state.rectify, page.rows, today)
    rows = [
        {**{k: _plain(v) for k, v in r.items()}, "days": n}
        for r, n in zip(page.rows, left, strict=True)
    ]
    return JSONResponse({"totalCount": await page.total(), "rows": rows})


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def create(url: str, schema: str) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await queries.create_pool(url, schema)
        app.state.rectify = await run_in_threadpool(RectifyApp, env=eventsourcing_env(url, schema))
        try:
            yield
        finally:
            await app.state.pool.close()
            app.state.rectify.close()

    routes = [
        Route("/healthz", healthz),
        Route("/dashboard", dashboard),
        Route("/queue", queue),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


if __name__ == "__main__":
    web = create(os.environ["BENCH_PLAIN_URL"], os.environ["BENCH_PLAIN_SCHEMA"])
    uvicorn.run(web, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
