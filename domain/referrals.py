"""Cross-agency referrals (移送/转办): a matter passed from one agency to another.

    SENT ──claim──► CLAIMED ──answer──► ANSWERED ──accept──► ACCEPTED
     │  ▲            │   ▲                  │
     │  │            │   └────send_back─────┘
  return reassign  return (after claiming: with a written detail)
     │  │            │
     ▼  │            │
    RETURNED ◄───────┘
The coordinator (the leading group office) reassigns a RETURNED referral, and may also
take a SENT or CLAIMED one from its receiver (SENT ──reassign──► SENT, CLAIMED
──reassign──► SENT): each reassignment is a new round with a new receiver and a new claim
clock; the previous receiver's clocks stop for good.

A referral to an agency group is a parent with one child referral per member (each its
own stream). The parent is never claimed or answered itself; it rolls up its children:
ACCEPTED when every child is accepted, ANSWERED when every child is answered or
accepted, DISPATCHED otherwise. Each child's change is written to the parent in the same
save, so two children changing at once conflict on the parent and one of them retries.

Clocks: claim within `claim_days` working days of sending (or of reassignment); answer
within `answer_days` working days of claiming (or of a send-back), so a slow claim does
not eat the receiver's handling time — the claim clock already times that. A return stops
whichever clock runs (nothing rings while the office decides); a reassignment starts the
claim clock of the new round, whose milestone keys name the round, so nothing recorded or
pending for an earlier receiver can ring again. Due instants are computed by the command
with the working calendar and recorded in the events, so the history shows what was asked
and the read side needs no calendar. A calendar loaded later
(a year's official arrangement) may move the running clock's due: the clock engine then
records `DueDateRecomputed` from the same start and period (ADR 0023).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain import clock_recording
from domain.calendar import WorkingCalendar
from domain.clock_recording import ClockRecord
from domain.clocks import (
    Ladder,
    Milestone,
    MilestoneKind,
    Period,
    PeriodClock,
    Reschedulable,
    Rung,
    ladder_milestones,
    register_clocked,
)
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from domain.names import NAMESPACE

DEFAULT_CLAIM_DAYS = 3
DEFAULT_ANSWER_DAYS = 15
SUBJECT_KINDS = ("", "clue", "issue", "case")


class ReferralStatus(StrEnum):
    SENT = "SENT"  # 待签收
    CLAIMED = "CLAIMED"  # 办理中
    ANSWERED = "ANSWERED"  # 已反馈, awaiting the sender's acceptance
    ACCEPTED = "ACCEPTED"  # 已办结
    RETURNED = "RETURNED"  # 已退回, awaiting reassignment by the coordinator
    DISPATCHED = "DISPATCHED"  # 已分送: a group parent whose children are not all answered


STATUS_LABELS = {
    ReferralStatus.SENT: "待签收",
    ReferralStatus.CLAIMED: "办理中",
    ReferralStatus.ANSWERED: "已反馈",
    ReferralStatus.ACCEPTED: "已办结",
    ReferralStatus.RETURNED: "已退回",
    ReferralStatus.DISPATCHED: "已分送",
}


class ReturnReason(StrEnum):
    NOT_OUR_REMIT = "NOT_OUR_REMIT"  # 不属于本单位职责
    INSUFFICIENT_MATERIAL = "INSUFFICIENT_MATERIAL"  # 材料不全
    NEEDS_ANOTHER_AGENCY = "NEEDS_ANOTHER_AGENCY"  # 需其他单位办理
    OTHER = "OTHER"


RETURN_LABELS = {
    ReturnReason.NOT_OUR_REMIT: "不属于本单位职责",
    ReturnReason.INSUFFICIENT_MATERIAL: "材料不全",
    ReturnReason.NEEDS_ANOTHER_AGENCY: "需其他单位办理",
    ReturnReason.OTHER: "其他",
}


ACTION_LABELS = {
    "claim": "签收",
    "return": "退回",
    "answer": "反馈办理结果",
    "accept": "确认办结",
    "send back": "退回重办",
    "reassign": "重新指派",
}


class ReferralRefused(InvalidTransition):
    """A referral command its current state does not allow; names the state."""

    def __init__(self, action: str, current_state: ReferralStatus, detail: str = "") -> None:
        super().__init__(action, current_state.value, detail)
        label = ACTION_LABELS.get(action, action)
        message = (
            f"{STATUS_LABELS[current_state]}状态下不能{label} / "
            f"cannot {action} while the referral is {current_state.value}"
        )
        self.args = (message + (f": {detail}" if detail else ""),)


class AlreadyClaimed(ReferralRefused):
    """Someone else claimed first (or the referral is past claiming): names who."""

    def __init__(self, current_state: ReferralStatus, agency_name: str, claimed_by: str) -> None:
        super().__init__("claim", current_state)
        self.agency_name = agency_name
        self.claimed_by = claimed_by
        self.args = (f"已被{agency_name}签收 / already claimed by {agency_name} ({claimed_by})",)


class WrongAgency(NotAllowed):
    """The acting agency is not the one the step belongs to (receiver or sender)."""

    def __init__(self, action: str, role: str, agency_name: str) -> None:
        self.action = action
        label = ACTION_LABELS.get(action, action)
        who = "接收单位" if role == "receiver" else "移送单位"
        super().__init__(
            f"仅{who}{agency_name}可以{label} / only the {role} agency {agency_name} may {action}"
        )


def referral_id(key: str | None = None) -> UUID:
    """A natural key (e.g. "clue:<id>:<agency>") makes a retried send find the same item."""
    return uuid5(NAMESPACE, f"referral:{key}") if key else uuid4()


def child_referral_id(parent: UUID, member: UUID) -> UUID:
    return uuid5(NAMESPACE, f"referral:{parent}:{member}")


# Remind one working day before, overdue at due, then 督办 and the leading group's 挂牌督办.
# Addressees in the notifier's words: 责任单位 is, for a referral, its receiving agency.
REFERRAL_LADDER = Ladder(
    (
        Rung("remind-1wd", MilestoneKind.REMINDER, Period.working_days(1), "责任单位",
             "到期提醒（1个工作日）"),
        Rung("overdue", MilestoneKind.OVERDUE, Period.working_days(0), "责任单位", "已逾期"),
        Rung("supervision", MilestoneKind.ESCALATION, Period.working_days(1), "责任单位",
             "督办"),
        Rung("listed-supervision", MilestoneKind.ESCALATION, Period.working_days(3),
             "领导小组办公室", "挂牌督办"),
    )
)  # fmt: skip


class Referral(Reschedulable, ClockRecord, Aggregate):
    TOPIC = "rectify:Referral"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Referral.Event"

    class Sent(Aggregate.Created):
        TOPIC = "rectify:Referral.Sent"
        sender_agency_id: UUID
        receiver_agency_id: UUID
        receiver_name: str
        reason: str
        subject_kind: str
        subject_id: UUID | None
        attachments: list[str]
        campaign_id: UUID | None
        parent_id: UUID | None
        children: dict[str, UUID]  # child id -> member agency (a group parent only)
        claim_days: int
        answer_days: int
        at: datetime
        claim_due: datetime | None  # None for a group parent: its children have clocks
        actor: str

    class Claimed(Aggregate.Event):
        TOPIC = "rectify:Referral.Claimed"
        agency_id: UUID
        at: datetime
        answer_due: datetime
        actor: str

    class Returned(Aggregate.Event):
        """v2 says who had claimed it ("" for a return instead of claiming; ADR 0035)."""

        TOPIC = "rectify:Referral.Returned"
        class_version = 2
        agency_id: UUID
        reason: str
        detail: str
        actor: str
        claimed_by: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 code returned only unclaimed referrals: nobody had claimed it.
            state["claimed_by"] = ""

    class Answered(Aggregate.Event):
        TOPIC = "rectify:Referral.Answered"
        agency_id: UUID
        outcome: str
        measures: list[str]
        penalties: str
        case_number: str
        attachments: list[str]
        actor: str

    class Accepted(Aggregate.Event):
        TOPIC = "rectify:Referral.Accepted"
        comment: str
        actor: str

    class SentBack(Aggregate.Event):
        TOPIC = "rectify:Referral.SentBack"
        reason: str
        at: datetime
        answer_due: datetime
        actor: str

    class Reassigned(Aggregate.Event):
        TOPIC = "rectify:Referral.Reassigned"
        previous_agency_id: UUID
        receiver_agency_id: UUID
        receiver_name: str
        reason: str
        at: datetime
        claim_due: datetime
        actor: str

    class ChildUpdated(Aggregate.Event):
        """A child of a group parent changed state; `rolled_up` is the parent's new status."""

        TOPIC = "rectify:Referral.ChildUpdated"
        child_id: UUID
        status: str
        rolled_up: str
        actor: str

    class MilestoneRecorded(clock_recording.MilestoneRecorded):
        """A reminder, overdue or escalation of the claim or answer clock."""

        TOPIC = "rectify:Referral.MilestoneRecorded"

    class DueDateRecomputed(Aggregate.Event):
        """The running claim or answer clock's due moved: the calendar in force now counts
        the same working days from the same start to another day (an arrangement loaded)."""

        TOPIC = "rectify:Referral.DueDateRecomputed"
        clock: str  # claim | answer
        previous: datetime
        due: datetime
        provisional: bool
        calendar: list[str]  # the calendar data per year it rests on ("2027: 国办发明电… v2")
        actor: str

    @event(Sent)
    def __init__(
        self,
        id: UUID,
        sender_agency_id: UUID,
        receiver_agency_id: UUID,
        receiver_name: str,
        reason: str,
        subject_kind: str,
        subject_id: UUID | None,
        attachments: list[str],
        campaign_id: UUID | None,
        parent_id: UUID | None,
        children: dict[str, UUID],
        claim_days: int,
        answer_days: int,
        at: datetime,
        claim_due: datetime | None,
        actor: str,
    ) -> None:
        self.outcome = ""
        self.answer_measures: list[str] = []
        self.penalties = ""
        self.case_number = ""
        self.return_reason = ""
        self.return_detail = ""
        self.send_back_reason = ""
        self.acceptance_comment = ""
        self.sender_agency_id = sender_agency_id
        self.receiver_agency_id = receiver_agency_id
        self.receiver_name = receiver_name
        self.reason = reason
        self.subject_kind = subject_kind
        self.subject_id = subject_id
        self.attachments = list(attachments)
        self.campaign_id = campaign_id
        self.parent_id = parent_id
        self.children = {UUID(k): v for k, v in children.items()}
        self.child_status: dict[UUID, ReferralStatus] = {
            c: ReferralStatus.SENT for c in self.children
        }
        self.claim_days = claim_days
        self.answer_days = answer_days
        self.status = ReferralStatus.DISPATCHED if children else ReferralStatus.SENT
        self.round = 1  # +1 at each reassignment
        self.answer_cycle = 0  # +1 at each claim or send-back within a round
        self.clock_started: datetime | None = None if children else at
        self.claim_due = claim_due
        self.answer_due: datetime | None = None
        self.claimed_by = ""
        self.assignments: list[UUID] = [receiver_agency_id]
        self.clock_keys: list[str] = []

    # -- questions ------------------------------------------------------------------------

    @property
    def is_group(self) -> bool:
        return bool(self.children)

    def _require(self, action: str, *allowed: ReferralStatus) -> None:
        if self.is_group:
            raise ReferralRefused(
                action,
                self.status,
                "分送各成员单位的移送由各子件办理 / handled through its children",
            )
        if self.status not in allowed:
            raise ReferralRefused(action, self.status)

    def _require_receiver(self, action: str, agency_id: UUID) -> None:
        if agency_id != self.receiver_agency_id:
            raise WrongAgency(action, "receiver", self.receiver_name)

    @staticmethod
    def _require_text(field: str, value: str) -> str:
        if not value.strip():
            raise InvalidInput(field, "不能为空 / empty")
        return value.strip()

    # -- the receiver's steps -------------------------------------------------------------

    def claim(self, agency_id: UUID, at: datetime, answer_due: datetime, actor: str) -> None:
        if not self.is_group and self.status in (
            ReferralStatus.CLAIMED,
            ReferralStatus.ANSWERED,
            ReferralStatus.ACCEPTED,
        ):
            raise AlreadyClaimed(self.status, self.receiver_name, self.claimed_by)
        self._require("claim", ReferralStatus.SENT)
        self._require_receiver("claim", agency_id)
        self._claimed(agency_id, at, answer_due, actor)

    @event(Claimed)
    def _claimed(self, agency_id: UUID, at: datetime, answer_due: datetime, actor: str) -> None:
        self.status = ReferralStatus.CLAIMED
        self.claimed_by = actor
        self.answer_cycle += 1
        self.clock_started = at
        self.answer_due = answer_due

    def return_to_sender(
        self, agency_id: UUID, reason: ReturnReason, detail: str, actor: str
    ) -> None:
        """退回, instead of claiming or after claiming (claimed by mistake, not its remit
        after all); the coordinator then reassigns it. Once claimed, the receiver has
        started on it, so it says in words why it gives it up."""
        self._require("return", ReferralStatus.SENT, ReferralStatus.CLAIMED)
        self._require_receiver("return", agency_id)
        if reason is ReturnReason.OTHER:
            self._require_text("detail", detail)
        if self.status is ReferralStatus.CLAIMED and not detail.strip():
            raise InvalidInput(
                "detail", "签收后退回须说明理由 / a return after claiming needs a detail"
            )
        self._returned(agency_id, reason.value, detail.strip(), actor, self.claimed_by)

    @event(Returned)
    def _returned(
        self, agency_id: UUID, reason: str, detail: str, actor: str, claimed_by: str
    ) -> None:
        self.return_reason = reason
        self.return_detail = detail
        self.status = ReferralStatus.RETURNED
        self.clock_started = None
        self.answer_due = None  # the answer clock, if one ran, stops with the return

    def answer(
        self,
        agency_id: UUID,
        outcome: str,
        measures: list[str],
        penalties: str,
        case_number: str,
        attachments: list[str],
        actor: str,
    ) -> None:
        """办理结果反馈: what was found and done (measures, penalties, the case number)."""
        self._require("answer", ReferralStatus.CLAIMED)
        self._require_receiver("answer", agency_id)
        clean = self._require_text("outcome", outcome)
        self._answered(
            agency_id,
            clean,
            [m.strip() for m in measures if m.strip()],
            penalties.strip(),
            case_number.strip(),
            list(attachments),
            actor,
        )

    @event(Answered)
    def _answered(
        self,
        agency_id: UUID,
        outcome: str,
        measures: list[str],
        penalties: str,
        case_number: str,
        attachments: list[str],
        actor: str,
    ) -> None:
        self.outcome = outcome  # kept in the state so an as-of view shows the answer
        self.answer_measures = list(measures)
        self.penalties = penalties
        self.case_number = case_number
        self.status = ReferralStatus.ANSWERED
        self.clock_started = None

    # -- the sender's steps ---------------------------------------------------------------

    def accept(self, comment: str, actor: str) -> None:
        self._require("accept", ReferralStatus.ANSWERED)
        self._accepted(comment.strip(), actor)

    @event(Accepted)
    def _accepted(self, comment: str, actor: str) -> None:
        self.acceptance_comment = comment
        self.status = ReferralStatus.ACCEPTED

    def send_back(self, reason: str, at: datetime, answer_due: datetime, actor: str) -> None:
        """More work needed: the same receiver works on, with a fresh answer clock."""
        self._require("send back", ReferralStatus.ANSWERED)
        self._sent_back(self._require_text("reason", reason), at, answer_due, actor)

    @event(SentBack)
    def _sent_back(self, reason: str, at: datetime, answer_due: datetime, actor: str) -> None:
        self.send_back_reason = reason
        self.status = ReferralStatus.CLAIMED
        self.answer_cycle += 1
        self.clock_started = at
        self.answer_due = answer_due

    # -- the coordinator's step -----------------------------------------------------------

    def reassign(
        self,
        agency_id: UUID,
        agency_name: str,
        reason: str,
        at: datetime,
        claim_due: datetime,
        actor: str,
    ) -> None:
        """A returned, unclaimed or claimed referral goes to another agency: a new round
        (taking a claimed one from its receiver is the office's call, e.g. a wrong claim)."""
        self._require(
            "reassign", ReferralStatus.RETURNED, ReferralStatus.SENT, ReferralStatus.CLAIMED
        )
        if agency_id == self.receiver_agency_id:
            raise InvalidInput("agency", f"已指派给{agency_name} / already with {agency_name}")
        if agency_id == self.sender_agency_id:
            raise InvalidInput("agency", "不能指派给移送单位 / cannot go back to the sender")
        clean = self._require_text("reason", reason)
        self._reassigned(
            self.receiver_agency_id, agency_id, agency_name, clean, at, claim_due, actor
        )

    @event(Reassigned)
    def _reassigned(
        self,
        previous_agency_id: UUID,
        receiver_agency_id: UUID,
        receiver_name: str,
        reason: str,
        at: datetime,
        claim_due: datetime,
        actor: str,
    ) -> None:
        self.receiver_agency_id = receiver_agency_id
        self.receiver_name = receiver_name
        self.assignments.append(receiver_agency_id)
        self.status = ReferralStatus.SENT
        self.round += 1
        # Each round counts its own answer clocks (before claims after a return existed, a
        # reassigned round never had one, so this changes no key already recorded).
        self.answer_cycle = 0
        self.claimed_by = ""
        self.clock_started = at
        self.claim_due = claim_due
        self.answer_due = None

    # -- a group parent's roll-up ---------------------------------------------------------

    def child_updated(self, child_id: UUID, status: ReferralStatus, actor: str) -> None:
        if child_id not in self.children:
            raise InvalidInput("child", f"{child_id} is not a child of this referral")
        if self.child_status[child_id] is status:
            return
        statuses = {**self.child_status, child_id: status}
        self._child_updated(child_id, status.value, rolled_up(statuses.values()).value, actor)

    @event(ChildUpdated)
    def _child_updated(self, child_id: UUID, status: str, rolled_up: str, actor: str) -> None:
        self.child_status[child_id] = ReferralStatus(status)
        self.status = ReferralStatus(rolled_up)

    # -- the clock (domain.clocks.Clocked) ------------------------------------------------

    @property
    def clock_campaign_id(self) -> UUID | None:
        return self.campaign_id

    @property
    def clock_started_at(self) -> datetime | None:
        return self.clock_started

    @property
    def clock_prefix(self) -> str:
        """The claim clock of a round, or the answer clock of a claim/send-back cycle."""
        if self.status is ReferralStatus.CLAIMED:
            return f"referral:{self.id}:round{self.round}:answer{self.answer_cycle}"
        return f"referral:{self.id}:round{self.round}:claim"

    @property
    def current_due(self) -> datetime | None:
        if self.status is ReferralStatus.SENT:
            return self.claim_due
        if self.status is ReferralStatus.CLAIMED:
            return self.answer_due
        return None

    def clock_open(self) -> bool:
        # A returned referral waits for the coordinator: open, but nothing rings.
        return not self.is_group and self.status is not ReferralStatus.ACCEPTED

    def clock_running(self) -> bool:
        return not self.is_group and self.current_due is not None

    def milestones(self, calendar: WorkingCalendar, ladder: Ladder) -> list[Milestone]:
        due = self.current_due
        if self.is_group or due is None:
            return []
        return ladder_milestones(self.clock_prefix, due, ladder, calendar)

    def period_clocks(self) -> list[PeriodClock]:
        """The running clock as a start and a period (domain.clocks.Reschedulable)."""
        due, start = self.current_due, self.clock_started
        if self.is_group or due is None or start is None:
            return []
        if self.status is ReferralStatus.SENT:
            return [PeriodClock("claim", start, Period.working_days(self.claim_days), due)]
        return [PeriodClock("answer", start, Period.working_days(self.answer_days), due)]

    @event(DueDateRecomputed)
    def _due_recomputed(
        self,
        clock: str,
        previous: datetime,
        due: datetime,
        provisional: bool,
        calendar: list[str],
        actor: str,
    ) -> None:
        if clock == "claim":
            self.claim_due = due
        else:
            self.answer_due = due


def rolled_up(statuses: Any) -> ReferralStatus:
    """A group parent's status from its children's."""
    found = list(statuses)
    if found and all(s is ReferralStatus.ACCEPTED for s in found):
        return ReferralStatus.ACCEPTED
    done = (ReferralStatus.ANSWERED, ReferralStatus.ACCEPTED)
    if found and all(s in done for s in found):
        return ReferralStatus.ANSWERED
    return ReferralStatus.DISPATCHED


class ReferralTerms(Aggregate):
    """A campaign's referral periods (working days); referrals keep the terms they got."""

    TOPIC = "rectify:ReferralTerms"

    class Event(Aggregate.Event):
        TOPIC = "rectify:ReferralTerms.Event"

    class Created(Aggregate.Created):
        TOPIC = "rectify:ReferralTerms.Created"
        campaign_id: UUID

    class Set(Aggregate.Event):
        TOPIC = "rectify:ReferralTerms.Set"
        claim_days: int
        answer_days: int
        actor: str

    @staticmethod
    def create_id(campaign_id: UUID, *_: Any, **__: Any) -> UUID:
        return referral_terms_id(campaign_id)

    @event(Created)
    def __init__(self, campaign_id: UUID) -> None:
        self.campaign_id = campaign_id
        self.claim_days = DEFAULT_CLAIM_DAYS
        self.answer_days = DEFAULT_ANSWER_DAYS

    def set_terms(self, claim_days: int, answer_days: int, actor: str) -> None:
        for field, value in (("claimDays", claim_days), ("answerDays", answer_days)):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 365:
                raise InvalidInput(field, f"'{value}' 不是1到365之间的工作日数 / not 1–365")
        if (claim_days, answer_days) != (self.claim_days, self.answer_days):
            self._set(claim_days, answer_days, actor)

    @event(Set)
    def _set(self, claim_days: int, answer_days: int, actor: str) -> None:
        self.claim_days = claim_days
        self.answer_days = answer_days


def referral_terms_id(campaign_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"referral-terms:{campaign_id}")


def _moves_clock(event: Any) -> bool:
    # A group parent has no clock of its own; its children do.
    return not (isinstance(event, Referral.Sent) and event.children)


register_clocked(
    "referral",
    Referral,
    (
        Referral.Sent.TOPIC,
        Referral.Claimed.TOPIC,
        Referral.Returned.TOPIC,
        Referral.Answered.TOPIC,
        Referral.SentBack.TOPIC,
        Referral.Reassigned.TOPIC,
        Referral.Accepted.TOPIC,
    ),
    REFERRAL_LADDER,
    moves_clock=_moves_clock,
    closes_clock=(Referral.Accepted.TOPIC,),
)
