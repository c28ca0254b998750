"""Commands of campaign progress, mixed into `RectifyApp`: coverage targets, the case
threshold, inspections and law-enforcement cases."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.calendar import check_supported_date
from domain.campaigns import Campaign, CoverageTarget
from domain.command_results import CommandResult
from domain.errors import InvalidInput
from domain.inspections import (
    EnforcementCase,
    Inspection,
    enforcement_case_id,
    inspection_id,
)
from domain.retrying import CanRetry

if TYPE_CHECKING:
    from domain.agencies import Agency

A = TypeVar("A", bound=Aggregate)


class _App(CanRetry, Protocol):
    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _exists(self, item_id: UUID) -> bool: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...
    def get_agency(self, item_id: UUID) -> Agency: ...
    def get_campaign(self, item_id: UUID) -> Campaign: ...


class InspectionCommands:
    def set_coverage_target(
        self: _App,
        campaign: UUID,
        category: str,
        population: int,
        required_percent: int,
        actor: str,
        region: str | None = None,
    ) -> CommandResult:
        target = CoverageTarget(category, population, required_percent, region)
        return self.retrying(Campaign, campaign, lambda c: c.set_coverage_target(target, actor))

    def set_case_threshold(self: _App, campaign: UUID, threshold: int, actor: str) -> CommandResult:
        return self.retrying(Campaign, campaign, lambda c: c.set_case_threshold(threshold, actor))

    def record_inspection(
        self: _App,
        campaign: UUID,
        institution: str,
        category: str,
        agency: UUID,
        on: date,
        findings: str,
        actor: str,
        region: str | None = None,
    ) -> CommandResult:
        """The first inspection of an institution opens its stream; later ones add a visit."""

        check_supported_date("on", on)
        self.get_campaign(campaign)
        self.get_agency(agency)
        Inspection.check(institution, category)
        item_id = inspection_id(campaign, category, institution)
        if self._exists(item_id):
            return self.retrying(
                Inspection, item_id, lambda i: i.repeat(agency, on, findings, actor)
            )
        clean_region = region.strip() if region and region.strip() else None
        inspection = Inspection(
            campaign, institution.strip(), category.strip(), clean_region, agency, on,
            findings, actor,
        )  # fmt: skip
        return CommandResult(inspection.id, self._save(inspection))

    def file_enforcement_case(
        self: _App,
        agency: UUID,
        number: str,
        filed_on: date,
        actor: str,
        campaign: UUID | None = None,
    ) -> CommandResult:
        """A case number is unique per agency: the same filing again is a no-op (a retry), the
        same number with another date or campaign is refused."""

        check_supported_date("filedOn", filed_on)
        self.get_agency(agency)
        if campaign is not None:
            self.get_campaign(campaign)
        EnforcementCase.check(number)
        item_id = enforcement_case_id(agency, number)
        if self._exists(item_id):
            existing = self._get(EnforcementCase, item_id, "enforcement case")
            if existing.same_filing(filed_on, campaign):
                return CommandResult(item_id, None, changed=False)
            raise InvalidInput(
                "number",
                f"案号 {number} 已由本单位立案 / case {number} is already filed by this agency",
            )
        case = EnforcementCase(agency, number.strip(), filed_on, campaign, actor)
        return CommandResult(case.id, self._save(case))
