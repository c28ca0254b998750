"""`workQueue` (我的待办, ADR 0044) through GraphQL: each kind for the right caller and for no
other agency, the steps each row offers, paging across kinds, the working days the
dashboard counts, the filters, and the refusals."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from api.auth import issue_token
from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.deadlines import parse_deadline
from domain.names import agency_id, campaign_id
from domain.referrals import ReturnReason
from domain.reporter_identity import ReporterIdentity
from domain.reporting import Cadence, CadenceKind
from projections import work_queue_queries
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
    token,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
POLICE = "县公安局"
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=TIMEZONE)  # every period since has run out

QUEUE = """query($filter: WorkQueueFilter, $first: Int! = 20, $after: String,
                 $orderBy: WorkOrder! = DUE) {
  workQueue(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    edges { cursor node { kind id title reference status campaign { id title }
      agency { name } dueDate workingDaysLeft overdue receivedAt
      steps { mutation label } } }
    pageInfo { hasNextPage endCursor } } }"""
OVERDUE = """query { statistics { overdue(first: 200) { items { id workingDaysOverdue } } } }"""


@pytest.fixture
def work(app: RectifyApp) -> dict[str, UUID]:
    """One item of every kind health's liaison acts on, besides the ledger's issues."""
    health, market, insurance = agency_id(HEALTH), agency_id(MARKET), agency_id(INSURANCE)
    police = app.register_agency(POLICE, actor="admin").id
    campaign = campaign_id(CAMPAIGN)

    def send(sender: UUID, receiver: UUID, reason: str) -> UUID:
        sent = app.send_referral(
            sender, receiver, reason, actor="联络员", campaign=campaign, at=LONG_AGO
        )
        return sent.id

    to_claim = send(market, health, "美容院无证行医")
    to_answer = send(market, health, "药店串换药品")
    app.claim_referral(to_answer, health, "卫健联络员")
    to_accept = send(health, insurance, "医保结算异常")
    app.claim_referral(to_accept, insurance, "医保联络员")
    app.answer_referral(to_accept, insurance, "已追回", "医保联络员")
    clue = app.receive_clue(
        health,
        "HOTLINE_12320",
        "以医保卡结算美容项目",
        actor="卫健联络员",
        institution="某美容院",
        reporter=ReporterIdentity(name="张三", phone="13800000000"),
        real_name=True,
        campaign=campaign,
        at=LONG_AGO,
    ).id
    transfer = app.report_case_transfer(
        health, police, "虚构住院病历骗取医保基金", actor="卫健执法人员",
        suspected_offence="诈骗罪", suspect="某民营医院", campaign=campaign,
    ).id  # fmt: skip
    duty = app.set_reporting_duty(
        campaign, "督查整改月报", Cadence(CadenceKind.MONTHLY, 30), [health, insurance], "协调办"
    ).id
    report = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id
    return {
        "to_claim": to_claim,
        "to_answer": to_answer,
        "to_accept": to_accept,
        "clue": clue,
        "transfer": transfer,
        "report": report,
        "police": police,
    }


async def queue(
    api: Api, role: str = "liaison", agency: str | None = HEALTH, **variables: Any
) -> dict[str, Any]:
    data = await api.gql(QUEUE, role, agency, **variables)
    return data["workQueue"]  # type: ignore[no-any-return]


def rows(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {edge["node"]["id"]: edge["node"] for edge in found["edges"]}


def steps(row: dict[str, Any]) -> list[str]:
    return [step["mutation"] for step in row["steps"]]


async def projected(api: Api, app: RectifyApp) -> None:
    await wait_until_projected(api.client, app)


async def test_a_liaison_sees_every_kind_its_agency_acts_on_with_its_steps(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    await projected(api, app)
    found = rows(await queue(api, first=100))
    kinds = {str(work[key]): kind for key, kind in [
        ("to_claim", "REFERRAL_TO_CLAIM"), ("to_answer", "REFERRAL_TO_ANSWER"),
        ("to_accept", "REFERRAL_TO_ACCEPT"), ("clue", "CLUE_TO_HANDLE"),
        ("report", "REPORT_DUE"),
    ]}  # fmt: skip
    kinds.update({issue(n): "ISSUE_TO_REPORT" for n in ("1", "2", "3", "5")})
    # the transfer awaits the agency head's approval: not the liaison's step
    assert {item: row["kind"] for item, row in found.items()} == kinds
    assert steps(found[str(work["to_claim"])]) == ["claimReferral", "returnReferral"]
    assert steps(found[str(work["to_answer"])]) == ["answerReferral", "returnReferral"]
    assert steps(found[str(work["to_accept"])]) == ["acceptReferral", "sendBackReferral"]
    assert steps(found[str(work["clue"])]) == [
        "handleClue", "referClue", "mergeClue", "dismissClue"
    ]  # fmt: skip
    assert steps(found[str(work["report"])]) == ["submitReport"]
    lead, co = found[issue("1")], found[issue("2")]  # health leads 1, co-owns 2
    assert steps(lead) == ["reportProgress", "submitForVerification", "requestExtension"]
    assert steps(co) == ["reportProgress"]
    assert lead["campaign"]["title"] == CAMPAIGN and lead["reference"] == "1"
    assert found[str(work["to_claim"])]["steps"][0]["label"] == "签收 / claim"
    assert found[str(work["report"])]["title"] == "督查整改月报"


async def test_another_agency_sees_none_of_health_s_items(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    await projected(api, app)
    found = rows(await queue(api, agency=MARKET, first=100))
    assert {row["kind"] for row in found.values()} == {"ISSUE_TO_REPORT"}
    assert set(found) == {issue("2"), issue("5")}  # co-owned; 4 is closed
    insurance = rows(await queue(api, agency=INSURANCE, first=100))
    assert str(work["to_claim"]) not in insurance and str(work["clue"]) not in insurance
    assert insurance[str(work["report"])]["kind"] == "REPORT_DUE"


async def test_each_transfer_step_is_in_the_queue_of_the_party_and_role_that_takes_it(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    item = str(work["transfer"])
    await projected(api, app)
    head = rows(await queue(api, "agency_head", HEALTH))
    assert steps(head[item]) == ["approveCaseTransfer", "declineCaseTransfer"]
    assert head[item]["title"] == "某民营医院：诈骗罪"
    assert head[item]["dueDate"] is not None  # the statutory approval period runs
    assert item not in rows(await queue(api, "investigator", HEALTH))
    app.approve_case_transfer(work["transfer"], "同意", "卫健局长")
    app.send_case_transfer(work["transfer"], "卫健执法人员")
    await projected(api, app)
    assert item not in rows(await queue(api, "investigator", HEALTH))
    police = rows(await queue(api, "investigator", POLICE))
    assert steps(police[item]) == ["receiveCaseTransfer"]
    assert police[item]["agency"]["name"] == POLICE


async def test_a_handled_clue_offers_its_conclusion_and_the_reply_owed_to_its_reporter(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    app.handle_clue(work["clue"], "立案调查", "卫健执法人员")
    await projected(api, app)
    item = str(work["clue"])
    liaison = rows(await queue(api, filter={"kinds": ["CLUE_TO_HANDLE"]}))[item]
    assert steps(liaison) == ["concludeClue", "replyToReporter"]
    assert liaison["status"] == "HANDLING" and liaison["overdue"]  # the reply is late
    head = rows(await queue(api, "agency_head", HEALTH))
    assert item not in head  # a head reveals a reporter but takes none of these steps


async def test_paging_across_kinds_returns_every_row_once_in_both_orders(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    await projected(api, app)
    for order in ("DUE", "RECEIVED"):
        whole = await queue(api, first=100, orderBy=order)
        seen: list[str] = []
        after = None
        while True:
            page = await queue(api, first=2, after=after, orderBy=order)
            assert page["totalCount"] == whole["totalCount"] == 9
            seen += [edge["node"]["id"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == [edge["node"]["id"] for edge in whole["edges"]]
        assert len(set(seen)) == 9
    by_due = [edge["node"] for edge in (await queue(api, first=100))["edges"]]
    days = [row["dueDate"] for row in by_due if row["dueDate"] is not None]
    assert days == sorted(days) and len(days) == 7  # soonest first, then the undated
    assert [row["id"] for row in by_due[7:]] == [issue("3"), str(work["to_accept"])]


async def test_an_edge_s_cursor_pages_on_from_its_row_as_the_end_cursor_does(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    await projected(api, app)
    whole = await queue(api, first=100)
    ids = [edge["node"]["id"] for edge in whole["edges"]]
    third = whole["edges"][2]["cursor"]

    after_third = await queue(api, first=100, after=third)

    assert [edge["node"]["id"] for edge in after_third["edges"]] == ids[3:]
    assert whole["edges"][-1]["cursor"] == whole["pageInfo"]["endCursor"]


async def test_working_days_overdue_are_the_dashboard_s_figure(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    await projected(api, app)
    found = rows(await queue(api, first=100))
    figures = await api.gql(OVERDUE, "liaison", HEALTH)
    overdue = {i["id"]: i["workingDaysOverdue"] for i in figures["statistics"]["overdue"]["items"]}
    compared = [item for item in overdue if item in found]
    # (the dashboard's list leaves a clue's reply due out; the queue counts it the same way)
    assert {issue("1"), str(work["to_claim"])} <= set(compared)
    assert found[str(work["clue"])]["workingDaysLeft"] < 0
    for item in compared:
        assert found[item]["workingDaysLeft"] == -overdue[item] < 0
        assert found[item]["overdue"]
    far = found[issue("5")]  # due 2099-03-31
    assert far["workingDaysLeft"] > 0 and not far["overdue"]
    assert found[issue("3")]["workingDaysLeft"] is None  # ongoing: no due day


async def test_filters_by_kind_campaign_overdue_and_text(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    await projected(api, app)
    referrals = await queue(api, filter={"kinds": ["REFERRAL_TO_CLAIM", "REFERRAL_TO_ANSWER"]})
    assert set(rows(referrals)) == {str(work["to_claim"]), str(work["to_answer"])}
    overdue = rows(await queue(api, filter={"overdue": True}, first=100))
    assert issue("1") in overdue and issue("5") not in overdue
    assert all(row["overdue"] for row in overdue.values())
    not_overdue = rows(await queue(api, filter={"overdue": False}, first=100))
    assert set(overdue).isdisjoint(not_overdue) and issue("5") in not_overdue
    assert set(rows(await queue(api, filter={"search": "美容"}))) == {
        str(work["to_claim"]), str(work["clue"])
    }  # fmt: skip
    assert (await queue(api, filter={"campaign": CAMPAIGN}))["totalCount"] == 9
    assert (await queue(api, filter={"campaign": "没有的专项"}))["totalCount"] == 0


async def test_the_office_sees_unclaimed_returned_submitted_and_extension_rows(
    api: Api, app: RectifyApp, work: dict[str, UUID]
) -> None:
    app.return_referral(work["to_answer"], agency_id(HEALTH), ReturnReason.OTHER, "非本单位", "x")
    app.submit_for_verification(UUID(issue("1")), "已完成", "县卫健局")
    app.request_extension(UUID(issue("5")), parse_deadline("2099年6月30日"), "工期", "卫健")
    await projected(api, app)
    office = rows(await queue(api, "coordinator", None, first=100))
    assert {item: row["kind"] for item, row in office.items()} == {
        str(work["to_claim"]): "REFERRAL_TO_CLAIM",
        str(work["to_answer"]): "REFERRAL_TO_REASSIGN",
        issue("1"): "ISSUE_TO_VERIFY",
        issue("5"): "EXTENSION_TO_DECIDE",
    }
    assert steps(office[str(work["to_claim"])]) == ["reassignReferral"]
    assert steps(office[issue("1")]) == ["signOff", "rejectIssue"]
    # the campaign leaves extensions to leadership unless it says otherwise
    assert steps(office[issue("5")]) == []
    leadership = rows(await queue(api, "leadership", None))
    assert set(leadership) == {issue("5")}
    assert steps(leadership[issue("5")]) == ["approveExtension", "denyExtension"]
    app.set_extension_approvers(campaign_id(CAMPAIGN), "LEADERSHIP_OR_OFFICE", "协调办")
    await projected(api, app)
    office = rows(await queue(api, "coordinator", None, first=100))
    assert steps(office[issue("5")]) == ["approveExtension", "denyExtension"]
    # the liaison's own row no longer offers an extension request while one is pending
    assert "requestExtension" not in steps(rows(await queue(api, first=100))[issue("5")])


async def test_leadership_of_a_region_decides_only_its_region_s_extensions(
    api: Api, app: RectifyApp
) -> None:
    app.register_agency(HEALTH, actor="admin", region="东区")
    app.request_extension(UUID(issue("1")), parse_deadline("2099年6月30日"), "工期", "卫健")
    app.reopen(UUID(issue("4")), "回头看发现反弹", parse_deadline("2099年3月31日"), "协调办")
    app.request_extension(UUID(issue("4")), parse_deadline("2099年6月30日"), "工期", "市场监管")
    await projected(api, app)

    async def decided_by(region: str | None) -> set[str]:
        bearer = issue_token(SECRET, "leadership", None, None, "领导", 1, region)
        response = await api.client.post(
            "/graphql", json={"query": QUEUE}, headers={"Authorization": f"Bearer {bearer}"}
        )
        edges = response.json()["data"]["workQueue"]["edges"]
        return {edge["node"]["id"] for edge in edges}

    assert await decided_by("东区") == {issue("1")}  # 1 is led by health, of 东区
    assert await decided_by(None) == {issue("1"), issue("4")}  # 4: market regulation
    assert await decided_by("西区") == set()


async def refusal(api: Api, role: str, agency: str | None, **variables: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql",
        json={"query": QUEUE, "variables": variables},
        headers={"Authorization": f"Bearer {token(role, agency)}"},
    )
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors[0]


async def test_an_auditor_and_staff_without_an_agency_are_refused(api: Api) -> None:
    auditor = await refusal(api, "auditor", None)
    assert auditor["message"].startswith("auditor 无待办事项 / role auditor takes no steps")
    assert auditor["extensions"]["code"] == "NOT_ALLOWED"
    nobody = await refusal(api, "liaison", None)
    assert "the caller speaks for no agency" in nobody["message"]


async def test_a_cursor_of_another_order_and_a_page_too_large_are_refused(api: Api) -> None:
    page = await queue(api, first=1)
    cursor = page["pageInfo"]["endCursor"]
    wrong = await refusal(api, "liaison", HEALTH, after=cursor, orderBy="RECEIVED")
    assert wrong["extensions"]["field"] == "after"
    large = await refusal(api, "liaison", HEALTH, first=101)
    assert large["extensions"]["field"] == "first"


COUNTS = "fragment Counts on WorkQueueConnection { totalCount }"
COUNT_ASKED = {  # how: (the selection, the fragments it uses)
    "directly": ("totalCount", ""),
    "under an alias": ("rows: totalCount", ""),
    "in an inline fragment": ("... on WorkQueueConnection { totalCount }", ""),
    "in a named fragment": ("...Counts", COUNTS),
    "in a fragment within a fragment": (
        "...Outer",
        COUNTS + " fragment Outer on WorkQueueConnection { ...Counts }",
    ),
}


@pytest.mark.parametrize("how", list(COUNT_ASKED))
async def test_total_count_is_counted_however_the_document_asks_for_it(
    api: Api, app: RectifyApp, work: dict[str, UUID], how: str
) -> None:
    """The count is worked out by the queue's resolver when the selection holds it (ADR
    0086): a form of asking it missed would serve the placeholder instead of the count."""
    await projected(api, app)
    selection, fragments = COUNT_ASKED[how]
    document = (
        "query { workQueue(first: 2, orderBy: DUE) { "
        f"{selection} edges {{ node {{ id }} }} }} }} {fragments}"
    )
    for _ in range(2):  # the second time on the direct path (ADR 0083)
        found = (await api.gql(document, "liaison", HEALTH))["workQueue"]
        assert found.get("totalCount", found.get("rows")) == 9
        assert len(found["edges"]) == 2


async def test_a_queue_page_that_does_not_select_total_count_does_not_count(
    api: Api, app: RectifyApp, work: dict[str, UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    await projected(api, app)
    counts: list[int] = []
    page_of = work_queue_queries.work_page

    async def counting_page(*args: Any, **kwargs: Any) -> Any:
        page = await page_of(*args, **kwargs)
        total = page.total

        async def count() -> int:
            counts.append(await total())
            return counts[-1]

        return dataclasses.replace(page, total=count)

    monkeypatch.setattr(work_queue_queries, "work_page", counting_page)
    without = "query { workQueue(first: 2, orderBy: DUE) { edges { node { id } } } }"
    for _ in range(2):
        assert len((await api.gql(without, "liaison", HEALTH))["workQueue"]["edges"]) == 2
    assert counts == []
    assert (await queue(api, first=2))["totalCount"] == 9
    assert counts == [9]
