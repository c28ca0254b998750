"""Signing in to the workbench in a real browser: the menu each role sees, the API's own
words for a wrong password and a locked account, the remembered language, signing out,
and the CSRF header a cookie-carrying mutation needs."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.system import PASSWORD, System

MENUS = {
    "liaison1": ["我的待办", "通知"],
    "coord1": [
        "通知",
        "核验",
        "退回待改派",
        "未签收移送",
        "逾期问题",
        "延期审批",
        "台账导入",
        "单位",
        "工作日历",
        "督办规则",
    ],
    "leader1": ["领导驾驶舱", "通知", "延期审批"],
    "auditor1": ["审计"],
    "admin1": ["用户管理", "登录日志", "单位", "工作日历", "督办规则"],
}


def sign_in(page: Page, system: System, username: str, password: str = PASSWORD) -> None:
    page.goto(system.base_url + "/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("username", list(MENUS))
def test_each_role_signs_in_and_sees_its_own_menu(web: Page, system: System, username: str) -> None:
    sign_in(web, system, username)
    menu = web.locator(".sidebar .el-menu-item")
    expect(menu).to_have_text(MENUS[username])
    expect(web).not_to_have_url(re.compile(r"/login"))


def test_a_liaison_sees_their_name_role_and_agency(web: Page, system: System) -> None:
    sign_in(web, system, "liaison1")
    expect(web.get_by_test_id("who")).to_have_text(re.compile(r"王联络 · 联络员 · 县卫健局"))
    expect(web).to_have_url(re.compile(r"/todo$"))


def test_a_wrong_password_shows_the_api_message(web: Page, system: System) -> None:
    sign_in(web, system, "liaison1", "not-the-password")
    expect(web.get_by_role("alert")).to_contain_text(
        "用户名或密码错误 / wrong user name or password"
    )
    expect(web).to_have_url(re.compile(r"/login"))


def test_a_locked_account_is_told_so_in_the_api_words(web: Page, system: System) -> None:
    for _ in range(5):
        sign_in(web, system, "locked1", "wrong-again")
        expect(web.get_by_role("alert")).to_contain_text("用户名或密码错误")
    sign_in(web, system, "locked1")
    expect(web.get_by_role("alert")).to_contain_text("账号已锁定")


def test_a_page_opened_before_signing_in_opens_after_it(web: Page, system: System) -> None:
    web.goto(system.base_url + "/notifications")
    expect(web).to_have_url(re.compile(r"/login\?redirect=/notifications"))
    web.get_by_label("账号").fill("liaison1")
    web.get_by_label("密码", exact=True).fill(PASSWORD)
    web.get_by_role("button", name="登录").click()
    expect(web).to_have_url(re.compile(r"/notifications$"))


def test_a_page_outside_the_menu_leads_home(web: Page, system: System) -> None:
    sign_in(web, system, "liaison1")
    expect(web).to_have_url(re.compile(r"/todo$"))
    web.goto(system.base_url + "/users")
    expect(web).to_have_url(re.compile(r"/todo$"))


def test_the_english_switch_is_remembered(web: Page, system: System) -> None:
    sign_in(web, system, "liaison1")
    web.get_by_test_id("language").click()
    expect(web.locator(".sidebar .el-menu-item")).to_have_text(["My tasks", "Notices"])
    web.reload()
    expect(web.locator(".sidebar .el-menu-item")).to_have_text(["My tasks", "Notices"])
    web.get_by_test_id("language").click()
    expect(web.locator(".sidebar .el-menu-item")).to_have_text(["我的待办", "通知"])


def test_signing_out_ends_the_session(web: Page, system: System) -> None:
    sign_in(web, system, "liaison1")
    expect(web).to_have_url(re.compile(r"/todo$"))
    web.get_by_test_id("logout").click()
    expect(web).to_have_url(re.compile(r"/login"))
    web.goto(system.base_url + "/todo")
    expect(web).to_have_url(re.compile(r"/login"))


MARK_ALL = "mutation { markAllNotificationsRead { marked } }"


def test_a_mutation_with_the_cookie_but_without_the_csrf_header_is_refused(
    system: System,
) -> None:
    with httpx.Client(base_url=system.base_url, timeout=30) as client:
        signed = client.post("/auth/login", json={"username": "coord1", "password": PASSWORD})
        assert signed.status_code == 200
        csrf = signed.json()["csrfToken"]

        refused = client.post("/graphql", json={"query": MARK_ALL})
        forged = client.post("/graphql", json={"query": MARK_ALL}, headers={"X-CSRF-Token": "x"})
        allowed = client.post("/graphql", json={"query": MARK_ALL}, headers={"X-CSRF-Token": csrf})

    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert forged.status_code == 403
    assert allowed.status_code == 200 and "errors" not in allowed.json()
