"""Change notices for live clients (ADR 0021): what a committed projection batch touched.

Sent with `pg_notify` inside the batch's transaction, so a notice goes out exactly when its
rows are visible, and never for a batch rolled back. A notice carries no item data, only
the log position, the item kinds and the agencies the touched items concern; clients
refetch.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any
from uuid import UUID

MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more

# The kinds clients filter on, by aggregate class; other classes get their snake-case name.
KINDS = {
    "RectificationIssue": "issue",
    "Referral": "referral",
    "Clue": "clue",
    "CaseTransfer": "case_transfer",
    "DisciplineTransfer": "discipline_transfer",
    "Notice": "notification",
    "ReportDue": "report",
}


def channel(schema: str) -> str:
    """One channel per read schema; hashed, as channel names stop at 63 bytes."""
    return "rectify_changes_" + hashlib.sha256(schema.encode()).hexdigest()[:16]


def kind_of(event: Any) -> str:
    """`Referral.Claimed` → referral; `EscalationPolicy.Set` → escalation_policy."""
    parts = type(event).__qualname__.split(".")
    owner = parts[-2] if len(parts) > 1 else parts[0]  # events are nested in their aggregate
    return KINDS.get(owner) or re.sub(r"(?<!^)(?=[A-Z])", "_", owner).lower()


def notice(position: int, kinds: Iterable[str], agencies: Iterable[UUID] | None) -> str:
    """The NOTIFY payload; agencies None: the change concerns every agency."""
    body: dict[str, Any] = {
        "position": position,
        "kinds": sorted(set(kinds)),
        "agencies": None if agencies is None else sorted(str(a) for a in agencies),
    }
    text = json.dumps(body, separators=(",", ":"))
    if len(text.encode()) > MAX_PAYLOAD:
        body["agencies"] = None  # too many to list: everyone refetches
        text = json.dumps(body, separators=(",", ":"))
    return text
