"""Inspections (检查) of institutions and administrative law-enforcement cases (行政处罚立案).

Both have natural-key ids so that a repeat finds the same stream: an institution inspected
twice in a campaign is one stream with two visits (coverage counts it once), and a case number
is unique per filing agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.messages import says
from domain.names import NAMESPACE, normalise_name


def inspection_id(campaign: UUID, category: str, institution: str) -> UUID:
    return uuid5(
        NAMESPACE, f"inspection:{campaign}:{normalise_name(category)}:{normalise_name(institution)}"
    )


def enforcement_case_id(agency: UUID, number: str) -> UUID:
    return uuid5(NAMESPACE, f"enforcement-case:{agency}:{normalise_name(number)}")


@dataclass(frozen=True)
class Visit:
    agency_id: UUID
    on: date
    findings: str


class Inspection(Aggregate):
    TOPIC = "rectify:Inspection"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Inspection.Event"

    class Recorded(Aggregate.Created):
        TOPIC = "rectify:Inspection.Recorded"
        campaign_id: UUID
        institution: str
        category: str
        region: str | None
        agency_id: UUID
        on: date
        findings: str
        actor: str

    class Repeated(Aggregate.Event):
        TOPIC = "rectify:Inspection.Repeated"
        agency_id: UUID
        on: date
        findings: str
        actor: str

    @staticmethod
    def create_id(campaign_id: UUID, institution: str, category: str, *_: Any, **__: Any) -> UUID:
        return inspection_id(campaign_id, category, institution)

    @staticmethod
    def check(institution: str, category: str) -> None:
        if not normalise_name(institution):
            raise InvalidInput("institution", says("institution_unnamed"))
        if not normalise_name(category):
            raise InvalidInput("category", says("category_empty"))

    @event(Recorded)
    def __init__(
        self,
        campaign_id: UUID,
        institution: str,
        category: str,
        region: str | None,
        agency_id: UUID,
        on: date,
        findings: str,
        actor: str,
    ) -> None:
        self.campaign_id = campaign_id
        self.institution = institution
        self.category = category
        self.region = region
        self.visits = [Visit(agency_id, on, findings)]

    def repeat(self, agency_id: UUID, on: date, findings: str, actor: str) -> None:
        """A further visit; the same visit recorded again (a retry) is a no-op."""
        if Visit(agency_id, on, findings) not in self.visits:
            self._repeat(agency_id, on, findings, actor)

    @event(Repeated)
    def _repeat(self, agency_id: UUID, on: date, findings: str, actor: str) -> None:
        self.visits.append(Visit(agency_id, on, findings))


class EnforcementCase(Aggregate):
    TOPIC = "rectify:EnforcementCase"

    class Event(Aggregate.Event):
        TOPIC = "rectify:EnforcementCase.Event"

    class Filed(Aggregate.Created):
        TOPIC = "rectify:EnforcementCase.Filed"
        agency_id: UUID
        number: str
        filed_on: date
        campaign_id: UUID | None
        actor: str

    @staticmethod
    def create_id(agency_id: UUID, number: str, *_: Any, **__: Any) -> UUID:
        return enforcement_case_id(agency_id, number)

    @staticmethod
    def check(number: str) -> None:
        if not normalise_name(number):
            raise InvalidInput("number", says("case_number_empty"))

    @event(Filed)
    def __init__(
        self, agency_id: UUID, number: str, filed_on: date, campaign_id: UUID | None, actor: str
    ) -> None:
        self.agency_id = agency_id
        self.number = number
        self.filed_on = filed_on
        self.campaign_id = campaign_id

    def same_filing(self, filed_on: date, campaign_id: UUID | None) -> bool:
        return self.filed_on == filed_on and self.campaign_id == campaign_id
