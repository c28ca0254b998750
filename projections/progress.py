"""The read model of campaign progress (ADR 0020): coverage targets, inspected institutions,
law-enforcement cases and the agencies owing each period's report.

No transaction here; the runner owns it. Days of recorded facts (a report's
submission, an item's opening) are the events' timestamps in CST, so every figure can be
recomputed from the log alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.campaigns import Campaign
from domain.clocks import TIMEZONE
from domain.inspections import EnforcementCase, Inspection
from domain.names import normalise_name
from domain.reporting import ReportDue
from projections.rowset import Appends, Table


def day_of(instant: datetime) -> Any:
    return instant.astimezone(TIMEZONE).date()


class ProgressProjection:
    """Folds a batch into rows in memory (projections/rowset.py): one load and one write
    per table."""

    NAME = "progress"
    TABLES: ClassVar[tuple[str, ...]] = (
        "progress_reports",
        "progress_cases",
        "progress_inspections",
        "progress_thresholds",
        "progress_targets",
    )

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.targets = Table(cursor, "progress_targets", ("campaign_id", "category_key"))
        self.thresholds = Table(cursor, "progress_thresholds", ("campaign_id",))
        self.inspections = Table(cursor, "progress_inspections", ("inspection_id",))
        self.cases = Appends(cursor, "progress_cases", ("case_id",), "nothing")
        self.reports = Table(cursor, "progress_reports", ("item_id", "agency_id"))

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        def items(*kinds: type[object]) -> list[Any]:
            return [event.originator_id for event, _ in batch if isinstance(event, kinds)]

        self.targets.load(items(Campaign.CoverageTargetSet))
        self.thresholds.load(items(Campaign.CaseThresholdSet))
        self.inspections.load(items(Inspection.Recorded, Inspection.Repeated))
        self.reports.load(items(ReportDue.Opened, ReportDue.Submitted))

    def flush(self) -> None:
        for table in (self.targets, self.thresholds, self.inspections, self.reports):
            table.flush()
        self.cases.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        item = event.originator_id
        if isinstance(event, Campaign.CoverageTargetSet):
            key = (item, normalise_name(event.category))
            _upsert(self.targets, key, category=event.category, population=event.population,
                    required_percent=event.required_percent, region=event.region)  # fmt: skip
        elif isinstance(event, Campaign.CaseThresholdSet):
            _upsert(self.thresholds, (item,), threshold=event.threshold)
        elif isinstance(event, Inspection.Recorded):
            self.inspections.insert(
                {
                    "inspection_id": item,
                    "campaign_id": event.campaign_id,
                    "category_key": normalise_name(event.category),
                    "institution": event.institution,
                    "region": event.region,
                    "first_on": event.on,
                    "last_on": event.on,
                }
            )
        elif isinstance(event, Inspection.Repeated):
            # Visits may be recorded out of date order: keep the earliest and latest days.
            if row := self.inspections.get(item):
                self.inspections.update(
                    item,
                    first_on=min(d for d in (row["first_on"], event.on) if d is not None),
                    last_on=max(d for d in (row["last_on"], event.on) if d is not None),
                )
        elif isinstance(event, EnforcementCase.Filed):
            self.cases.add(
                {
                    "case_id": item,
                    "agency_id": event.agency_id,
                    "campaign_id": event.campaign_id,
                    "filed_on": event.filed_on,
                    "number": event.number,
                }
            )
        elif isinstance(event, ReportDue.Opened):
            for agency in event.agency_ids:
                self.reports.insert(
                    {
                        "item_id": item,
                        "agency_id": agency,
                        "campaign_id": event.campaign_id,
                        "opened_on": day_of(event.timestamp),
                        "due_date": event.due_date,
                        "name": event.name,
                        "period": event.period,
                    }
                )
        elif isinstance(event, ReportDue.Submitted):
            row = self.reports.get(item, event.agency_id)
            if row is not None and row["submitted_on"] is None:
                self.reports.update(item, event.agency_id, submitted_on=day_of(event.timestamp))


def _upsert(table: Table, key: tuple[Any, ...], **values: Any) -> None:
    """As INSERT … ON CONFLICT (key) DO UPDATE SET the given columns."""
    if table.get(*key) is None:
        table.insert(dict(zip(table.key, key, strict=True)) | values)
    else:
        table.update(*key, **values)
