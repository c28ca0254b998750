"""牵头办's settings pages in a real browser, only by clicking: 工作日历 (the years and
loading one), 督办规则 (a campaign's ladder edited), the agency groups of 单位 (a group
created, a member added and removed); refusals in the API's words; and every coordinator
page in English without a Chinese-only label left."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.system import AGENCY, CAMPAIGN, System
from tests.browser.test_coordinator_admin import choose, table_row
from tests.browser.test_sign_in import MENUS, sign_in

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def year_row(page: Page, year: int) -> Locator:
    rows = page.get_by_test_id("calendar-years").locator("tr.el-table__row")
    return rows.filter(has=page.get_by_test_id(f"year-{year}"))


def open_menu(page: Page, title: str) -> None:
    page.locator(".sidebar .el-menu-item", has_text=title).click()
    expect(page.locator("h2")).to_have_text(title)


def test_a_coordinator_sees_where_each_years_days_come_from_and_loads_a_year(
    web: Page, system: System
) -> None:
    sign_in(web, system, "coord1")
    open_menu(web, "工作日历")
    expect(year_row(web, 2025).get_by_test_id("year-source")).to_have_text("内置数据")
    year_row(web, 2029).get_by_test_id("view-2029").click()
    expect(web.get_by_test_id("provisional-note")).to_contain_text("2029年尚无官方放假安排")

    web.get_by_test_id("load-calendar").click()
    dialog = web.get_by_role("dialog", name="加载年度安排")
    dialog.get_by_label("年份").fill("2031")
    dialog.get_by_label("放假日").fill("2031-01-01\n2031-02-30")
    dialog.get_by_label("调休上班日").fill("")
    dialog.get_by_label("出处").fill("国办发明电〔2030〕7号")
    dialog.get_by_test_id("dialog-confirm").click()
    # the server's refusal, naming the bad date's place, and nothing loaded
    expect(dialog.get_by_role("alert")).to_contain_text("holidays[1]")
    expect(year_row(web, 2031)).to_have_count(0)

    dialog.get_by_label("放假日").fill("2031-01-01\n2031-01-22、2031-01-23")
    dialog.get_by_label("调休上班日").fill("2031-01-19")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()

    loaded = year_row(web, 2031)
    expect(loaded.get_by_test_id("year-source")).to_have_text("已加载")
    expect(loaded).to_contain_text("国办发明电〔2030〕7号")
    expect(web.get_by_test_id("load-outcome")).to_contain_text("2031-05-01")  # 劳动节 missing
    expect(web.get_by_test_id("calendar-year").locator("h3")).to_contain_text("2031年安排")
    expect(web.get_by_test_id("holidays")).to_have_text(re.compile("2031-01-01.*2031-01-23"))
    expect(web.get_by_test_id("working-days")).to_have_text("2031-01-19")


def issue_policy(page: Page) -> Locator:
    return (
        page.get_by_test_id("policies")
        .locator(
            "tr.el-table__row", has=page.get_by_test_id("policy-kind").filter(has_text="整改问题")
        )
        .filter(has_text=CAMPAIGN)
    )


def test_a_coordinator_edits_a_campaigns_escalation_ladder(web: Page, system: System) -> None:
    sign_in(web, system, "coord1")
    open_menu(web, "督办规则")
    row = issue_policy(web)
    expect(row.get_by_test_id("policy-version")).to_have_text("内置规则")

    row.get_by_test_id("edit-policy").click()
    dialog = web.get_by_role("dialog", name="修改规则")
    first = dialog.get_by_test_id("rung-0")
    first.get_by_test_id("rung-offset").fill("soon")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog.get_by_role("alert")).to_contain_text("rungs[0].offset")

    first.get_by_test_id("rung-offset").fill("5wd")
    dialog.get_by_label("修改理由").fill("提前提醒")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id("policy-version")).to_have_text("第 1 版")
    expect(row.get_by_test_id("policy-rungs")).to_contain_text("5 个工作日")


def test_a_coordinator_creates_a_group_adds_a_member_and_removes_it(
    web: Page, system: System
) -> None:
    group = "浏览器测试各成员单位"
    sign_in(web, system, "coord1")
    open_menu(web, "单位")
    # the agencies' table above the button loads its rows and grows: a click while it
    # does lands where the button was (one run under load never opened the dialog)
    expect(web.get_by_test_id("agencies").get_by_text(AGENCY, exact=True)).to_be_visible()

    web.get_by_test_id("create-group").click()
    dialog = web.get_by_role("dialog", name="新建单位组")
    dialog.get_by_label("单位组名称").fill(AGENCY)  # an agency's name: the API refuses it
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog.get_by_role("alert")).to_contain_text("已有同名单位")
    dialog.get_by_label("单位组名称").fill(group)
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()

    row = table_row(web, "groups", group)
    expect(row.get_by_test_id("group-members")).to_have_text("暂无成员")
    row.get_by_test_id("add-member").click()
    dialog = web.get_by_role("dialog", name="添加成员")
    choose(web, dialog.get_by_test_id("member-agency"), AGENCY)
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    member = row.get_by_test_id(f"member-{AGENCY}")
    expect(member).to_have_text(AGENCY)

    member.locator(".el-tag__close").click()
    expect(row.get_by_test_id("group-members")).to_have_text("暂无成员")


# What a person reads as the page's own words: menu, headings, table headers, buttons,
# form labels, placeholders and empty-table texts (never the data: agency names, titles).
LABELS = (
    ".sidebar .el-menu-item, .page h2, .page h3, .page h4, .page th, .page button,"
    " .page label, .page .el-table__empty-text, [data-testid=total]"
)


def chinese_labels(page: Page) -> list[str]:
    texts = page.locator(LABELS).all_inner_texts()
    placeholders = page.locator(".page [placeholder]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('placeholder'))"
    )
    return sorted({t.strip() for t in [*texts, *placeholders] if t and CJK.search(t)})


def test_every_coordinator_page_in_english_has_no_chinese_only_label(
    web: Page, system: System
) -> None:
    sign_in(web, system, "coord1")
    entries = web.locator(".sidebar .el-menu-item")
    expect(entries).to_have_count(len(MENUS["coord1"]), timeout=30_000)
    web.get_by_test_id("language").click()
    expect(entries.first).to_have_text("Notices")
    left: dict[str, list[str]] = {}
    for index in range(len(MENUS["coord1"])):
        entry = entries.nth(index)
        title = entry.inner_text().strip()
        entry.click()
        expect(web.locator(".page h2").first).to_have_text(title)
        web.wait_for_load_state("networkidle")
        found = chinese_labels(web)
        if found:
            left[title] = found
    assert not left, left
