"""Agencies, agency groups and campaigns: aggregates and their application services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import uuid4

import pytest

from domain.agencies import Agency, AgencyAlias, AgencyKind, looks_like_group
from domain.application import RectifyApp
from domain.campaigns import Campaign, Phase
from domain.errors import InvalidInput, NotFound, UnknownAgencies
from domain.names import agency_id, alias_id, campaign_id, normalise_name


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


# -- names ------------------------------------------------------------------------------


def test_names_compare_without_spaces_width_or_trailing_punctuation() -> None:
    assert normalise_name(" 县 卫健局。") == "县卫健局"
    assert normalise_name("各县（市、区）人民政府") == "各县(市、区)人民政府"


def test_agency_id_is_the_same_for_every_spelling() -> None:
    assert agency_id("县卫健局") == agency_id(" 县卫健局 。")
    assert agency_id("县卫健局") != alias_id("县卫健局")


# -- agencies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["各乡镇人民政府", "县综合监管协调机制各成员单位", "各县(市、区)人民政府", "各有关单位"]
)
def test_group_names_look_like_groups(name: str) -> None:
    assert looks_like_group(name)


@pytest.mark.parametrize("name", ["县卫健局", "县医疗保障局", "县纪委监委", "县委网信办"])
def test_agency_names_do_not_look_like_groups(name: str) -> None:
    assert not looks_like_group(name)


def test_register_agency_emits_registered() -> None:
    parent = uuid4()
    agency = Agency("县卫健局", AgencyKind.AGENCY.value, "county", parent, "admin")
    events = agency.collect_events()
    assert [type(e) for e in events] == [Agency.Registered]
    registered = events[0]
    assert isinstance(registered, Agency.Registered)
    assert (registered.name, registered.kind, registered.level, registered.parent_id) == (
        "县卫健局",
        "AGENCY",
        "county",
        parent,
    )
    assert agency.id == agency_id("县卫健局")
    assert agency.kind is AgencyKind.AGENCY


def test_add_alias_emits_alias_added() -> None:
    agency = Agency("县卫生健康局", "AGENCY", "", None, "admin")
    agency.collect_events()
    agency.add_alias("县卫健局", "admin")
    events = agency.collect_events()
    assert [type(e) for e in events] == [Agency.AliasAdded]
    assert getattr(events[0], "alias", None) == "县卫健局"
    assert agency.aliases == ["县卫健局"]


@pytest.mark.parametrize("alias", ["县卫生健康局 ", "县卫健局。"])
def test_add_alias_that_repeats_name_or_alias_emits_nothing(alias: str) -> None:
    agency = Agency("县卫生健康局", "AGENCY", "", None, "admin")
    agency.add_alias("县卫健局", "admin")
    agency.collect_events()
    agency.add_alias(alias, "admin")
    assert agency.collect_events() == []
    assert agency.aliases == ["县卫健局"]


def test_add_member_to_group_emits_member_added_once() -> None:
    group = Agency("各乡镇人民政府", "GROUP", "", None, "admin")
    group.collect_events()
    member = uuid4()
    group.add_member(member, "admin")
    group.add_member(member, "admin")
    events = group.collect_events()
    assert [type(e) for e in events] == [Agency.MemberAdded]
    assert getattr(events[0], "member_id", None) == member
    assert group.member_ids == [member]


def test_remove_member_from_group_emits_member_removed_once() -> None:
    group = Agency("各乡镇人民政府", "GROUP", "", None, "admin")
    kept, removed = uuid4(), uuid4()
    group.add_member(kept, "admin")
    group.add_member(removed, "admin")
    group.collect_events()
    group.remove_member(removed, "coordinator-user")
    group.remove_member(removed, "coordinator-user")
    events = group.collect_events()
    assert [type(e) for e in events] == [Agency.MemberRemoved]
    assert getattr(events[0], "member_id", None) == removed
    assert getattr(events[0], "actor", None) == "coordinator-user"
    assert group.member_ids == [kept]


def test_removing_an_agency_that_is_no_member_records_nothing() -> None:
    group = Agency("各乡镇人民政府", "GROUP", "", None, "admin")
    group.collect_events()
    group.remove_member(uuid4(), "admin")
    assert group.collect_events() == []


def test_remove_member_refused_for_an_agency_that_is_not_a_group() -> None:
    agency = Agency("县卫健局", "AGENCY", "", None, "admin")
    agency.collect_events()
    with pytest.raises(InvalidInput, match="县卫健局 is an agency, not a group") as refused:
        agency.remove_member(uuid4(), "admin")
    assert refused.value.field == "group"
    assert agency.collect_events() == []


def test_add_member_refused_for_an_agency_that_is_not_a_group() -> None:
    agency = Agency("县卫健局", "AGENCY", "", None, "admin")
    agency.collect_events()
    with pytest.raises(InvalidInput, match="县卫健局 is an agency, not a group") as refused:
        agency.add_member(uuid4(), "admin")
    assert refused.value.field == "kind"
    assert agency.collect_events() == []


def test_agency_alias_points_at_its_agency() -> None:
    target = agency_id("县卫生健康局")
    alias = AgencyAlias("县卫健局", target)
    events = alias.collect_events()
    assert [type(e) for e in events] == [AgencyAlias.Created]
    assert getattr(events[0], "agency_id", None) == target
    assert alias.id == alias_id("县卫健局")


# -- campaigns --------------------------------------------------------------------------


def test_launch_campaign_emits_launched() -> None:
    lead = uuid4()
    campaign = Campaign("医药领域腐败问题集中整治", lead, "admin")
    events = campaign.collect_events()
    assert [type(e) for e in events] == [Campaign.Launched]
    assert getattr(events[0], "title", None) == "医药领域腐败问题集中整治"
    assert getattr(events[0], "lead_agency_id", None) == lead
    assert campaign.id == campaign_id(" 医药领域腐败问题集中整治 ")


def test_campaign_member_is_added_once() -> None:
    campaign = Campaign("行动", None, "admin")
    campaign.collect_events()
    member = uuid4()
    campaign.add_member(member, "admin")
    campaign.add_member(member, "admin")
    events = campaign.collect_events()
    assert [type(e) for e in events] == [Campaign.MemberAdded]
    assert getattr(events[0], "agency_id", None) == member
    assert campaign.member_agency_ids == [member]


def test_campaign_phases_are_kept_in_date_order_and_replaced_by_name() -> None:
    campaign = Campaign("行动", None, "admin")
    campaign.collect_events()
    rectify = Phase("集中整治", date(2026, 1, 1), date(2026, 6, 30))
    mobilise = Phase("动员部署", date(2025, 11, 1), date(2025, 12, 31))
    longer = Phase("集中整治", date(2026, 1, 1), date(2026, 9, 30))
    for phase in (rectify, mobilise, longer):
        campaign.schedule_phase(phase, "admin")
    events = campaign.collect_events()
    assert [type(e) for e in events] == [Campaign.PhaseScheduled] * 3
    assert [getattr(e, "phase", None) for e in events] == [rectify, mobilise, longer]
    assert campaign.phases == [mobilise, longer]


def test_phase_ending_before_it_starts_is_refused() -> None:
    campaign = Campaign("行动", None, "admin")
    campaign.collect_events()
    with pytest.raises(InvalidInput, match="回头看 ends before it starts"):
        campaign.schedule_phase(Phase("回头看", date(2026, 9, 1), date(2026, 8, 1)), "admin")
    assert campaign.collect_events() == []


# -- application services (in-memory store) ---------------------------------------------


def test_registered_agency_is_found_by_name_and_alias(app: RectifyApp) -> None:
    result = app.register_agency("县卫生健康局", actor="admin", aliases=("县卫健局",))
    assert result.changed
    assert app.find_agency("县卫生健康局") == result.id
    assert app.find_agency(" 县卫健局。") == result.id
    assert app.find_agency("县公安局") is None
    assert app.find_agency(" ") is None
    assert app.get_agency(result.id).aliases == ["县卫健局"]


def test_register_agency_detects_groups(app: RectifyApp) -> None:
    group = app.register_agency("县综合监管协调机制各成员单位", actor="admin")
    agency = app.register_agency("县卫健局", actor="admin")
    assert app.get_agency(group.id).kind is AgencyKind.GROUP
    assert app.get_agency(agency.id).kind is AgencyKind.AGENCY


def test_register_agency_again_changes_nothing(app: RectifyApp) -> None:
    first = app.register_agency("县卫健局", actor="admin")
    again = app.register_agency("县卫健局 ", actor="admin")
    assert (again.id, again.changed) == (first.id, False)


def test_register_agency_with_a_repeated_alias_saves_it_once(app: RectifyApp) -> None:
    result = app.register_agency("县公安局", actor="admin", aliases=("公安局", "公安局 "))
    assert app.get_agency(result.id).aliases == ["公安局"]
    assert app.find_agency("公安局") == result.id


def test_register_agency_with_its_own_name_as_alias_saves_no_alias(app: RectifyApp) -> None:
    result = app.register_agency("县公安局", actor="admin", aliases=("县公安局。",))
    assert app.get_agency(result.id).aliases == []
    assert alias_id("县公安局") not in app.repository


def test_alias_that_names_another_agency_is_refused(app: RectifyApp) -> None:
    app.register_agency("县卫生健康局", actor="admin", aliases=("卫健局",))
    with pytest.raises(InvalidInput, match="'卫健局' already names another agency"):
        app.register_agency("县医疗保障局", actor="admin", aliases=("卫健局",))
    assert app.find_agency("县医疗保障局") is None


def test_agency_with_unknown_parent_is_refused(app: RectifyApp) -> None:
    with pytest.raises(UnknownAgencies) as refused:
        app.register_agency("县卫健局", actor="admin", parent="市卫健委")
    assert refused.value.names == ["市卫健委"]


def test_agency_with_known_parent_records_it(app: RectifyApp) -> None:
    parent = app.register_agency("市卫健委", actor="admin", level="city")
    child = app.register_agency("县卫健局", actor="admin", level="county", parent="市卫健委")
    assert app.get_agency(child.id).parent_id == parent.id


def test_empty_agency_name_is_refused(app: RectifyApp) -> None:
    with pytest.raises(InvalidInput, match="name: 不能为空 / empty"):
        app.register_agency(" 。", actor="admin")


def test_group_members_are_added(app: RectifyApp) -> None:
    group = app.register_agency("各乡镇人民政府", actor="admin")
    town = app.register_agency("城关镇人民政府", actor="admin")
    assert app.add_group_member(group.id, town.id, "admin").changed
    assert not app.add_group_member(group.id, town.id, "admin").changed
    assert app.get_agency(group.id).member_ids == [town.id]


def test_group_member_must_exist(app: RectifyApp) -> None:
    group = app.register_agency("各乡镇人民政府", actor="admin")
    with pytest.raises(NotFound):
        app.add_group_member(group.id, uuid4(), "admin")


def test_launch_campaign_twice_changes_nothing(app: RectifyApp) -> None:
    first = app.launch_campaign("医药领域腐败问题集中整治", actor="admin")
    again = app.launch_campaign(" 医药领域腐败问题集中整治 ", actor="admin")
    assert first.changed and not again.changed
    assert again.id == first.id
    assert app.get_campaign(first.id).title == "医药领域腐败问题集中整治"


def test_campaign_without_title_is_refused(app: RectifyApp) -> None:
    with pytest.raises(InvalidInput, match="title: 不能为空 / empty"):
        app.launch_campaign("  ", actor="admin")


def test_unknown_campaign_is_not_found(app: RectifyApp) -> None:
    with pytest.raises(NotFound, match="campaign not found"):
        app.get_campaign(uuid4())


def test_agency_is_not_found_as_a_campaign(app: RectifyApp) -> None:
    agency = app.register_agency("县卫健局", actor="admin")
    with pytest.raises(NotFound):
        app.get_campaign(agency.id)


# -- campaign management ----------------------------------------------------------------


def test_overlapping_phases_are_refused() -> None:
    campaign = Campaign("行动", None, "admin")
    campaign.schedule_phase(Phase("自查自纠", date(2026, 1, 1), date(2026, 3, 31)), "admin")
    campaign.collect_events()
    with pytest.raises(InvalidInput, match="集中整治 overlaps 自查自纠"):
        campaign.schedule_phase(Phase("集中整治", date(2026, 3, 31), date(2026, 6, 30)), "admin")
    assert campaign.collect_events() == []


def test_phase_without_name_is_refused() -> None:
    campaign = Campaign("行动", None, "admin")
    with pytest.raises(InvalidInput, match="no name"):
        campaign.schedule_phase(Phase(" ", date(2026, 1, 1), date(2026, 3, 31)), "admin")


def test_scheduling_the_same_phase_again_records_nothing() -> None:
    campaign = Campaign("行动", None, "admin")
    phase = Phase("自查自纠", date(2026, 1, 1), date(2026, 3, 31))
    campaign.schedule_phase(phase, "admin")
    campaign.collect_events()
    campaign.schedule_phase(phase, "admin")
    assert campaign.collect_events() == []


def test_the_phase_of_a_day_is_found() -> None:
    campaign = Campaign("行动", None, "admin")
    first = Phase("自查自纠", date(2026, 1, 1), date(2026, 3, 31))
    campaign.schedule_phase(first, "admin")
    assert campaign.phase_on(date(2026, 3, 31)) == first
    assert campaign.phase_on(date(2026, 4, 1)) is None


def test_assigning_a_lead_makes_it_a_member_once() -> None:
    campaign = Campaign("行动", None, "admin")
    campaign.collect_events()
    lead = uuid4()
    campaign.assign_lead(lead, "admin")
    campaign.assign_lead(lead, "admin")
    events = campaign.collect_events()
    assert [type(e) for e in events] == [Campaign.LeadAgencyAssigned, Campaign.MemberAdded]
    assert campaign.lead_agency_id == lead and campaign.member_agency_ids == [lead]


def test_campaign_launched_with_a_lead_lists_it_as_member(app: RectifyApp) -> None:
    health = app.register_agency("市卫健委", actor="admin").id
    launched = app.launch_campaign("医疗乱象专项整治", actor="admin", lead_agency=health)
    campaign = app.get_campaign(launched.id)
    assert campaign.lead_agency_id == health
    assert campaign.member_agency_ids == [health]


def test_an_unknown_lead_agency_is_refused(app: RectifyApp) -> None:
    with pytest.raises(NotFound):
        app.launch_campaign("医疗乱象专项整治", actor="admin", lead_agency=uuid4())


def test_an_existing_campaign_gets_its_lead_when_launched_again_with_one(app: RectifyApp) -> None:
    first = app.launch_campaign("医疗乱象专项整治", actor="admin")
    health = app.register_agency("市卫健委", actor="admin").id
    again = app.launch_campaign("医疗乱象专项整治", actor="admin", lead_agency=health)
    assert again.changed and again.id == first.id
    assert app.get_campaign(first.id).lead_agency_id == health


def test_campaign_members_and_phases_are_managed_through_the_app(app: RectifyApp) -> None:
    campaign = app.launch_campaign("医疗乱象专项整治", actor="admin").id
    police = app.register_agency("市公安局", actor="admin").id
    app.add_campaign_member(campaign, police, "admin")
    app.schedule_campaign_phase(campaign, "集中整治", date(2026, 4, 1), date(2026, 9, 30), "admin")
    stored = app.get_campaign(campaign)
    assert stored.member_agency_ids == [police]
    assert stored.phases == [Phase("集中整治", date(2026, 4, 1), date(2026, 9, 30))]
    with pytest.raises(NotFound):
        app.add_campaign_member(campaign, uuid4(), "admin")


# -- regions ----------------------------------------------------------------------------


def test_an_agency_is_given_a_region_once(app: RectifyApp) -> None:
    registered = app.register_agency("县卫健局", actor="管理员", region="某某县 ")
    version = app.get_agency(registered.id).version

    again = app.register_agency("县卫健局", actor="管理员", region="某某县")

    agency = app.get_agency(registered.id)
    assert agency.region == "某某县"
    assert again.changed is False
    assert agency.version == version  # no second RegionAssigned event


def test_an_agency_may_move_to_another_region(app: RectifyApp) -> None:
    registered = app.register_agency("县卫健局", actor="管理员", region="甲县")

    moved = app.register_agency("县卫健局", actor="管理员", region="乙县")

    assert moved.changed is True
    assert app.get_agency(registered.id).region == "乙县"


def test_an_empty_region_is_refused_naming_the_field(app: RectifyApp) -> None:
    with pytest.raises(InvalidInput) as refused:
        app.register_agency("县卫健局", actor="管理员", region=" 。")

    assert "region" in str(refused.value)
    assert app.find_agency("县卫健局") is None  # nothing half-written
