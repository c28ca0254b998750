"""Notices (通知): who is told about a clock milestone, kept as events.

A milestone event in an item's stream (a reminder, overdue, an escalation rung, a
statutory breach — of any clocked item kind) is turned by the notifier into one `Notice`
per recipient. The notice is a fact of its own ("agency X was told about Y") with an id
derived from (item, event version, recipient), so turning the same milestone again finds
the notices already issued and adds none. The in-app inbox projects notices; delivery
channels (webhook, e-mail) send them.

A milestone event is recognised by shape, not by class, so item kinds written later need
nothing here: it belongs to an aggregate registered with `domain.clocks`, carries an
idempotency `key`, its class name ends in "Recorded", and either it states its `kind` (a
MilestoneKind value, e.g. Referral.MilestoneRecorded) or its class name says it
(ReminderRecorded, OverdueRecorded, EscalationRecorded, StatutoryBreachRecorded).

Who is told (the `addressee` of the rung, as written in the policy):
- 责任单位 (and reminders/overdue without an addressee): every responsible agency;
- 领导小组办公室: the campaign's lead agency, coordinators only (the office it hosts);
- 责任单位主要负责人 (约谈): the responsible agencies and the office, which holds the
  interview;
- 纪检监察机关 (问责): a campaign member agency named 纪委/纪检/监委, and the office;
- anything else: an agency of that name, if there is one, else the office.
A notice for the office of a campaign without a lead agency has no agency: coordinators
who speak for no agency see it.

One step is told as well, though no clock rings for it: a referral returned (退回) by its
receiver waits for the leading group office to reassign it, and its clock is silent
meanwhile, so the office gets a notice (kind `returned`) at once (ADR 0022).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.clocks import MilestoneKind, clocked_kinds
from domain.names import NAMESPACE
from domain.referrals import RETURN_LABELS, Referral, ReturnReason

COORDINATOR = "coordinator"  # the role that speaks for the leading group office
RESPONSIBLE = "责任单位"
OFFICE = "领导小组办公室"
AGENCY_HEAD = "责任单位主要负责人"
DISCIPLINE = "纪检监察机关"

_KINDS_BY_CLASS = (
    ("Reminder", MilestoneKind.REMINDER),
    ("Overdue", MilestoneKind.OVERDUE),
    ("Escalation", MilestoneKind.ESCALATION),
    ("Breach", MilestoneKind.STATUTORY_BREACH),
)


class StepKind(StrEnum):
    """Notices of a step that needs someone, not of a clock."""

    RETURNED = "returned"  # 移送被退回，待领导小组办公室重新指派


KIND_LABELS: dict[str, tuple[str, str]] = {
    MilestoneKind.REMINDER: ("到期提醒", "Reminder"),
    MilestoneKind.OVERDUE: ("已逾期", "Overdue"),
    MilestoneKind.ESCALATION: ("督办升级", "Escalation"),
    MilestoneKind.STATUTORY_BREACH: ("超过法定时限", "Statutory time limit exceeded"),
    StepKind.RETURNED: ("移送被退回", "Referral returned: to be reassigned"),
}
# Topics of the steps above, for the notifier's cheap filter before decoding.
STEP_TOPICS = frozenset({Referral.Returned.TOPIC})
RUNG_ENGLISH = {
    "督办": "supervision notice",
    "挂牌督办": "listed supervision",
    "约谈": "admonition interview",
    "问责": "accountability referral",
}


@dataclass(frozen=True)
class MilestoneRecord:
    """What a milestone event says, whatever its item kind."""

    item_kind: str
    item_id: UUID
    version: int
    key: str
    kind: MilestoneKind | StepKind
    rung: str
    addressee: str
    label: str
    at: datetime  # when it rang (the event's own time if it does not say)
    due: datetime | None


def _item_kind(event: object) -> str | None:
    cls = type(event)
    for entry in clocked_kinds():
        if getattr(entry.aggregate, cls.__name__, None) is cls:
            return entry.kind
    return None


def _kind(stated: object, class_name: str) -> MilestoneKind | None:
    """The kind the event states (one generic event class), else its class name's."""
    if isinstance(stated, str) and stated in MilestoneKind.__members__.values():
        return MilestoneKind(stated)
    return next((k for marker, k in _KINDS_BY_CLASS if marker in class_name), None)


def milestone_of(event: object) -> MilestoneRecord | None:
    """The milestone an event records, or None for any other event."""
    key = getattr(event, "key", None)
    name = type(event).__name__
    if not isinstance(key, str) or not name.endswith("Recorded"):
        return None
    kind = _kind(getattr(event, "kind", None), name)
    item_kind = _item_kind(event)
    if kind is None or item_kind is None:
        return None
    if getattr(event, "caught_up", False):
        return None  # recorded with a later rung already due: that one is the notice
    timestamp: datetime = getattr(event, "timestamp")  # noqa: B009 - every event has one
    return MilestoneRecord(
        item_kind=item_kind,
        item_id=getattr(event, "originator_id"),  # noqa: B009
        version=int(getattr(event, "originator_version")),  # noqa: B009
        key=key,
        kind=kind,
        rung=str(getattr(event, "rung", "") or ""),
        addressee=str(getattr(event, "addressee", "") or ""),
        label=str(getattr(event, "label", "") or ""),
        at=getattr(event, "at", None) or timestamp,
        due=getattr(event, "due", None),
    )


def returned_referral_of(event: object) -> MilestoneRecord | None:
    """A referral's return (退回) as a notice for the leading group office, or None."""
    if not isinstance(event, Referral.Returned):
        return None
    version = int(event.originator_version)
    return MilestoneRecord(
        item_kind="referral",
        item_id=event.originator_id,
        version=version,
        key=f"referral:{event.originator_id}:returned:v{version}",
        kind=StepKind.RETURNED,
        rung=StepKind.RETURNED.value,
        addressee=OFFICE,
        label=f"移送被退回（{RETURN_LABELS[ReturnReason(event.reason)]}），请重新指派",
        at=event.timestamp,
        due=None,
    )


def notice_of(event: object) -> MilestoneRecord | None:
    """What an event tells someone: a clock milestone, or a step that needs the office."""
    return milestone_of(event) or returned_referral_of(event)


@dataclass(frozen=True)
class ItemFacts:
    """What the notifier knows of the item at the milestone's version."""

    title: str  # e.g. 问题7：执法案件数量偏少
    responsible: tuple[UUID, ...]
    office: UUID | None  # the campaign's lead agency, host of the leading group office
    discipline: UUID | None  # a member agency of discipline inspection, if any
    named: dict[str, UUID]  # other agencies by name (for custom addressees)


@dataclass(frozen=True)
class Recipient:
    agency_id: UUID | None
    audience: str  # "" everyone of the agency; "coordinator" the office only


def recipients(milestone: MilestoneRecord, facts: ItemFacts) -> list[Recipient]:
    everyone = [Recipient(a, "") for a in facts.responsible]
    office = Recipient(facts.office, COORDINATOR)
    match milestone.addressee:
        case "" | "责任单位":
            found = everyone
        case "领导小组办公室":
            found = [office]
        case "责任单位主要负责人":
            found = [*everyone, office]
        case "纪检监察机关":
            found = [Recipient(facts.discipline, ""), office] if facts.discipline else [office]
        case other:
            named = facts.named.get(other)
            found = [Recipient(named, ""), office] if named else [office]
    unique: list[Recipient] = []
    for recipient in found:
        if recipient not in unique:
            unique.append(recipient)
    return unique


def notice_id(item_id: UUID, version: int, recipient: Recipient) -> UUID:
    return uuid5(
        NAMESPACE, f"notice:{item_id}:{version}:{recipient.agency_id}:{recipient.audience}"
    )


def title_of(milestone: MilestoneRecord, facts: ItemFacts) -> str:
    chinese, english = KIND_LABELS[milestone.kind]
    label = milestone.label or chinese
    english_label = RUNG_ENGLISH.get(milestone.label, english)
    return f"【{label}】{facts.title} / {english_label}"


def body_of(milestone: MilestoneRecord, facts: ItemFacts) -> str:
    chinese, english = KIND_LABELS[milestone.kind]
    lines = [f"{milestone.label or chinese}：{facts.title}"]
    if milestone.due is not None:
        lines.append(f"期限 / due: {milestone.due.isoformat()}")
    if milestone.addressee:
        lines.append(f"送达 / to: {milestone.addressee}")
    lines.append(
        f"{english} ({milestone.rung or milestone.kind.value}) at {milestone.at.isoformat()}"
    )
    return "\n".join(lines)


class Notice(Aggregate):
    TOPIC = "rectify:Notice"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Notice.Event"

    class Issued(Aggregate.Created):
        TOPIC = "rectify:Notice.Issued"
        item_kind: str
        item_id: UUID
        item_version: int
        milestone_key: str
        kind: str
        rung: str
        agency_id: UUID | None
        audience: str
        title: str
        body: str
        at: datetime

    @staticmethod
    def create_id(
        item_id: UUID, item_version: int, agency_id: UUID | None, audience: str, **_: Any
    ) -> UUID:
        return notice_id(item_id, item_version, Recipient(agency_id, audience))

    @event(Issued)
    def __init__(
        self,
        item_kind: str,
        item_id: UUID,
        item_version: int,
        *,
        milestone_key: str,
        kind: str,
        rung: str,
        agency_id: UUID | None,
        audience: str,
        title: str,
        body: str,
        at: datetime,
    ) -> None:
        self.item_kind = item_kind
        self.item_id = item_id
        self.agency_id = agency_id
        self.audience = audience
        self.kind = kind
        self.title = title


def notices_for(
    milestone: MilestoneRecord, facts: ItemFacts, issued: Callable[[UUID], bool]
) -> list[Notice]:
    """The notices of a milestone not `issued` yet (by id), as new aggregates."""
    return [
        Notice(
            milestone.item_kind,
            milestone.item_id,
            milestone.version,
            milestone_key=milestone.key,
            kind=milestone.kind.value,
            rung=milestone.rung,
            agency_id=recipient.agency_id,
            audience=recipient.audience,
            title=title_of(milestone, facts),
            body=body_of(milestone, facts),
            at=milestone.at,
        )
        for recipient in recipients(milestone, facts)
        if not issued(notice_id(milestone.item_id, milestone.version, recipient))
    ]
