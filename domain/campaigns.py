"""Campaigns (专项整治行动): title, lead agency, member agencies, phases with dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.messages import says
from domain.names import campaign_id

DEFAULT_CASE_THRESHOLD = 10


class ExtensionApprovers(StrEnum):
    """Who decides on a request for more time (延期审批) in a campaign."""

    LEADERSHIP = "leadership"  # 领导小组 only: the default, as a deadline is a leader's promise
    LEADERSHIP_OR_OFFICE = "leadership_or_office"  # 领导或领导小组办公室（协调办）


EXTENSION_APPROVER_LABELS = {
    ExtensionApprovers.LEADERSHIP: "仅领导",
    ExtensionApprovers.LEADERSHIP_OR_OFFICE: "领导或领导小组办公室",
}


@dataclass(frozen=True)
class CoverageTarget:
    """Inspect `required_percent` % of the `population` institutions of a category (in scope)."""

    category: str
    population: int
    required_percent: int
    region: str | None = None


@dataclass(frozen=True)
class Phase:
    name: str
    starts: date
    ends: date


class Campaign(Aggregate):
    TOPIC = "rectify:Campaign"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Campaign.Event"

    class Launched(Aggregate.Created):
        TOPIC = "rectify:Campaign.Launched"
        title: str
        lead_agency_id: UUID | None
        actor: str

    class LeadAgencyAssigned(Aggregate.Event):
        TOPIC = "rectify:Campaign.LeadAgencyAssigned"
        agency_id: UUID
        actor: str

    class MemberAdded(Aggregate.Event):
        TOPIC = "rectify:Campaign.MemberAdded"
        agency_id: UUID
        actor: str

    class PhaseScheduled(Aggregate.Event):
        TOPIC = "rectify:Campaign.PhaseScheduled"
        phase: Phase
        actor: str

    class CoverageTargetSet(Aggregate.Event):
        TOPIC = "rectify:Campaign.CoverageTargetSet"
        category: str
        population: int
        required_percent: int
        region: str | None
        actor: str

    class CaseThresholdSet(Aggregate.Event):
        TOPIC = "rectify:Campaign.CaseThresholdSet"
        threshold: int
        actor: str

    class ExtensionApproversSet(Aggregate.Event):
        TOPIC = "rectify:Campaign.ExtensionApproversSet"
        approvers: str  # an ExtensionApprovers value
        actor: str

    class EvidenceRequirementSet(Aggregate.Event):
        TOPIC = "rectify:Campaign.EvidenceRequirementSet"
        required: bool
        actor: str

    @staticmethod
    def create_id(title: str, *_: Any, **__: Any) -> UUID:
        return campaign_id(title)

    @event(Launched)
    def __init__(self, title: str, lead_agency_id: UUID | None, actor: str) -> None:
        self.title = title
        self.lead_agency_id = lead_agency_id
        self.member_agency_ids: list[UUID] = []
        self.phases: list[Phase] = []
        self.coverage_targets: list[CoverageTarget] = []
        self.case_threshold = DEFAULT_CASE_THRESHOLD
        self.extension_approvers = ExtensionApprovers.LEADERSHIP
        self.evidence_required = False

    def assign_lead(self, agency_id: UUID, actor: str) -> None:
        """The lead agency (牵头单位) is also a member; assigning the same lead is a no-op."""
        if agency_id != self.lead_agency_id:
            self._assign_lead(agency_id, actor)
        self.add_member(agency_id, actor)

    @event(LeadAgencyAssigned)
    def _assign_lead(self, agency_id: UUID, actor: str) -> None:
        self.lead_agency_id = agency_id

    def add_member(self, agency_id: UUID, actor: str) -> None:
        if agency_id not in self.member_agency_ids:
            self._add_member(agency_id, actor)

    @event(MemberAdded)
    def _add_member(self, agency_id: UUID, actor: str) -> None:
        self.member_agency_ids.append(agency_id)

    def schedule_phase(self, phase: Phase, actor: str) -> None:
        """Phases (动员部署, 自查自纠, 集中整治, 巩固提升 …) by name; rescheduling one replaces
        its dates. Phases may not overlap: each day of a campaign is in at most one phase."""
        if not phase.name.strip():
            raise InvalidInput("phase", says("phase_unnamed"))
        if phase.ends < phase.starts:
            raise InvalidInput("phase", says("phase_ends_before", name=phase.name))
        for other in self.phases:
            if (
                other.name != phase.name
                and other.starts <= phase.ends
                and phase.starts <= other.ends
            ):
                raise InvalidInput(
                    "phase",
                    says("phase_overlaps", name=phase.name, other=other.name),
                )
        if phase in self.phases:
            return
        self._schedule_phase(phase, actor)

    def phase_on(self, day: date) -> Phase | None:
        return next((p for p in self.phases if p.starts <= day <= p.ends), None)

    @event(PhaseScheduled)
    def _schedule_phase(self, phase: Phase, actor: str) -> None:
        self.phases = [p for p in self.phases if p.name != phase.name] + [phase]
        self.phases.sort(key=lambda p: p.starts)

    # Events recorded before coverage targets existed leave these attributes unset.
    def targets(self) -> list[CoverageTarget]:
        return list(getattr(self, "coverage_targets", []))

    def set_coverage_target(self, target: CoverageTarget, actor: str) -> None:
        """One target per category: setting a category again replaces it; the same is a no-op."""
        category = target.category.strip()
        if not category:
            raise InvalidInput("category", says("category_empty"))
        if target.population < 1:
            raise InvalidInput("population", says("population_min"))
        if not 1 <= target.required_percent <= 100:
            raise InvalidInput("requiredPercent", says("percent_range"))
        region = target.region.strip() if target.region and target.region.strip() else None
        clean = CoverageTarget(category, target.population, target.required_percent, region)
        if clean in self.targets():
            return
        self._set_coverage_target(
            clean.category, clean.population, clean.required_percent, clean.region, actor
        )

    @event(CoverageTargetSet)
    def _set_coverage_target(
        self, category: str, population: int, required_percent: int, region: str | None, actor: str
    ) -> None:
        target = CoverageTarget(category, population, required_percent, region)
        self.coverage_targets = [t for t in self.targets() if t.category != category] + [target]

    def set_case_threshold(self, threshold: int, actor: str) -> None:
        """Counties with fewer than `threshold` cases a year are named; the same is a no-op."""
        if threshold < 1:
            raise InvalidInput("threshold", says("threshold_min"))
        if threshold != getattr(self, "case_threshold", DEFAULT_CASE_THRESHOLD):
            self._set_case_threshold(threshold, actor)

    @event(CaseThresholdSet)
    def _set_case_threshold(self, threshold: int, actor: str) -> None:
        self.case_threshold = threshold

    # Campaigns launched before these rules existed replay without the attributes.
    def approvers(self) -> ExtensionApprovers:
        return ExtensionApprovers(
            getattr(self, "extension_approvers", ExtensionApprovers.LEADERSHIP)
        )

    def requires_evidence(self) -> bool:
        return bool(getattr(self, "evidence_required", False))

    def set_extension_approvers(self, approvers: str, actor: str) -> None:
        """Who may approve or deny extensions in this campaign; the same rule is a no-op."""
        try:
            rule = ExtensionApprovers(approvers.strip().lower())
        except ValueError:
            known = " / ".join(a.value for a in ExtensionApprovers)
            message = says("unknown_approvers", given=repr(approvers), known=known)
            raise InvalidInput("approvers", message) from None
        if rule is not self.approvers():
            self._set_extension_approvers(rule.value, actor)

    @event(ExtensionApproversSet)
    def _set_extension_approvers(self, approvers: str, actor: str) -> None:
        self.extension_approvers = ExtensionApprovers(approvers)

    def require_evidence(self, required: bool, actor: str) -> None:
        """Whether sign-off needs an uploaded file in the issue's progress reports."""
        if required != self.requires_evidence():
            self._require_evidence(required, actor)

    @event(EvidenceRequirementSet)
    def _require_evidence(self, required: bool, actor: str) -> None:
        self.evidence_required = required
