"""How dates and value objects are stored in events (the library knows UUID, datetime)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.campaigns import Phase
from domain.deadlines import Deadline, DeadlineKind


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class DeadlineAsDict(Transcoding):
    type = Deadline
    name = "deadline"

    def encode(self, obj: Deadline) -> dict[str, Any]:
        return {"kind": obj.kind.value, "due_date": obj.due_date, "text": obj.text}

    def decode(self, data: dict[str, Any]) -> Deadline:
        return Deadline(DeadlineKind(data["kind"]), data["due_date"], data["text"])


class PhaseAsDict(Transcoding):
    type = Phase
    name = "phase"

    def encode(self, obj: Phase) -> dict[str, Any]:
        return {"name": obj.name, "starts": obj.starts, "ends": obj.ends}

    def decode(self, data: dict[str, Any]) -> Phase:
        return Phase(data["name"], data["starts"], data["ends"])


ALL = (DateAsISO(), DeadlineAsDict(), PhaseAsDict())
