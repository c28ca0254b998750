"""Referrals through GraphQL with one token per agency: each step, each agency's queue,
and the refusals of a wrong agency, typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.application import RectifyApp
from domain.clocks import Period, due_at
from domain.names import agency_id
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    issue,
    projection_thread,
    token,
)

FIXTURES = (api, projection_thread)
POLICE = "县公安局"

RESULT = """
  __typename
  ... on ReferralChanged { position referral { id status statusLabel round claimedBy
      receiver { name } sender { name } claimDue answerDue outcome caseNumber
      history { type actor summary } children { id status receiver { name } } } }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on AlreadyClaimed { message currentState agencyName claimedBy }
  ... on InvalidInput { message field }
  ... on NotFound { message }
  ... on Conflict { message }
"""


def mutation(name: str, signature: str, arguments: str) -> str:
    return f"mutation({signature}) {{ result: {name}({arguments}) {{ {RESULT} }} }}"


SEND = mutation("sendReferral", "$input: SendReferralInput!", "input: $input")
CLAIM = mutation("claimReferral", "$id: ID!", "referralId: $id")
RETURN = mutation(
    "returnReferral",
    "$id: ID!, $reason: ReturnReason!, $detail: String",
    "referralId: $id, reason: $reason, detail: $detail",
)
ANSWER = mutation(
    "answerReferral",
    "$id: ID!, $outcome: String!",
    'referralId: $id, outcome: $outcome, measures: ["责令停业"], penalties: "罚款5万元",'
    ' caseNumber: "卫医罚〔2026〕7号"',
)
ACCEPT = mutation("acceptReferral", "$id: ID!", 'referralId: $id, comment: "同意"')
SEND_BACK = mutation(
    "sendBackReferral", "$id: ID!, $reason: String!", "referralId: $id, reason: $reason"
)
REASSIGN = mutation(
    "reassignReferral",
    "$id: ID!, $to: ID!, $reason: String!",
    "referralId: $id, agency: $to, reason: $reason",
)
QUEUE = """query($filter: ReferralQueueFilter, $first: Int!, $after: String) {
  referralQueue(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id reason status receiver { name } overdue } }
    pageInfo { hasNextPage endCursor } } }"""
ONE = "query($id: ID!) { referral(id: $id) { id status history { type summary } } }"


async def run(
    api: Api, query: str, role: str = "liaison", agency: str | None = None, **variables: Any
) -> dict[str, Any]:
    result: dict[str, Any] = (await api.gql(query, role, agency, **variables))["result"]
    return result


async def send(api: Api, sender: str, receiver: str, reason: str = "美容院开展医疗美容") -> str:
    sent = await run(api, SEND, agency=sender, input={"receiver": receiver, "reason": reason})
    assert sent["__typename"] == "ReferralChanged", sent
    return str(sent["referral"]["id"])


async def test_liaison_sends_and_the_receiver_claims_answers_and_the_sender_accepts(
    api: Api,
) -> None:
    item = await send(api, MARKET, HEALTH)
    claimed = await run(api, CLAIM, agency=HEALTH, id=item)
    assert claimed["referral"]["status"] == "CLAIMED"
    assert claimed["referral"]["answerDue"] is not None
    answered = await run(api, ANSWER, agency=HEALTH, id=item, outcome="已立案查处")
    assert answered["referral"]["status"] == "ANSWERED"
    assert answered["referral"]["caseNumber"] == "卫医罚〔2026〕7号"
    accepted = await run(api, ACCEPT, agency=MARKET, id=item)
    referral = accepted["referral"]
    assert referral["status"] == "ACCEPTED" and referral["statusLabel"] == "已办结"
    assert [h["type"] for h in referral["history"]] == ["Sent", "Claimed", "Answered", "Accepted"]


async def test_sender_sends_an_answer_back_and_the_receiver_answers_again(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    await run(api, ANSWER, agency=HEALTH, id=item, outcome="已查处")
    back = await run(api, SEND_BACK, agency=MARKET, id=item, reason="未附处罚决定书")
    assert back["referral"]["status"] == "CLAIMED"
    again = await run(api, ANSWER, agency=HEALTH, id=item, outcome="已补充处罚决定书")
    assert again["referral"]["status"] == "ANSWERED"


async def test_claim_by_a_wrong_agency_is_refused(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    refused = await run(api, CLAIM, agency=INSURANCE, id=item)
    assert refused["__typename"] == "NotAllowed"
    assert "县卫健局" in refused["message"]


async def test_claim_by_a_coordinator_is_refused(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    refused = await run(api, CLAIM, role="coordinator", id=item)
    assert refused["__typename"] == "NotAllowed"


async def test_answer_by_a_wrong_agency_is_refused(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    refused = await run(api, ANSWER, agency=INSURANCE, id=item, outcome="越权反馈")
    assert refused["__typename"] == "NotAllowed"


async def test_return_by_a_wrong_agency_is_refused(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    refused = await run(api, RETURN, agency=MARKET, id=item, reason="NOT_OUR_REMIT")
    assert refused["__typename"] == "NotAllowed"


async def test_accept_by_the_receiver_is_refused(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    await run(api, ANSWER, agency=HEALTH, id=item, outcome="已查处")
    refused = await run(api, ACCEPT, agency=HEALTH, id=item)
    assert refused["__typename"] == "NotAllowed"


async def test_second_claim_is_refused_as_already_claimed_naming_the_agency(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    refused = await run(api, CLAIM, agency=HEALTH, id=item)
    assert refused["__typename"] == "AlreadyClaimed"
    assert refused["agencyName"] == HEALTH and refused["currentState"] == "CLAIMED"
    assert refused["message"].startswith(f"已被{HEALTH}签收 / already claimed by {HEALTH}")


async def test_answer_before_claiming_is_refused_naming_the_state(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    refused = await run(api, ANSWER, agency=HEALTH, id=item, outcome="已查处")
    assert refused["__typename"] == "InvalidTransition"
    assert refused["currentState"] == "SENT"


async def test_returned_referral_is_reassigned_by_the_coordinator_and_keeps_both_agencies(
    api: Api,
) -> None:
    item = await send(api, MARKET, HEALTH)
    returned = await run(
        api, RETURN, agency=HEALTH, id=item, reason="NOT_OUR_REMIT", detail="涉及医保基金"
    )
    assert returned["referral"]["status"] == "RETURNED"
    refused = await run(api, REASSIGN, agency=MARKET, id=item, to=INSURANCE, reason="x")
    assert refused["__typename"] == "NotAllowed"
    moved = await run(
        api, REASSIGN, role="coordinator", id=item, to=INSURANCE, reason="医保基金问题"
    )
    referral = moved["referral"]
    assert referral["status"] == "SENT" and referral["round"] == 2
    assert referral["receiver"]["name"] == INSURANCE
    summaries = " ".join(h["summary"] for h in referral["history"])
    assert HEALTH in summaries and INSURANCE in summaries
    claimed = await run(api, CLAIM, agency=INSURANCE, id=item)
    assert claimed["referral"]["status"] == "CLAIMED"
    # The former receiver no longer speaks for it.
    assert (await run(api, CLAIM, agency=HEALTH, id=item))["__typename"] == "NotAllowed"


async def test_each_agency_queue_holds_exactly_its_own_referrals(api: Api, app: RectifyApp) -> None:
    app.register_agency(POLICE, actor="admin")
    to_health = await send(api, MARKET, HEALTH, "医疗美容")
    to_insurance = await send(api, HEALTH, INSURANCE, "骗保")
    to_police = await send(api, HEALTH, POLICE, "涉嫌非法行医")
    expected = {
        HEALTH: {to_health},
        INSURANCE: {to_insurance},
        POLICE: {to_police},
        MARKET: set(),
    }
    for agency, ids in expected.items():
        queue = (await api.gql(QUEUE, "liaison", agency, first=50))["referralQueue"]
        assert {e["node"]["id"] for e in queue["edges"]} == ids, agency
        assert queue["totalCount"] == len(ids)
    outgoing = (
        await api.gql(QUEUE, "liaison", HEALTH, first=50, filter={"direction": "OUTGOING"})
    )["referralQueue"]
    assert {e["node"]["id"] for e in outgoing["edges"]} == {to_insurance, to_police}
    everything = (await api.gql(QUEUE, "coordinator", first=50))["referralQueue"]
    assert everything["totalCount"] == 3


async def test_a_liaison_asking_for_another_agency_queue_is_refused(api: Api) -> None:
    """Not answered with its own queue either: "0 for 县卫健局" would be a false figure."""
    await send(api, MARKET, HEALTH)
    response = await api.client.post(
        "/graphql",
        json={"query": QUEUE, "variables": {"first": 50, "filter": {"agency": HEALTH}}},
        headers={"Authorization": f"Bearer {token('liaison', INSURANCE)}"},
    )
    body = response.json()
    assert body["data"] is None or body["data"]["referralQueue"] is None
    assert "only your own agency's queue" in body["errors"][0]["message"]
    own = {"agency": INSURANCE}
    mine = (await api.gql(QUEUE, "liaison", INSURANCE, first=50, filter=own))["referralQueue"]
    assert mine["totalCount"] == 0


async def test_queue_pages_with_a_cursor(api: Api) -> None:
    sent = [await send(api, MARKET, HEALTH, f"线索{n}") for n in range(3)]
    first = (await api.gql(QUEUE, "liaison", HEALTH, first=2))["referralQueue"]
    assert [e["node"]["id"] for e in first["edges"]] == sent[:2]
    assert first["pageInfo"]["hasNextPage"]
    rest = (await api.gql(QUEUE, "liaison", HEALTH, first=2, after=first["pageInfo"]["endCursor"]))[
        "referralQueue"
    ]
    assert [e["node"]["id"] for e in rest["edges"]] == sent[2:]
    assert not rest["pageInfo"]["hasNextPage"]


async def test_queue_filters_by_status(api: Api) -> None:
    claimed = await send(api, MARKET, HEALTH, "一")
    waiting = await send(api, MARKET, HEALTH, "二")
    await run(api, CLAIM, agency=HEALTH, id=claimed)
    queue = (await api.gql(QUEUE, "liaison", HEALTH, first=50, filter={"status": "SENT"}))[
        "referralQueue"
    ]
    assert [e["node"]["id"] for e in queue["edges"]] == [waiting]
    none_overdue = (await api.gql(QUEUE, "liaison", HEALTH, first=50, filter={"overdue": True}))[
        "referralQueue"
    ]
    assert none_overdue["totalCount"] == 0


async def test_referral_of_other_agencies_is_hidden_from_an_unrelated_liaison(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    assert (await api.gql(ONE, "liaison", INSURANCE, id=item))["referral"] is None
    seen = (await api.gql(ONE, "liaison", MARKET, id=item))["referral"]
    assert seen["id"] == item and seen["history"][0]["type"] == "Sent"


async def test_referral_to_a_group_fans_out_one_child_per_member(api: Api, app: RectifyApp) -> None:
    group = app.register_agency("综合监管各成员单位", actor="admin").id
    app.add_group_member(group, agency_id(HEALTH), "admin")
    app.add_group_member(group, agency_id(INSURANCE), "admin")
    sent = await run(
        api, SEND, agency=MARKET, input={"receiver": "综合监管各成员单位", "reason": "联合检查"}
    )
    parent = sent["referral"]
    assert parent["status"] == "DISPATCHED"
    assert sorted(c["receiver"]["name"] for c in parent["children"]) == sorted([HEALTH, INSURANCE])
    refused = await run(api, CLAIM, agency=HEALTH, id=parent["id"])
    assert refused["__typename"] == "NotAllowed"  # the group itself is nobody's to claim
    for child in parent["children"]:
        agency = child["receiver"]["name"]
        await run(api, CLAIM, agency=agency, id=child["id"])
        await run(api, ANSWER, agency=agency, id=child["id"], outcome="已查处")
    shown = (await api.gql(ONE, "liaison", MARKET, id=parent["id"]))["referral"]
    assert shown["status"] == "ANSWERED"


async def test_send_for_another_agency_by_a_liaison_is_refused(api: Api) -> None:
    refused = await run(
        api,
        SEND,
        agency=MARKET,
        input={"receiver": HEALTH, "reason": "x", "sender": str(agency_id(INSURANCE))},
    )
    assert refused["__typename"] == "NotAllowed"


async def test_a_liaison_may_name_its_own_agency_as_sender_by_name(api: Api) -> None:
    sent = await run(
        api, SEND, agency=MARKET, input={"receiver": HEALTH, "reason": "x", "sender": MARKET}
    )
    assert sent["__typename"] == "ReferralChanged", sent


async def test_a_liaison_naming_another_agency_by_name_is_refused(api: Api) -> None:
    refused = await run(
        api, SEND, agency=MARKET, input={"receiver": HEALTH, "reason": "x", "sender": INSURANCE}
    )
    assert refused["__typename"] == "NotAllowed"


async def test_send_to_an_unknown_agency_is_refused_naming_the_field(api: Api) -> None:
    refused = await run(api, SEND, agency=MARKET, input={"receiver": "不存在局", "reason": "x"})
    assert refused["__typename"] == "InvalidInput"


TERMS = """mutation($campaign: ID!, $claim: Int!, $answer: Int!) {
  result: setReferralTerms(campaign: $campaign, claimDays: $claim, answerDays: $answer) {
    __typename ... on ReferralTerms { claimDays answerDays }
    ... on NotAllowed { message } ... on InvalidInput { field } } }"""


async def test_coordinator_sets_campaign_terms_that_new_referrals_carry(
    api: Api, app: RectifyApp
) -> None:
    set_ = await run(api, TERMS, role="coordinator", campaign=CAMPAIGN, claim=5, answer=10)
    assert set_ == {"__typename": "ReferralTerms", "claimDays": 5, "answerDays": 10}
    sent = await run(
        api, SEND, agency=MARKET, input={"receiver": HEALTH, "reason": "x", "campaign": CAMPAIGN}
    )
    referral = app.get_referral(UUID(sent["referral"]["id"]))
    assert (referral.claim_days, referral.answer_days) == (5, 10)


async def test_terms_set_by_a_liaison_are_refused(api: Api) -> None:
    refused = await run(api, TERMS, agency=HEALTH, campaign=CAMPAIGN, claim=5, answer=10)
    assert refused["__typename"] == "NotAllowed"


async def test_terms_out_of_range_are_refused_naming_the_field(api: Api) -> None:
    refused = await run(api, TERMS, role="coordinator", campaign=CAMPAIGN, claim=3, answer=0)
    assert refused == {"__typename": "InvalidInput", "field": "answerDays"}


async def test_queue_filters_overdue_and_due_soon_from_the_due_instants(
    api: Api, app: RectifyApp
) -> None:
    market, health = agency_id(MARKET), agency_id(HEALTH)
    now = datetime.now(UTC)
    calendar = app.referral_calendar(range(now.year - 1, now.year + 2))
    # A send date whose 3-working-day claim clock ends within the next two days.
    soon_at = next(
        at
        for at in (now - timedelta(days=k) for k in range(1, 15))
        if now < due_at(calendar, at, Period.working_days(3)) <= now + timedelta(days=2)
    )
    old = app.send_referral(market, health, "旧", actor="t", at=datetime(2020, 3, 2, tzinfo=UTC))
    soon = app.send_referral(market, health, "将到期", actor="t", at=soon_at)
    await send(api, MARKET, HEALTH, "新")  # read back through the API: the projection is there

    async def ids(**filter: bool) -> list[str]:
        queue = (await api.gql(QUEUE, "liaison", HEALTH, first=50, filter=filter))["referralQueue"]
        return [e["node"]["id"] for e in queue["edges"]]

    assert await ids(overdue=True) == [str(old.id)]
    assert await ids(dueSoon=True) == [str(soon.id)]
    assert len(await ids(overdue=False, dueSoon=False)) == 1


def _linking(kind: str, subject: str, **more: str) -> dict[str, Any]:
    return {"receiver": INSURANCE, "reason": "请协查", "subjectKind": kind,
            "subjectId": subject, **more}  # fmt: skip


async def test_a_referral_linked_to_an_issue_the_sender_leads_is_sent(api: Api) -> None:
    sent = await run(api, SEND, agency=HEALTH, input=_linking("issue", issue("1")))
    assert sent["__typename"] == "ReferralChanged"


async def test_a_referral_linked_to_nothing_is_refused_naming_subject_id(api: Api) -> None:
    for kind in ("clue", "issue", "case"):
        refused = await run(api, SEND, agency=HEALTH, input=_linking(kind, str(uuid4())))
        assert (refused["__typename"], refused["field"]) == ("InvalidInput", "subjectId")


async def test_a_referral_linked_to_another_agencys_issue_or_clue_is_not_allowed(
    api: Api,
) -> None:
    received = await api.gql(
        'mutation { receiveClue(input: {channel: LETTER, content: "收受红包",'
        ' institution: "县医院"}) { ... on ClueChanged { clue { id } } } }',
        "liaison",
        HEALTH,
    )
    clue = received["receiveClue"]["clue"]["id"]
    for kind, subject in (("issue", issue("1")), ("clue", clue)):  # 县市场监管局 has no part
        refused = await run(api, SEND, agency=MARKET, input=_linking(kind, subject))
        assert refused["__typename"] == "NotAllowed" and "subjectId" in refused["message"]
    office = await run(api, SEND, "coordinator", None, input=_linking("clue", clue, sender=MARKET))
    assert office["__typename"] == "ReferralChanged"  # the leading group office may link any


async def test_a_liaison_returns_a_referral_it_claimed_by_mistake_saying_why(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    returned = await run(
        api, RETURN, agency=HEALTH, id=item, reason="NEEDS_ANOTHER_AGENCY", detail="误签收，属医保"
    )
    referral = returned["referral"]
    assert referral["status"] == "RETURNED" and referral["answerDue"] is None
    last = referral["history"][-1]
    assert last["type"] == "Returned" and last["actor"] == f"liaison-user（{HEALTH}）"
    assert last["summary"] == (
        f"{HEALTH}签收后退回（需其他单位办理）：误签收，属医保；签收人：liaison-user（{HEALTH}）"
    )


async def test_a_return_after_claiming_without_a_detail_is_refused_naming_detail(
    api: Api,
) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    refused = await run(api, RETURN, agency=HEALTH, id=item, reason="NOT_OUR_REMIT", detail="")
    assert refused["__typename"] == "InvalidInput" and refused["field"] == "detail"
    assert "签收后退回须说明理由 / a return after claiming needs a detail" in refused["message"]


async def test_a_claimed_referral_is_returned_only_by_its_receiver(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    for role, agency in (("liaison", INSURANCE), ("liaison", MARKET), ("coordinator", None)):
        refused = await run(
            api, RETURN, role=role, agency=agency, id=item, reason="OTHER", detail="误签收"
        )
        assert refused["__typename"] == "NotAllowed", (role, agency)


async def test_an_answered_referral_cannot_be_returned_naming_the_state(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    await run(api, ANSWER, agency=HEALTH, id=item, outcome="已查处")
    refused = await run(api, RETURN, agency=HEALTH, id=item, reason="OTHER", detail="误签收")
    assert refused["__typename"] == "InvalidTransition"
    assert refused["currentState"] == "ANSWERED"


async def test_the_office_reassigns_a_referral_returned_after_claiming_and_the_new_receiver_answers(
    api: Api,
) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    await run(api, RETURN, agency=HEALTH, id=item, reason="NOT_OUR_REMIT", detail="误签收")
    moved = await run(
        api, REASSIGN, role="coordinator", id=item, to=INSURANCE, reason="涉及医保基金"
    )
    referral = moved["referral"]
    assert referral["status"] == "SENT" and referral["round"] == 2
    assert referral["claimedBy"] == "" and referral["answerDue"] is None
    assert referral["claimDue"] is not None
    assert (await run(api, ANSWER, agency=HEALTH, id=item, outcome="x"))["__typename"] == (
        "NotAllowed"
    )
    await run(api, CLAIM, agency=INSURANCE, id=item)
    answered = await run(api, ANSWER, agency=INSURANCE, id=item, outcome="已追回医保基金")
    assert answered["referral"]["status"] == "ANSWERED"
    types = [h["type"] for h in answered["referral"]["history"]]
    assert types == ["Sent", "Claimed", "Returned", "Reassigned", "Claimed", "Answered"]


async def test_the_office_takes_a_claimed_referral_from_its_receiver(api: Api) -> None:
    item = await send(api, MARKET, HEALTH)
    await run(api, CLAIM, agency=HEALTH, id=item)
    refused = await run(api, REASSIGN, agency=HEALTH, id=item, to=INSURANCE, reason="x")
    assert refused["__typename"] == "NotAllowed"
    moved = await run(
        api, REASSIGN, role="coordinator", id=item, to=INSURANCE, reason="卫健局无执法权"
    )
    referral = moved["referral"]
    assert referral["status"] == "SENT" and referral["receiver"]["name"] == INSURANCE
    assert "卫健局无执法权" in referral["history"][-1]["summary"]
