"""Who may do what, in one table, checked in one place.

Reads are open to every authenticated role. For commands on an issue, a liaison speaks
for one agency: `RESPONSIBLE` lets it act when its agency leads or co-owns the issue,
`LEAD` only when its agency leads.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from uuid import UUID

from api.auth import Role, User


class Action(StrEnum):
    READ = "read"
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
    SET_COVERAGE_TARGET = "set a coverage target"
    RECORD_INSPECTION = "record an inspection"
    FILE_ENFORCEMENT_CASE = "file a law-enforcement case"


LABELS = {
    Action.READ: "查看",
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
    Action.SET_COVERAGE_TARGET: "设定检查覆盖目标",
    Action.RECORD_INSPECTION: "登记检查",
    Action.FILE_ENFORCEMENT_CASE: "登记行政处罚立案",
}


class Scope(StrEnum):
    ANY = "any"
    RESPONSIBLE = "responsible agency"
    LEAD = "lead agency"
    OWN = "own agency"  # acts only for the agency of the caller's token
    REGION = "region"  # the lead agency is in the caller's region, if the token names one


_ALL = {role: Scope.ANY for role in Role}
_COORDINATION = {Role.COORDINATOR: Scope.ANY, Role.ADMIN: Scope.ANY}

RULES: dict[Action, dict[Role, Scope]] = {
    Action.READ: _ALL,
    Action.REGISTER_ISSUE: _COORDINATION,
    Action.REPORT_PROGRESS: {Role.LIAISON: Scope.RESPONSIBLE, **_COORDINATION},
    Action.SUBMIT_FOR_VERIFICATION: {Role.LIAISON: Scope.LEAD, **_COORDINATION},
    Action.SIGN_OFF: _COORDINATION,
    Action.REJECT: _COORDINATION,
    Action.REQUEST_EXTENSION: {Role.LIAISON: Scope.LEAD, Role.COORDINATOR: Scope.ANY},
    Action.APPROVE_EXTENSION: {Role.LEADERSHIP: Scope.REGION, **_COORDINATION},
    Action.DENY_EXTENSION: {Role.LEADERSHIP: Scope.REGION, **_COORDINATION},
    Action.REOPEN: _COORDINATION,
    Action.MANAGE_CAMPAIGN: _COORDINATION,
    Action.SET_COVERAGE_TARGET: _COORDINATION,
    Action.RECORD_INSPECTION: {Role.LIAISON: Scope.OWN, Role.INVESTIGATOR: Scope.OWN},
    Action.FILE_ENFORCEMENT_CASE: {Role.LIAISON: Scope.OWN, Role.INVESTIGATOR: Scope.OWN},
}


class NotAllowedError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _agency(user: User) -> UUID | None:
    try:
        return UUID(user.agency_id) if user.agency_id else None
    except ValueError:
        return None


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
    scope = RULES[action].get(user.role)
    label = LABELS[action]
    if scope is None:
        raise NotAllowedError(
            f"{user.role.value} 无权{label} / role {user.role.value} may not {action.value}"
        )
    own = _agency(user)
    if scope is Scope.LEAD and (own is None or own != lead):
        raise NotAllowedError(f"仅牵头单位可以{label} / only the lead agency may {action.value}")
    if scope is Scope.RESPONSIBLE and (own is None or own not in set(responsible)):
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
