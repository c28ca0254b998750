"""The clue read model: one row per clue, its history and its reveals.

Statements only; the runner owns the transaction. The sealed identity in the events is
never copied here; summaries name the reporter only as 实名 or 匿名.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.clocks import due_day
from domain.clues import Clue, ClueStatus
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


class ClueProjection:
    TABLES: ClassVar[tuple[str, ...]] = ("clue_reveals", "clue_history", "clues")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        if not isinstance(event, (Clue.Received, Clue.Event)):
            return
        if isinstance(event, Clue.Received):
            self._received(event, position)
        else:
            self._update(event, position)
        if isinstance(event, Clue.ReporterRevealed):
            self.cur.execute(
                "INSERT INTO clue_reveals (clue_id, version, agency_id, actor, reason, at,"
                " position) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    event.originator_id,
                    event.originator_version,
                    event.agency_id,
                    event.actor,
                    event.reason,
                    event.at,
                    position,
                ),
            )
        self.cur.execute(
            "INSERT INTO clue_history (clue_id, version, at, type, actor, summary, position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                event.originator_id,
                event.originator_version,
                event.timestamp,
                type(event).__name__,
                getattr(event, "actor", ""),
                summary(event),
                position,
            ),
        )

    def _received(self, event: Clue.Received, position: int) -> None:
        self.cur.execute(
            "INSERT INTO clues (id, agency_id, handling_agency_id, campaign_id, channel,"
            " institution, person, content, attachments, anonymous, real_name, status,"
            " reply_due, received_at, updated_at, received_position, last_position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.agency_id,
                event.agency_id,
                event.campaign_id,
                event.channel,
                event.institution,
                event.person,
                event.content,
                Jsonb(list(event.attachments)),
                event.anonymous,
                event.real_name,
                ClueStatus.RECEIVED.value,
                event.reply_due,
                event.at,
                event.timestamp,
                position,
                position,
            ),
        )

    def _update(self, event: Any, position: int) -> None:
        changes = _changes(event)
        assignments = "".join(
            f", {column} = {column} + 1" if value is _INCREMENT else f", {column} = %s"
            for column, value in changes.items()
        )
        params = [v for v in changes.values() if v is not _INCREMENT]
        self.cur.execute(
            f"UPDATE clues SET updated_at = %s, last_position = %s{assignments} WHERE id = %s",
            (event.timestamp, position, *params, event.originator_id),
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
