"""Clues and tip-offs (线索/举报投诉): received, triaged, and — when the reporter gave a
real name — answered within a number of working days.

    RECEIVED ──handle──► HANDLING ──conclude──► CONCLUDED
        ├──refer────► REFERRED ──its referral accepted──► CONCLUDED
        ├──merge────► MERGED     (a duplicate of another clue)
        └──dismiss──► DISMISSED  (with a reason)

A referred clue concludes itself when the sender accepts its referral's answer (确认办结):
the receiver's answer is its outcome, saved with the referral's `Accepted` (ADR 0035).
While the referral is being handled, returned or reassigned the clue stays REFERRED.

The reply to a real-name reporter (答复举报人) is owed whatever the triage: its clock
starts at receipt and stops when the reply is recorded. A clue counts as closed in the
figures only once it has ended (concluded, dismissed, merged) and owes no reply.

The reporter's identity exists here only sealed (domain.reporter_identity): events carry
the ciphertext and the key id, never the plaintext. The handling agency — the receiving
agency, or the target of a referral — is the one whose staff may reveal it; each reveal
is an event naming who, when and why. The handling agency follows the clue's referral
(ADR 0022): when the receiver returns it (退回) the clue goes back to the receiving agency
until the leading group office reassigns it, and a reassignment hands it to the new
receiver — each move a `HandlerChanged` event saved with the referral's own.
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
from domain.reporter_identity import key_id

DEFAULT_REPLY_DAYS = 15


class Channel(StrEnum):
    HOTLINE_12320 = "HOTLINE_12320"  # 12320热线
    MAILBOX = "MAILBOX"  # 举报信箱/邮箱
    LETTER = "LETTER"  # 来信
    WECHAT = "WECHAT"  # 微信
    WEB_FORM = "WEB_FORM"  # 网上举报
    IN_PERSON = "IN_PERSON"  # 来访
    OTHER_AGENCY = "OTHER_AGENCY"  # 其他单位转来


class ClueStatus(StrEnum):
    RECEIVED = "RECEIVED"  # 待分办
    HANDLING = "HANDLING"  # 本单位办理
    REFERRED = "REFERRED"  # 已移送
    MERGED = "MERGED"  # 已并案
    DISMISSED = "DISMISSED"  # 不予受理
    CONCLUDED = "CONCLUDED"  # 已办结


STATUS_LABELS = {
    ClueStatus.RECEIVED: "待分办",
    ClueStatus.HANDLING: "办理中",
    ClueStatus.REFERRED: "已移送",
    ClueStatus.MERGED: "已并案",
    ClueStatus.DISMISSED: "不予受理",
    ClueStatus.CONCLUDED: "已办结",
}

ACTION_LABELS = {
    "handle": "本单位办理",
    "refer": "移送",
    "merge": "并案",
    "dismiss": "不予受理",
    "conclude": "办结",
    "reply": "答复举报人",
    "reveal": "查看举报人身份",
    "reseal": "更换密钥",
    "change handler": "变更办理单位",
    "conclude with its referral": "随移送办结",
}


class ClueRefused(InvalidTransition):
    """A clue command its current state does not allow; names the state."""

    def __init__(self, action: str, current_state: ClueStatus, detail: str = "") -> None:
        super().__init__(action, current_state.value, detail)
        message = (
            f"{STATUS_LABELS[current_state]}状态下不能{ACTION_LABELS.get(action, action)} / "
            f"cannot {action} while the clue is {current_state.value}"
        )
        self.args = (message + (f": {detail}" if detail else ""),)


def clue_id(key: str | None = None) -> UUID:
    """A natural key (e.g. the hotline's ticket number) makes a retried intake find it."""
    return uuid5(NAMESPACE, f"clue:{key}") if key else uuid4()


# Remind two working days before, overdue at due, 督办 one working day after. 责任单位 is the
# notifier's word for the agency that owes the reply: for a clue, the receiving agency.
CLUE_REPLY_LADDER = Ladder(
    (
        Rung("remind-2wd", MilestoneKind.REMINDER, Period.working_days(2), "责任单位",
             "答复举报人到期提醒（2个工作日）"),
        Rung("overdue", MilestoneKind.OVERDUE, Period.working_days(0), "责任单位",
             "答复举报人已逾期"),
        Rung("supervision", MilestoneKind.ESCALATION, Period.working_days(1), "责任单位",
             "督办"),
    )
)  # fmt: skip


def _text(field: str, value: str) -> str:
    if not value.strip():
        raise InvalidInput(field, "不能为空 / empty")
    return value.strip()


class Clue(Reschedulable, ClockRecord, Aggregate):
    TOPIC = "rectify:Clue"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Clue.Event"

    class Received(Aggregate.Created):
        TOPIC = "rectify:Clue.Received"
        agency_id: UUID
        channel: str
        institution: str
        person: str
        content: str
        attachments: list[str]
        anonymous: bool
        real_name: bool
        sealed_identity: dict[str, str] | None  # ciphertext + key id; never plaintext
        campaign_id: UUID | None
        reply_days: int
        at: datetime
        reply_due: datetime | None  # a real-name reporter's reply is due by then
        actor: str

    class TakenForHandling(Aggregate.Event):
        TOPIC = "rectify:Clue.TakenForHandling"
        note: str
        actor: str

    class Referred(Aggregate.Event):
        """Carries what the referral needs; the referral itself is saved alongside."""

        TOPIC = "rectify:Clue.Referred"
        receiver_agency_id: UUID
        receiver_name: str
        reason: str
        referral_id: UUID
        actor: str

    class HandlerChanged(Aggregate.Event):
        """The clue's referral moved (returned, or reassigned by the leading group office):
        `handling_agency_id` now handles the clue and alone may see who reported it."""

        TOPIC = "rectify:Clue.HandlerChanged"
        previous_agency_id: UUID
        handling_agency_id: UUID
        handling_name: str
        referral_id: UUID
        reason: str
        at: datetime
        actor: str

    class MergedAsDuplicate(Aggregate.Event):
        TOPIC = "rectify:Clue.MergedAsDuplicate"
        into_clue_id: UUID
        note: str
        actor: str

    class Dismissed(Aggregate.Event):
        TOPIC = "rectify:Clue.Dismissed"
        reason: str
        actor: str

    class Concluded(Aggregate.Event):
        TOPIC = "rectify:Clue.Concluded"
        outcome: str
        actor: str

    class ReplyRecorded(Aggregate.Event):
        TOPIC = "rectify:Clue.ReplyRecorded"
        text: str
        channel: str
        at: datetime
        actor: str

    class ReporterRevealed(Aggregate.Event):
        TOPIC = "rectify:Clue.ReporterRevealed"
        agency_id: UUID
        reason: str
        at: datetime
        actor: str

    class IdentityResealed(Aggregate.Event):
        """The identity sealed again under the current key (key rotation)."""

        TOPIC = "rectify:Clue.IdentityResealed"
        sealed_identity: dict[str, str]
        previous_key_id: str
        actor: str

    class MilestoneRecorded(clock_recording.MilestoneRecorded):
        """A reminder, overdue or escalation of the reply owed to the reporter."""

        TOPIC = "rectify:Clue.MilestoneRecorded"

    class DueDateRecomputed(Aggregate.Event):
        """The reply owed to the reporter is due on another day: the calendar in force now
        counts the same working days from receipt to another day (an arrangement loaded)."""

        TOPIC = "rectify:Clue.DueDateRecomputed"
        clock: str  # reply
        previous: datetime
        due: datetime
        provisional: bool
        calendar: list[str]  # the calendar data per year it rests on ("2027: 国办发明电… v2")
        actor: str

    @event(Received)
    def __init__(
        self,
        id: UUID,
        agency_id: UUID,
        channel: str,
        institution: str,
        person: str,
        content: str,
        attachments: list[str],
        anonymous: bool,
        real_name: bool,
        sealed_identity: dict[str, str] | None,
        campaign_id: UUID | None,
        reply_days: int,
        at: datetime,
        reply_due: datetime | None,
        actor: str,
    ) -> None:
        self.triage_note = ""
        self.referred_to: UUID | None = None
        self.outcome = ""
        self.replied_at: datetime | None = None
        self.reply_channel = ""
        self.agency_id = agency_id
        self.handling_agency_id = agency_id
        self.channel = Channel(channel)
        self.institution = institution
        self.person = person
        self.content = content
        self.attachments = list(attachments)
        self.anonymous = anonymous
        self.real_name = real_name
        self.sealed_identity = dict(sealed_identity) if sealed_identity else None
        self.campaign_id = campaign_id
        self.reply_days = reply_days
        self.received_at = at
        self.reply_due = reply_due
        self.status = ClueStatus.RECEIVED
        self.referral_id: UUID | None = None
        self.merged_into: UUID | None = None
        self.replied = False
        self.clock_keys: list[str] = []

    @staticmethod
    def validate_intake(
        channel: str, institution: str, person: str, content: str, anonymous: bool, real_name: bool
    ) -> None:
        """What the intake command checks before it seals anything."""
        if channel not in Channel.__members__:
            raise InvalidInput("channel", f"'{channel}' 不是受理渠道 / is not a channel")
        if not (institution.strip() or person.strip()):
            raise InvalidInput(
                "institution", "须写明被举报单位或个人 / name an institution or person"
            )
        _text("content", content)
        if anonymous and real_name:
            raise InvalidInput("realName", "匿名举报不能是实名 / anonymous cannot be real-name")

    # -- questions ------------------------------------------------------------------------

    @property
    def has_identity(self) -> bool:
        return self.sealed_identity is not None

    @property
    def identity_key_id(self) -> str:
        return key_id(self.sealed_identity) if self.sealed_identity else ""

    @property
    def notice_title(self) -> str:
        """For reminders: what the clue is about, never who reported it."""
        return f"答复实名举报人：{self.institution or self.person}"

    def _require(self, action: str, *allowed: ClueStatus) -> None:
        if self.status not in allowed:
            raise ClueRefused(action, self.status)

    # -- triage ---------------------------------------------------------------------------

    def handle(self, note: str, actor: str) -> None:
        self._require("handle", ClueStatus.RECEIVED)
        self._taken_for_handling(note.strip(), actor)

    @event(TakenForHandling)
    def _taken_for_handling(self, note: str, actor: str) -> None:
        self.triage_note = note  # kept so an as-of view shows the triage
        self.status = ClueStatus.HANDLING

    def refer(
        self,
        receiver_agency_id: UUID,
        receiver_name: str,
        reason: str,
        referral_id: UUID,
        actor: str,
    ) -> None:
        self._require("refer", ClueStatus.RECEIVED)
        if receiver_agency_id == self.handling_agency_id:
            raise InvalidInput("receiver", "不能移送给本单位 / cannot refer to oneself")
        self._referred(
            receiver_agency_id, receiver_name, _text("reason", reason), referral_id, actor
        )

    @event(Referred)
    def _referred(
        self,
        receiver_agency_id: UUID,
        receiver_name: str,
        reason: str,
        referral_id: UUID,
        actor: str,
    ) -> None:
        self.triage_note = reason
        self.referred_to = receiver_agency_id
        self.status = ClueStatus.REFERRED
        # The agency that now handles it is the one that may see who reported it.
        self.handling_agency_id = receiver_agency_id
        self.referral_id = referral_id

    def change_handler(
        self,
        agency_id: UUID,
        agency_name: str,
        referral_id: UUID,
        reason: str,
        at: datetime,
        actor: str,
    ) -> None:
        """Follow the clue's own referral to the agency now answerable for it; no-op if the
        clue is already there. Another referral that merely names the clue moves nothing."""
        if self.status is not ClueStatus.REFERRED or referral_id != self.referral_id:
            raise ClueRefused(
                "change handler", self.status, "仅随本线索的移送变更 / only with its referral"
            )
        if agency_id == self.handling_agency_id:
            return
        self._handler_changed(
            self.handling_agency_id, agency_id, agency_name, referral_id,
            _text("reason", reason), at, actor,
        )  # fmt: skip

    @event(HandlerChanged)
    def _handler_changed(
        self,
        previous_agency_id: UUID,
        handling_agency_id: UUID,
        handling_name: str,
        referral_id: UUID,
        reason: str,
        at: datetime,
        actor: str,
    ) -> None:
        self.handling_agency_id = handling_agency_id

    def merge_into(self, other: Clue, note: str, actor: str) -> None:
        """Only into a clue of the same handling agency (ADR 0022): a duplicate held by
        another agency is referred there first, so the reporter's identity and the reply
        owed move with it, on record, and that agency merges it."""
        self._require("merge", ClueStatus.RECEIVED)
        if other.id == self.id:
            raise InvalidInput("intoClueId", "不能与自身并案 / cannot merge into itself")
        if other.handling_agency_id != self.handling_agency_id:
            raise NotAllowed(
                "只能并入本单位办理的线索 / may merge only into a clue the same agency handles"
            )
        if other.status is ClueStatus.MERGED:
            raise InvalidInput(
                "intoClueId", f"该线索已并入{other.merged_into} / already merged elsewhere"
            )
        self._merged(other.id, note.strip(), actor)

    @event(MergedAsDuplicate)
    def _merged(self, into_clue_id: UUID, note: str, actor: str) -> None:
        self.triage_note = note
        self.status = ClueStatus.MERGED
        self.merged_into = into_clue_id

    def dismiss(self, reason: str, actor: str) -> None:
        self._require("dismiss", ClueStatus.RECEIVED)
        self._dismissed(_text("reason", reason), actor)

    @event(Dismissed)
    def _dismissed(self, reason: str, actor: str) -> None:
        self.triage_note = reason
        self.status = ClueStatus.DISMISSED

    def conclude(self, outcome: str, actor: str) -> None:
        self._require("conclude", ClueStatus.HANDLING)
        self._concluded(_text("outcome", outcome), actor)

    def conclude_with_referral(self, referral_id: UUID, outcome: str, actor: str) -> None:
        """The clue's own referral was accepted: the clue ends with the receiver's answer.
        Another referral that merely names the clue concludes nothing."""
        if self.status is not ClueStatus.REFERRED or referral_id != self.referral_id:
            raise ClueRefused(
                "conclude with its referral",
                self.status,
                "仅随本线索的移送办结 / only with its own referral",
            )
        self._concluded(_text("outcome", outcome), actor)

    @property
    def is_closed(self) -> bool:
        """What the figures count as closed (ADR 0035): the handling ended and no reply is
        owed to a real-name reporter. A referred clue is open until its referral is done."""
        ended = self.status in (ClueStatus.CONCLUDED, ClueStatus.DISMISSED, ClueStatus.MERGED)
        return ended and not self.clock_open()

    @event(Concluded)
    def _concluded(self, outcome: str, actor: str) -> None:
        self.outcome = outcome
        self.status = ClueStatus.CONCLUDED

    # -- the reporter ---------------------------------------------------------------------

    def reply(self, text: str, channel: str, at: datetime, actor: str) -> None:
        if not self.real_name:
            raise ClueRefused("reply", self.status, "非实名举报无需答复 / no reply is owed")
        if self.replied:
            raise ClueRefused("reply", self.status, "已答复 / already replied")
        if self.status is ClueStatus.RECEIVED:
            raise ClueRefused("reply", self.status, "先分办再答复 / triage it first")
        self._replied(_text("text", text), _text("channel", channel), at, actor)

    @event(ReplyRecorded)
    def _replied(self, text: str, channel: str, at: datetime, actor: str) -> None:
        self.replied_at = at
        self.reply_channel = channel
        self.replied = True

    def reveal(self, agency_id: UUID, reason: str, at: datetime, actor: str) -> None:
        """Record that the handling agency's staff looked at the identity, and why."""
        if self.sealed_identity is None:
            raise ClueRefused("reveal", self.status, "匿名举报，无身份信息 / anonymous")
        if agency_id != self.handling_agency_id:
            raise InvalidInput("agency", "仅办理单位可查看 / only the handling agency may")
        self._revealed(agency_id, _text("reason", reason), at, actor)

    @event(ReporterRevealed)
    def _revealed(self, agency_id: UUID, reason: str, at: datetime, actor: str) -> None:
        pass

    def reseal(self, sealed: dict[str, str], actor: str) -> None:
        """Replace the sealed identity by one under another key; no-op if already on it."""
        if self.sealed_identity is None or key_id(sealed) == self.identity_key_id:
            return
        self._resealed(dict(sealed), self.identity_key_id, actor)

    @event(IdentityResealed)
    def _resealed(self, sealed_identity: dict[str, str], previous_key_id: str, actor: str) -> None:
        self.sealed_identity = dict(sealed_identity)

    # -- the reply clock (domain.clocks.Clocked) ------------------------------------------

    @property
    def clock_campaign_id(self) -> UUID | None:
        return self.campaign_id

    @property
    def clock_prefix(self) -> str:
        return f"clue:{self.id}:reply"

    def clock_open(self) -> bool:
        return self.reply_due is not None and not self.replied

    def clock_running(self) -> bool:
        return self.clock_open()

    def milestones(self, calendar: WorkingCalendar, ladder: Ladder) -> list[Milestone]:
        if self.reply_due is None or self.replied:
            return []
        return ladder_milestones(self.clock_prefix, self.reply_due, ladder, calendar)

    def period_clocks(self) -> list[PeriodClock]:
        """The reply clock as a start and a period (domain.clocks.Reschedulable)."""
        if self.reply_due is None or self.replied:
            return []
        period = Period.working_days(self.reply_days)
        return [PeriodClock("reply", self.received_at, period, self.reply_due)]

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
        self.reply_due = due


class ClueTerms(Aggregate):
    """A campaign's reply period for real-name reporters (working days)."""

    TOPIC = "rectify:ClueTerms"

    class Event(Aggregate.Event):
        TOPIC = "rectify:ClueTerms.Event"

    class Created(Aggregate.Created):
        TOPIC = "rectify:ClueTerms.Created"
        campaign_id: UUID

    class Set(Aggregate.Event):
        TOPIC = "rectify:ClueTerms.Set"
        reply_days: int
        actor: str

    @staticmethod
    def create_id(campaign_id: UUID, *_: Any, **__: Any) -> UUID:
        return clue_terms_id(campaign_id)

    @event(Created)
    def __init__(self, campaign_id: UUID) -> None:
        self.campaign_id = campaign_id
        self.reply_days = DEFAULT_REPLY_DAYS

    def set_reply_days(self, reply_days: int, actor: str) -> None:
        if not isinstance(reply_days, int) or isinstance(reply_days, bool) or reply_days < 1:
            raise InvalidInput("replyDays", f"'{reply_days}' 不是正的工作日数 / not positive")
        if reply_days > 365:
            raise InvalidInput("replyDays", f"'{reply_days}' 超过365 / over 365")
        if reply_days != self.reply_days:
            self._set(reply_days, actor)

    @event(Set)
    def _set(self, reply_days: int, actor: str) -> None:
        self.reply_days = reply_days


def clue_terms_id(campaign_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"clue-terms:{campaign_id}")


def _moves_clock(event: Any) -> bool:
    # Anonymous and unnamed reports owe no reply: no clock.
    return not isinstance(event, Clue.Received) or event.reply_due is not None


register_clocked(
    "clue",
    Clue,
    (Clue.Received.TOPIC, Clue.ReplyRecorded.TOPIC),
    CLUE_REPLY_LADDER,
    moves_clock=_moves_clock,
    closes_clock=(Clue.ReplyRecorded.TOPIC,),
)
