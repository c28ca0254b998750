"""我的待办 in a real browser: a liaison finds a referral sent to their agency, claims it
and answers it, only by clicking; a refusal is shown in the API's own words."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.system import System, refusal_message, send_referral
from tests.browser.test_sign_in import sign_in


def row_of(page: Page, text: str) -> Locator:
    return page.get_by_test_id("queue").locator("tr.el-table__row", has_text=text)


def test_a_liaison_claims_and_answers_a_referral(web: Page, system: System) -> None:
    reason = "浏览器测试：医院违规收费线索移送"
    send_referral(system, reason)
    sign_in(web, system, "liaison1")
    expect(web).to_have_url(re.compile(r"/todo$"))

    row = row_of(web, reason)
    expect(row.get_by_test_id("status")).to_have_text("待签收")
    row.get_by_test_id("step-claimReferral").click()
    dialog = web.get_by_role("dialog", name="签收")
    expect(dialog).to_contain_text("确认签收这件移送？")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id("status")).to_have_text("办理中")

    row.get_by_test_id("step-answerReferral").click()
    dialog = web.get_by_role("dialog", name="反馈办理结果")
    dialog.get_by_label("办理结果").fill("已立案调查，责令退还违规收费")
    dialog.get_by_label("案件编号").fill("卫医罚〔2026〕12号")
    dialog.get_by_test_id("dialog-confirm").click()
    expect(dialog).to_be_hidden()
    # answered: the next step is the sending agency's, so it leaves this queue
    expect(row).to_have_count(0)


def test_an_answer_without_an_outcome_is_refused_in_the_api_words(
    web: Page, system: System
) -> None:
    reason = "浏览器测试：空结果反馈"
    referral = send_referral(system, reason)
    sign_in(web, system, "liaison1")
    row = row_of(web, reason)
    row.get_by_test_id("step-claimReferral").click()
    web.get_by_role("dialog", name="签收").get_by_test_id("dialog-confirm").click()
    expect(row.get_by_test_id("status")).to_have_text("办理中")

    row.get_by_test_id("step-answerReferral").click()
    dialog = web.get_by_role("dialog", name="反馈办理结果")
    dialog.get_by_test_id("dialog-confirm").click()
    # the API's InvalidInput, as it words it, stays in the dialog
    said = refusal_message(system, system.token("liaison", "县卫健局"), ANSWER, id=referral)
    expect(dialog.get_by_role("alert")).to_have_text(said)
    expect(dialog).to_be_visible()
    expect(row.get_by_test_id("status")).to_have_text("办理中")


ANSWER = """
mutation($id: ID!) {
  r: answerReferral(referralId: $id, outcome: "") {
    __typename ... on InvalidInput { message } ... on InvalidTransition { message }
  }
}"""


def test_on_a_phone_the_queue_keeps_the_subject_status_due_and_actions(
    web: Page, system: System
) -> None:
    reason = "浏览器测试：手机上的待办"
    send_referral(system, reason)
    web.set_viewport_size({"width": 390, "height": 800})
    sign_in(web, system, "liaison1")
    row = row_of(web, reason)
    expect(row).to_contain_text("待签收")
    row.scroll_into_view_if_needed()  # below the agency's open issues, due sooner
    expect(row.get_by_test_id("due-badge")).to_be_visible()
    expect(row.get_by_test_id("step-claimReferral")).to_be_in_viewport()
    expect(web.get_by_test_id("queue").get_by_text("办理单位")).to_have_count(0)
