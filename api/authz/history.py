"""Who may read an item's audit trail and past states (issues.py's READ_HISTORY).

Auditors, admins and coordinators read any item's; liaisons, investigators and agency
heads an item that names their agency (`Scope.NAMED`: an issue it leads or co-owns, a clue
it received or handles, a referral or case transfer it sends or receives, or is party to),
judged on the item's current state. Leadership reads the issue views, not the raw history.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.auth import User
from api.authz.core import NotAllowedError
from api.authz.issues import Action, authorize, authorize_role

REFUSED = (
    "仅审计、管理、协调人员或本单位人员可以查看 / only auditors, admins, coordinators or "
    "the item's own agency may read its history"
)

# Fields naming the parties of a transfer or referral though their names do not say agency.
_PARTY_FIELDS = frozenset({"procuratorate_id", "commission_id"})
_PARTY_LISTS = frozenset({"police_ids", "assignments"})  # every police it went to; receivers


def named_agencies(state: dict[str, Any]) -> set[UUID]:
    """Every agency the item names: fields ending in agency_id(s), and the parties of a
    transfer (the procuratorate supervising it, the commission it went to, each police
    agency it was forwarded to) or the receivers a referral had."""
    found = {str(state.get("id"))} if state.get("type") == "Agency" else set()
    for name, value in state.items():
        if (name.endswith("agency_id") or name in _PARTY_FIELDS) and isinstance(value, str):
            found.add(value)
        elif (name.endswith("agency_ids") or name in _PARTY_LISTS) and isinstance(value, list):
            found.update(str(v) for v in value)
    agencies = set()
    for value in found:
        try:
            agencies.add(UUID(value))
        except ValueError:
            continue
    return agencies


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
