"""牵头办 and 管理员 in a real browser, only by clicking: the admin creates a liaison and a
coordinator who then sign in; the admin locks and unlocks an account; a coordinator
reassigns a returned referral; leadership approves an extension; refusals in the API's words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Locator, Page, expect

from tests.browser.system import AGENCY, CAMPAIGN, PASSWORD, System, send_referral
from tests.browser.test_sign_in import sign_in

OTHER_AGENCY = "县市场监管局"

RETURN = """
mutation($id: ID!) {
  r: returnReferral(referralId: $id, reason: NOT_OUR_REMIT, detail: "不属于本局职责") {
    __typename
  }
}"""

ISSUES = """query($campaign: ID) {
  issues(filter: { campaign: $campaign, status: OPEN }, first: 50) {
    edges { node { id number problem leadAgency { name } pendingExtensionDue } } } }"""

EXTEND = """
mutation($id: ID!) {
  r: requestExtension(issueId: $id, reason: "需招标采购设备", newDueDate: "2099-06-30") {
    __typename
  }
}"""


def choose(page: Page, select: Locator, option: str) -> None:
    """An Element Plus select: open it, click the option in its drop-down."""
    select.click()
    page.locator(".el-select-dropdown__item:visible", has_text=re.compile(f"^{option}$")).click()


def table_row(page: Page, table: str, text: str) -> Locator:
    return page.get_by_test_id(table).locator("tr.el-table__row", has_text=text)


def create_user(page: Page, username: str, name: str, role: str, agency: str | None) -> None:
    page.get_by_test_id("create-user").click()
    dialog = page.get_by_role("dialog", name="新建用户")
    dialog.get_by_label("账号").fill(username)
    dialog.get_by_label("姓名").fill(name)
    dialog.get_by_label("初始密码").fill(PASSWORD)
    choose(page, dialog.get_by_test_id("user-role"), role)
    if agency:
        choose(page, dialog.get_by_test_id("user-agency"), agency)
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()


def sign_out(page: Page) -> None:
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_the_admin_creates_a_liaison_and_a_coordinator_who_then_sign_in(
    web: Page, system: System
) -> None:
    sign_in(web, system, "admin1")
    expect(web).to_have_url(re.compile(r"/users$"))
    create_user(web, "liaison-new", "吴新联络", "联络员", AGENCY)
    create_user(web, "coord-new", "郑新协调", "牵头办", None)

    liaison = table_row(web, "users", "liaison-new")
    expect(liaison.get_by_test_id("role")).to_have_text("联络员")
    expect(liaison.get_by_test_id("agency")).to_have_text(AGENCY)
    expect(table_row(web, "users", "coord-new").get_by_test_id("role")).to_have_text("牵头办")

    sign_out(web)
    sign_in(web, system, "liaison-new")
    expect(web.get_by_test_id("who")).to_have_text(re.compile(f"吴新联络 · 联络员 · {AGENCY}"))
    sign_out(web)
    sign_in(web, system, "coord-new")
    expect(web.get_by_test_id("who")).to_have_text(re.compile("郑新协调 · 牵头办"))
    expect(web.locator(".sidebar .el-menu-item", has_text="退回待改派")).to_be_visible()


def test_a_user_the_admin_cannot_create_is_refused_in_the_api_words(
    web: Page, system: System
) -> None:
    sign_in(web, system, "admin1")
    web.get_by_test_id("create-user").click()
    dialog = web.get_by_role("dialog", name="新建用户")
    dialog.get_by_label("账号").fill("short-password")
    dialog.get_by_label("姓名").fill("短密码")
    dialog.get_by_label("初始密码").fill("123")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog.get_by_role("alert")).to_contain_text(re.compile(r".+ / .+"))
    expect(dialog).to_be_visible()


def test_the_admin_locks_an_account_and_unlocks_it(web: Page, system: System) -> None:
    system.rectify(
        "user", "add", "lockme", "--name", "吴锁", "--role", "liaison", "--agency", AGENCY,
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    sign_in(web, system, "admin1")
    row = table_row(web, "users", "lockme")
    row.get_by_test_id("action-lock").click()
    web.get_by_role("dialog", name="锁定").get_by_test_id("dialog-confirm").click()
    expect(row.get_by_test_id("account-status")).to_have_text("已锁定")

    sign_out(web)
    sign_in(web, system, "lockme")
    expect(web.get_by_role("alert")).to_contain_text("账号已锁定")

    sign_in(web, system, "admin1")
    row = table_row(web, "users", "lockme")
    row.get_by_test_id("action-unlock").click()
    web.get_by_role("dialog", name="解锁").get_by_test_id("dialog-confirm").click()
    expect(row.get_by_test_id("account-status")).to_have_text("正常")
    web.locator(".sidebar .el-menu-item", has_text="登录日志").click()
    attempt = table_row(web, "sign-in-log", "lockme").first
    expect(attempt).to_contain_text("账号已锁定")

    sign_out(web)
    sign_in(web, system, "lockme")
    expect(web).to_have_url(re.compile(r"/todo$"))


def test_a_coordinator_reassigns_a_returned_referral(web: Page, system: System) -> None:
    reason = "浏览器测试：退回后改派的移送"
    referral = send_referral(system, reason)
    returned = system.graphql(system.token("liaison", AGENCY), RETURN, id=referral)
    assert returned["r"]["__typename"] == "ReferralChanged", returned

    sign_in(web, system, "coord1")
    web.locator(".sidebar .el-menu-item", has_text="退回待改派").click()
    row = table_row(web, "returned", reason)
    expect(row.get_by_test_id("receiver")).to_have_text(AGENCY)
    row.get_by_test_id("action-reassign").click()
    dialog = web.get_by_role("dialog", name="改派")
    dialog.get_by_test_id("dialog-confirm").click()  # no agency chosen: the API's refusal
    expect(dialog.get_by_role("alert")).to_contain_text("unknown agencies")

    choose(web, dialog.get_by_test_id("reassign-agency"), OTHER_AGENCY)
    dialog.get_by_label("改派理由").fill("属市场监管职责")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)

    web.locator(".sidebar .el-menu-item", has_text="未签收移送").click()
    moved = table_row(web, "unclaimed", reason)
    expect(moved.get_by_test_id("receiver")).to_have_text(OTHER_AGENCY)


def ask_extension(system: System, nth: int) -> dict[str, Any]:
    """The liaisons' agency asks to extend the nth open issue it leads."""
    coordinator = system.token("coordinator")
    issues = system.graphql(coordinator, ISSUES, campaign=CAMPAIGN)["issues"]["edges"]
    led = [e["node"] for e in issues if e["node"]["leadAgency"]["name"] == AGENCY]
    issue: dict[str, Any] = led[nth]
    asked = system.graphql(system.token("liaison", AGENCY), EXTEND, id=issue["id"])
    assert asked["r"]["__typename"] == "IssueChanged", asked
    return issue


def test_leadership_approves_a_pending_extension(web: Page, system: System) -> None:
    issue = ask_extension(system, 0)
    sign_in(web, system, "leader1")
    web.locator(".sidebar .el-menu-item", has_text="延期审批").click()
    row = table_row(web, "extensions", issue["problem"][:20])
    expect(row.get_by_test_id("requested-due")).to_have_text("2099-06-30")
    row.get_by_test_id("action-approve").click()
    dialog = web.get_by_role("dialog", name="批准延期")
    dialog.get_by_label("意见").fill("同意延期")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)


def test_a_coordinator_sees_the_api_refuse_an_approval_reserved_to_leadership(
    web: Page, system: System
) -> None:
    issue = ask_extension(system, 1)
    sign_in(web, system, "coord1")
    web.locator(".sidebar .el-menu-item", has_text="延期审批").click()
    row = table_row(web, "extensions", issue["problem"][:20])
    row.get_by_test_id("action-approve").click()
    dialog = web.get_by_role("dialog", name="批准延期")
    dialog.get_by_test_id("dialog-confirm").click()
    # the campaign's rule (leadership decides) is the server's; the page shows its words
    expect(dialog.get_by_role("alert")).to_contain_text(re.compile(r".+ / .+"))
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(row.get_by_test_id("requested-due")).to_have_text("2099-06-30")


EXTEND_IN_WORDS = """
mutation($id: ID!) {
  r: requestExtension(issueId: $id, reason: "待省级批复", deadlineText: "2099年第三季度") {
    __typename
  }
}"""


def test_an_extension_asked_in_words_alone_is_listed_with_its_wording(
    web: Page, system: System
) -> None:
    coordinator = system.token("coordinator")
    issues = system.graphql(coordinator, ISSUES, campaign=CAMPAIGN)["issues"]["edges"]
    led = [e["node"] for e in issues if e["node"]["leadAgency"]["name"] == AGENCY]
    issue = next(i for i in reversed(led) if i["pendingExtensionDue"] is None)
    asked = system.graphql(system.token("liaison", AGENCY), EXTEND_IN_WORDS, id=issue["id"])
    assert asked["r"]["__typename"] == "IssueChanged", asked
    sign_in(web, system, "leader1")
    web.locator(".sidebar .el-menu-item", has_text="延期审批").click()
    row = table_row(web, "extensions", issue["problem"][:20])
    expect(row.get_by_test_id("requested-wording")).to_have_text("2099年第三季度")
    expect(row.get_by_test_id("requested-due")).to_have_text("2099-09-30")


LEDGER_WITH_A_BAD_ROW = """问题编号,反馈问题,整改措施,责任部门,完成时限
1,浏览器预览：检查结果不互认,建立互认清单,县卫健局,2026年3月底
2,浏览器预览：红包回扣查处不及时,设立举报专线,县不存在局,2026年4月底
"""

CAMPAIGNS = "{ campaigns { title } }"


def test_a_ledger_preview_shows_the_row_problem_and_writes_nothing(
    web: Page, system: System, tmp_path: Path
) -> None:
    ledger = tmp_path / "台账.csv"
    ledger.write_text(LEDGER_WITH_A_BAD_ROW, encoding="utf-8")
    campaign = "浏览器预览专项行动"

    sign_in(web, system, "coord1")
    web.locator(".sidebar .el-menu-item", has_text="台账导入").click()
    web.get_by_test_id("ledger-campaign").click()
    web.keyboard.type(campaign)
    web.keyboard.press("Enter")
    web.get_by_label("台账文件").set_input_files(str(ledger))
    web.get_by_test_id("ledger-preview").click()

    problem = web.get_by_test_id("preview-errors").locator("tr.el-table__row")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("县不存在局")
    expect(web.get_by_test_id("preview-verdict")).to_contain_text(re.compile(r".+ / .+"))
    expect(web.get_by_test_id("preview-rows").locator("tr.el-table__row")).to_have_count(2)
    expect(web.get_by_test_id("ledger-import")).to_be_disabled()

    titles = [
        c["title"] for c in system.graphql(system.token("coordinator"), CAMPAIGNS)["campaigns"]
    ]
    assert campaign not in titles


def test_the_overdue_list_exports_to_excel_as_shown(
    web: Page, system: System, tmp_path: Path
) -> None:
    sign_in(web, system, "coord1")
    web.locator(".sidebar .el-menu-item", has_text="逾期问题").click()
    expect(web.get_by_test_id("total")).to_have_text(re.compile(r"共 [1-9]\d* 件"))
    shown = int(re.sub(r"\D", "", web.get_by_test_id("total").inner_text()))
    first_problem = web.get_by_test_id("overdue").locator("tr.el-table__row").first
    problem = first_problem.locator("td").nth(1).inner_text()

    with web.expect_download() as download:
        web.get_by_test_id("export").click()
    saved = tmp_path / "overdue.xlsx"
    download.value.save_as(saved)

    sheet = openpyxl.load_workbook(saved, read_only=True).worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    items = rows[header + 1 :]
    assert len(items) == shown
    assert problem in {cell for cell in items[0] if isinstance(cell, str)}
