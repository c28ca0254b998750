"""核验 in a real browser: a coordinator finds an issue submitted for verification and
signs it off, or is refused in the API's words when rejecting it without a reason."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.system import System, refusal_message, submit_issue
from tests.browser.test_sign_in import sign_in


def row_of(page: Page, problem: str) -> Locator:
    return page.get_by_test_id("verification").locator("tr.el-table__row", has_text=problem)


def open_inbox(page: Page, system: System) -> None:
    sign_in(page, system, "coord1")
    page.locator(".sidebar .el-menu-item", has_text="核验").click()
    expect(page).to_have_url(re.compile(r"/verification$"))


def test_a_coordinator_signs_off_a_submitted_issue(web: Page, system: System) -> None:
    issue = submit_issue(system)
    open_inbox(web, system)
    row = row_of(web, issue["problem"])
    expect(row).to_contain_text(issue["number"])
    row.get_by_test_id("action-signOff").click()
    dialog = web.get_by_role("dialog", name="销号")
    dialog.get_by_label("意见").fill("经核验已整改到位")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)  # closed: no longer awaiting verification


def test_a_rejection_without_a_reason_is_refused_in_the_api_words(
    web: Page, system: System
) -> None:
    issue = submit_issue(system)
    open_inbox(web, system)
    row = row_of(web, issue["problem"])
    row.get_by_test_id("action-reject").click()
    dialog = web.get_by_role("dialog", name="驳回")
    dialog.get_by_test_id("dialog-confirm").click()
    said = refusal_message(
        system, system.token("coordinator"), REJECT, id=issue["id"], reason=""
    )  # fmt: skip
    expect(dialog.get_by_role("alert")).to_have_text(said)
    expect(row).to_have_count(1)


REJECT = """
mutation($id: ID!, $reason: String!) {
  r: rejectIssue(issueId: $id, reason: $reason) {
    __typename ... on InvalidInput { message } ... on InvalidTransition { message }
  }
}"""
