"""审计 in a real browser: an auditor picks an issue from the list, reads its timeline with
the before and after of each field under Chinese labels and agencies by name, sees the
hash chain's verdict (an event altered in the database is flagged), reads a past version,
and downloads the case file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.system import AGENCY, CAMPAIGN, System
from tests.browser.test_sign_in import sign_in

FIRST_ISSUE = "{ issues(first: 1, orderBy: LEDGER) { edges { node { id number problem } } } }"
TRAIL = """query($id: ID!) {
  auditTrail(id: $id) { version integrity changes { label afterShown } }
}"""


REGISTER = """
mutation($input: RegisterIssueInput!) {
  r: registerIssue(input: $input) { __typename ... on IssueChanged { issue { id } } }
}"""

# Changes an event's stored JSON in the system's own database, its hash row untouched, as
# someone with database access would (run with the system's environment).
TAMPER = """
import sys
from uuid import UUID

import psycopg

from rectify.runtime import database
from rectify.settings import Settings

item, before, after = sys.argv[1:]
with database(Settings()) as db, psycopg.connect(db.url, autocommit=True) as conn:
    conn.execute(f'SET search_path TO "{db.schema}"')
    changed = conn.execute(
        "UPDATE rectify_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
        "%s, %s), 'UTF8') WHERE originator_id = %s AND originator_version = 1",
        (before, after, UUID(item)),
    ).rowcount
    assert changed == 1, changed
"""


def first_issue(system: System) -> dict[str, Any]:
    data = system.graphql(system.token("auditor"), FIRST_ISSUE)
    node: dict[str, Any] = data["issues"]["edges"][0]["node"]
    return node


def open_audit(page: Page, system: System) -> None:
    sign_in(page, system, "auditor1")
    expect(page).to_have_url(re.compile(r"/audit$"))


def test_an_auditor_opens_an_issues_timeline_from_the_list(web: Page, system: System) -> None:
    issue = first_issue(system)
    trail = system.graphql(system.token("auditor"), TRAIL, id=issue["id"])["auditTrail"]
    open_audit(web, system)
    rows = web.get_by_test_id("pick-issues").locator("tr.el-table__row")
    rows.filter(has_text=issue["problem"][:10]).get_by_test_id("pick").click()

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
    issue = first_issue(system)
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
    issue = first_issue(system)
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


def test_an_event_altered_in_the_database_is_flagged_prominently(web: Page, system: System) -> None:
    issue = {
        "campaign": CAMPAIGN,
        "number": "审计-1",
        "problem": "浏览器测试 tamper-mark-A",
        "measures": ["立即整改"],
        "leadAgency": AGENCY,
        "deadline": "2099年1月底",
    }
    data = system.graphql(system.token("coordinator"), REGISTER, input=issue)
    item = data["r"]["issue"]["id"]
    done = subprocess.run(
        [sys.executable, "-c", TAMPER, item, "tamper-mark-A", "tamper-mark-B"],
        env=system.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    open_audit(web, system)
    web.get_by_label("事项编号").fill(item)
    web.get_by_test_id("open-item").click()
    expect(web.get_by_test_id("chain-status")).to_contain_text("未通过哈希链校验")
    expect(web.get_by_test_id("chain-status")).to_have_attribute("role", "alert")
    entry = web.get_by_test_id("trail-entry").first
    expect(entry.get_by_test_id("integrity")).to_have_text("事件内容与哈希不符，可能已被篡改")
    # the API's own bilingual warning, in the entry itself
    expect(entry.get_by_role("alert")).to_contain_text(re.compile(r".+ / .+"))
