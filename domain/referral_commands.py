"""Commands of cross-agency referrals, mixed into `RectifyApp`.

Each command reloads the referral, decides and saves; a child of a group referral is
saved together with its parent's roll-up. A concurrent writer makes the save fail with
IntegrityError and the command decide again on the fresh state: the loser of two claims
then meets the winner's claim and is refused with AlreadyClaimed, which names it.

Due instants need the working calendar, whose data the domain does not know where to find:
the composition root sets `calendar_source` (the clocks' StoredCalendar: loaded years,
package data, the provisional rule). Unset (unit tests, a bare application), the years
loaded into the event store count, and any other year counts Monday to Friday, marked
provisional.

A referral made at a clue's triage carries the clue along (ADR 0022): returning it gives
the clue back to the agency that received it, reassigning it hands the clue to the new
receiver. The clue's `HandlerChanged` is saved with the referral's event, both or neither,
so no moment exists where the referral has moved and the reporter's identity has not. The
same holds for a return after claiming. When the sender accepts the answer the clue
concludes with it, in the same save (ADR 0035).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.agencies import Agency, AgencyKind
from domain.calendar import WorkingCalendar, YearArrangement
from domain.calendar.service import loaded_years
from domain.case_transfers import CaseTransfer
from domain.clocks import Period, due_at
from domain.clues import Clue, ClueStatus
from domain.command_results import CommandResult
from domain.discipline_transfers import DisciplineTransfer
from domain.errors import Conflict, InvalidInput, NotAllowed
from domain.inspections import EnforcementCase
from domain.issues import RectificationIssue
from domain.parties import agencies_named
from domain.referrals import (
    DEFAULT_ANSWER_DAYS,
    DEFAULT_CLAIM_DAYS,
    RETURN_LABELS,
    SUBJECT_KINDS,
    Referral,
    ReferralStatus,
    ReferralTerms,
    ReturnReason,
    child_referral_id,
    referral_id,
    referral_terms_id,
)
from domain.retrying import CanRetry

A = TypeVar("A", bound=Aggregate)
MAX_ATTEMPTS = 5
FALLBACK = "Monday–Friday (no calendar data)"


class _App(CanRetry, Protocol):
    """What the mixin uses of `RectifyApp`."""

    calendar_source: Callable[[Any], WorkingCalendar] | None

    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _exists(self, item_id: UUID) -> bool: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...
    @property
    def repository(self) -> Any: ...
    def get_agency(self, item_id: UUID) -> Agency: ...
    def referral_calendar(self, years: range) -> WorkingCalendar: ...
    def referral_terms(self, campaign: UUID | None) -> tuple[int, int]: ...
    def get_referral(self, item_id: UUID) -> Referral: ...
    def _changing_referral(
        self,
        item_id: UUID,
        change: Callable[[Referral], None],
        actor: str,
        also: Callable[[Referral], list[Aggregate]] | None = None,
    ) -> CommandResult: ...
    def _clue_following(
        self, referral: Referral, reason: str, at: datetime, actor: str
    ) -> list[Aggregate]: ...
    def _referral_due(self, at: datetime, days: int) -> datetime: ...
    def build_referral(
        self,
        sender: UUID,
        receiver: UUID,
        reason: str,
        *,
        actor: str,
        subject_kind: str = "",
        subject_id: UUID | None = None,
        attachments: Sequence[str] = (),
        campaign: UUID | None = None,
        key: str | None = None,
        at: datetime | None = None,
    ) -> list[Aggregate]: ...


def _now(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidInput("at", "needs an aware date-time (with a UTC offset)")
    return at


class ReferralCommands:
    # Set by the composition root: app -> calendar (workflows.calendars.StoredCalendar).
    calendar_source: Callable[[Any], WorkingCalendar] | None = None

    # -- calendar and terms ---------------------------------------------------------------

    def referral_calendar(self: _App, years: range) -> WorkingCalendar:
        if self.calendar_source is not None:
            return self.calendar_source(self)
        loaded = loaded_years(self, years)  # type: ignore[arg-type]
        calendar = WorkingCalendar(loaded.values())
        fallback = [
            YearArrangement(y, frozenset(), frozenset(), official=False, source=FALLBACK)
            for y in years
            if y not in loaded
        ]
        return calendar.with_arrangements(fallback)

    def _referral_due(self: _App, at: datetime, days: int) -> datetime:
        # A year ahead is enough for any sane period; a later due day would raise.
        calendar = self.referral_calendar(range(at.year, at.year + 3))
        return due_at(calendar, at, Period.working_days(days))

    def referral_terms(self: _App, campaign: UUID | None) -> tuple[int, int]:
        """(claim days, answer days) of a campaign, else the defaults."""
        if campaign is not None and self._exists(referral_terms_id(campaign)):
            terms = self._get(ReferralTerms, referral_terms_id(campaign), "referral terms")
            return terms.claim_days, terms.answer_days
        return DEFAULT_CLAIM_DAYS, DEFAULT_ANSWER_DAYS

    def set_referral_terms(
        self: _App, campaign: UUID, claim_days: int, answer_days: int, actor: str
    ) -> CommandResult:

        self._get(Aggregate, campaign, "campaign")
        item_id = referral_terms_id(campaign)
        for _ in range(MAX_ATTEMPTS):
            if self._exists(item_id):
                terms = self._get(ReferralTerms, item_id, "referral terms")
            else:
                terms = ReferralTerms(campaign)
            terms.set_terms(claim_days, answer_days, actor)
            if not terms.pending_events:
                return CommandResult(item_id, None, changed=False)
            try:
                return CommandResult(item_id, self._save(terms))
            except IntegrityError:
                continue
        raise Conflict(f"referral terms of {campaign} kept changing; try again")

    # -- sending --------------------------------------------------------------------------

    def build_referral(
        self: _App,
        sender: UUID,
        receiver: UUID,
        reason: str,
        *,
        actor: str,
        subject_kind: str = "",
        subject_id: UUID | None = None,
        attachments: Sequence[str] = (),
        campaign: UUID | None = None,
        key: str | None = None,
        at: datetime | None = None,
    ) -> list[Aggregate]:
        """The referral (and a group's children), unsaved: a caller such as a clue's
        triage can save them with its own aggregate, all or nothing."""
        when = _now(at)
        if not reason.strip():
            raise InvalidInput("reason", "移送理由为空 / empty")
        if subject_kind not in SUBJECT_KINDS:
            raise InvalidInput("subjectKind", f"'{subject_kind}' is not one of clue/issue/case")
        if subject_kind and subject_id is None:
            raise InvalidInput("subjectId", f"a {subject_kind} referral names the {subject_kind}")
        from_agency = self.get_agency(sender)
        if from_agency.kind is AgencyKind.GROUP:
            raise InvalidInput("sender", f"{from_agency.name} 是单位组，不能移送 / is a group")
        to_agency = self.get_agency(receiver)
        if receiver == sender:
            raise InvalidInput("receiver", "不能移送给本单位 / cannot refer to oneself")
        if campaign is not None:
            self._get(Aggregate, campaign, "campaign")
        claim_days, answer_days = self.referral_terms(campaign)
        item_id = referral_id(key)
        common: dict[str, Any] = {
            "sender_agency_id": sender,
            "reason": reason.strip(),
            "subject_kind": subject_kind,
            "subject_id": subject_id,
            "attachments": [a.strip() for a in attachments if a.strip()],
            "campaign_id": campaign,
            "claim_days": claim_days,
            "answer_days": answer_days,
            "at": when,
            "actor": actor,
        }
        if to_agency.kind is not AgencyKind.GROUP:
            claim_due = self._referral_due(when, claim_days)
            return [
                Referral(
                    id=item_id, receiver_agency_id=receiver, receiver_name=to_agency.name,
                    parent_id=None, children={}, claim_due=claim_due, **common,
                )
            ]  # fmt: skip
        members = [m for m in _members(self, to_agency) if m.id != sender]
        if not members:
            raise InvalidInput("receiver", f"{to_agency.name} 没有成员单位 / has no members")
        claim_due = self._referral_due(when, claim_days)
        children: list[Aggregate] = [
            Referral(
                id=child_referral_id(item_id, m.id), receiver_agency_id=m.id,
                receiver_name=m.name, parent_id=item_id, children={}, claim_due=claim_due,
                **common,
            )
            for m in members
        ]  # fmt: skip
        links = {str(child.id): m.id for child, m in zip(children, members, strict=True)}
        parent = Referral(
            id=item_id, receiver_agency_id=receiver, receiver_name=to_agency.name,
            parent_id=None, children=links, claim_due=None, **common,
        )  # fmt: skip
        return [parent, *children]

    def send_referral(
        self: _App,
        sender: UUID,
        receiver: UUID,
        reason: str,
        *,
        actor: str,
        subject_kind: str = "",
        subject_id: UUID | None = None,
        attachments: Sequence[str] = (),
        campaign: UUID | None = None,
        key: str | None = None,
        at: datetime | None = None,
        office: bool = False,
    ) -> CommandResult:
        """Send to an agency, or to a group (one child per member). With a `key`, a
        repeated send finds the referral already sent and changes nothing. A linked subject
        must exist and be the sender's (see `_check_subject`); `office`: sent by the leading
        group office, which may link any."""

        if key and self._exists(referral_id(key)):
            return CommandResult(referral_id(key), None, changed=False)
        aggregates = self.build_referral(
            sender, receiver, reason, actor=actor, subject_kind=subject_kind,
            subject_id=subject_id, attachments=attachments, campaign=campaign, key=key, at=at,
        )  # fmt: skip
        _check_subject(self, sender, subject_kind, subject_id, office)
        try:
            return CommandResult(aggregates[0].id, self._save(*aggregates))
        except IntegrityError:
            if key:  # sent by a concurrent retry of the same command
                return CommandResult(aggregates[0].id, None, changed=False)
            raise

    def get_referral(self: _App, item_id: UUID) -> Referral:
        return self._get(Referral, item_id, "referral")

    # -- steps ----------------------------------------------------------------------------

    def _changing_referral(
        self: _App,
        item_id: UUID,
        change: Callable[[Referral], None],
        actor: str,
        also: Callable[[Referral], list[Aggregate]] | None = None,
    ) -> CommandResult:
        """Reload, decide, save with the parent's roll-up (and what `also` changed with
        it, e.g. the clue it carries), all in one save; on a conflict decide again."""

        def along(referral: Referral) -> list[Aggregate]:
            to_save = also(referral) if also else []
            if referral.parent_id is not None:
                parent = self.get_referral(referral.parent_id)
                parent.child_updated(referral.id, referral.status, actor)
                to_save = [*to_save, parent]
            return to_save

        return self.retrying(Referral, item_id, change, along)

    def claim_referral(
        self: _App, item_id: UUID, agency: UUID, actor: str, at: datetime | None = None
    ) -> CommandResult:
        def claim(r: Referral) -> None:
            when = _now(at)
            r.claim(agency, when, self._referral_due(when, r.answer_days), actor)

        return self._changing_referral(item_id, claim, actor)

    def _clue_following(
        self: _App, referral: Referral, reason: str, at: datetime, actor: str
    ) -> list[Aggregate]:
        """The clue this referral was made for, its handler moved after the referral: back
        to the clue's receiving agency while returned, else to the current receiver. A
        referral that only names a clue (sendReferral) moves nothing."""
        clue = _own_clue(self, referral)
        if clue is None:
            return []
        if referral.status is ReferralStatus.RETURNED:
            handler = self.get_agency(clue.agency_id)
        else:
            handler = self.get_agency(referral.receiver_agency_id)
        clue.change_handler(handler.id, handler.name, referral.id, reason, at, actor)
        return [clue] if clue.pending_events else []

    def return_referral(
        self: _App, item_id: UUID, agency: UUID, reason: ReturnReason, detail: str, actor: str
    ) -> CommandResult:
        when = datetime.now(UTC)
        why = RETURN_LABELS[reason] + (f"：{detail.strip()}" if detail.strip() else "")

        def clue_back(r: Referral) -> list[Aggregate]:
            return self._clue_following(
                r, f"移送被{r.receiver_name}退回（{why}），待重新指派 / returned", when, actor
            )

        return self._changing_referral(
            item_id,
            lambda r: r.return_to_sender(agency, reason, detail, actor),
            actor,
            also=clue_back,
        )

    def answer_referral(
        self: _App,
        item_id: UUID,
        agency: UUID,
        outcome: str,
        actor: str,
        *,
        measures: Sequence[str] = (),
        penalties: str = "",
        case_number: str = "",
        attachments: Sequence[str] = (),
    ) -> CommandResult:
        return self._changing_referral(
            item_id,
            lambda r: r.answer(
                agency, outcome, list(measures), penalties, case_number, list(attachments), actor
            ),
            actor,
        )

    def accept_referral(self: _App, item_id: UUID, comment: str, actor: str) -> CommandResult:
        def clue_concluding(r: Referral) -> list[Aggregate]:
            clue = _own_clue(self, r)
            if clue is None:
                return []
            outcome = f"移送{r.receiver_name}办结 / concluded by its referral：{r.outcome}"
            clue.conclude_with_referral(r.id, outcome, actor)
            return [clue]

        return self._changing_referral(
            item_id, lambda r: r.accept(comment, actor), actor, also=clue_concluding
        )

    def send_back_referral(
        self: _App, item_id: UUID, reason: str, actor: str, at: datetime | None = None
    ) -> CommandResult:
        def send_back(r: Referral) -> None:
            when = _now(at)
            r.send_back(reason, when, self._referral_due(when, r.answer_days), actor)

        return self._changing_referral(item_id, send_back, actor)

    def reassign_referral(
        self: _App,
        item_id: UUID,
        agency: UUID,
        reason: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        target = self.get_agency(agency)
        if target.kind is AgencyKind.GROUP:
            raise InvalidInput("agency", f"{target.name} 是单位组 / is a group; name one agency")

        when = _now(at)

        def reassign(r: Referral) -> None:
            r.reassign(
                agency, target.name, reason, when, self._referral_due(when, r.claim_days), actor
            )

        def clue_along(r: Referral) -> list[Aggregate]:
            return self._clue_following(r, f"重新指派：{reason.strip()}", when, actor)

        return self._changing_referral(item_id, reassign, actor, also=clue_along)

    def referral_status(self: _App, item_id: UUID) -> ReferralStatus:
        return self.get_referral(item_id).status


SUBJECT_TYPES: dict[str, tuple[type[Aggregate], ...]] = {
    "clue": (Clue,),
    "issue": (RectificationIssue,),
    "case": (CaseTransfer, DisciplineTransfer, EnforcementCase),
}
SUBJECT_LABELS = {"clue": "线索", "issue": "问题", "case": "案件"}


def _check_subject(app: _App, sender: UUID, kind: str, subject: UUID | None, office: bool) -> None:
    """A referral links only an item that exists and that the sender has a part in: a clue
    it handles, an issue it leads or co-owns, a case it is party to. Otherwise it could hand
    the receiver another agency's item without that agency (ADR 0022). The leading group
    office coordinates every agency's work and may link any item."""
    if not kind:
        if subject is not None:
            raise InvalidInput("subjectKind", "须注明关联事项类型 / name the kind of subjectId")
        return
    assert subject is not None  # build_referral refuses a kind without an id
    label = SUBJECT_LABELS[kind]
    item = app.repository.get(subject) if app._exists(subject) else None
    if not isinstance(item, SUBJECT_TYPES[kind]):
        raise InvalidInput("subjectId", f"没有这件{label} / no such {kind}: {subject}")
    if office:
        return
    if isinstance(item, Clue):
        ours = item.handling_agency_id == sender
    elif isinstance(item, RectificationIssue):
        ours = sender in item.responsible_agency_ids
    else:
        ours = sender in agencies_named(vars(item))  # every party the case has had
    if not ours:
        raise NotAllowed(
            f"subjectId: 只能关联本单位的{label} / may link only a {kind} of the sending agency"
        )


def _own_clue(app: _App, referral: Referral) -> Clue | None:
    """The clue this referral was made for at its triage, while referred; None for a
    referral that only names a clue (sendReferral) or a clue no longer referred."""
    if referral.subject_kind != "clue" or referral.subject_id is None:
        return None
    if not app._exists(referral.subject_id):
        return None
    clue = app._get(Clue, referral.subject_id, "clue")
    if clue.referral_id != referral.id or clue.status is not ClueStatus.REFERRED:
        return None
    return clue


def _members(app: _App, group: Agency) -> list[Agency]:
    """A group's agencies, nested groups expanded, each once, in the order given."""
    found: list[Agency] = []
    seen: set[UUID] = {group.id}
    pending = list(group.member_ids)
    while pending:
        member = app.get_agency(pending.pop(0))
        if member.id in seen:
            continue
        seen.add(member.id)
        if member.kind is AgencyKind.GROUP:
            pending.extend(member.member_ids)
        else:
            found.append(member)
    return found
