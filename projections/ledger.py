"""The ledger projection: each event of the log becomes rows of the read tables.

Statements only; the runner owns the transaction, so the rows of a whole batch and its
tracking position are committed together or not at all.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.agencies import Agency
from domain.campaigns import Campaign
from domain.deadlines import Deadline
from domain.issues import IssueStatus, extended_deadline
from domain.issues import RectificationIssue as Issue
from projections.summaries import summarise

NO_EXTENSION_PENDING: dict[str, Any] = {
    "pending_extension_due": None,
    "pending_extension_text": None,
}


class LedgerProjection:
    """Dispatches on the event's class. Agency names are cached for the summaries."""

    TABLES: ClassVar[tuple[str, ...]] = (
        "issue_history",
        "issue_responsibilities",
        "issues",
        "campaigns",
        "agencies",
    )

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self._names: dict[UUID, str] = {}

    def agency_name(self, agency_id: UUID) -> str:
        if agency_id not in self._names:
            row = self.cur.execute("SELECT name FROM agencies WHERE id = %s", (agency_id,))
            found = row.fetchone()
            self._names[agency_id] = found[0] if found else str(agency_id)
        return self._names[agency_id]

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        match event:
            case Agency.Registered():
                self._agency_registered(event)
            case Agency.AliasAdded():
                self.cur.execute(
                    "UPDATE agencies SET aliases = array_append(aliases, %s) WHERE id = %s",
                    (event.alias, event.originator_id),
                )
            case Agency.RegionAssigned():
                self.cur.execute(
                    "UPDATE agencies SET region = %s WHERE id = %s",
                    (event.region, event.originator_id),
                )
            case Campaign.Launched():
                self.cur.execute(
                    "INSERT INTO campaigns (id, title, lead_agency_id, registered_at)"
                    " VALUES (%s, %s, %s, %s)",
                    (event.originator_id, event.title, event.lead_agency_id, event.timestamp),
                )
            case Campaign.LeadAgencyAssigned():
                self.cur.execute(
                    "UPDATE campaigns SET lead_agency_id = %s WHERE id = %s",
                    (event.agency_id, event.originator_id),
                )
            case Campaign.MemberAdded():
                self.cur.execute(
                    "UPDATE campaigns SET member_ids = array_append(member_ids, %s)"
                    " WHERE id = %s AND NOT %s = ANY(member_ids)",
                    (event.agency_id, event.originator_id, event.agency_id),
                )
            case Campaign.PhaseScheduled():
                self._phase_scheduled(event)
            case Issue.Event() | Issue.Registered():
                self._issue_event(event, position)

    def _phase_scheduled(self, event: Campaign.PhaseScheduled) -> None:
        """Replace the phase of that name, keep the list in date order (as the aggregate)."""
        phase = event.phase
        self.cur.execute(
            "UPDATE campaigns SET phases = ("
            "  SELECT coalesce(jsonb_agg(p ORDER BY p->>'starts'), '[]'::jsonb) FROM ("
            "    SELECT p FROM jsonb_array_elements(phases) p WHERE p->>'name' <> %s"
            "    UNION ALL SELECT %s::jsonb) AS s)"
            " WHERE id = %s",
            (
                phase.name,
                Jsonb(
                    {
                        "name": phase.name,
                        "starts": phase.starts.isoformat(),
                        "ends": phase.ends.isoformat(),
                    }
                ),
                event.originator_id,
            ),
        )

    def _agency_registered(self, event: Agency.Registered) -> None:
        self.cur.execute(
            "INSERT INTO agencies (id, name, kind, level) VALUES (%s, %s, %s, %s)",
            (event.originator_id, event.name, event.kind, event.level),
        )
        self._names[event.originator_id] = event.name

    def _issue_event(self, event: Any, position: int) -> None:
        if isinstance(event, Issue.Registered):
            self._issue_registered(event, position)
        else:
            changes = self._issue_changes(event)
            assignments = "".join(
                f", {column} = {value}" if isinstance(value, _Sql) else f", {column} = %s"
                for column, value in changes.items()
            )
            params = [v for v in changes.values() if not isinstance(v, _Sql)]
            self.cur.execute(
                f"UPDATE issues SET updated_at = %s, last_position = %s{assignments} WHERE id = %s",
                (event.timestamp, position, *params, event.originator_id),
            )
        self.cur.execute(
            "INSERT INTO issue_history (issue_id, version, at, type, actor, summary, position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.originator_version,
                event.timestamp,
                type(event).__name__,
                event.actor,
                summarise(event, self.agency_name),
                position,
            ),
        )

    def _issue_registered(self, event: Issue.Registered, position: int) -> None:
        self.cur.execute(
            "INSERT INTO issues (id, campaign_id, number, problem, measures, status,"
            " lead_agency_id, deadline_kind, due_date, deadline_text, cycle,"
            " registered_at, updated_at, registered_position, last_position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.campaign_id,
                event.number,
                event.problem,
                Jsonb(list(event.measures)),
                IssueStatus.OPEN.value,
                event.lead_agency_id,
                event.deadline.kind.value,
                event.deadline.due_date,
                event.deadline.text,
                event.timestamp,
                event.timestamp,
                position,
                position,
            ),
        )
        roles = [(event.lead_agency_id, "LEAD")] + [(a, "CO") for a in event.co_agency_ids]
        self.cur.executemany(
            "INSERT INTO issue_responsibilities (issue_id, agency_id, role, ordinal)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(event.originator_id, a, role, n) for n, (a, role) in enumerate(roles)],
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
                    "cycle": _Sql("cycle + 1"),
                    **self._deadline(event.deadline),
                }
        return {}


class _Sql(str):
    """A SQL expression instead of a parameter (only constants written in this module)."""
