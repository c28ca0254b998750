"""Which agencies an event or an item's state names: the parties an item concerns.

Used by the live notices (every agency an item's history names hears of it) and by the
audit trail (agency staff read the history of an item naming their agency). Fields ending
in agency_id / agency_ids name agencies; so do a transfer's procuratorate and commission,
the police agencies it went to, and the receivers a referral had.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from uuid import UUID

PARTY_FIELDS = frozenset({"procuratorate_id", "commission_id"})
PARTY_LISTS = frozenset({"police_ids", "assignments"})


def agencies_named(fields: Mapping[str, object]) -> set[UUID]:
    """The agencies these fields name; values may be UUIDs or their text (a JSON state)."""
    found: set[UUID] = set()
    for name, value in fields.items():
        if name.endswith("agency_id") or name in PARTY_FIELDS:
            _add(found, value)
        elif (name.endswith("agency_ids") or name in PARTY_LISTS) and isinstance(
            value, (list, tuple)
        ):
            for each in value:
                _add(found, each)
    return found


def _add(found: set[UUID], value: object) -> None:
    if isinstance(value, UUID):
        found.add(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):  # text that is not an id names no agency
            found.add(UUID(value))
