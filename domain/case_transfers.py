"""Administrative → criminal case transfers (行刑衔接, 移送涉嫌犯罪案件).

    REPORTED ──approve──► APPROVED ──send──► SENT ──receive──► RECEIVED ──file──► FILED
       │                                      ▲                  │  │
    decline                          receive  │         forward  │  │ refuse
       ▼                                      └──── FORWARDED ◄──┘  ▼
    DECLINED                                                     REFUSED
      REFUSED ──request_reconsideration──► RECONSIDERING ──answer──► FILED | REFUSAL_UPHELD
      REFUSED | REFUSAL_UPHELD ──request_supervision──► UNDER_SUPERVISION
      UNDER_SUPERVISION ──supervision outcome──► FILING_ORDERED (──file──► FILED)
                                               | SUPERVISION_CLOSED

Statutory periods (domain.md item 5): the head decides within 3 days of the written report;
an approved transfer is sent within 24 hours; the police forward a case that is not theirs
within 24 hours of receipt and decide within 3 days of receipt; the agency may ask for
reconsideration within 3 days of a refusal and the police answer within 3 days. Days are
calendar days whose last day, if not worked, moves to the next working day; hours are
plain hours. Each due instant is computed by the command and kept in the events, so the
history shows what the law asked and the read side needs no calendar; a calendar loaded
later that rolls a period in days to another day is recorded as `DueDateRecomputed`
(ADR 0023), and every step is judged on the due in force.

A breach of a statutory clock is a `StatutoryBreachRecorded` event of this stream, keyed
`case-transfer:<id>:<step>:breach:<due>`: the clock engine records it when the due instant
passes; a step taken late records it itself (same key), so the breach is on record even if
the engine was down, and never twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
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
    due_stamp,
    ladder_milestones,
    register_clocked,
)
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from domain.names import NAMESPACE

KIND = "case-transfer"


class TransferStatus(StrEnum):
    REPORTED = "REPORTED"  # 书面报告已提交，待负责人审批
    APPROVED = "APPROVED"  # 已批准移送，待移送
    DECLINED = "DECLINED"  # 负责人不批准移送
    SENT = "SENT"  # 已移送，待公安机关接收
    RECEIVED = "RECEIVED"  # 公安机关已接收，待决定是否立案
    FORWARDED = "FORWARDED"  # 已移送有管辖权的公安机关，待其接收
    FILED = "FILED"  # 已立案
    REFUSED = "REFUSED"  # 不予立案
    RECONSIDERING = "RECONSIDERING"  # 已提请复议，待公安机关复议决定
    REFUSAL_UPHELD = "REFUSAL_UPHELD"  # 复议维持不予立案
    UNDER_SUPERVISION = "UNDER_SUPERVISION"  # 已建议检察院立案监督
    FILING_ORDERED = "FILING_ORDERED"  # 检察院通知公安机关立案
    SUPERVISION_CLOSED = "SUPERVISION_CLOSED"  # 检察院认为不立案理由成立


STATUS_LABELS = {
    TransferStatus.REPORTED: "待审批",
    TransferStatus.APPROVED: "待移送",
    TransferStatus.DECLINED: "不批准移送",
    TransferStatus.SENT: "待接收",
    TransferStatus.RECEIVED: "待立案决定",
    TransferStatus.FORWARDED: "已转移管辖",
    TransferStatus.FILED: "已立案",
    TransferStatus.REFUSED: "不予立案",
    TransferStatus.RECONSIDERING: "复议中",
    TransferStatus.REFUSAL_UPHELD: "复议维持不予立案",
    TransferStatus.UNDER_SUPERVISION: "立案监督中",
    TransferStatus.FILING_ORDERED: "检察院通知立案",
    TransferStatus.SUPERVISION_CLOSED: "立案监督终结",
}

CLOSED = frozenset(
    {TransferStatus.DECLINED, TransferStatus.FILED, TransferStatus.SUPERVISION_CLOSED}
)


class ReconsiderationOutcome(StrEnum):
    FILE = "FILE"  # 复议后立案
    UPHOLD = "UPHOLD"  # 维持不予立案


class SupervisionOutcome(StrEnum):
    FILING_ORDERED = "FILING_ORDERED"  # 通知公安机关立案
    REFUSAL_SUSTAINED = "REFUSAL_SUSTAINED"  # 不立案理由成立


ACTION_LABELS = {
    "approve": "批准移送",
    "decline": "不批准移送",
    "send": "移送",
    "receive": "接收",
    "forward": "移送有管辖权的公安机关",
    "file": "立案",
    "refuse": "不予立案",
    "request reconsideration": "提请复议",
    "answer reconsideration": "作出复议决定",
    "request supervision": "建议立案监督",
    "record the supervision outcome": "记录立案监督结果",
}


@dataclass(frozen=True)
class StatutoryStep:
    """A step the law times: how long, from what, and who is in breach."""

    name: str  # part of the idempotency key
    period: Period
    label: str  # what the breach is called in the history
    addressee: str


APPROVAL = StatutoryStep(
    "approval", Period.calendar_days(3), "负责人未在3日内作出是否移送的决定", "行政执法机关负责人"
)
SENDING = StatutoryStep("sending", Period.hours(24), "批准后未在24小时内移送", "行政执法机关")
FORWARDING = StatutoryStep(
    "forwarding", Period.hours(24), "未在24小时内移送有管辖权的公安机关", "公安机关"
)
DECISION = StatutoryStep(
    "decision", Period.calendar_days(3), "接受移送后未在3日内作出立案决定", "公安机关"
)
RECONSIDERATION_REQUEST = Period.calendar_days(3)  # the agency's right, not a duty: no breach
RECONSIDERATION = StatutoryStep(
    "reconsideration", Period.calendar_days(3), "未在3日内作出复议决定", "公安机关"
)

# The statutory breach rings at the due instant itself; a campaign policy may add reminders.
BREACH = Rung("breach", MilestoneKind.STATUTORY_BREACH, Period.hours(0), "", "超过法定时限")
TRANSFER_LADDER = Ladder((BREACH,))


class TransferRefused(InvalidTransition):
    """A step the transfer's current state does not allow; names the state."""

    def __init__(self, action: str, current_state: TransferStatus, detail: str = "") -> None:
        super().__init__(action, current_state.value, detail)
        label = ACTION_LABELS.get(action, action)
        message = (
            f"{STATUS_LABELS[current_state]}状态下不能{label} / "
            f"cannot {action} while the case transfer is {current_state.value}"
        )
        self.args = (message + (f": {detail}" if detail else ""),)


class WrongTransferAgency(NotAllowed):
    """The acting agency is not the one the step belongs to."""

    def __init__(self, action: str, agency_name: str) -> None:
        self.action = action
        label = ACTION_LABELS.get(action, action)
        super().__init__(f"仅{agency_name}可以{label} / only {agency_name} may {action}")


def case_transfer_id(key: str | None = None) -> UUID:
    """A natural key (e.g. the agency's case number) makes a retried report find the same."""
    return uuid5(NAMESPACE, f"case-transfer:{key}") if key else uuid4()


def _text(field: str, value: str) -> str:
    if not value.strip():
        raise InvalidInput(field, "不能为空 / empty")
    return value.strip()


@dataclass(frozen=True)
class RunningClock:
    step: StatutoryStep
    key: str  # the step's key in `deadlines`: approval, sending, decision1, …
    prefix: str  # of its milestones' keys: case-transfer:<id>:<key>
    due: datetime


class CaseTransfer(Reschedulable, ClockRecord, Aggregate):
    TOPIC = "rectify:CaseTransfer"

    class Event(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.Event"

    class Reported(Aggregate.Created):
        """The investigator's written transfer report (书面报告), awaiting the head."""

        TOPIC = "rectify:CaseTransfer.Reported"
        agency_id: UUID
        agency_name: str
        police_agency_id: UUID
        police_name: str
        case_number: str  # the administrative case's number (行政案件编号)
        suspect: str
        suspected_offence: str  # 涉嫌罪名
        facts: str
        attachments: list[str]
        campaign_id: UUID | None
        at: datetime
        approval_due: datetime
        actor: str

    class Approved(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.Approved"
        comment: str
        at: datetime
        sending_due: datetime
        actor: str

    class Declined(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.Declined"
        reason: str
        at: datetime
        actor: str

    class Sent(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.Sent"
        at: datetime
        actor: str

    class Received(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.Received"
        agency_id: UUID
        at: datetime
        forwarding_due: datetime
        decision_due: datetime
        actor: str

    class Forwarded(Aggregate.Event):
        """Not this police agency's case: passed to the competent one, the agency told."""

        TOPIC = "rectify:CaseTransfer.Forwarded"
        from_agency_id: UUID
        police_agency_id: UUID
        police_name: str
        reason: str
        at: datetime
        actor: str

    class Filed(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.Filed"
        agency_id: UUID
        criminal_case_number: str
        at: datetime
        actor: str

    class Refused(Aggregate.Event):
        """不予立案, with reasons; the file goes back to the agency."""

        TOPIC = "rectify:CaseTransfer.Refused"
        agency_id: UUID
        reasons: str
        at: datetime
        reconsideration_request_due: datetime
        actor: str

    class ReconsiderationRequested(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.ReconsiderationRequested"
        reason: str
        at: datetime
        reconsideration_due: datetime
        actor: str

    class ReconsiderationAnswered(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.ReconsiderationAnswered"
        agency_id: UUID
        outcome: str
        reasons: str
        criminal_case_number: str
        at: datetime
        actor: str

    class SupervisionRequested(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.SupervisionRequested"
        procuratorate_id: UUID
        procuratorate_name: str
        reason: str
        at: datetime
        actor: str

    class SupervisionConcluded(Aggregate.Event):
        TOPIC = "rectify:CaseTransfer.SupervisionConcluded"
        procuratorate_id: UUID
        outcome: str
        opinion: str
        at: datetime
        actor: str

    class StatutoryBreachRecorded(Aggregate.Event):
        """A statutory period ran out before its step was taken (超过法定时限)."""

        TOPIC = "rectify:CaseTransfer.StatutoryBreachRecorded"
        key: str
        step: str
        label: str
        addressee: str
        due: datetime
        at: datetime
        actor: str

    class MilestoneRecorded(clock_recording.MilestoneRecorded):
        """Another rung a campaign's policy adds to a statutory clock (e.g. a reminder)."""

        TOPIC = "rectify:CaseTransfer.MilestoneRecorded"

    class DueDateRecomputed(Aggregate.Event):
        """A statutory due in days moved: the calendar in force now rolls the same period's
        last day to another working day (an arrangement loaded). Periods in hours never do."""

        TOPIC = "rectify:CaseTransfer.DueDateRecomputed"
        step: str  # the step key in `deadlines`: approval, decision1, reconsideration, …
        previous: datetime
        due: datetime
        provisional: bool
        calendar: list[str]  # the calendar data per year it rests on ("2027: 国办发明电… v2")
        actor: str

    @event(Reported)
    def __init__(
        self,
        id: UUID,
        agency_id: UUID,
        agency_name: str,
        police_agency_id: UUID,
        police_name: str,
        case_number: str,
        suspect: str,
        suspected_offence: str,
        facts: str,
        attachments: list[str],
        campaign_id: UUID | None,
        at: datetime,
        approval_due: datetime,
        actor: str,
    ) -> None:
        self.outcome = ""
        self.agency_id = agency_id
        self.agency_name = agency_name
        self.police_agency_id = police_agency_id
        self.police_name = police_name
        self.police_ids: list[UUID] = [police_agency_id]  # every police agency it went to
        self.case_number = case_number
        self.suspect = suspect
        self.suspected_offence = suspected_offence
        self.facts = facts
        self.attachments = list(attachments)
        self.campaign_id = campaign_id
        self.status = TransferStatus.REPORTED
        self.receipts = 0  # +1 at each police receipt (the first, then after a forward)
        self.procuratorate_id: UUID | None = None
        self.procuratorate_name = ""
        self.criminal_case_number = ""
        # Every statutory due instant, by step key (approval, sending, decision1, …).
        self.deadlines: dict[str, datetime] = {"approval": approval_due}
        # When each period started, by the same keys: a calendar change recomputes from it.
        self.starts: dict[str, datetime] = {"approval": at}
        self.clock_keys: list[str] = []

    # -- checks ---------------------------------------------------------------------------

    def _require(self, action: str, *allowed: TransferStatus) -> None:
        if self.status not in allowed:
            raise TransferRefused(action, self.status)

    def _require_police(self, action: str, agency_id: UUID) -> None:
        if agency_id != self.police_agency_id:
            raise WrongTransferAgency(action, self.police_name)

    def _require_procuratorate(self, action: str, agency_id: UUID) -> None:
        if agency_id != self.procuratorate_id:
            raise WrongTransferAgency(action, self.procuratorate_name)

    # -- the administrative agency --------------------------------------------------------

    def approve(self, comment: str, at: datetime, sending_due: datetime, actor: str) -> None:
        """The head approves the transfer (批准移送): it must go out within 24 hours."""
        self._require("approve", TransferStatus.REPORTED)
        self.breach_if_late(at, actor)
        self._approved(comment.strip(), at, sending_due, actor)

    @event(Approved)
    def _approved(self, comment: str, at: datetime, sending_due: datetime, actor: str) -> None:
        self.outcome = comment  # the latest decision's words, as the case view shows
        self.status = TransferStatus.APPROVED
        self.deadlines["sending"] = sending_due
        self.starts["sending"] = at

    def decline(self, reason: str, at: datetime, actor: str) -> None:
        """The head refuses; the reasons are kept on record (不批准的理由记录在案)."""
        self._require("decline", TransferStatus.REPORTED)
        clean = _text("reason", reason)
        self.breach_if_late(at, actor)
        self._declined(clean, at, actor)

    @event(Declined)
    def _declined(self, reason: str, at: datetime, actor: str) -> None:
        self.outcome = reason
        self.status = TransferStatus.DECLINED

    def send(self, at: datetime, actor: str) -> None:
        self._require("send", TransferStatus.APPROVED)
        self.breach_if_late(at, actor)
        self._sent(at, actor)

    @event(Sent)
    def _sent(self, at: datetime, actor: str) -> None:
        self.status = TransferStatus.SENT

    def request_reconsideration(
        self, reason: str, at: datetime, reconsideration_due: datetime, actor: str
    ) -> None:
        """复议: within 3 days of the refusal; the police then answer within 3 days."""
        self._require("request reconsideration", TransferStatus.REFUSED)
        clean = _text("reason", reason)
        window = self.deadlines.get("reconsideration_request")
        if window is not None and at >= window:
            raise TransferRefused(
                "request reconsideration",
                self.status,
                f"提请复议期限已于{window.isoformat()}届满 / the period to ask ended",
            )
        self._reconsideration_requested(clean, at, reconsideration_due, actor)

    @event(ReconsiderationRequested)
    def _reconsideration_requested(
        self, reason: str, at: datetime, reconsideration_due: datetime, actor: str
    ) -> None:
        self.status = TransferStatus.RECONSIDERING
        self.deadlines["reconsideration"] = reconsideration_due
        self.starts["reconsideration"] = at

    def request_supervision(
        self,
        procuratorate_id: UUID,
        procuratorate_name: str,
        reason: str,
        at: datetime,
        actor: str,
    ) -> None:
        """立案监督: the agency asks the procuratorate to look at the refusal."""
        self._require("request supervision", TransferStatus.REFUSED, TransferStatus.REFUSAL_UPHELD)
        if procuratorate_id in (self.agency_id, self.police_agency_id):
            raise InvalidInput("procuratorate", "须为人民检察院 / must be the procuratorate")
        clean = _text("reason", reason)
        self._supervision_requested(procuratorate_id, procuratorate_name, clean, at, actor)

    @event(SupervisionRequested)
    def _supervision_requested(
        self,
        procuratorate_id: UUID,
        procuratorate_name: str,
        reason: str,
        at: datetime,
        actor: str,
    ) -> None:
        self.status = TransferStatus.UNDER_SUPERVISION
        self.procuratorate_id = procuratorate_id
        self.procuratorate_name = procuratorate_name

    # -- the police -----------------------------------------------------------------------

    def receive(
        self,
        agency_id: UUID,
        at: datetime,
        forwarding_due: datetime,
        decision_due: datetime,
        actor: str,
    ) -> None:
        """回执: the police sign for the file; the 3-day decision clock starts."""
        self._require("receive", TransferStatus.SENT, TransferStatus.FORWARDED)
        self._require_police("receive", agency_id)
        self._received(agency_id, at, forwarding_due, decision_due, actor)

    @event(Received)
    def _received(
        self,
        agency_id: UUID,
        at: datetime,
        forwarding_due: datetime,
        decision_due: datetime,
        actor: str,
    ) -> None:
        self.status = TransferStatus.RECEIVED
        self.receipts += 1
        self.deadlines[f"forwarding{self.receipts}"] = forwarding_due
        self.deadlines[f"decision{self.receipts}"] = decision_due
        self.starts[f"forwarding{self.receipts}"] = at
        self.starts[f"decision{self.receipts}"] = at

    def forward(
        self,
        agency_id: UUID,
        to_agency_id: UUID,
        to_name: str,
        reason: str,
        at: datetime,
        actor: str,
    ) -> None:
        """Not ours: to the competent police within 24 hours of receipt, the agency told."""
        self._require("forward", TransferStatus.RECEIVED)
        self._require_police("forward", agency_id)
        if to_agency_id in (agency_id, self.agency_id):
            raise InvalidInput("police", "须为另一有管辖权的公安机关 / another competent police")
        clean = _text("reason", reason)
        step = f"forwarding{self.receipts}"
        self._breach(FORWARDING, step, self.deadlines[step], at, actor)
        self._forwarded(agency_id, to_agency_id, to_name, clean, at, actor)

    @event(Forwarded)
    def _forwarded(
        self,
        from_agency_id: UUID,
        police_agency_id: UUID,
        police_name: str,
        reason: str,
        at: datetime,
        actor: str,
    ) -> None:
        self.outcome = reason
        self.status = TransferStatus.FORWARDED
        self.police_agency_id = police_agency_id
        self.police_name = police_name
        self.police_ids.append(police_agency_id)

    def file_case(
        self, agency_id: UUID, criminal_case_number: str, at: datetime, actor: str
    ) -> None:
        """立案: on receipt, or once the procuratorate has told the police to open the case."""
        self._require("file", TransferStatus.RECEIVED, TransferStatus.FILING_ORDERED)
        self._require_police("file", agency_id)
        self.breach_if_late(at, actor)
        self._filed(agency_id, criminal_case_number.strip(), at, actor)

    @event(Filed)
    def _filed(self, agency_id: UUID, criminal_case_number: str, at: datetime, actor: str) -> None:
        self.status = TransferStatus.FILED
        self.criminal_case_number = criminal_case_number

    def refuse(
        self,
        agency_id: UUID,
        reasons: str,
        at: datetime,
        reconsideration_request_due: datetime,
        actor: str,
    ) -> None:
        """不予立案: written reasons, the file returned; the agency may ask for 复议."""
        self._require("refuse", TransferStatus.RECEIVED)
        self._require_police("refuse", agency_id)
        clean = _text("reasons", reasons)
        self.breach_if_late(at, actor)
        self._refused(agency_id, clean, at, reconsideration_request_due, actor)

    @event(Refused)
    def _refused(
        self,
        agency_id: UUID,
        reasons: str,
        at: datetime,
        reconsideration_request_due: datetime,
        actor: str,
    ) -> None:
        self.outcome = reasons
        self.status = TransferStatus.REFUSED
        self.deadlines["reconsideration_request"] = reconsideration_request_due
        self.starts["reconsideration_request"] = at

    def answer_reconsideration(
        self,
        agency_id: UUID,
        outcome: ReconsiderationOutcome,
        reasons: str,
        criminal_case_number: str,
        at: datetime,
        actor: str,
    ) -> None:
        self._require("answer reconsideration", TransferStatus.RECONSIDERING)
        self._require_police("answer reconsideration", agency_id)
        clean = reasons.strip()
        if outcome is ReconsiderationOutcome.UPHOLD:
            clean = _text("reasons", reasons)
        self.breach_if_late(at, actor)
        self._reconsideration_answered(
            agency_id, outcome.value, clean, criminal_case_number.strip(), at, actor
        )

    @event(ReconsiderationAnswered)
    def _reconsideration_answered(
        self,
        agency_id: UUID,
        outcome: str,
        reasons: str,
        criminal_case_number: str,
        at: datetime,
        actor: str,
    ) -> None:
        self.outcome = reasons
        if outcome == ReconsiderationOutcome.FILE.value:
            self.status = TransferStatus.FILED
            self.criminal_case_number = criminal_case_number
        else:
            self.status = TransferStatus.REFUSAL_UPHELD

    # -- the procuratorate ----------------------------------------------------------------

    def conclude_supervision(
        self,
        agency_id: UUID,
        outcome: SupervisionOutcome,
        opinion: str,
        at: datetime,
        actor: str,
    ) -> None:
        self._require("record the supervision outcome", TransferStatus.UNDER_SUPERVISION)
        self._require_procuratorate("record the supervision outcome", agency_id)
        clean = _text("opinion", opinion)
        self._supervision_concluded(agency_id, outcome.value, clean, at, actor)

    @event(SupervisionConcluded)
    def _supervision_concluded(
        self, procuratorate_id: UUID, outcome: str, opinion: str, at: datetime, actor: str
    ) -> None:
        self.outcome = opinion
        if outcome == SupervisionOutcome.FILING_ORDERED.value:
            self.status = TransferStatus.FILING_ORDERED
        else:
            self.status = TransferStatus.SUPERVISION_CLOSED

    # -- statutory clocks -----------------------------------------------------------------

    def running_clock(self) -> RunningClock | None:
        """The statutory period that runs now, if any."""
        found: tuple[StatutoryStep, str] | None = {
            TransferStatus.REPORTED: (APPROVAL, "approval"),
            TransferStatus.APPROVED: (SENDING, "sending"),
            TransferStatus.RECEIVED: (DECISION, f"decision{self.receipts}"),
            TransferStatus.RECONSIDERING: (RECONSIDERATION, "reconsideration"),
        }.get(self.status)
        if found is None:
            return None
        step, key = found
        return RunningClock(step, key, f"{KIND}:{self.id}:{key}", self.deadlines[key])

    def breach_if_late(self, at: datetime, actor: str) -> None:
        """A step taken after its due instant puts the breach on record first."""
        clock = self.running_clock()
        if clock is not None:
            self._breach(clock.step, clock.key, clock.due, at, actor)

    def _breach(
        self, step: StatutoryStep, step_key: str, due: datetime, at: datetime, actor: str
    ) -> None:
        # The key the engine's milestone has (ladder_milestones: prefix:rung:due stamp).
        key = f"{KIND}:{self.id}:{step_key}:{BREACH.name}:{due_stamp(due)}"
        if at >= due and not self.has_milestone(key):
            self._breach_recorded(key, step_key, step.label, step.addressee, due, at, actor)

    @event(StatutoryBreachRecorded)
    def _breach_recorded(
        self,
        key: str,
        step: str,
        label: str,
        addressee: str,
        due: datetime,
        at: datetime,
        actor: str,
    ) -> None:
        self.clock_keys.append(key)

    @property
    def breaches(self) -> list[str]:
        return [k for k in self.clock_keys if f":{BREACH.name}:" in k]

    # -- the clock engine's contract (domain.clocks.Clocked) -------------------------------

    @property
    def clock_campaign_id(self) -> UUID | None:
        return self.campaign_id

    def clock_open(self) -> bool:
        return self.status not in CLOSED

    def clock_running(self) -> bool:
        return self.running_clock() is not None

    @property
    def clock_prefix(self) -> str:
        """Of the running statutory clock's milestone keys (`case-transfer:<id>:<step>`)."""
        clock = self.running_clock()
        return clock.prefix if clock is not None else f"{KIND}:{self.id}"

    def milestones(self, calendar: WorkingCalendar, ladder: Ladder) -> list[Milestone]:
        clock = self.running_clock()
        if clock is None:
            return []
        # The breach is the law's and always rings; a policy may only add rungs to it.
        rungs = tuple(r for r in ladder.rungs if r.name != BREACH.name)
        statutory = Rung(BREACH.name, BREACH.kind, BREACH.offset, clock.step.addressee,
                         clock.step.label)  # fmt: skip
        return ladder_milestones(
            clock.prefix, clock.due, Ladder((*rungs, statutory), ladder.version), calendar
        )

    def period_clocks(self) -> list[PeriodClock]:
        """The dues in force as starts and periods (domain.clocks.Reschedulable): the
        running statutory clock, and while REFUSED the agency's window to ask for 复议
        (not a clock, but a late request is refused by it)."""
        found: list[tuple[str, Period]] = []
        clock = self.running_clock()
        if clock is not None:
            found.append((clock.key, clock.step.period))
        if self.status is TransferStatus.REFUSED:
            found.append(("reconsideration_request", RECONSIDERATION_REQUEST))
        return [
            PeriodClock(key, self.starts[key], period, self.deadlines[key]) for key, period in found
        ]

    @event(DueDateRecomputed)
    def _due_recomputed(
        self,
        step: str,
        previous: datetime,
        due: datetime,
        provisional: bool,
        calendar: list[str],
        actor: str,
    ) -> None:
        self.deadlines[step] = due

    def _record_milestone_event(self, milestone: Milestone, actor: str) -> None:
        """A breach is the statutory clock's own event; any other rung is MilestoneRecorded."""
        clock = self.running_clock()
        assert clock is not None  # record_milestone records only while a clock runs
        due = milestone.due or clock.due
        if milestone.kind is MilestoneKind.STATUTORY_BREACH:
            self._breach_recorded(
                milestone.key, clock.key, clock.step.label,
                clock.step.addressee, due, milestone.at, actor,
            )  # fmt: skip
        else:
            super()._record_milestone_event(replace(milestone, due=due), actor)


register_clocked(
    KIND,
    CaseTransfer,
    (
        CaseTransfer.Reported.TOPIC,
        CaseTransfer.Approved.TOPIC,
        CaseTransfer.Declined.TOPIC,
        CaseTransfer.Sent.TOPIC,
        CaseTransfer.Received.TOPIC,
        CaseTransfer.Forwarded.TOPIC,
        CaseTransfer.Filed.TOPIC,
        CaseTransfer.Refused.TOPIC,
        CaseTransfer.ReconsiderationRequested.TOPIC,
        CaseTransfer.ReconsiderationAnswered.TOPIC,
        CaseTransfer.SupervisionRequested.TOPIC,
        CaseTransfer.SupervisionConcluded.TOPIC,
    ),
    TRANSFER_LADDER,
    # After these nothing is timed until a later step (e.g. a supervision request) reopens.
    closes_clock=(
        CaseTransfer.Declined.TOPIC,
        CaseTransfer.Filed.TOPIC,
        CaseTransfer.ReconsiderationAnswered.TOPIC,
        CaseTransfer.SupervisionConcluded.TOPIC,
    ),
)
