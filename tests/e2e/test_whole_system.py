"""The whole system as `make run` starts it: import a ledger with the CLI, read it back
through GraphQL, watch the clocks write overdue events, then stop it with SIGTERM."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.running import wait_until_up

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_sample.csv"
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rectify(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rectify", *args],
        env=env, capture_output=True, text=True, timeout=120, check=check,
    )  # fmt: skip


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("home")
    http_port, temporal_port = _free_port(), _free_port()
    while temporal_port == http_port:
        temporal_port = _free_port()
    env = dict(os.environ)
    env.update(
        RECTIFY_HOME=str(home),
        RECTIFY_HTTP_PORT=str(http_port),
        RECTIFY_TEMPORAL_PORT=str(temporal_port),
        RECTIFY_DB_SCHEMA="e2e_" + uuid.uuid4().hex[:8],
    )
    env.pop("TEMPORAL_ADDRESS", None)
    process = subprocess.Popen([sys.executable, "-m", "rectify", "run"], env=env)
    base = f"http://127.0.0.1:{http_port}"
    wait_until_up(process, base, seconds=90)
    env["BASE_URL"] = base
    env["RUN_PID"] = str(process.pid)
    yield env
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    if os.environ.get("DATABASE_URL"):  # a shared server: leave no schema behind
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{env["RECTIFY_DB_SCHEMA"]}" CASCADE')


def _graphql(env: dict[str, str], token: str, query: str, **variables: object) -> dict:
    response = httpx.post(
        env["BASE_URL"] + "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


ISSUES = """
query($campaign: ID!) {
  issues(filter: {campaign: $campaign}, first: 50) {
    totalCount
    edges { node { id number problem measures status
      leadAgency { name } coAgencies { name } deadline { kind dueDate text } } }
  }
}"""


def test_imported_ledger_is_served_through_graphql_and_clocks_run(system: dict[str, str]) -> None:
    env = system
    unauthenticated = httpx.post(
        env["BASE_URL"] + "/graphql", json={"query": "{ campaigns { id } }"}
    )
    assert unauthenticated.status_code == 401

    imported = _rectify(
        env, "import-issues", str(SAMPLE), "--campaign", "端到端专项行动", "--create-agencies"
    )
    assert "8" in imported.stdout
    again = _rectify(
        env, "import-issues", str(SAMPLE), "--campaign", "端到端专项行动", "--create-agencies"
    )
    assert again.returncode == 0

    token = _rectify(env, "token", "--role", "coordinator").stdout.strip()
    campaigns = _graphql(env, token, "{ campaigns { id title } }")["campaigns"]
    campaign = next(c for c in campaigns if c["title"] == "端到端专项行动")

    deadline = time.monotonic() + 30
    while True:
        data = _graphql(env, token, ISSUES, campaign=campaign["id"])["issues"]
        if data["totalCount"] == 8 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert data["totalCount"] == 8
    nodes = {edge["node"]["number"]: edge["node"] for edge in data["edges"]}
    rows = _sample_rows()
    for row in rows:
        node = nodes[row["问题编号"]]
        names = [
            n.strip() for n in row["责任部门"].replace("，", ",").replace("、", ",").split(",")
        ]
        names = [n.rstrip("。").replace(" ", "") for n in names if n.strip()]
        assert node["leadAgency"]["name"] == names[0]
        assert [a["name"] for a in node["coAgencies"]] == names[1:]
        assert node["deadline"]["text"] == row["完成时限"].strip()
        assert node["measures"]
    assert nodes["2"]["deadline"] == {
        "kind": "ONGOING",
        "dueDate": None,
        "text": "立行立改，长期坚持",
    }
    assert nodes["4"]["deadline"]["dueDate"] == "2025-12-31"
    assert nodes["3"]["deadline"]["dueDate"] == "2026-01-20"

    dashboard = _graphql(
        env, token,
        "query($c: ID!) { dashboard(campaign: $c) { totalIssues open closed overdue"
        " byAgency { agency { name } lead coResponsible open closed overdue } } }",
        c=campaign["id"],
    )["dashboard"]  # fmt: skip
    assert dashboard["totalIssues"] == 8
    assert dashboard["open"] == 8 and dashboard["closed"] == 0
    health = next(r for r in dashboard["byAgency"] if r["agency"]["name"] == "县卫健局")
    assert health["lead"] == 5 and health["coResponsible"] == 3

    # Every dated deadline of the sample lies before today: each clock records "overdue".
    overdue_issue = nodes["8"]["id"]
    deadline = time.monotonic() + 60
    while True:
        history = _graphql(
            env, token, "query($id: ID!) { issue(id: $id) { history { type summary } } }",
            id=overdue_issue,
        )["issue"]["history"]  # fmt: skip
        types = [h["type"] for h in history]
        if "OverdueRecorded" in types or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert types.count("OverdueRecorded") == 1, json.dumps(history, ensure_ascii=False)


def test_a_subscribed_liaison_sees_a_change_made_through_a_mutation(
    system: dict[str, str],
) -> None:
    """Over the real server's websocket: the liaison of the lead agency subscribes, then
    reports progress through GraphQL, and hears of it."""
    from websockets.sync.client import connect

    env = system
    liaison = _rectify(env, "token", "--role", "liaison", "--agency", "县卫健局").stdout.strip()
    issues = _graphql(env, liaison, ISSUES, campaign="端到端专项行动")["issues"]["edges"]
    ours = next(e["node"] for e in issues if e["node"]["leadAgency"]["name"] == "县卫健局")
    url = env["BASE_URL"].replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": {"token": liaison}}))
        assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"
        subscription = "subscription { queueChanged { position kinds } }"
        ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": subscription}}))
        done = _graphql(
            env, liaison,
            'mutation($id: ID!) { r: reportProgress(issueId: $id, text: "端到端进展") {'
            " __typename ... on IssueChanged { position } } }",
            id=ours["id"],
        )["r"]  # fmt: skip
        message = json.loads(ws.recv(timeout=30))

    assert done["__typename"] == "IssueChanged"
    assert message["type"] == "next", message
    notice = message["payload"]["data"]["queueChanged"]
    assert notice["position"] >= done["position"] and "issue" in notice["kinds"]


def test_sigterm_stops_every_process(system: dict[str, str]) -> None:
    pid = int(system["RUN_PID"])
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(children) >= 5  # temporal, projections, worker, dispatcher, serve
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    # The run process too: it stops the embedded PostgreSQL last, after its children.
    alive = [int(p) for p in children] + [pid]
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        time.sleep(0.2)
    assert not alive, f"still running: {alive}"
    with pytest.raises(httpx.HTTPError):
        httpx.get(system["BASE_URL"] + "/healthz", timeout=2)
    if "DATABASE_URL" not in os.environ:
        assert not (Path(system["RECTIFY_HOME"]) / "pg" / "postmaster.pid").exists()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (OSError, IndexError):
        return "Z"
