"""领导驾驶舱 in a real browser: the figures leadership sees are the API's, and the charts
are drawn (ECharts on a canvas) under the strict CSP."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.system import System
from tests.browser.test_sign_in import sign_in

TOTALS = "{ statistics { total { open closed overdue } } }"


def test_leadership_sees_the_api_figures_and_the_charts(web: Page, system: System) -> None:
    sign_in(web, system, "leader1")
    expect(web).to_have_url(re.compile(r"/cockpit$"))
    total = system.graphql(system.token("leadership"), TOTALS)["statistics"]["total"]
    assert total["open"] > 0  # the imported ledger: a figure that can be told apart from none
    for key in ("open", "overdue", "closed"):
        expect(web.get_by_test_id(f"tile-{key}")).to_contain_text(str(total[key]))
    expect(web.get_by_role("img", name="逾期最多的单位").locator("canvas")).to_have_count(1)
    expect(web.get_by_role("img", name="每周新增与办结").locator("canvas")).to_have_count(1)
