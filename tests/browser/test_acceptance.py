"""Issue 14's acceptance, in production mode (RECTIFY_MODE=production: only allow-listed
GraphQL documents run, the session cookie is Secure, real secrets): after a ledger import a
newcomer signs in as the admin `rectify run` created and creates a liaison, a coordinator
and a leader in the browser; then, only by clicking, the liaison claims and answers a
referral and reports progress, the coordinator signs an issue off, and leadership sees the
dashboard's tiles equal what GraphQL answers, in Chinese and in English. It proves the
production build (the persisted-query allow-list, the strict CSP) works in a real browser.

Only the referral is sent by an operator's script (a bearer token and a document the
operator added to the allow-list, as README says), since no page sends referrals."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.auth import issue_token
from api.persisted import page_documents
from domain.names import agency_id
from tests.browser.conftest import FAILED
from tests.browser.system import AGENCY, CAMPAIGN, SAMPLE, System, start_system
from tests.browser.test_coordinator_admin import create_user, sign_out, table_row
from tests.browser.test_sign_in import sign_in

SECRET = base64.b64encode(os.urandom(36)).decode()
SETTINGS = {
    "RECTIFY_MODE": "production",
    "RECTIFY_JWT_SECRET": SECRET,
    "RECTIFY_AUDIT_KEY": base64.b64encode(os.urandom(36)).decode(),
    "RECTIFY_IDENTITY_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
}
SEND = """mutation OperatorSendsReferral($input: SendReferralInput!) {
  r: sendReferral(input: $input) { __typename ... on ReferralChanged { referral { id } } }
}"""
REASON = "验收：医院违规收费线索移送"


def workbench_document(operation: str) -> str:
    """The named operation as the workbench sends it (so it is on the allow-list)."""
    pattern = re.compile(rf"^(query|mutation) {operation}\b")
    (document,) = [d for _, d in page_documents() if pattern.match(d.lstrip())]
    return document


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """A second system, in production mode, for this module only."""
    home = tmp_path_factory.mktemp("production")
    operator = home / "operator.graphql"
    operator.write_text(SEND, encoding="utf-8")
    listed = subprocess.run(
        [sys.executable, "-m", "rectify", "persisted-queries", "--add", str(operator)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    allowed = home / "persisted-queries.json"
    allowed.write_text(listed.stdout, encoding="utf-8")
    settings = {**SETTINGS, "RECTIFY_PERSISTED_QUERIES": str(allowed)}
    yield from start_system(home, settings, prepared=False)


@pytest.fixture
def web(
    page: Page, console: list[str], artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """As conftest's `web`, without starting the development system: the screenshot and
    console kept on failure, and a CSP violation fails the test."""
    page.set_default_timeout(20_000)
    yield page
    if request.node.stash.get(FAILED, False):
        name = request.node.name.replace("/", "_")[:120]
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        (artifacts / f"{name}.console.txt").write_text("\n".join(console), encoding="utf-8")
        print(f"\nbrowser artifacts of {request.node.nodeid}: {artifacts}")
    violations = [line for line in console if "Content Security Policy" in line]
    assert not violations, violations


def bearer(role: str, agency: str | None = None) -> str:
    key = str(agency_id(agency)) if agency else None
    return issue_token(SECRET, role, key, agency, f"acceptance-{role}", 1)


def graphql(system: System, token: str, document: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        system.base_url + "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def admin_password(system: System) -> str:
    return (Path(system.env["RECTIFY_HOME"]) / "admin-password.txt").read_text().strip()


def queue_row(page: Page, text: str) -> Any:
    return page.get_by_test_id("queue").locator("tr.el-table__row", has_text=text)


def test_production_refuses_a_document_not_on_the_allow_list(production: System) -> None:
    response = httpx.post(
        production.base_url + "/graphql",
        json={"query": "{ campaigns { id } }"},
        headers={"Authorization": f"Bearer {bearer('coordinator')}"},
        timeout=30,
    )
    assert response.status_code == 403, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED", response.text


def test_a_newcomer_walks_the_acceptance_scenario_by_clicking(
    web: Page, production: System
) -> None:
    production.rectify("import-issues", str(SAMPLE), "--campaign", CAMPAIGN, "--create-agencies")

    # the admin `rectify run` created signs in and creates the people
    sign_in(web, production, "admin", admin_password(production))
    expect(web).to_have_url(re.compile(r"/users$"), timeout=30_000)
    (session,) = [c for c in web.context.cookies() if c["name"] == "rectify_session"]
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Strict"
    create_user(web, "acc-liaison", "陈联络", "联络员", AGENCY)
    create_user(web, "acc-coord", "林协调", "牵头办", None)
    create_user(web, "acc-leader", "黄领导", "领导", None)
    expect(table_row(web, "users", "acc-leader").get_by_test_id("role")).to_have_text("领导")
    sign_out(web)

    referral = {
        "receiver": AGENCY,
        "sender": "县医疗保障局",
        "reason": REASON,
        "campaign": CAMPAIGN,
    }
    sent = graphql(production, bearer("coordinator"), SEND, input=referral)
    assert sent["r"]["__typename"] == "ReferralChanged", sent

    # the liaison claims and answers the referral, reports progress and submits an issue
    sign_in(web, production, "acc-liaison")
    expect(web).to_have_url(re.compile(r"/todo$"), timeout=30_000)
    referral = queue_row(web, REASON)
    referral.get_by_test_id("step-claimReferral").click()
    web.get_by_role("dialog", name="签收").get_by_test_id("dialog-confirm").click()
    expect(referral.get_by_test_id("status")).to_have_text("办理中")
    referral.get_by_test_id("step-answerReferral").click()
    dialog = web.get_by_role("dialog", name="反馈办理结果")
    dialog.get_by_label("办理结果").fill("已立案调查，责令退还违规收费")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(referral).to_have_count(0)

    issue = (
        web.get_by_test_id("queue")
        .locator("tr.el-table__row", has=web.get_by_test_id("step-submitForVerification"))
        .first
    )
    problem = issue.get_by_test_id("title").inner_text().strip()[:20]
    issue.get_by_test_id("step-reportProgress").click()
    dialog = web.get_by_role("dialog", name="报告进展")
    dialog.get_by_label("进展情况").fill("已完成自查，正在整改")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    issue = queue_row(web, problem)
    issue.get_by_test_id("step-submitForVerification").click()
    dialog = web.get_by_role("dialog", name="提交核验")
    dialog.get_by_label("整改情况摘要").fill("已整改完毕")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    sign_out(web)

    # the coordinator signs it off
    sign_in(web, production, "acc-coord")
    web.locator(".sidebar .el-menu-item", has_text="核验").click()
    submitted = web.get_by_test_id("verification").locator("tr.el-table__row", has_text=problem)
    submitted.get_by_test_id("action-signOff").click()
    dialog = web.get_by_role("dialog", name="销号")
    dialog.get_by_label("意见").fill("经核验已整改到位")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(submitted).to_have_count(0)
    sign_out(web)

    # leadership: every tile as GraphQL answers it, in Chinese and in English
    sign_in(web, production, "acc-leader")
    web.locator(".sidebar .el-menu-item", has_text="领导驾驶舱").click()
    leader = bearer("leadership")
    campaigns = graphql(production, leader, workbench_document("CockpitCampaigns"))["campaigns"]
    (campaign,) = [c["id"] for c in campaigns if c["title"] == CAMPAIGN]
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year  # the page's default year
    cockpit = workbench_document("Cockpit")
    figures = graphql(production, leader, cockpit, campaign=campaign, year=year)
    board = figures["dashboard"]
    assert board["closed"] >= 1
    tiles = {
        "total": board["totalIssues"],
        "open": board["open"],
        "closed": board["closed"],
        "overdue": board["overdue"],
        "overdueAll": figures["statistics"]["total"]["overdue"],
    }
    for name, value in tiles.items():
        expect(web.get_by_test_id(f"tile-{name}").locator(".tile-value")).to_have_text(str(value))
    expect(web.get_by_test_id("tile-total")).to_contain_text("问题总数")
    web.get_by_test_id("language").click()
    expect(web.get_by_test_id("tile-total")).to_contain_text("Issues")
    for name, value in tiles.items():
        expect(web.get_by_test_id(f"tile-{name}").locator(".tile-value")).to_have_text(str(value))
