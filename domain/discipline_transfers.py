"""Transfers to discipline inspection and supervision (移送纪检监察机关).

When an agency finds that a public official (公职人员) or a party member (党员) may have
broken discipline or the law — a doctor who is a party member taking kickbacks — it
passes the clue to the discipline inspection and supervision commission (纪委监委), which
decides for itself ("one case, several investigations" 一案多查):

    SENT ──receive──► RECEIVED ──decide──► DECIDED

No statutory period is given for these steps (domain.md item 5 times only the criminal
transfer), so nothing here is clocked.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain.case_transfers import WrongTransferAgency
from domain.errors import InvalidInput, InvalidTransition
from domain.messages import says
from domain.names import NAMESPACE


class DisciplineStatus(StrEnum):
    SENT = "SENT"  # 已移送，待纪检监察机关接收
    RECEIVED = "RECEIVED"  # 已接收，待处置决定
    DECIDED = "DECIDED"  # 已作出处置决定


STATUS_LABELS = {
    DisciplineStatus.SENT: "待接收",
    DisciplineStatus.RECEIVED: "待处置",
    DisciplineStatus.DECIDED: "已处置",
}


class PersonCategory(StrEnum):
    PUBLIC_OFFICIAL = "PUBLIC_OFFICIAL"  # 公职人员
    PARTY_MEMBER = "PARTY_MEMBER"  # 党员
    BOTH = "BOTH"  # 党员、公职人员


class DisciplineOutcome(StrEnum):
    OPENED = "OPENED"  # 立案审查调查
    PRELIMINARY_CHECK = "PRELIMINARY_CHECK"  # 初步核实
    NOT_OPENED = "NOT_OPENED"  # 不予立案 / 予以了结


ACTION_LABELS = {"receive": "接收", "decide": "作出处置决定"}


class DisciplineRefused(InvalidTransition):
    def __init__(self, action: str, current_state: DisciplineStatus) -> None:
        super().__init__(
            action,
            current_state.value,
            kind="discipline transfer",
            state_label=STATUS_LABELS[current_state],
            action_label=ACTION_LABELS.get(action, action),
        )


def discipline_transfer_id(key: str | None = None) -> UUID:
    return uuid5(NAMESPACE, f"discipline-transfer:{key}") if key else uuid4()


class DisciplineTransfer(Aggregate):
    TOPIC = "rectify:DisciplineTransfer"

    class Event(Aggregate.Event):
        TOPIC = "rectify:DisciplineTransfer.Event"

    class Sent(Aggregate.Created):
        TOPIC = "rectify:DisciplineTransfer.Sent"
        agency_id: UUID
        agency_name: str
        commission_id: UUID
        commission_name: str
        person: str
        category: str
        facts: str
        attachments: list[str]
        case_transfer_id: UUID | None  # the criminal transfer of the same facts, if any
        campaign_id: UUID | None
        at: datetime
        actor: str

    class Received(Aggregate.Event):
        TOPIC = "rectify:DisciplineTransfer.Received"
        agency_id: UUID
        at: datetime
        actor: str

    class Decided(Aggregate.Event):
        TOPIC = "rectify:DisciplineTransfer.Decided"
        agency_id: UUID
        outcome: str
        detail: str
        at: datetime
        actor: str

    @event(Sent)
    def __init__(
        self,
        id: UUID,
        agency_id: UUID,
        agency_name: str,
        commission_id: UUID,
        commission_name: str,
        person: str,
        category: str,
        facts: str,
        attachments: list[str],
        case_transfer_id: UUID | None,
        campaign_id: UUID | None,
        at: datetime,
        actor: str,
    ) -> None:
        self.agency_id = agency_id
        self.agency_name = agency_name
        self.commission_id = commission_id
        self.commission_name = commission_name
        self.person = person
        self.category = PersonCategory(category)
        self.facts = facts
        self.attachments = list(attachments)
        self.case_transfer_id = case_transfer_id
        self.campaign_id = campaign_id
        self.status = DisciplineStatus.SENT
        self.outcome: DisciplineOutcome | None = None

    @staticmethod
    def check(agency_id: UUID, commission_id: UUID, person: str, facts: str) -> None:
        if agency_id == commission_id:
            raise InvalidInput("commission", says("transfer_to_oneself"))
        for field, value in (("person", person), ("facts", facts)):
            if not value.strip():
                raise InvalidInput(field, says("empty"))

    def _require(self, action: str, allowed: DisciplineStatus, agency_id: UUID) -> None:
        if self.status is not allowed:
            raise DisciplineRefused(action, self.status)
        if agency_id != self.commission_id:
            raise WrongTransferAgency(action, self.commission_name)

    def receive(self, agency_id: UUID, at: datetime, actor: str) -> None:
        self._require("receive", DisciplineStatus.SENT, agency_id)
        self._received(agency_id, at, actor)

    @event(Received)
    def _received(self, agency_id: UUID, at: datetime, actor: str) -> None:
        self.status = DisciplineStatus.RECEIVED

    def decide(
        self, agency_id: UUID, outcome: DisciplineOutcome, detail: str, at: datetime, actor: str
    ) -> None:
        self._require("decide", DisciplineStatus.RECEIVED, agency_id)
        if outcome is DisciplineOutcome.NOT_OPENED and not detail.strip():
            raise InvalidInput("detail", says("refusal_needs_reasons"))
        self._decided(agency_id, outcome.value, detail.strip(), at, actor)

    @event(Decided)
    def _decided(
        self, agency_id: UUID, outcome: str, detail: str, at: datetime, actor: str
    ) -> None:
        self.status = DisciplineStatus.DECIDED
        self.outcome = DisciplineOutcome(outcome)
