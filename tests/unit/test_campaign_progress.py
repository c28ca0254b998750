"""Coverage targets, inspections and law-enforcement cases: aggregates and commands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID

import eventsourcing.domain
import pytest

from domain.application import RectifyApp
from domain.campaigns import DEFAULT_CASE_THRESHOLD, Campaign, CoverageTarget
from domain.errors import InvalidInput, NotFound
from domain.inspections import EnforcementCase, Inspection, enforcement_case_id, inspection_id

ACTOR = "user:coordinator"


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


def _campaign(app: RectifyApp) -> UUID:
    return app.launch_campaign("医疗乱象专项整治", actor=ACTOR).id


def _agency(app: RectifyApp, name: str = "甲县卫健局", region: str = "甲县") -> UUID:
    return app.register_agency(name, actor=ACTOR, region=region).id


# -- coverage targets -------------------------------------------------------------------


def test_coverage_target_is_recorded_on_the_campaign() -> None:
    campaign = Campaign("行动", None, ACTOR)
    campaign.set_coverage_target(CoverageTarget(" 县级医院 ", 12, 100, "甲县"), ACTOR)
    assert campaign.targets() == [CoverageTarget("县级医院", 12, 100, "甲县")]
    assert isinstance(campaign.pending_events[-1], Campaign.CoverageTargetSet)


def test_setting_a_category_again_replaces_its_target() -> None:
    campaign = Campaign("行动", None, ACTOR)
    campaign.set_coverage_target(CoverageTarget("诊所", 40, 50), ACTOR)
    campaign.set_coverage_target(CoverageTarget("县级医院", 3, 100), ACTOR)
    campaign.set_coverage_target(CoverageTarget("诊所", 45, 60), ACTOR)
    assert campaign.targets() == [
        CoverageTarget("县级医院", 3, 100),
        CoverageTarget("诊所", 45, 60),
    ]


def test_setting_the_same_target_again_records_nothing(app: RectifyApp) -> None:
    campaign = _campaign(app)
    app.set_coverage_target(campaign, "诊所", 40, 50, ACTOR)
    again = app.set_coverage_target(campaign, "诊所", 40, 50, ACTOR)
    assert not again.changed


def test_target_with_empty_category_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Campaign("行动", None, ACTOR).set_coverage_target(CoverageTarget("  ", 1, 50), ACTOR)
    assert refused.value.field == "category"


def test_target_with_population_below_one_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Campaign("行动", None, ACTOR).set_coverage_target(CoverageTarget("诊所", 0, 50), ACTOR)
    assert refused.value.field == "population"


@pytest.mark.parametrize("percent", [0, 101])
def test_target_share_outside_1_to_100_is_refused(percent: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        Campaign("行动", None, ACTOR).set_coverage_target(
            CoverageTarget("诊所", 10, percent), ACTOR
        )
    assert refused.value.field == "requiredPercent"


def test_case_threshold_defaults_to_ten_and_can_be_set(app: RectifyApp) -> None:
    campaign = _campaign(app)
    assert app.get_campaign(campaign).case_threshold == DEFAULT_CASE_THRESHOLD == 10
    app.set_case_threshold(campaign, 6, ACTOR)
    assert app.get_campaign(campaign).case_threshold == 6


def test_case_threshold_below_one_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Campaign("行动", None, ACTOR).set_case_threshold(0, ACTOR)
    assert refused.value.field == "threshold"


# -- inspections ------------------------------------------------------------------------


def test_inspection_stream_id_follows_campaign_category_and_institution_name(
    app: RectifyApp,
) -> None:
    campaign, agency = _campaign(app), _agency(app)
    result = app.record_inspection(
        campaign, "甲县人民医院", "县级医院", agency, date(2026, 5, 1), "病历不全", ACTOR, "甲县"
    )
    assert result.id == inspection_id(campaign, "县级医院", " 甲县人民医院。")
    inspection = app.repository.get(result.id)
    assert isinstance(inspection, Inspection)
    assert (inspection.institution, inspection.category, inspection.region) == (
        "甲县人民医院", "县级医院", "甲县",
    )  # fmt: skip


def test_reinspection_is_a_further_visit_on_the_same_stream(app: RectifyApp) -> None:
    campaign, agency = _campaign(app), _agency(app)
    first = app.record_inspection(
        campaign, "甲县人民医院", "县级医院", agency, date(2026, 5, 1), "病历不全", ACTOR
    )
    second = app.record_inspection(
        campaign, "甲县 人民医院", "县级医院", agency, date(2026, 6, 1), "已整改", ACTOR
    )
    assert second.id == first.id and second.changed
    inspection = app.repository.get(first.id)
    assert [v.on for v in inspection.visits] == [date(2026, 5, 1), date(2026, 6, 1)]


def test_the_same_visit_recorded_again_records_nothing(app: RectifyApp) -> None:
    campaign, agency = _campaign(app), _agency(app)
    app.record_inspection(campaign, "某诊所", "诊所", agency, date(2026, 5, 1), "无", ACTOR)
    again = app.record_inspection(campaign, "某诊所", "诊所", agency, date(2026, 5, 1), "无", ACTOR)
    assert not again.changed


def test_inspection_of_an_unnamed_institution_is_refused(app: RectifyApp) -> None:
    campaign, agency = _campaign(app), _agency(app)
    with pytest.raises(InvalidInput) as refused:
        app.record_inspection(campaign, " ", "诊所", agency, date(2026, 5, 1), "", ACTOR)
    assert refused.value.field == "institution"


def test_inspection_without_a_category_is_refused(app: RectifyApp) -> None:
    campaign, agency = _campaign(app), _agency(app)
    with pytest.raises(InvalidInput) as refused:
        app.record_inspection(campaign, "某诊所", "", agency, date(2026, 5, 1), "", ACTOR)
    assert refused.value.field == "category"


def test_inspection_in_an_unknown_campaign_is_refused(app: RectifyApp) -> None:
    agency = _agency(app)
    with pytest.raises(NotFound):
        app.record_inspection(
            enforcement_case_id(agency, "x"), "某诊所", "诊所", agency, date(2026, 5, 1), "", ACTOR
        )


# -- law-enforcement cases --------------------------------------------------------------


def test_case_id_follows_agency_and_case_number(app: RectifyApp) -> None:
    agency = _agency(app)
    result = app.file_enforcement_case(agency, "甲卫罚〔2026〕1号", date(2026, 3, 2), ACTOR)
    assert result.id == enforcement_case_id(agency, "甲卫罚〔2026〕1号 ")
    case = app.repository.get(result.id)
    assert isinstance(case, EnforcementCase)
    assert (case.filed_on, case.campaign_id) == (date(2026, 3, 2), None)


def test_the_same_case_number_from_another_agency_is_another_case(app: RectifyApp) -> None:
    first, second = _agency(app), _agency(app, "乙县卫健局", "乙县")
    a = app.file_enforcement_case(first, "罚1号", date(2026, 3, 2), ACTOR)
    b = app.file_enforcement_case(second, "罚1号", date(2026, 3, 2), ACTOR)
    assert a.id != b.id and b.changed


def test_filing_the_same_case_again_records_nothing(app: RectifyApp) -> None:
    agency, campaign = _agency(app), _campaign(app)
    app.file_enforcement_case(agency, "罚1号", date(2026, 3, 2), ACTOR, campaign)
    again = app.file_enforcement_case(agency, "罚1号", date(2026, 3, 2), ACTOR, campaign)
    assert not again.changed


def test_the_same_case_number_with_other_facts_is_refused(app: RectifyApp) -> None:
    agency = _agency(app)
    app.file_enforcement_case(agency, "罚1号", date(2026, 3, 2), ACTOR)
    with pytest.raises(InvalidInput) as refused:
        app.file_enforcement_case(agency, "罚1号", date(2026, 4, 2), ACTOR)
    assert refused.value.field == "number"


def test_case_without_a_number_is_refused(app: RectifyApp) -> None:
    with pytest.raises(InvalidInput) as refused:
        app.file_enforcement_case(_agency(app), " ", date(2026, 3, 2), ACTOR)
    assert refused.value.field == "number"


def test_case_by_an_unknown_agency_is_refused(app: RectifyApp) -> None:
    with pytest.raises(NotFound):
        app.file_enforcement_case(
            enforcement_case_id(_campaign(app), "x"), "罚1号", date(2026, 3, 2), ACTOR
        )


def test_inspection_dated_after_today_in_china_is_refused(
    app: RectifyApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, agency = _campaign(app), _agency(app)
    # 2026-05-01 00:30 in China is still 2026-04-30 in UTC: the day is China's.
    now = datetime(2026, 4, 30, 16, 30, tzinfo=UTC)
    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", lambda: now)
    assert app.record_inspection(campaign, "某诊所", "诊所", agency, date(2026, 5, 1), "", ACTOR)
    with pytest.raises(InvalidInput) as refused:
        app.record_inspection(campaign, "某医院", "医院", agency, date(2026, 5, 2), "", ACTOR)
    assert refused.value.field == "on"
    assert str(refused.value) == (
        "on: 检查日期 2026-05-02 晚于今天（2026-05-01） / "
        "the inspection date 2026-05-02 is after today (2026-05-01)"
    )
