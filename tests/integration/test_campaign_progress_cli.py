"""`rectify campaign target|threshold` against real PostgreSQL."""

from __future__ import annotations

from domain.application import RectifyApp
from domain.campaigns import CoverageTarget
from domain.names import campaign_id
from tests.integration.conftest import Run

TITLE = "医疗乱象专项整治"


def test_coverage_target_and_case_threshold_are_set_from_the_cli(
    run: Run, es_env: dict[str, str]
) -> None:
    assert run("campaign", "launch", TITLE).exit_code == 0

    assert run("campaign", "target", TITLE, "诊所", "40", "50", "--region", "甲县").exit_code == 0
    assert run("campaign", "threshold", TITLE, "8").exit_code == 0

    ledger = RectifyApp(env=es_env)
    campaign = ledger.get_campaign(campaign_id(TITLE))
    ledger.close()
    assert campaign.targets() == [CoverageTarget("诊所", 40, 50, "甲县")]
    assert campaign.case_threshold == 8


def test_a_target_share_over_100_is_refused_naming_the_field(run: Run) -> None:
    run("campaign", "launch", TITLE)

    result = run("campaign", "target", TITLE, "诊所", "40", "150")

    assert result.exit_code == 1
    assert "requiredPercent" in result.stderr
