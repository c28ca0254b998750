"""A steady mixed load through GraphQL, as three people would send it: a coordinator, a
liaison of the health commission (县卫健局) and one of the insurance bureau (县医疗保障局).

Every mutation carries a marker (a text only it writes) and an `Idempotency-Key`. A request
that fails or goes unanswered is sent again with the same key until it is answered or the
retry budget runs out; the answer to the last attempt is what is recorded. An answered
success is an acknowledgement: its `position` and marker are looked for in the log later.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from domain.names import campaign_id, issue_id

CAMPAIGN = "混沌测试专项行动"
HEALTH, INSURANCE = "县卫健局", "县医疗保障局"
IMPORTED_NUMBERS = [str(n) for n in range(1, 9)]  # tests/fixtures/ledger_sample.csv
ONGOING_IMPORTED = "2"  # 立行立改，长期坚持
# Past deadlines ring overdue and the escalation rungs at once (caught up) while the run
# goes on; a far one rings nothing yet; an ongoing one runs its review clock.
DEADLINES = [
    "2026年1月31日", "2026年10月31日", "2026年11月30日", "2027年6月30日", "立行立改，长期坚持",
]  # fmt: skip
REQUEST_SECONDS = 15.0
RETRY_BUDGET_SECONDS = 120.0

CHANGED = (
    "__typename ... on {changed} {{ position }} ... on InvalidInput {{ message }}"
    " ... on NotAllowed {{ message }} ... on InvalidTransition {{ message }}"
    " ... on NotFound {{ message }} ... on Conflict {{ message }}"
)
REGISTER = (
    "mutation($input: RegisterIssueInput!) { r: registerIssue(input: $input) { "
    + CHANGED.format(changed="IssueChanged")
    + " } }"
)
PROGRESS = (
    "mutation($id: ID!, $text: String!) { r: reportProgress(issueId: $id, text: $text) { "
    + CHANGED.format(changed="IssueChanged")
    + " } }"
)
PAUSE = (
    "mutation($id: ID!, $reason: String!) { r: pauseClock(issueId: $id, reason: $reason) { "
    + CHANGED.format(changed="IssueChanged")
    + " } }"
)
RESUME = PAUSE.replace("pauseClock", "resumeClock")
REFER = (
    "mutation($input: SendReferralInput!) { r: sendReferral(input: $input) { "
    + CHANGED.format(changed="ReferralChanged")
    + " } }"
)
CLAIM = (
    "mutation($id: ID!) { r: claimReferral(referralId: $id) { "
    + CHANGED.format(changed="ReferralChanged")
    + " ... on AlreadyClaimed { message } } }"
)
CLUE = (
    "mutation($input: ReceiveClueInput!) { r: receiveClue(input: $input) { "
    + CHANGED.format(changed="ClueChanged")
    + " } }"
)
QUEUE = "{ referralQueue(filter: {status: SENT}, first: 20) { edges { node { id } } } }"
READS = [
    "query($c: ID!) { issues(filter: {campaign: $c}, first: 20, orderBy: DUE) "
    "{ totalCount edges { node { id status } } } }",
    "query($c: ID!) { dashboard(campaign: $c) { totalIssues open overdue } }",
]  # fmt: skip


@dataclass
class Outcome:
    """One mutation as the client saw it, after its retries."""

    op: str
    marker: str
    key: str  # the Idempotency-Key
    item: str | None  # the item's id when the client knows it before the answer
    status: str = "unanswered"  # acknowledged | refused:<type> | unanswered
    position: int | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)  # why earlier attempts were retried
    refusal: str = ""  # the message of a typed refusal


@dataclass
class Load:
    base_url: str
    tokens: dict[str, str]  # coordinator, health, insurance
    seed: int
    outcomes: list[Outcome] = field(default_factory=list)
    reads: int = 0
    read_failures: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    abandon: threading.Event = field(default_factory=threading.Event)  # no use retrying
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0
    _issues: list[str] = field(default_factory=list)
    _paused: set[str] = field(default_factory=set)
    _ongoing: set[str] = field(default_factory=set)  # no clock to pause

    def __post_init__(self) -> None:
        campaign = campaign_id(CAMPAIGN)
        self._issues = [str(issue_id(campaign, n)) for n in IMPORTED_NUMBERS]
        self._ongoing = {str(issue_id(campaign, ONGOING_IMPORTED))}

    # -- running -----------------------------------------------------------------------

    def run(self, seconds: float) -> None:
        """Send the load from three threads for `seconds`, then wait for their last retries."""
        workers = [
            (self.tokens["coordinator"], [self._register, self._pause_or_resume, self._read]),
            (self.tokens["health"], [self._progress, self._clue, self._claim, self._read]),
            (self.tokens["insurance"], [self._refer, self._progress_insurance, self._read]),
        ]
        threads = [
            threading.Thread(
                target=self._work,
                args=(token, ops, random.Random(self.seed * 10 + n)),
                name=f"load-{n}",
                daemon=True,
            )
            for n, (token, ops) in enumerate(workers)
        ]
        for thread in threads:
            thread.start()
        self.stop.wait(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(RETRY_BUDGET_SECONDS + REQUEST_SECONDS + 10)

    def _work(
        self, token: str, ops: list[Callable[[httpx.Client, random.Random], None]],
        rng: random.Random,
    ) -> None:  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=REQUEST_SECONDS) as c:
            while not self.stop.is_set():
                rng.choice(ops)(c, rng)
                self.stop.wait(rng.uniform(0.3, 0.9))

    # -- sending -----------------------------------------------------------------------

    def _marker(self, op: str) -> str:
        with self._lock:
            self._counter += 1
            return f"混沌{op}-s{self.seed}-n{self._counter}"

    def _mutate(
        self, client: httpx.Client, rng: random.Random, op: str, marker: str,
        query: str, variables: dict[str, Any], item: str | None = None,
    ) -> Outcome:  # fmt: skip
        outcome = Outcome(op, marker, str(uuid.UUID(int=rng.getrandbits(128))), item)
        with self._lock:
            self.outcomes.append(outcome)
        deadline = time.monotonic() + RETRY_BUDGET_SECONDS
        pause = 0.5
        while True:
            outcome.attempts += 1
            problem = self._attempt(client, outcome, query, variables)
            if problem is None:
                return outcome
            outcome.errors.append(problem)
            if time.monotonic() > deadline or self.abandon.is_set():
                return outcome
            # An outage lasts seconds: back off, but keep the same key.
            time.sleep(pause)
            pause = min(pause * 2, 5.0)

    def _attempt(
        self, client: httpx.Client, outcome: Outcome, query: str, variables: dict[str, Any]
    ) -> str | None:
        """None when answered (recorded in `outcome`); else why to try again."""
        try:
            response = client.post(
                "/graphql", json={"query": query, "variables": variables},
                headers={"Idempotency-Key": outcome.key},
            )  # fmt: skip
        except httpx.HTTPError as error:
            return type(error).__name__
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        try:
            body = response.json()
        except ValueError:
            return "not JSON"
        result = (body.get("data") or {}).get("r")
        if body.get("errors") or not isinstance(result, dict):
            messages = [str(e.get("message", ""))[:80] for e in body.get("errors") or []]
            return "GraphQL error: " + "; ".join(messages)
        typename = str(result.get("__typename"))
        if typename.endswith("Changed"):
            outcome.status = "acknowledged"
            outcome.position = result.get("position")
        else:
            outcome.status = f"refused:{typename}"
            outcome.refusal = str(result.get("message", ""))
        return None

    def _query(self, client: httpx.Client, query: str, **variables: Any) -> dict[str, Any] | None:
        try:
            response = client.post("/graphql", json={"query": query, "variables": variables})
            body = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            body = {}
        with self._lock:
            self.reads += 1
            if not body.get("data") or body.get("errors"):
                self.read_failures += 1
                return None
        data: dict[str, Any] = body["data"]
        return data

    # -- the operations ----------------------------------------------------------------

    def _register(self, client: httpx.Client, rng: random.Random) -> None:
        marker = self._marker("登记")
        number = marker.split("-", 1)[1]
        item = str(issue_id(campaign_id(CAMPAIGN), number))
        variables = {"input": {
            "campaign": CAMPAIGN, "number": number, "problem": f"问题{marker}",
            "measures": ["限期整改"], "leadAgency": HEALTH, "coAgencies": [INSURANCE],
            "deadline": rng.choice(DEADLINES),
        }}  # fmt: skip
        outcome = self._mutate(client, rng, "register", marker, REGISTER, variables, item)
        if outcome.status == "acknowledged":
            with self._lock:
                self._issues.append(item)
                if variables["input"]["deadline"] == DEADLINES[-1]:
                    self._ongoing.add(item)

    def _some_issue(self, rng: random.Random) -> str:
        with self._lock:
            return rng.choice(self._issues)

    def _progress(self, client: httpx.Client, rng: random.Random) -> None:
        marker, item = self._marker("进展"), self._some_issue(rng)
        variables = {"id": item, "text": f"整改进展{marker}"}
        self._mutate(client, rng, "progress", marker, PROGRESS, variables, item)

    def _progress_insurance(self, client: httpx.Client, rng: random.Random) -> None:
        with self._lock:  # the insurance bureau co-owns only the issues registered here
            own = self._issues[len(IMPORTED_NUMBERS) :]
        if own:
            marker, item = self._marker("进展"), rng.choice(own)
            variables = {"id": item, "text": f"医保进展{marker}"}
            self._mutate(client, rng, "progress", marker, PROGRESS, variables, item)

    def _pause_or_resume(self, client: httpx.Client, rng: random.Random) -> None:
        with self._lock:
            item = rng.choice([i for i in self._issues if i not in self._ongoing])
        paused = item in self._paused
        marker = self._marker("恢复" if paused else "暂停")
        variables = {"id": item, "reason": f"原因{marker}"}
        op, query = ("resume", RESUME) if paused else ("pause", PAUSE)
        outcome = self._mutate(client, rng, op, marker, query, variables, item)
        if outcome.status == "acknowledged" or outcome.status == "refused:InvalidTransition":
            with self._lock:
                self._paused ^= {item}

    def _refer(self, client: httpx.Client, rng: random.Random) -> None:
        marker = self._marker("移送")
        variables = {"input": {
            "receiver": HEALTH, "reason": f"移送事由{marker}", "campaign": CAMPAIGN,
        }}  # fmt: skip
        self._mutate(client, rng, "refer", marker, REFER, variables)

    def _claim(self, client: httpx.Client, rng: random.Random) -> None:
        data = self._query(client, QUEUE)
        edges = (data or {}).get("referralQueue", {}).get("edges", [])
        if edges:
            item = rng.choice(edges)["node"]["id"]
            marker = self._marker("签收")  # claiming writes no text: found by its position
            self._mutate(client, rng, "claim", marker, CLAIM, {"id": item}, item)

    def _clue(self, client: httpx.Client, rng: random.Random) -> None:
        marker = self._marker("线索")
        variables = {"input": {
            "channel": "HOTLINE_12320", "content": f"举报内容{marker}",
            "institution": "某诊所", "campaign": CAMPAIGN, "key": marker,
        }}  # fmt: skip
        self._mutate(client, rng, "clue", marker, CLUE, variables)

    def _read(self, client: httpx.Client, rng: random.Random) -> None:
        self._query(client, rng.choice(READS), c=CAMPAIGN)
