"""`rectify referral terms` against real PostgreSQL: a campaign's referral periods."""

from __future__ import annotations

from domain.application import RectifyApp
from domain.names import campaign_id
from tests.integration.conftest import Run

TITLE = "医疗美容专项整治"


def test_terms_default_then_set_for_new_referrals(run: Run, es_env: dict[str, str]) -> None:
    assert run("campaign", "launch", TITLE).exit_code == 0
    shown = run("referral", "terms", TITLE)
    assert shown.exit_code == 0 and "claim: 3" in shown.output and "answer: 15" in shown.output
    changed = run("referral", "terms", TITLE, "--claim-days", "5")
    assert changed.exit_code == 0 and "claim: 5" in changed.output
    app = RectifyApp(env=es_env)
    try:
        assert app.referral_terms(campaign_id(TITLE)) == (5, 15)
    finally:
        app.close()


def test_terms_of_zero_days_are_refused(run: Run) -> None:
    assert run("campaign", "launch", TITLE).exit_code == 0
    refused = run("referral", "terms", TITLE, "--answer-days", "0")
    assert refused.exit_code == 1 and "answerDays" in refused.output


def test_terms_of_an_unknown_campaign_are_refused(run: Run) -> None:
    refused = run("referral", "terms", "没有这个行动")
    assert refused.exit_code == 1
