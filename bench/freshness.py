"""`python -m bench.freshness`: how soon a commit is visible in the read model, and how
long a mutation takes to be acknowledged (ADR 0053). A probe, not part of the tests.

Against DATABASE_URL, in a fresh schema dropped afterwards: a projection runner with its
default interval, an in-process API. commit → visible: from a command's return (its
commit) to the runner's notice that the read tables hold it. Mutation acknowledgement:
a reportProgress that asks only for its outcome and position, and one that asks for the
issue as the read side shows it. Prints p50 and p95 in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import threading
import time
import uuid
from typing import Any

import httpx
import psycopg
from psycopg import sql

from api.app import ApiConfig, create_app
from api.auth import issue_token
from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.ledger_rows import LedgerRow
from projections import catch_up, run_projections
from projections.changes import channel
from rectify.settings import eventsourcing_env

ROUNDS = int(os.environ.get("PROBE_ROUNDS", "60"))
ISSUES = 40
SECRET = "freshness-probe-secret-0123456789abcdef"
ACK = "... on IssueChanged { position }"
READ_BACK = "... on IssueChanged { position issue { status history { type } } }"


def _rows() -> list[LedgerRow]:
    return [
        LedgerRow(
            i + 2, str(i + 1), f"问题{i + 1}", ["措施一"], "县卫健局", [],
            parse_deadline("2099年12月底"),
        )
        for i in range(ISSUES)
    ]  # fmt: skip


def _percentiles(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"{label:<44} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms")


def _commit_to_visible(app: RectifyApp, url: str, schema: str, ids: list[Any]) -> list[float]:
    agency = app.get_issue(ids[0]).lead_agency_id
    samples = []
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel(schema))))
        for i in range(ROUNDS):
            time.sleep(random.uniform(0.0, 0.05))  # not in step with any poll interval
            result = app.report_progress(ids[i % len(ids)], agency, f"进展{i}", [], "probe")
            committed = time.perf_counter()
            assert result.position is not None
            seen = 0
            while seen < result.position:
                for notice in listener.notifies(timeout=5.0, stop_after=1):
                    seen = max(seen, int(json.loads(notice.payload)["position"]))
            samples.append((time.perf_counter() - committed) * 1000)
    return samples


async def _mutations(url: str, schema: str, env: dict[str, str], ids: list[Any]) -> None:
    web = create_app(ApiConfig(url, schema, dict(env), SECRET))
    headers = {"Authorization": f"Bearer {issue_token(SECRET, 'coordinator', None, None, 'p', 1)}"}
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as http:
            shapes = (("mutation ack (outcome + position)", ACK),
                      ("mutation ack (issue read back)", READ_BACK))  # fmt: skip
            for label, selection in shapes:
                samples = []
                for i in range(ROUNDS):
                    await asyncio.sleep(random.uniform(0.0, 0.05))
                    query = (
                        'mutation($id: ID!) { reportProgress(issueId: $id, text: "进展",'
                        f' agencyId: "县卫健局") {{ __typename {selection} }} }}'
                    )
                    started = time.perf_counter()
                    response = await http.post(
                        "/graphql",
                        json={"query": query, "variables": {"id": str(ids[i % len(ids)])}},
                        headers=headers,
                    )
                    samples.append((time.perf_counter() - started) * 1000)
                    body = response.json()
                    assert body["data"]["reportProgress"]["__typename"] == "IssueChanged", body
                _percentiles(label, samples)


def run(url: str) -> None:
    schema = "probe_" + uuid.uuid4().hex[:8]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    env = eventsourcing_env(url, schema)
    app = RectifyApp(env=env)
    stop = threading.Event()
    runner = threading.Thread(target=run_projections, args=(env, url, schema, stop), daemon=True)
    try:
        report = app.import_ledger(
            "探针", _rows(), actor="probe", source="probe", create_agencies=True
        )
        ids = list(report.created)
        catch_up(env, url, schema)
        runner.start()
        time.sleep(0.5)
        _percentiles(
            "commit -> visible in the read model", _commit_to_visible(app, url, schema, ids)
        )
        asyncio.run(_mutations(url, schema, env, ids))
    finally:
        stop.set()
        runner.join(timeout=10)
        app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    run(os.environ["DATABASE_URL"])
