"""The office's settings through GraphQL, against a real PostgreSQL: the working calendar
(calendarYears, loadCalendar), escalation policies (escalationPolicies,
setEscalationPolicy) and agency groups (agencyGroups, createAgencyGroup,
removeGroupMember). Each refusal names its field in both languages and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.agencies import Agency
from domain.application import RectifyApp
from domain.calendar import OfficialCalendar
from domain.calendar.official import official_calendar_id
from domain.names import agency_id, campaign_id
from domain.policies import EscalationPolicy, policy_id
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    TOWNS,
    Api,
    api,
    projection_thread,
    token,
)

FIXTURES = (api, projection_thread)

# 2031: beyond the package's data, so only a load makes it official.
HOLIDAYS_2031 = ["2031-01-01", "2031-01-22", "2031-01-23", "2031-01-24", "2031-01-27"]
WORKING_2031 = ["2031-01-19"]

LOAD = """mutation($year: Int!, $holidays: [String!]!, $workingDays: [String!], $source: String!) {
  loadCalendar(year: $year, holidays: $holidays, workingDays: $workingDays, source: $source) {
    __typename
    ... on CalendarLoaded { changed missingStatutoryHolidays { day name }
      calendar { year source provisional document loadedBy holidays workingDays } }
    ... on InvalidInput { message field }
    ... on NotAllowed { message } } }"""
YEAR = """query($year: Int!) { calendarYear(year: $year) {
  year source provisional document loadedBy loadedAt holidays workingDays } }"""
YEARS = "{ calendarYears { year source provisional } }"


def _loads(app: RectifyApp, year: int) -> list[Any]:
    return [
        e
        for e in app.events.get(official_calendar_id(year))
        if isinstance(e, OfficialCalendar.ArrangementLoaded)
    ] if official_calendar_id(year) in app.repository else []  # fmt: skip


async def _load(api: Api, role: str = "coordinator", **given: Any) -> dict[str, Any]:
    variables = {
        "year": 2031,
        "holidays": HOLIDAYS_2031,
        "workingDays": WORKING_2031,
        "source": "国办发明电〔2030〕7号",
        **given,
    }
    return (await api.gql(LOAD, role, **variables))["loadCalendar"]  # type: ignore[no-any-return]


# -- the working calendar -----------------------------------------------------------------


async def test_a_coordinator_loads_a_year_and_the_stream_names_who(
    api: Api, app: RectifyApp
) -> None:
    loaded = await _load(api)

    assert loaded["__typename"] == "CalendarLoaded", loaded
    assert loaded["changed"] is True
    shown = loaded["calendar"]
    assert shown["source"] == "LOADED" and shown["provisional"] is False
    assert shown["holidays"] == HOLIDAYS_2031 and shown["workingDays"] == WORKING_2031
    assert shown["loadedBy"] == "coordinator-user"
    [event] = _loads(app, 2031)
    assert event.actor == "coordinator-user"
    assert event.source == "国办发明电〔2030〕7号"


async def test_an_admin_may_load_a_year_too(api: Api, app: RectifyApp) -> None:
    loaded = await _load(api, "admin")
    assert loaded["__typename"] == "CalendarLoaded", loaded
    assert len(_loads(app, 2031)) == 1


async def test_a_liaison_may_not_load_a_year(api: Api, app: RectifyApp) -> None:
    refused = (
        await api.gql(
            LOAD, "liaison", HEALTH, year=2031, holidays=HOLIDAYS_2031, source="国办发明电"
        )
    )["loadCalendar"]
    assert refused["__typename"] == "NotAllowed"
    assert "无权加载工作日历" in refused["message"]
    assert "may not load the working calendar" in refused["message"]
    assert _loads(app, 2031) == []


async def test_an_invalid_date_is_refused_naming_its_place_and_nothing_is_written(
    api: Api, app: RectifyApp
) -> None:
    refused = await _load(api, holidays=["2031-01-01", "2031-02-30"], workingDays=["someday"])

    assert refused["__typename"] == "InvalidInput", refused
    assert refused["field"] == "holidays[1]"
    assert "workingDays[0]" in refused["message"]  # every problem, not only the first
    assert "2031-02-30" in refused["message"]
    assert _loads(app, 2031) == []


async def test_a_year_outside_the_supported_range_is_refused(api: Api, app: RectifyApp) -> None:
    refused = await _load(api, year=2100, holidays=["2100-01-01"], workingDays=[])
    assert refused["__typename"] == "InvalidInput", refused
    assert refused["field"] == "year"
    assert "2000–2099" in refused["message"]
    assert _loads(app, 2100) == []


async def test_a_load_without_its_source_is_refused(api: Api, app: RectifyApp) -> None:
    refused = await _load(api, source=" ")
    assert refused["__typename"] == "InvalidInput", refused
    assert refused["field"] == "source"
    assert _loads(app, 2031) == []


async def test_a_load_names_the_statutory_holidays_it_leaves_as_working_days(api: Api) -> None:
    loaded = await _load(api)
    missing = {m["day"]: m["name"] for m in loaded["missingStatutoryHolidays"]}
    assert "2031-05-01" in missing  # 劳动节 is not in the five days given
    assert "2031-01-01" not in missing


async def test_the_days_the_cli_loaded_again_through_graphql_change_nothing(
    api: Api, app: RectifyApp, run, tmp_path: Path
) -> None:
    file = tmp_path / "2031.json"
    document = {"year": 2031, "holidays": HOLIDAYS_2031, "working_days": WORKING_2031}
    file.write_text(json.dumps({**document, "source": "国办发明电〔2030〕7号"}), encoding="utf-8")
    assert run("calendar", "load", str(file)).exit_code == 0

    again = await _load(api)

    assert again["changed"] is False
    assert len(_loads(app, 2031)) == 1  # one path, one event: the CLI's


async def test_the_years_list_says_where_each_years_days_come_from(api: Api) -> None:
    await _load(api)
    years = {y["year"]: y for y in (await api.gql(YEARS, "coordinator"))["calendarYears"]}
    assert years[2025]["source"] == "PACKAGE" and years[2025]["provisional"] is False
    assert years[2031]["source"] == "LOADED"
    assert min(years) == 2000


async def test_a_year_without_an_arrangement_is_shown_as_provisional(api: Api) -> None:
    shown = (await api.gql(YEAR, "liaison", HEALTH, year=2029))["calendarYear"]
    assert shown["source"] == "PROVISIONAL" and shown["provisional"] is True
    assert "2029-01-01" in shown["holidays"]
    assert shown["loadedBy"] is None


# -- escalation policies ----------------------------------------------------------------

POLICIES = """query($campaign: ID) { escalationPolicies(campaign: $campaign) {
  campaign { title } kind version rungs { name kind offset addressee label } } }"""
SET = """mutation($campaign: ID!, $kind: String!, $rungs: [PolicyRungInput!]!) {
  setEscalationPolicy(campaign: $campaign, kind: $kind, rungs: $rungs, reason: "加快督办") {
    __typename
    ... on PolicyChanged { position policy { kind version rungs { name offset } } }
    ... on InvalidInput { message field }
    ... on NotFound { message }
    ... on NotAllowed { message } } }"""
RUNGS = [
    {"name": "remind-5wd", "kind": "reminder", "offset": "5wd", "addressee": "责任单位"},
    {"name": "overdue", "kind": "overdue", "offset": "0wd", "addressee": "责任单位"},
]


def _policy_events(app: RectifyApp, kind: str = "issue") -> list[Any]:
    stream = policy_id(campaign_id(CAMPAIGN), kind)
    if stream not in app.repository:
        return []
    return [e for e in app.events.get(stream) if isinstance(e, EscalationPolicy.LadderSet)]


async def test_every_campaign_and_kind_shows_the_built_in_ladder_before_any_is_set(
    api: Api,
) -> None:
    listed = (await api.gql(POLICIES, "coordinator", campaign=CAMPAIGN))["escalationPolicies"]
    kinds = {p["kind"]: p for p in listed}
    assert {"issue", "referral", "clue"} <= set(kinds)
    assert kinds["issue"]["version"] == 0
    assert kinds["issue"]["campaign"]["title"] == CAMPAIGN
    assert any(r["kind"] == "overdue" for r in kinds["issue"]["rungs"])


async def test_a_coordinator_sets_a_ladder_and_it_is_listed_as_version_one(
    api: Api, app: RectifyApp
) -> None:
    changed = (await api.gql(SET, "coordinator", campaign=CAMPAIGN, kind="issue", rungs=RUNGS))[
        "setEscalationPolicy"
    ]

    assert changed["__typename"] == "PolicyChanged", changed
    assert changed["policy"]["version"] == 1
    listed = (await api.gql(POLICIES, "admin", campaign=CAMPAIGN))["escalationPolicies"]
    issue = next(p for p in listed if p["kind"] == "issue")
    assert [r["name"] for r in issue["rungs"]] == ["remind-5wd", "overdue"]
    [event] = _policy_events(app)
    assert event.actor == "coordinator-user" and event.reason == "加快督办"


async def test_a_rung_with_a_bad_offset_is_refused_naming_it(api: Api, app: RectifyApp) -> None:
    rungs = [RUNGS[0], {**RUNGS[1], "offset": "soon"}]
    refused = (await api.gql(SET, "coordinator", campaign=CAMPAIGN, kind="issue", rungs=rungs))[
        "setEscalationPolicy"
    ]
    assert refused["__typename"] == "InvalidInput", refused
    assert refused["field"] == "rungs[1].offset"
    assert _policy_events(app) == []


async def test_a_ladder_without_rungs_or_of_an_unknown_kind_is_refused(
    api: Api, app: RectifyApp
) -> None:
    empty = (await api.gql(SET, "coordinator", campaign=CAMPAIGN, kind="issue", rungs=[]))[
        "setEscalationPolicy"
    ]
    unknown = (await api.gql(SET, "coordinator", campaign=CAMPAIGN, kind="memo", rungs=RUNGS))[
        "setEscalationPolicy"
    ]
    assert (empty["__typename"], empty["field"]) == ("InvalidInput", "rungs")
    assert (unknown["__typename"], unknown["field"]) == ("InvalidInput", "kind")
    assert _policy_events(app) == []


async def test_a_ladder_for_an_unknown_campaign_is_not_found(api: Api) -> None:
    refused = (
        await api.gql(SET, "coordinator", campaign="不存在的专项", kind="issue", rungs=RUNGS)
    )["setEscalationPolicy"]
    assert refused["__typename"] == "NotFound", refused


async def test_a_liaison_may_not_set_a_ladder(api: Api, app: RectifyApp) -> None:
    refused = (await api.gql(SET, "liaison", HEALTH, campaign=CAMPAIGN, kind="issue", rungs=RUNGS))[
        "setEscalationPolicy"
    ]
    assert refused["__typename"] == "NotAllowed"
    assert "无权设置督办规则" in refused["message"]
    assert _policy_events(app) == []


# -- agency groups ----------------------------------------------------------------------

GROUPS = "{ agencyGroups { agency { name kind } members { name } } }"
CREATE = """mutation($name: String!) { createAgencyGroup(name: $name) { __typename
  ... on AgencyChanged { agency { name kind } members { name } position }
  ... on InvalidInput { message field }
  ... on NotAllowed { message } } }"""
MEMBER = """mutation($group: ID!, $member: ID!, $add: Boolean!) {
  added: addGroupMember(group: $group, agency: $member) @include(if: $add) {
    __typename ... on AgencyChanged { members { name } } }
  removed: removeGroupMember(group: $group, agency: $member) @skip(if: $add) {
    __typename ... on AgencyChanged { members { name } position }
    ... on InvalidInput { message field } } }"""
SEND = """mutation($input: SendReferralInput!) { sendReferral(input: $input) { __typename
  ... on ReferralChanged { referral { children { receiver { name } } } } } }"""
NEW_GROUP = "县专项整治各成员单位"


async def test_a_coordinator_creates_a_group_and_it_is_listed_without_members(
    api: Api, app: RectifyApp
) -> None:
    created = (await api.gql(CREATE, "coordinator", name=NEW_GROUP))["createAgencyGroup"]

    assert created["__typename"] == "AgencyChanged", created
    assert created["agency"] == {"name": NEW_GROUP, "kind": "GROUP"}
    assert app.get_agency(agency_id(NEW_GROUP)).kind.value == "GROUP"
    groups = {g["agency"]["name"]: g for g in (await api.gql(GROUPS, "liaison", HEALTH))[
        "agencyGroups"
    ]}  # fmt: skip
    assert groups[NEW_GROUP]["members"] == []


async def test_a_group_named_as_an_existing_agency_is_refused(api: Api, app: RectifyApp) -> None:
    head = app.recorder.max_notification_id()
    refused = (await api.gql(CREATE, "coordinator", name=HEALTH))["createAgencyGroup"]
    assert (refused["__typename"], refused["field"]) == ("InvalidInput", "name")
    assert "已有同名单位" in refused["message"] and "not a group" in refused["message"]
    assert app.recorder.max_notification_id() == head


async def test_a_liaison_may_not_create_a_group(api: Api, app: RectifyApp) -> None:
    refused = (await api.gql(CREATE, "liaison", HEALTH, name=NEW_GROUP))["createAgencyGroup"]
    assert refused["__typename"] == "NotAllowed"
    assert not app.find_agency(NEW_GROUP)


async def test_a_removed_member_gets_no_later_referral_to_the_group(
    api: Api, app: RectifyApp
) -> None:
    for member in (HEALTH, INSURANCE):
        await api.gql(MEMBER, "coordinator", group=TOWNS, member=member, add=True)

    removed = (await api.gql(MEMBER, "admin", group=TOWNS, member=INSURANCE, add=False))["removed"]

    assert removed["__typename"] == "AgencyChanged", removed
    assert removed["members"] == [{"name": HEALTH}]
    events = [e for e in app.events.get(agency_id(TOWNS)) if isinstance(e, Agency.MemberRemoved)]
    assert [(e.member_id, e.actor) for e in events] == [(agency_id(INSURANCE), "admin-user")]
    sent = (
        await api.gql(SEND, "liaison", MARKET, input={"receiver": TOWNS, "reason": "联合检查"})
    )["sendReferral"]
    assert [c["receiver"]["name"] for c in sent["referral"]["children"]] == [HEALTH]


async def test_removing_a_member_from_an_agency_that_is_not_a_group_is_refused(
    api: Api, app: RectifyApp
) -> None:
    head = app.recorder.max_notification_id()
    refused = (await api.gql(MEMBER, "coordinator", group=HEALTH, member=MARKET, add=False))[
        "removed"
    ]
    assert (refused["__typename"], refused["field"]) == ("InvalidInput", "group")
    assert app.recorder.max_notification_id() == head


async def test_asking_for_a_year_outside_the_supported_range_names_the_field(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": YEAR, "variables": {"year": 1999}},
        headers={"Authorization": f"Bearer {token('coordinator')}"},
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["field"] == "year"
    assert "超出日历支持范围" in error["message"] and "outside the years" in error["message"]
