"""Who reads the lists behind the cockpit's figures (ADR 0048), and which of their rows.

The figures themselves are open to every signed-in role (issues.py, READ). A list names
items, agencies and cases: the oversight roles read every row, so that its total is the
figure; agency staff read the rows of their own agency (an item whose history names it, a
case or report of it), like the overdue list and the items themselves. A coverage target's
inspected institutions name no agency's work and are open to all.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from api.auth import User
from api.authz.core import ALL, OVERSIGHT, STAFF, NotAllowedError, Rules, Scope, own_agency
from api.authz.issues import NO_AGENCY


class FigureList(StrEnum):
    ITEMS = "figure items"
    ESCALATIONS = "escalations fired"
    CASES = "enforcement cases"
    INSPECTIONS = "inspected institutions"
    REPORTS = "periodic reports"


_OWN_ROWS: Rules = {
    **{role: Scope.ANY for role in OVERSIGHT},
    **{role: Scope.OWN for role in STAFF},
}

RULES: dict[FigureList, Rules] = {
    FigureList.ITEMS: _OWN_ROWS,
    FigureList.ESCALATIONS: _OWN_ROWS,
    FigureList.CASES: _OWN_ROWS,
    FigureList.INSPECTIONS: ALL,
    FigureList.REPORTS: _OWN_ROWS,
}


def figure_scope(user: User, listed: FigureList) -> UUID | None:
    """The one agency whose rows `user` reads in `listed`, or None for every row; a staff
    token naming no agency reads nothing."""
    scope = RULES[listed].get(user.role)
    if scope is None:
        raise NotAllowedError(f"无权查看该清单 / role {user.role.value} may not read {listed}")
    if scope is Scope.ANY:
        return None
    return own_agency(user) or NO_AGENCY
