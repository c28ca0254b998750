"""Who is told of a change on the live-updates subscription (api/live.py, ADR 0021).

The roles that follow every agency's work are told of every queue notice; agency staff only
of notices naming their own agency (or every agency). Dashboard notices go to everyone: the
figures are the campaign's, shown to every role, and a notice carries no data. The inbox's
audiences (the office's notices for coordinators and admins) are chosen in
projections.notification_queries.
"""

from __future__ import annotations

from api.auth import User
from api.authz.core import OVERSIGHT, own_agency

SEES_ALL = OVERSIGHT


def concerns(user: User, agencies: tuple[str, ...] | None) -> bool:
    """Whether a notice naming `agencies` (None: every agency) is for `user`."""
    if user.role in SEES_ALL or agencies is None:
        return True
    own = own_agency(user)  # parsed, as every other check does: not the token's raw text
    return own is not None and str(own) in agencies
