from playwright.sync_api import Page, expect

from tests.browser.system import System
from tests.browser.test_cockpit import open_cockpit, tile
from tests.browser.test_sign_in import sign_in


def test_shots(web: Page, system: System) -> None:
    web.set_viewport_size({"width": 1440, "height": 1000})
    open_cockpit(web, system)
    expect(tile(web, "total")).to_be_visible()
    web.wait_for_timeout(1500)
    web.screenshot(path="/tmp/bt-cockpit/cockpit.png", full_page=True)
    web.get_by_test_id("overdue-agency").first.click()
    web.wait_for_timeout(1000)
    web.screenshot(path="/tmp/bt-cockpit/drill.png")
    web.keyboard.press("Escape")
    web.wait_for_timeout(500)
    web.get_by_test_id("bigscreen").click()
    web.wait_for_timeout(1500)
    web.screenshot(path="/tmp/bt-cockpit/big.png")
    web.get_by_test_id("bigscreen").click()
    web.get_by_test_id("logout").click()
    sign_in(web, system, "auditor1")
    web.get_by_test_id("pick").first.click()
    web.wait_for_timeout(1500)
    web.screenshot(path="/tmp/bt-cockpit/audit.png", full_page=True)
