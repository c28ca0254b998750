"""How the audit trail writes values: JSON-ready, and a reporter's identity never shown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from domain.audit_trail import event_payload, masked, plain
from domain.deadlines import Deadline
from domain.issues import IssueStatus
from domain.reporter_identity import PROTECTED


def test_values_become_json_ready() -> None:
    value = {
        "id": UUID(int=1),
        "status": IssueStatus.CLOSED,
        "deadline": Deadline.on(date(2099, 3, 31)),
        "pauses": [(datetime(2099, 1, 1, tzinfo=UTC), datetime(2099, 1, 2, tzinfo=UTC))],
    }
    assert plain(value) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "status": "CLOSED",
        "deadline": {"kind": "DATE", "due_date": "2099-03-31", "text": "2099-03-31"},
        "pauses": [["2099-01-01T00:00:00+00:00", "2099-01-02T00:00:00+00:00"]],
    }


def test_a_sealed_identity_is_shown_as_protected() -> None:
    assert masked("sealed_identity", {"kid": "k", "nonce": "n", "ct": "secret"}) == PROTECTED


def test_an_absent_identity_stays_absent() -> None:
    assert masked("sealed_identity", None) is None


def test_event_payload_leaves_out_the_envelope_and_masks_identity() -> None:
    class Received:
        def __init__(self) -> None:
            self.originator_id = UUID(int=1)
            self.originator_version = 1
            self.timestamp = datetime(2099, 1, 1, tzinfo=UTC)
            self.sealed_identity = {"ct": "secret"}
            self.content = "无证行医"

    assert event_payload(Received()) == {"sealed_identity": PROTECTED, "content": "无证行医"}
