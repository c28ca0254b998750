"""Who may do what, over the whole API: every mutation (and every agency-scoped read:
issues and their clocks, referrals, clues, case transfers, the audit trail and state as of
a version of every item kind) × every role × the caller's own agency or another one,
against PostgreSQL through GraphQL; the inbox; and the reads open on purpose (campaigns,
agencies, me, systemStatus and the campaign figures), asserted open to everyone.

The expected outcomes are written out by hand from the documented rules (api/authz's
docstrings, ADRs 0011 referrals, 0012 case transfers and 0014 clues, issue 6 item 2), never
computed from the code's own tables, so a rule changed by mistake fails here. An own-agency
caller belongs to the agency the step is for (`Case.party`); an other-agency caller to
县市场监管局. Each case works on an item prepared for it alone, so cases do not depend on
each other; a refused case must leave the log untouched.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

from api.app import ApiConfig, create_app
from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.deadlines import parse_deadline
from domain.discipline_transfers import PersonCategory
from domain.names import agency_id, campaign_id, issue_id
from domain.reporter_identity import ReporterIdentity
from domain.reporting import Cadence, CadenceKind
from infrastructure.calendar_data import build_calendar
from projections import run_projections
from rectify.settings import eventsourcing_env
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    SECRET,
    import_known_ledger,
    token,
    wait_until_projected,
)
from workflows.notifier import issue_notices_in

ROLES = ("liaison", "investigator", "agency_head", "coordinator", "leadership", "auditor", "admin")
STAFF = {"liaison", "investigator", "agency_head"}  # speak for the agency of their token
COORDINATION = {"coordinator", "admin"}  # the leading group office
OWN, OTHER = HEALTH, MARKET  # the caller's agency: the party to the item, or a stranger

READ, LIST = "", "listed"  # Case.success for reads: one item by id, or a paged list
HISTORY = "history"  # an audit read: the data, null for another agency's staff, or refused
Expect = Callable[[str, bool], bool]  # (role, own agency?) -> allowed?


def only(*roles: str) -> Expect:
    """These roles, whatever their agency."""
    return lambda role, own: role in roles


def own_liaison_or(*roles: str) -> Expect:
    """A liaison of the party's agency, or these roles whatever their agency."""
    return lambda role, own: (role == "liaison" and own) or role in roles


@dataclass(frozen=True)
class World:
    app: RectifyApp
    client: httpx.AsyncClient
    campaign: UUID


@dataclass(frozen=True)
class Case:
    """One operation: its document, how to prepare a fresh item for it, who may do it."""

    name: str
    document: str
    prepare: Callable[[World, str], dict[str, Any]]  # (world, unique tag) -> variables
    allowed: Expect
    # __typename of an allowed mutation; READ (data or null); LIST (listed or not); HISTORY
    success: str
    party: str = OWN  # the agency of an "own" caller: the one the step belongs to


# --- issues ---------------------------------------------------------------------------


def _issue(world: World, tag: str, *steps: Callable[[RectifyApp, UUID], object]) -> UUID:
    """A fresh issue led by HEALTH with INSURANCE co-owning, taken through `steps`."""
    app = world.app
    result = app.register_issue(
        world.campaign,
        f"M{tag}",
        f"问题{tag}",
        ["措施"],
        agency_id(HEALTH),
        [agency_id(INSURANCE)],
        parse_deadline("2099年6月30日"),
        actor="准备",
    )
    for step in steps:
        step(app, result.id)
    return result.id


def _submitted(app: RectifyApp, item: UUID) -> object:
    return app.submit_for_verification(item, "已完成", "准备")


def _signed_off(app: RectifyApp, item: UUID) -> object:
    return app.sign_off(item, "", "准备")


def _extension_requested(app: RectifyApp, item: UUID) -> object:
    return app.request_extension(item, parse_deadline("2099年9月底"), "需要更多时间", "准备")


def _paused(app: RectifyApp, item: UUID) -> object:
    return app.pause_clock(item, "等待检测", "准备")


def _clocked_issue(world: World, tag: str) -> dict[str, Any]:
    """An issue as `_issue` makes, due within the calendar's years, with the due instant
    the clock worker records first."""
    app = world.app
    item = app.register_issue(
        world.campaign, f"C{tag}", f"问题{tag}", ["措施"], agency_id(HEALTH),
        [agency_id(INSURANCE)], parse_deadline("2030年12月31日"), actor="准备",
    ).id  # fmt: skip
    app.schedule_clock("issue", item, build_calendar())
    return {"id": str(item)}


def _office_decides(world: World, tag: str) -> dict[str, Any]:
    """An issue awaiting a decision on its extension, in a campaign that lets the
    leading-group office decide extensions too (`setExtensionApprovers`)."""
    app = world.app
    campaign = app.launch_campaign(f"办公室审批延期{tag}", actor="准备").id
    app.set_extension_approvers(campaign, "leadership_or_office", "准备")
    item = app.register_issue(
        campaign, f"E{tag}", f"问题{tag}", ["措施"], agency_id(HEALTH), [],
        parse_deadline("2099年6月30日"), actor="准备",
    ).id  # fmt: skip
    _extension_requested(app, item)
    return {"id": str(item)}


def on_issue(
    *steps: Callable[[RectifyApp, UUID], object],
) -> Callable[[World, str], dict[str, Any]]:
    return lambda world, tag: {"id": str(_issue(world, tag, *steps))}


TYPE = "{ __typename }"

ISSUE_CASES = [
    Case(
        "registerIssue",
        "mutation($campaign: ID!, $number: String!) { registerIssue(input: {campaign: $campaign,"
        ' number: $number, problem: "新问题", measures: ["措施"], leadAgency: "县卫健局",'
        f' deadline: "2099年12月31日"}}) {TYPE} }}',
        lambda world, tag: {"campaign": str(world.campaign), "number": f"R{tag}"},
        only("coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "reportProgress",
        'mutation($id: ID!, $agency: ID!) { reportProgress(issueId: $id, text: "已整改",'
        f" agencyId: $agency) {TYPE} }}",
        lambda world, tag: {"id": str(_issue(world, tag)), "agency": str(agency_id(HEALTH))},
        own_liaison_or("coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "submitForVerification",
        f'mutation($id: ID!) {{ submitForVerification(issueId: $id, summary: "完成") {TYPE} }}',
        on_issue(),
        own_liaison_or("coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "signOff",
        f"mutation($id: ID!) {{ signOff(issueId: $id) {TYPE} }}",
        on_issue(_submitted),
        only("coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "rejectIssue",
        f'mutation($id: ID!) {{ rejectIssue(issueId: $id, reason: "不彻底") {TYPE} }}',
        on_issue(_submitted),
        only("coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "requestExtension",
        'mutation($id: ID!) { requestExtension(issueId: $id, reason: "客观原因",'
        f' deadlineText: "2099年9月底") {TYPE} }}',
        on_issue(),
        # api/authz/issues.py lists no admin here (admin is in every other coordination rule).
        own_liaison_or("coordinator"),
        "IssueChanged",
    ),
    Case(
        "approveExtension",
        f"mutation($id: ID!) {{ approveExtension(issueId: $id) {TYPE} }}",
        on_issue(_extension_requested),
        # a campaign's default: leadership decides extensions (README, issue 13 item 6)
        only("leadership"),
        "IssueChanged",
    ),
    Case(
        "denyExtension",
        f'mutation($id: ID!) {{ denyExtension(issueId: $id, reason: "理由不足") {TYPE} }}',
        on_issue(_extension_requested),
        only("leadership"),
        "IssueChanged",
    ),
    Case(
        "approveExtension where the office may decide",
        f"mutation($id: ID!) {{ approveExtension(issueId: $id) {TYPE} }}",
        _office_decides,
        only("leadership", "coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "denyExtension where the office may decide",
        f'mutation($id: ID!) {{ denyExtension(issueId: $id, reason: "理由不足") {TYPE} }}',
        _office_decides,
        only("leadership", "coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "reopenIssue",
        f'mutation($id: ID!) {{ reopenIssue(issueId: $id, reason: "反弹") {TYPE} }}',
        on_issue(_submitted, _signed_off),
        only("coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "pauseClock",
        f'mutation($id: ID!) {{ pauseClock(issueId: $id, reason: "等待检测") {TYPE} }}',
        on_issue(),
        only("coordinator", "admin"),
        "IssueChanged",
    ),
    Case(
        "resumeClock",
        f'mutation($id: ID!) {{ resumeClock(issueId: $id, reason: "检测完成") {TYPE} }}',
        on_issue(_paused),
        only("coordinator", "admin"),
        "IssueChanged",
    ),
]

# --- campaigns ------------------------------------------------------------------------


def _fresh_campaign(world: World, tag: str) -> dict[str, Any]:
    title = f"专项行动{tag}"
    world.app.launch_campaign(title, actor="准备")
    return {"campaign": str(campaign_id(title))}


CAMPAIGN_CASES = [
    Case(
        "launchCampaign",
        "mutation($title: String!) { launchCampaign(title: $title) { __typename } }",
        lambda world, tag: {"title": f"新专项{tag}"},
        only("coordinator", "admin"),
        "CampaignChanged",
    ),
    Case(
        "assignCampaignLead",
        'mutation($campaign: ID!) { assignCampaignLead(campaign: $campaign, agency: "县卫健局")'
        " { __typename } }",
        _fresh_campaign,
        only("coordinator", "admin"),
        "CampaignChanged",
    ),
    Case(
        "addCampaignMember",
        'mutation($campaign: ID!) { addCampaignMember(campaign: $campaign, agency: "县医保局")'
        " { __typename } }",
        _fresh_campaign,
        only("coordinator", "admin"),
        "CampaignChanged",
    ),
    Case(
        "scheduleCampaignPhase",
        'mutation($campaign: ID!) { scheduleCampaignPhase(campaign: $campaign, name: "自查",'
        ' starts: "2026-01-01", ends: "2026-03-31") { __typename } }',
        _fresh_campaign,
        only("coordinator", "admin"),
        "CampaignChanged",
    ),
    Case(
        "setExtensionApprovers",
        "mutation($campaign: ID!) { setExtensionApprovers(campaign: $campaign,"
        " approvers: LEADERSHIP_OR_OFFICE) { __typename } }",
        _fresh_campaign,
        only("coordinator", "admin"),
        "CampaignChanged",
    ),
    Case(
        "requireEvidence",
        "mutation($campaign: ID!) { requireEvidence(campaign: $campaign) { __typename } }",
        _fresh_campaign,
        only("coordinator", "admin"),
        "CampaignChanged",
    ),
]

# --- agency groups (docs/decisions/0024) ----------------------------------------------


def _fresh_group(world: World, tag: str) -> dict[str, Any]:
    name = f"专项{tag}各成员单位"
    world.app.register_agency(name, actor="准备")
    return {"group": name}


def _group_with_health(world: World, tag: str) -> dict[str, Any]:
    group = _fresh_group(world, tag)
    found = world.app.find_agency(group["group"])
    assert found is not None
    world.app.add_group_member(found, agency_id(HEALTH), "准备")
    return group


AGENCY_CASES = [
    Case(
        "addGroupMember",
        'mutation($group: ID!) { addGroupMember(group: $group, agency: "县卫健局")'
        " { __typename } }",
        _fresh_group,
        only("coordinator", "admin"),
        "AgencyChanged",
    ),
    Case(
        "removeGroupMember",
        'mutation($group: ID!) { removeGroupMember(group: $group, agency: "县卫健局")'
        " { __typename } }",
        _group_with_health,
        only("coordinator", "admin"),
        "AgencyChanged",
    ),
    Case(
        "createAgencyGroup",
        "mutation($name: String!) { createAgencyGroup(name: $name) { __typename } }",
        lambda world, tag: {"name": f"新建{tag}各成员单位"},
        only("coordinator", "admin"),
        "AgencyChanged",
    ),
]

# --- the office's settings: the working calendar, escalation policies ------------------

SETTINGS_CASES = [
    Case(
        "loadCalendar",
        'mutation($source: String!) { loadCalendar(year: 2040, holidays: ["2040-01-01"],'
        " source: $source) { __typename } }",
        lambda world, tag: {"source": f"通知{tag}"},
        only("coordinator", "admin"),
        "CalendarLoaded",
    ),
    Case(
        "setEscalationPolicy",
        "mutation($campaign: ID!, $name: String!) { setEscalationPolicy(campaign: $campaign,"
        ' kind: "issue", rungs: [{name: $name, kind: "overdue", offset: "0wd"}])'
        " { __typename } }",
        lambda world, tag: {"campaign": str(world.campaign), "name": f"overdue-{tag}"},
        only("coordinator", "admin"),
        "PolicyChanged",
    ),
]

# --- referrals (ADR 0011) -------------------------------------------------------------


def _referral(world: World, sender: str, receiver: str, *steps: str) -> UUID:
    """A fresh referral from `sender` to `receiver`, taken through `steps`."""
    app, health = world.app, agency_id(receiver)
    item = app.send_referral(agency_id(sender), health, "请核查", actor="准备").id
    for step in steps:
        if step == "claim":
            app.claim_referral(item, health, "准备")
        elif step == "answer":
            app.answer_referral(item, health, "已查处", "准备")
    return item


def to_own(*steps: str) -> Callable[[World, str], dict[str, Any]]:
    """The caller's own agency (HEALTH) receives the referral."""
    return lambda world, tag: {"id": str(_referral(world, INSURANCE, HEALTH, *steps))}


def from_own(*steps: str) -> Callable[[World, str], dict[str, Any]]:
    """The caller's own agency (HEALTH) sent the referral."""
    return lambda world, tag: {"id": str(_referral(world, HEALTH, INSURANCE, *steps))}


REFERRAL_CASES = [
    Case(
        "sendReferral",
        # Coordinators name the sender; a liaison sends for its own agency, and naming
        # another one is refused.
        'mutation { sendReferral(input: {receiver: "县医保局", reason: "请核查",'
        f' sender: "县卫健局"}}) {TYPE} }}',
        lambda world, tag: {},
        own_liaison_or("coordinator", "admin"),
        "ReferralChanged",
    ),
    Case(
        "claimReferral",
        f"mutation($id: ID!) {{ claimReferral(referralId: $id) {TYPE} }}",
        to_own(),
        own_liaison_or(),
        "ReferralChanged",
    ),
    Case(
        "returnReferral",
        f"mutation($id: ID!) {{ returnReferral(referralId: $id, reason: NOT_OUR_REMIT) {TYPE} }}",
        to_own(),
        own_liaison_or(),
        "ReferralChanged",
    ),
    Case(
        "returnClaimedReferral",  # 签收后退回 (issue 13)
        f"mutation($id: ID!) {{ returnReferral(referralId: $id, reason: NOT_OUR_REMIT,"
        f' detail: "误签收") {TYPE} }}',
        to_own("claim"),
        own_liaison_or(),
        "ReferralChanged",
    ),
    Case(
        "answerReferral",
        f'mutation($id: ID!) {{ answerReferral(referralId: $id, outcome: "已查处") {TYPE} }}',
        to_own("claim"),
        own_liaison_or(),
        "ReferralChanged",
    ),
    Case(
        "acceptReferral",
        f"mutation($id: ID!) {{ acceptReferral(referralId: $id) {TYPE} }}",
        from_own("claim", "answer"),
        own_liaison_or("coordinator", "admin"),
        "ReferralChanged",
    ),
    Case(
        "sendBackReferral",
        f'mutation($id: ID!) {{ sendBackReferral(referralId: $id, reason: "不完整") {TYPE} }}',
        from_own("claim", "answer"),
        own_liaison_or("coordinator", "admin"),
        "ReferralChanged",
    ),
    Case(
        "reassignReferral",
        'mutation($id: ID!) { reassignReferral(referralId: $id, agency: "县市场监管局",'
        f' reason: "职责调整") {TYPE} }}',
        to_own(),
        only("coordinator", "admin"),
        "ReferralChanged",
    ),
    Case(
        "reassignClaimedReferral",  # the office takes a claimed referral (issue 13)
        'mutation($id: ID!) { reassignReferral(referralId: $id, agency: "县市场监管局",'
        f' reason: "职责调整") {TYPE} }}',
        to_own("claim"),
        only("coordinator", "admin"),
        "ReferralChanged",
    ),
    Case(
        "setReferralTerms",
        "mutation($campaign: ID!) { setReferralTerms(campaign: $campaign, claimDays: 3,"
        " answerDays: 15) { __typename } }",
        lambda world, tag: {"campaign": str(world.campaign)},
        only("coordinator", "admin"),
        "ReferralTerms",
    ),
]

# --- clues (ADR 0014) -----------------------------------------------------------------


def _clue(world: World, *steps: str, real_name: bool = False) -> UUID:
    """A fresh clue received by the caller's own agency (HEALTH), which handles it."""
    app = world.app
    reporter = ReporterIdentity("张三", "13800000000") if real_name else None
    item = app.receive_clue(
        agency_id(HEALTH),
        "HOTLINE_12320",
        "收受红包",
        actor="准备",
        institution="县医院",
        reporter=reporter,
        real_name=real_name,
    ).id
    for step in steps:
        if step == "handle":
            app.handle_clue(item, "", "准备")
    return item


def clue(*steps: str, real_name: bool = False) -> Callable[[World, str], dict[str, Any]]:
    return lambda world, tag: {"id": str(_clue(world, *steps, real_name=real_name))}


def _two_clues(world: World, tag: str) -> dict[str, Any]:
    return {"id": str(_clue(world)), "into": str(_clue(world))}


def own_actor(role: str, own: bool) -> bool:
    """A liaison or investigator of the handling agency (ADR 0014, clue triage)."""
    return own and role in ("liaison", "investigator")


CLUE_CASES = [
    Case(
        "receiveClue",
        # Always for the caller's own agency, so "other" is simply another agency's intake.
        'mutation { receiveClue(input: {channel: HOTLINE_12320, content: "收受红包",'
        ' institution: "县医院"})'
        " { __typename } }",
        lambda world, tag: {},
        lambda role, own: role in ("liaison", "investigator"),
        "ClueChanged",
    ),
    Case(
        "handleClue",
        "mutation($id: ID!) { handleClue(clueId: $id) { __typename } }",
        clue(),
        own_actor,
        "ClueChanged",
    ),
    Case(
        "referClue",
        'mutation($id: ID!) { referClue(clueId: $id, receiver: "县医保局", reason: "职责")'
        " { __typename } }",
        clue(),
        own_actor,
        "ClueChanged",
    ),
    Case(
        "mergeClue",
        "mutation($id: ID!, $into: ID!) { mergeClue(clueId: $id, intoClueId: $into)"
        " { __typename } }",
        _two_clues,
        own_actor,
        "ClueChanged",
    ),
    Case(
        "dismissClue",
        'mutation($id: ID!) { dismissClue(clueId: $id, reason: "无实质内容") { __typename } }',
        clue(),
        own_actor,
        "ClueChanged",
    ),
    Case(
        "concludeClue",
        'mutation($id: ID!) { concludeClue(clueId: $id, outcome: "已查实") { __typename } }',
        clue("handle"),
        own_actor,
        "ClueChanged",
    ),
    Case(
        "replyToReporter",
        'mutation($id: ID!) { replyToReporter(clueId: $id, text: "已办理", channel: "电话")'
        " { __typename } }",
        clue("handle", real_name=True),
        own_actor,
        "ClueChanged",
    ),
    Case(
        "revealReporter",
        'mutation($id: ID!) { revealReporter(clueId: $id, reason: "核实情况") { __typename } }',
        clue("handle", real_name=True),
        # ADR 0014: an investigator or agency head of the handling agency, nobody else.
        lambda role, own: own and role in ("investigator", "agency_head"),
        "RevealedReporter",
    ),
    Case(
        "setClueReplyDays",
        "mutation($campaign: ID!) { setClueReplyDays(campaign: $campaign, replyDays: 15)"
        " { __typename } }",
        lambda world, tag: {"campaign": str(world.campaign)},
        only("coordinator", "admin"),
        "ClueTerms",
    ),
]

# --- case transfers (ADR 0012) --------------------------------------------------------

POLICE, CITY_POLICE = "县公安局", "市公安局"
PROCURATORATE, COMMISSION = "县人民检察院", "县纪委监委"
STAFF_ROLES = ("liaison", "investigator", "agency_head")


def _transfer(world: World, *steps: str) -> UUID:
    """A fresh criminal transfer from HEALTH to the county police, through `steps`."""
    app, police, who = world.app, agency_id(POLICE), "准备"
    item = app.report_case_transfer(agency_id(HEALTH), police, "虚构病历骗保", actor=who).id
    for step in steps:
        if step == "approve":
            app.approve_case_transfer(item, "", who)
        elif step == "send":
            app.send_case_transfer(item, who)
        elif step == "receive":
            app.receive_case_transfer(item, police, who)
        elif step == "refuse":
            app.refuse_case_transfer(item, police, "证据不足", who)
        elif step == "reconsider":
            app.request_transfer_reconsideration(item, "已达立案标准", who)
        elif step == "supervise":
            app.request_transfer_supervision(item, agency_id(PROCURATORATE), "应当立案", who)
    return item


def transfer(*steps: str) -> Callable[[World, str], dict[str, Any]]:
    return lambda world, tag: {"id": str(_transfer(world, *steps))}


def _discipline(world: World, *steps: str) -> dict[str, Any]:
    app, commission = world.app, agency_id(COMMISSION)
    item = app.send_discipline_transfer(
        agency_id(HEALTH), commission, "李四", PersonCategory.PUBLIC_OFFICIAL, "收受回扣",
        actor="准备",
    ).id  # fmt: skip
    if "receive" in steps:
        app.receive_discipline_transfer(item, commission, "准备")
    return {"id": str(item)}


def own_staff(role: str, own: bool) -> bool:
    return own and role in STAFF_ROLES


def own_head(role: str, own: bool) -> bool:
    return own and role == "agency_head"


def _step(name: str, arguments: str = "", signature: str = "$id: ID!") -> str:
    return f"mutation({signature}) {{ {name}(transferId: $id{arguments}) {{ __typename }} }}"


TRANSFER_CASES = [
    Case(
        "reportCaseTransfer",
        # Always for the caller's own agency; coordinators and the like take no step.
        'mutation { reportCaseTransfer(input: {police: "县公安局", facts: "虚构病历骗保"})'
        " { __typename } }",
        lambda world, tag: {},
        lambda role, own: role in STAFF_ROLES,
        "CaseTransferChanged",
    ),
    Case("approveCaseTransfer", _step("approveCaseTransfer"), transfer(), own_head,
         "CaseTransferChanged"),
    Case("declineCaseTransfer", _step("declineCaseTransfer", ', reason: "不构成犯罪"'),
         transfer(), own_head, "CaseTransferChanged"),
    Case("sendCaseTransfer", _step("sendCaseTransfer"), transfer("approve"), own_staff,
         "CaseTransferChanged"),
    Case("receiveCaseTransfer", _step("receiveCaseTransfer"), transfer("approve", "send"),
         own_staff, "CaseTransferChanged", POLICE),
    Case("forwardCaseTransfer",
         _step("forwardCaseTransfer", ', police: "市公安局", reason: "管辖"'),
         transfer("approve", "send", "receive"), own_staff, "CaseTransferChanged", POLICE),
    Case("fileCriminalCase", _step("fileCriminalCase", ', criminalCaseNumber: "刑1号"'),
         transfer("approve", "send", "receive"), own_staff, "CaseTransferChanged", POLICE),
    Case("refuseCaseTransfer", _step("refuseCaseTransfer", ', reasons: "证据不足"'),
         transfer("approve", "send", "receive"), own_staff, "CaseTransferChanged", POLICE),
    Case("requestTransferReconsideration",
         _step("requestTransferReconsideration", ', reason: "已达立案标准"'),
         transfer("approve", "send", "receive", "refuse"), own_staff, "CaseTransferChanged"),
    Case("answerTransferReconsideration",
         _step("answerTransferReconsideration", ', outcome: UPHOLD, reasons: "维持"'),
         transfer("approve", "send", "receive", "refuse", "reconsider"), own_staff,
         "CaseTransferChanged", POLICE),
    Case("requestTransferSupervision",
         _step("requestTransferSupervision", ', procuratorate: "县人民检察院", reason: "应当立案"'),
         transfer("approve", "send", "receive", "refuse"), own_staff, "CaseTransferChanged"),
    Case("concludeTransferSupervision",
         _step("concludeTransferSupervision", ', outcome: FILING_ORDERED, opinion: "应当立案"'),
         transfer("approve", "send", "receive", "refuse", "supervise"), own_staff,
         "CaseTransferChanged", PROCURATORATE),
    Case(
        "transferToDiscipline",
        'mutation { transferToDiscipline(input: {commission: "县纪委监委", person: "李四",'
        ' category: PUBLIC_OFFICIAL, facts: "收受回扣"}) { __typename } }',
        lambda world, tag: {},
        lambda role, own: role in STAFF_ROLES,
        "CaseTransferChanged",
    ),
    Case("receiveDisciplineTransfer", _step("receiveDisciplineTransfer"),
         lambda world, tag: _discipline(world), own_staff, "CaseTransferChanged", COMMISSION),
    Case("decideDisciplineTransfer",
         _step("decideDisciplineTransfer", ', outcome: OPENED, detail: "立案"'),
         lambda world, tag: _discipline(world, "receive"), own_staff, "CaseTransferChanged",
         COMMISSION),
]  # fmt: skip

# --- periodic reports -----------------------------------------------------------------


def _report_due(world: World, tag: str) -> dict[str, Any]:
    app, agencies = world.app, [agency_id(HEALTH), agency_id(INSURANCE)]
    duty = app.set_reporting_duty(
        world.campaign, f"月报{tag}", Cadence(CadenceKind.MONTHLY, 30), agencies, "准备"
    ).id
    report = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id
    return {"id": str(report), "agency": str(agency_id(HEALTH))}


REPORT_CASES = [
    Case(
        "submitReport",
        'mutation($id: ID!, $agency: ID!) { submitReport(reportId: $id, text: "本月无新增",'
        " agencyId: $agency) { __typename } }",
        _report_due,
        own_liaison_or("coordinator", "admin"),
        "ReportSubmitted",
    ),
]

# Issue 5: coordination sets coverage targets; staff record inspections and file cases for
# the agency of their token only (so "other" staff act for their own agency, and succeed).
PROGRESS_CASES = [
    Case(
        "setCoverageTarget",
        'mutation($campaign: ID!) { setCoverageTarget(campaign: $campaign, category: "诊所",'
        " population: 10, requiredPercent: 50) { __typename } }",
        _fresh_campaign,
        only("coordinator", "admin"),
        "ProgressChanged",
    ),
    Case(
        "setCaseThreshold",
        "mutation($campaign: ID!) { setCaseThreshold(campaign: $campaign, threshold: 5)"
        " { __typename } }",
        _fresh_campaign,
        only("coordinator", "admin"),
        "ProgressChanged",
    ),
    Case(
        "recordInspection",
        "mutation($campaign: ID!, $name: String!) { recordInspection(campaign: $campaign,"
        ' institution: $name, category: "诊所", on: "2026-05-01") { __typename } }',
        lambda world, tag: {"campaign": str(world.campaign), "name": f"诊所{tag}"},
        only("liaison", "investigator"),
        "ProgressChanged",
    ),
    Case(
        "fileEnforcementCase",
        'mutation($number: String!) { fileEnforcementCase(number: $number, filedOn: "2026-05-01")'
        " { __typename } }",
        lambda world, tag: {"number": f"罚{tag}号"},
        only("liaison", "investigator"),
        "ProgressChanged",
    ),
]

READ_CASES = [
    Case(
        "referral",
        "query($id: ID!) { referral(id: $id) { id } }",
        to_own(),
        # ADR 0011: agency staff see what their agency sent or was asked to handle.
        lambda role, own: own or role not in STAFF,
        "",
    ),
    Case(
        "clue",
        "query($id: ID!) { clue(id: $id) { id } }",
        clue(),
        # agency staff see their agency's clues; the others read every clue (identity sealed)
        lambda role, own: own or role not in STAFF,
        "",
    ),
    Case(
        "caseTransfer",
        "query($id: ID!) { caseTransfer(id: $id) { id } }",
        transfer(),
        # ADR 0012: staff read the transfers their agency is party to; the others read all.
        lambda role, own: own or role not in STAFF,
        "",
    ),
]

PAGE = "edges { node { id } } pageInfo { hasNextPage endCursor }"
# Leadership and auditors read every referral by id, every clue, every transfer and every
# agency's referral queue.


def _everyone_but_other_staff(role: str, own: bool) -> bool:
    return own or role not in STAFF


LIST_CASES = [
    Case(
        "referralQueue",
        f"query($after: String) {{ referralQueue(first: 100, after: $after) {{ {PAGE} }} }}",
        to_own(),
        _everyone_but_other_staff,
        LIST,
    ),
    Case(
        "clues",
        f"query($after: String) {{ clues(first: 100, after: $after) {{ {PAGE} }} }}",
        clue(),
        _everyone_but_other_staff,
        LIST,
    ),
    Case(
        "caseTransfers",
        f"query($after: String) {{ caseTransfers(first: 100, after: $after) {{ {PAGE} }} }}",
        transfer(),
        _everyone_but_other_staff,
        LIST,
    ),
]

# Issue 6: agency staff read the issues their agency leads or co-owns (a co-owning caller
# belongs to INSURANCE); coordinators, leadership, auditors and admins read every issue.
ISSUE_READ_CASES = [
    Case(
        "issue",
        "query($id: ID!) { issue(id: $id) { id history { type } } }",
        on_issue(),
        _everyone_but_other_staff,
        READ,
    ),
    Case(
        "issue-as-co-owner",
        "query($id: ID!) { issue(id: $id) { id } }",
        on_issue(),
        _everyone_but_other_staff,
        READ,
        INSURANCE,
    ),
    Case(
        "issueClock",
        "query($id: ID!) { issueClock(issueId: $id) { dueAt } }",
        _clocked_issue,
        _everyone_but_other_staff,
        READ,
    ),
    Case(
        "issues",
        f"query($after: String) {{ issues(first: 200, after: $after) {{ {PAGE} }} }}",
        on_issue(),
        _everyone_but_other_staff,
        LIST,
    ),
    Case(
        "issues-as-co-owner",
        f"query($after: String) {{ issues(first: 200, after: $after) {{ {PAGE} }} }}",
        on_issue(),
        _everyone_but_other_staff,
        LIST,
        INSURANCE,
    ),
]


# Audit trails (api/authz/history.py READ_HISTORY): auditors, admins and coordinators read any
# item's; agency staff an item that names their agency; leadership reads none.
def _history_reader(role: str, own: bool) -> bool:
    return role in ("auditor", "admin", "coordinator") or (own and role in STAFF)


def _fresh_campaign_led_by_own(world: World, tag: str) -> dict[str, Any]:
    title = f"专项行动{tag}"
    world.app.launch_campaign(title, actor="准备", lead_agency=agency_id(HEALTH))
    return {"id": str(campaign_id(title))}


ITEM_KINDS: list[tuple[str, Callable[[World, str], dict[str, Any]]]] = [
    ("issue", on_issue()),
    ("referral", to_own()),
    ("clue", clue(real_name=True)),
    ("caseTransfer", transfer()),
    ("disciplineTransfer", lambda world, tag: _discipline(world)),
    ("reportDue", lambda world, tag: {"id": _report_due(world, tag)["id"]}),
    ("campaign", _fresh_campaign_led_by_own),
    ("agency", lambda world, tag: {"id": str(agency_id(HEALTH))}),
]

AUDIT_CASES = [
    case
    for kind, prepare in ITEM_KINDS
    for case in (
        Case(
            f"auditTrail-{kind}",
            "query($id: ID!) { auditTrail(id: $id) { version actor payload } }",
            prepare,
            _history_reader,
            HISTORY,
        ),
        Case(
            f"itemAsOf-{kind}",
            "query($id: ID!) { itemAsOf(id: $id, version: 1) }",
            prepare,
            _history_reader,
            HISTORY,
        ),
    )
]

CASES = [
    *ISSUE_CASES,
    *CAMPAIGN_CASES,
    *AGENCY_CASES,
    *SETTINGS_CASES,
    *REFERRAL_CASES,
    *CLUE_CASES,
    *TRANSFER_CASES,
    *PROGRESS_CASES,
    *READ_CASES,
    *LIST_CASES,
    *ISSUE_READ_CASES,
    *AUDIT_CASES,
]


MATRIX = [
    pytest.param(
        case,
        role,
        own,
        id=f"{case.name}-{role}-{'own' if own else 'other'}",
    )
    for case in CASES
    for role in ROLES
    for own in (True, False)
]


# --- one API for the whole module: each case prepares its own item -------------------


@pytest.fixture(scope="module")
def matrix_schema(database_url: str) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture(scope="module")
async def world(database_url: str, matrix_schema: str) -> AsyncIterator[World]:
    env = eventsourcing_env(database_url, matrix_schema)
    app = RectifyApp(env=env)
    import_known_ledger(app)
    for name in (POLICE, CITY_POLICE, PROCURATORATE, COMMISSION):
        app.register_agency(name, actor="准备")
    stop = threading.Event()
    thread = threading.Thread(
        target=run_projections,
        args=(env, database_url, matrix_schema, stop, 0.02),
        daemon=True,
    )
    thread.start()
    web = create_app(ApiConfig(database_url, matrix_schema, dict(env), SECRET))
    try:
        async with web.router.lifespan_context(web):
            transport = httpx.ASGITransport(app=web)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                await wait_until_projected(client, app)
                yield World(app, client, campaign_id(CAMPAIGN))
    finally:
        stop.set()
        thread.join(timeout=10)
        app.close()


async def _ask(
    world: World, document: str, role: str, agency: str | None, variables: dict[str, Any]
) -> Any:
    response = await world.client.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token(role, agency)}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _post(
    world: World, document: str, role: str, agency: str | None, variables: dict[str, Any]
) -> Any:
    body = await _ask(world, document, role, agency, variables)
    assert "errors" not in body, body["errors"]
    (value,) = body["data"].values()
    return value


async def _listed(world: World, document: str, role: str, agency: str, item: str) -> bool:
    """Whether `item` is on any page of the list the caller gets."""
    after = None
    while True:
        page = await _post(world, document, role, agency, {"after": after})
        if any(edge["node"]["id"] == item for edge in page["edges"]):
            return True
        if not page["pageInfo"]["hasNextPage"]:
            return False
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(("case", "role", "own"), MATRIX)
async def test_authorisation_matrix(world: World, case: Case, role: str, own: bool) -> None:
    variables = case.prepare(world, uuid.uuid4().hex[:10])
    if case.success in (READ, LIST):  # reads answer from the read side: let it catch up
        await wait_until_projected(world.client, world.app)
    head = world.app.recorder.max_notification_id()
    agency, allowed = case.party if own else OTHER, case.allowed(role, own)
    if case.success == HISTORY:
        body = await _ask(world, case.document, role, agency, variables)
        if allowed:
            assert "errors" not in body and body["data"] is not None, body
            (value,) = body["data"].values()
            assert value is not None, body
        elif role in STAFF:  # another agency's item: null, as for an unknown id (no oracle)
            assert body == {"data": {next(iter(body["data"])): None}}, body
        else:
            assert "only auditors, admins, coordinators" in body["errors"][0]["message"], body
        return
    if case.success == LIST:
        assert await _listed(world, case.document, role, agency, variables["id"]) is allowed
        return
    value = await _post(world, case.document, role, agency, variables)
    if case.success == READ:  # one item: the item, or null as if it did not exist
        assert (value is not None) is allowed, value
        return
    if allowed:
        assert value["__typename"] == case.success, value
    else:
        assert value["__typename"] == "NotAllowed", value
        assert world.app.recorder.max_notification_id() == head, "a refusal changed the log"


NOTICES = "query { notifications(first: 100) { edges { node { id agencyId } } } }"
MARK_READ = "mutation($id: ID!) { markNotificationRead(id: $id) { __typename } }"


async def _notice_to_health(world: World, tag: str) -> str:
    """A reminder notice addressed to HEALTH (lead) for a fresh issue, as the notifier
    would issue it; its id as the inbox shows it."""
    app = world.app
    start = (app.recorder.max_notification_id() or 0) + 1
    item = app.get_issue(_issue(world, tag))
    assert app.record_reminder(item.id, item.clock_key("remind"), "system:clock").changed
    assert issue_notices_in(app, app.recorder.select_notifications(start=start, limit=100)) > 0
    await wait_until_projected(world.client, app)
    found = await _post(world, NOTICES, "liaison", HEALTH, {})
    return str(found["edges"][0]["node"]["id"])  # newest first


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", ROLES)
async def test_an_agency_notice_is_seen_and_marked_read_by_that_agency_only(
    world: World, role: str, own: bool
) -> None:
    """Every role of the addressed agency shares its inbox; another agency sees nothing, and
    marking another agency's notice read is answered like a missing one."""
    notice = await _notice_to_health(world, uuid.uuid4().hex[:10])
    agency = OWN if own else OTHER
    listed = await _post(world, NOTICES, role, agency, {})
    assert any(edge["node"]["id"] == notice for edge in listed["edges"]) is own
    marked = await _post(world, MARK_READ, role, agency, {"id": notice})
    assert marked["__typename"] == ("NotificationMarkedRead" if own else "NotFound"), marked


MARK_ALL = "mutation { markAllNotificationsRead { marked unreadCount } }"
READ_AT = "query { notifications(first: 100) { edges { node { id readAt } } } }"


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", ROLES)
async def test_marking_all_read_marks_only_the_callers_agency_notices(
    world: World, role: str, own: bool
) -> None:
    """Every role may mark its inbox read; another agency's notices stay unread."""
    notice = await _notice_to_health(world, uuid.uuid4().hex[:10])

    marked = await _post(world, MARK_ALL, role, OWN if own else OTHER, {})

    assert marked["unreadCount"] == 0
    seen = await _post(world, READ_AT, role, OWN, {})  # the same user, as HEALTH sees it
    read_at = next(e["node"]["readAt"] for e in seen["edges"] if e["node"]["id"] == notice)
    assert (read_at is not None) is own, (marked, read_at)


# Intentionally open to every signed-in role, whatever its agency: the campaign's own
# description and its shared figures (counts, not items) — api/authz/issues.py's docstring.
OPEN_READS = {
    "campaigns": "{ campaigns { id title } }",
    "agencies": "{ agencies { id name } }",
    "me": "{ me { role } }",
    "systemStatus": "{ systemStatus { head } }",
    "dashboard": "query($c: ID!) { dashboard(campaign: $c) { totalIssues open overdue } }",
    "statistics": "query($c: ID) { statistics(campaign: $c) { total { open closed overdue } } }",
    "campaignProgress": "query($c: ID!) { campaignProgress(campaign: $c) { phases { name } } }",
    "enforcementCases": "query($c: ID) { enforcementCases(year: 2026, campaign: $c) { region } }",
}
SAME_FOR_EVERYONE = {"campaigns", "agencies", "dashboard", "statistics", "campaignProgress"}


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("read", sorted(OPEN_READS))
async def test_open_reads_answer_every_role_of_any_agency(
    world: World, read: str, role: str, own: bool
) -> None:
    await wait_until_projected(world.client, world.app)
    variables = {"c": str(world.campaign)}
    value = await _post(world, OPEN_READS[read], role, OWN if own else OTHER, variables)
    assert value is not None
    if read in SAME_FOR_EVERYONE:  # not scoped: what a coordinator sees
        assert value == await _post(world, OPEN_READS[read], "coordinator", None, variables)


OVERDUE = "query { statistics { overdue(first: 200) { items { id agency { name } } } } }"


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", ROLES)
async def test_the_overdue_list_names_another_agencys_items_to_oversight_roles_only(
    world: World, role: str, own: bool
) -> None:
    """The counts are everyone's, the list names items: staff see their agency's."""
    await wait_until_projected(world.client, world.app)
    found = await _post(world, OVERDUE, role, OWN if own else OTHER, {})
    names = {item["agency"]["name"] for item in found["overdue"]["items"]}
    if role in STAFF:
        assert names == ({HEALTH} if own else set()), names
    else:
        assert HEALTH in names, names  # issue 1 of the known ledger, led by HEALTH


FIGURE_ITEMS = (
    "query { figureItems(filter: {state: OVERDUE}, first: 200)"
    " { totalCount edges { node { agency { name } } } } }"
)


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", ROLES)
async def test_a_figures_item_list_names_another_agencys_items_to_oversight_roles_only(
    world: World, role: str, own: bool
) -> None:
    """As the overdue list (api/authz/figures.py): the figure is everyone's, the list behind
    it names items, so staff list their agency's."""
    await wait_until_projected(world.client, world.app)
    found = await _post(world, FIGURE_ITEMS, role, OWN if own else OTHER, {})
    names = {edge["node"]["agency"]["name"] for edge in found["edges"]}
    if role in STAFF:
        assert names == ({HEALTH} if own else set()), names
    else:
        assert HEALTH in names, names
        total = await _post(world, OPEN_READS["statistics"], "coordinator", None, {"c": None})
        assert found["totalCount"] == total["total"]["overdue"]


OVERDUE_IDS = "query { statistics { overdue(first: 200) { items { id } } } }"


async def test_the_overdue_list_shows_a_co_owner_the_issue_it_co_owns(world: World) -> None:
    """Issue 1 is led by the health bureau, co-owned by the insurance bureau: both read it,
    so both find it in the overdue list; market regulation has no part in it."""
    await wait_until_projected(world.client, world.app)
    one = str(issue_id(campaign_id(CAMPAIGN), "1"))
    for agency, listed in ((INSURANCE, True), (HEALTH, True), (MARKET, False)):
        found = await _post(world, OVERDUE_IDS, "liaison", agency, {})
        assert (one in {item["id"] for item in found["overdue"]["items"]}) is listed, agency


REVEALS = "query { clueReveals { clueId } }"


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", ROLES)
async def test_clue_reveals_are_listed_to_auditors_and_admins_only(
    world: World, role: str, own: bool
) -> None:
    """ADR 0014: the reveal log is the auditors' (admins too); anyone else is refused."""
    response = await world.client.post(
        "/graphql",
        json={"query": REVEALS},
        headers={"Authorization": f"Bearer {token(role, OWN if own else OTHER)}"},
    )
    body = response.json()
    if role in ("auditor", "admin"):
        assert "errors" not in body and isinstance(body["data"]["clueReveals"], list), body
    else:
        assert body["data"] is None and "仅审计人员" in body["errors"][0]["message"], body


def test_the_matrix_covers_every_role_both_ways_for_each_case() -> None:
    assert len(MATRIX) == len(CASES) * len(ROLES) * 2
    assert len({case.name for case in CASES}) == len(CASES)
    # the table is not trivially one-sided: each mutation is refused to someone
    assert all(
        not all(case.allowed(role, own) for role in ROLES for own in (True, False))
        for case in CASES
    )
