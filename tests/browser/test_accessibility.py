"""Usable by keyboard and by assistive technology (issue 14, item 8): axe-core, read from
web/node_modules (never a CDN), checks the main pages of every role and fails on a
serious or critical violation; a liaison claims a referral with the keyboard alone, and
the control that has the focus shows it. Who asks for less motion gets none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.system import System, send_referral
from tests.browser.test_sign_in import sign_in

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# each role's pages as its menu lists them (web/src/utils/menu.ts), and the sign-in page
PAGES = {
    "liaison1": ["/todo", "/notifications"],
    "coord1": [
        "/verification", "/returned", "/unclaimed", "/overdue", "/extensions",
        "/ledger-import", "/agencies", "/notifications",
    ],
    "leader1": ["/cockpit", "/extensions", "/notifications"],
    "auditor1": ["/audit"],
    "admin1": ["/users", "/login-log"],
}  # fmt: skip
RUN_AXE = """async () => {
  const found = await axe.run(document, { resultTypes: ['violations'] })
  return found.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
  }))
}"""


@pytest.fixture
def checked(chromium: Browser, system: System) -> Iterator[Page]:
    """A page whose context lets Playwright add axe-core's script inline: the strict CSP
    (script-src 'self') refuses inline scripts, rightly, and the other browser tests hold
    the workbench to it. Motion reduced: axe checks the pages as they settle, not an
    Element Plus tag halfway through fading in (it once measured one, at part opacity,
    below the contrast it has once shown)."""
    assert AXE.is_file(), f"{AXE} is missing: make web-unit (npm ci in web/)"
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 800},
        bypass_csp=True,
        reduced_motion="reduce",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of what the page shows now."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [v for v in found if v["impact"] in BLOCKING]


def settled(page: Page, system: System, path: str) -> None:
    page.goto(system.base_url + path)
    expect(page.locator("main .page, main section").first).to_be_visible()
    page.wait_for_load_state("networkidle")


def _sign_in_button_transition(page: Page, system: System) -> str:
    page.goto(system.base_url + "/login")
    button = page.get_by_role("button", name="登录")
    expect(button).to_be_visible()
    return str(button.evaluate("(b) => getComputedStyle(b).transitionDuration"))


def test_who_asks_for_less_motion_gets_none(checked: Page, page: Page, system: System) -> None:
    assert _sign_in_button_transition(page, system) != "0s"  # Element Plus's own
    assert _sign_in_button_transition(checked, system) == "0s"


def test_the_sign_in_page_has_no_serious_violation(checked: Page, system: System) -> None:
    checked.goto(system.base_url + "/login")
    expect(checked.get_by_label("账号")).to_be_visible()
    assert violations(checked) == []


@pytest.mark.parametrize("username", list(PAGES))
def test_the_main_pages_of_each_role_have_no_serious_violation(
    checked: Page, system: System, username: str
) -> None:
    sign_in(checked, system, username)
    expect(checked.get_by_test_id("who")).to_be_visible(timeout=30_000)
    found = {}
    for path in PAGES[username]:
        settled(checked, system, path)
        if problems := violations(checked):
            found[path] = problems
    assert found == {}


def focused_outline(page: Page) -> dict[str, str]:
    style: dict[str, str] = page.evaluate(
        """() => {
          const s = getComputedStyle(document.activeElement)
          return { style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor }
        }"""
    )
    return style


def tab_to(page: Page, test_id: str, within: str | None = None, limit: int = 200) -> None:
    """Press Tab until the element with `test_id` (in a table row containing `within`) has
    the focus: the keyboard alone reaches it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            """([id, within]) => {
              const e = document.activeElement
              if (!e || e.dataset.testid !== id) return false
              return within === null || (e.closest('tr')?.textContent ?? '').includes(within)
            }""",
            [test_id, within],
        ):
            return
    raise AssertionError(f"Tab never reached {test_id} {within or ''}")


def test_a_liaison_claims_a_referral_with_the_keyboard_alone(web: Page, system: System) -> None:
    reason = "键盘测试：只用键盘签收的移送"
    send_referral(system, reason)
    web.goto(system.base_url + "/")
    web.get_by_label("账号").press_sequentially("liaison1")
    web.keyboard.press("Tab")
    web.keyboard.type("Zhenggai-2026!")
    web.keyboard.press("Enter")
    expect(web).to_have_url(re.compile(r"/todo$"), timeout=30_000)
    row = web.get_by_test_id("queue").locator("tr.el-table__row", has_text=reason)
    expect(row.get_by_test_id("status")).to_have_text("待签收")

    tab_to(web, "step-claimReferral", reason)
    outline = focused_outline(web)
    assert outline["style"] != "none" and outline["width"] not in ("0px", ""), outline
    web.keyboard.press("Enter")
    dialog = web.get_by_role("dialog", name="签收")
    expect(dialog).to_be_visible()
    tab_to(web, "dialog-confirm")
    outline = focused_outline(web)
    assert outline["style"] != "none" and outline["width"] not in ("0px", ""), outline
    web.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id("status")).to_have_text("办理中")
