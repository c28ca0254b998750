"""GraphQL mutations: each lifecycle step, read back at once, and the typed refusals."""

from __future__ import annotations

from typing import Any

from domain.application import RectifyApp
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    SECRET,
    Api,
    api,
    issue,
    projection_thread,
)

# fixtures: the known ledger behind a running API, with the projection following the log
FIXTURES = (api, projection_thread)

RESULT = """
  __typename
  ... on IssueChanged { position issue { number status cycle pendingExtensionDue
      deadline { kind dueDate text } history { type actor summary } } }
  ... on NotAllowed { message }
  ... on InvalidTransition { message currentState }
  ... on InvalidInput { message field }
  ... on NotFound { message }
  ... on Conflict { message }
"""


def mutation(name: str, signature: str, arguments: str) -> str:
    return f"mutation({signature}) {{ result: {name}({arguments}) {{ {RESULT} }} }}"


REGISTER = mutation("registerIssue", "$input: RegisterIssueInput!", "input: $input")
PROGRESS = mutation(
    "reportProgress",
    "$id: ID!, $text: String!, $reporter: ID",
    'issueId: $id, text: $text, agencyId: $reporter, attachments: ["照片.jpg"]',
)
SUBMIT = mutation("submitForVerification", "$id: ID!", 'issueId: $id, summary: "已整改"')
SIGN_OFF = mutation("signOff", "$id: ID!", "issueId: $id")
REJECT = mutation("rejectIssue", "$id: ID!, $reason: String!", "issueId: $id, reason: $reason")
EXTEND = mutation(
    "requestExtension",
    "$id: ID!, $reason: String!, $due: Date, $text: String",
    "issueId: $id, reason: $reason, newDueDate: $due, deadlineText: $text",
)
APPROVE = mutation("approveExtension", "$id: ID!", "issueId: $id")
DENY = mutation("denyExtension", "$id: ID!, $reason: String!", "issueId: $id, reason: $reason")
REOPEN = mutation(
    "reopenIssue",
    "$id: ID!, $reason: String!, $text: String",
    "issueId: $id, reason: $reason, deadlineText: $text",
)


async def run(
    api: Api, query: str, role: str, agency: str | None = None, **variables: Any
) -> dict[str, Any]:
    return (await api.gql(query, role=role, agency=agency, **variables))["result"]  # type: ignore[no-any-return]


def changed(result: dict[str, Any]) -> dict[str, Any]:
    assert result["__typename"] == "IssueChanged", result
    assert result["position"] > 0
    return result["issue"]  # type: ignore[no-any-return]


async def test_coordinator_registers_an_issue_and_reads_it_back(api: Api) -> None:
    new = {
        "campaign": CAMPAIGN,
        "number": "6",
        "problem": "违规收费",
        "measures": ["退费", "通报"],
        "leadAgency": INSURANCE,
        "coAgencies": [HEALTH],
        "deadline": "2099年5月中旬",
    }

    node = changed(await run(api, REGISTER, "coordinator", input=new))

    assert node["number"] == "6" and node["status"] == "OPEN"
    assert node["deadline"] == {"kind": "DATE", "dueDate": "2099-05-20", "text": "2099年5月中旬"}
    assert [h["summary"] for h in node["history"]] == ["登记问题 6"]


async def test_an_issue_goes_through_progress_verification_rejection_and_sign_off(api: Api) -> None:
    one = issue("1")  # lead 县卫健局, co 县医保局

    progress = changed(await run(api, PROGRESS, "liaison", INSURANCE, id=one, text="完成自查"))
    submitted = changed(await run(api, SUBMIT, "liaison", HEALTH, id=one))
    rejected = changed(await run(api, REJECT, "coordinator", id=one, reason="材料不全"))
    changed(await run(api, SUBMIT, "liaison", HEALTH, id=one))
    closed = changed(await run(api, SIGN_OFF, "admin", id=one))

    assert progress["history"][-1]["summary"] == "县医保局 报告进展：完成自查"
    assert progress["history"][-1]["actor"] == f"liaison-user（{INSURANCE}）"
    assert submitted["status"] == "SUBMITTED"
    assert rejected["status"] == "OPEN"
    assert rejected["history"][-1]["summary"] == "退回整改：材料不全"
    assert closed["status"] == "CLOSED"
    assert closed["history"][-1]["summary"] == "核验通过，销号"


async def test_extensions_are_requested_then_approved_or_denied(api: Api) -> None:
    five = issue("5")  # lead 县卫健局, due 2099-03-31

    asked = changed(
        await run(api, EXTEND, "liaison", HEALTH, id=five, reason="需招标", due="2099-06-30")
    )
    approved = changed(await run(api, APPROVE, "leadership", id=five))
    changed(await run(api, EXTEND, "coordinator", id=five, reason="再延", text="2099年9月底"))
    denied = changed(await run(api, DENY, "leadership", id=five, reason="不予延期"))

    assert asked["pendingExtensionDue"] == "2099-06-30"
    assert approved["deadline"]["dueDate"] == "2099-06-30"
    assert approved["pendingExtensionDue"] is None
    assert approved["history"][-1]["summary"] == (
        "批准延期：2099-03-31 → 2099-06-30，完成时限：2099年3月底（延期至2099-06-30）"
    )
    assert denied["deadline"]["dueDate"] == "2099-06-30"
    assert denied["history"][-1]["summary"] == "驳回延期：不予延期"


PENDING = """query($pending: Boolean) {
  issues(filter: { pendingExtension: $pending }) { totalCount edges { node { number } } } }"""


async def test_the_issue_list_filters_on_a_pending_extension(api: Api) -> None:
    five = issue("5")
    changed(await run(api, EXTEND, "liaison", HEALTH, id=five, reason="需招标", due="2099-06-30"))

    pending = (await api.gql(PENDING, role="coordinator", pending=True))["issues"]
    others = (await api.gql(PENDING, role="coordinator", pending=False))["issues"]
    changed(await run(api, DENY, "leadership", id=five, reason="不予延期"))
    decided = (await api.gql(PENDING, role="coordinator", pending=True))["issues"]

    assert [e["node"]["number"] for e in pending["edges"]] == ["5"]
    assert "5" not in [e["node"]["number"] for e in others["edges"]] and others["totalCount"] > 0
    assert decided["totalCount"] == 0


ASKED = """query { issues(filter: { pendingExtension: true }) {
  edges { node { number pendingExtensionDue pendingExtensionText } } } }"""


async def test_an_extension_asked_in_words_alone_is_listed_with_its_wording(api: Api) -> None:
    five = issue("5")
    changed(
        await run(api, EXTEND, "liaison", HEALTH, id=five, reason="需招标", text="2099年9月底前")
    )

    pending = (await api.gql(ASKED, role="leadership"))["issues"]["edges"]
    changed(await run(api, DENY, "leadership", id=five, reason="不予延期"))
    decided = (await api.gql(ASKED, role="leadership"))["issues"]["edges"]

    assert [e["node"] for e in pending] == [
        {
            "number": "5",
            "pendingExtensionDue": "2099-09-30",
            "pendingExtensionText": "2099年9月底前",
        }
    ]
    assert decided == []


async def test_an_extension_asked_by_date_is_worded_as_its_date(api: Api) -> None:
    five = issue("5")
    changed(await run(api, EXTEND, "liaison", HEALTH, id=five, reason="需招标", due="2099-06-30"))
    (pending,) = (await api.gql(ASKED, role="coordinator"))["issues"]["edges"]
    assert pending["node"]["pendingExtensionText"] == "2099-06-30"


async def test_a_closed_issue_is_reopened_after_a_look_back(api: Api) -> None:
    node = changed(
        await run(api, REOPEN, "coordinator", id=issue("4"), reason="问题反弹", text="2099年6月底")
    )

    assert (node["status"], node["cycle"]) == ("OPEN", 2)
    assert node["deadline"]["dueDate"] == "2099-06-30"
    assert node["history"][-1]["summary"] == "回头看重新打开：问题反弹"


async def test_reopening_an_issue_whose_deadline_passed_asks_for_a_new_one(api: Api) -> None:
    """Issue 4 was due 2020-06-30: reopened on that deadline, every rung would ring at once."""
    result = await run(api, REOPEN, "coordinator", id=issue("4"), reason="问题反弹")

    assert result["__typename"] == "InvalidInput", result
    assert result["field"] == "deadline"


async def test_a_step_the_current_state_does_not_allow_names_the_state(api: Api) -> None:
    result = await run(api, SIGN_OFF, "coordinator", id=issue("1"))

    assert result["__typename"] == "InvalidTransition"
    assert result["currentState"] == "OPEN"
    assert "sign off" in result["message"]


async def test_liaisons_act_only_for_their_own_agency_and_role(api: Api) -> None:
    one = issue("1")  # lead 县卫健局, co 县医保局

    stranger = await run(api, PROGRESS, "liaison", MARKET, id=one, text="x")
    co_submits = await run(api, SUBMIT, "liaison", INSURANCE, id=one)
    speaks_for_other = await run(
        api, PROGRESS, "liaison", INSURANCE, id=one, text="x", reporter=HEALTH
    )
    auditor = await run(api, REJECT, "auditor", id=one, reason="x")
    leadership = await run(api, SIGN_OFF, "leadership", id=one)

    for refused in (stranger, co_submits, speaks_for_other, auditor, leadership):
        assert refused["__typename"] == "NotAllowed", refused
    assert "responsible agency" in stranger["message"]
    assert "lead agency" in co_submits["message"]


async def test_bad_values_and_unknown_items_are_typed_refusals(api: Api) -> None:
    bad_date = await run(api, EXTEND, "coordinator", id=issue("5"), reason="r", text="2099年13月底")
    no_date = await run(api, EXTEND, "coordinator", id=issue("5"), reason="r")
    no_reason = await run(api, REJECT, "coordinator", id=issue("1"), reason=" ")
    unknown = await run(api, SUBMIT, "coordinator", id="00000000-0000-0000-0000-000000000000")
    not_an_id = await run(api, SUBMIT, "coordinator", id="abc")
    unknown_agency = await run(
        api,
        REGISTER,
        "coordinator",
        input={
            "campaign": CAMPAIGN,
            "number": "9",
            "problem": "p",
            "measures": ["m"],
            "leadAgency": "不存在的局",
            "deadline": "2099年1月底",
        },
    )

    assert (bad_date["__typename"], bad_date["field"]) == ("InvalidInput", "deadline")
    assert (no_date["__typename"], no_date["field"]) == ("InvalidInput", "deadline")
    assert no_reason["__typename"] in ("InvalidInput", "InvalidTransition")
    assert unknown["__typename"] == "NotFound"
    assert (not_an_id["__typename"], not_an_id["field"]) == ("InvalidInput", "issueId")
    assert (unknown_agency["__typename"], unknown_agency["field"]) == ("InvalidInput", "agencies")


async def _as_regional_leadership(api: Api, query: str, region: str, **variables: Any) -> Any:
    from api.auth import issue_token

    bearer = issue_token(SECRET, "leadership", None, None, "县领导", region=region)
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["result"]


async def test_leadership_of_a_region_decides_extensions_only_for_its_region(
    api: Api, app: RectifyApp
) -> None:
    five = issue("5")  # lead 县卫健局
    app.register_agency(HEALTH, actor="管理员", region="甲县")
    await run(api, EXTEND, "liaison", HEALTH, id=five, reason="需招标", due="2099-06-30")

    refused = await _as_regional_leadership(api, APPROVE, "乙县", id=five)
    approved = await _as_regional_leadership(api, APPROVE, "甲县", id=five)

    assert refused["__typename"] == "NotAllowed", refused
    assert "乙县" in refused["message"]
    assert changed(approved)["deadline"]["dueDate"] == "2099-06-30"


async def test_leadership_of_a_region_may_not_decide_for_an_agency_without_one(
    api: Api,
) -> None:
    five = issue("5")  # 县卫健局 has no region assigned
    await run(api, EXTEND, "liaison", HEALTH, id=five, reason="需招标", due="2099-06-30")

    refused = await _as_regional_leadership(api, DENY, "甲县", id=five, reason="不予延期")

    assert refused["__typename"] == "NotAllowed", refused


async def test_an_id_that_is_not_one_is_refused_in_both_languages(api: Api) -> None:
    data = await api.gql(
        'mutation { signOff(issueId: "县卫健局") '
        "{ __typename ... on InvalidInput { field message } } }"
    )
    refused = data["signOff"]
    assert refused["field"] == "issueId"
    assert "不是有效的编号" in refused["message"] and "is not an id" in refused["message"]
