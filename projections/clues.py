"""The clue read model: one row per clue, its history and its reveals.

No transaction here; the runner owns it. The sealed identity in the events is
never copied here; summaries name the reporter only as 实名 or 匿名.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.clocks import due_day
from domain.clues import Clue, ClueStatus
from projections.rowset import Appends, Table
from projections.summaries import due_recomputed, late

CHANNEL_LABELS = {
    "HOTLINE_12320": "12320热线",
    "MAILBOX": "举报信箱",
    "LETTER": "来信",
    "WECHAT": "微信",
    "WEB_FORM": "网上举报",
    "IN_PERSON": "来访",
    "OTHER_AGENCY": "其他单位转来",
}


_EVENTS = (Clue.Received, Clue.Event)


class ClueProjection:
    """Folds a batch into rows in memory (projections/rowset.py): one load and one write
    per table."""

    TABLES: ClassVar[tuple[str, ...]] = ("clue_reveals", "clue_history", "clues")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.clues = Table(cursor, "clues", ("id",))
        self.reveals = Appends(cursor, "clue_reveals", ("clue_id", "version"), "nothing")
        self.history = Appends(cursor, "clue_history", ("clue_id", "version"), "nothing")

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        self.clues.load(event.originator_id for event, _ in batch if isinstance(event, _EVENTS))

    def flush(self) -> None:
        self.clues.flush()
        self.reveals.flush()
        self.history.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        if not isinstance(event, _EVENTS):
            return
        if isinstance(event, Clue.Received):
            self._received(event, position)
        else:
            self._update(event, position)
        if isinstance(event, Clue.ReporterRevealed):
            self.reveals.add(
                {
                    "clue_id": event.originator_id,
                    "version": event.originator_version,
                    "agency_id": event.agency_id,
                    "actor": event.actor,
                    "reason": event.reason,
                    "at": event.at,
                    "position": position,
                }
            )
        self.history.add(
            {
                "clue_id": event.originator_id,
                "version": event.originator_version,
                "at": event.timestamp,
                "type": type(event).__name__,
                "actor": getattr(event, "actor", ""),
                "summary": summary(event),
                "position": position,
            }
        )

    def _received(self, event: Clue.Received, position: int) -> None:
        self.clues.insert(
            {
                "id": event.originator_id,
                "agency_id": event.agency_id,
                "handling_agency_id": event.agency_id,
                "campaign_id": event.campaign_id,
                "channel": event.channel,
                "institution": event.institution,
                "person": event.person,
                "content": event.content,
                "attachments": list(event.attachments),
                "anonymous": event.anonymous,
                "real_name": event.real_name,
                "status": ClueStatus.RECEIVED.value,
                "reply_due": event.reply_due,
                "received_at": event.at,
                "updated_at": event.timestamp,
                "received_position": position,
                "last_position": position,
            }
        )

    def _update(self, event: Any, position: int) -> None:
        row = self.clues.get(event.originator_id)
        if row is None:
            return
        found = {
            column: row[column] + 1 if value is _INCREMENT else value
            for column, value in _changes(event).items()
        }
        self.clues.update(
            event.originator_id, updated_at=event.timestamp, last_position=position, **found
        )


_INCREMENT = object()


def _changes(event: Any) -> dict[str, Any]:
    match event:
        case Clue.TakenForHandling():
            return {"status": ClueStatus.HANDLING.value, "triage_note": event.note}
        case Clue.Referred():
            return {
                "status": ClueStatus.REFERRED.value,
                "triage_note": event.reason,
                "referred_to": event.receiver_agency_id,
                "referral_id": event.referral_id,
                "handling_agency_id": event.receiver_agency_id,
            }
        case Clue.HandlerChanged():
            # The referral moved: the new handler's staff read it (ADR 0022).
            return {"handling_agency_id": event.handling_agency_id}
        case Clue.MergedAsDuplicate():
            return {
                "status": ClueStatus.MERGED.value,
                "triage_note": event.note,
                "merged_into": event.into_clue_id,
            }
        case Clue.Dismissed():
            return {"status": ClueStatus.DISMISSED.value, "triage_note": event.reason}
        case Clue.Concluded():
            return {"status": ClueStatus.CONCLUDED.value, "outcome": event.outcome}
        case Clue.ReplyRecorded():
            return {"replied_at": event.at, "reply_channel": event.channel}
        case Clue.ReporterRevealed():
            return {"reveal_count": _INCREMENT}
        case Clue.DueDateRecomputed():
            return {"reply_due": event.due}
    return {}


def summary(event: Any) -> str:
    """One line of history, in Chinese, from the event's facts (never the identity)."""
    match event:
        case Clue.Received():
            who = "匿名" if event.anonymous else ("实名" if event.real_name else "留名")
            channel = CHANNEL_LABELS.get(event.channel, event.channel)
            due = f"；须于{due_day(event.reply_due)}前答复举报人" if event.reply_due else ""
            return f"经{channel}受理{who}举报{due}"
        case Clue.TakenForHandling():
            return "本单位办理" + (f"：{event.note}" if event.note else "")
        case Clue.Referred():
            return f"移送{event.receiver_name}：{event.reason}"
        case Clue.HandlerChanged():
            return f"办理单位改为{event.handling_name}：{event.reason}"
        case Clue.MergedAsDuplicate():
            return f"并入线索{event.into_clue_id}" + (f"：{event.note}" if event.note else "")
        case Clue.Dismissed():
            return f"不予受理：{event.reason}"
        case Clue.Concluded():
            return f"办结：{event.outcome}"
        case Clue.ReplyRecorded():
            return f"已通过{event.channel}答复举报人"
        case Clue.ReporterRevealed():
            return f"查看举报人身份，事由：{event.reason}"
        case Clue.IdentityResealed():
            return f"举报人身份改用新密钥加密（原密钥{event.previous_key_id}）"
        case Clue.MilestoneRecorded():
            return f"{event.label or event.rung}（期限{due_day(event.due)}）" + late(event)
        case Clue.DueDateRecomputed():
            return due_recomputed("答复举报人", event)
    return type(event).__name__
