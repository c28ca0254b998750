"""`rectify campaign launch|member|phase|show` against real PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from domain.application import RectifyApp
from domain.campaigns import Phase
from domain.names import campaign_id
from tests.integration.conftest import Run

TITLE = "医疗乱象专项整治"


@pytest.fixture
def agencies(run: Run) -> None:
    for name in ("市卫健委", "市医保局", "市公安局"):
        assert run("agency", "add", name).exit_code == 0


def test_a_campaign_gets_lead_members_and_phases(
    run: Run, agencies: None, es_env: dict[str, str]
) -> None:
    assert run("campaign", "launch", TITLE, "--lead", "市卫健委").exit_code == 0
    assert run("campaign", "member", TITLE, "市医保局", "市公安局").exit_code == 0
    assert run("campaign", "phase", TITLE, "自查自纠", "2026-03-01", "2026-04-30").exit_code == 0

    shown = run("campaign", "show", TITLE)
    ledger = RectifyApp(env=es_env)
    campaign = ledger.get_campaign(campaign_id(TITLE))
    ledger.close()
    assert shown.exit_code == 0 and "牵头单位 lead: 市卫健委" in shown.stdout
    assert len(campaign.member_agency_ids) == 3
    assert campaign.phases == [Phase("自查自纠", date(2026, 3, 1), date(2026, 4, 30))]


def test_one_unknown_member_adds_none_of_them(
    run: Run, agencies: None, es_env: dict[str, str]
) -> None:
    run("campaign", "launch", TITLE)

    result = run("campaign", "member", TITLE, "市医保局", "不存在局")

    ledger = RectifyApp(env=es_env)
    members = ledger.get_campaign(campaign_id(TITLE)).member_agency_ids
    ledger.close()
    assert result.exit_code == 1 and "不存在局" in result.stderr
    assert members == []


def test_an_unknown_campaign_is_named_in_the_refusal(run: Run, agencies: None) -> None:
    result = run("campaign", "phase", "没有的行动", "自查自纠", "2026-03-01", "2026-04-30")
    assert result.exit_code == 1 and "没有的行动" in result.stderr


def test_a_bad_date_names_the_format(run: Run) -> None:
    result = run("campaign", "phase", TITLE, "自查自纠", "2026-3-1", "2026-04-30")
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.stderr
