"""审计 in a real browser: an auditor picks an issue from the list, reads its timeline with
the before and after of each field under Chinese labels and agencies by name, sees the
hash chain's verdict, reads a past version, and downloads the case file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.system import System
from tests.browser.test_sign_in import sign_in

FIRST_ISSUE = "{ issues(first: 1, orderBy: UPDATED) { edges { node { id number problem } } } }"
TRAIL = """query($id: ID!) {
  auditTrail(id: $id) { version integrity changes { label afterShown } }
}"""


def newest_issue(system: System) -> dict[str, Any]:
    data = system.graphql(system.token("auditor"), FIRST_ISSUE)
    node: dict[str, Any] = data["issues"]["edges"][0]["node"]
    return node


def open_audit(page: Page, system: System) -> None:
    sign_in(page, system, "auditor1")
    expect(page).to_have_url(re.compile(r"/audit$"))


def test_an_auditor_opens_an_issues_timeline_from_the_list(web: Page, system: System) -> None:
    issue = newest_issue(system)
    trail = system.graphql(system.token("auditor"), TRAIL, id=issue["id"])["auditTrail"]
    open_audit(web, system)
    row = web.get_by_test_id("pick-issues").locator("tr.el-table__row").first
    expect(row).to_contain_text(issue["problem"][:10])
    row.get_by_test_id("pick").click()

    expect(web.get_by_test_id("item-id")).to_have_value(issue["id"])
    entries = web.get_by_test_id("trail-entry")
    expect(entries).to_have_count(len(trail))
    expect(web.get_by_test_id("chain-status")).to_have_text(
        f"全部 {len(trail)} 个事件均通过哈希链校验"
    )
    first = entries.first
    expect(first).to_contain_text("版本 1")
    changes = first.get_by_test_id("changes")
    for change in trail[0]["changes"]:
        expect(changes).to_contain_text(change["label"])
    # agencies by name, never by id: the registration names the lead agency
    shown = [c["afterShown"] for c in trail[0]["changes"]]
    names = [v for v in shown if isinstance(v, str) and v.startswith("县")]
    assert names, shown
    expect(changes).to_contain_text(names[0])
    agencies = system.graphql(system.token("auditor"), "{ agencies { id } }")["agencies"]
    for agency in agencies:
        expect(changes).not_to_contain_text(agency["id"])


def test_an_auditor_reads_the_state_as_of_the_first_version(web: Page, system: System) -> None:
    issue = newest_issue(system)
    open_audit(web, system)
    web.get_by_label("事项编号").fill(issue["id"])
    web.get_by_test_id("open-item").click()
    expect(web.get_by_test_id("trail-entry").first).to_be_visible()
    web.get_by_role("radio", name="按版本").check(force=True)
    web.get_by_role("spinbutton").fill("1")
    web.get_by_test_id("as-of-show").click()
    state = web.get_by_test_id("as-of-state")
    expect(state).to_contain_text(issue["problem"][:10])


def test_an_auditor_downloads_the_case_file(web: Page, system: System) -> None:
    issue = newest_issue(system)
    open_audit(web, system)
    web.get_by_label("事项编号").fill(issue["id"])
    web.get_by_test_id("open-item").click()
    with web.expect_download() as download_info:
        web.get_by_test_id("case-file").click()
    download = download_info.value
    assert download.suggested_filename == f"案卷-{issue['id']}.html"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "案卷 / Case file" in text
    assert issue["problem"][:10] in text


def test_an_unknown_item_is_said_so(web: Page, system: System) -> None:
    open_audit(web, system)
    web.get_by_label("事项编号").fill("00000000-0000-0000-0000-000000000000")
    web.get_by_test_id("open-item").click()
    expect(web.get_by_role("alert").first).to_contain_text("事项不存在或无权查看")
