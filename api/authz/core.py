"""The shared vocabulary of the rules in api/authz: scopes, role groups, the refusal.

A rule is a table row `action → {role: scope}`: a role absent from the row may not take
the action at all; a role present may take it on an item whose agencies match the scope
(its own agency as the sender, receiver, handler, a party, …, or `ANY` item).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from uuid import UUID

from api.auth import Role, User


class Scope(StrEnum):
    ANY = "any"
    RESPONSIBLE = "responsible agency"
    LEAD = "lead agency"
    OWN = "own agency"  # acts only for the agency of the caller's token
    REGION = "region"  # the lead agency is in the caller's region, if the token names one
    NAMED = "an item naming the agency"  # the item's fields name the caller's agency
    SENDER = "sending agency"  # a referral's sender
    RECEIVER = "receiving agency"  # a referral's current receiver
    SENDER_OR_RECEIVER = "sending or assigned agency"  # the sender or any receiver it had
    HANDLER = "handling agency"  # a clue's handling agency
    RECEIVER_OR_HANDLER = "receiving or handling agency"  # a clue's
    PARTY = "party agency"  # a case transfer's agency, police receivers or procuratorate


Rules = dict[Role, Scope]

# Agency staff speak for the one agency of their token.
STAFF = frozenset({Role.LIAISON, Role.INVESTIGATOR, Role.AGENCY_HEAD})
# The roles that follow every agency's work: the leading group office, leadership, audit.
OVERSIGHT = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.AUDITOR, Role.ADMIN})
ALL: Rules = {role: Scope.ANY for role in Role}
COORDINATION: Rules = {Role.COORDINATOR: Scope.ANY, Role.ADMIN: Scope.ANY}


# How a refusal names a role in Chinese; the English half keeps the role's value.
ROLE_LABELS = {
    Role.LIAISON: "联络员",
    Role.COORDINATOR: "协调办",
    Role.LEADERSHIP: "领导",
    Role.AUDITOR: "审计督查人员",
    Role.ADMIN: "管理员",
    Role.INVESTIGATOR: "执法人员",
    Role.AGENCY_HEAD: "单位负责人",
}


def role_names(roles: Iterable[Role]) -> tuple[str, str]:
    """Roles as a refusal lists them: `("执法人员、单位负责人", "investigator or agency_head")`."""
    listed = list(roles)
    return "、".join(ROLE_LABELS[r] for r in listed), " or ".join(r.value for r in listed)


class NotAllowedError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def own_agency(user: User) -> UUID | None:
    """The agency the caller's token names, or None (none, or not an id)."""
    try:
        return UUID(user.agency_id) if user.agency_id else None
    except ValueError:
        return None


def acting_agency(user: User, refusal: str) -> UUID:
    """The agency the caller speaks for; NotAllowedError(`refusal`) if it names none."""
    own = own_agency(user)
    if own is None:
        raise NotAllowedError(refusal)
    return own
