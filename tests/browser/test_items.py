"""Item pages and the notification bell in a real browser: a coordinator opens an issue from
the verification inbox and reads its history as the API records it; a liaison's bell counts
the unread notices and counts one fewer after one is marked read."""

from __future__ import annotations

import hashlib
import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.system import AGENCY, CAMPAIGN, ISSUES, System, submit_issue
from tests.browser.test_sign_in import sign_in
from tests.browser.test_verification import open_inbox, row_of

HISTORY = """
query($id: ID!) { issue(id: $id) { history { summary } leadAgency { name } } }"""


def test_an_issue_opened_from_the_verification_inbox_shows_its_history(
    web: Page, system: System
) -> None:
    issue = submit_issue(system)
    recorded = system.graphql(system.token("coordinator"), HISTORY, id=issue["id"])["issue"]
    open_inbox(web, system)
    row_of(web, issue["problem"]).get_by_test_id("item-link").click()
    expect(web).to_have_url(re.compile(rf"/issues/{issue['id']}$"))
    expect(web.get_by_test_id("item-title")).to_contain_text(issue["number"])
    fields = web.get_by_test_id("item-fields")
    expect(fields).to_contain_text("牵头单位")
    expect(fields).to_contain_text(recorded["leadAgency"]["name"])  # a name, not an id
    history = web.get_by_test_id("item-history")
    for entry in recorded["history"]:
        expect(history).to_contain_text(entry["summary"])


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
REPORT = """
mutation($id: ID!, $files: [String!]!) {
  r: reportProgress(issueId: $id, text: "已整改，附整改报告", attachments: $files) { __typename }
}"""


def test_an_issue_page_links_the_evidence_its_progress_report_names_by_file_name(
    web: Page, system: System
) -> None:
    liaison = system.token("liaison", AGENCY)
    edges = system.graphql(liaison, ISSUES, campaign=CAMPAIGN)["issues"]["edges"]
    issue = next(e["node"] for e in edges if e["node"]["leadAgency"]["name"] == AGENCY)
    uploaded = httpx.post(
        system.base_url + "/files",
        files={"file": ("整改报告.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {liaison}"},
        timeout=30,
    )
    assert uploaded.status_code in (200, 201), uploaded.text
    digest = hashlib.sha256(PDF).hexdigest()
    reported = system.graphql(liaison, REPORT, id=issue["id"], files=[f"sha256:{digest}"])
    assert reported["r"]["__typename"] == "IssueChanged", reported
    sign_in(web, system, "coord1")
    expect(web.get_by_test_id("who")).to_be_visible()
    web.goto(f"{system.base_url}/issues/{issue['id']}")
    link = web.get_by_test_id("item-evidence").get_by_role("link")
    expect(link).to_have_attribute("href", f"/files/{digest}")
    expect(link).to_have_text("整改报告.pdf")  # the name it was uploaded under, not the digest
    with web.expect_download() as download:
        link.click()
    assert download.value.path().read_bytes() == PDF


def test_an_unknown_item_is_answered_as_not_found(web: Page, system: System) -> None:
    sign_in(web, system, "liaison1")
    expect(web.get_by_test_id("who")).to_be_visible()
    web.goto(system.base_url + "/referrals/00000000-0000-0000-0000-000000000000")
    expect(web.get_by_test_id("not-found")).to_contain_text("未找到该事项")


def unread(web: Page) -> int:
    text = web.get_by_test_id("bell-unread").inner_text()
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())


def test_a_liaisons_bell_counts_one_fewer_after_marking_a_notice_read(
    web: Page, system: System
) -> None:
    # The ledger's deadlines are past: the clocks notify the liaisons' agency of its overdue
    # issues on their own, and the bell shows them as they come (live notices).
    sign_in(web, system, "liaison1")
    expect(web.get_by_test_id("bell-count").locator("sup")).to_have_text(
        re.compile(r"^[1-9]"), timeout=90_000
    )
    web.get_by_test_id("bell").click()
    panel = web.get_by_test_id("bell-panel")
    expect(panel.get_by_test_id("bell-notice").first).to_be_visible()
    before = unread(web)
    panel.get_by_test_id("bell-mark-read").first.click()
    expect(web.get_by_test_id("bell-unread")).to_have_text(re.compile(rf"\b{before - 1}\b"))
