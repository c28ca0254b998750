"""The case transfer read model: one row per transfer (to the police or to discipline
inspection) with its step, statutory deadlines and breaches, and its history.

No transaction here; the runner owns it. `due_at` is the due instant of the
statutory clock that runs now, so lists can show "overdue" from the calendar truth
without waiting for the clock engine; `breaches` are those the stream has recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.case_transfers import (
    CaseTransfer,
    ReconsiderationOutcome,
    SupervisionOutcome,
    TransferStatus,
)
from domain.clocks import due_wording
from domain.discipline_transfers import (
    DisciplineOutcome,
    DisciplineStatus,
    DisciplineTransfer,
)
from projections.rowset import Appends, Table
from projections.summaries import due_recomputed, late

CRIMINAL, DISCIPLINE = "CRIMINAL", "DISCIPLINE"
DISCIPLINE_OUTCOMES = {
    DisciplineOutcome.OPENED.value: "立案审查调查",
    DisciplineOutcome.PRELIMINARY_CHECK.value: "初步核实",
    DisciplineOutcome.NOT_OPENED.value: "不予立案",
}
# What each statutory period is for, in the history of a recomputed due.
STEP_LABELS = {
    "approval": "负责人决定",
    "decision": "立案决定",
    "reconsideration": "复议决定",
    "reconsideration_request": "提请复议",
}


_EVENTS = (
    CaseTransfer.Reported,
    DisciplineTransfer.Sent,
    CaseTransfer.Event,
    DisciplineTransfer.Event,
)


class CaseTransferProjection:
    """Folds a batch into rows in memory (projections/rowset.py): one load and one write
    per table."""

    TABLES: ClassVar[tuple[str, ...]] = ("case_transfer_history", "case_transfers")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.transfers = Table(cursor, "case_transfers", ("id",))
        self.history = Appends(
            cursor, "case_transfer_history", ("transfer_id", "version"), "nothing"
        )

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        self.transfers.load(event.originator_id for event, _ in batch if isinstance(event, _EVENTS))

    def flush(self) -> None:
        self.transfers.flush()
        self.history.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        if isinstance(event, CaseTransfer.Reported):
            self._reported(event, position)
        elif isinstance(event, DisciplineTransfer.Sent):
            self._discipline_sent(event, position)
        elif isinstance(event, (CaseTransfer.Event, DisciplineTransfer.Event)):
            self._update(event, position)
        else:
            return
        self.history.add(
            {
                "transfer_id": event.originator_id,
                "version": event.originator_version,
                "at": event.timestamp,
                "type": type(event).__name__,
                "actor": getattr(event, "actor", ""),
                "summary": summary(event),
                "position": position,
            }
        )

    def _insert(self, event: Any, position: int, values: dict[str, Any]) -> None:
        self.transfers.insert(
            {
                "id": event.originator_id,
                "campaign_id": event.campaign_id,
                "agency_id": event.agency_id,
                "agency_name": event.agency_name,
                "facts": event.facts,
                "attachments": list(event.attachments),
                "reported_at": event.at,
                "updated_at": event.timestamp,
                "reported_position": position,
                "last_position": position,
                **values,
            }
        )

    def _reported(self, event: CaseTransfer.Reported, position: int) -> None:
        self._insert(
            event,
            position,
            {
                "kind": CRIMINAL,
                "receiver_id": event.police_agency_id,
                "receiver_name": event.police_name,
                "receiver_ids": [event.police_agency_id],
                "status": TransferStatus.REPORTED.value,
                "case_number": event.case_number,
                "suspect": event.suspect,
                "suspected_offence": event.suspected_offence,
                "deadlines": {"approval": event.approval_due.isoformat()},
                "due_at": event.approval_due,
                "due_step": "approval",
            },
        )

    def _discipline_sent(self, event: DisciplineTransfer.Sent, position: int) -> None:
        self._insert(
            event,
            position,
            {
                "kind": DISCIPLINE,
                "receiver_id": event.commission_id,
                "receiver_name": event.commission_name,
                "receiver_ids": [event.commission_id],
                "status": DisciplineStatus.SENT.value,
                "suspect": event.person,
                "category": event.category,
            },
        )

    def _update(self, event: Any, position: int) -> None:
        """Deadlines are merged (jsonb ||), breaches and receivers appended; a recomputed
        due moves `due_at` only while that step's clock runs."""
        row = self.transfers.get(event.originator_id)
        if row is None:
            return
        found: dict[str, Any] = {"updated_at": event.timestamp, "last_position": position}
        for column, value in changes(event).items():
            if column == "deadlines":
                found[column] = {**row[column], **value}
            elif column == "breaches":
                found[column] = [*row[column], *value]
            elif column == "receiver_ids":
                found[column] = [*row[column], value]
            elif column == "due_at_of_step":  # (step, due): only if that step's clock runs
                step, due = value
                if row["due_step"] == step:
                    found["due_at"] = due
            else:
                found[column] = value
        self.transfers.update(event.originator_id, **found)


def _clock(step: str | None, due: datetime | None) -> dict[str, Any]:
    return {"due_at": due, "due_step": step or ""}


def _deadline(step: str, due: datetime) -> dict[str, str]:
    return {step: due.isoformat()}


def changes(event: Any) -> dict[str, Any]:
    """The columns an event changes (deadlines and breaches are merged, not replaced)."""
    match event:
        case CaseTransfer.Approved():
            return {
                "status": TransferStatus.APPROVED.value,
                "outcome": event.comment,
                "deadlines": _deadline("sending", event.sending_due),
                **_clock("sending", event.sending_due),
            }
        case CaseTransfer.Declined():
            return {"status": TransferStatus.DECLINED.value, "outcome": event.reason,
                    **_clock(None, None)}  # fmt: skip
        case CaseTransfer.Sent():
            return {"status": TransferStatus.SENT.value, **_clock(None, None)}
        case CaseTransfer.Received():
            return {
                "status": TransferStatus.RECEIVED.value,
                "deadlines": _receipt_deadlines(event),
                **_clock("decision", event.decision_due),
            }
        case CaseTransfer.Forwarded():
            return {
                "status": TransferStatus.FORWARDED.value,
                "receiver_id": event.police_agency_id,
                "receiver_name": event.police_name,
                "receiver_ids": event.police_agency_id,
                "outcome": event.reason,
                **_clock(None, None),
            }
        case CaseTransfer.Filed():
            return {
                "status": TransferStatus.FILED.value,
                "criminal_case_number": event.criminal_case_number,
                **_clock(None, None),
            }
        case CaseTransfer.Refused():
            return {
                "status": TransferStatus.REFUSED.value,
                "outcome": event.reasons,
                "deadlines": _deadline(
                    "reconsideration_request", event.reconsideration_request_due
                ),
                **_clock(None, None),
            }
        case CaseTransfer.ReconsiderationRequested():
            return {
                "status": TransferStatus.RECONSIDERING.value,
                "deadlines": _deadline("reconsideration", event.reconsideration_due),
                **_clock("reconsideration", event.reconsideration_due),
            }
        case CaseTransfer.ReconsiderationAnswered():
            filed = event.outcome == ReconsiderationOutcome.FILE.value
            status = TransferStatus.FILED if filed else TransferStatus.REFUSAL_UPHELD
            found: dict[str, Any] = {"status": status.value, "outcome": event.reasons}
            if filed:
                found["criminal_case_number"] = event.criminal_case_number
            return found | _clock(None, None)
        case CaseTransfer.SupervisionRequested():
            return {
                "status": TransferStatus.UNDER_SUPERVISION.value,
                "procuratorate_id": event.procuratorate_id,
                "procuratorate_name": event.procuratorate_name,
            }
        case CaseTransfer.SupervisionConcluded():
            ordered = event.outcome == SupervisionOutcome.FILING_ORDERED.value
            status = TransferStatus.FILING_ORDERED if ordered else TransferStatus.SUPERVISION_CLOSED
            return {"status": status.value, "outcome": event.opinion}
        case CaseTransfer.DueDateRecomputed():
            step = _read_step(event.step)
            return {"deadlines": _deadline(step, event.due), "due_at_of_step": (step, event.due)}
        case CaseTransfer.StatutoryBreachRecorded():
            breach = {
                "key": event.key,
                "step": event.step,
                "label": event.label,
                "addressee": event.addressee,
                "due": event.due.isoformat(),
                "at": event.at.isoformat(),
            }
            return {"breaches": [breach]}
        case DisciplineTransfer.Received():
            return {"status": DisciplineStatus.RECEIVED.value}
        case DisciplineTransfer.Decided():
            label = DISCIPLINE_OUTCOMES.get(event.outcome, event.outcome)
            detail = f"：{event.detail}" if event.detail else ""
            return {"status": DisciplineStatus.DECIDED.value, "outcome": label + detail}
    return {}


def _read_step(step: str) -> str:
    """The read side's step key: decision1, decision2 … are all "decision" (the latest)."""
    return step.rstrip("0123456789")


def _receipt_deadlines(event: CaseTransfer.Received) -> dict[str, str]:
    # The step keys carry the receipt's number in the aggregate (decision1, decision2, …);
    # the read side keeps the latest of each, which is what the police are held to now.
    return {
        "forwarding": event.forwarding_due.isoformat(),
        "decision": event.decision_due.isoformat(),
    }


def _when(instant: datetime) -> str:
    return due_wording(instant)


def summary(event: Any) -> str:
    """One line of history, in Chinese, from the event's facts."""
    match event:
        case CaseTransfer.Reported():
            offence = f"（涉嫌{event.suspected_offence}）" if event.suspected_offence else ""
            return (
                f"{event.agency_name}书面报告拟移送{event.police_name}{offence}：{event.facts}；"
                f"负责人须于{_when(event.approval_due)}前作出决定"
            )
        case CaseTransfer.Approved():
            return f"负责人批准移送；须于{_when(event.sending_due)}前移送"
        case CaseTransfer.Declined():
            return f"负责人不批准移送：{event.reason}"
        case CaseTransfer.Sent():
            return "已移送公安机关"
        case CaseTransfer.Received():
            return (
                f"公安机关接收；须于{_when(event.decision_due)}前作出是否立案的决定"
                f"（不属本机关管辖的须于{_when(event.forwarding_due)}前移送）"
            )
        case CaseTransfer.Forwarded():
            return f"移送有管辖权的{event.police_name}，并书面告知移送机关：{event.reason}"
        case CaseTransfer.Filed():
            number = f"（{event.criminal_case_number}）" if event.criminal_case_number else ""
            return f"公安机关决定立案{number}"
        case CaseTransfer.Refused():
            return (
                f"公安机关决定不予立案并退回案卷：{event.reasons}；"
                f"可于{_when(event.reconsideration_request_due)}前提请复议"
            )
        case CaseTransfer.ReconsiderationRequested():
            return (
                f"移送机关提请复议：{event.reason}；"
                f"公安机关须于{_when(event.reconsideration_due)}前作出复议决定"
            )
        case CaseTransfer.ReconsiderationAnswered():
            if event.outcome == ReconsiderationOutcome.FILE.value:
                return "复议决定：立案" + (
                    f"（{event.criminal_case_number}）" if event.criminal_case_number else ""
                )
            return f"复议决定：维持不予立案：{event.reasons}"
        case CaseTransfer.SupervisionRequested():
            return f"建议{event.procuratorate_name}立案监督：{event.reason}"
        case CaseTransfer.SupervisionConcluded():
            if event.outcome == SupervisionOutcome.FILING_ORDERED.value:
                return f"检察院通知公安机关立案：{event.opinion}"
            return f"检察院认为不立案理由成立：{event.opinion}"
        case CaseTransfer.StatutoryBreachRecorded():
            return f"超过法定时限：{event.label}（{event.addressee}，时限{_when(event.due)}）"
        case CaseTransfer.MilestoneRecorded():
            return f"{event.label or event.rung}（时限{_when(event.due)}）" + late(event)
        case CaseTransfer.DueDateRecomputed():
            return due_recomputed(STEP_LABELS.get(_read_step(event.step), event.step), event)
        case DisciplineTransfer.Sent():
            return f"{event.agency_name}移送{event.commission_name}：{event.person}，{event.facts}"
        case DisciplineTransfer.Received():
            return "纪检监察机关接收"
        case DisciplineTransfer.Decided():
            label = DISCIPLINE_OUTCOMES.get(event.outcome, event.outcome)
            return f"纪检监察机关处置：{label}" + (f"：{event.detail}" if event.detail else "")
    return type(event).__name__
