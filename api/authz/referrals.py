"""Who may do what to a referral (移送/转办), in one table, checked in one place.

- send: a liaison for its own agency; a coordinator or admin for any agency (and may link
  any subject; a liaison's linked subject must be its agency's, which the domain checks);
- claim, return (before or after claiming), answer: only a liaison of the receiving agency;
- accept, send back: a liaison of the sending agency, or a coordinator (or admin);
- reassign (a returned, unclaimed or claimed referral), and a campaign's referral terms:
  a coordinator (the leading group office) or an admin;
- reads and the queue: liaisons, investigators and agency heads see what their agency sent
  or was ever asked to handle; coordinators, leadership, auditors and admins see all.
The resolvers check these against the aggregate, on the worker thread (api/referrals.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from api.auth import Role, User
from api.authz.core import (
    ALL,
    COORDINATION,
    ROLE_LABELS,
    STAFF,
    NotAllowedError,
    Rules,
    Scope,
    own_agency,
)
from domain.referrals import ACTION_LABELS


class ReferralAction(StrEnum):
    READ = "read a referral"
    SEND = "refer"
    CLAIM = "claim"
    RETURN = "return"
    ANSWER = "answer"
    ACCEPT = "accept"
    SEND_BACK = "send back"
    REASSIGN = "reassign"
    SET_TERMS = "set referral terms"


_RECEIVER: Rules = {Role.LIAISON: Scope.RECEIVER}
_SENDER: Rules = {Role.LIAISON: Scope.SENDER, **COORDINATION}

RULES: dict[ReferralAction, Rules] = {
    ReferralAction.READ: {**ALL, **{role: Scope.SENDER_OR_RECEIVER for role in STAFF}},
    ReferralAction.SEND: {Role.LIAISON: Scope.OWN, **COORDINATION},
    ReferralAction.CLAIM: _RECEIVER,
    ReferralAction.RETURN: _RECEIVER,
    ReferralAction.ANSWER: _RECEIVER,
    ReferralAction.ACCEPT: _SENDER,
    ReferralAction.SEND_BACK: _SENDER,
    ReferralAction.REASSIGN: COORDINATION,
    ReferralAction.SET_TERMS: COORDINATION,
}

NO_AGENCY = "联络员未关联单位 / the caller speaks for no agency"
NO_AGENCY_ACTING = "没有所属单位 / the caller has no agency"
OWN_AGENCY_ONLY = "联络员只能代表本单位 / a liaison acts for its own agency only"


_RECEIVER_ONLY = "仅接收单位{name}的联络员可以{label} / only a liaison of {name} may {action}"
_SENDER_OR_OFFICE = (
    "仅移送单位或协调办可以{label} / only the sending agency or a coordinator may {action}"
)
# The refusal of each action, the same whether the role or the agency is wrong.
REFUSALS = {
    ReferralAction.SEND: "{role_label}无权移送 / role {role} may not refer",
    ReferralAction.CLAIM: _RECEIVER_ONLY,
    ReferralAction.RETURN: _RECEIVER_ONLY,
    ReferralAction.ANSWER: _RECEIVER_ONLY,
    ReferralAction.ACCEPT: _SENDER_OR_OFFICE,
    ReferralAction.SEND_BACK: _SENDER_OR_OFFICE,
    ReferralAction.REASSIGN: "仅领导小组办公室可以重新指派 / only the coordinator may reassign",
    ReferralAction.SET_TERMS: (
        "仅协调办可以设定移送时限 / only a coordinator may set referral terms"
    ),
}


def _refusal(user: User, action: ReferralAction, receiver_name: str) -> NotAllowedError:
    return NotAllowedError(
        REFUSALS[action].format(
            role=user.role.value,
            role_label=ROLE_LABELS[user.role],
            name=receiver_name,
            label=ACTION_LABELS.get(action.value, ""),
            action=action.value,
        )
    )


def authorize(
    user: User,
    action: ReferralAction,
    sender: UUID | None = None,
    receiver: UUID | None = None,
    receiver_name: str = "",
    acting_for: UUID | None = None,
) -> Scope:
    """The caller's scope for `action` on a referral from `sender` to `receiver` (named
    `receiver_name`), or NotAllowedError. Sending (`OWN`): the caller's token must name an
    agency, and `acting_for`, the sender it names, if any, must be that agency."""
    scope, own = RULES[action].get(user.role), own_agency(user)
    if scope is None:
        raise _refusal(user, action, receiver_name)
    if scope is Scope.OWN:
        if own is None:
            raise NotAllowedError(NO_AGENCY)
        if acting_for is not None and acting_for != own:
            raise NotAllowedError(OWN_AGENCY_ONLY)
    if (scope is Scope.SENDER and own != sender) or (scope is Scope.RECEIVER and own != receiver):
        raise _refusal(user, action, receiver_name)
    return scope


def reads_all(user: User) -> bool:
    """Whether `user` reads every agency's referrals and queues (else only its own's)."""
    return RULES[ReferralAction.READ].get(user.role) is Scope.ANY


def may_read(user: User, row: Any) -> bool:
    """Staff see what their agency sent or was ever asked to handle; others see all."""
    if reads_all(user):
        return True
    own = own_agency(user)
    return own is not None and (own == row["sender_agency_id"] or own in row["assigned_ids"])
