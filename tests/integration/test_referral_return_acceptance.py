"""Issue 13's acceptance scenario through GraphQL: a liaison claims a clue's referral by
mistake and returns it with a reason, the leading group office reassigns it, the new
receiver claims and answers, the sender accepts; the clue concludes with its referral and
closes in the statistics once the real-name reporter has had a reply — and at every step
the figures equal those recomputed from the log (tests/cross_check.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.names import campaign_id
from tests import cross_check
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    projection_thread,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)

CLUE = """id status outcome handlingAgency { name } referralId history { type summary }"""
CLUE_RESULT = f"""__typename ... on ClueChanged {{ clue {{ {CLUE} }} }}
  ... on InvalidInput {{ message field }} ... on NotAllowed {{ message }}
  ... on InvalidTransition {{ message currentState }}"""
REFERRAL_RESULT = """__typename
  ... on ReferralChanged { referral { id status round receiver { name } claimedBy
      history { type actor summary } } }
  ... on InvalidInput { message field } ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }"""
RECEIVE = f"""mutation($input: ReceiveClueInput!) {{
  result: receiveClue(input: $input) {{ {CLUE_RESULT} }} }}"""
REFER = f"""mutation($id: ID!, $to: ID!) {{
  result: referClue(clueId: $id, receiver: $to, reason: "涉嫌违规收费") {{ {CLUE_RESULT} }} }}"""
REPLY = f"""mutation($id: ID!) {{
  result: replyToReporter(clueId: $id, text: "已查处，感谢监督", channel: "电话") {{
  {CLUE_RESULT} }} }}"""
CLAIM = (
    f"""mutation($id: ID!) {{ result: claimReferral(referralId: $id) {{ {REFERRAL_RESULT} }} }}"""
)
RETURN = f"""mutation($id: ID!) {{ result: returnReferral(referralId: $id,
  reason: NEEDS_ANOTHER_AGENCY, detail: "误签收：涉及医保基金，属医保局") {{
  {REFERRAL_RESULT} }} }}"""
REASSIGN = f"""mutation($id: ID!, $to: ID!) {{ result: reassignReferral(referralId: $id,
  agency: $to, reason: "医保基金问题由医保局办理") {{ {REFERRAL_RESULT} }} }}"""
ANSWER = f"""mutation($id: ID!) {{ result: answerReferral(referralId: $id,
  outcome: "已追回违规基金并处罚款") {{ {REFERRAL_RESULT} }} }}"""
ACCEPT = f"""mutation($id: ID!) {{ result: acceptReferral(referralId: $id, comment: "同意办结") {{
  {REFERRAL_RESULT} }} }}"""
ONE_CLUE = f"query($id: ID!) {{ clue(id: $id) {{ {CLUE} }} }}"
FIGURES = """query($campaign: ID, $asOf: Date) {
  statistics(campaign: $campaign, asOf: $asOf) {
    byKind { kind counts { open closed overdue closedWithDueDate closedOnTime onTimeRate } }
  } }"""


async def step(api: Api, query: str, role: str, agency: str | None, **variables: Any) -> Any:
    result = (await api.gql(query, role, agency, **variables))["result"]
    assert result["__typename"] in ("ClueChanged", "ReferralChanged"), result
    return result.get("clue") or result.get("referral")


async def figures(api: Api, app: RectifyApp) -> dict[str, dict[str, Any]]:
    """The campaign's figures by kind, checked against the log's, for clues and referrals."""
    await wait_until_projected(api.client, app)
    today = datetime.now(TIMEZONE).date()
    data = await api.gql(FIGURES, campaign=CAMPAIGN, asOf=today.isoformat())
    got = {k["kind"]: k["counts"] for k in data["statistics"]["byKind"]}
    expected = cross_check.by_kind(cross_check.read_log(app), campaign_id(CAMPAIGN), today)
    assert got == expected
    return {kind: {"open": got[kind]["open"], "closed": got[kind]["closed"]} for kind in got}


async def test_a_referral_claimed_by_mistake_is_returned_reassigned_answered_and_the_clue_closes(
    api: Api, app: RectifyApp
) -> None:
    clue = await step(
        api, RECEIVE, "liaison", HEALTH,
        input={
            "channel": "HOTLINE_12320", "institution": "某民营医院",
            "content": "串换药品、虚记诊疗项目骗取医保基金",
            "reporter": {"name": "实名举报人", "phone": "13900001111"}, "realName": True,
            "campaign": CAMPAIGN,
        },
    )  # fmt: skip
    referred = await step(api, REFER, "liaison", HEALTH, id=clue["id"], to=MARKET)
    referral = referred["referralId"]
    assert referred["status"] == "REFERRED"
    assert (await figures(api, app))["CLUE"] == {"open": 1, "closed": 0}  # referred: not closed

    # 县市场监管局 claims by mistake, then gives it back saying why.
    await step(api, CLAIM, "liaison", MARKET, id=referral)
    returned = await step(api, RETURN, "liaison", MARKET, id=referral)
    assert returned["status"] == "RETURNED"
    last = returned["history"][-1]
    assert last["type"] == "Returned" and MARKET in last["actor"]
    assert "签收后退回（需其他单位办理）：误签收：涉及医保基金，属医保局" in last["summary"]
    back = await api.gql(ONE_CLUE, "liaison", HEALTH, id=clue["id"])
    assert back["clue"]["handlingAgency"]["name"] == HEALTH
    assert back["clue"]["status"] == "REFERRED"
    assert (await figures(api, app))["CLUE"] == {"open": 1, "closed": 0}

    # The office (a coordinator) reassigns it; the new receiver claims and answers.
    moved = await step(api, REASSIGN, "coordinator", None, id=referral, to=INSURANCE)
    assert moved["status"] == "SENT" and moved["round"] == 2
    assert moved["receiver"]["name"] == INSURANCE and moved["claimedBy"] == ""
    assert "医保基金问题由医保局办理" in moved["history"][-1]["summary"]
    await step(api, CLAIM, "liaison", INSURANCE, id=referral)
    answered = await step(api, ANSWER, "liaison", INSURANCE, id=referral)
    assert answered["status"] == "ANSWERED"
    handled = await api.gql(ONE_CLUE, "liaison", INSURANCE, id=clue["id"])
    assert handled["clue"]["handlingAgency"]["name"] == INSURANCE
    assert (await figures(api, app))["CLUE"] == {"open": 1, "closed": 0}

    # The sender accepts: the clue concludes with the answer, but a reply is still owed.
    accepted = await step(api, ACCEPT, "liaison", HEALTH, id=referral)
    assert accepted["status"] == "ACCEPTED"
    concluded = (await api.gql(ONE_CLUE, "liaison", HEALTH, id=clue["id"]))["clue"]
    assert concluded["status"] == "CONCLUDED"
    assert concluded["outcome"].endswith("已追回违规基金并处罚款")
    assert concluded["history"][-1]["type"] == "Concluded"
    after_accept = await figures(api, app)
    assert after_accept["CLUE"] == {"open": 1, "closed": 0}
    assert after_accept["REFERRAL"] == {"open": 0, "closed": 1}

    # The reply to the real-name reporter closes it.
    await step(api, REPLY, "liaison", HEALTH, id=clue["id"])
    final = await figures(api, app)
    assert final["CLUE"] == {"open": 0, "closed": 1}
    assert final["REFERRAL"] == {"open": 0, "closed": 1}
