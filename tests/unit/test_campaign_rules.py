"""A campaign's rules: who decides extensions, and whether sign-off needs an uploaded file."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.application import RectifyApp
from domain.campaigns import Campaign, ExtensionApprovers
from domain.deadlines import parse_deadline
from domain.errors import InvalidInput, InvalidTransition
from domain.evidence import EvidenceRequired

ACTOR = "user:coordinator"
FILE = "sha256:" + "ab" * 32


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


def _issue(app: RectifyApp, evidence_required: bool) -> tuple[UUID, UUID]:
    campaign = app.launch_campaign("医疗乱象专项整治", actor=ACTOR).id
    app.require_evidence(campaign, evidence_required, ACTOR)
    lead = app.register_agency("县卫健局", actor=ACTOR).id
    item = app.register_issue(
        campaign, "1", "问题", ["措施"], lead, [], parse_deadline("2099年12月31日"), actor=ACTOR
    ).id
    return item, lead


def test_a_campaign_lets_only_leadership_decide_extensions_by_default() -> None:
    campaign = Campaign("专项", None, ACTOR)
    assert campaign.approvers() is ExtensionApprovers.LEADERSHIP
    assert campaign.requires_evidence() is False


def test_setting_who_decides_extensions_records_one_event_and_repeating_it_none() -> None:
    campaign = Campaign("专项", None, ACTOR)
    campaign.set_extension_approvers("leadership_or_office", ACTOR)
    campaign.set_extension_approvers("leadership_or_office", ACTOR)
    events = campaign.collect_events()
    assert [type(e) for e in events[1:]] == [Campaign.ExtensionApproversSet]
    assert events[1].approvers == "leadership_or_office"  # type: ignore[attr-defined]
    assert campaign.approvers() is ExtensionApprovers.LEADERSHIP_OR_OFFICE


def test_an_unknown_extension_rule_is_refused_naming_the_field_in_both_languages() -> None:
    campaign = Campaign("专项", None, ACTOR)
    with pytest.raises(InvalidInput) as refused:
        campaign.set_extension_approvers("everyone", ACTOR)
    assert refused.value.field == "approvers"
    assert "未知的延期审批规则" in refused.value.message
    assert "unknown rule" in refused.value.message


def test_requiring_evidence_records_one_event_and_can_be_lifted() -> None:
    campaign = Campaign("专项", None, ACTOR)
    campaign.require_evidence(True, ACTOR)
    campaign.require_evidence(True, ACTOR)
    campaign.require_evidence(False, ACTOR)
    events = campaign.collect_events()
    assert [type(e) for e in events[1:]] == [Campaign.EvidenceRequirementSet] * 2
    assert [e.required for e in events[1:]] == [True, False]  # type: ignore[attr-defined]


def test_sign_off_is_refused_without_an_uploaded_file_where_the_campaign_requires_one(
    app: RectifyApp,
) -> None:
    item, lead = _issue(app, evidence_required=True)
    app.report_progress(item, lead, "已整改", ["整改报告.pdf"], ACTOR)  # a plain string only
    app.submit_for_verification(item, "已完成", ACTOR)
    with pytest.raises(EvidenceRequired) as refused:
        app.sign_off(item, "", ACTOR)
    assert isinstance(refused.value, InvalidTransition)
    assert "整改佐证材料" in str(refused.value) and "requires evidence" in str(refused.value)
    assert refused.value.current_state == "SUBMITTED"


def test_sign_off_passes_once_a_progress_report_carries_an_uploaded_file(
    app: RectifyApp,
) -> None:
    item, lead = _issue(app, evidence_required=True)
    app.report_progress(item, lead, "已整改", [FILE], ACTOR)
    app.submit_for_verification(item, "已完成", ACTOR)
    assert app.sign_off(item, "", ACTOR).changed
    assert app.get_issue(item).is_closed


def test_sign_off_needs_no_file_where_the_campaign_does_not_ask_for_one(app: RectifyApp) -> None:
    item, _ = _issue(app, evidence_required=False)
    app.submit_for_verification(item, "已完成", ACTOR)
    assert app.sign_off(item, "", ACTOR).changed


def test_an_open_issue_is_refused_for_its_state_before_any_evidence_rule(app: RectifyApp) -> None:
    item, _ = _issue(app, evidence_required=True)
    with pytest.raises(InvalidTransition) as refused:
        app.sign_off(item, "", ACTOR)
    assert not isinstance(refused.value, EvidenceRequired)
