"""Issue 16's proof of scale-out on one machine: two API processes, two workers, the
dispatcher, the notifier and two projection runners, each a process of its own, against
one PostgreSQL (one schema) and one Temporal dev server.

The four agencies are registered and the ledger imported; liaisons report progress
through the two APIs in turn, each reading its write back through the other API
(read-your-writes across processes). Then issue 3's four-agency scenario runs with its
requests sent to the two APIs in turn (tests/e2e/four_agency.py: consecutive steps on
different processes, its concurrent claims through different APIs: one wins). The active
projection runner is killed with -9: the standby takes over (systemStatus names it) and the
read side catches up, and the scenario's real-name clue runs against the standby's read
side. At the end no clock milestone was recorded twice and, with every process stopped,
every read table equals a rebuild from the log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

from api.auth import issue_token
from domain.application import RectifyApp
from domain.names import agency_id
from projections import rebuild_projections
from projections.runner import connect
from rectify.settings import DEV_JWT_SECRET, eventsourcing_env
from rectify.supervisor import start_temporal_dev_server, stop_process
from tests.cross_check import events
from tests.e2e.four_agency import (
    four_agencies_refer_transfer_refuse_and_reconsider,
    make_world,
    real_name_reporter_phone_reaches_only_the_handling_agency,
)
from tests.e2e.test_whole_system import SAMPLE, _free_port, _rectify
from tests.integration.test_rebuild import snapshot

pytestmark = pytest.mark.e2e

ROLES = ("worker", "worker", "dispatcher", "notifier", "projections", "projections")
CAMPAIGN = "扩展验证专项行动"
MIN_POSITION = "X-Rectify-Min-Position"


@dataclass
class Cluster:
    env: dict[str, str]
    apis: list[str]  # base URLs
    processes: dict[str, subprocess.Popen[bytes]]  # "serve-0", "projections-4", …

    @property
    def schema(self) -> str:
        return self.env["RECTIFY_DB_SCHEMA"]


def _wait(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.3)


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def cluster(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("scale-out")
    temporal_port = _free_port()
    temporal = start_temporal_dev_server(home, temporal_port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFY_")}
    env.update(
        DATABASE_URL=database_url,
        RECTIFY_HOME=str(home),
        RECTIFY_DB_SCHEMA="scale_" + uuid.uuid4().hex[:8],
        TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}",
    )
    processes: dict[str, subprocess.Popen[bytes]] = {}
    apis = []
    try:
        for n in range(2):
            port = _free_port()
            apis.append(f"http://127.0.0.1:{port}")
            processes[f"serve-{n}"] = subprocess.Popen(
                [sys.executable, "-m", "rectify", "serve"],
                env={**env, "RECTIFY_HTTP_PORT": str(port)},
            )
        for n, role in enumerate(ROLES):
            processes[f"{role}-{n}"] = subprocess.Popen(
                [sys.executable, "-m", "rectify", role], env=env
            )
        _wait(lambda: all(_up(base) for base in apis), 120, "both APIs answer")
        yield Cluster(env, apis, processes)
    finally:
        for name, process in processes.items():
            stop_process(process, name)
        stop_process(temporal, "temporal")
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{env["RECTIFY_DB_SCHEMA"]}" CASCADE')


def _token(role: str, agency: str | None = None, subject: str | None = None) -> str:
    key = str(agency_id(agency)) if agency else None
    who = subject or f"{role}-{agency or 'office'}"
    return issue_token(DEV_JWT_SECRET, role, key, agency, who, 1)


def _post(base: str, token: str, query: str, at: int | None = None, **variables: Any) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if at is not None:
        headers[MIN_POSITION] = str(at)
    response = httpx.post(
        base + "/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    if at is not None:
        assert int(response.headers[MIN_POSITION]) >= at
    return dict(body["data"])


ISSUES = """query($campaign: ID!) { issues(filter: {campaign: $campaign}, first: 50) {
  totalCount edges { node { id number leadAgency { name } deadline { dueDate } } } } }"""
REPORT = """mutation($id: ID!, $text: String!) { r: reportProgress(issueId: $id, text: $text) {
  __typename ... on IssueChanged { position } } }"""
HISTORY = "query($id: ID!) { issue(id: $id) { history { type summary } } }"
STATUS = "{ systemStatus { head projectionRunner followers { name kind position lag } } }"


def _report_everywhere(cluster: Cluster, issues: list[dict], text: str) -> None:
    """Each issue's lead liaison reports through one API and reads it back through the
    other, the two APIs taken in turn."""
    for n, issue in enumerate(issues):
        liaison = _token("liaison", issue["leadAgency"]["name"])
        writer, reader = cluster.apis[n % 2], cluster.apis[(n + 1) % 2]
        done = _post(writer, liaison, REPORT, id=issue["id"], text=f"{text}{issue['number']}")
        assert done["r"]["__typename"] == "IssueChanged", done
        history = _post(reader, liaison, HISTORY, at=done["r"]["position"], id=issue["id"])
        said = [h["summary"] or "" for h in history["issue"]["history"]]
        assert any(f"{text}{issue['number']}" in summary for summary in said)


def _status(base: str) -> dict:
    return dict(_post(base, _token("coordinator"), STATUS)["systemStatus"])


def _runner_pid(status: dict) -> int | None:
    named = status["projectionRunner"]
    return int(named.rsplit(":", 1)[1]) if named else None


def _projected(status: dict) -> bool:
    return all(f["lag"] == 0 for f in status["followers"] if f["kind"] == "projection")


def test_many_processes_share_one_log_and_the_standby_runner_takes_over(
    cluster: Cluster, database_url: str
) -> None:
    # the agencies first: the scenario registers them itself, the import then finds them
    world = make_world(cluster.env, cluster.apis)
    imported = _rectify(
        cluster.env, "import-issues", str(SAMPLE), "--campaign", CAMPAIGN, "--create-agencies"
    )
    assert "8" in imported.stdout
    coordinator = _token("coordinator")
    issues: list[dict] = []

    def all_listed() -> bool:
        nonlocal issues
        found = _post(cluster.apis[1], coordinator, ISSUES, campaign=CAMPAIGN)["issues"]
        issues = [edge["node"] for edge in found["edges"]]
        return bool(found["totalCount"] == 8)

    _wait(all_listed, 60, "the imported issues are listed")
    _report_everywhere(cluster, issues, "第一轮进展")
    four_agencies_refer_transfer_refuse_and_reconsider(world)

    runners = {p.pid: name for name, p in cluster.processes.items() if name.startswith("proj")}
    active = _runner_pid(_status(cluster.apis[0]))
    assert active in runners, f"{active} is not one of the runners {runners}"
    os.kill(active, signal.SIGKILL)
    cluster.processes[runners[active]].wait(10)
    (standby,) = set(runners) - {active}

    _report_everywhere(cluster, issues, "第二轮进展")  # the standby's catch-up serves these
    _wait(lambda: _runner_pid(_status(cluster.apis[1])) == standby, 30, "the standby is named")
    _wait(lambda: _projected(_status(cluster.apis[0])), 30, "the read side catches up")
    real_name_reporter_phone_reaches_only_the_handling_agency(world)  # on the standby

    dated = {UUID(i["id"]) for i in issues if i["deadline"]["dueDate"]}
    app = RectifyApp(env=eventsourcing_env(database_url, cluster.schema))
    try:

        def every_dated_issue_overdue() -> bool:
            kinds = ((e.originator_id, type(e).__name__) for e in events(app))
            overdue = {item for item, kind in kinds if kind == "OverdueRecorded"}
            return dated <= overdue

        _wait(every_dated_issue_overdue, 60, "the clocks record every dated issue overdue")
        for name, process in cluster.processes.items():  # nothing writes while we compare
            stop_process(process, name)
        milestones = [
            (e.originator_id, type(e).__name__, e.key)
            for e in events(app)
            if type(e).__name__.endswith("Recorded") and isinstance(getattr(e, "key", None), str)
        ]
        assert milestones and len(milestones) == len(set(milestones)), "a milestone fired twice"
    finally:
        app.close()

    with closing(connect(database_url, cluster.schema)) as db:
        projected = snapshot(db)
        rebuild_projections(
            eventsourcing_env(database_url, cluster.schema), database_url, cluster.schema
        )
        assert snapshot(db) == projected
