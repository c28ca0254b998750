"""How soon a change is seen. Commit → visible in the read model: a command saved by
RectifyApp, then the running `rectify projections` announcing (NOTIFY after its batch
commits) a position at or past the command's; against a raw commit with a NOTIFY and a
LISTEN tailer of it. Mutation acknowledgement: reportProgress over GraphQL to a running
`rectify serve`, asking only for the position; against one raw INSERT+COMMIT. Samples
are a steady trickle (one every PAUSE seconds), not a burst."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

import httpx
import psycopg

from api.auth import issue_token
from bench import raw
from bench.runner import Result, Sample, Target, interleave, percentile
from bench.setup import SECRET, Schema, Site
from domain.application import RectifyApp
from projections import changes

# between samples: a steady trickle of about 30 a second, each change seen (or answered)
# before the next is sent; 50 ms made 12 of bench-quick's seconds pure sleep (ADR 0079)
PAUSE = 0.02
WAIT = 10.0  # seconds a change may take to be seen before the round fails

ACK = """
mutation BenchReportProgress($id: ID!, $text: String!) {
  result: reportProgress(issueId: $id, text: $text) {
    __typename ... on IssueChanged { position }
  }
}"""


def _listener(schema: Schema, channel: str) -> psycopg.Connection[tuple[object, ...]]:
    conn = psycopg.connect(schema.url, autocommit=True)
    conn.execute(f'LISTEN "{channel}"')
    return conn


def _wait_for(
    conn: psycopg.Connection[tuple[object, ...]], reached: Callable[[str], bool]
) -> float:
    """perf_counter when a notice that `reached` accepts arrives."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for notice in conn.notifies(timeout=max(0.01, deadline - time.monotonic())):
            if reached(notice.payload):
                return time.perf_counter()
    raise TimeoutError(f"no notice within {WAIT} s")


def _at_or_past(position: int) -> Callable[[str], bool]:
    return lambda payload: int(json.loads(payload)["position"]) >= position


def _summary(latencies: list[float]) -> Sample:
    return Sample(
        percentile(latencies, 0.95),
        {"p50_ms": statistics.median(latencies), "samples": len(latencies)},
    )


def measure(site: Site, rounds: int, samples: int) -> list[Result]:
    schema = site.schema
    app = RectifyApp(env=schema.env)
    ours_conn = _listener(schema, changes.channel(schema.name))
    raw_channel = "bench_raw_" + schema.name[-6:]
    raw_conn = _listener(schema, raw_channel)
    writer = raw.Writer(schema, raw.create_table(schema), raw.state_size(schema, "Progress"))
    item, agency, agency_name = site.issues[0]
    token = issue_token(SECRET, "liaison", str(agency), agency_name, "bench-liaison", 2)
    http = httpx.Client(base_url=site.rectify.base_url, timeout=30)
    sent = [0]

    def visible() -> Sample:
        times = []
        for _ in range(samples):
            sent[0] += 1
            done = app.report_progress(item, agency, f"第{sent[0]}次进展", [], "bench")
            committed, position = time.perf_counter(), done.position or 0
            seen = _wait_for(ours_conn, _at_or_past(position))
            times.append((seen - committed) * 1000)
            time.sleep(PAUSE)
        return _summary(times)

    def raw_visible() -> Sample:
        times = []
        for _ in range(samples):
            writer.commit_one(notify=raw_channel)
            committed, version = time.perf_counter(), str(writer.version)
            seen = _wait_for(raw_conn, version.__eq__)
            times.append((seen - committed) * 1000)
            time.sleep(PAUSE)
        return _summary(times)

    def acknowledged() -> Sample:
        times = []
        for _ in range(samples):
            sent[0] += 1
            variables = {"id": str(item), "text": f"第{sent[0]}次进展"}
            started = time.perf_counter()
            answer = http.post(
                "/graphql",
                json={"query": ACK, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            times.append((time.perf_counter() - started) * 1000)
            body = answer.json()
            if answer.status_code != 200 or body["data"]["result"]["__typename"] != "IssueChanged":
                raise RuntimeError(f"reportProgress failed: {answer.text[:300]}")
            time.sleep(PAUSE)
        return _summary(times)

    def raw_commit() -> Sample:
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            writer.commit_one()
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(PAUSE)
        return _summary(times)

    try:
        seen = interleave(rounds, visible, raw_visible)
        acked = interleave(rounds, acknowledged, raw_commit)
    finally:
        http.close()
        writer.close()
        ours_conn.close()
        raw_conn.close()
        app.close()
    return [
        Result(
            "commit → visible in read model, p95", "ms", "lower", Target("ours", "<", 50), seen,
            note=f"{samples} sequential commands per round; baseline raw commit → LISTEN tailer",
        ),
        Result(
            "mutation acknowledgement over GraphQL, p95", "ms", "lower",
            Target("ours", "<", 30), acked,
            note="reportProgress asking only for the position; baseline one INSERT+COMMIT",
        ),
    ]  # fmt: skip
