"""查看举报人身份 in a real browser: an investigator of the handling agency reveals a clue's
reporter with a reason and sees the identity the API returns; the reveal is in the clue's
history; an anonymous clue and a blank reason are refused in the API's own words."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.system import AGENCY, PASSWORD, System, refusal_message
from tests.browser.test_sign_in import sign_in

INVESTIGATOR = "investigator1"
RECEIVE = """
mutation($input: ReceiveClueInput!) {
  r: receiveClue(input: $input) { __typename ... on ClueChanged { clue { id } } }
}"""
REVEAL = """
mutation($id: ID!, $reason: String!) {
  r: revealReporter(clueId: $id, reason: $reason) { __typename
    ... on NotAllowed { message } ... on InvalidTransition { message }
    ... on InvalidInput { message } ... on NotFound { message } ... on Conflict { message } }
}"""
REPORTER = {"name": "张举报", "phone": "13800001234", "idNumber": "", "address": "城关镇"}


@pytest.fixture(scope="module")
def investigator(system: System) -> str:
    system.rectify(
        "user", "add", INVESTIGATOR, "--name", "吴执法", "--role", "investigator",
        "--agency", AGENCY, "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    return system.token("investigator", AGENCY)


def receive(system: System, token: str, content: str, reporter: dict[str, Any] | None) -> str:
    clue: dict[str, Any] = {"channel": "HOTLINE_12320", "content": content, "institution": "县医院"}
    if reporter is not None:
        clue |= {"reporter": reporter, "realName": True}
    data = system.graphql(token, RECEIVE, input=clue)
    assert data["r"]["__typename"] == "ClueChanged", data
    clue_id: str = data["r"]["clue"]["id"]
    return clue_id


def open_reveal(web: Page, system: System, clue_id: str, reason: str) -> None:
    web.goto(f"{system.base_url}/clues/{clue_id}")
    web.get_by_test_id("reveal-open").click()
    dialog = web.get_by_test_id("reveal-dialog")
    dialog.get_by_label("查看理由").fill(reason)
    dialog.get_by_test_id("dialog-confirm").click()


def test_an_investigator_reveals_the_reporter_with_a_reason(
    web: Page, system: System, investigator: str
) -> None:
    clue_id = receive(system, investigator, "某医院收受回扣", REPORTER)
    sign_in(web, system, INVESTIGATOR)
    expect(web.get_by_test_id("who")).to_be_visible(timeout=30_000)  # argon2 under load
    web.goto(f"{system.base_url}/clues/{clue_id}")
    expect(web.get_by_test_id("item-fields")).to_contain_text("受保护")  # not the name
    expect(web.get_by_test_id("item-fields")).not_to_contain_text(REPORTER["name"])

    open_reveal(web, system, clue_id, "核实举报内容需联系举报人")

    shown = web.get_by_test_id("revealed-identity")
    expect(shown.get_by_test_id("revealed-name")).to_have_text(REPORTER["name"])
    expect(shown).to_contain_text(REPORTER["phone"])
    web.get_by_test_id("reveal-dialog").get_by_test_id("dialog-confirm").click()
    expect(web.get_by_test_id("revealed-identity")).to_have_count(0)  # not kept in the page
    expect(web.get_by_test_id("item-history")).to_contain_text("核实举报内容需联系举报人")


@pytest.mark.parametrize(
    ("reporter", "reason"),
    [(None, "核实举报内容"), (REPORTER, " ")],
    ids=["anonymous clue", "blank reason"],
)
def test_a_refused_reveal_is_shown_in_the_apis_words(
    web: Page,
    system: System,
    investigator: str,
    reporter: dict[str, Any] | None,
    reason: str,
) -> None:
    clue_id = receive(system, investigator, f"线索 {reason!r} {reporter is None}", reporter)
    expected = refusal_message(system, investigator, REVEAL, id=clue_id, reason=reason)
    sign_in(web, system, INVESTIGATOR)
    expect(web.get_by_test_id("who")).to_be_visible(timeout=30_000)  # argon2 under load

    open_reveal(web, system, clue_id, reason)

    expect(web.get_by_test_id("dialog-error")).to_contain_text(expected)
    expect(web.get_by_test_id("revealed-identity")).to_have_count(0)


def test_a_liaison_is_not_offered_the_reveal(web: Page, system: System, investigator: str) -> None:
    clue_id = receive(system, investigator, "另一条线索", REPORTER)
    sign_in(web, system, "liaison1")
    expect(web.get_by_test_id("who")).to_be_visible(timeout=30_000)  # argon2 under load
    web.goto(f"{system.base_url}/clues/{clue_id}")
    expect(web.get_by_test_id("item-title")).to_be_visible()
    expect(web.get_by_test_id("reveal-open")).to_have_count(0)
