"""Who may do what to issues, clocks, periodic reports, audit trails, campaigns and groups,
and to the settings the clocks count on (the working calendar, escalation policies).

Agency staff (liaison, investigator, agency head) speak for one agency: `RESPONSIBLE` lets
them act on (or read) an issue their agency leads or co-owns, `LEAD` only one it leads,
`NAMED` read the history of an item that names their agency (api/authz/history.py).
Coordinators, leadership, auditors and admins read every issue. Campaigns, agencies, `me`,
`systemStatus` and the campaign figures (dashboard, statistics, campaignProgress,
enforcementCases: counts shared by the campaign's agencies) are open to every signed-in
role, `READ` below.

Extensions are decided by leadership; a campaign may let the leading-group office
(coordinators and admins) decide too (`Campaign.extension_approvers`, default leadership
only): `RULES` lists every role that may ever decide, `authorize_extension_decision` the
campaign's own rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from uuid import UUID

from api.auth import Role, User
from api.authz.core import ALL, COORDINATION, ROLE_LABELS, STAFF, NotAllowedError, Scope
from api.authz.core import own_agency as _agency
from domain.campaigns import ExtensionApprovers


class Action(StrEnum):
    READ = "read"
    READ_ISSUE = "read an issue"
    READ_HISTORY = "read an item's history"
    REGISTER_ISSUE = "register issue"
    REPORT_PROGRESS = "report progress"
    SUBMIT_FOR_VERIFICATION = "submit for verification"
    SIGN_OFF = "sign off"
    REJECT = "reject"
    REQUEST_EXTENSION = "request an extension"
    APPROVE_EXTENSION = "approve an extension"
    DENY_EXTENSION = "deny an extension"
    REOPEN = "reopen"
    MANAGE_CAMPAIGN = "manage a campaign"
    MANAGE_AGENCY_GROUP = "manage an agency group"
    SET_COVERAGE_TARGET = "set a coverage target"
    RECORD_INSPECTION = "record an inspection"
    FILE_ENFORCEMENT_CASE = "file a law-enforcement case"
    PAUSE_CLOCK = "pause the clock"
    RESUME_CLOCK = "resume the clock"
    SUBMIT_REPORT = "submit reports"
    LOAD_CALENDAR = "load the working calendar"
    SET_ESCALATION_POLICY = "set an escalation policy"


LABELS = {
    Action.READ: "查看",
    Action.READ_ISSUE: "查看该问题",
    Action.READ_HISTORY: "查看审计轨迹",
    Action.REGISTER_ISSUE: "登记问题",
    Action.REPORT_PROGRESS: "报告进展",
    Action.SUBMIT_FOR_VERIFICATION: "提交核验",
    Action.SIGN_OFF: "核验销号",
    Action.REJECT: "退回整改",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期",
    Action.DENY_EXTENSION: "驳回延期",
    Action.REOPEN: "重新打开",
    Action.MANAGE_CAMPAIGN: "管理专项行动",
    Action.MANAGE_AGENCY_GROUP: "管理单位组成员",
    Action.SET_COVERAGE_TARGET: "设定检查覆盖目标",
    Action.RECORD_INSPECTION: "登记检查",
    Action.FILE_ENFORCEMENT_CASE: "登记行政处罚立案",
    Action.PAUSE_CLOCK: "暂停计时",
    Action.RESUME_CLOCK: "恢复计时",
    Action.SUBMIT_REPORT: "报送",
    Action.LOAD_CALENDAR: "加载工作日历",
    Action.SET_ESCALATION_POLICY: "设置督办规则",
}


RULES: dict[Action, dict[Role, Scope]] = {
    Action.READ: ALL,
    # issue 6: no agency sees what is not its own; the oversight roles see the whole ledger
    Action.READ_ISSUE: {**ALL, **{role: Scope.RESPONSIBLE for role in STAFF}},
    # leadership reads the issue views, not the raw history (docs: api/audit_trail.py)
    Action.READ_HISTORY: {
        Role.AUDITOR: Scope.ANY,
        **COORDINATION,
        **{role: Scope.NAMED for role in STAFF},
    },
    Action.REGISTER_ISSUE: COORDINATION,
    Action.REPORT_PROGRESS: {Role.LIAISON: Scope.RESPONSIBLE, **COORDINATION},
    Action.SUBMIT_FOR_VERIFICATION: {Role.LIAISON: Scope.LEAD, **COORDINATION},
    Action.SIGN_OFF: COORDINATION,
    Action.REJECT: COORDINATION,
    Action.REQUEST_EXTENSION: {Role.LIAISON: Scope.LEAD, Role.COORDINATOR: Scope.ANY},
    # the office only where the campaign lets it (authorize_extension_decision)
    Action.APPROVE_EXTENSION: {Role.LEADERSHIP: Scope.REGION, **COORDINATION},
    Action.DENY_EXTENSION: {Role.LEADERSHIP: Scope.REGION, **COORDINATION},
    Action.REOPEN: COORDINATION,
    Action.MANAGE_CAMPAIGN: COORDINATION,
    Action.MANAGE_AGENCY_GROUP: COORDINATION,
    Action.SET_COVERAGE_TARGET: COORDINATION,
    Action.RECORD_INSPECTION: {Role.LIAISON: Scope.OWN, Role.INVESTIGATOR: Scope.OWN},
    Action.FILE_ENFORCEMENT_CASE: {Role.LIAISON: Scope.OWN, Role.INVESTIGATOR: Scope.OWN},
    # the people who run the ledger and see the test or appraisal an issue waits for
    Action.PAUSE_CLOCK: COORDINATION,
    Action.RESUME_CLOCK: COORDINATION,
    Action.SUBMIT_REPORT: {Role.LIAISON: Scope.OWN, **COORDINATION},
    # the office's settings every clock counts on (`rectify calendar load`, `policy set`)
    Action.LOAD_CALENDAR: COORDINATION,
    Action.SET_ESCALATION_POLICY: COORDINATION,
}


def authorize_role(user: User, action: Action) -> None:
    """Refuse at once a role the table does not list for `action`, before anything is
    looked up; the agency is checked by `authorize` once known."""
    if user.role not in RULES[action]:
        label = LABELS[action]
        raise NotAllowedError(
            f"{ROLE_LABELS[user.role]}无权{label} / role {user.role.value} may not {action.value}"
        )


def authorize(
    user: User,
    action: Action,
    lead: UUID | None = None,
    responsible: Iterable[UUID] = (),
    acting_for: UUID | None = None,
    lead_region: str | None = None,
) -> None:
    """Raise NotAllowedError unless `user` may do `action` (on an issue with these agencies).

    A liaison speaks only for its own agency: `acting_for` another one is refused.
    Leadership whose token names a region decides only where the lead agency is in it
    (`lead_region`: that agency's region); a token without one is not limited.
    """
    authorize_role(user, action)
    scope = RULES[action][user.role]
    label = LABELS[action]
    own = _agency(user)
    if scope is Scope.LEAD and (own is None or own != lead):
        raise NotAllowedError(f"仅牵头单位可以{label} / only the lead agency may {action.value}")
    if scope in (Scope.RESPONSIBLE, Scope.NAMED) and (own is None or own not in set(responsible)):
        raise NotAllowedError(
            f"仅责任单位可以{label} / only a responsible agency may {action.value}"
        )
    if scope is Scope.REGION and user.region is not None and lead_region != user.region:
        raise NotAllowedError(
            f"仅可对本地区（{user.region}）牵头的问题{label} / may {action.value} only for "
            f"items led by an agency of {user.region}"
        )
    if scope is Scope.OWN and (own is None or acting_for != own):
        raise NotAllowedError(f"只能代表本单位{label} / may {action.value} for its own agency only")
    if user.role is Role.LIAISON and acting_for is not None and acting_for != own:
        raise NotAllowedError("联络员只能代表本单位 / a liaison acts for its own agency only")


EXTENSION_DECIDERS: dict[ExtensionApprovers, frozenset[Role]] = {
    ExtensionApprovers.LEADERSHIP: frozenset({Role.LEADERSHIP}),
    ExtensionApprovers.LEADERSHIP_OR_OFFICE: frozenset(
        {Role.LEADERSHIP, Role.COORDINATOR, Role.ADMIN}
    ),
}


def authorize_extension_decision(user: User, action: Action, approvers: ExtensionApprovers) -> None:
    """The campaign's rule on who decides extensions, after `authorize` passed the table."""
    if user.role not in EXTENSION_DECIDERS[approvers]:
        label = LABELS[action]
        raise NotAllowedError(
            f"本专项行动的延期仅由领导{label} / in this campaign only leadership may {action.value}"
        )


NO_AGENCY = UUID(int=0)  # matches no agency: staff whose token names none read nothing


def issue_scope(user: User) -> UUID | None:
    """The one agency whose issues `user` reads (those it leads or co-owns), or None for
    every issue; read lists are filtered by it rather than refused."""
    if RULES[Action.READ_ISSUE].get(user.role) is Scope.ANY:
        return None
    return _agency(user) or NO_AGENCY


def may(
    user: User, action: Action, lead: UUID | None = None, responsible: Iterable[UUID] = ()
) -> bool:
    """Whether `authorize` would let `user` do `action`: for reads answered with null."""
    try:
        authorize(user, action, lead, responsible)
    except NotAllowedError:
        return False
    return True
