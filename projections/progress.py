"""The read model of campaign progress (ADR 0020): coverage targets, inspected institutions,
law-enforcement cases and the agencies owing each period's report.

Statements only; the runner owns the transaction. Days of recorded facts (a report's
submission, an item's opening) are the events' timestamps in CST, so every figure can be
recomputed from the log alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.campaigns import Campaign
from domain.clocks import TIMEZONE
from domain.inspections import EnforcementCase, Inspection
from domain.names import normalise_name
from domain.reporting import ReportDue


def day_of(instant: datetime) -> Any:
    return instant.astimezone(TIMEZONE).date()


class ProgressProjection:
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

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        item = event.originator_id
        if isinstance(event, Campaign.CoverageTargetSet):
            self.cur.execute(
                "INSERT INTO progress_targets (campaign_id, category_key, category, population,"
                " required_percent, region) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (campaign_id, category_key) DO UPDATE SET category ="
                " EXCLUDED.category, population = EXCLUDED.population, required_percent ="
                " EXCLUDED.required_percent, region = EXCLUDED.region",
                (item, normalise_name(event.category), event.category, event.population,
                 event.required_percent, event.region),
            )  # fmt: skip
        elif isinstance(event, Campaign.CaseThresholdSet):
            self.cur.execute(
                "INSERT INTO progress_thresholds (campaign_id, threshold) VALUES (%s, %s)"
                " ON CONFLICT (campaign_id) DO UPDATE SET threshold = EXCLUDED.threshold",
                (item, event.threshold),
            )
        elif isinstance(event, Inspection.Recorded):
            self.cur.execute(
                "INSERT INTO progress_inspections (inspection_id, campaign_id, category_key,"
                " institution, region, first_on, last_on) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (inspection_id) DO NOTHING",
                (item, event.campaign_id, normalise_name(event.category), event.institution,
                 event.region, event.on, event.on),
            )  # fmt: skip
        elif isinstance(event, Inspection.Repeated):
            # Visits may be recorded out of date order: keep the earliest and latest days.
            self.cur.execute(
                "UPDATE progress_inspections SET first_on = LEAST(first_on, %s),"
                " last_on = GREATEST(last_on, %s) WHERE inspection_id = %s",
                (event.on, event.on, item),
            )
        elif isinstance(event, EnforcementCase.Filed):
            self.cur.execute(
                "INSERT INTO progress_cases (case_id, agency_id, campaign_id, filed_on, number)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (case_id) DO NOTHING",
                (item, event.agency_id, event.campaign_id, event.filed_on, event.number),
            )
        elif isinstance(event, ReportDue.Opened):
            for agency in event.agency_ids:
                self.cur.execute(
                    "INSERT INTO progress_reports (item_id, agency_id, campaign_id, opened_on,"
                    " due_date, name, period) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (item_id, agency_id) DO NOTHING",
                    (item, agency, event.campaign_id, day_of(event.timestamp), event.due_date,
                     event.name, event.period),
                )  # fmt: skip
        elif isinstance(event, ReportDue.Submitted):
            self.cur.execute(
                "UPDATE progress_reports SET submitted_on = %s"
                " WHERE item_id = %s AND agency_id = %s AND submitted_on IS NULL",
                (day_of(event.timestamp), item, event.agency_id),
            )
