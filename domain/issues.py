"""Rectification issues (整改问题): the ledger closed item by item (对账销号).

    OPEN ──submit──► SUBMITTED ──sign_off──► CLOSED ──reopen──► OPEN
      ▲                  │
      └────reject────────┘
Progress reports and extension requests happen while the issue is being worked on.
Reminders, overdue and escalation records are written by the clock (a Temporal activity)
with an idempotency key, so a retried activity records nothing twice. The clock can be
paused and resumed; its due date then moves by the paused working days. An ongoing issue
(立行立改，长期坚持) has no due date but owes a review — a progress report — every
REVIEW_MONTHS; its clock times that review, with the same ladder.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.calendar import WorkingCalendar, check_supported_date, is_supported_year
from domain.clock_recording import ClockRecord
from domain.clocks import (
    DEFAULT_LADDER,
    ONE_DAY,
    TIMEZONE,
    Ladder,
    Milestone,
    MilestoneKind,
    due_stamp,
    end_of_day,
    is_provisional,
    ladder_milestones,
    register_clocked,
)
from domain.deadlines import Deadline, DeadlineKind
from domain.errors import InvalidInput, InvalidTransition
from domain.names import issue_id

REVIEW_MONTHS = 3  # an ongoing issue reports at least once a quarter (ADR 0026)


class IssueStatus(StrEnum):
    OPEN = "OPEN"  # 整改中
    SUBMITTED = "SUBMITTED"  # 待核验
    CLOSED = "CLOSED"  # 已销号


class RectificationIssue(ClockRecord, Aggregate):
    TOPIC = "rectify:RectificationIssue"

    class Event(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.Event"

    class Registered(Aggregate.Created):
        TOPIC = "rectify:RectificationIssue.Registered"
        campaign_id: UUID
        number: str
        problem: str
        measures: list[str]
        lead_agency_id: UUID
        co_agency_ids: list[UUID]
        deadline: Deadline
        source: str
        actor: str

    class ProgressReported(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.ProgressReported"
        agency_id: UUID
        text: str
        attachments: list[str]
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reviewed_at = self.timestamp  # a progress report is a review

    class SubmittedForVerification(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.SubmittedForVerification"
        summary: str
        actor: str

    class SignedOff(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.SignedOff"
        comment: str
        actor: str

    class Rejected(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.Rejected"
        reason: str
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reviewed_at = self.timestamp  # back at work: the review period restarts

    class ExtensionRequested(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.ExtensionRequested"
        requested: Deadline
        reason: str
        actor: str

    class ExtensionApproved(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.ExtensionApproved"
        previous: Deadline
        deadline: Deadline
        comment: str
        actor: str

    class ExtensionDenied(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.ExtensionDenied"
        reason: str
        actor: str

    class Reopened(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.Reopened"
        reason: str
        deadline: Deadline
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reviewed_at = self.timestamp

    class ReminderRecorded(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.ReminderRecorded"
        key: str
        deadline: Deadline
        actor: str
        # Added with escalation policies; events recorded before them lack these.
        rung: str = ""
        at: datetime | None = None
        due: datetime | None = None
        caught_up: bool = False  # added later: recorded in a catch-up, not notified

    class OverdueRecorded(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.OverdueRecorded"
        key: str
        deadline: Deadline
        actor: str
        rung: str = ""
        at: datetime | None = None
        due: datetime | None = None
        caught_up: bool = False  # added later: recorded in a catch-up, not notified

    class EscalationRecorded(Aggregate.Event):
        """A rung of the ladder after due: 督办, 挂牌督办, 约谈, 问责 (or a policy's own)."""

        TOPIC = "rectify:RectificationIssue.EscalationRecorded"
        key: str
        rung: str
        addressee: str
        label: str
        at: datetime
        due: datetime
        deadline: Deadline
        actor: str
        caught_up: bool = False  # added later: recorded in a catch-up, not notified

    class ClockPaused(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.ClockPaused"
        at: datetime
        reason: str
        actor: str

    class ClockResumed(Aggregate.Event):
        TOPIC = "rectify:RectificationIssue.ClockResumed"
        at: datetime
        paused_at: datetime
        reason: str
        actor: str

    class ClockScheduled(Aggregate.Event):
        """The clock's due instant, policy version and milestone times, first of a cycle."""

        TOPIC = "rectify:RectificationIssue.ClockScheduled"
        due: datetime
        provisional: bool
        policy_version: int
        rings: list[str]  # "rung@instant" of every milestone, in order
        actor: str

    class DueDateRecomputed(Aggregate.Event):
        """The clock's schedule changed: due instant (calendar loaded, pause, extension),
        provisional mark, policy version, or only the milestones' times (a calendar load)."""

        TOPIC = "rectify:RectificationIssue.DueDateRecomputed"
        previous: datetime
        due: datetime
        provisional: bool
        policy_version: int
        rings: list[str]
        actor: str

    @staticmethod
    def create_id(campaign_id: UUID, number: str, *_: Any, **__: Any) -> UUID:
        return issue_id(campaign_id, number)

    @event(Registered)
    def __init__(
        self,
        campaign_id: UUID,
        number: str,
        problem: str,
        measures: list[str],
        lead_agency_id: UUID,
        co_agency_ids: list[UUID],
        deadline: Deadline,
        source: str,
        actor: str,
    ) -> None:
        self.campaign_id = campaign_id
        self.number = number
        self.problem = problem
        self.measures = list(measures)
        self.lead_agency_id = lead_agency_id
        self.co_agency_ids = list(co_agency_ids)
        self.deadline = deadline
        # As the ledger gave it: a later extension or reopening is not "other content".
        self.registered_deadline = deadline
        self.status = IssueStatus.OPEN
        self.cycle = 1
        self.pending_extension: Deadline | None = None
        self.clock_keys: list[str] = []
        self.reviewed_at: datetime | None = None  # last review of an ongoing issue
        self._reset_clock()

    def _reset_clock(self) -> None:
        """A new cycle: no pause, no schedule, no pinned policy yet."""
        self.pauses: list[tuple[datetime, datetime]] = []  # (paused, resumed) of this clock
        self.paused_at: datetime | None = None
        self.scheduled_due: datetime | None = None
        self.scheduled_provisional = False
        self.scheduled_rings: list[str] = []
        self.policy_version: int | None = None  # pinned when the clock is first scheduled

    # -- validation -----------------------------------------------------------------------

    @staticmethod
    def check_registration(
        number: str,
        problem: str,
        lead_agency_id: UUID,
        co_agency_ids: list[UUID],
    ) -> None:
        if not number.strip():
            raise InvalidInput("number", "empty")
        if not problem.strip():
            raise InvalidInput("problem", "empty")
        if lead_agency_id in co_agency_ids:
            raise InvalidInput("responsible", "the lead agency is also listed as co-responsible")

    @property
    def responsible_agency_ids(self) -> list[UUID]:
        return [self.lead_agency_id, *self.co_agency_ids]

    @property
    def is_closed(self) -> bool:
        return self.status is IssueStatus.CLOSED

    @property
    def clock_prefix(self) -> str:
        return f"issue:{self.id}:cycle{self.cycle}"

    def clock_key(self, rung: str, due: datetime | None = None) -> str:
        """Idempotency key of a milestone, built from domain facts only.

        Without `due`: the due instant of the deadline as written (no pause counted).
        """
        if due is None and self.deadline.due_date is not None:
            due = end_of_day(self.deadline.due_date)
        return f"{self.clock_prefix}:{rung}:{due_stamp(due) if due else 'none'}"

    def _require(self, action: str, *allowed: IssueStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(action, self.status.value)

    @staticmethod
    def _require_text(field: str, value: str) -> None:
        if not value.strip():
            raise InvalidInput(field, "a reason is required")

    # -- commands -------------------------------------------------------------------------

    def report_progress(
        self, agency_id: UUID, text: str, attachments: list[str], actor: str
    ) -> None:
        self._require("report progress", IssueStatus.OPEN)
        if agency_id not in self.responsible_agency_ids:
            raise InvalidInput("agency", "this agency is not responsible for the issue")
        if not text.strip():
            raise InvalidInput("text", "empty")
        self._progress_reported(agency_id, text.strip(), list(attachments), actor)

    @event(ProgressReported)
    def _progress_reported(
        self, agency_id: UUID, text: str, attachments: list[str], actor: str
    ) -> None:
        pass

    def submit_for_verification(self, summary: str, actor: str) -> None:
        self._require("submit for verification", IssueStatus.OPEN)
        self._submitted(summary.strip(), actor)

    @event(SubmittedForVerification)
    def _submitted(self, summary: str, actor: str) -> None:
        self.status = IssueStatus.SUBMITTED

    def sign_off(self, comment: str, actor: str) -> None:
        self._require("sign off", IssueStatus.SUBMITTED)
        self._signed_off(comment.strip(), actor)

    @event(SignedOff)
    def _signed_off(self, comment: str, actor: str) -> None:
        self.status = IssueStatus.CLOSED
        self.pending_extension = None

    def reject(self, reason: str, actor: str) -> None:
        self._require("reject", IssueStatus.SUBMITTED)
        self._require_text("reason", reason)
        self._rejected(reason.strip(), actor)

    @event(Rejected)
    def _rejected(self, reason: str, actor: str) -> None:
        self.status = IssueStatus.OPEN

    def request_extension(self, requested: Deadline, reason: str, actor: str) -> None:
        self._require("request an extension", IssueStatus.OPEN, IssueStatus.SUBMITTED)
        self._require_text("reason", reason)
        if self.pending_extension is not None:
            raise InvalidTransition(
                "request an extension", self.status.value, "an extension request is pending"
            )
        if self.deadline.kind is DeadlineKind.ONGOING or self.deadline.due_date is None:
            raise InvalidInput("deadline", "an ongoing issue has no due date to extend")
        if requested.due_date is None:
            raise InvalidInput("deadline", "the requested date must be after the current one")
        check_supported_date("deadline", requested.due_date)
        # A due stored before dates were checked (9999-12-31) can never be counted: any
        # date the calendar supports corrects it, earlier or not.
        correcting = not is_supported_year(self.deadline.due_date.year)
        if requested.due_date <= self.deadline.due_date and not correcting:
            raise InvalidInput("deadline", "the requested date must be after the current one")
        self._extension_requested(requested, reason.strip(), actor)

    @event(ExtensionRequested)
    def _extension_requested(self, requested: Deadline, reason: str, actor: str) -> None:
        self.pending_extension = requested

    def _require_pending(self, action: str) -> Deadline:
        if self.pending_extension is None:
            raise InvalidTransition(action, self.status.value, "no extension request is pending")
        return self.pending_extension

    def approve_extension(self, comment: str, actor: str) -> None:
        requested = self._require_pending("approve an extension")
        extended = extended_deadline(self.deadline, requested)
        self._extension_approved(self.deadline, extended, comment.strip(), actor)

    @event(ExtensionApproved)
    def _extension_approved(
        self, previous: Deadline, deadline: Deadline, comment: str, actor: str
    ) -> None:
        self.deadline = deadline
        self.pending_extension = None

    def deny_extension(self, reason: str, actor: str) -> None:
        self._require_pending("deny an extension")
        self._require_text("reason", reason)
        self._extension_denied(reason.strip(), actor)

    @event(ExtensionDenied)
    def _extension_denied(self, reason: str, actor: str) -> None:
        self.pending_extension = None

    def reopen(
        self, reason: str, deadline: Deadline | None, actor: str, today: date | None = None
    ) -> None:
        """A look-back (回头看) found the problem back: a new cycle with a fresh clock.

        Without a new deadline the old one stays; but as of `today` a deadline already
        past would be no fresh clock at all (the whole ladder would ring at once), so a
        reopened issue needs a deadline not before today."""
        self._require("reopen", IssueStatus.CLOSED)
        self._require_text("reason", reason)
        kept = deadline or self.deadline
        if kept.due_date is not None:  # a kept date stored before dates were checked too
            check_supported_date("deadline", kept.due_date)
        if today is not None and kept.due_date is not None and kept.due_date < today:
            if deadline is None:
                raise InvalidInput(
                    "deadline",
                    f"原完成时限{kept.due_date.isoformat()}已过，重新打开须给出新的完成时限"
                    f" / the deadline {kept.due_date.isoformat()} has passed: give a new one",
                )
            raise InvalidInput(
                "deadline",
                f"新的完成时限{kept.due_date.isoformat()}早于今天 / the new deadline"
                f" {kept.due_date.isoformat()} is before today",
            )
        self._reopened(reason.strip(), kept, actor)

    @event(Reopened)
    def _reopened(self, reason: str, deadline: Deadline, actor: str) -> None:
        self.status = IssueStatus.OPEN
        self.deadline = deadline
        self.cycle += 1
        self._reset_clock()

    # -- clock controls ------------------------------------------------------------------

    def pause_clock(self, at: datetime, reason: str, actor: str) -> None:
        """Stop the clock (e.g. awaiting an external test); nothing rings while paused."""
        self._require("pause the clock", IssueStatus.OPEN, IssueStatus.SUBMITTED)
        self._require_text("reason", reason)
        if self.deadline.due_date is None:
            raise InvalidInput("deadline", "an ongoing issue has no clock to pause")
        if self.paused_at is not None:
            raise InvalidTransition(
                "pause the clock", self.status.value, "the clock is already paused"
            )
        _require_aware("at", at)
        if self.pauses and at < self.pauses[-1][1]:
            raise InvalidInput("at", "before the end of the previous pause")
        self._clock_paused(at, reason.strip(), actor)

    @event(ClockPaused)
    def _clock_paused(self, at: datetime, reason: str, actor: str) -> None:
        self.paused_at = at

    def resume_clock(self, at: datetime, reason: str, actor: str) -> None:
        """Restart the clock; its due date moves by the paused working days."""
        if self.paused_at is None:
            raise InvalidTransition(
                "resume the clock", self.status.value, "the clock is not paused"
            )
        self._require("resume the clock", IssueStatus.OPEN, IssueStatus.SUBMITTED)
        self._require_text("reason", reason)
        _require_aware("at", at)
        if at < self.paused_at:
            raise InvalidInput("at", "before the pause it ends")
        self._clock_resumed(at, self.paused_at, reason.strip(), actor)

    @event(ClockResumed)
    def _clock_resumed(self, at: datetime, paused_at: datetime, reason: str, actor: str) -> None:
        self.pauses.append((paused_at, at))
        self.paused_at = None

    # -- the clock (domain.clocks.Clocked) ----------------------------------------------

    @property
    def clock_campaign_id(self) -> UUID | None:
        return self.campaign_id

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_ongoing(self) -> bool:
        return self.deadline.kind is DeadlineKind.ONGOING

    def review_due(self) -> datetime | None:
        """An ongoing issue (立行立改，长期坚持) owes a review — a progress report — at least
        every REVIEW_MONTHS: by the end of the month that many months after the last one
        (or after registration, reopening or a rejection), China time."""
        if not self.is_ongoing or self.status is not IssueStatus.OPEN:
            return None
        anchor = (self.reviewed_at or self.created_on).astimezone(TIMEZONE).date()
        months = anchor.year * 12 + anchor.month - 1 + REVIEW_MONTHS
        year, month = divmod(months, 12)
        last = monthrange(year, month + 1)[1]
        return end_of_day(date(year, month + 1, last))

    def clock_open(self) -> bool:
        return not self.is_closed and (self.deadline.due_date is not None or self.is_ongoing)

    def clock_running(self) -> bool:
        return self.clock_open() and not self.is_paused

    def paused_working_days(self, calendar: WorkingCalendar) -> int:
        """Working days the clock stood still: those from each pause's day (included) to
        its resumption's day (excluded), in China time. Whole days, as administrative
        periods are counted, so the due instant stays at the end of a day."""
        total = 0
        for paused, resumed in self.pauses:
            first = paused.astimezone(TIMEZONE).date()
            last = resumed.astimezone(TIMEZONE).date()
            total += calendar.working_days_between(first - ONE_DAY, last - ONE_DAY)
        return total

    def due(self, calendar: WorkingCalendar) -> datetime | None:
        """The end of the deadline's day, moved on by the paused working days; for an
        ongoing issue, its next review."""
        if self.deadline.due_date is None:
            return self.review_due()
        shift = self.paused_working_days(calendar)
        if not shift:
            return end_of_day(self.deadline.due_date)
        return end_of_day(calendar.add_working_days(self.deadline.due_date, shift))

    def due_is_provisional(self, calendar: WorkingCalendar, due: datetime) -> bool:
        start = self.pauses[0][0] if self.pauses else due
        return is_provisional(calendar, min(start, due), due)

    def milestones(self, calendar: WorkingCalendar, ladder: Ladder) -> list[Milestone]:
        due = self.due(calendar)
        if due is None or self.is_closed:
            return []
        provisional = self.due_is_provisional(calendar, due)
        if self.is_ongoing:
            # keys of their own (the due day in them already differs per review period)
            found = ladder_milestones(
                f"{self.clock_prefix}:review", due, ladder, calendar, provisional=provisional
            )
            return [replace(m, label=f"定期复查{m.label}") for m in found]
        return ladder_milestones(self.clock_prefix, due, ladder, calendar, provisional=provisional)

    def _record_milestone_event(self, milestone: Milestone, actor: str) -> None:
        """Each kind of milestone has its issue event (they came before the other kinds)."""
        due = milestone.due or milestone.at
        late = milestone.caught_up
        if milestone.kind is MilestoneKind.REMINDER:
            self._reminder_recorded(
                milestone.key, self.deadline, actor, milestone.rung, milestone.at, due, late
            )
        elif milestone.kind is MilestoneKind.OVERDUE:
            self._overdue_recorded(
                milestone.key, self.deadline, actor, milestone.rung, milestone.at, due, late
            )
        else:
            self._escalation_recorded(
                milestone.key, milestone.rung, milestone.addressee, milestone.label,
                milestone.at, due, self.deadline, actor, late,
            )  # fmt: skip

    def record_reminder(self, key: str, actor: str) -> bool:
        """A reminder by hand (before escalation policies): only the key clock_key("remind")."""
        if self.is_closed or key in self.clock_keys or key != self.clock_key("remind"):
            return False
        self._reminder_recorded(key, self.deadline, actor)
        return True

    def record_overdue(self, key: str, actor: str) -> bool:
        """Overdue by hand: only the key clock_key("overdue") of the current deadline."""
        if self.is_closed or key in self.clock_keys or key != self.clock_key("overdue"):
            return False
        self._overdue_recorded(key, self.deadline, actor)
        return True

    @event(ReminderRecorded)
    def _reminder_recorded(
        self,
        key: str,
        deadline: Deadline,
        actor: str,
        rung: str = "",
        at: datetime | None = None,
        due: datetime | None = None,
        caught_up: bool = False,
    ) -> None:
        self.clock_keys.append(key)

    @event(OverdueRecorded)
    def _overdue_recorded(
        self,
        key: str,
        deadline: Deadline,
        actor: str,
        rung: str = "",
        at: datetime | None = None,
        due: datetime | None = None,
        caught_up: bool = False,
    ) -> None:
        self.clock_keys.append(key)

    @event(EscalationRecorded)
    def _escalation_recorded(
        self,
        key: str,
        rung: str,
        addressee: str,
        label: str,
        at: datetime,
        due: datetime,
        deadline: Deadline,
        actor: str,
        caught_up: bool = False,
    ) -> None:
        self.clock_keys.append(key)

    def schedule_clock(
        self,
        due: datetime,
        provisional: bool,
        policy_version: int,
        rings: list[str],
        actor: str,
    ) -> bool:
        """Record the schedule the clock runs on, when it is new.

        The first of a cycle is ClockScheduled; a later change (a calendar loaded, a pause
        ended, an extension, a policy applied to running clocks) is DueDateRecomputed,
        which keeps the previous due instant for the history.
        """
        _require_aware("due", due)
        if not self.clock_open():
            return False
        if self.scheduled_due is None:
            self._clock_scheduled(due, provisional, policy_version, list(rings), actor)
            return True
        current = (self.scheduled_due, self.scheduled_provisional, self.policy_version)
        if current == (due, provisional, policy_version) and self.scheduled_rings == rings:
            return False
        self._due_recomputed(
            self.scheduled_due, due, provisional, policy_version, list(rings), actor
        )
        return True

    @event(ClockScheduled)
    def _clock_scheduled(
        self, due: datetime, provisional: bool, policy_version: int, rings: list[str], actor: str
    ) -> None:
        self._scheduled(due, provisional, policy_version, rings)

    @event(DueDateRecomputed)
    def _due_recomputed(
        self,
        previous: datetime,
        due: datetime,
        provisional: bool,
        policy_version: int,
        rings: list[str],
        actor: str,
    ) -> None:
        self._scheduled(due, provisional, policy_version, rings)

    def _scheduled(
        self, due: datetime, provisional: bool, policy_version: int, rings: list[str]
    ) -> None:
        self.scheduled_due = due
        self.scheduled_provisional = provisional
        self.policy_version = policy_version
        self.scheduled_rings = list(rings)


EXTENDED_TO = "（延期至"


def extended_deadline(previous: Deadline, requested: Deadline) -> Deadline:
    """The deadline an approved extension gives: the new date, with the wording the ledger
    gave kept beside it (`2026年3月底（延期至2026-05-31）`), so that a reader of the ledger
    still sees what was first promised. An earlier extension's note is replaced, not
    stacked. Applied again to its own result it gives the same deadline (the read side
    uses it on extensions recorded before the wording was kept)."""
    if requested.due_date is None:
        return requested
    original = previous.text.split(EXTENDED_TO)[0].strip()
    new_date = requested.due_date.isoformat()
    if not original or original == new_date:
        return Deadline.on(requested.due_date)
    return Deadline.on(requested.due_date, f"{original}{EXTENDED_TO}{new_date}）")


def _require_aware(field: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(field, "needs an aware date-time (with a UTC offset)")


# Every issue has a clock: a dated one towards its due date, an ongoing one (立行立改)
# towards its next review, which a progress report or a rejection moves. (A dated issue's
# progress report signals its clock too: one extra read, nothing recorded.)
register_clocked(
    "issue",
    RectificationIssue,
    (
        RectificationIssue.Registered.TOPIC,
        RectificationIssue.ExtensionApproved.TOPIC,
        RectificationIssue.Reopened.TOPIC,
        RectificationIssue.SignedOff.TOPIC,
        RectificationIssue.ClockPaused.TOPIC,
        RectificationIssue.ClockResumed.TOPIC,
        RectificationIssue.ProgressReported.TOPIC,
        RectificationIssue.Rejected.TOPIC,
    ),
    DEFAULT_LADDER,
    closes_clock=(RectificationIssue.SignedOff.TOPIC,),
)
