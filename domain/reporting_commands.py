"""Commands of periodic duties, mixed into `RectifyApp`: set or end a campaign's reporting
duty, open a period's report-due item (from the duty's schedule), submit a report."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.command_results import CommandResult
from domain.reporting import Cadence, ReportDue, ReportingDuty, duty_id, report_due_id
from domain.retrying import CanRetry

if TYPE_CHECKING:
    from domain.agencies import Agency
    from domain.campaigns import Campaign

A = TypeVar("A", bound=Aggregate)
ACTOR = "system:schedule"


class _App(CanRetry, Protocol):
    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _exists(self, item_id: UUID) -> bool: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...
    def get_agency(self, item_id: UUID) -> Agency: ...
    def get_campaign(self, item_id: UUID) -> Campaign: ...


class ReportingCommands:
    def set_reporting_duty(
        self: _App,
        campaign: UUID,
        name: str,
        cadence: Cadence,
        agencies: list[UUID],
        actor: str,
    ) -> CommandResult:
        """Set a duty, or change its cadence or agencies (the schedule follows)."""

        self.get_campaign(campaign)
        for agency in agencies:
            self.get_agency(agency)
        ReportingDuty.check(name, cadence, agencies)
        item = duty_id(campaign, name)
        if self._exists(item):
            return self.retrying(
                ReportingDuty, item, lambda d: d.change(cadence, list(agencies), actor)
            )
        duty = ReportingDuty(
            campaign, name.strip(), cadence.kind.value, cadence.day, list(agencies), actor
        )
        return CommandResult(duty.id, self._save(duty))

    def end_reporting_duty(self: _App, duty: UUID, actor: str) -> CommandResult:
        return self.retrying(ReportingDuty, duty, lambda d: d.end(actor))

    def get_reporting_duty(self: _App, duty: UUID) -> ReportingDuty:
        return self._get(ReportingDuty, duty, "reporting duty")

    def open_report_due(self: _App, duty: UUID, instant: datetime) -> CommandResult:
        """The report of the period `instant` falls in, opened once however often asked."""

        found = self._get(ReportingDuty, duty, "reporting duty")
        period, due = found.cadence.period(instant)
        item = report_due_id(duty, period)
        if found.ended or self._exists(item):
            return CommandResult(item, None, changed=False)
        report = ReportDue(
            duty, found.campaign_id, found.name, period, due, list(found.agency_ids), ACTOR
        )
        try:
            return CommandResult(item, self._save(report))
        except IntegrityError:  # opened concurrently by a repeated schedule action
            return CommandResult(item, None, changed=False)

    def get_report_due(self: _App, item: UUID) -> ReportDue:
        return self._get(ReportDue, item, "report")

    def submit_report(self: _App, item: UUID, agency: UUID, text: str, actor: str) -> CommandResult:
        return self.retrying(ReportDue, item, lambda r: r.submit(agency, text, actor))
