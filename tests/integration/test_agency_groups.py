"""Agency groups' members through the CLI and GraphQL, and agency names shown as written
(docs/decisions/0024), against a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.agencies import AgencyKind
from domain.application import RectifyApp
from domain.names import agency_id
from tests.integration.api_fixtures import (
    HEALTH,
    INSURANCE,
    MARKET,
    TOWNS,
    Api,
    api,
    projection_thread,
)

FIXTURES = (api, projection_thread)
MEMBERS = "县综合监管协调机制各成员单位"


# -- the CLI ----------------------------------------------------------------------------


def test_agency_add_group_with_members_records_them_and_show_lists_them(
    run, app: RectifyApp
) -> None:
    for name in (HEALTH, INSURANCE):
        app.register_agency(name, actor="t")

    added = run("agency", "add", MEMBERS, "--group", "--member", HEALTH, "--member", INSURANCE)

    assert added.exit_code == 0, added.output
    group = app.get_agency(agency_id(MEMBERS))
    assert group.kind is AgencyKind.GROUP
    assert group.member_ids == [agency_id(HEALTH), agency_id(INSURANCE)]
    shown = run("agency", "show", MEMBERS)
    assert shown.exit_code == 0, shown.output
    assert "成员 members (2):" in shown.output
    assert HEALTH in shown.output and INSURANCE in shown.output


def test_agency_add_member_again_changes_nothing(run, app: RectifyApp) -> None:
    app.register_agency(HEALTH, actor="t")
    run("agency", "add", MEMBERS, "--group", "--member", HEALTH)
    head = app.recorder.max_notification_id()

    again = run("agency", "add", MEMBERS, "--group", "--member", HEALTH)

    assert again.exit_code == 0, again.output
    assert "unchanged" in again.output
    assert app.recorder.max_notification_id() == head


def test_agency_add_with_an_unknown_member_is_refused_and_writes_nothing(
    run, app: RectifyApp
) -> None:
    app.register_agency(HEALTH, actor="t")
    head = app.recorder.max_notification_id()

    refused = run("agency", "add", MEMBERS, "--group", "--member", HEALTH, "--member", "县不存在局")

    assert refused.exit_code == 1
    assert "县不存在局" in refused.output
    assert app.recorder.max_notification_id() == head


def test_agency_add_member_to_an_agency_that_is_not_a_group_is_refused(
    run, app: RectifyApp
) -> None:
    for name in (HEALTH, INSURANCE):
        app.register_agency(name, actor="t")
    head = app.recorder.max_notification_id()

    refused = run("agency", "add", HEALTH, "--member", INSURANCE)

    assert refused.exit_code == 1
    assert "not a group" in refused.output
    assert app.recorder.max_notification_id() == head


def test_agency_show_of_an_unknown_agency_is_refused(run) -> None:
    refused = run("agency", "show", "县不存在局")
    assert refused.exit_code == 1
    assert "unknown agency" in refused.output


# -- GraphQL ----------------------------------------------------------------------------

SEND = """mutation($input: SendReferralInput!) { sendReferral(input: $input) { __typename
  ... on ReferralChanged { referral { status children { receiver { name } } } } } }"""
ADD = """mutation($group: ID!, $member: ID!) { addGroupMember(group: $group, agency: $member) {
  __typename
  ... on AgencyChanged { agency { name kind } members { name } position }
  ... on InvalidInput { message field }
  ... on NotFound { message }
  ... on NotAllowed { message } } }"""


async def test_a_graphql_referral_to_a_group_given_members_through_the_cli_has_one_child_each(
    api: Api, run
) -> None:
    added = run("agency", "add", MEMBERS, "--group", "--member", HEALTH, "--member", INSURANCE)
    assert added.exit_code == 0, added.output

    sent = (
        await api.gql(SEND, "liaison", MARKET, input={"receiver": MEMBERS, "reason": "联合检查"})
    )["sendReferral"]

    assert sent["__typename"] == "ReferralChanged", sent
    children = sent["referral"]["children"]
    assert sorted(c["receiver"]["name"] for c in children) == sorted([HEALTH, INSURANCE])


async def test_a_coordinator_adds_a_group_member_through_graphql(api: Api, app: RectifyApp) -> None:
    app.register_agency(MEMBERS, actor="t")

    added = (await api.gql(ADD, "coordinator", group=MEMBERS, member=HEALTH))["addGroupMember"]

    assert added["__typename"] == "AgencyChanged", added
    assert added["agency"] == {"name": MEMBERS, "kind": "GROUP"}
    assert added["members"] == [{"name": HEALTH}]
    assert added["position"] is not None
    again = (await api.gql(ADD, "admin", group=MEMBERS, member=HEALTH))["addGroupMember"]
    assert again["position"] is None  # already a member: nothing written


@pytest.mark.parametrize(
    ("group", "member", "typename", "field"),
    [
        ("县不存在局", HEALTH, "NotFound", None),
        (MEMBERS, "县不存在局", "NotFound", None),
        (HEALTH, INSURANCE, "InvalidInput", "kind"),  # not a group
        (MEMBERS, TOWNS, "InvalidInput", "member"),  # a group cannot be a member
    ],
)
async def test_add_group_member_refusals_are_typed(
    api: Api, app: RectifyApp, group: str, member: str, typename: str, field: str | None
) -> None:
    app.register_agency(MEMBERS, actor="t")
    head = app.recorder.max_notification_id()

    refused = (await api.gql(ADD, "coordinator", group=group, member=member))["addGroupMember"]

    assert refused["__typename"] == typename, refused
    if field is not None:
        assert refused["field"] == field
    assert app.recorder.max_notification_id() == head


async def test_a_liaison_may_not_add_a_group_member(api: Api, app: RectifyApp) -> None:
    app.register_agency(MEMBERS, actor="t")
    refused = await api.gql(ADD, "liaison", HEALTH, group=MEMBERS, member=HEALTH)
    assert refused["addGroupMember"]["__typename"] == "NotAllowed"
    assert app.get_agency(agency_id(MEMBERS)).member_ids == []


# -- names shown as written -------------------------------------------------------------

ISSUES = """query { issues(first: 50) { edges { node { number
  leadAgency { name } coAgencies { name } } } } }"""


async def test_imported_agency_names_are_shown_in_graphql_as_written(
    api: Api, app: RectifyApp, run, tmp_path: Path
) -> None:
    from tests.integration.api_fixtures import wait_until_projected

    path = tmp_path / "ledger.csv"
    path.write_text(
        "问题编号,反馈问题,整改措施,责任单位,完成时限\n"
        'W1,问题,措施,"County  Health Bureau、各县（市、区）人民政府",2026年6月底\n',
        encoding="utf-8",
    )
    result = run("import-issues", str(path), "--campaign", "Names", "--create-agencies")
    assert result.exit_code == 0, result.output
    await wait_until_projected(api.client, app)

    data: dict[str, Any] = await api.gql(ISSUES)

    (node,) = [e["node"] for e in data["issues"]["edges"] if e["node"]["number"] == "W1"]
    assert node["leadAgency"]["name"] == "County Health Bureau"
    assert node["coAgencies"] == [{"name": "各县（市、区）人民政府"}]
    agencies = (await api.gql("query { agencies { name } }"))["agencies"]
    assert {"name": "County Health Bureau"} in agencies
