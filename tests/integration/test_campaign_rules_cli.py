"""`rectify campaign extension-approvers|evidence` against real PostgreSQL."""

from __future__ import annotations

from domain.application import RectifyApp
from domain.campaigns import ExtensionApprovers
from domain.names import campaign_id
from tests.integration.conftest import Run

TITLE = "医疗乱象专项整治"


def test_show_names_the_default_rules_and_the_commands_change_them(
    run: Run, es_env: dict[str, str]
) -> None:
    assert run("campaign", "launch", TITLE).exit_code == 0
    shown = run("campaign", "show", TITLE).stdout
    assert "延期审批 extension approvers: 仅领导 (leadership)" in shown
    assert "evidence required before sign-off: 否 no" in shown

    assert run("campaign", "extension-approvers", TITLE, "leadership_or_office").exit_code == 0
    assert run("campaign", "evidence", TITLE).exit_code == 0
    again = run("campaign", "evidence", TITLE)
    assert again.exit_code == 0 and "unchanged" in again.stdout

    ledger = RectifyApp(env=es_env)
    campaign = ledger.get_campaign(campaign_id(TITLE))
    ledger.close()
    assert campaign.approvers() is ExtensionApprovers.LEADERSHIP_OR_OFFICE
    assert campaign.requires_evidence()
    assert "领导或领导小组办公室" in run("campaign", "show", TITLE).stdout


def test_an_unknown_rule_is_refused_and_an_unknown_campaign_named(run: Run) -> None:
    run("campaign", "launch", TITLE)
    assert run("campaign", "extension-approvers", TITLE, "everyone").exit_code != 0
    missing = run("campaign", "evidence", "不存在的专项", "--not-required")
    assert missing.exit_code == 1 and "不存在的专项" in missing.stderr
