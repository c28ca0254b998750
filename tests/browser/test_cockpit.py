"""领导驾驶舱 in a real browser: leadership sees the tiles GraphQL gives, drills down from a
figure to the list it counts, sees a figure change live after another user's action
(without reloading), and opens the 大屏."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.system import AGENCY, CAMPAIGN, System
from tests.browser.test_sign_in import sign_in

FIGURES = """
query($campaign: ID!, $year: Int!) {
  dashboard(campaign: $campaign) {
    totalIssues open closed overdue byAgency { agency { name } open closed overdue }
  }
  statistics(campaign: $campaign) {
    total { overdue }
    byKind { kind counts { onTimeRate } }
    byRegion { region counts { open closed overdue } }
    escalations { rung count }
    weekly(weeks: 12) { weekStart opened closed }
    overdue(first: 10) { totalCount }
  }
  campaignProgress(campaign: $campaign) {
    currentPhase { name }
    reports { outstanding }
    coverage { category population inspected percent }
  }
  enforcementCases(year: $year, campaign: $campaign) { region count threshold }
}"""

REGISTER = """
mutation($input: RegisterIssueInput!) {
  r: registerIssue(input: $input) { __typename }
}"""


def campaign_id(system: System) -> str:
    data = system.graphql(system.token("leadership"), "{ campaigns { id title } }")
    (found,) = [c["id"] for c in data["campaigns"] if c["title"] == CAMPAIGN]
    return str(found)


def this_year() -> int:
    """The year the cockpit opens on: today's in China time, as the page takes it."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


def figures(system: System) -> dict[str, Any]:
    return system.graphql(
        system.token("leadership"), FIGURES, campaign=campaign_id(system), year=this_year()
    )


def open_cockpit(page: Page, system: System) -> None:
    sign_in(page, system, "leader1")
    page.locator(".sidebar .el-menu-item", has_text="领导驾驶舱").click()
    expect(page).to_have_url(re.compile(r"/cockpit$"))


def tile(page: Page, name: str) -> Any:
    return page.get_by_test_id(f"tile-{name}").locator(".tile-value")


def rate(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 1000) / 10:.1f}%"


# How the page names what it counts, in each language (web/src/i18n/cockpit.ts).
WORDS: dict[str, dict[str, Any]] = {
    "zh-CN": {
        "open": "整改中", "closed": "办结", "overdue": "逾期", "noRegion": "未指定地区",
        "noPhase": "不在任何阶段", "total": "共 {n} 件",
        "kinds": {"ISSUE": "问题", "REFERRAL": "移送", "CLUE": "线索", "CASE_TRANSFER": "案件移送"},
        "rungs": {
            "remind-3wd": "到期前3个工作日提醒", "remind-1wd": "到期前1个工作日提醒",
            "reminder": "提醒", "overdue": "逾期", "breach": "超法定时限", "supervision": "督办",
            "listed-supervision": "挂牌督办", "admonition": "约谈", "accountability": "问责",
        },
    },
    "en": {
        "open": "Open", "closed": "Closed", "overdue": "Overdue", "noRegion": "No region",
        "noPhase": "In no phase", "total": "{n} in all",
        "kinds": {
            "ISSUE": "Issues", "REFERRAL": "Referrals", "CLUE": "Clues",
            "CASE_TRANSFER": "Case transfers",
        },
        "rungs": {
            "remind-3wd": "Reminder 3 working days before",
            "remind-1wd": "Reminder 1 working day before", "reminder": "Reminder",
            "overdue": "Overdue", "breach": "Statutory breach",
            "supervision": "Supervision notice", "listed-supervision": "Listed supervision",
            "admonition": "Admonition interview", "accountability": "Accountability referral",
        },
    },
}  # fmt: skip
REGION = "某县"
CATEGORY, CLINIC = "诊所", "城关诊所"
CASE_NUMBER = "县卫罚〔{year}〕1号"
TARGET = """
mutation($campaign: ID!) {
  r: setCoverageTarget(campaign: $campaign, category: "诊所", population: 4,
                       requiredPercent: 50) { __typename }
}"""
INSPECT = """
mutation($campaign: ID!, $on: Date!) {
  r: recordInspection(campaign: $campaign, institution: "城关诊所", category: "诊所",
                      on: $on, findings: "处方不规范") { __typename }
}"""
FILE_CASE = """
mutation($campaign: ID!, $number: String!, $on: Date!) {
  r: fileEnforcementCase(number: $number, filedOn: $on, campaign: $campaign) { __typename }
}"""
RUNGS = "query($campaign: ID!) { statistics(campaign: $campaign) { escalations { rung count } } }"


def with_every_figure(system: System) -> dict[str, Any]:
    """Something behind every chart: the liaisons' agency in a region, a coverage target
    with an inspection, an enforcement case, and the rungs the clocks record for the sample
    ledger's passed deadlines. Each step is idempotent (the system serves the whole file)."""
    system.rectify("agency", "add", AGENCY, "--region", REGION)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    coordinator, liaison = system.token("coordinator"), system.token("liaison", AGENCY)
    for token, mutation, variables in (
        (coordinator, TARGET, {}),
        (liaison, INSPECT, {"on": today.isoformat()}),
        (liaison, FILE_CASE, {"on": today.isoformat(),
                              "number": CASE_NUMBER.format(year=today.year)}),
    ):  # fmt: skip
        data = system.graphql(token, mutation, campaign=CAMPAIGN, **variables)
        assert data["r"]["__typename"] == "ProgressChanged", data
    # the clocks record the passed rungs of each item in a burst: wait until it is over,
    # so that the page and GraphQL are compared on figures that stay put
    deadline, before = time.monotonic() + 120, None
    while True:
        found = system.graphql(coordinator, RUNGS, campaign=campaign_id(system))
        rungs = found["statistics"]["escalations"]
        if rungs and rungs == before:
            return figures(system)
        assert time.monotonic() < deadline, f"the clocks' rungs did not settle: {rungs}"
        before = rungs
        time.sleep(3)


def see_every_figure(page: Page, expected: dict[str, Any], lang: str) -> None:
    """Every figure of the cockpit, tile by tile and chart by chart, as GraphQL gives it."""
    words = WORDS[lang]
    dashboard, statistics = expected["dashboard"], expected["statistics"]
    progress, cases = expected["campaignProgress"], expected["enforcementCases"]
    expect(tile(page, "total")).to_have_text(str(dashboard["totalIssues"]))
    expect(tile(page, "open")).to_have_text(str(dashboard["open"]))
    expect(tile(page, "closed")).to_have_text(str(dashboard["closed"]))
    expect(tile(page, "overdue")).to_have_text(str(dashboard["overdue"]))
    expect(tile(page, "overdueAll")).to_have_text(str(statistics["total"]["overdue"]))
    (issues,) = [k for k in statistics["byKind"] if k["kind"] == "ISSUE"]
    expect(tile(page, "onTime")).to_have_text(rate(issues["counts"]["onTimeRate"]))
    expect(tile(page, "reports")).to_have_text(str(progress["reports"]["outstanding"]))
    phase = progress["currentPhase"]["name"] if progress["currentPhase"] else words["noPhase"]
    expect(page.get_by_test_id("tile-phase").locator(".tile-phase")).to_have_text(phase)
    # 各单位逾期问题 and 各单位问题办理情况
    overdue = {r["agency"]["name"]: r["overdue"] for r in dashboard["byAgency"] if r["overdue"]}
    expect(page.get_by_test_id("overdue-agency")).to_have_count(len(overdue))
    for name, count in overdue.items():
        expect(page.get_by_test_id("overdue-agency").filter(has_text=name)).to_have_text(
            f"{name} {count}"
        )
    expect(page.get_by_test_id("agency-figure")).to_have_count(len(dashboard["byAgency"]))
    for n, row in enumerate(dashboard["byAgency"]):
        for series in ("open", "closed", "overdue"):
            expect(page.get_by_test_id(f"agency-{series}").nth(n)).to_have_text(
                f"{words[series]} {row[series]}"
            )
    # 各类事项按期办结率
    kinds = page.get_by_test_id("kind-figure")
    expect(kinds).to_have_count(len(statistics["byKind"]))
    for n, row in enumerate(statistics["byKind"]):
        expect(kinds.nth(n)).to_have_text(
            f"{words['kinds'][row['kind']]} {rate(row['counts']['onTimeRate'])}"
        )
    # 每周新增与办结
    weeks = page.get_by_test_id("week-figure")
    expect(weeks).to_have_count(len(statistics["weekly"]))
    for n, week in enumerate(statistics["weekly"]):
        expect(weeks.nth(n)).to_contain_text(week["weekStart"][5:])
        expect(page.get_by_test_id("week-opened").nth(n)).to_have_text(f"+{week['opened']}")
        expect(page.get_by_test_id("week-closed").nth(n)).to_have_text(f"−{week['closed']}")
    # 提醒与督办次数
    rungs = page.get_by_test_id("rung-figure")
    expect(rungs).to_have_count(len(statistics["escalations"]))
    for n, row in enumerate(statistics["escalations"]):
        label = words["rungs"].get(row["rung"], row["rung"])
        expect(rungs.nth(n)).to_have_text(f"{label} {row['count']}")
    # 各地区事项
    regions = page.get_by_test_id("region-figure")
    expect(regions).to_have_count(len(statistics["byRegion"]))
    for n, row in enumerate(statistics["byRegion"]):
        expect(regions.nth(n)).to_contain_text(row["region"] or words["noRegion"])
        for series in ("open", "closed", "overdue"):
            expect(page.get_by_test_id(f"region-{series}").nth(n)).to_have_text(
                f"{words[series]} {row['counts'][series]}"
            )
    # 行政处罚立案数与目标
    figures_shown = page.get_by_test_id("case-figure")
    expect(figures_shown).to_have_count(len(cases))
    for n, row in enumerate(cases):
        expect(figures_shown.nth(n)).to_have_text(
            f"{row['region']} {row['count']} / {row['threshold']}"
        )
    # 检查覆盖率
    coverage = page.get_by_test_id("coverage-figure")
    expect(coverage).to_have_count(len(progress["coverage"]))
    for n, row in enumerate(progress["coverage"]):
        expect(coverage.nth(n)).to_have_text(f"{row['inspected']} / {row['population']}")
        expect(page.get_by_test_id("panel-coverage")).to_contain_text(f"{row['percent']}%")
    # 逾期最久的事项
    expect(page.get_by_test_id("panel-overdue-list")).to_contain_text(
        words["total"].format(n=statistics["overdue"]["totalCount"])
    )


def test_leadership_sees_every_figure_graphql_gives_in_chinese_and_in_english(
    web: Page, system: System
) -> None:
    expected = with_every_figure(system)
    assert expected["dashboard"]["overdue"] > 0  # the sample ledger's 2026 deadlines passed
    assert expected["statistics"]["escalations"] and expected["campaignProgress"]["coverage"]
    assert REGION in {r["region"] for r in expected["statistics"]["byRegion"]}
    open_cockpit(web, system)
    see_every_figure(web, expected, "zh-CN")
    web.get_by_test_id("language").click()
    expect(web.get_by_test_id("tile-total").locator(".tile-label")).to_have_text("Issues")
    see_every_figure(web, figures(system), "en")
    web.get_by_test_id("language").click()  # leave the remembered choice as it was


def drill_shows(page: Page, title: str, total: int, row_text: str) -> None:
    """The drawer titled `title` lists `total` rows (a page of 20 at first), each one naming
    `row_text`; then it is closed."""
    drawer = page.get_by_role("dialog", name=re.compile(re.escape(title)))
    expect(drawer.get_by_test_id("drill-total")).to_have_text(f"共 {total} 件")
    rows = drawer.locator("tr.el-table__row")
    expect(rows).to_have_count(min(total, 20))
    for n in range(min(total, 20)):
        expect(rows.nth(n)).to_contain_text(row_text)
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()


def test_a_week_a_rung_a_region_and_the_coverage_open_the_rows_they_count(
    web: Page, system: System
) -> None:
    expected = with_every_figure(system)
    statistics = expected["statistics"]
    open_cockpit(web, system)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    # this week's bar: the ledger imported today, so every row was opened today
    week = statistics["weekly"][-1]
    assert week["opened"] > 0
    web.get_by_test_id("week-opened").last.click()
    drill_shows(web, week["weekStart"], week["opened"], today)

    rung = statistics["escalations"][0]
    label = WORDS["zh-CN"]["rungs"].get(rung["rung"], rung["rung"])
    web.get_by_test_id("rung-figure").first.click()
    drill_shows(web, label, rung["count"], label)

    (region,) = [r for r in statistics["byRegion"] if r["region"] == REGION]
    assert region["counts"]["open"] > 0
    web.get_by_test_id("region-figure").filter(has_text=REGION).get_by_test_id(
        "region-open"
    ).click()
    drill_shows(web, REGION, region["counts"]["open"], AGENCY)  # its one agency

    (target,) = [c for c in expected["campaignProgress"]["coverage"] if c["category"] == CATEGORY]
    web.get_by_test_id("coverage-figure").first.click()
    drill_shows(web, CATEGORY, target["inspected"], CLINIC)

    (cases,) = [c for c in expected["enforcementCases"] if c["region"] == REGION]
    web.get_by_test_id("case-figure").filter(has_text=REGION).click()
    drill_shows(web, REGION, cases["count"], CASE_NUMBER.format(year=this_year()))


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
