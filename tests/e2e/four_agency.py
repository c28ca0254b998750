"""The four-agency scenario of issue 3, as steps any test can drive against running API
processes: tests/e2e/test_four_agency_scenario.py against `rectify run`, and
tests/e2e/test_scale_out.py against two API processes in turn.

Market regulation (县市场监管局) finds a beauty salon doing medical cosmetic procedures and
refers it to health (县卫健局); health refers insurance fraud to the medical insurance
bureau (县医保局) and transfers a suspected crime to the police (县公安局), who refuse;
health asks for reconsideration and the police answer. At every step the wrong agency (or
the wrong role of the right agency) is refused with a typed result, and a read at the log's
head shows that nothing changed; concurrent claims give exactly one winner; each agency's
queue holds exactly its own items and every history names each step's actor.

The second scenario starts from a real-name clue received by market regulation and
triaged into a referral to health: the reporter's phone number and ID number reach
health's investigator through revealReporter (recorded, listed for auditors) and appear in
no other response to anyone, nor anywhere in a dump of every column of every table of the
schema.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from api.auth import issue_token
from rectify.settings import DEV_JWT_SECRET
from tests.e2e.test_whole_system import _rectify

MARKET, HEALTH, INSURANCE, POLICE = "县市场监管局", "县卫健局", "县医保局", "县公安局"
AGENCIES = (MARKET, HEALTH, INSURANCE, POLICE)
MIN_POSITION = "X-Rectify-Min-Position"


class Apis:
    """The API processes' base URLs, taken in turn by every request of every person: with
    two, consecutive steps go to different processes (read-your-writes crosses them through
    X-Rectify-Min-Position)."""

    def __init__(self, bases: list[str]) -> None:
        assert bases
        self.bases, self.turn = list(bases), 0

    def next(self) -> str:
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        return base


@dataclass
class Actor:
    """One user holding one token; every response body it receives is kept."""

    subject: str
    role: str
    agency: str | None
    token: str
    apis: Apis
    seen: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The API this request goes to: the next in turn."""
        return self.apis.next()

    @property
    def actor(self) -> str:
        """How histories name this user (api/commands.py: actor)."""
        return f"{self.subject}（{self.agency}）" if self.agency else self.subject

    def post(self, query: str, variables: dict[str, Any], at: int | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"}
        if at is not None:
            headers[MIN_POSITION] = str(at)
        response = httpx.post(
            self.base + "/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        self.seen.append(response.text)
        response.raise_for_status()
        if at is not None:
            read = int(response.headers[MIN_POSITION])
            assert read >= at, f"the read side stayed at {read} < {at} (bounded wait)"
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def query(self, query: str, at: int | None = None, **variables: Any) -> dict:
        return self.post(query, variables, at)

    def do(self, mutation: str, **variables: Any) -> dict:
        """A mutation aliased `r`: its typed result."""
        return self.post(mutation, variables)["r"]


@dataclass
class World:
    env: dict[str, str]
    agency_ids: dict[str, str]
    people: dict[str, Actor]
    # every referral sent in this module: (id, sender, receiver)
    referrals: list[tuple[str, str, str]] = field(default_factory=list)
    position: int = 0

    def __getitem__(self, key: str) -> Actor:
        return self.people[key]

    def changed(self, result: dict, typename: str) -> dict:
        assert result["__typename"] == typename, result
        assert isinstance(result["position"], int) and result["position"] > 0, result
        self.position = max(self.position, result["position"])
        return result

    def head(self) -> int:
        return int(self["coordinator"].query("{ systemStatus { head } }")["systemStatus"]["head"])


# -- GraphQL documents ----------------------------------------------------------------------

REFERRAL_RESULT = """
fragment R on ReferralResult {
  __typename
  ... on ReferralChanged { position referral { id status claimedBy outcome caseNumber
    sender { name } receiver { name } } }
  ... on AlreadyClaimed { message currentState agencyName claimedBy }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on InvalidInput { message field }
  ... on NotFound { message }
  ... on Conflict { message }
}"""

TRANSFER_RESULT = """
fragment T on CaseTransferResult {
  __typename
  ... on CaseTransferChanged { position caseTransfer { id status outcome criminalCaseNumber
    agency { name } receiver { name } } }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on InvalidInput { message field }
  ... on NotFound { message }
  ... on Conflict { message }
}"""

SEND = (
    "mutation($receiver: ID!, $reason: String!, $sender: ID, $attachments: [String!]! = []) {"
    " r: sendReferral(input: {receiver: $receiver, reason: $reason, sender: $sender,"
    " attachments: $attachments}) { ...R } }" + REFERRAL_RESULT
)
CLAIM = "mutation($id: ID!) { r: claimReferral(referralId: $id) { ...R } }" + REFERRAL_RESULT
RETURN = (
    "mutation($id: ID!) { r: returnReferral(referralId: $id, reason: NOT_OUR_REMIT) { ...R } }"
    + REFERRAL_RESULT
)
ANSWER = (
    'mutation($id: ID!, $outcome: String!, $measures: [String!], $penalties: String! = "",'
    ' $caseNumber: String! = "") { r: answerReferral(referralId: $id, outcome: $outcome,'
    " measures: $measures, penalties: $penalties, caseNumber: $caseNumber) { ...R } }"
    + REFERRAL_RESULT
)
ACCEPT = (
    'mutation($id: ID!) { r: acceptReferral(referralId: $id, comment: "同意办结") { ...R } }'
    + REFERRAL_RESULT
)
SEND_BACK = (
    'mutation($id: ID!) { r: sendBackReferral(referralId: $id, reason: "补充材料") { ...R } }'
    + REFERRAL_RESULT
)
REASSIGN = (
    "mutation($id: ID!, $agency: ID!) { r: reassignReferral(referralId: $id, agency: $agency,"
    ' reason: "改派") { ...R } }' + REFERRAL_RESULT
)

REPORT = (
    "mutation($police: ID!, $facts: String!, $offence: String!, $suspect: String!,"
    " $caseNumber: String!) { r: reportCaseTransfer(input: {police: $police, facts: $facts,"
    " suspectedOffence: $offence, suspect: $suspect, caseNumber: $caseNumber}) { ...T } }"
    + TRANSFER_RESULT
)
APPROVE = (
    'mutation($id: ID!) { r: approveCaseTransfer(transferId: $id, comment: "同意移送") { ...T } }'
    + TRANSFER_RESULT
)
DECLINE = (
    'mutation($id: ID!) { r: declineCaseTransfer(transferId: $id, reason: "证据不足") { ...T } }'
    + TRANSFER_RESULT
)
SEND_TRANSFER = (
    "mutation($id: ID!) { r: sendCaseTransfer(transferId: $id) { ...T } }" + TRANSFER_RESULT
)
RECEIVE = (
    "mutation($id: ID!) { r: receiveCaseTransfer(transferId: $id) { ...T } }" + TRANSFER_RESULT
)
FILE = (
    'mutation($id: ID!) { r: fileCriminalCase(transferId: $id, criminalCaseNumber: "X1")'
    " { ...T } }" + TRANSFER_RESULT
)
REFUSE = (
    "mutation($id: ID!, $reasons: String!) { r: refuseCaseTransfer(transferId: $id,"
    " reasons: $reasons) { ...T } }" + TRANSFER_RESULT
)
RECONSIDER = (
    "mutation($id: ID!, $reason: String!) { r: requestTransferReconsideration("
    "transferId: $id, reason: $reason) { ...T } }" + TRANSFER_RESULT
)
ANSWER_RECONSIDERATION = (
    'mutation($id: ID!, $outcome: ReconsiderationOutcome!, $reasons: String! = "",'
    ' $number: String! = "") { r: answerTransferReconsideration(transferId: $id,'
    " outcome: $outcome, reasons: $reasons, criminalCaseNumber: $number) { ...T } }"
    + TRANSFER_RESULT
)

REFERRAL_VIEW = """query($id: ID!) { referral(id: $id) {
  id status statusLabel reason round claimedBy outcome caseNumber
  sender { name } receiver { name }
  history { at type actor summary } } }"""
TRANSFER_VIEW = """query($id: ID!) { caseTransfer(id: $id) {
  id kind status statusLabel outcome criminalCaseNumber agency { name } receiver { name }
  history { at type actor summary } } }"""
QUEUE = """query($direction: ReferralDirection!, $agency: ID) {
  referralQueue(filter: {direction: $direction, agency: $agency}, first: 200) {
    totalCount edges { node { id sender { name } receiver { name } } } } }"""
TRANSFERS = "{ caseTransfers(first: 200) { totalCount edges { node { id } } } }"


# -- the system, its four agencies and one token per person ------------------------------

# key: (subject, role, agency); FROM_CLI get their tokens from `rectify token`, the others
# from api.auth.issue_token with the running system's secret, as the CLI signs them
PEOPLE = {
    "coordinator": ("协调办张主任", "coordinator", None),
    "market": ("王芳", "liaison", MARKET),
    "market_head": ("市监刘局长", "agency_head", MARKET),
    "health": ("李明", "liaison", HEALTH),
    "health2": ("赵强", "liaison", HEALTH),
    "health_head": ("陈局长", "agency_head", HEALTH),
    "health_investigator": ("周执法", "investigator", HEALTH),
    "insurance": ("孙医保", "liaison", INSURANCE),
    "insurance2": ("吴医保", "liaison", INSURANCE),
    "police": ("郑警官", "investigator", POLICE),
    "police_head": ("公安钱局长", "agency_head", POLICE),
    "leadership": ("县领导", "leadership", None),
    "auditor": ("审计员", "auditor", None),
}
FROM_CLI = ("coordinator", "market")


def make_world(env: dict[str, str], bases: list[str]) -> World:
    """Four agencies registered by the CLI, one token per person; each person's requests go
    to the API processes of `bases` in turn, all persons' taken together (one API: always it)."""
    apis = Apis(bases)
    # One CLI command at a time: two at once can fail on the schema's DDL (see the report).
    agency_ids: dict[str, str] = {}
    for name in AGENCIES:
        added = _rectify(env, "agency", "add", name).stdout.split()
        assert added[1] == "registered", added
        agency_ids[name] = added[0]
    tokens: dict[str, str] = {}
    for key in FROM_CLI:
        subject, role, agency = PEOPLE[key]
        args = ["token", "--role", role, "--subject", subject]
        tokens[key] = _rectify(env, *args, *(["--agency", agency] if agency else [])).stdout
        tokens[key] = tokens[key].strip()
    secret = env.get("RECTIFY_JWT_SECRET", DEV_JWT_SECRET)
    for key in FROM_CLI:  # the CLI signs with the running system's secret, for the agency
        claims = jwt.decode(tokens[key], secret, algorithms=["HS256"])
        agency = PEOPLE[key][2]
        assert claims["agency_id"] == (agency_ids[agency] if agency else None), claims
    for key, (subject, role, agency) in PEOPLE.items():
        if key not in tokens:
            agency_id = agency_ids[agency] if agency else None
            tokens[key] = issue_token(secret, role, agency_id, agency, subject)
    people = {
        key: Actor(subject, role, agency, tokens[key], apis)
        for key, (subject, role, agency) in PEOPLE.items()
    }
    listed = people["coordinator"].query("{ agencies { id name } }")["agencies"]
    assert {a["name"]: a["id"] for a in listed if a["name"] in AGENCIES} == agency_ids
    for key, person in people.items():
        me = person.query("{ me { subject role agency { name } } }")["me"]
        assert me["subject"] == person.subject and me["role"] == person.role.upper(), key
        assert (me["agency"] or {}).get("name") == person.agency, key
    return World(env, agency_ids, people)


# -- helpers ---------------------------------------------------------------------------------


def _refused(result: dict, typename: str, *words: str) -> None:
    assert result["__typename"] == typename, result
    for word in words:
        assert word in result["message"], (word, result)


def _referral(w: World, item: str, at: int | None = None) -> dict:
    found = w["coordinator"].query(REFERRAL_VIEW, at=at, id=item)["referral"]
    assert found is not None
    return found


def _transfer(w: World, item: str, at: int | None = None) -> dict:
    found = w["coordinator"].query(TRANSFER_VIEW, at=at, id=item)["caseTransfer"]
    assert found is not None
    return found


def _all_refused(
    w: World,
    view: Callable[[int | None], dict],
    attempts: list[tuple[str, str, dict[str, Any], str, tuple[str, ...]]],
) -> None:
    """Each (person, mutation, variables, typename, words) is refused with that typed result
    naming those words, and the item read at the log's head afterwards is as before."""
    before = view(w.position)
    for key, mutation, variables, typename, words in attempts:
        result = w[key].do(mutation, **variables)
        assert result["__typename"] == typename, (key, result)
        for word in words:
            assert word in result["message"], (key, word, result)
    assert view(w.head()) == before, "a refused step changed the item"


def _race(people: list[Actor], mutation: str, **variables: Any) -> list[dict]:
    """The same mutation by several people at the same moment, one connection each, to the
    APIs in turn (with two APIs, two people race through different processes)."""

    async def one(client: httpx.AsyncClient, person: Actor) -> dict:
        response = await client.post(
            "/graphql",
            json={"query": mutation, "variables": variables},
            headers={"Authorization": f"Bearer {person.token}"},
        )
        person.seen.append(response.text)
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body
        return dict(body["data"]["r"])

    async def together() -> list[dict]:
        clients = [httpx.AsyncClient(base_url=p.base, timeout=30) for p in people]
        try:
            return list(
                await asyncio.gather(*(one(c, p) for c, p in zip(clients, people, strict=True)))
            )
        finally:
            for client in clients:
                await client.aclose()

    return asyncio.run(together())


def _claim_race(w: World, item: str, first: str, second: str, agency: str) -> Actor:
    """Two liaisons of `agency` claim `item` at once: exactly one wins; returns the winner."""
    people = [w[first], w[second]]
    results = _race(people, CLAIM, id=item)
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["AlreadyClaimed", "ReferralChanged"], results
    won = next(i for i, r in enumerate(results) if r["__typename"] == "ReferralChanged")
    winner, lost = people[won], results[1 - won]
    w.changed(results[won], "ReferralChanged")
    assert results[won]["referral"]["status"] == "CLAIMED"
    assert results[won]["referral"]["claimedBy"] == winner.actor
    assert lost["agencyName"] == agency, lost
    assert lost["claimedBy"] == winner.actor, lost
    assert lost["currentState"] == "CLAIMED", lost
    assert agency in lost["message"], lost
    claims = [h for h in _referral(w, item, w.head())["history"] if h["type"] == "Claimed"]
    assert [h["actor"] for h in claims] == [winner.actor], claims
    return winner


def _queue_ids(person: Actor, direction: str, at: int, agency: str | None = None) -> set[str]:
    queue = person.query(QUEUE, at=at, direction=direction, agency=agency)["referralQueue"]
    ids = {e["node"]["id"] for e in queue["edges"]}
    assert queue["totalCount"] == len(ids) == len(queue["edges"]), queue
    return ids


def _check_queues(w: World) -> None:
    """Each agency's queue, as its staff and as the coordinator see it, holds exactly the
    referrals sent to it (INCOMING) and by it (OUTGOING) in this module."""
    at = w.position
    for agency in AGENCIES:
        incoming = {i for i, _, receiver in w.referrals if receiver == agency}
        outgoing = {i for i, sender, _ in w.referrals if sender == agency}
        other = HEALTH if agency != HEALTH else MARKET
        staff = [p for p in w.people.values() if p.agency == agency]
        assert staff, agency
        for person in staff:
            assert _queue_ids(person, "INCOMING", at) == incoming, (agency, person.subject)
            assert _queue_ids(person, "OUTGOING", at) == outgoing, (agency, person.subject)
            # asking for another agency's queue is refused, not answered with one's own
            refused = httpx.post(
                person.base + "/graphql",
                json={"query": QUEUE, "variables": {"direction": "INCOMING", "agency": other}},
                headers={"Authorization": f"Bearer {person.token}"},
                timeout=30,
            ).json()
            assert "only your own agency's queue" in refused["errors"][0]["message"], agency
        coordinator = w["coordinator"]
        assert _queue_ids(coordinator, "INCOMING", at, agency) == incoming, agency
        assert _queue_ids(coordinator, "OUTGOING", at, w.agency_ids[agency]) == outgoing


# -- the scenario ----------------------------------------------------------------------------


def four_agencies_refer_transfer_refuse_and_reconsider(w: World) -> None:
    """Issue 3's scenario: referrals, a case transfer refused and reconsidered, refusals."""
    ids = w.agency_ids
    market, health, police = w["market"], w["health"], w["police"]

    # Nobody refers in another agency's name, nor with a role that may not refer.
    def queues(at: int | None) -> dict:
        return {
            (key, direction): sorted(_queue_ids(w[key], direction, at or 0))
            for key in ("market", "health", "insurance", "police")
            for direction in ("INCOMING", "OUTGOING")
        }

    salon = "某美容院无《医疗机构执业许可证》开展注射类医疗美容项目（玻尿酸、肉毒素注射）"
    _all_refused(
        w,
        queues,
        [
            ("market", SEND, {"receiver": HEALTH, "reason": salon, "sender": ids[HEALTH]},
             "NotAllowed", ("own agency",)),
            ("health_investigator", SEND, {"receiver": INSURANCE, "reason": salon},
             "NotAllowed", ("investigator",)),
            ("market_head", SEND, {"receiver": HEALTH, "reason": salon},
             "NotAllowed", ("agency_head",)),
        ],
    )  # fmt: skip

    # 1. Market regulation refers the salon to health.
    sent = w.changed(
        market.do(SEND, receiver=HEALTH, reason=salon, attachments=["现场检查笔录.pdf"]),
        "ReferralChanged",
    )["referral"]
    salon_referral = sent["id"]
    w.referrals.append((salon_referral, MARKET, HEALTH))
    assert sent["status"] == "SENT"
    assert (sent["sender"]["name"], sent["receiver"]["name"]) == (MARKET, HEALTH)

    def salon_view(at: int | None) -> dict:
        return _referral(w, salon_referral, at)

    # Only a liaison of health may claim, return or answer; the sender accepts only an answer.
    _all_refused(
        w,
        salon_view,
        [
            ("insurance", CLAIM, {"id": salon_referral}, "NotAllowed", (HEALTH,)),
            ("police", CLAIM, {"id": salon_referral}, "NotAllowed", (HEALTH,)),
            ("market", CLAIM, {"id": salon_referral}, "NotAllowed", (HEALTH,)),
            ("health_investigator", CLAIM, {"id": salon_referral}, "NotAllowed", (HEALTH,)),
            ("health_head", CLAIM, {"id": salon_referral}, "NotAllowed", (HEALTH,)),
            ("coordinator", CLAIM, {"id": salon_referral}, "NotAllowed", (HEALTH,)),
            ("insurance", RETURN, {"id": salon_referral}, "NotAllowed", (HEALTH,)),
            ("insurance", ANSWER, {"id": salon_referral, "outcome": "已处理"},
             "NotAllowed", (HEALTH,)),
            ("market", REASSIGN, {"id": salon_referral, "agency": INSURANCE},
             "NotAllowed", ("coordinator",)),
            ("insurance", ACCEPT, {"id": salon_referral}, "NotAllowed", ("sending agency",)),
            ("market", ACCEPT, {"id": salon_referral}, "InvalidTransition", ()),
        ],
    )  # fmt: skip
    for key in ("insurance", "police"):
        assert w[key].query(REFERRAL_VIEW, id=salon_referral)["referral"] is None, key

    # 2. Two health liaisons claim at the same moment: one wins, the other is told who.
    claimer = _claim_race(w, salon_referral, "health", "health2", HEALTH)
    _all_refused(
        w,
        salon_view,
        [
            ("health", CLAIM, {"id": salon_referral}, "AlreadyClaimed", (HEALTH,)),
            ("insurance", ANSWER, {"id": salon_referral, "outcome": "已处理"},
             "NotAllowed", (HEALTH,)),
            ("market", ANSWER, {"id": salon_referral, "outcome": "已处理"},
             "NotAllowed", (HEALTH,)),
            ("health_investigator", ANSWER, {"id": salon_referral, "outcome": "已处理"},
             "NotAllowed", (HEALTH,)),
            ("health", ACCEPT, {"id": salon_referral}, "NotAllowed", ("sending agency",)),
            ("market", ACCEPT, {"id": salon_referral}, "InvalidTransition", ()),
            # a return after claiming is allowed, but only saying why (ADR 0035)
            ("health", RETURN, {"id": salon_referral}, "InvalidInput", ("detail",)),
        ],
    )  # fmt: skip

    # 3. Health answers; only market regulation (or the coordinator) may accept it.
    answered = w.changed(
        claimer.do(
            ANSWER,
            id=salon_referral,
            outcome="查实该美容院未取得《医疗机构执业许可证》擅自开展医疗美容，已立案查处",
            measures=["责令立即停止医疗美容活动", "没收药品和器械"],
            penalties="没收违法所得并处罚款人民币五万元",
            caseNumber="县卫医罚〔2026〕12号",
        ),
        "ReferralChanged",
    )["referral"]
    assert answered["status"] == "ANSWERED"
    assert answered["caseNumber"] == "县卫医罚〔2026〕12号"
    _all_refused(
        w,
        salon_view,
        [
            ("health", ACCEPT, {"id": salon_referral}, "NotAllowed", ("sending agency",)),
            ("insurance", ACCEPT, {"id": salon_referral}, "NotAllowed", ("sending agency",)),
            ("police", SEND_BACK, {"id": salon_referral}, "NotAllowed", ("sending agency",)),
            ("market_head", ACCEPT, {"id": salon_referral}, "NotAllowed", ("sending agency",)),
        ],
    )  # fmt: skip
    accepted = w.changed(market.do(ACCEPT, id=salon_referral), "ReferralChanged")["referral"]
    assert accepted["status"] == "ACCEPTED"

    # 4. Health refers the insurance fraud to the medical insurance bureau.
    fraud = "该美容院将医疗美容项目串换为理疗项目，以参保人名义刷卡结算，涉嫌骗取医保基金"
    sent = w.changed(health.do(SEND, receiver=INSURANCE, reason=fraud), "ReferralChanged")[
        "referral"
    ]
    fraud_referral = sent["id"]
    w.referrals.append((fraud_referral, HEALTH, INSURANCE))
    assert (sent["sender"]["name"], sent["receiver"]["name"]) == (HEALTH, INSURANCE)

    def fraud_view(at: int | None) -> dict:
        return _referral(w, fraud_referral, at)

    _all_refused(
        w,
        fraud_view,
        [
            ("health", CLAIM, {"id": fraud_referral}, "NotAllowed", (INSURANCE,)),
            ("market", CLAIM, {"id": fraud_referral}, "NotAllowed", (INSURANCE,)),
            ("police", CLAIM, {"id": fraud_referral}, "NotAllowed", (INSURANCE,)),
            ("health", RETURN, {"id": fraud_referral}, "NotAllowed", (INSURANCE,)),
        ],
    )  # fmt: skip
    for key in ("market", "police"):
        assert w[key].query(REFERRAL_VIEW, id=fraud_referral)["referral"] is None, key
    insurer = _claim_race(w, fraud_referral, "insurance2", "insurance", INSURANCE)
    _all_refused(
        w,
        fraud_view,
        [
            ("health", ANSWER, {"id": fraud_referral, "outcome": "已处理"},
             "NotAllowed", (INSURANCE,)),
            ("market", ANSWER, {"id": fraud_referral, "outcome": "已处理"},
             "NotAllowed", (INSURANCE,)),
        ],
    )  # fmt: skip
    answered = w.changed(
        insurer.do(
            ANSWER,
            id=fraud_referral,
            outcome="查实违规结算医保基金3.2万元，已追回并解除医保服务协议",
            measures=["追回医保基金", "解除医保定点服务协议"],
            penalties="处违规金额二倍罚款",
            caseNumber="县医保罚〔2026〕3号",
        ),
        "ReferralChanged",
    )["referral"]
    assert answered["status"] == "ANSWERED"
    _all_refused(
        w,
        fraud_view,
        [
            ("insurance", ACCEPT, {"id": fraud_referral}, "NotAllowed", ("sending agency",)),
            ("market", ACCEPT, {"id": fraud_referral}, "NotAllowed", ("sending agency",)),
        ],
    )  # fmt: skip
    accepted = w.changed(health.do(ACCEPT, id=fraud_referral), "ReferralChanged")["referral"]
    assert accepted["status"] == "ACCEPTED"

    # 5. Health transfers the suspected crime to the police (行刑衔接).
    _refused(
        w["coordinator"].do(
            REPORT, police=POLICE, facts=fraud, offence="诈骗罪", suspect="x", caseNumber="x"
        ),
        "NotAllowed",
        "coordinator",
    )
    reported = w.changed(
        w["health_investigator"].do(
            REPORT,
            police=POLICE,
            facts=fraud + "，金额较大",
            offence="诈骗罪（骗取医疗保障基金）",
            suspect="某美容院法定代表人",
            caseNumber="县卫医罚〔2026〕12号",
        ),
        "CaseTransferChanged",
    )["caseTransfer"]
    transfer = reported["id"]
    assert reported["status"] == "REPORTED"
    assert (reported["agency"]["name"], reported["receiver"]["name"]) == (HEALTH, POLICE)
    for key in ("market", "insurance"):
        assert w[key].query(TRANSFER_VIEW, id=transfer)["caseTransfer"] is None, key
    assert w["police"].query(TRANSFER_VIEW, id=transfer)["caseTransfer"]["id"] == transfer

    def transfer_view(at: int | None) -> dict:
        return _transfer(w, transfer, at)

    # Only health's head approves (or declines); nobody sends before the approval.
    _all_refused(
        w,
        transfer_view,
        [
            ("health", APPROVE, {"id": transfer}, "NotAllowed", ("liaison",)),
            ("health_investigator", APPROVE, {"id": transfer}, "NotAllowed", ("investigator",)),
            ("health", DECLINE, {"id": transfer}, "NotAllowed", ("liaison",)),
            ("police_head", APPROVE, {"id": transfer}, "NotAllowed", (HEALTH,)),
            ("market_head", APPROVE, {"id": transfer}, "NotAllowed", (HEALTH,)),
            ("market_head", DECLINE, {"id": transfer}, "NotAllowed", (HEALTH,)),
            ("coordinator", APPROVE, {"id": transfer}, "NotAllowed", ("coordinator",)),
            ("health_investigator", SEND_TRANSFER, {"id": transfer}, "InvalidTransition", ()),
        ],
    )  # fmt: skip
    approved = w.changed(w["health_head"].do(APPROVE, id=transfer), "CaseTransferChanged")
    assert approved["caseTransfer"]["status"] == "APPROVED"

    _all_refused(
        w,
        transfer_view,
        [
            ("police", SEND_TRANSFER, {"id": transfer}, "NotAllowed", (HEALTH,)),
            ("market", SEND_TRANSFER, {"id": transfer}, "NotAllowed", (HEALTH,)),
            ("insurance", SEND_TRANSFER, {"id": transfer}, "NotAllowed", (HEALTH,)),
            ("police", RECEIVE, {"id": transfer}, "InvalidTransition", ()),
        ],
    )  # fmt: skip
    sent_transfer = w.changed(
        w["health_investigator"].do(SEND_TRANSFER, id=transfer), "CaseTransferChanged"
    )
    assert sent_transfer["caseTransfer"]["status"] == "SENT"

    # The police receive; nobody else may sign for them.
    _all_refused(
        w,
        transfer_view,
        [
            ("health_investigator", RECEIVE, {"id": transfer}, "NotAllowed", (POLICE,)),
            ("market", RECEIVE, {"id": transfer}, "NotAllowed", (POLICE,)),
            ("insurance", RECEIVE, {"id": transfer}, "NotAllowed", (POLICE,)),
            ("police", REFUSE, {"id": transfer, "reasons": "x"}, "InvalidTransition", ()),
        ],
    )  # fmt: skip
    received = w.changed(police.do(RECEIVE, id=transfer), "CaseTransferChanged")
    assert received["caseTransfer"]["status"] == "RECEIVED"

    # Only the police decide: market regulation cannot refuse, health cannot file.
    refusal = "现有证据不足以认定行为人具有非法占有目的，涉案金额未达立案追诉标准，不予立案"
    _all_refused(
        w,
        transfer_view,
        [
            ("market", REFUSE, {"id": transfer, "reasons": refusal}, "NotAllowed", (POLICE,)),
            ("health_head", REFUSE, {"id": transfer, "reasons": refusal},
             "NotAllowed", (POLICE,)),
            ("health_investigator", FILE, {"id": transfer}, "NotAllowed", (POLICE,)),
            ("insurance", FILE, {"id": transfer}, "NotAllowed", (POLICE,)),
            ("health", RECONSIDER, {"id": transfer, "reason": "x"}, "InvalidTransition", ()),
        ],
    )  # fmt: skip
    refused = w.changed(police.do(REFUSE, id=transfer, reasons=refusal), "CaseTransferChanged")[
        "caseTransfer"
    ]
    assert refused["status"] == "REFUSED"
    assert refusal in refused["outcome"]

    # Health asks for reconsideration; only health may.
    reconsider = "医保结算记录显示骗取金额已达数额较大标准，且有虚构诊疗项目的书证，提请复议"
    _all_refused(
        w,
        transfer_view,
        [
            ("police", RECONSIDER, {"id": transfer, "reason": reconsider},
             "NotAllowed", (HEALTH,)),
            ("market", RECONSIDER, {"id": transfer, "reason": reconsider},
             "NotAllowed", (HEALTH,)),
            ("insurance", RECONSIDER, {"id": transfer, "reason": reconsider},
             "NotAllowed", (HEALTH,)),
            ("coordinator", RECONSIDER, {"id": transfer, "reason": reconsider},
             "NotAllowed", ("coordinator",)),
            ("police", ANSWER_RECONSIDERATION, {"id": transfer, "outcome": "UPHOLD"},
             "InvalidTransition", ()),
        ],
    )  # fmt: skip
    reconsidering = w.changed(
        health.do(RECONSIDER, id=transfer, reason=reconsider), "CaseTransferChanged"
    )
    assert reconsidering["caseTransfer"]["status"] == "RECONSIDERING"

    # The police answer; health and market regulation may not answer for them.
    _all_refused(
        w,
        transfer_view,
        [
            ("health_head", ANSWER_RECONSIDERATION, {"id": transfer, "outcome": "FILE"},
             "NotAllowed", (POLICE,)),
            ("market", ANSWER_RECONSIDERATION, {"id": transfer, "outcome": "FILE"},
             "NotAllowed", (POLICE,)),
            ("health", RECONSIDER, {"id": transfer, "reason": reconsider},
             "InvalidTransition", ()),
        ],
    )  # fmt: skip
    number = "县公（刑）立字〔2026〕88号"
    filed = w.changed(
        police.do(ANSWER_RECONSIDERATION, id=transfer, outcome="FILE", number=number),
        "CaseTransferChanged",
    )["caseTransfer"]
    assert filed["status"] == "FILED"
    assert filed["criminalCaseNumber"] == number

    # Histories: every step, in order, with its actor, as each party and the coordinator see.
    head = w.head()
    salon_history = [
        ("Sent", market.actor),
        ("Claimed", claimer.actor),
        ("Answered", claimer.actor),
        ("Accepted", market.actor),
    ]
    fraud_history = [
        ("Sent", health.actor),
        ("Claimed", insurer.actor),
        ("Answered", insurer.actor),
        ("Accepted", health.actor),
    ]
    for item, expected, readers in (
        (salon_referral, salon_history, ("coordinator", "market", "health")),
        (fraud_referral, fraud_history, ("coordinator", "health", "insurance")),
    ):
        for key in readers:
            found = w[key].query(REFERRAL_VIEW, at=head, id=item)["referral"]
            assert found["status"] == "ACCEPTED", key
            assert [(h["type"], h["actor"]) for h in found["history"]] == expected, key
    salon_summaries = [h["summary"] for h in _referral(w, salon_referral, head)["history"]]
    assert salon in salon_summaries[0] and HEALTH in salon_summaries[1]
    assert "县卫医罚〔2026〕12号" in salon_summaries[2]

    transfer_history = [
        ("Reported", w["health_investigator"].actor),
        ("Approved", w["health_head"].actor),
        ("Sent", w["health_investigator"].actor),
        ("Received", police.actor),
        ("Refused", police.actor),
        ("ReconsiderationRequested", health.actor),
        ("ReconsiderationAnswered", police.actor),
    ]
    for key in ("coordinator", "health", "police"):
        found = w[key].query(TRANSFER_VIEW, at=head, id=transfer)["caseTransfer"]
        assert found["status"] == "FILED", key
        assert [(h["type"], h["actor"]) for h in found["history"]] == transfer_history, key
    summaries = [h["summary"] for h in _transfer(w, transfer, head)["history"]]
    assert refusal in summaries[4] and reconsider in summaries[5] and number in summaries[6]

    # Queues and transfer lists: each agency exactly its own.
    _check_queues(w)
    for key, expected in (("market", 0), ("insurance", 0), ("health", 1), ("police", 1)):
        listed = w[key].query(TRANSFERS, at=head)["caseTransfers"]
        assert listed["totalCount"] == expected, key
        assert {e["node"]["id"] for e in listed["edges"]} <= {transfer}, key


# -- a real-name clue triaged into a referral: the reporter stays protected -----------------

CLUE_RESULT = """
fragment C on ClueResult {
  __typename
  ... on ClueChanged { position clue { id status referralId referredTo
    receivingAgency { name } handlingAgency { name }
    reporter { anonymous realName display } } }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on InvalidInput { message field }
  ... on NotFound { message }
  ... on Conflict { message }
}"""
RECEIVE_CLUE = (
    "mutation($input: ReceiveClueInput!) { r: receiveClue(input: $input) { ...C } }" + CLUE_RESULT
)
REFER_CLUE = (
    "mutation($id: ID!, $receiver: ID!, $reason: String!) { r: referClue(clueId: $id,"
    " receiver: $receiver, reason: $reason) { ...C } }" + CLUE_RESULT
)
REVEAL = """mutation($id: ID!, $reason: String!) { r: revealReporter(clueId: $id, reason: $reason) {
  __typename
  ... on RevealedReporter { clueId name phone idNumber address position }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on NotFound { message }
} }"""
CLUE_VIEW = """query($id: ID!) { clue(id: $id) {
  id status content institution person attachments referralId referredTo revealCount
  reporter { anonymous realName display } receivingAgency { name } handlingAgency { name }
  history { at type actor summary } } }"""
CLUES = "{ clues(first: 200) { totalCount edges { node { id reporter { display } } } } }"
REVEALS = """query($id: ID) { clueReveals(clueId: $id) {
  clueId agency { name } actor reason at } }"""
NOTIFICATIONS = "{ notifications(first: 50) { unreadCount edges { node { title body } } } }"

# Run with the system's settings, as the CLI is (the embedded server joined when there is
# no DATABASE_URL): every column of every table of the system's schema, as text (bytea as
# its bytes), searched for each needle. Prints {"tables": [...], "hits": {needle: [...]}}.
DUMP = r"""
import json, sys, zlib
import psycopg
from psycopg import sql
from rectify.runtime import database
from rectify.settings import Settings

needles = json.loads(sys.argv[1])
hits = {n: [] for n in needles}

def render(value):
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        try:
            value = value + b"\n" + zlib.decompress(value)
        except zlib.error:
            pass
        return value.decode("latin-1")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)

with database(Settings()) as db, psycopg.connect(db.url) as conn:
    tables = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY 1", (db.schema,))]
    for table in tables:
        cur = conn.execute(sql.SQL("SELECT * FROM {}.{}").format(
            sql.Identifier(db.schema), sql.Identifier(table)))
        columns = [d.name for d in cur.description]
        for row in cur:
            for column, value in zip(columns, row):
                text = render(value)
                for needle in needles:
                    if needle in text:
                        hits[needle].append(f"{table}.{column}")
print(json.dumps({"tables": tables, "hits": hits}))
"""


def _dump_hits(env: dict[str, str], *needles: str) -> tuple[list[str], dict[str, list[str]]]:
    done = subprocess.run(
        [sys.executable, "-c", DUMP, json.dumps(needles)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return found["tables"], found["hits"]


def real_name_reporter_phone_reaches_only_the_handling_agency(w: World) -> None:
    """A real-name clue triaged into a referral: the reporter stays protected."""
    market, health, investigator = w["market"], w["health"], w["health_investigator"]
    phone, id_number = "13907316652", "430102198805170031"
    marker = "CLUE-MARK-7f3c2a"  # in the content: the dump must find it
    content = f"{marker} 丽人美容院无医师资质为顾客注射玻尿酸，并以理疗名义刷医保卡"
    received = w.changed(
        market.do(
            RECEIVE_CLUE,
            input={
                "channel": "WEB_FORM",
                "content": content,
                "institution": "丽人美容院",
                "person": "美容院负责人",
                "attachments": ["举报照片1.jpg"],
                "reporter": {
                    "name": "钱某某",
                    "phone": phone,
                    "idNumber": id_number,
                    "address": "某县人民路1号",
                },
                "realName": True,
            },
        ),
        "ClueChanged",
    )["clue"]
    clue = received["id"]
    assert received["reporter"] == {
        "anonymous": False,
        "realName": True,
        "display": "受保护 / protected",
    }
    assert received["handlingAgency"]["name"] == MARKET

    def clue_view(at: int | None) -> dict:
        found = w["coordinator"].query(CLUE_VIEW, at=at, id=clue)["clue"]
        assert found is not None
        return found

    # Only market regulation triages its clue; nobody else sees who reported it.
    _all_refused(
        w,
        clue_view,
        [
            ("health", REFER_CLUE, {"id": clue, "receiver": HEALTH, "reason": "x"},
             "NotAllowed", ()),
            ("insurance", REFER_CLUE, {"id": clue, "receiver": INSURANCE, "reason": "x"},
             "NotAllowed", ()),
            ("health_investigator", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("police", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
        ],
    )  # fmt: skip

    # Triage: refer to health, which creates the referral and makes health the handler.
    referred = w.changed(
        market.do(
            REFER_CLUE, id=clue, receiver=HEALTH, reason="涉嫌非法医疗美容，属卫生健康部门职责"
        ),
        "ClueChanged",
    )["clue"]
    referral = referred["referralId"]
    assert referral, referred
    w.referrals.append((referral, MARKET, HEALTH))
    assert referred["status"] == "REFERRED"
    assert referred["handlingAgency"]["name"] == HEALTH
    found = w["health"].query(REFERRAL_VIEW, at=w.position, id=referral)["referral"]
    assert (found["sender"]["name"], found["receiver"]["name"]) == (MARKET, HEALTH)

    # Only an investigator or head of the handling agency may reveal the reporter:
    # not market regulation any more, not a liaison, not leadership, not the auditors.
    _all_refused(
        w,
        clue_view,
        [
            ("market", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("market_head", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("health", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("insurance", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("police", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("police_head", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("coordinator", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("leadership", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
            ("auditor", REVEAL, {"id": clue, "reason": "核实"}, "NotAllowed", ()),
        ],
    )  # fmt: skip
    why = "需向实名举报人核实注射项目和收费情况"
    revealed = investigator.do(REVEAL, id=clue, reason=why)
    assert revealed["__typename"] == "RevealedReporter", revealed
    assert (revealed["phone"], revealed["idNumber"]) == (phone, id_number)
    w.position = max(w.position, revealed["position"])
    reveal_body = investigator.seen[-1]

    # Health works the referral to the end; market regulation accepts it.
    w.changed(health.do(CLAIM, id=referral), "ReferralChanged")
    w.changed(
        health.do(ANSWER, id=referral, outcome="已立案查处，并已答复举报人"), "ReferralChanged"
    )
    w.changed(market.do(ACCEPT, id=referral), "ReferralChanged")

    # Every party reads what it may; the reporter stays 受保护 for all of them.
    at = w.head()
    for key in w.people:
        person = w[key]
        view = person.query(CLUE_VIEW, at=at, id=clue)["clue"]
        if person.agency in (INSURANCE, POLICE):
            assert view is None, key
        else:
            assert view is not None, key
            assert view["reporter"]["display"] == "受保护 / protected", key
        person.query(CLUES, at=at)
        person.query(REFERRAL_VIEW, at=at, id=referral)
        person.query(QUEUE, at=at, direction="INCOMING", agency=None)
        person.query(QUEUE, at=at, direction="OUTGOING", agency=None)
        person.query(NOTIFICATIONS, at=at)
    history = clue_view(at)["history"]
    assert [(h["type"], h["actor"]) for h in history] == [
        ("Received", market.actor),
        ("Referred", market.actor),
        ("ReporterRevealed", investigator.actor),
        ("Concluded", market.actor),  # with its referral's acceptance (ADR 0035)
    ]
    reveals = w["auditor"].query(REVEALS, at=at, id=clue)["clueReveals"]
    assert [(r["agency"]["name"], r["actor"], r["reason"]) for r in reveals] == [
        (HEALTH, investigator.actor, why)
    ]
    _check_queues(w)

    # The phone and ID number were in exactly one response: the reveal, to health's
    # investigator. Not in any other response to anyone in this module.
    bodies = [(key, body) for key in w.people for body in w[key].seen]
    leaked = [key for key, body in bodies if phone in body or id_number in body]
    assert leaked == ["health_investigator"], leaked
    assert [body for _, body in bodies if phone in body] == [reveal_body]

    # Nor anywhere in the database: every column of every table of the schema.
    tables, hits = _dump_hits(w.env, phone, id_number, marker)
    assert {"rectify_events", "clues", "referrals", "clue_history"} <= set(tables), tables
    assert {"rectify_events.state", "clues.content"} <= set(hits[marker]), hits[marker]
    assert hits[phone] == [] and hits[id_number] == [], hits
