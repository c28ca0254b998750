"""我的待办 over the one work queue in a real browser: a liaison sees a referral and an
issue of its agency with the working days the server counted, reports progress and submits
the issue for verification only by clicking; a refusal is shown in the API's own words."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.system import AGENCY, System, refusal_message, send_referral
from tests.browser.test_sign_in import sign_in

QUEUE = """
query($kinds: [WorkKind!]) {
  workQueue(filter: {kinds: $kinds}, first: 100) {
    edges {
      node { kind id title reference status workingDaysLeft overdue dueDate steps { mutation } }
    }
  }
}"""


def queue(system: System, kind: str) -> list[dict[str, Any]]:
    """The liaison's rows of one kind, as the API gives them."""
    liaison = system.token("liaison", AGENCY)
    edges = system.graphql(liaison, QUEUE, kinds=[kind])["workQueue"]["edges"]
    return [e["node"] for e in edges]


def open_issue(system: System) -> dict[str, Any]:
    """A dated open issue the liaisons' agency leads (it may submit it); the last of them,
    so that the other tests' submit_issue (the first open one) does not take it."""
    rows = [
        row
        for row in queue(system, "ISSUE_TO_REPORT")
        if "submitForVerification" in [step["mutation"] for step in row["steps"]]
        and row["workingDaysLeft"] is not None  # dated, in a year the calendar covers
    ]
    assert rows, "the sample ledger gives the agency open issues it leads"
    return rows[-1]


def row_of(page: Page, text: str) -> Locator:
    return page.get_by_test_id("queue").locator("tr.el-table__row", has_text=text)


def search(page: Page, text: str) -> None:
    box = page.get_by_placeholder("搜索标题或文号")
    box.fill(text)
    box.press("Enter")


def days_word(row: dict[str, Any]) -> str:
    """The badge's words for the server's figure."""
    days = row["workingDaysLeft"]
    assert days is not None, row
    return f"逾期 {-days} 个工作日" if row["overdue"] else f"剩 {days} 个工作日"


def test_a_liaison_sees_a_referral_and_an_issue_with_the_server_working_days(
    web: Page, system: System
) -> None:
    reason = "浏览器测试：统一待办中的移送"
    send_referral(system, reason)
    issue = open_issue(system)
    sign_in(web, system, "liaison1")

    referral = row_of(web, reason)
    expect(referral.get_by_test_id("kind")).to_have_text("待签收移送")
    expect(referral.get_by_test_id("step-claimReferral")).to_have_text("签收")
    search(web, issue["title"])
    row = row_of(web, issue["title"])
    expect(row.get_by_test_id("kind")).to_have_text("整改中问题")
    expect(row.get_by_test_id("due-badge")).to_have_text(days_word(issue))
    expect(row.get_by_test_id("step-reportProgress")).to_have_text("报告进展")
    expect(referral).to_have_count(0)  # the search leaves only what matches


def test_a_liaison_reports_progress_and_submits_an_issue_for_verification(
    web: Page, system: System
) -> None:
    issue = open_issue(system)
    sign_in(web, system, "liaison1")
    search(web, issue["title"])
    row = row_of(web, issue["title"])

    row.get_by_test_id("step-reportProgress").click()
    dialog = web.get_by_role("dialog", name="报告进展")
    dialog.get_by_label("进展情况").fill("已完成自查，正在整改")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id("status")).to_have_text("整改中")

    row.get_by_test_id("step-submitForVerification").click()
    dialog = web.get_by_role("dialog", name="提交核验")
    dialog.get_by_label("整改情况摘要").fill("已整改完毕，材料已上传")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    # submitted: no longer the agency's to rectify, so it leaves the liaison's queue
    expect(row).to_have_count(0)
    assert issue["id"] not in [r["id"] for r in queue(system, "ISSUE_TO_REPORT")]


EMPTY_PROGRESS = """
mutation($id: ID!) {
  r: reportProgress(issueId: $id, text: "") {
    __typename ... on InvalidInput { message } ... on InvalidTransition { message }
  }
}"""


def test_an_empty_progress_report_is_refused_in_the_api_words(web: Page, system: System) -> None:
    issue = open_issue(system)
    said = refusal_message(system, system.token("liaison", AGENCY), EMPTY_PROGRESS, id=issue["id"])
    sign_in(web, system, "liaison1")
    search(web, issue["title"])
    row = row_of(web, issue["title"])

    row.get_by_test_id("step-reportProgress").click()
    dialog = web.get_by_role("dialog", name="报告进展")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog.get_by_role("alert")).to_have_text(said)
    expect(dialog).to_be_visible()
