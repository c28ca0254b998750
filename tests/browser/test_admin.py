"""用户管理 and 登录日志 in a real browser: an admin creates a liaison only by clicking,
who then signs in; a failed sign-in shows in the log with its outcome."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.system import PASSWORD, System
from tests.browser.test_sign_in import sign_in


def test_an_admin_creates_a_liaison_who_then_signs_in(web: Page, system: System) -> None:
    sign_in(web, system, "admin1")
    expect(web).to_have_url(re.compile(r"/users$"))
    web.get_by_test_id("create-user").click()
    dialog = web.get_by_role("dialog", name="新建用户")
    dialog.get_by_label("账号").fill("liaison2")
    dialog.get_by_label("姓名").fill("吴新人")
    dialog.get_by_label("初始密码").fill(PASSWORD)
    dialog.get_by_label("单位 / 地区").fill("县卫健局")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    row = web.get_by_test_id("users").locator("tr.el-table__row", has_text="liaison2")
    expect(row).to_contain_text("吴新人")
    expect(row).to_contain_text("联络员")

    web.get_by_test_id("logout").click()
    sign_in(web, system, "liaison2")
    expect(web.get_by_test_id("who")).to_have_text("吴新人 · 联络员 · 县卫健局")


def test_a_failed_sign_in_is_in_the_sign_in_log(web: Page, system: System) -> None:
    sign_in(web, system, "nobody-here", "whatever")
    expect(web.get_by_role("alert")).to_be_visible()
    sign_in(web, system, "admin1")
    web.locator(".sidebar .el-menu-item", has_text="登录日志").click()
    row = web.get_by_test_id("sign-in-log").locator("tr.el-table__row", has_text="nobody-here")
    expect(row).to_contain_text("用户不存在")
    expect(row).to_contain_text("127.0.0.1")
