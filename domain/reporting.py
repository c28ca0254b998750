"""Periodic duties (定期报送): a campaign's reporting cadences and the report-due items
they create.

A `ReportingDuty` says what must be reported, by whom and when, e.g. a supervision report
by the 30th of each month (每月30日前) or a progress report at each quarter end (每季度末).
A Temporal schedule per duty (workflows/reporting.py) opens one `ReportDue` per period;
its id comes from (duty, period), so a schedule that fires twice opens it once. A report-due
item is clocked like an issue (`domain.clocks`): reminders before its due date, overdue,
then the campaign's ladder, until every agency has submitted.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import clock_recording
from domain.calendar import WorkingCalendar
from domain.clock_recording import ClockRecord
from domain.clocks import (
    DEFAULT_LADDER,
    TIMEZONE,
    Ladder,
    Milestone,
    end_of_day,
    ladder_milestones,
    register_clocked,
)
from domain.errors import InvalidInput, InvalidTransition
from domain.names import NAMESPACE, normalise_name


class CadenceKind(StrEnum):
    MONTHLY = "MONTHLY"  # by a day of every month (每月N日前)
    QUARTERLY = "QUARTERLY"  # by the last day of every quarter (每季度末)


@dataclass(frozen=True)
class Cadence:
    kind: CadenceKind
    day: int = 0  # MONTHLY: the day of the month (a shorter month ends earlier)

    def __post_init__(self) -> None:
        if self.kind is CadenceKind.MONTHLY and not 1 <= self.day <= 31:
            raise InvalidInput("day", f"'{self.day}' is not a day of the month (1–31)")

    def period(self, instant: datetime) -> tuple[str, date]:
        """The period an instant falls in (China Standard Time) and its due date."""
        local = instant.astimezone(TIMEZONE).date()
        if self.kind is CadenceKind.MONTHLY:
            last = calendar.monthrange(local.year, local.month)[1]
            return f"{local:%Y-%m}", local.replace(day=min(self.day, last))
        quarter = (local.month - 1) // 3 + 1
        month = quarter * 3
        last = calendar.monthrange(local.year, month)[1]
        return f"{local.year}-Q{quarter}", date(local.year, month, last)

    @property
    def opening_months(self) -> list[int]:
        """When the schedule opens a period's item: the 1st of these months, 00:00 CST."""
        return list(range(1, 13)) if self.kind is CadenceKind.MONTHLY else [3, 6, 9, 12]

    def describe(self) -> str:
        if self.kind is CadenceKind.MONTHLY:
            return f"每月{self.day}日前 / monthly by day {self.day}"
        return "每季度末 / by each quarter end"


def duty_id(campaign_id: UUID, name: str) -> UUID:
    return uuid5(NAMESPACE, f"reporting-duty:{campaign_id}:{normalise_name(name)}")


def report_due_id(duty: UUID, period: str) -> UUID:
    return uuid5(NAMESPACE, f"report-due:{duty}:{period}")


class ReportingDuty(Aggregate):
    TOPIC = "rectify:ReportingDuty"

    class Event(Aggregate.Event):
        TOPIC = "rectify:ReportingDuty.Event"

    class Set(Aggregate.Created):
        TOPIC = "rectify:ReportingDuty.Set"
        campaign_id: UUID
        name: str
        cadence: str
        day: int
        agency_ids: list[UUID]
        actor: str

    class Changed(Aggregate.Event):
        TOPIC = "rectify:ReportingDuty.Changed"
        cadence: str
        day: int
        agency_ids: list[UUID]
        actor: str

    class Ended(Aggregate.Event):
        TOPIC = "rectify:ReportingDuty.Ended"
        actor: str

    @staticmethod
    def create_id(campaign_id: UUID, name: str, **_: Any) -> UUID:
        return duty_id(campaign_id, name)

    @staticmethod
    def check(name: str, cadence: Cadence, agency_ids: list[UUID]) -> None:
        if not normalise_name(name):
            raise InvalidInput("name", "empty")
        if not agency_ids:
            raise InvalidInput("agencies", "at least one agency must report")

    @event(Set)
    def __init__(
        self,
        campaign_id: UUID,
        name: str,
        cadence: str,
        day: int,
        agency_ids: list[UUID],
        actor: str,
    ) -> None:
        self.campaign_id = campaign_id
        self.name = name
        self.cadence = Cadence(CadenceKind(cadence), day)
        self.agency_ids = list(agency_ids)
        self.ended = False

    def change(self, cadence: Cadence, agency_ids: list[UUID], actor: str) -> None:
        ReportingDuty.check(self.name, cadence, agency_ids)
        if (cadence, agency_ids) != (self.cadence, self.agency_ids) or self.ended:
            self._changed(cadence.kind.value, cadence.day, list(agency_ids), actor)

    @event(Changed)
    def _changed(self, cadence: str, day: int, agency_ids: list[UUID], actor: str) -> None:
        self.cadence = Cadence(CadenceKind(cadence), day)
        self.agency_ids = list(agency_ids)
        self.ended = False

    def end(self, actor: str) -> None:
        if self.ended:
            raise InvalidTransition("end a reporting duty", "ENDED")
        self._ended(actor)

    @event(Ended)
    def _ended(self, actor: str) -> None:
        self.ended = True


class ReportDue(ClockRecord, Aggregate):
    """One period's report of one duty: open until every listed agency has submitted."""

    TOPIC = "rectify:ReportDue"

    class Event(Aggregate.Event):
        TOPIC = "rectify:ReportDue.Event"

    class Opened(Aggregate.Created):
        TOPIC = "rectify:ReportDue.Opened"
        duty_id: UUID
        campaign_id: UUID
        name: str
        period: str
        due_date: date
        agency_ids: list[UUID]
        actor: str

    class Submitted(Aggregate.Event):
        TOPIC = "rectify:ReportDue.Submitted"
        agency_id: UUID
        text: str
        actor: str

    class MilestoneRecorded(clock_recording.MilestoneRecorded):
        """A reminder, overdue or escalation of the report's clock."""

        TOPIC = "rectify:ReportDue.MilestoneRecorded"

    @staticmethod
    def create_id(duty_id: UUID, period: str, **_: Any) -> UUID:
        return report_due_id(duty_id, period)

    @event(Opened)
    def __init__(
        self,
        duty_id: UUID,
        campaign_id: UUID,
        name: str,
        period: str,
        due_date: date,
        agency_ids: list[UUID],
        actor: str,
    ) -> None:
        self.duty_id = duty_id
        self.campaign_id = campaign_id
        self.name = name
        self.period = period
        self.due_date = due_date
        self.agency_ids = list(agency_ids)
        self.submitted: list[UUID] = []
        self.clock_keys: list[str] = []

    @property
    def outstanding(self) -> list[UUID]:
        return [a for a in self.agency_ids if a not in self.submitted]

    @property
    def responsible_agency_ids(self) -> list[UUID]:
        """Who is reminded and escalated: the agencies that have not reported yet."""
        return self.outstanding

    @property
    def notice_title(self) -> str:
        return f"{self.name}（{self.period}）"

    def submit(self, agency_id: UUID, text: str, actor: str) -> None:
        if agency_id not in self.agency_ids:
            raise InvalidInput("agency", "this agency does not owe this report")
        if agency_id in self.submitted:
            raise InvalidTransition("submit the report", "SUBMITTED", "already submitted")
        if not text.strip():
            raise InvalidInput("text", "empty")
        self._submitted(agency_id, text.strip(), actor)

    @event(Submitted)
    def _submitted(self, agency_id: UUID, text: str, actor: str) -> None:
        self.submitted.append(agency_id)

    # -- the clock (domain.clocks.Clocked) ----------------------------------------------

    @property
    def clock_prefix(self) -> str:
        return f"report:{self.id}"

    @property
    def clock_campaign_id(self) -> UUID | None:
        return self.campaign_id

    @property
    def clock_started_at(self) -> datetime | None:
        return self.created_on

    def clock_open(self) -> bool:
        return bool(self.outstanding)

    def clock_running(self) -> bool:
        return self.clock_open()

    def milestones(self, calendar: WorkingCalendar, ladder: Ladder) -> list[Milestone]:
        if not self.clock_open():
            return []
        due = end_of_day(self.due_date)
        return ladder_milestones(self.clock_prefix, due, ladder, calendar)


register_clocked(
    "report",
    ReportDue,
    (ReportDue.Opened.TOPIC, ReportDue.Submitted.TOPIC),
    DEFAULT_LADDER,
)
