"""Commands of case transfers (行刑衔接) and transfers to discipline inspection, mixed
into `RectifyApp`.

Each command reloads the item, decides and saves (`retrying`); statutory due instants are
computed here with the working calendar (the same source as the referrals' clocks:
`calendar_source` when the composition root sets it) and kept in the events.
Who may act for which agency is the API's business (api/authz/case_transfers.py); the
aggregate still refuses a step by an agency other than the one the step belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.agencies import FUNCTION_LABELS, Agency, AgencyKind, has_function
from domain.calendar import WorkingCalendar
from domain.case_transfers import (
    APPROVAL,
    DECISION,
    FORWARDING,
    RECONSIDERATION,
    RECONSIDERATION_REQUEST,
    SENDING,
    CaseTransfer,
    ReconsiderationOutcome,
    SupervisionOutcome,
    case_transfer_id,
)
from domain.clocks import Period, due_at
from domain.command_results import CommandResult
from domain.discipline_transfers import (
    DisciplineOutcome,
    DisciplineTransfer,
    PersonCategory,
    discipline_transfer_id,
)
from domain.errors import InvalidInput, NotAllowed
from domain.retrying import CanRetry

A = TypeVar("A", bound=Aggregate)


class _App(CanRetry, Protocol):
    """What the mixin uses of `RectifyApp`."""

    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _exists(self, item_id: UUID) -> bool: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...
    def get_agency(self, item_id: UUID) -> Agency: ...
    def referral_calendar(self, years: range) -> WorkingCalendar: ...
    def recompute_dues(self, item: Any, calendar: WorkingCalendar, actor: str = ...) -> bool: ...
    def statutory_due(self, start: datetime, period: Period) -> datetime: ...
    def _on_transfer(
        self, item_id: UUID, change: Callable[[CaseTransfer], None]
    ) -> CommandResult: ...
    def _on_discipline(
        self, item_id: UUID, change: Callable[[DisciplineTransfer], None]
    ) -> CommandResult: ...


def _now(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidInput("at", "needs an aware date-time (with a UTC offset)")
    return at


def _one_agency(app: _App, agency: UUID, field: str, function: str | None = None) -> Agency:
    """One agency (not a group); with `function`, one whose name says it has that role
    (a transfer of a suspected crime goes to the police, supervision to a procuratorate)."""
    found = app.get_agency(agency)
    if found.kind is AgencyKind.GROUP:
        raise InvalidInput(field, f"{found.name} 是单位组，请指定一个单位 / is a group")
    if function is not None and not has_function(found.name, function):
        raise InvalidInput(field, f"{found.name} 不是{FUNCTION_LABELS[function]}")
    return found


class CaseTransferCommands:
    # -- calendar -------------------------------------------------------------------------

    def statutory_due(self: _App, start: datetime, period: Period) -> datetime:
        """Calendar days rolled forward to a working day, or plain hours (domain.clocks)."""
        calendar = self.referral_calendar(range(start.year, start.year + 2))
        return due_at(calendar, start, period)

    # -- reading --------------------------------------------------------------------------

    def get_case_transfer(self: _App, item_id: UUID) -> CaseTransfer:
        return self._get(CaseTransfer, item_id, "case transfer")

    def get_discipline_transfer(self: _App, item_id: UUID) -> DisciplineTransfer:
        return self._get(DisciplineTransfer, item_id, "discipline transfer")

    def _on_transfer(
        self: _App, item_id: UUID, change: Callable[[CaseTransfer], None]
    ) -> CommandResult:
        def checked(item: CaseTransfer) -> None:
            # A step is judged (late? within the 复议 window?) on the calendar in force: a
            # due an arrangement loaded since has moved is recorded first, in the same save.
            clocks = item.period_clocks()
            if clocks:
                first = min(c.start for c in clocks).year
                self.recompute_dues(item, self.referral_calendar(range(first, first + 3)))
            change(item)

        return self.retrying(CaseTransfer, item_id, checked)

    def _on_discipline(
        self: _App, item_id: UUID, change: Callable[[DisciplineTransfer], None]
    ) -> CommandResult:
        return self.retrying(DisciplineTransfer, item_id, change)

    # -- the administrative agency --------------------------------------------------------

    def report_case_transfer(
        self: _App,
        agency: UUID,
        police: UUID,
        facts: str,
        *,
        actor: str,
        suspected_offence: str = "",
        suspect: str = "",
        case_number: str = "",
        attachments: Sequence[str] = (),
        campaign: UUID | None = None,
        key: str | None = None,
        at: datetime | None = None,
    ) -> CommandResult:
        """The written transfer report (书面报告); the head must decide within 3 days.

        With a `key` (e.g. the administrative case number) a repeated report finds the
        transfer already reported and changes nothing.
        """

        when = _now(at)
        item_id = case_transfer_id(key)
        if key and self._exists(item_id):
            return CommandResult(item_id, None, changed=False)
        if not facts.strip():
            raise InvalidInput("facts", "案情为空 / empty")
        own = _one_agency(self, agency, "agency")
        to = _one_agency(self, police, "police", "police")
        if police == agency:
            raise InvalidInput("police", "不能移送给本单位 / cannot transfer to oneself")
        if campaign is not None:
            self._get(Aggregate, campaign, "campaign")
        transfer = CaseTransfer(
            id=item_id, agency_id=own.id, agency_name=own.name, police_agency_id=to.id,
            police_name=to.name, case_number=case_number.strip(), suspect=suspect.strip(),
            suspected_offence=suspected_offence.strip(), facts=facts.strip(),
            attachments=[a.strip() for a in attachments if a.strip()], campaign_id=campaign,
            at=when, approval_due=self.statutory_due(when, APPROVAL.period), actor=actor,
        )  # fmt: skip
        try:
            return CommandResult(item_id, self._save(transfer))
        except IntegrityError:
            if key:  # reported by a concurrent retry of the same command
                return CommandResult(item_id, None, changed=False)
            raise

    def approve_case_transfer(
        self: _App, item_id: UUID, comment: str, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = _now(at)
        sending_due = self.statutory_due(when, SENDING.period)
        return self._on_transfer(item_id, lambda t: t.approve(comment, when, sending_due, actor))

    def decline_case_transfer(
        self: _App, item_id: UUID, reason: str, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = _now(at)
        return self._on_transfer(item_id, lambda t: t.decline(reason, when, actor))

    def send_case_transfer(
        self: _App, item_id: UUID, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = _now(at)
        return self._on_transfer(item_id, lambda t: t.send(when, actor))

    def request_transfer_reconsideration(
        self: _App, item_id: UUID, reason: str, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = _now(at)
        due = self.statutory_due(when, RECONSIDERATION.period)
        return self._on_transfer(
            item_id, lambda t: t.request_reconsideration(reason, when, due, actor)
        )

    def request_transfer_supervision(
        self: _App,
        item_id: UUID,
        procuratorate: UUID,
        reason: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        when = _now(at)
        found = _one_agency(self, procuratorate, "procuratorate", "procuratorate")
        return self._on_transfer(
            item_id, lambda t: t.request_supervision(found.id, found.name, reason, when, actor)
        )

    # -- the police -----------------------------------------------------------------------

    def receive_case_transfer(
        self: _App, item_id: UUID, agency: UUID, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = _now(at)
        forwarding_due = self.statutory_due(when, FORWARDING.period)
        decision_due = self.statutory_due(when, DECISION.period)
        return self._on_transfer(
            item_id, lambda t: t.receive(agency, when, forwarding_due, decision_due, actor)
        )

    def forward_case_transfer(
        self: _App,
        item_id: UUID,
        agency: UUID,
        to: UUID,
        reason: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        when = _now(at)
        found = _one_agency(self, to, "police", "police")
        return self._on_transfer(
            item_id, lambda t: t.forward(agency, found.id, found.name, reason, when, actor)
        )

    def file_criminal_case(
        self: _App,
        item_id: UUID,
        agency: UUID,
        criminal_case_number: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        when = _now(at)
        return self._on_transfer(
            item_id, lambda t: t.file_case(agency, criminal_case_number, when, actor)
        )

    def refuse_case_transfer(
        self: _App,
        item_id: UUID,
        agency: UUID,
        reasons: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        when = _now(at)
        window = self.statutory_due(when, RECONSIDERATION_REQUEST)
        return self._on_transfer(item_id, lambda t: t.refuse(agency, reasons, when, window, actor))

    def answer_transfer_reconsideration(
        self: _App,
        item_id: UUID,
        agency: UUID,
        outcome: ReconsiderationOutcome,
        reasons: str,
        actor: str,
        *,
        criminal_case_number: str = "",
        at: datetime | None = None,
    ) -> CommandResult:
        when = _now(at)
        return self._on_transfer(
            item_id,
            lambda t: t.answer_reconsideration(
                agency, outcome, reasons, criminal_case_number, when, actor
            ),
        )

    # -- the procuratorate ----------------------------------------------------------------

    def conclude_transfer_supervision(
        self: _App,
        item_id: UUID,
        agency: UUID,
        outcome: SupervisionOutcome,
        opinion: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        when = _now(at)
        return self._on_transfer(
            item_id, lambda t: t.conclude_supervision(agency, outcome, opinion, when, actor)
        )

    # -- discipline inspection (纪检监察) ---------------------------------------------------

    def send_discipline_transfer(
        self: _App,
        agency: UUID,
        commission: UUID,
        person: str,
        category: PersonCategory,
        facts: str,
        *,
        actor: str,
        attachments: Sequence[str] = (),
        case_transfer: UUID | None = None,
        campaign: UUID | None = None,
        key: str | None = None,
        at: datetime | None = None,
    ) -> CommandResult:

        when = _now(at)
        item_id = discipline_transfer_id(key)
        if key and self._exists(item_id):
            return CommandResult(item_id, None, changed=False)
        DisciplineTransfer.check(agency, commission, person, facts)
        own = _one_agency(self, agency, "agency")
        to = _one_agency(self, commission, "commission", "discipline")
        if case_transfer is not None:
            linked = self._get(CaseTransfer, case_transfer, "case transfer")
            if linked.agency_id != agency:
                raise NotAllowed(
                    "只能关联本单位移送的案件 / only a case transfer of the sending agency"
                    " may be linked"
                )
        if campaign is not None:
            self._get(Aggregate, campaign, "campaign")
        transfer = DisciplineTransfer(
            id=item_id, agency_id=own.id, agency_name=own.name, commission_id=to.id,
            commission_name=to.name, person=person.strip(), category=category.value,
            facts=facts.strip(), attachments=[a.strip() for a in attachments if a.strip()],
            case_transfer_id=case_transfer, campaign_id=campaign, at=when, actor=actor,
        )  # fmt: skip
        try:
            return CommandResult(item_id, self._save(transfer))
        except IntegrityError:
            if key:
                return CommandResult(item_id, None, changed=False)
            raise

    def receive_discipline_transfer(
        self: _App, item_id: UUID, agency: UUID, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = _now(at)
        return self._on_discipline(item_id, lambda t: t.receive(agency, when, actor))

    def decide_discipline_transfer(
        self: _App,
        item_id: UUID,
        agency: UUID,
        outcome: DisciplineOutcome,
        detail: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        when = _now(at)
        return self._on_discipline(
            item_id, lambda t: t.decide(agency, outcome, detail, when, actor)
        )
