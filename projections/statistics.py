"""The read model of the dashboard figures (ADR 0018): one row per clocked item with when it
opened and closed and which due day was in force, the referrals' assignment rounds, and
every recorded rung of every clock.

Statements only; the runner owns the transaction. All times are the events' timestamps
(when the fact entered the log), so every figure can be recomputed from the log alone.
"""

from __future__ import annotations

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


class StatisticsProjection:
    NAME = "statistics"
    TABLES: ClassVar[tuple[str, ...]] = ("stat_escalations", "stat_referral_rounds", "stat_items")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor

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
        self.cur.execute(
            "INSERT INTO stat_items (item_id, kind, campaign_id, agency_id, label, opened_at,"
            " due_date) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.originator_id, kind, campaign, agency, label, event.timestamp, due),
        )

    def _set(self, event: Any, assignments: str, *params: Any) -> None:
        self.cur.execute(
            f"UPDATE stat_items SET {assignments} WHERE item_id = %s",
            (*params, event.originator_id),
        )

    def _milestone(self, event: Any) -> None:
        kind = _KINDS.get(type(event), "issue")
        self.cur.execute(
            "INSERT INTO stat_escalations (item_id, key, kind, rung, at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.originator_id, event.key, kind, rung_of(event), event.timestamp),
        )

    def _issue(self, event: Any) -> None:
        match event:
            case Issue.Registered():
                label = f"{event.number} {event.problem}"
                due = event.deadline.due_date
                self._insert(event, "issue", event.campaign_id, event.lead_agency_id, label, due)
            case Issue.SignedOff():
                # An issue's due day stays as it was when closed, so done_due copies it.
                self._set(
                    event,
                    "closed_at = %s, done_at = %s, done_due = due_date",
                    event.timestamp,
                    event.timestamp,
                )
            case Issue.ExtensionApproved():
                self._set(event, "due_date = %s", event.deadline.due_date)
            case Issue.Reopened():
                self._set(
                    event,
                    "closed_at = NULL, done_at = NULL, done_due = NULL, due_date = %s",
                    event.deadline.due_date,
                )

    def _clue(self, event: Any) -> None:
        """Closed once it has ended and owes no reply, at the later of the two (ADR 0035)."""
        if isinstance(event, Clue.Received):
            self.cur.execute(
                "INSERT INTO stat_items (item_id, kind, campaign_id, agency_id, label, opened_at,"
                " reply_owed) VALUES (%s, 'clue', %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    event.originator_id,
                    event.campaign_id,
                    event.agency_id,
                    event.institution,
                    event.timestamp,
                    event.reply_due is not None,
                ),
            )
        elif isinstance(event, _CLUE_ENDS):
            self._set(
                event,
                "ended_at = %s, closed_at = CASE WHEN reply_owed THEN NULL ELSE %s END",
                event.timestamp,
                event.timestamp,
            )
        elif isinstance(event, Clue.ReplyRecorded):
            # Right-hand sides see the row before the update: ended_at as it stood.
            self._set(
                event,
                "reply_owed = false, closed_at = CASE WHEN ended_at IS NULL THEN NULL ELSE %s END",
                event.timestamp,
            )

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
                self._set(event, "due_date = %s", _day(event.answer_due))
                self._round_time(event, "claimed_at", at)
            case Referral.Returned():
                self._set(event, "due_date = NULL")
            case Referral.Answered():
                # Right-hand sides see the row before the update: done_due is the due in force.
                self._set(event, "done_at = %s, done_due = due_date, due_date = NULL", at)
                self._round_time(event, "answered_at", at)
            case Referral.Accepted():
                self._set(event, "closed_at = %s", at)
            case Referral.SentBack():
                self._set(
                    event,
                    "done_at = NULL, done_due = NULL, due_date = %s",
                    _day(event.answer_due),
                )
            case Referral.Reassigned():
                self._set(
                    event,
                    "agency_id = %s, due_date = %s",
                    event.receiver_agency_id,
                    _day(event.claim_due),
                )
                self._round(event, event.receiver_agency_id, at)
            case Referral.DueDateRecomputed():
                # The running clock's due, moved by the calendar: the due in force now.
                self._set(event, "due_date = %s", _day(event.due))

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
            self._set(
                event, "closed_at = %s, done_at = %s, done_due = due_date, due_date = NULL", at, at
            )
        elif isinstance(event, Transfer.DueDateRecomputed):
            # The 复议 window is not the running clock: only a running step's due is judged.
            if event.step != "reconsideration_request":
                self._set(event, "due_date = %s", _day(event.due))
        elif type(event) in _TRANSFER_DUES:
            self._set(event, "due_date = %s", _day(getattr(event, _TRANSFER_DUES[type(event)])))
        else:  # milestones are handled above: any other step stops the period
            self._set(event, "due_date = NULL")

    def _round(self, event: Any, agency: Any, at: datetime) -> None:
        self.cur.execute(
            "INSERT INTO stat_referral_rounds (referral_id, round, agency_id, assigned_at)"
            " SELECT %s, coalesce(max(round), 0) + 1, %s, %s FROM stat_referral_rounds"
            " WHERE referral_id = %s",
            (event.originator_id, agency, at, event.originator_id),
        )

    def _round_time(self, event: Any, column: str, at: datetime) -> None:
        """The first claim / answer of the latest round (a sent-back re-answer is not one)."""
        self.cur.execute(
            f"UPDATE stat_referral_rounds SET {column} = %s WHERE referral_id = %s"
            f" AND {column} IS NULL AND round = (SELECT max(round) FROM stat_referral_rounds"
            " WHERE referral_id = %s)",
            (at, event.originator_id, event.originator_id),
        )
