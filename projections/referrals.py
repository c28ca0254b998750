"""The referral read model: one row per referral (a group parent and each child) and its
history, for the liaisons' work queue and the item view.

No transaction here; the runner owns it. `due_at` is the due instant of the
clock that runs now (claim while SENT, answer while CLAIMED), so the queue can tell
"overdue" and "due soon" from the calendar truth without waiting for the clock engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.clocks import due_day
from domain.referrals import RETURN_LABELS, STATUS_LABELS, Referral, ReferralStatus
from projections.rowset import AgencyNames, Appends, Table
from projections.summaries import due_recomputed, late

_EVENTS = (Referral.Sent, Referral.Event)
# The agencies a history line names (claimed, returned, reassigned from).
_AGENCY_FIELDS = ("agency_id", "previous_agency_id")


class ReferralProjection:
    """Folds a batch into rows in memory (projections/rowset.py): one load and one write
    per table."""

    TABLES: ClassVar[tuple[str, ...]] = ("referral_history", "referrals")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.agency_name = AgencyNames(cursor)
        self.referrals = Table(cursor, "referrals", ("id",))
        self.history = Appends(cursor, "referral_history", ("referral_id", "version"), "nothing")

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        events = [event for event, _ in batch if isinstance(event, _EVENTS)]
        self.referrals.load(event.originator_id for event in events)
        self.agency_name.load(
            getattr(event, field, None) for event in events for field in _AGENCY_FIELDS
        )

    def flush(self) -> None:
        self.referrals.flush()
        self.history.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        if not isinstance(event, _EVENTS):
            return
        if isinstance(event, Referral.Sent):
            self._sent(event, position)
        else:
            self._update(event, position)
        self.history.add(
            {
                "referral_id": event.originator_id,
                "version": event.originator_version,
                "at": event.timestamp,
                "type": type(event).__name__,
                "actor": getattr(event, "actor", ""),
                "summary": self.summary(event),
                "position": position,
            }
        )

    def _sent(self, event: Referral.Sent, position: int) -> None:
        group = bool(event.children)
        status = ReferralStatus.DISPATCHED if group else ReferralStatus.SENT
        self.referrals.insert(
            {
                "id": event.originator_id,
                "parent_id": event.parent_id,
                "is_group": group,
                "campaign_id": event.campaign_id,
                "sender_agency_id": event.sender_agency_id,
                "receiver_agency_id": event.receiver_agency_id,
                "receiver_name": event.receiver_name,
                "assigned_ids": [event.receiver_agency_id],
                "status": status.value,
                "reason": event.reason,
                "subject_kind": event.subject_kind,
                "subject_id": event.subject_id,
                "attachments": list(event.attachments),
                "round": 1,
                "claim_due": event.claim_due,
                "due_at": event.claim_due,
                "sent_at": event.at,
                "updated_at": event.timestamp,
                "sent_position": position,
                "last_position": position,
            }
        )

    def _update(self, event: Any, position: int) -> None:
        row = self.referrals.get(event.originator_id)
        if row is None:
            return
        changes: dict[str, Any] = {"updated_at": event.timestamp, "last_position": position}
        for column, value in self._changes(event).items():
            if isinstance(value, _Append):
                changes[column] = [*row[column], value.value]
            elif isinstance(value, _Increment):
                changes[column] = row[column] + 1
            else:
                changes[column] = value
        self.referrals.update(event.originator_id, **changes)

    @staticmethod
    def _changes(event: Any) -> dict[str, Any]:
        match event:
            case Referral.Claimed():
                return {
                    "status": ReferralStatus.CLAIMED.value,
                    "claimed_by": event.actor,
                    "answer_due": event.answer_due,
                    "due_at": event.answer_due,
                }
            case Referral.Returned():
                # A return after claiming stops the answer clock too.
                return {"status": ReferralStatus.RETURNED.value, "answer_due": None, "due_at": None}
            case Referral.Answered():
                return {
                    "status": ReferralStatus.ANSWERED.value,
                    "outcome": event.outcome,
                    "case_number": event.case_number,
                    "due_at": None,
                }
            case Referral.Accepted():
                return {"status": ReferralStatus.ACCEPTED.value, "due_at": None}
            case Referral.SentBack():
                return {
                    "status": ReferralStatus.CLAIMED.value,
                    "answer_due": event.answer_due,
                    "due_at": event.answer_due,
                }
            case Referral.Reassigned():
                return {
                    "status": ReferralStatus.SENT.value,
                    "receiver_agency_id": event.receiver_agency_id,
                    "receiver_name": event.receiver_name,
                    "assigned_ids": _Append(event.receiver_agency_id),
                    "round": _Increment(),
                    "claimed_by": "",
                    "claim_due": event.claim_due,
                    "answer_due": None,
                    "due_at": event.claim_due,
                }
            case Referral.ChildUpdated():
                return {"status": event.rolled_up}
            case Referral.DueDateRecomputed():
                # Only the running clock is ever recomputed, so it is the queue's due too.
                column = "claim_due" if event.clock == "claim" else "answer_due"
                return {column: event.due, "due_at": event.due}
        return {}

    def summary(self, event: Any) -> str:
        """One line of history, in Chinese, from the event's facts."""
        match event:
            case Referral.Sent():
                to = event.receiver_name
                if event.children:
                    return f"移送{to}（{len(event.children)}个成员单位）：{event.reason}"
                due = _day(event.claim_due)
                return f"移送{to}：{event.reason}；须于{due}前签收"
            case Referral.Claimed():
                return (
                    f"{self.agency_name(event.agency_id)}签收；须于{_day(event.answer_due)}前反馈"
                )
            case Referral.Returned():
                label = RETURN_LABELS.get(event.reason, event.reason)  # StrEnum keys: str too
                detail = f"：{event.detail}" if event.detail else ""
                agency = self.agency_name(event.agency_id)
                if event.claimed_by:
                    return f"{agency}签收后退回（{label}）{detail}；签收人：{event.claimed_by}"
                return f"{agency}退回（{label}）{detail}"
            case Referral.Answered():
                parts = [f"办理结果：{event.outcome}"]
                if event.measures:
                    parts.append("措施：" + "；".join(event.measures))
                if event.penalties:
                    parts.append(f"处罚：{event.penalties}")
                if event.case_number:
                    parts.append(f"案号：{event.case_number}")
                return "，".join(parts)
            case Referral.Accepted():
                return "移送单位确认办结" + (f"：{event.comment}" if event.comment else "")
            case Referral.SentBack():
                return f"退回重办：{event.reason}；须于{_day(event.answer_due)}前反馈"
            case Referral.Reassigned():
                previous = self.agency_name(event.previous_agency_id)
                return (
                    f"由{previous}改派{event.receiver_name}：{event.reason}；"
                    f"须于{_day(event.claim_due)}前签收"
                )
            case Referral.ChildUpdated():
                status = ReferralStatus(event.status)
                rolled = ReferralStatus(event.rolled_up)
                return (
                    f"子件{status.value}（{STATUS_LABELS[status]}），汇总：{STATUS_LABELS[rolled]}"
                )
            case Referral.MilestoneRecorded():
                return f"{event.label or event.rung}（期限{_day(event.due)}）" + late(event)
            case Referral.DueDateRecomputed():
                what = "签收" if event.clock == "claim" else "反馈"
                return due_recomputed(what, event)
        return type(event).__name__


def _day(instant: Any) -> str:
    """A due instant (00:00 of the next day, China time) shown as the due day."""
    return due_day(instant).isoformat() if instant is not None else "—"


class _Append:
    def __init__(self, value: UUID) -> None:
        self.value = value


class _Increment:
    pass
