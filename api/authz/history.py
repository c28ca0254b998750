"""Who may read an item's audit trail and past states (issues.py's READ_HISTORY).

Auditors, admins and coordinators read any item's; liaisons, investigators and agency
heads an item that names their agency (`Scope.NAMED`: an issue it leads or co-owns, a clue
it received or handles, a referral or case transfer it sends or receives, or is party to),
judged on the item's current state. Leadership reads the issue views, not the raw history.
A role that reads no history at all is refused (REFUSED); an item of another agency is
answered as an unknown one (api/audit_trail.py), so that ids cannot be probed.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.auth import User
from api.authz.core import NotAllowedError
from api.authz.issues import Action, authorize, authorize_role
from domain.parties import agencies_named

REFUSED = (
    "仅审计、管理、协调人员或本单位人员可以查看 / only auditors, admins, coordinators or "
    "the item's own agency may read its history"
)


def named_agencies(state: dict[str, Any]) -> set[UUID]:
    """Every agency the item's state names (domain.parties); an agency names itself."""
    found = agencies_named(state)
    if state.get("type") == "Agency":
        found |= agencies_named({"agency_id": state.get("id")})
    return found


def may_read_any(user: User) -> bool:
    """Whether `user`'s role reads any history at all (checked before anything is loaded)."""
    try:
        authorize_role(user, Action.READ_HISTORY)
    except NotAllowedError:
        return False
    return True


def may_read(user: User, state: dict[str, Any]) -> bool:
    """Whether `user` reads the history of the item whose current state is `state`."""
    try:
        authorize(user, Action.READ_HISTORY, responsible=named_agencies(state))
    except NotAllowedError:
        return False
    return True
