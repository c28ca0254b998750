"""The application services: every command of the ledger, each one a transaction.

Commands append events only. Clocks, projections and notifications follow the
notification log; nothing here talks to Temporal or to a read table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import eventsourcing.domain
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate, BaseAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording

from domain import command_keys, transcodings
from domain.account_commands import AccountCommands
from domain.agencies import Agency, AgencyAlias, AgencyKind, looks_like_group
from domain.audit_trail import AuditCommands
from domain.calendar import WorkingCalendar
from domain.campaigns import Campaign, Phase
from domain.case_transfer_commands import CaseTransferCommands
from domain.clock_commands import ClockCommands
from domain.clock_settings import ClockSettings
from domain.clocks import TIMEZONE
from domain.clue_commands import ClueCommands
from domain.command_results import CommandResult
from domain.deadlines import Deadline
from domain.errors import InvalidInput, NotFound, UnknownAgencies
from domain.evidence import EvidenceRequired, stored_digests
from domain.inspection_commands import InspectionCommands
from domain.issues import IssueStatus, RectificationIssue
from domain.ledger_rows import LedgerRejected, LedgerRow, RowProblem, reimport_problems
from domain.messages import says
from domain.names import (
    agency_id,
    alias_id,
    campaign_id,
    display_name,
    issue_id,
    normalise_name,
)
from domain.notification_commands import NotificationCommands
from domain.referral_commands import ReferralCommands
from domain.reporting_commands import ReportingCommands
from domain.repository import CACHE_SIZE, CachingRepository
from domain.retrying import Retrying

A = TypeVar("A", bound=Aggregate)


@dataclass
class ImportReport:
    campaign_id: UUID
    campaign_created: bool
    created: list[UUID] = field(default_factory=list)
    unchanged: list[UUID] = field(default_factory=list)
    agencies_created: list[str] = field(default_factory=list)
    position: int | None = None


__all__ = ["CommandResult", "ImportReport", "RectifyApp"]


class RectifyApp(
    ClockCommands,
    NotificationCommands,
    ReportingCommands,
    ReferralCommands,
    CaseTransferCommands,
    ClueCommands,
    AuditCommands,
    InspectionCommands,
    AccountCommands,
    Retrying,
    Application[UUID],
):
    name = "Rectify"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        calendar_source: Callable[[Any], WorkingCalendar] | None = None,
        clock_settings: ClockSettings | None = None,
    ) -> None:
        """`calendar_source` (app -> WorkingCalendar) is where the commands' due dates come
        from; every process gets the stored calendar from the composition root
        (rectify.composition). Without it, see ReferralCommands.referral_calendar.
        `clock_settings`: the built-in ladders' settings, from the same root (defaults
        without it)."""
        super().__init__(env=env)
        if calendar_source is not None:
            self.calendar_source = calendar_source
        if clock_settings is not None:
            self.clock_settings = clock_settings

    def construct_repository(self) -> Repository[UUID]:
        """Aggregates from a cache, fast-forwarded (domain/repository.py, ADR 0061)."""
        size = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CachingRepository(self.events, int(size) if size else CACHE_SIZE)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save, without its two runtime-checkable Protocol checks per
        object (`isinstance(obj, DomainEventProtocol)`, then `CollectEventsProtocol`),
        which on Python 3.11 walk the protocols' attributes on every call (ADR 0068: a
        few per cent of a command's CPU). Aggregates, what every command saves, are
        told by their base class; anything else (events, None) goes the library's way."""
        if not all(isinstance(obj, BaseAggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in objs:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        if isinstance(self.repository, CachingRepository):  # ADR 0074
            self.repository.saved([r.notification for r in recordings], self.mapper.to_domain_event)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # the library's deprecated hook, kept as it calls it
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in transcodings.ALL:
            transcoder.register(transcoding)

    # -- helpers -------------------------------------------------------------------------

    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A:
        try:
            aggregate: object = self.repository.get(item_id)
        except AggregateNotFoundError:
            raise NotFound(kind, str(item_id)) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind, str(item_id))
        return aggregate

    def _get_for_command(
        self, cls: type[A], item_id: UUID, kind: str, *, cached: bool
    ) -> tuple[A, bool]:
        """The item a command decides on, and whether it is the cached copy unread
        (`cached`: it may be, ADR 0074) rather than brought up to date from the log."""
        if cached and isinstance(self.repository, CachingRepository):
            found = self.repository.cached_copy(item_id)
            if isinstance(found, cls):
                return found, True
        return self._get(cls, item_id, kind), False

    def _exists(self, item_id: UUID) -> bool:
        return item_id in self.repository

    def _stored(self, item_ids: list[UUID]) -> set[UUID]:
        """Which of these aggregates exist, asked once (a ledger's rows) where the recorder
        can (infrastructure/event_store.py), else one by one (the in-memory recorder)."""
        ask = getattr(self.recorder, "stored_streams", None)
        if ask is None:
            return {item_id for item_id in item_ids if self._exists(item_id)}
        return set(ask(item_ids))

    def _save(self, *aggregates: Aggregate) -> int | None:
        """Save, recording the command's key with the first save of the command
        (domain/command_keys.py); meeting that key already recorded means the command had
        committed before (an answer lost), and its original result is raised."""
        key = command_keys.current.get()
        first = key is not None and not key.saved
        try:
            recordings = self.save(*aggregates, command_key=key if first else None)
        except IntegrityError:
            done = self.replay(key) if first and key is not None else None
            if done is not None:
                raise command_keys.CommandAlreadyDone(done) from None
            raise
        if first and key is not None:
            key.saved = True
        return max((r.notification.id for r in recordings), default=None)

    def replay(self, key: command_keys.CommandKey) -> CommandResult | None:
        """The result of the command recorded under `key`, if any; the key reused for
        another request is refused."""
        found = self.recorder.command_result(key.scope)  # type: ignore[attr-defined]
        if found is None:
            return None
        item_id, position, fingerprint = found
        if fingerprint != key.fingerprint:
            raise InvalidInput(
                "Idempotency-Key",
                says("key_reused"),
            )
        return CommandResult(item_id, position)

    # -- agencies ------------------------------------------------------------------------

    def find_agency(self, name: str) -> UUID | None:
        """By name or alias, ignoring spaces, width and trailing punctuation."""
        if not normalise_name(name):
            return None
        if self._exists(agency_id(name)):
            return agency_id(name)
        if self._exists(alias_id(name)):
            alias = self._get(AgencyAlias, alias_id(name), "agency alias")
            return alias.agency_id
        return None

    def register_agency(
        self,
        name: str,
        *,
        actor: str,
        kind: AgencyKind | None = None,
        level: str = "",
        parent: str | None = None,
        aliases: tuple[str, ...] = (),
        region: str | None = None,
    ) -> CommandResult:
        clean = normalise_name(name)
        if not clean:
            raise InvalidInput("name", says("empty"))
        existing = self.find_agency(clean)
        parent_id = None
        if parent:
            parent_id = self.find_agency(parent)
            if parent_id is None:
                raise UnknownAgencies([parent])
        if existing is None:
            resolved_kind = kind or (
                AgencyKind.GROUP if looks_like_group(clean) else AgencyKind.AGENCY
            )
            # Shown as written; the id (and every lookup) comes from the normalised name.
            agency = Agency(display_name(name), resolved_kind.value, level, parent_id, actor)
        else:
            agency = self._get(Agency, existing, "agency")
        to_save: list[Aggregate] = [agency]
        for alias in aliases:
            other = self.find_agency(alias)
            if other is not None and other != agency.id:
                raise InvalidInput("alias", says("alias_taken", alias=alias))
            if other is None:
                known = len(agency.aliases)
                agency.add_alias(display_name(alias), actor)
                if len(agency.aliases) > known:  # not a repeat of the name or an alias
                    to_save.append(AgencyAlias(display_name(alias), agency.id))
        if region is not None:
            agency.assign_region(region, actor)
        if not agency.pending_events:
            return CommandResult(agency.id, None, changed=False)
        return CommandResult(agency.id, self._save(*to_save))

    def add_group_member(self, group: UUID, member: UUID, actor: str) -> CommandResult:
        """A group stands for agencies: its members are agencies, never other groups (a
        referral to the group goes to each member, and a member must be able to claim)."""
        found = self._get(Agency, member, "agency")
        if found.kind is AgencyKind.GROUP:
            raise InvalidInput("member", says("is_a_group", name=found.name))
        return self.retrying(Agency, group, lambda g: g.add_member(member, actor))

    def remove_group_member(self, group: UUID, member: UUID, actor: str) -> CommandResult:
        self._get(Agency, member, "agency")
        return self.retrying(Agency, group, lambda g: g.remove_member(member, actor))

    def create_agency_group(self, name: str, actor: str) -> CommandResult:
        """A group under a new name; the name of an existing agency (not a group) is refused
        rather than turned into a group, as issues and referrals already address it."""
        existing = self.find_agency(name)
        found = self.get_agency(existing) if existing is not None else None
        if found is not None and found.kind is not AgencyKind.GROUP:
            raise InvalidInput("name", says("name_is_agency", name=found.name))
        return self.register_agency(name, actor=actor, kind=AgencyKind.GROUP)

    def get_agency(self, item_id: UUID) -> Agency:
        return self._get(Agency, item_id, "agency")

    # -- campaigns -----------------------------------------------------------------------

    def launch_campaign(
        self, title: str, *, actor: str, lead_agency: UUID | None = None
    ) -> CommandResult:
        if not normalise_name(title):
            raise InvalidInput("title", says("empty"))
        item_id = campaign_id(title)
        if lead_agency is not None:
            self.get_agency(lead_agency)
        if self._exists(item_id):
            if lead_agency is None:
                return CommandResult(item_id, None, changed=False)
            return self.assign_campaign_lead(item_id, lead_agency, actor)
        campaign = Campaign(title.strip(), lead_agency, actor)
        if lead_agency is not None:
            campaign.add_member(lead_agency, actor)
        return CommandResult(item_id, self._save(campaign))

    def get_campaign(self, item_id: UUID) -> Campaign:
        return self._get(Campaign, item_id, "campaign")

    def assign_campaign_lead(self, campaign: UUID, agency: UUID, actor: str) -> CommandResult:
        self.get_agency(agency)
        return self.retrying(Campaign, campaign, lambda c: c.assign_lead(agency, actor))

    def add_campaign_member(self, campaign: UUID, agency: UUID, actor: str) -> CommandResult:
        self.get_agency(agency)
        return self.retrying(Campaign, campaign, lambda c: c.add_member(agency, actor))

    def schedule_campaign_phase(
        self, campaign: UUID, name: str, starts: date, ends: date, actor: str
    ) -> CommandResult:
        phase = Phase(name.strip(), starts, ends)
        return self.retrying(Campaign, campaign, lambda c: c.schedule_phase(phase, actor))

    def set_extension_approvers(self, campaign: UUID, approvers: str, actor: str) -> CommandResult:
        return self.retrying(
            Campaign, campaign, lambda c: c.set_extension_approvers(approvers, actor)
        )

    def require_evidence(self, campaign: UUID, required: bool, actor: str) -> CommandResult:
        return self.retrying(Campaign, campaign, lambda c: c.require_evidence(required, actor))

    # -- issues --------------------------------------------------------------------------

    def get_issue(self, item_id: UUID) -> RectificationIssue:
        return self._get(RectificationIssue, item_id, "issue")

    def import_ledger(
        self,
        campaign_title: str,
        rows: list[LedgerRow],
        *,
        actor: str,
        source: str,
        create_agencies: bool = False,
    ) -> ImportReport:
        """All or nothing: every new agency, the campaign and every new issue in one save."""
        if not normalise_name(campaign_title):
            raise InvalidInput("campaign", says("empty"))
        to_save: list[Aggregate] = []
        names: dict[str, UUID] = {}
        unknown: dict[str, str] = {}  # normalised key -> the first spelling, shown as written
        for row in rows:
            for name in [row.lead, *row.co]:
                key = normalise_name(name)
                if key in names or key in unknown:
                    continue
                found = self.find_agency(name)
                if found is not None:
                    names[key] = found
                else:
                    unknown[key] = display_name(name)
        report = ImportReport(campaign_id(campaign_title), campaign_created=False)
        if unknown and not create_agencies:
            raise UnknownAgencies(list(unknown.values()))
        for key, shown in unknown.items():
            kind = AgencyKind.GROUP if looks_like_group(key) else AgencyKind.AGENCY
            agency = Agency(shown, kind.value, "", None, actor)
            to_save.append(agency)
            names[key] = agency.id
            report.agencies_created.append(shown)

        if self._exists(report.campaign_id):
            campaign = self.get_campaign(report.campaign_id)
        else:
            campaign = Campaign(campaign_title.strip(), None, actor)
            report.campaign_created = True
        problems: list[RowProblem] = []
        stored = self._stored([issue_id(campaign.id, row.number) for row in rows])
        for row in rows:
            lead = names[normalise_name(row.lead)]
            co: list[UUID] = []
            for name in row.co:  # two spellings of one agency name it once
                member_id = names[normalise_name(name)]
                if member_id != lead and member_id not in co:
                    co.append(member_id)
            for member in [lead, *co]:
                campaign.add_member(member, actor)
            item_id = issue_id(campaign.id, row.number)
            if item_id in stored:
                existing = self.get_issue(item_id)
                differences = reimport_problems(
                    row,
                    {"problem": existing.problem, "measures": existing.measures,
                     "lead": existing.lead_agency_id, "co": existing.co_agency_ids,
                     "deadline": existing.registered_deadline.text},
                    {"problem": row.problem, "measures": row.measures, "lead": lead, "co": co,
                     "deadline": row.deadline.text},
                )  # fmt: skip
                if differences:
                    problems += differences
                else:
                    report.unchanged.append(item_id)
                continue
            RectificationIssue.check_registration(row.number, row.problem, lead, co)
            issue = RectificationIssue(
                campaign.id, row.number, row.problem, row.measures, lead, co,
                row.deadline, source, actor,
            )  # fmt: skip
            to_save.append(issue)
            report.created.append(issue.id)
        if problems:
            raise LedgerRejected(problems)
        if campaign.pending_events:
            to_save.insert(0, campaign)
        if to_save:
            report.position = self._save(*to_save)
        return report

    def register_issue(
        self,
        campaign: UUID,
        number: str,
        problem: str,
        measures: list[str],
        lead: UUID,
        co: list[UUID],
        deadline: Deadline,
        *,
        actor: str,
    ) -> CommandResult:
        self.get_campaign(campaign)
        for agency in [lead, *co]:
            self.get_agency(agency)
        RectificationIssue.check_registration(number, problem, lead, co)
        if not measures:
            raise InvalidInput("measures", says("no_measures"))
        item_id = issue_id(campaign, number)
        if self._exists(item_id):
            raise InvalidInput("number", says("number_taken", number=number))
        issue = RectificationIssue(
            campaign, number, problem, measures, lead, co, deadline, "manual", actor
        )
        return CommandResult(issue.id, self._save(issue))

    def report_progress(
        self, item: UUID, agency: UUID, text: str, attachments: list[str], actor: str
    ) -> CommandResult:
        return self.retrying(
            RectificationIssue, item, lambda i: i.report_progress(agency, text, attachments, actor)
        )

    def submit_for_verification(self, item: UUID, summary: str, actor: str) -> CommandResult:
        return self.retrying(
            RectificationIssue, item, lambda i: i.submit_for_verification(summary, actor)
        )

    def sign_off(self, item: UUID, comment: str, actor: str) -> CommandResult:
        def sign(issue: RectificationIssue) -> None:
            # the state is checked first: an OPEN issue is refused for being OPEN
            ready = issue.status is IssueStatus.SUBMITTED
            campaign = self.get_campaign(issue.campaign_id)
            if ready and campaign.requires_evidence() and not self.has_evidence(issue):
                raise EvidenceRequired(issue.status.value)
            issue.sign_off(comment, actor)

        return self.retrying(RectificationIssue, item, sign)

    def has_evidence(self, issue: RectificationIssue) -> bool:
        """Whether a progress report of `issue` carries an uploaded file (a `sha256:`
        reference); plain reference strings are not evidence anyone can open."""
        for stored in self.repository.event_store.get(issue.id, lte=issue.version):
            if isinstance(stored, RectificationIssue.ProgressReported) and stored_digests(
                stored.attachments
            ):
                return True
        return False

    def reject(self, item: UUID, reason: str, actor: str) -> CommandResult:
        return self.retrying(RectificationIssue, item, lambda i: i.reject(reason, actor))

    def request_extension(
        self, item: UUID, requested: Deadline, reason: str, actor: str
    ) -> CommandResult:
        return self.retrying(
            RectificationIssue, item, lambda i: i.request_extension(requested, reason, actor)
        )

    def approve_extension(self, item: UUID, comment: str, actor: str) -> CommandResult:
        return self.retrying(
            RectificationIssue, item, lambda i: i.approve_extension(comment, actor)
        )

    def deny_extension(self, item: UUID, reason: str, actor: str) -> CommandResult:
        return self.retrying(RectificationIssue, item, lambda i: i.deny_extension(reason, actor))

    def reopen(
        self, item: UUID, reason: str, deadline: Deadline | None, actor: str
    ) -> CommandResult:
        # the day the look-back reopens it, China time, by the clock that stamps the event
        today = eventsourcing.domain.datetime_now_with_tzinfo().astimezone(TIMEZONE).date()
        return self.retrying(
            RectificationIssue, item, lambda i: i.reopen(reason, deadline, actor, today)
        )

    def record_reminder(self, item: UUID, key: str, actor: str) -> CommandResult:
        return self.retrying(RectificationIssue, item, lambda i: i.record_reminder(key, actor))

    def record_overdue(self, item: UUID, key: str, actor: str) -> CommandResult:
        return self.retrying(RectificationIssue, item, lambda i: i.record_overdue(key, actor))
