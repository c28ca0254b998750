"""Who may do what to a clue (线索/举报), in one table, checked in one place.

- receive: a liaison or investigator, for their own agency;
- triage (handle, refer, merge, dismiss) and conclude: a liaison or investigator of the
  handling agency; reply: of the receiving or the handling agency; merge only into a clue
  the same agency handles (the domain refuses the other: nobody, coordinators included,
  merges across agencies);
- revealReporter: an investigator or agency head of the handling agency;
- clueReveals: auditors and admins; the reply period: coordinators and admins;
- reads: liaisons, investigators and agency heads see the clues their agency received or
  handles; coordinators, leadership, auditors and admins see every clue.
The resolvers check these against the aggregate, on the worker thread (api/clues.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from api.auth import Role, User
from api.authz.core import (
    ALL,
    COORDINATION,
    STAFF,
    NotAllowedError,
    Rules,
    Scope,
    own_agency,
    role_names,
)


class ClueAction(StrEnum):
    READ = "read a clue"
    RECEIVE = "receive a clue"
    HANDLE = "handle"
    REFER = "refer"
    MERGE = "merge"
    DISMISS = "dismiss"
    CONCLUDE = "conclude"
    REPLY = "reply to the reporter"
    REVEAL = "reveal the reporter"
    LIST_REVEALS = "list reveals"
    SET_REPLY_DAYS = "set the reply period"


# The Chinese name of a step, as the refusals of the handling agency's steps say it.
LABELS = {
    ClueAction.HANDLE: "分办",
    ClueAction.REFER: "移送",
    ClueAction.MERGE: "并案",
    ClueAction.DISMISS: "不予受理",
    ClueAction.CONCLUDE: "办结",
    ClueAction.REPLY: "答复举报人",
    ClueAction.REVEAL: "查看举报人身份",
}

_ACTORS: Rules = {Role.LIAISON: Scope.HANDLER, Role.INVESTIGATOR: Scope.HANDLER}

# Role order matters: a refusal lists the roles in this order.
RULES: dict[ClueAction, Rules] = {
    ClueAction.READ: {**ALL, **{role: Scope.RECEIVER_OR_HANDLER for role in STAFF}},
    ClueAction.RECEIVE: {Role.LIAISON: Scope.OWN, Role.INVESTIGATOR: Scope.OWN},
    ClueAction.HANDLE: _ACTORS,
    ClueAction.REFER: _ACTORS,
    ClueAction.MERGE: _ACTORS,
    ClueAction.DISMISS: _ACTORS,
    ClueAction.CONCLUDE: _ACTORS,
    ClueAction.REPLY: {
        Role.LIAISON: Scope.RECEIVER_OR_HANDLER,
        Role.INVESTIGATOR: Scope.RECEIVER_OR_HANDLER,
    },
    ClueAction.REVEAL: {Role.INVESTIGATOR: Scope.HANDLER, Role.AGENCY_HEAD: Scope.HANDLER},
    ClueAction.LIST_REVEALS: {Role.AUDITOR: Scope.ANY, Role.ADMIN: Scope.ANY},
    ClueAction.SET_REPLY_DAYS: COORDINATION,
}

_REFUSALS = {
    ClueAction.RECEIVE: (
        "仅联络员或执法人员可以登记线索 / only a liaison or investigator may receive clues"
    ),
    ClueAction.LIST_REVEALS: "仅审计人员可以查看 / only auditors may list reveals",
    ClueAction.SET_REPLY_DAYS: "仅协调办可以设定答复时限 / only a coordinator may set this",
}


def _refusal(action: ClueAction) -> str:
    if action in _REFUSALS:
        return _REFUSALS[action]
    chinese, english = role_names(RULES[action])
    return (
        f"仅办理单位的{chinese}可以{LABELS[action]} / "
        f"only the handling agency's {english} may {action.value}"
    )


def _within(scope: Scope, own: UUID | None, receiving: UUID | None, handling: UUID | None) -> bool:
    if scope is Scope.ANY:
        return True
    if scope is Scope.OWN:
        return own is not None
    if scope is Scope.HANDLER:
        return own in (handling,)
    return own in (receiving, handling)  # RECEIVER_OR_HANDLER


def authorize(
    user: User,
    action: ClueAction,
    receiving: UUID | None = None,
    handling: UUID | None = None,
) -> UUID | None:
    """The caller's agency, if `user` may do `action` on a clue its agency `receiving`
    received and `handling` handles; else NotAllowedError (one message per action, the
    same whether the role or the agency is wrong)."""
    scope, own = RULES[action].get(user.role), own_agency(user)
    if scope is None or not _within(scope, own, receiving, handling):
        raise NotAllowedError(_refusal(action))
    return own


def reads_all(user: User) -> bool:
    """Whether `user` reads every agency's clues (else only its own agency's)."""
    return RULES[ClueAction.READ].get(user.role) is Scope.ANY


def may_read(user: User, row: Any) -> bool:
    """`row` as projections.clue_queries gives a clue: its receiving and handling agency."""
    if reads_all(user):
        return True
    own = own_agency(user)
    return own is not None and own in (row["agency_id"], row["handling_agency_id"])
