"""The ledger projection: each event of the log becomes rows of the read tables.

No transaction here; the runner owns it, so the rows of a whole batch and its tracking
position are committed together or not at all. The batch is folded in memory and written
with a few statements per table (projections/rowset.py, ADR 0052).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.agencies import Agency
from domain.campaigns import Campaign
from domain.deadlines import Deadline
from domain.issues import IssueStatus, extended_deadline
from domain.issues import RectificationIssue as Issue
from projections.rowset import AgencyNames, Appends, Table, begun
from projections.summaries import summarise

_AGENCY = (Agency.Registered, Agency.Event)
_CAMPAIGN = (Campaign.Launched, Campaign.Event)
_ISSUE = (Issue.Registered, Issue.Event)

NO_EXTENSION_PENDING: dict[str, Any] = {
    "pending_extension_due": None,
    "pending_extension_text": None,
}


class LedgerProjection:
    """Dispatches on the event's class."""

    TABLES: ClassVar[tuple[str, ...]] = (
        "issue_history",
        "issue_responsibilities",
        "issues",
        "campaigns",
        "agencies",
    )

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.agency_name = AgencyNames(cursor)
        self.agencies = Table(cursor, "agencies", ("id",))
        self.campaigns = Table(cursor, "campaigns", ("id",))
        self.issues = Table(cursor, "issues", ("id",))
        self.responsibilities = Appends(
            cursor, "issue_responsibilities", ("issue_id", "agency_id"), "nothing"
        )
        self.history = Appends(cursor, "issue_history", ("issue_id", "version"), "error")

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        """Load, in one statement per table, the rows the batch's events change."""
        events = [event for event, _ in batch]
        issues = [e for e in events if isinstance(e, _ISSUE)]
        new = begun(issues)  # registered in this batch: nothing to load or to look up
        self.issues.fresh(new)
        self.responsibilities.fresh(new)
        self.agencies.load(e.originator_id for e in events if isinstance(e, _AGENCY))
        self.campaigns.load(e.originator_id for e in events if isinstance(e, _CAMPAIGN))
        self.issues.load(e.originator_id for e in issues)
        self.agency_name.load(e.agency_id for e in events if isinstance(e, Issue.ProgressReported))

    def flush(self) -> None:
        for table in (self.agencies, self.campaigns, self.issues):
            table.flush()
        self.responsibilities.flush()
        self.history.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        match event:
            case Agency.Registered():
                self.agencies.insert(
                    {
                        "id": event.originator_id,
                        "name": event.name,
                        "kind": event.kind,
                        "level": event.level,
                    },
                    "error",
                )
                self.agency_name.known[event.originator_id] = event.name
            case Agency.AliasAdded():
                if row := self.agencies.get(event.originator_id):
                    self.agencies.update(
                        event.originator_id, aliases=[*row["aliases"], event.alias]
                    )
            case Agency.RegionAssigned():
                self.agencies.update(event.originator_id, region=event.region)
            case Campaign.Launched():
                self.campaigns.insert(
                    {
                        "id": event.originator_id,
                        "title": event.title,
                        "lead_agency_id": event.lead_agency_id,
                        "registered_at": event.timestamp,
                    },
                    "error",
                )
            case Campaign.LeadAgencyAssigned():
                self.campaigns.update(event.originator_id, lead_agency_id=event.agency_id)
            case Campaign.MemberAdded():
                row = self.campaigns.get(event.originator_id)
                if row is not None and event.agency_id not in row["member_ids"]:
                    members = [*row["member_ids"], event.agency_id]
                    self.campaigns.update(event.originator_id, member_ids=members)
            case Campaign.PhaseScheduled():
                self._phase_scheduled(event)
            case Issue.Event() | Issue.Registered():
                self._issue_event(event, position)

    def _phase_scheduled(self, event: Campaign.PhaseScheduled) -> None:
        """Replace the phase of that name, keep the list in date order (as the aggregate)."""
        row = self.campaigns.get(event.originator_id)
        if row is None:
            return
        phase = event.phase
        entry = {
            "name": phase.name,
            "starts": phase.starts.isoformat(),
            "ends": phase.ends.isoformat(),
        }
        phases = [p for p in row["phases"] if p["name"] != phase.name] + [entry]
        phases.sort(key=lambda p: str(p["starts"]))
        self.campaigns.update(event.originator_id, phases=phases)

    def _issue_event(self, event: Any, position: int) -> None:
        if isinstance(event, Issue.Registered):
            self._issue_registered(event, position)
        elif row := self.issues.get(event.originator_id):
            changes = self._issue_changes(event)
            if changes.pop("cycle", None) is not None:
                changes["cycle"] = row["cycle"] + 1
            self.issues.update(
                event.originator_id, updated_at=event.timestamp, last_position=position, **changes
            )
        self.history.add(
            {
                "issue_id": event.originator_id,
                "version": event.originator_version,
                "at": event.timestamp,
                "type": type(event).__name__,
                "actor": event.actor,
                "summary": summarise(event, self.agency_name),
                "position": position,
            }
        )

    def _issue_registered(self, event: Issue.Registered, position: int) -> None:
        self.issues.insert(
            {
                "id": event.originator_id,
                "campaign_id": event.campaign_id,
                "number": event.number,
                "problem": event.problem,
                "measures": list(event.measures),
                "status": IssueStatus.OPEN.value,
                "lead_agency_id": event.lead_agency_id,
                "cycle": 1,
                "registered_at": event.timestamp,
                "updated_at": event.timestamp,
                "registered_position": position,
                "last_position": position,
                **self._deadline(event.deadline),
            },
            "error",
        )
        roles = [(event.lead_agency_id, "LEAD")] + [(a, "CO") for a in event.co_agency_ids]
        for ordinal, (agency, role) in enumerate(roles):
            self.responsibilities.add(
                {
                    "issue_id": event.originator_id,
                    "agency_id": agency,
                    "role": role,
                    "ordinal": ordinal,
                }
            )

    @staticmethod
    def _deadline(deadline: Deadline) -> dict[str, Any]:
        return {
            "deadline_kind": deadline.kind.value,
            "due_date": deadline.due_date,
            "deadline_text": deadline.text,
        }

    def _issue_changes(self, event: Any) -> dict[str, Any]:
        """Columns an issue event changes (besides updated_at and last_position)."""
        match event:
            case Issue.SubmittedForVerification():
                return {"status": IssueStatus.SUBMITTED.value}
            case Issue.SignedOff():
                return {
                    "status": IssueStatus.CLOSED.value,
                    "closed_at": event.timestamp,
                    **NO_EXTENSION_PENDING,
                }
            case Issue.Rejected():
                return {"status": IssueStatus.OPEN.value}
            case Issue.ExtensionRequested():
                return {
                    "pending_extension_due": event.requested.due_date,
                    "pending_extension_text": event.requested.text,
                }
            case Issue.ExtensionApproved():
                # extensions recorded before the ledger's wording was kept get it here too
                extended = extended_deadline(event.previous, event.deadline)
                return {**self._deadline(extended), **NO_EXTENSION_PENDING}
            case Issue.ExtensionDenied():
                return NO_EXTENSION_PENDING
            case Issue.Reopened():
                return {
                    "status": IssueStatus.OPEN.value,
                    "closed_at": None,
                    "cycle": _NEXT_CYCLE,
                    **self._deadline(event.deadline),
                }
        return {}


# The issue's next review cycle (its cycle + 1), worked out against the row.
_NEXT_CYCLE = object()
