"""退回 and 改派 in a real browser: a liaison returns a referral that is not their agency's
remit, and the coordinator reassigns it to another agency, both only by clicking."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.system import System, send_referral
from tests.browser.test_liaison_queue import row_of
from tests.browser.test_sign_in import sign_in


def test_a_returned_referral_is_reassigned_by_the_coordinator(web: Page, system: System) -> None:
    reason = "浏览器测试：应由公安机关办理的线索"
    send_referral(system, reason)
    sign_in(web, system, "liaison1")
    row = row_of(web, reason)
    row.get_by_test_id("step-returnReferral").click()
    dialog = web.get_by_role("dialog", name="退回")
    dialog.get_by_label("说明").fill("涉嫌犯罪，应移送公安机关")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)  # returned: the office's to reassign, no longer the liaison's
    web.get_by_test_id("logout").click()

    sign_in(web, system, "coord1")
    web.locator(".sidebar .el-menu-item", has_text="退回待改派").click()
    expect(web).to_have_url(re.compile(r"/returned$"))
    returned = web.get_by_test_id("returned").locator("tr.el-table__row", has_text=reason)
    expect(returned).to_contain_text("县卫健局")
    returned.get_by_test_id("action-reassign").click()
    dialog = web.get_by_role("dialog", name="改派")
    dialog.get_by_test_id("reassign-agency").click()
    web.get_by_role("option", name="县公安局", exact=True).click()
    dialog.get_by_label("改派理由").fill("属公安机关职责")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(returned).to_have_count(0)
