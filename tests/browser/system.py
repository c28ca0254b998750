"""The whole system for browser tests, started as `make run` starts it (`rectify run` on a
fresh RECTIFY_HOME, its embedded PostgreSQL and free ports), with the accounts and the work
the scenarios need made through the CLI and GraphQL, as an operator would make them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.running import wait_until_up

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_sample.csv"
CAMPAIGN = "浏览器测试专项行动"
AGENCY = "县卫健局"
PASSWORD = "Zhenggai-2026!"  # every test account's
# (user name, display name, role, agency)
ACCOUNTS = [
    ("liaison1", "王联络", "liaison", AGENCY),
    ("coord1", "李协调", "coordinator", None),
    ("leader1", "赵领导", "leadership", None),
    ("auditor1", "钱审计", "auditor", None),
    ("admin1", "孙管理", "admin", None),
    ("locked1", "周锁定", "liaison", AGENCY),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class System:
    base_url: str
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def rectify(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "rectify", *args],
            env=self.env, input=stdin, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"rectify {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def token(self, role: str, agency: str | None = None) -> str:
        key = f"{role}:{agency}"
        if key not in self.tokens:
            extra = ["--agency", agency] if agency else []
            self.tokens[key] = self.rectify("token", "--role", role, *extra).strip()
        return self.tokens[key]

    def graphql(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            self.base_url + "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


def start_system(
    home: Path, settings: dict[str, str] | None = None, prepared: bool = True
) -> Iterator[System]:
    """`settings` are added to the environment (e.g. production mode's); `prepared` makes
    the accounts and the ledger the scenarios share (prepare)."""
    http_port, temporal_port = free_port(), free_port()
    while temporal_port == http_port:
        temporal_port = free_port()
    env = dict(os.environ)
    env.update(
        RECTIFY_HOME=str(home),
        RECTIFY_HTTP_PORT=str(http_port),
        RECTIFY_TEMPORAL_PORT=str(temporal_port),
        # every scenario signs in from 127.0.0.1: the per-address limit (tested in
        # tests/integration/test_sign_in.py) would refuse the later ones
        RECTIFY_SIGN_INS_PER_MINUTE="600",
    )
    env.update(settings or {})
    env.pop("TEMPORAL_ADDRESS", None)
    # As `make run` on a fresh clone: its own embedded PostgreSQL in RECTIFY_HOME, so a
    # shared server's connection limit (other test runs) cannot fail a page.
    env.pop("DATABASE_URL", None)
    log = (home / "run.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "rectify", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        # rectify run waits up to 180 s for serve
        wait_until_up(process, base, seconds=240, log=home / "run.log")
        system = System(base, env)
        if prepared:
            prepare(system)
        yield system
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
        log.close()


def prepare(system: System) -> None:
    """A ledger with its agencies, and one account per role."""
    system.rectify("import-issues", str(SAMPLE), "--campaign", CAMPAIGN, "--create-agencies")
    # side by side: each is a process start and an argon2 hash, independent of the others
    with ThreadPoolExecutor(max_workers=len(ACCOUNTS)) as pool:
        added = [
            pool.submit(
                system.rectify,
                "user",
                "add",
                username,
                "--name",
                name,
                "--role",
                role,
                *(["--agency", agency] if agency else []),
                "--password-stdin",
                stdin=PASSWORD + "\n",
            )
            for username, name, role, agency in ACCOUNTS
        ]
        for future in added:
            future.result()


SEND = """
mutation($input: SendReferralInput!) {
  r: sendReferral(input: $input) { __typename ... on ReferralChanged { referral { id } } }
}"""


def send_referral(system: System, reason: str) -> str:
    """A referral to the liaisons' agency, sent by the coordinator for another agency."""
    sent = {"receiver": AGENCY, "sender": "县医疗保障局", "reason": reason, "campaign": CAMPAIGN}
    data = system.graphql(system.token("coordinator"), SEND, input=sent)
    assert data["r"]["__typename"] == "ReferralChanged", data
    referral_id: str = data["r"]["referral"]["id"]
    assert referral_id
    return referral_id


SUBMIT = """
mutation($id: ID!, $summary: String!) {
  r: submitForVerification(issueId: $id, summary: $summary) { __typename }
}"""
ISSUES = """
query($campaign: ID!) {
  issues(filter: {campaign: $campaign, agency: "县卫健局", status: OPEN}, first: 50) {
    edges { node { id number problem leadAgency { name } } }
  }
}"""


def submit_issue(system: System) -> dict[str, str]:
    """An open issue the liaisons' agency leads, submitted for verification by its liaison;
    returns its id, number and problem."""
    liaison = system.token("liaison", AGENCY)
    edges = system.graphql(liaison, ISSUES, campaign=CAMPAIGN)["issues"]["edges"]
    issue = next(e["node"] for e in edges if e["node"]["leadAgency"]["name"] == AGENCY)
    data = system.graphql(liaison, SUBMIT, id=issue["id"], summary="已整改完毕")
    assert data["r"]["__typename"] == "IssueChanged", data
    return {"id": issue["id"], "number": issue["number"], "problem": issue["problem"]}


def refusal_message(system: System, token: str, mutation: str, **variables: Any) -> str:
    """The message the API refuses `mutation` with (a refusal changes nothing), to compare
    with what the page shows."""
    result = next(iter(system.graphql(token, mutation, **variables).values()))
    assert result["__typename"] not in ("IssueChanged", "ReferralChanged"), result
    message: str = result["message"]
    return message
