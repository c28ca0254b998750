"""The read model of the dashboard figures (ADR 0018): one row per clocked item with when it
opened and closed and which due day was in force, the referrals' assignment rounds, and
every recorded rung of every clock.

No transaction here; the runner owns it. All times are the events' timestamps
(when the fact entered the log), so every figure can be recomputed from the log alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.case_transfers import BREACH, ReconsiderationOutcome, SupervisionOutcome
from domain.case_transfers import CaseTransfer as Transfer
from domain.clocks import due_day
from domain.clues import Clue
from domain.issues import RectificationIssue as Issue
from domain.referrals import Referral
from projections.rowset import Appends, Table, begun

# A referred clue is not ended: it concludes with its referral (ADR 0035).
_CLUE_ENDS = (Clue.MergedAsDuplicate, Clue.Dismissed, Clue.Concluded)
_MILESTONES = (
    Issue.ReminderRecorded,
    Issue.OverdueRecorded,
    Issue.EscalationRecorded,
    Referral.MilestoneRecorded,
    Clue.MilestoneRecorded,
    Transfer.MilestoneRecorded,
    Transfer.StatutoryBreachRecorded,
)
_KINDS = {
    Referral.MilestoneRecorded: "referral",
    Clue.MilestoneRecorded: "clue",
    Transfer.MilestoneRecorded: "case_transfer",
    Transfer.StatutoryBreachRecorded: "case_transfer",
}
# The statutory step whose period runs once the event is applied (none: no clock runs).
_TRANSFER_DUES: dict[type[object], str] = {
    Transfer.Reported: "approval_due",
    Transfer.Approved: "sending_due",
    Transfer.Received: "decision_due",
    Transfer.ReconsiderationRequested: "reconsideration_due",
}


def rung_of(event: Any) -> str:
    """The rung's name; a reminder or overdue recorded by hand (no ladder) has none, a
    statutory breach is the transfer ladder's rung "breach"."""
    if isinstance(event, Transfer.StatutoryBreachRecorded):
        return BREACH.name
    if event.rung:
        return str(event.rung)
    return "reminder" if isinstance(event, Issue.ReminderRecorded) else "overdue"


def _day(instant: datetime | None) -> Any:
    return due_day(instant) if instant is not None else None


_ISSUE_CHANGES = (Issue.Registered, Issue.SignedOff, Issue.ExtensionApproved, Issue.Reopened)
_CLUE_CHANGES = (Clue.Received, *_CLUE_ENDS, Clue.ReplyRecorded)


def _changes_item(event: object) -> bool:
    """Whether the event may add or change a `stat_items` row (a progress report does not)."""
    if isinstance(event, _MILESTONES):
        return False
    if isinstance(event, (Issue.Registered, Issue.Event)):
        return isinstance(event, _ISSUE_CHANGES)
    if isinstance(event, (Clue.Received, Clue.Event)):
        return isinstance(event, _CLUE_CHANGES)
    return isinstance(event, (Referral.Sent, Referral.Event, Transfer.Reported, Transfer.Event))


class StatisticsProjection:
    """Folds a batch into rows in memory (projections/rowset.py): one load and one write
    per table. Comments on "the row before" mark where a value is read before the same
    event changes it, as the right-hand sides of one UPDATE did."""

    NAME = "statistics"
    TABLES: ClassVar[tuple[str, ...]] = ("stat_escalations", "stat_referral_rounds", "stat_items")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.items = Table(cursor, "stat_items", ("item_id",))
        self.rounds = Table(cursor, "stat_referral_rounds", ("referral_id", "round"))
        self.escalations = Appends(cursor, "stat_escalations", ("item_id", "key"), "nothing")

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        events = [event for event, _ in batch]
        items = [e for e in events if _changes_item(e)]
        self.items.fresh(begun(items))  # opened in this batch: no row to load
        self.items.load(e.originator_id for e in items)
        self.rounds.load(
            e.originator_id for e in events if isinstance(e, (Referral.Sent, Referral.Event))
        )

    def flush(self) -> None:
        self.items.flush()
        self.rounds.flush()
        self.escalations.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        if isinstance(event, _MILESTONES):
            self._milestone(event)
        elif isinstance(event, (Issue.Registered, Issue.Event)):
            self._issue(event)
        elif isinstance(event, (Referral.Sent, Referral.Event)):
            self._referral(event)
        elif isinstance(event, (Transfer.Reported, Transfer.Event)):
            self._transfer(event)
        elif isinstance(event, (Clue.Received, Clue.Event)):
            self._clue(event)

    def _insert(
        self, event: Any, kind: str, campaign: Any, agency: Any, label: str, due: Any = None
    ) -> None:
        self.items.insert(
            {
                "item_id": event.originator_id,
                "kind": kind,
                "campaign_id": campaign,
                "agency_id": agency,
                "label": label,
                "opened_at": event.timestamp,
                "due_date": due,
            }
        )

    def _set(self, event: Any, **changes: Any) -> None:
        self.items.update(event.originator_id, **changes)

    def _row(self, event: Any) -> dict[str, Any]:
        """The item's row as it stands (empty if it has none: `_set` then changes nothing)."""
        return self.items.get(event.originator_id) or {}

    def _milestone(self, event: Any) -> None:
        self.escalations.add(
            {
                "item_id": event.originator_id,
                "key": event.key,
                "kind": _KINDS.get(type(event), "issue"),
                "rung": rung_of(event),
                "at": event.timestamp,
            }
        )

    def _issue(self, event: Any) -> None:
        at = event.timestamp
        match event:
            case Issue.Registered():
                label = f"{event.number} {event.problem}"
                due = event.deadline.due_date
                self._insert(event, "issue", event.campaign_id, event.lead_agency_id, label, due)
            case Issue.SignedOff():
                # An issue's due day stays as it was when closed, so done_due copies it.
                due = self._row(event).get("due_date")
                self._set(event, closed_at=at, done_at=at, done_due=due)
            case Issue.ExtensionApproved():
                self._set(event, due_date=event.deadline.due_date)
            case Issue.Reopened():
                self._set(
                    event,
                    closed_at=None,
                    done_at=None,
                    done_due=None,
                    due_date=event.deadline.due_date,
                )

    def _clue(self, event: Any) -> None:
        """Closed once it has ended and owes no reply, at the later of the two (ADR 0035)."""
        at = event.timestamp
        if isinstance(event, Clue.Received):
            self.items.insert(
                {
                    "item_id": event.originator_id,
                    "kind": "clue",
                    "campaign_id": event.campaign_id,
                    "agency_id": event.agency_id,
                    "label": event.institution,
                    "opened_at": at,
                    "reply_owed": event.reply_due is not None,
                }
            )
        elif isinstance(event, _CLUE_ENDS):
            owed = self._row(event).get("reply_owed")
            self._set(event, ended_at=at, closed_at=None if owed else at)
        elif isinstance(event, Clue.ReplyRecorded):
            ended = self._row(event).get("ended_at")  # as it stood before this reply
            self._set(event, reply_owed=False, closed_at=None if ended is None else at)

    def _referral(self, event: Any) -> None:
        at = event.timestamp
        match event:
            case Referral.Sent():
                if event.children:
                    return  # a group parent: its children are the items
                self._insert(
                    event,
                    "referral",
                    event.campaign_id,
                    event.receiver_agency_id,
                    event.reason,
                    _day(event.claim_due),
                )
                self._round(event, event.receiver_agency_id, at)
            case Referral.Claimed():
                self._set(event, due_date=_day(event.answer_due))
                self._round_time(event, "claimed_at", at)
            case Referral.Returned():
                self._set(event, due_date=None)
            case Referral.Answered():
                # done_due is the due in force: the row before this answer.
                due = self._row(event).get("due_date")
                self._set(event, done_at=at, done_due=due, due_date=None)
                self._round_time(event, "answered_at", at)
            case Referral.Accepted():
                self._set(event, closed_at=at)
            case Referral.SentBack():
                self._set(event, done_at=None, done_due=None, due_date=_day(event.answer_due))
            case Referral.Reassigned():
                self._set(event, agency_id=event.receiver_agency_id, due_date=_day(event.claim_due))
                self._round(event, event.receiver_agency_id, at)
            case Referral.DueDateRecomputed():
                # The running clock's due, moved by the calendar: the due in force now.
                self._set(event, due_date=_day(event.due))

    def _transfer(self, event: Any) -> None:
        """A transfer closes when declined, filed (at once or after reconsideration) or when
        the procuratorate finds the refusal justified; the clock it is judged by is the
        statutory period running at that moment (approval, decision, reconsideration)."""
        if isinstance(event, Transfer.Reported):
            label = f"{event.case_number} {event.suspected_offence}".strip()
            due = _day(event.approval_due)
            self._insert(event, "case_transfer", event.campaign_id, event.agency_id, label, due)
            return
        closes = (
            isinstance(event, (Transfer.Declined, Transfer.Filed))
            or (
                isinstance(event, Transfer.ReconsiderationAnswered)
                and event.outcome == ReconsiderationOutcome.FILE.value
            )
            or (
                isinstance(event, Transfer.SupervisionConcluded)
                and event.outcome == SupervisionOutcome.REFUSAL_SUSTAINED.value
            )
        )
        if closes:
            at = event.timestamp
            due = self._row(event).get("due_date")  # the period running until now
            self._set(event, closed_at=at, done_at=at, done_due=due, due_date=None)
        elif isinstance(event, Transfer.DueDateRecomputed):
            # The 复议 window is not the running clock: only a running step's due is judged.
            if event.step != "reconsideration_request":
                self._set(event, due_date=_day(event.due))
        elif type(event) in _TRANSFER_DUES:
            self._set(event, due_date=_day(getattr(event, _TRANSFER_DUES[type(event)])))
        else:  # milestones are handled above: any other step stops the period
            self._set(event, due_date=None)

    def _round(self, event: Any, agency: Any, at: datetime) -> None:
        rounds = [row["round"] for row in self.rounds.rows_of(event.originator_id)]
        self.rounds.insert(
            {
                "referral_id": event.originator_id,
                "round": max(rounds, default=0) + 1,
                "agency_id": agency,
                "assigned_at": at,
            }
        )

    def _round_time(self, event: Any, column: str, at: datetime) -> None:
        """The first claim / answer of the latest round (a sent-back re-answer is not one)."""
        rounds = self.rounds.rows_of(event.originator_id)
        if not rounds:
            return
        latest = max(rounds, key=lambda row: row["round"])
        if latest[column] is None:
            self.rounds.update(event.originator_id, latest["round"], **{column: at})
