"""The two reads every user waits on — a campaign's `dashboard` (as a coordinator) and the
first page of a liaison's work queue (one agency of twenty: its issues to report on) —
over GraphQL from 16 clients at once, against the plain Starlette JSON
endpoints of bench/plain_server.py running the same SQL. One figure for throughput (the
ratio) and one for the p95 latency seen by the clients, from the same requests."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from api.auth import issue_token
from api.persisted import CHECKED_IN
from bench.runner import Result, Sample, Target, interleave, percentile
from bench.setup import SECRET, Site

CLIENTS = 16

DASHBOARD = """
query BenchDashboard($campaign: ID!) {
  dashboard(campaign: $campaign) {
    campaign { id title } totalIssues open closed overdue
    byAgency { agency { id name } lead coResponsible open closed overdue }
  }
}"""


def persisted(operation: str) -> str:
    """The document of `operation` as the workbench sends it, from the allow-list generated
    from the web's sources (`rectify persisted-queries`): the bench asks what a page asks."""
    documents = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    found = [d for d in documents.values() if d.startswith(f"query {operation}(")]
    if len(found) != 1:
        raise LookupError(f"{operation}: {len(found)} persisted queries of that name")
    return str(found[0])


async def _load(
    base: str, request: dict[str, Any], per_client: int, clients: int = CLIENTS
) -> Sample:
    latencies: list[float] = []
    retried: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def client() -> None:
            for _ in range(per_client):
                started = time.perf_counter()
                try:
                    answer = await http.request(**request)
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # uvicorn closes a keep-alive connection idle for 5 s; a request sent on
                    # it as it closes is lost. Sent again, the wait counts in its latency.
                    retried.append(1)
                    answer = await http.request(**request)
                latencies.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200 or "errors" in answer.json():
                    raise RuntimeError(f"{request['url']}: {answer.text[:300]}")

        await http.request(**request)  # the connection and the server warmed once
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        seconds = time.perf_counter() - started
    return Sample(
        len(latencies) / seconds,
        {
            "p95_ms": percentile(latencies, 0.95),
            "p50_ms": statistics.median(latencies),
            "retried": len(retried),
        },
    )


def _latency_rounds(rounds: list[dict[str, Any]], key: str = "p95_ms") -> list[dict[str, Any]]:
    return [{**r, "ours": r[f"ours_{key}"], "baseline": r[f"baseline_{key}"]} for r in rounds]


def measure(site: Site, rounds: int, per_client: int) -> list[Result]:
    coordinator = issue_token(SECRET, "coordinator", None, None, "bench-coordinator", 2)
    _, agency, name = site.issues[0]
    liaison = issue_token(SECRET, "liaison", str(agency), name, "bench-liaison", 2)
    auth = {"Authorization": f"Bearer {coordinator}"}
    as_liaison = {"Authorization": f"Bearer {liaison}"}
    reads = {
        "dashboard": (
            {"method": "POST", "url": "/graphql", "headers": auth, "json": {
                "query": DASHBOARD, "variables": {"campaign": site.campaign}}},
            {"method": "GET", "url": "/dashboard", "params": {"campaign": site.campaign}},
        ),
        "work queue first page": (
            {"method": "POST", "url": "/graphql", "headers": as_liaison, "json": {
                "query": persisted("WorkQueue"), "variables": {"first": 20, "orderBy": "DUE"}}},
            {"method": "GET", "url": "/queue", "params": {"agency": str(agency)}},
        ),
    }  # fmt: skip
    results = []
    for name, (ours, plain) in reads.items():
        # issue 14: each page under 300 ms of server time; one client asking in turn, so
        # the latency is the server's time plus loopback, not queueing behind the others
        alone = interleave(
            rounds,
            lambda o=ours: asyncio.run(_load(site.rectify.base_url, o, per_client, 1)),  # type: ignore[misc]
            lambda p=plain: asyncio.run(_load(site.plain.base_url, p, per_client, 1)),  # type: ignore[misc]
        )
        results.append(
            Result(
                f"{name}, 1 client, p50", "ms", "lower", Target("ours", "<", 300),
                _latency_rounds(alone, "p50_ms"),
                note="one client in turn: the server's time (issue 14's speed paragraph)",
            )
        )  # fmt: skip
        done = interleave(
            rounds,
            lambda o=ours: asyncio.run(_load(site.rectify.base_url, o, per_client)),  # type: ignore[misc]
            lambda p=plain: asyncio.run(_load(site.plain.base_url, p, per_client)),  # type: ignore[misc]
        )
        label = f"{name}, {CLIENTS} clients"
        results.append(
            Result(
                f"{label}, throughput",
                "req/s",
                "higher",
                Target("ratio", ">=", 0.7),
                done,
                note="GraphQL vs plain Starlette JSON running the same SQL",
            )
        )
        results.append(
            Result(
                f"{label}, p95",
                "ms",
                "lower",
                Target("ours", "<", 30),
                _latency_rounds(done),
                note="client-side latency under the same load",
            )
        )
    return results
