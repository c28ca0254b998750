"""领导驾驶舱 in a real browser: leadership sees the tiles GraphQL gives, drills down from a
figure to the list it counts, sees a figure change live after another user's action
(without reloading), and opens the 大屏."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.system import AGENCY, CAMPAIGN, System
from tests.browser.test_sign_in import sign_in

FIGURES = """
query($campaign: ID!) {
  dashboard(campaign: $campaign) {
    totalIssues open closed overdue byAgency { agency { name } overdue }
  }
  statistics(campaign: $campaign) {
    total { overdue }
    byKind { kind counts { onTimeRate } }
  }
}"""

REGISTER = """
mutation($input: RegisterIssueInput!) {
  r: registerIssue(input: $input) { __typename }
}"""


def campaign_id(system: System) -> str:
    data = system.graphql(system.token("leadership"), "{ campaigns { id title } }")
    (found,) = [c["id"] for c in data["campaigns"] if c["title"] == CAMPAIGN]
    return str(found)


def figures(system: System) -> dict[str, Any]:
    return system.graphql(system.token("leadership"), FIGURES, campaign=campaign_id(system))


def open_cockpit(page: Page, system: System) -> None:
    sign_in(page, system, "leader1")
    page.locator(".sidebar .el-menu-item", has_text="领导驾驶舱").click()
    expect(page).to_have_url(re.compile(r"/cockpit$"))


def tile(page: Page, name: str) -> Any:
    return page.get_by_test_id(f"tile-{name}").locator(".tile-value")


def rate(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 1000) / 10:.1f}%"


def test_leadership_sees_the_tiles_graphql_gives(web: Page, system: System) -> None:
    open_cockpit(web, system)
    expected = figures(system)
    dashboard, statistics = expected["dashboard"], expected["statistics"]
    expect(tile(web, "total")).to_have_text(str(dashboard["totalIssues"]))
    expect(tile(web, "open")).to_have_text(str(dashboard["open"]))
    expect(tile(web, "closed")).to_have_text(str(dashboard["closed"]))
    expect(tile(web, "overdue")).to_have_text(str(dashboard["overdue"]))
    expect(tile(web, "overdueAll")).to_have_text(str(statistics["total"]["overdue"]))
    (issues,) = [k for k in statistics["byKind"] if k["kind"] == "ISSUE"]
    expect(tile(web, "onTime")).to_have_text(rate(issues["counts"]["onTimeRate"]))
    assert dashboard["overdue"] > 0  # the sample ledger's 2026 deadlines have passed
    overdue = {r["agency"]["name"]: r["overdue"] for r in dashboard["byAgency"] if r["overdue"]}
    expect(web.get_by_test_id("overdue-agency")).to_have_count(len(overdue))
    for name, count in overdue.items():
        expect(web.get_by_test_id("overdue-agency").filter(has_text=name)).to_have_text(
            f"{name} {count}"
        )


def test_an_agencys_overdue_bar_opens_its_overdue_issues(web: Page, system: System) -> None:
    open_cockpit(web, system)
    dashboard = figures(system)["dashboard"]
    (count,) = [r["overdue"] for r in dashboard["byAgency"] if r["agency"]["name"] == AGENCY]
    web.get_by_test_id("overdue-agency").filter(has_text=AGENCY).click()
    drawer = web.get_by_role("dialog", name=re.compile(AGENCY))
    expect(drawer.get_by_test_id("drill-total")).to_have_text(f"共 {count} 件")
    rows = drawer.locator("tr.el-table__row")
    expect(rows).to_have_count(min(count, 20))
    for n in range(min(count, 20)):
        expect(rows.nth(n)).to_contain_text("已逾期")


def test_the_open_tile_opens_both_lists_it_counts(web: Page, system: System) -> None:
    open_cockpit(web, system)
    open_now = figures(system)["dashboard"]["open"]
    web.get_by_test_id("tile-open").click()
    totals = web.get_by_role("dialog").get_by_test_id("drill-total")
    expect(totals).to_have_count(2)
    shown = [int(re.sub(r"\D", "", text)) for text in totals.all_text_contents()]
    assert sum(shown) == open_now


def test_a_figure_changes_live_after_another_users_action(web: Page, system: System) -> None:
    open_cockpit(web, system)
    before = figures(system)["dashboard"]
    expect(tile(web, "total")).to_have_text(str(before["totalIssues"]))
    expect(web.get_by_test_id("live")).to_have_text("实时更新")
    issue = {
        "campaign": CAMPAIGN,
        "number": "驾驶舱-1",
        "problem": "浏览器测试：实时看板新登记问题",
        "measures": ["立即整改"],
        "leadAgency": AGENCY,
        "deadline": "2026年1月底",
    }
    data = system.graphql(system.token("coordinator"), REGISTER, input=issue)
    assert data["r"]["__typename"] == "IssueChanged", data
    # no reload: the subscription's notice makes the page refetch
    expect(tile(web, "total")).to_have_text(str(before["totalIssues"] + 1))
    expect(tile(web, "overdue")).to_have_text(str(before["overdue"] + 1))
    after = figures(system)["dashboard"]
    expect(tile(web, "total")).to_have_text(str(after["totalIssues"]))


def test_the_big_screen_is_dark_and_leaves_again(web: Page, system: System) -> None:
    open_cockpit(web, system)
    cockpit = web.get_by_test_id("cockpit")
    web.get_by_test_id("bigscreen").click()
    expect(cockpit).to_have_class(re.compile(r"\bbigscreen\b"))
    expect(web.get_by_test_id("bigscreen")).to_have_text("退出大屏")
    expect(tile(web, "total")).to_be_visible()
    web.get_by_test_id("bigscreen").click()
    expect(cockpit).not_to_have_class(re.compile(r"\bbigscreen\b"))


def test_the_cockpit_speaks_english_after_the_switch(web: Page, system: System) -> None:
    open_cockpit(web, system)
    web.get_by_test_id("language").click()
    expect(web.get_by_test_id("tile-total").locator(".tile-label")).to_have_text("Issues")
    expect(web.get_by_test_id("panel-weekly")).to_contain_text("Opened vs closed per week")
    web.get_by_test_id("language").click()
    expect(web.get_by_test_id("tile-total").locator(".tile-label")).to_have_text("问题总数")
