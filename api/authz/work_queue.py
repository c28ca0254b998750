"""Who sees which rows of the work queue (我的待办, ADR 0044), and which steps each row offers.

Derived from the other tables of this package, not restated: a row's steps are the
mutations the caller's role could take in the item's state, each kept only if that kind's
own `authorize` passes on the row's agencies, so the queue offers what the server would
allow. Two audiences:

- agency staff (liaison, investigator, agency head): their own agency's items, those of
  every kind where one of their steps is next (referrals to claim, answer or accept,
  issues to rectify, clues, case-transfer steps, reports owed);
- the oversight roles: the campaign-wide office work (unclaimed referrals to reassign,
  returned ones, issues awaiting verification, pending extensions), as far as their role
  takes a step in it: coordinators and admins all four, leadership the extensions (of
  its region, when its token names one).

A role with no step in any kind (an auditor) has no queue: asking is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from api.auth import Role, User
from api.authz import case_transfers, clues, issues, referrals
from api.authz.core import STAFF, NotAllowedError, own_agency
from domain.campaigns import ExtensionApprovers
from domain.referrals import ACTION_LABELS as REFERRAL_LABELS
from projections import work_queue_queries as q

Row = Mapping[str, Any]
# Extension decisions also follow the campaign's rule: such a row carries
# `extension_approvers` (domain.campaigns.ExtensionApprovers).
DECISIONS = frozenset({issues.Action.APPROVE_EXTENSION, issues.Action.DENY_EXTENSION})


@dataclass(frozen=True)
class WorkStep:
    mutation: str  # the GraphQL mutation that takes the step: the web app's dialog
    label: str  # 中文 / English
    roles: frozenset[Role]  # the roles the step's rule lists at all
    check: Callable[[User, Row], None]  # raises NotAllowedError where the rule refuses

    def allows(self, user: User, row: Row) -> bool:
        if user.role not in self.roles:
            return False
        try:
            self.check(user, row)
        except NotAllowedError:
            return False
        return True


def _parties(row: Row) -> tuple[UUID, UUID]:
    """(sender, receiver) of a referral row: the accepting row is the sender's."""
    if row["kind"] == q.REFERRAL_TO_ACCEPT:
        return row["agency_id"], row["other_id"]
    return row["other_id"], row["agency_id"]


def _referral(mutation: str, action: referrals.ReferralAction) -> WorkStep:
    def check(user: User, row: Row) -> None:
        sender, receiver = _parties(row)
        referrals.authorize(user, action, sender, receiver, row["agency_name"] or "")

    label = f"{REFERRAL_LABELS.get(action.value, action.value)} / {action.value}"
    return WorkStep(mutation, label, frozenset(referrals.RULES[action]), check)


def _issue(mutation: str, action: issues.Action) -> WorkStep:
    def check(user: User, row: Row) -> None:
        # agency_id: the caller's agency (a responsible one) or, office rows, the lead
        responsible = [row["agency_id"], row["other_id"]]
        issues.authorize(user, action, row["other_id"], responsible, None, row["agency_region"])
        if action is issues.Action.REQUEST_EXTENSION and row["detail"] == "EXTENSION_PENDING":
            raise NotAllowedError("已有待审批的延期申请 / an extension request is pending")
        if action in DECISIONS:  # the campaign's own rule, looked up by the resolver
            issues.authorize_extension_decision(user, action, row["extension_approvers"])

    label = f"{issues.LABELS[action]} / {action.value}"
    return WorkStep(mutation, label, frozenset(issues.RULES[action]), check)


def _clue(mutation: str, action: clues.ClueAction) -> WorkStep:
    def check(user: User, row: Row) -> None:
        clues.authorize(user, action, row["other_id"], row["agency_id"])

    label = f"{clues.LABELS[action]} / {action.value}"
    return WorkStep(mutation, label, frozenset(clues.RULES[action]), check)


def _transfer(mutation: str, step: case_transfers.Step) -> WorkStep:
    def check(user: User, row: Row) -> None:
        case_transfers.authorize_step(user, step, row["agency_id"], row["agency_name"] or "")

    label = f"{case_transfers.LABELS[step]} / {step.value}"
    return WorkStep(mutation, label, case_transfers.RULES[step][1], check)


def _report(mutation: str) -> WorkStep:
    action = issues.Action.SUBMIT_REPORT

    def check(user: User, row: Row) -> None:
        issues.authorize(user, action, acting_for=row["agency_id"])

    label = f"{issues.LABELS[action]} / {action.value}"
    return WorkStep(mutation, label, frozenset(issues.RULES[action]), check)


R, A, C, S = referrals.ReferralAction, issues.Action, clues.ClueAction, case_transfers.Step
CLAIM = _referral("claimReferral", R.CLAIM)
RETURN = _referral("returnReferral", R.RETURN)
REASSIGN = _referral("reassignReferral", R.REASSIGN)
REPLY = _clue("replyToReporter", C.REPLY)

# kind → state → the steps that may be next. A transfer's state is `KIND:STATUS`; the
# office's rows of a kind may offer other steps than the staff's rows of it.
Steps = dict[str, dict[str, list[WorkStep]]]
STAFF_QUEUE: Steps = {
    q.REFERRAL_TO_CLAIM: {"SENT": [CLAIM, RETURN]},
    q.REFERRAL_TO_ANSWER: {"CLAIMED": [_referral("answerReferral", R.ANSWER), RETURN]},
    q.REFERRAL_TO_ACCEPT: {
        "ANSWERED": [
            _referral("acceptReferral", R.ACCEPT),
            _referral("sendBackReferral", R.SEND_BACK),
        ]
    },
    q.ISSUE_TO_REPORT: {
        "OPEN": [
            _issue("reportProgress", A.REPORT_PROGRESS),
            _issue("submitForVerification", A.SUBMIT_FOR_VERIFICATION),
            _issue("requestExtension", A.REQUEST_EXTENSION),
        ]
    },
    q.CLUE_TO_HANDLE: {
        "RECEIVED": [
            _clue("handleClue", C.HANDLE),
            _clue("referClue", C.REFER),
            _clue("mergeClue", C.MERGE),
            _clue("dismissClue", C.DISMISS),
        ],
        "HANDLING": [_clue("concludeClue", C.CONCLUDE)],
        "REPLY_OWED": [REPLY],  # a real-name reporter awaits a reply
    },
    q.CASE_TRANSFER_STEP: {
        "CRIMINAL:REPORTED": [
            _transfer("approveCaseTransfer", S.APPROVE),
            _transfer("declineCaseTransfer", S.DECLINE),
        ],
        "CRIMINAL:APPROVED": [_transfer("sendCaseTransfer", S.SEND)],
        "CRIMINAL:SENT": [_transfer("receiveCaseTransfer", S.RECEIVE)],
        "CRIMINAL:FORWARDED": [_transfer("receiveCaseTransfer", S.RECEIVE)],
        "CRIMINAL:RECEIVED": [
            _transfer("fileCriminalCase", S.FILE),
            _transfer("refuseCaseTransfer", S.REFUSE),
            _transfer("forwardCaseTransfer", S.FORWARD),
        ],
        "CRIMINAL:REFUSED": [
            _transfer("requestTransferReconsideration", S.REQUEST_RECONSIDERATION),
            _transfer("requestTransferSupervision", S.REQUEST_SUPERVISION),
        ],
        "CRIMINAL:RECONSIDERING": [
            _transfer("answerTransferReconsideration", S.ANSWER_RECONSIDERATION)
        ],
        "CRIMINAL:REFUSAL_UPHELD": [_transfer("requestTransferSupervision", S.REQUEST_SUPERVISION)],
        "CRIMINAL:UNDER_SUPERVISION": [
            _transfer("concludeTransferSupervision", S.CONCLUDE_SUPERVISION)
        ],
        "CRIMINAL:FILING_ORDERED": [_transfer("fileCriminalCase", S.FILE)],
        "DISCIPLINE:SENT": [_transfer("receiveDisciplineTransfer", S.RECEIVE_DISCIPLINE)],
        "DISCIPLINE:RECEIVED": [_transfer("decideDisciplineTransfer", S.DECIDE_DISCIPLINE)],
    },
    q.REPORT_DUE: {"OWED": [_report("submitReport")]},
}
OFFICE_QUEUE: Steps = {
    q.REFERRAL_TO_CLAIM: {"SENT": [REASSIGN]},  # unclaimed: the office may reassign
    q.REFERRAL_TO_REASSIGN: {"RETURNED": [REASSIGN]},
    q.ISSUE_TO_VERIFY: {
        "SUBMITTED": [_issue("signOff", A.SIGN_OFF), _issue("rejectIssue", A.REJECT)]
    },
    q.EXTENSION_TO_DECIDE: {
        state: [
            _issue("approveExtension", A.APPROVE_EXTENSION),
            _issue("denyExtension", A.DENY_EXTENSION),
        ]
        for state in ("OPEN", "SUBMITTED")
    },
}

NO_QUEUE = "{role} 无待办事项 / role {role} takes no steps on items, so it has no work queue"
NO_AGENCY = "令牌未关联单位，无法列出本单位待办 / the caller speaks for no agency"


def _table(user: User) -> Steps:
    return STAFF_QUEUE if user.role in STAFF else OFFICE_QUEUE


def _takes_one(user: User, steps: list[WorkStep]) -> bool:
    return any(user.role in step.roles for step in steps)


def work_scope(user: User) -> q.WorkScope:
    """The caller's queue: its agency's rows (staff) or every agency's (oversight), in the
    states where its role takes a step; NotAllowedError for a role without any, or staff
    whose token names no agency."""
    states: dict[str, list[str]] = {}
    for kind, by_state in _table(user).items():
        found = [state for state, steps in by_state.items() if _takes_one(user, steps)]
        if found:
            states[kind] = found
    if not states:
        raise NotAllowedError(NO_QUEUE.format(role=user.role.value))
    if user.role not in STAFF:
        return q.WorkScope(None, states, user.region if user.role is Role.LEADERSHIP else None)
    agency = own_agency(user)
    if agency is None:
        raise NotAllowedError(NO_AGENCY)
    return q.WorkScope(agency, states)


def steps_of(user: User, row: Row) -> list[WorkStep]:
    """The steps `user` may take next on the queue's `row`, in the table's order."""
    by_state = _table(user).get(row["kind"], {})
    state = row["status"]
    if row["kind"] == q.CASE_TRANSFER_STEP:
        state = f"{row['detail']}:{state}"
    candidates = list(by_state.get(state, []))
    if row["kind"] == q.CLUE_TO_HANDLE and row["detail"] == "REPLY_OWED":
        candidates += by_state.get("REPLY_OWED", [])
    return [step for step in candidates if step.allows(user, row)]


# The fields of a row its steps are decided on: `steps_of` and every check above read
# these and nothing else of the row, so rows that agree on them offer the same steps.
STEP_FIELDS = (
    "kind", "status", "detail", "agency_id", "other_id", "agency_name", "agency_region",
    "extension_approvers",
)  # fmt: skip
T = TypeVar("T")


def steps_by_row(
    user: User,
    rows: Iterable[Row],
    approvers: Mapping[UUID, ExtensionApprovers],
    shown: Callable[[list[WorkStep]], T],
) -> list[T]:
    """`shown(steps_of(user, row))` for each row, decided once for the rows that agree on
    STEP_FIELDS (a liaison's page: its own agency on every row, a few leads and states)
    and shared by them. `approvers`: each campaign's rule on extension decisions (looked
    up by the resolver), a row's `extension_approvers`. The checks see only the
    STEP_FIELDS of a row, so one reading anything else fails rather than being shared
    wrongly."""
    decided: dict[tuple[Any, ...], T] = {}
    found = []
    for row in rows:
        key = (*(row[f] for f in STEP_FIELDS[:-1]), approvers.get(row["campaign_id"]))
        steps = decided.get(key)
        if steps is None:
            steps = decided[key] = shown(steps_of(user, dict(zip(STEP_FIELDS, key, strict=True))))
        found.append(steps)
    return found
