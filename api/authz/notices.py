"""Who is told of a change on the live-updates subscription (api/live.py, ADR 0021).

The roles that follow every agency's work are told of every notice; agency staff only of
notices naming their own agency (or every agency). The inbox's audiences (the office's
notices for coordinators and admins) are chosen in projections.notification_queries.
"""

from __future__ import annotations

from api.auth import User
from api.authz.core import OVERSIGHT

SEES_ALL = OVERSIGHT


def concerns(user: User, agencies: tuple[str, ...] | None) -> bool:
    """Whether a notice naming `agencies` (None: every agency) is for `user`."""
    if user.role in SEES_ALL or agencies is None:
        return True
    return user.agency_id is not None and user.agency_id in agencies
