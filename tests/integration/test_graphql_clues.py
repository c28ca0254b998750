"""Clues through GraphQL with one token per agency and role: intake, triage, reply, and the
reporter's identity, which only the handling agency's investigators see, each time recorded."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.integration.api_fixtures import (
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    projection_thread,
)

FIXTURES = (api, projection_thread)
PROTECTED = "受保护 / protected"
PHONE, ID_NUMBER, NAME = "13987654321", "440301197707071234", "实名举报人孙七"

CLUE_FIELDS = """id status statusLabel channel institution content triageNote replyDue repliedAt
  reporter { anonymous realName display } revealCount referralId
  receivingAgency { name } handlingAgency { name } history { type actor summary }"""
RESULT = f"""
  __typename
  ... on ClueChanged {{ position clue {{ {CLUE_FIELDS} }} }}
  ... on NotAllowed {{ message }}
  ... on InvalidTransition {{ message currentState }}
  ... on InvalidInput {{ message field }}
  ... on NotFound {{ message }}
  ... on Conflict {{ message }}
"""
RECEIVE = f"""mutation($input: ReceiveClueInput!) {{ result: receiveClue(input: $input) {{
  {RESULT} }} }}"""
HANDLE = (
    f'mutation($id: ID!) {{ result: handleClue(clueId: $id, note: "立案调查") {{ {RESULT} }} }}'
)
DISMISS = f"""mutation($id: ID!, $reason: String!) {{
  result: dismissClue(clueId: $id, reason: $reason) {{ {RESULT} }} }}"""
REFER = f"""mutation($id: ID!, $to: ID!) {{
  result: referClue(clueId: $id, receiver: $to, reason: "涉嫌骗取医保基金") {{ {RESULT} }} }}"""
REPLY = f"""mutation($id: ID!) {{
  result: replyToReporter(clueId: $id, text: "已受理并移送查处", channel: "电话") {{
  {RESULT} }} }}"""
REVEAL = """mutation($id: ID!, $reason: String!) {
  result: revealReporter(clueId: $id, reason: $reason) {
  __typename
  ... on RevealedReporter { name phone idNumber address position }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on InvalidInput { message field } } }"""
ONE = f"query($id: ID!) {{ clue(id: $id) {{ {CLUE_FIELDS} }} }}"
LIST = """query($first: Int!, $after: String) { clues(first: $first, after: $after) {
  totalCount edges { cursor node { id reporter { display } } }
  pageInfo { hasNextPage endCursor } } }"""
REVEALS = """query($id: ID) { clueReveals(clueId: $id) { clueId actor reason agency { name } } }"""


async def run(
    api: Api, query: str, role: str = "liaison", agency: str | None = HEALTH, **variables: Any
) -> dict[str, Any]:
    return (await api.gql(query, role, agency, **variables))["result"]  # type: ignore[no-any-return]


async def receive(api: Api, real_name: bool = True) -> dict[str, Any]:
    reporter = {"name": NAME, "phone": PHONE, "idNumber": ID_NUMBER, "address": "某县某路2号"}
    result = await run(
        api,
        RECEIVE,
        input={
            "channel": "HOTLINE_12320",
            "institution": "某美容院",
            "content": "无证开展医疗美容，并以医保卡结算",
            "reporter": reporter if real_name else None,
            "realName": real_name,
        },
    )
    assert result["__typename"] == "ClueChanged", result
    clue: dict[str, Any] = result["clue"]
    return clue


def assert_no_identity(payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for secret in (PHONE, ID_NUMBER, NAME):
        assert secret not in text


async def test_liaison_receives_a_real_name_clue_shown_as_protected(api: Api) -> None:
    clue = await receive(api)
    assert clue["status"] == "RECEIVED" and clue["replyDue"] is not None
    assert clue["reporter"] == {
        "anonymous": False,
        "realName": True,
        "display": "受保护 / protected",
    }
    assert clue["receivingAgency"]["name"] == HEALTH
    assert [h["type"] for h in clue["history"]] == ["Received"]
    assert_no_identity(clue)


async def test_leadership_and_auditors_see_the_reporter_protected(api: Api) -> None:
    clue = await receive(api)
    for role in ("leadership", "auditor", "coordinator"):
        data = await api.gql(ONE, role, None, id=clue["id"])
        assert data["clue"]["reporter"]["display"] == "受保护 / protected"
        assert_no_identity(data)
        listed = await api.gql(LIST, role, None, first=10)
        assert listed["clues"]["totalCount"] == 1
        assert_no_identity(listed)


async def test_another_agency_neither_sees_the_clue_nor_its_reporter(api: Api) -> None:
    clue = await receive(api)
    data = await api.gql(ONE, "liaison", MARKET, id=clue["id"])
    assert data["clue"] is None
    listed = await api.gql(LIST, "liaison", MARKET, first=10)
    assert listed["clues"]["totalCount"] == 0
    refused = await run(api, REVEAL, "investigator", MARKET, id=clue["id"], reason="好奇")
    assert refused["__typename"] == "NotAllowed"
    assert_no_identity(refused)


async def test_another_agency_may_not_triage(api: Api) -> None:
    clue = await receive(api)
    refused = await run(api, DISMISS, "liaison", MARKET, id=clue["id"], reason="不属实")
    assert refused["__typename"] == "NotAllowed"


async def test_investigator_of_the_handling_agency_reveals_with_a_recorded_reason(api: Api) -> None:
    clue = await receive(api)
    revealed = await run(
        api, REVEAL, "investigator", HEALTH, id=clue["id"], reason="需联系举报人补充证据"
    )
    assert revealed["__typename"] == "RevealedReporter"
    assert (revealed["phone"], revealed["idNumber"], revealed["name"]) == (PHONE, ID_NUMBER, NAME)
    after = await api.gql(ONE, "liaison", HEALTH, id=clue["id"])
    assert after["clue"]["revealCount"] == 1
    assert after["clue"]["history"][-1]["type"] == "ReporterRevealed"
    assert "需联系举报人补充证据" in after["clue"]["history"][-1]["summary"]
    assert_no_identity(after)
    reveals = await api.gql(REVEALS, "auditor", None, id=clue["id"])
    assert [(r["reason"], r["agency"]["name"]) for r in reveals["clueReveals"]] == [
        ("需联系举报人补充证据", HEALTH)
    ]


async def test_liaison_may_not_reveal(api: Api) -> None:
    clue = await receive(api)
    refused = await run(api, REVEAL, "liaison", HEALTH, id=clue["id"], reason="核实")
    assert refused["__typename"] == "NotAllowed"


async def test_leadership_may_not_reveal(api: Api) -> None:
    clue = await receive(api)
    refused = await run(api, REVEAL, "leadership", None, id=clue["id"], reason="核实")
    assert refused["__typename"] == "NotAllowed"


async def test_reveal_without_a_reason_is_refused(api: Api) -> None:
    clue = await receive(api)
    refused = await run(api, REVEAL, "investigator", HEALTH, id=clue["id"], reason=" ")
    assert refused["__typename"] == "InvalidInput" and refused["field"] == "reason"


async def test_liaison_may_not_list_reveals(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": REVEALS, "variables": {"id": None}},
        headers={"Authorization": "Bearer " + _token("liaison", HEALTH)},
    )
    assert response.json()["errors"]


def _token(role: str, agency: str | None) -> str:
    from tests.integration.api_fixtures import token

    return token(role, agency)


async def test_referral_moves_the_reveal_to_the_receiving_agency(api: Api) -> None:
    clue = await receive(api)
    referred = await run(api, REFER, id=clue["id"], to=INSURANCE)
    assert referred["__typename"] == "ClueChanged"
    assert referred["clue"]["status"] == "REFERRED"
    assert referred["clue"]["handlingAgency"]["name"] == INSURANCE
    assert referred["clue"]["referralId"]
    queue = await api.gql(
        "{ referralQueue { edges { node { id reason } } } }", "liaison", INSURANCE
    )
    assert [e["node"]["id"] for e in queue["referralQueue"]["edges"]] == [
        referred["clue"]["referralId"]
    ]
    assert_no_identity(queue)
    sender = await run(api, REVEAL, "investigator", HEALTH, id=clue["id"], reason="核实")
    assert sender["__typename"] == "NotAllowed"
    receiver = await run(api, REVEAL, "investigator", INSURANCE, id=clue["id"], reason="查处骗保")
    assert receiver["__typename"] == "RevealedReporter" and receiver["phone"] == PHONE


async def test_triage_twice_is_refused_naming_the_state(api: Api) -> None:
    clue = await receive(api)
    assert (await run(api, HANDLE, id=clue["id"]))["clue"]["status"] == "HANDLING"
    refused = await run(api, DISMISS, id=clue["id"], reason="不属实")
    assert refused["__typename"] == "InvalidTransition"
    assert refused["currentState"] == "HANDLING"


async def test_reply_to_the_reporter_is_recorded(api: Api) -> None:
    clue = await receive(api)
    await run(api, HANDLE, id=clue["id"])
    replied = await run(api, REPLY, "investigator", HEALTH, id=clue["id"])
    assert replied["__typename"] == "ClueChanged" and replied["clue"]["repliedAt"]
    again = await run(api, REPLY, id=clue["id"])
    assert again["__typename"] == "InvalidTransition"


async def test_anonymous_clue_shows_as_anonymous(api: Api) -> None:
    clue = await receive(api, real_name=False)
    assert clue["reporter"] == {"anonymous": True, "realName": False, "display": "匿名 / anonymous"}
    assert clue["replyDue"] is None


async def test_clues_are_paged_in_the_order_received(api: Api) -> None:
    ids = [(await receive(api, real_name=False))["id"] for _ in range(3)]
    first = (await api.gql(LIST, "liaison", HEALTH, first=2))["clues"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[:2]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = await api.gql(LIST, "liaison", HEALTH, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["clues"]["edges"]] == ids[2:]
    assert not rest["clues"]["pageInfo"]["hasNextPage"]


async def test_logs_never_carry_the_identity(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clue = await receive(api)
    await run(api, REVEAL, "investigator", HEALTH, id=clue["id"], reason="核实")
    refused = await run(
        api,
        RECEIVE,
        input={"channel": "LETTER", "content": "x", "institution": "某院", "realName": True,
               "reporter": {"name": NAME, "idNumber": ID_NUMBER}},
    )  # fmt: skip
    assert refused["__typename"] == "InvalidInput"
    assert_no_identity(refused)
    # A phone sent as a number, inline and as a variable: GraphQL's coercion message quotes
    # it; the client is told the field, the log gets neither the value nor the message.
    inline = (
        'mutation { receiveClue(input: {channel: LETTER, content: "x", realName: true,'
        f' reporter: {{name: "{NAME}", phone: {PHONE}}}}}) {{ __typename }} }}'
    )
    variables = {
        "input": {"channel": "LETTER", "content": "x", "institution": "某院", "realName": True,
                  "reporter": {"name": NAME, "phone": int(PHONE), "idNumber": ID_NUMBER}}
    }  # fmt: skip
    for query, given, field in (
        (inline, {}, "input.reporter.phone"),
        (RECEIVE, variables, ".reporter.phone"),
    ):
        response = await api.client.post(
            "/graphql",
            json={"query": query, "variables": given},
            headers={"Authorization": "Bearer " + _token("liaison", HEALTH)},
        )
        (error,) = response.json()["errors"]
        assert field in error["message"] and "String cannot represent" in error["message"]
    assert "graphql request refused: invalid document in input.reporter.phone" in caplog.text
    assert "graphql request refused: invalid variable in $input.reporter.phone" in caplog.text
    assert caplog.records  # the API did log something to look through
    for secret in (PHONE, ID_NUMBER, NAME):
        assert secret not in caplog.text
    assert "cannot represent" not in caplog.text


REFERRAL_RESULT = """__typename ... on ReferralChanged { referral { id status receiver { name } } }
  ... on NotAllowed { message } ... on InvalidTransition { message currentState }"""
RETURN = f"""mutation($id: ID!) {{ result: returnReferral(referralId: $id, reason: NOT_OUR_REMIT)
  {{ {REFERRAL_RESULT} }} }}"""
REASSIGN = f"""mutation($id: ID!, $to: ID!) {{
  result: reassignReferral(referralId: $id, agency: $to, reason: "涉及医保基金")
  {{ {REFERRAL_RESULT} }} }}"""
CLAIM = f"mutation($id: ID!) {{ result: claimReferral(referralId: $id) {{ {REFERRAL_RESULT} }} }}"


async def test_a_reassigned_clue_referral_moves_the_reporter_to_the_new_agency(api: Api) -> None:
    clue = await receive(api)
    referred = await run(api, REFER, id=clue["id"], to=MARKET)  # 县卫健局 → 县市场监管局
    referral = referred["clue"]["referralId"]
    returned = await run(api, RETURN, "liaison", MARKET, id=referral)
    assert returned["referral"]["status"] == "RETURNED"

    # Returned: the returning agency loses the reporter at once; the clue is back with the
    # agency that received it until the leading group office reassigns it.
    assert (await run(api, REVEAL, "investigator", MARKET, id=clue["id"], reason="核实"))[
        "__typename"
    ] == "NotAllowed"
    back = await api.gql(ONE, "liaison", HEALTH, id=clue["id"])
    assert back["clue"]["handlingAgency"]["name"] == HEALTH

    reassigned = await run(api, REASSIGN, "coordinator", None, id=referral, to=INSURANCE)
    assert reassigned["referral"]["receiver"]["name"] == INSURANCE
    claimed = await run(api, CLAIM, "liaison", INSURANCE, id=referral)
    assert claimed["referral"]["status"] == "CLAIMED"

    revealed = await run(api, REVEAL, "investigator", INSURANCE, id=clue["id"], reason="查处骗保")
    assert revealed["__typename"] == "RevealedReporter" and revealed["phone"] == PHONE
    for agency in (MARKET, HEALTH):
        refused = await run(api, REVEAL, "investigator", agency, id=clue["id"], reason="核实")
        assert refused["__typename"] == "NotAllowed"
        assert_no_identity(refused)

    seen = (await api.gql(ONE, "liaison", INSURANCE, id=clue["id"]))["clue"]
    assert seen["handlingAgency"]["name"] == INSURANCE
    moves = [h for h in seen["history"] if h["type"] == "HandlerChanged"]
    assert [m["summary"] for m in moves] == [
        f"办理单位改为{HEALTH}：移送被{MARKET}退回（不属于本单位职责），待重新指派 / returned",
        f"办理单位改为{INSURANCE}：重新指派：涉及医保基金",
    ]
    assert_no_identity(seen)
    listed = await api.gql(LIST, "liaison", INSURANCE, first=10)
    assert [e["node"]["id"] for e in listed["clues"]["edges"]] == [clue["id"]]
    assert (await api.gql(ONE, "liaison", MARKET, id=clue["id"]))["clue"] is None
    assert (await api.gql(LIST, "liaison", MARKET, first=10))["clues"]["totalCount"] == 0


MERGE = f"""mutation($id: ID!, $into: ID!) {{
  result: mergeClue(clueId: $id, intoClueId: $into, note: "重复举报") {{ {RESULT} }} }}"""


async def test_merging_into_another_agencys_clue_is_not_allowed(api: Api) -> None:
    ours = await receive(api, real_name=False)
    theirs = await receive(api, real_name=False)
    await run(api, REFER, id=theirs["id"], to=INSURANCE)  # now 县医保局 handles it
    refused = await run(api, MERGE, id=ours["id"], into=theirs["id"])
    assert refused["__typename"] == "NotAllowed"
    assert (await api.gql(ONE, "liaison", HEALTH, id=ours["id"]))["clue"]["status"] == "RECEIVED"
    other = await receive(api, real_name=False)
    merged = await run(api, MERGE, id=other["id"], into=ours["id"])
    assert merged["__typename"] == "ClueChanged" and merged["clue"]["status"] == "MERGED"
