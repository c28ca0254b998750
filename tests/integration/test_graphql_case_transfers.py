"""Case transfers (行刑衔接) through GraphQL with one token per agency and role: health
transfers a suspected insurance fraud to the police, the police refuse, health asks for
reconsideration, the police answer; a wrong agency is refused at every step, typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.application import RectifyApp
from domain.names import agency_id
from tests.integration.api_fixtures import (
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    projection_thread,
)

FIXTURES = (api, projection_thread)
POLICE, CITY_POLICE = "县公安局", "市公安局"
PROCURATORATE, COMMISSION = "县人民检察院", "县纪委监委"

RESULT = """
  __typename
  ... on CaseTransferChanged { position caseTransfer { id kind status statusLabel
      agency { name } receiver { name } procuratorate { name } suspectedOffence outcome
      criminalCaseNumber dueAt dueStep overdue deadlines { step label due }
      breaches { step label addressee due recordedAt } history { type actor summary } } }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on InvalidInput { message field }
  ... on NotFound { message }
  ... on Conflict { message }
"""


def mutation(name: str, signature: str = "$id: ID!", arguments: str = "transferId: $id") -> str:
    return f"mutation({signature}) {{ result: {name}({arguments}) {{ {RESULT} }} }}"


REPORT = mutation("reportCaseTransfer", "$input: ReportCaseTransferInput!", "input: $input")
APPROVE = mutation("approveCaseTransfer")
DECLINE = mutation(
    "declineCaseTransfer", "$id: ID!, $reason: String!", "transferId: $id, reason: $reason"
)
SEND = mutation("sendCaseTransfer")
RECEIVE = mutation("receiveCaseTransfer")
FORWARD = mutation(
    "forwardCaseTransfer",
    "$id: ID!, $police: ID!, $reason: String!",
    "transferId: $id, police: $police, reason: $reason",
)
FILE = mutation(
    "fileCriminalCase", "$id: ID!, $number: String", "transferId: $id, criminalCaseNumber: $number"
)
REFUSE = mutation(
    "refuseCaseTransfer", "$id: ID!, $reasons: String!", "transferId: $id, reasons: $reasons"
)
RECONSIDER = mutation(
    "requestTransferReconsideration",
    "$id: ID!, $reason: String!",
    "transferId: $id, reason: $reason",
)
ANSWER = mutation(
    "answerTransferReconsideration",
    "$id: ID!, $outcome: ReconsiderationOutcome!, $reasons: String",
    "transferId: $id, outcome: $outcome, reasons: $reasons",
)
SUPERVISE = mutation(
    "requestTransferSupervision",
    "$id: ID!, $to: ID!, $reason: String!",
    "transferId: $id, procuratorate: $to, reason: $reason",
)
CONCLUDE = mutation(
    "concludeTransferSupervision",
    "$id: ID!, $outcome: SupervisionOutcome!, $opinion: String!",
    "transferId: $id, outcome: $outcome, opinion: $opinion",
)
TO_DISCIPLINE = mutation(
    "transferToDiscipline", "$input: TransferToDisciplineInput!", "input: $input"
)
DISCIPLINE_RECEIVE = mutation("receiveDisciplineTransfer")
DISCIPLINE_DECIDE = mutation(
    "decideDisciplineTransfer",
    "$id: ID!, $outcome: DisciplineOutcome!, $detail: String",
    "transferId: $id, outcome: $outcome, detail: $detail",
)
ONE = "query($id: ID!) { caseTransfer(id: $id) { id status history { type summary } } }"
LIST = """query($filter: CaseTransferFilter, $first: Int!, $after: String) {
  caseTransfers(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id kind status } } pageInfo { hasNextPage endCursor } } }"""

FRAUD = {
    "police": POLICE,
    "facts": "某民营医院虚构住院病历，骗取医保基金38万元",
    "suspectedOffence": "诈骗罪",
    "suspect": "某民营医院",
    "caseNumber": "卫医罚〔2026〕21号",
}


@pytest.fixture
def agencies(app: RectifyApp) -> None:
    for name in (POLICE, CITY_POLICE, PROCURATORATE, COMMISSION):
        app.register_agency(name, actor="admin")


async def run(api: Api, query: str, role: str, agency: str | None, **variables: Any) -> Any:
    return (await api.gql(query, role, agency, **variables))["result"]


async def changed(api: Api, query: str, role: str, agency: str | None, **variables: Any) -> Any:
    result = await run(api, query, role, agency, **variables)
    assert result["__typename"] == "CaseTransferChanged", result
    return result["caseTransfer"]


async def refused(api: Api, query: str, role: str, agency: str | None, **variables: Any) -> str:
    result = await run(api, query, role, agency, **variables)
    assert result["__typename"] == "NotAllowed", result
    return str(result["message"])


async def reported(api: Api) -> str:
    transfer = await changed(api, REPORT, "investigator", HEALTH, input=FRAUD)
    return str(transfer["id"])


async def at_police(api: Api) -> str:
    item = await reported(api)
    await changed(api, APPROVE, "agency_head", HEALTH, id=item)
    await changed(api, SEND, "investigator", HEALTH, id=item)
    await changed(api, RECEIVE, "liaison", POLICE, id=item)
    return item


async def refused_by_police(api: Api) -> str:
    item = await at_police(api)
    await changed(api, REFUSE, "investigator", POLICE, id=item, reasons="证据不足")
    return item


async def test_health_transfers_fraud_the_police_refuse_and_health_asks_for_reconsideration(
    api: Api, agencies: None
) -> None:
    transfer = await changed(api, REPORT, "investigator", HEALTH, input=FRAUD)
    item = transfer["id"]
    assert (transfer["status"], transfer["dueStep"]) == ("REPORTED", "approval")
    assert transfer["receiver"]["name"] == POLICE and transfer["suspectedOffence"] == "诈骗罪"
    assert await refused(api, APPROVE, "agency_head", INSURANCE, id=item)
    assert "单位负责人" in await refused(api, APPROVE, "investigator", HEALTH, id=item)
    assert (await changed(api, APPROVE, "agency_head", HEALTH, id=item))["status"] == "APPROVED"

    assert await refused(api, SEND, "investigator", POLICE, id=item)
    assert (await changed(api, SEND, "investigator", HEALTH, id=item))["status"] == "SENT"

    assert await refused(api, RECEIVE, "liaison", HEALTH, id=item)
    assert await refused(api, RECEIVE, "liaison", CITY_POLICE, id=item)
    received = await changed(api, RECEIVE, "liaison", POLICE, id=item)
    assert (received["status"], received["dueStep"]) == ("RECEIVED", "decision")

    assert await refused(api, REFUSE, "investigator", HEALTH, id=item, reasons="x")
    assert await refused(api, FILE, "investigator", INSURANCE, id=item)
    no = await changed(api, REFUSE, "investigator", POLICE, id=item, reasons="骗保金额证据不足")
    assert (no["status"], no["outcome"], no["dueAt"]) == ("REFUSED", "骗保金额证据不足", None)

    assert await refused(api, RECONSIDER, "investigator", POLICE, id=item, reason="x")
    assert await refused(api, RECONSIDER, "liaison", INSURANCE, id=item, reason="x")
    asked = await changed(api, RECONSIDER, "investigator", HEALTH, id=item, reason="已达立案标准")
    assert (asked["status"], asked["dueStep"]) == ("RECONSIDERING", "reconsideration")

    assert await refused(api, ANSWER, "agency_head", HEALTH, id=item, outcome="FILE")
    answered = await changed(
        api, ANSWER, "agency_head", POLICE, id=item, outcome="UPHOLD", reasons="维持原决定"
    )
    assert answered["status"] == "REFUSAL_UPHELD"
    assert [h["type"] for h in answered["history"]] == [
        "Reported", "Approved", "Sent", "Received", "Refused", "ReconsiderationRequested",
        "ReconsiderationAnswered",
    ]  # fmt: skip
    steps = [d["step"] for d in answered["deadlines"]]
    assert sorted(steps) == sorted(
        ["approval", "sending", "forwarding", "decision", "reconsideration_request",
         "reconsideration"]
    )  # fmt: skip
    assert answered["breaches"] == []


async def test_a_coordinator_reads_every_transfer_but_takes_no_step(
    api: Api, agencies: None
) -> None:
    item = await reported(api)
    assert await refused(api, APPROVE, "coordinator", None, id=item)
    assert await refused(api, REPORT, "coordinator", None, input=FRAUD)
    seen = (await api.gql(ONE, "coordinator", None, id=item))["caseTransfer"]
    assert seen["id"] == item and seen["history"][0]["type"] == "Reported"


async def test_an_unrelated_agency_cannot_see_a_transfer(api: Api, agencies: None) -> None:
    item = await reported(api)
    assert (await api.gql(ONE, "liaison", MARKET, id=item))["caseTransfer"] is None
    assert (await api.gql(ONE, "liaison", POLICE, id=item))["caseTransfer"]["id"] == item


async def test_a_step_the_state_does_not_allow_is_refused_naming_the_state(
    api: Api, agencies: None
) -> None:
    item = await reported(api)
    result = await run(api, SEND, "investigator", HEALTH, id=item)
    assert result["__typename"] == "InvalidTransition"
    assert result["currentState"] == "REPORTED"
    assert "待审批状态下不能移送" in result["message"]


async def test_the_head_declines_with_reasons_and_nothing_more_can_happen(
    api: Api, agencies: None
) -> None:
    item = await reported(api)
    assert await refused(api, DECLINE, "agency_head", POLICE, id=item, reason="x")
    declined = await changed(api, DECLINE, "agency_head", HEALTH, id=item, reason="尚不构成犯罪")
    assert (declined["status"], declined["outcome"]) == ("DECLINED", "尚不构成犯罪")
    result = await run(api, SEND, "investigator", HEALTH, id=item)
    assert result["currentState"] == "DECLINED"


async def test_the_police_forward_and_only_the_competent_police_then_decide(
    api: Api, agencies: None
) -> None:
    item = await at_police(api)
    assert await refused(
        api, FORWARD, "investigator", HEALTH, id=item, police=CITY_POLICE, reason="x"
    )
    forwarded = await changed(
        api, FORWARD, "liaison", POLICE, id=item, police=CITY_POLICE, reason="属市局管辖"
    )
    assert (forwarded["status"], forwarded["receiver"]["name"]) == ("FORWARDED", CITY_POLICE)
    assert await refused(api, RECEIVE, "liaison", POLICE, id=item)
    await changed(api, RECEIVE, "liaison", CITY_POLICE, id=item)
    assert await refused(api, FILE, "liaison", POLICE, id=item, number="x")
    filed = await changed(api, FILE, "liaison", CITY_POLICE, id=item, number="市公刑立〔2026〕3号")
    assert (filed["status"], filed["criminalCaseNumber"]) == ("FILED", "市公刑立〔2026〕3号")
    # The first police agency still sees the transfer it handled.
    assert (await api.gql(ONE, "liaison", POLICE, id=item))["caseTransfer"]["status"] == "FILED"


async def test_the_procuratorate_supervises_and_orders_the_police_to_file(
    api: Api, agencies: None
) -> None:
    item = await refused_by_police(api)
    assert await refused(api, SUPERVISE, "liaison", POLICE, id=item, to=PROCURATORATE, reason="x")
    asked = await changed(
        api, SUPERVISE, "investigator", HEALTH, id=item, to=PROCURATORATE, reason="应当立案"
    )
    assert asked["status"] == "UNDER_SUPERVISION"
    assert asked["procuratorate"]["name"] == PROCURATORATE
    opinion = "不立案理由不成立"
    assert await refused(
        api, CONCLUDE, "liaison", POLICE, id=item, outcome="FILING_ORDERED", opinion=opinion
    )
    ordered = await changed(
        api, CONCLUDE, "liaison", PROCURATORATE, id=item, outcome="FILING_ORDERED", opinion=opinion
    )
    assert ordered["status"] == "FILING_ORDERED"
    filed = await changed(api, FILE, "liaison", POLICE, id=item, number="县公刑立〔2026〕9号")
    assert filed["status"] == "FILED"


async def test_a_supervision_outcome_before_any_request_names_the_state(
    api: Api, agencies: None
) -> None:
    item = await refused_by_police(api)
    result = await run(
        api, CONCLUDE, "liaison", PROCURATORATE, id=item, outcome="FILING_ORDERED", opinion="x"
    )
    assert (result["__typename"], result["currentState"]) == ("InvalidTransition", "REFUSED")


async def test_a_late_step_puts_the_statutory_breach_on_record(
    api: Api, agencies: None, app: RectifyApp
) -> None:
    # Reported a month ago: the head's 3-day period has run out, holidays or not.
    item = app.report_case_transfer(
        agency_id(HEALTH), agency_id(POLICE), "虚构病历骗保", actor="执法员",
        at=datetime.now(UTC) - timedelta(days=30),
    ).id  # fmt: skip
    approved = await changed(api, APPROVE, "agency_head", HEALTH, id=str(item))
    [breach] = approved["breaches"]
    assert breach["step"] == "approval" and breach["addressee"] == "行政执法机关负责人"
    assert approved["history"][1]["type"] == "StatutoryBreachRecorded"
    breached = await api.gql(LIST, "coordinator", None, first=10, filter={"breached": True})
    assert [e["node"]["id"] for e in breached["caseTransfers"]["edges"]] == [str(item)]


async def test_each_agency_lists_only_the_transfers_it_is_party_to(
    api: Api, agencies: None
) -> None:
    first = await reported(api)
    second = await reported(api)
    sent = await changed(
        api, TO_DISCIPLINE, "investigator", MARKET,
        input={"commission": COMMISSION, "person": "某公立医院院长", "category": "BOTH",
               "facts": "收受医疗器械回扣"},
    )  # fmt: skip
    expected = {
        HEALTH: {first, second},
        POLICE: {first, second},
        MARKET: {sent["id"]},
        COMMISSION: {sent["id"]},
        INSURANCE: set(),
    }
    for agency, ids in expected.items():
        found = (await api.gql(LIST, "liaison", agency, first=50))["caseTransfers"]
        assert {e["node"]["id"] for e in found["edges"]} == ids, agency
    page = (await api.gql(LIST, "coordinator", None, first=2))["caseTransfers"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = (await api.gql(LIST, "coordinator", None, first=2, after=page["pageInfo"]["endCursor"]))[
        "caseTransfers"
    ]
    assert [e["node"]["kind"] for e in rest["edges"]] == ["DISCIPLINE"]
    criminal = (await api.gql(LIST, "auditor", None, first=50, filter={"kind": "CRIMINAL"}))[
        "caseTransfers"
    ]
    assert criminal["totalCount"] == 2


async def test_a_discipline_transfer_is_received_and_decided_by_the_commission_only(
    api: Api, agencies: None
) -> None:
    sent = await changed(
        api, TO_DISCIPLINE, "investigator", HEALTH,
        input={"commission": COMMISSION, "person": "某卫生院院长（党员）",
               "category": "PARTY_MEMBER", "facts": "收受药品回扣"},
    )  # fmt: skip
    item = sent["id"]
    assert (sent["kind"], sent["status"], sent["receiver"]["name"]) == (
        "DISCIPLINE", "SENT", COMMISSION,
    )  # fmt: skip
    assert await refused(api, DISCIPLINE_RECEIVE, "liaison", HEALTH, id=item)
    assert await refused(api, DISCIPLINE_RECEIVE, "liaison", POLICE, id=item)
    await changed(api, DISCIPLINE_RECEIVE, "liaison", COMMISSION, id=item)
    assert await refused(api, DISCIPLINE_DECIDE, "liaison", HEALTH, id=item, outcome="OPENED")
    decided = await changed(
        api, DISCIPLINE_DECIDE, "liaison", COMMISSION, id=item, outcome="OPENED",
        detail="立案审查调查",
    )  # fmt: skip
    assert (decided["status"], decided["statusLabel"]) == ("DECIDED", "已处置")
    assert (await api.gql(ONE, "liaison", INSURANCE, id=item))["caseTransfer"] is None


async def test_an_agency_head_token_says_who_it_is(api: Api) -> None:
    me = (await api.gql("{ me { role agency { name } } }", "agency_head", HEALTH))["me"]
    assert me == {"role": "AGENCY_HEAD", "agency": {"name": HEALTH}}


async def test_an_investigator_reads_only_referrals_of_its_own_agency(api: Api) -> None:
    # The staff roles added for transfers are scoped like liaisons everywhere they read.
    sent = await api.gql(
        "mutation($input: SendReferralInput!) { sendReferral(input: $input) {"
        " ... on ReferralChanged { referral { id } } } }",
        "liaison",
        MARKET,
        input={"receiver": HEALTH, "reason": "美容院开展医疗美容"},
    )
    item = sent["sendReferral"]["referral"]["id"]
    one = "query($id: ID!) { referral(id: $id) { id } }"
    assert (await api.gql(one, "investigator", INSURANCE, id=item))["referral"] is None
    assert (await api.gql(one, "agency_head", HEALTH, id=item))["referral"] == {"id": item}


DUES = """query($id: ID!) { caseTransfer(id: $id) { dueAt reportedAt deadlines { step due }
    history { at summary } } }"""


async def test_statutory_dues_are_in_china_time_to_the_second_and_written_as_a_days_end(
    api: Api, agencies: None
) -> None:
    item = await at_police(api)  # the decision (3 days) and forwarding (24 hours) clocks run

    read = (await api.gql(DUES, "investigator", HEALTH, id=item))["caseTransfer"]
    instants = [read["dueAt"], read["reportedAt"], *(d["due"] for d in read["deadlines"])]
    instants += [h["at"] for h in read["history"]]
    lines = " ".join(h["summary"] for h in read["history"])
    decision = datetime.fromisoformat(
        next(d["due"] for d in read["deadlines"] if d["step"] == "decision")
    )

    assert all(i.endswith("+08:00") and "." not in i for i in instants), instants
    assert decision.time() == datetime.min.time()  # the end of the day before
    assert (
        f"须于{(decision - timedelta(days=1)).date().isoformat()}日终前作出是否立案的决定" in lines
    )
    assert "00:00前" not in lines
