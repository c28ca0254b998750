"""Commands of clues (线索), mixed into `RectifyApp`.

The identity is sealed here, before the aggregate exists, so no event ever holds it in
plaintext; it is opened only by `reveal_reporter`, which records the reveal in the same
step. A referral made at triage is built by `build_referral` and saved together with the
clue's `Referred` event: both or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.agencies import Agency, AgencyKind
from domain.calendar import WorkingCalendar
from domain.clocks import Period, due_at
from domain.clues import (
    DEFAULT_REPLY_DAYS,
    Channel,
    Clue,
    ClueRefused,
    ClueStatus,
    ClueTerms,
    clue_id,
    clue_terms_id,
)
from domain.command_results import CommandResult
from domain.errors import Conflict, InvalidInput, NotAllowed
from domain.referrals import Referral, ReferralStatus, referral_id
from domain.reporter_identity import IdentityKeys, ReporterIdentity, seal, unseal
from domain.retrying import CanRetry

A = TypeVar("A", bound=Aggregate)
MAX_ATTEMPTS = 5


class _App(CanRetry, Protocol):
    env: Any
    recorder: Any

    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _exists(self, item_id: UUID) -> bool: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...
    def get_agency(self, item_id: UUID) -> Agency: ...
    def get_clue(self, item_id: UUID) -> Clue: ...
    def get_referral(self, item_id: UUID) -> Referral: ...
    def reseal_clue(self, item_id: UUID, actor: str) -> CommandResult: ...
    def identity_keys(self) -> IdentityKeys: ...
    def clue_reply_days(self, campaign: UUID | None) -> int: ...
    def referral_calendar(self, years: range) -> WorkingCalendar: ...
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


class ClueCommands:
    # -- keys and terms -------------------------------------------------------------------

    def identity_keys(self: _App) -> IdentityKeys:
        """Read at each use, so a rotation needs no restart of long-lived processes."""
        return IdentityKeys.from_env(self.env)

    def clue_reply_days(self: _App, campaign: UUID | None) -> int:
        if campaign is not None and self._exists(clue_terms_id(campaign)):
            return self._get(ClueTerms, clue_terms_id(campaign), "clue terms").reply_days
        return DEFAULT_REPLY_DAYS

    def set_clue_reply_days(
        self: _App, campaign: UUID, reply_days: int, actor: str
    ) -> CommandResult:

        self._get(Aggregate, campaign, "campaign")
        item_id = clue_terms_id(campaign)
        for _ in range(MAX_ATTEMPTS):
            if self._exists(item_id):
                terms = self._get(ClueTerms, item_id, "clue terms")
            else:
                terms = ClueTerms(campaign)
            terms.set_reply_days(reply_days, actor)
            if not terms.pending_events:
                return CommandResult(item_id, None, changed=False)
            try:
                return CommandResult(item_id, self._save(terms))
            except IntegrityError:
                continue
        raise Conflict(f"clue terms of {campaign} kept changing; try again")

    # -- intake ---------------------------------------------------------------------------

    def receive_clue(
        self: _App,
        agency: UUID,
        channel: Channel | str,
        content: str,
        *,
        actor: str,
        institution: str = "",
        person: str = "",
        attachments: Sequence[str] = (),
        reporter: ReporterIdentity | None = None,
        real_name: bool = False,
        campaign: UUID | None = None,
        key: str | None = None,
        at: datetime | None = None,
    ) -> CommandResult:
        """登记线索. Without `reporter` the report is anonymous; a real-name reporter is
        owed a reply within the campaign's reply days (working days from receipt)."""

        when = _now(at)
        channel_name = channel.value if isinstance(channel, Channel) else str(channel)
        anonymous = reporter is None
        Clue.validate_intake(channel_name, institution, person, content, anonymous, real_name)
        item_id = clue_id(key)
        if key and self._exists(item_id):
            return CommandResult(item_id, None, changed=False)
        self.get_agency(agency)
        if campaign is not None:
            self._get(Aggregate, campaign, "campaign")
        reply_days = self.clue_reply_days(campaign)
        reply_due = None
        if real_name:
            calendar = self.referral_calendar(range(when.year, when.year + 3))
            reply_due = due_at(calendar, when, Period.working_days(reply_days))
        sealed = seal(reporter, self.identity_keys(), item_id) if reporter else None
        if reporter is not None:
            content = reporter.withheld_from(content)
            attachments = [reporter.withheld_from(a) for a in attachments]
        clue = Clue(
            id=item_id, agency_id=agency, channel=channel_name, institution=institution.strip(),
            person=person.strip(), content=content.strip(),
            attachments=[a.strip() for a in attachments if a.strip()], anonymous=anonymous,
            real_name=real_name, sealed_identity=sealed, campaign_id=campaign,
            reply_days=reply_days, at=when, reply_due=reply_due, actor=actor,
        )  # fmt: skip
        try:
            return CommandResult(item_id, self._save(clue))
        except IntegrityError:
            if key:  # received by a concurrent retry of the same intake
                return CommandResult(item_id, None, changed=False)
            raise

    def get_clue(self: _App, item_id: UUID) -> Clue:
        return self._get(Clue, item_id, "clue")

    # -- triage ---------------------------------------------------------------------------

    def handle_clue(self: _App, item_id: UUID, note: str, actor: str) -> CommandResult:
        return self.retrying(Clue, item_id, lambda clue: clue.handle(note, actor))

    def refer_clue(
        self: _App,
        item_id: UUID,
        receiver: UUID,
        reason: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        """移送: the clue's Referred event and the referral (never the identity) together."""

        key = f"clue:{item_id}:{receiver}"

        def refer(clue: Clue) -> None:
            target = self.get_agency(receiver)
            if target.kind is AgencyKind.GROUP:
                # The identity goes to one agency that answers for it, never to a group.
                raise InvalidInput("receiver", f"{target.name} 是单位组 / is a group")
            clue.refer(receiver, target.name, reason, referral_id(key), actor)

        def referral(clue: Clue) -> list[Aggregate]:
            return self.build_referral(
                clue.agency_id, receiver, reason,
                actor=actor, subject_kind="clue", subject_id=clue.id,
                attachments=clue.attachments, campaign=clue.campaign_id, key=key, at=at,
            )  # fmt: skip

        return self.retrying(Clue, item_id, refer, along=referral)

    def merge_clue(
        self: _App,
        item_id: UUID,
        into: UUID,
        note: str,
        actor: str,
        agency: UUID | None = None,
    ) -> CommandResult:
        """并案 within one handling agency; `agency`, the acting agency, must handle both."""

        def merge(clue: Clue) -> None:
            if agency is not None and clue.handling_agency_id != agency:
                raise NotAllowed("仅办理单位可以并案 / only the handling agency may merge")
            clue.merge_into(self.get_clue(into), note, actor)

        return self.retrying(Clue, item_id, merge)

    def dismiss_clue(self: _App, item_id: UUID, reason: str, actor: str) -> CommandResult:
        return self.retrying(Clue, item_id, lambda clue: clue.dismiss(reason, actor))

    def conclude_clue(self: _App, item_id: UUID, outcome: str, actor: str) -> CommandResult:
        """办结 a clue handled here; a referred clue concludes with its referral's acceptance
        (ADR 0035), and by hand only once that referral is accepted (one accepted before
        clues concluded with their referrals)."""

        def conclude(clue: Clue) -> None:
            if clue.status is ClueStatus.REFERRED and clue.referral_id is not None:
                if self.get_referral(clue.referral_id).status is not ReferralStatus.ACCEPTED:
                    raise ClueRefused(
                        "conclude",
                        clue.status,
                        "随移送确认办结自动办结 / concludes when its referral is accepted",
                    )
                clue.conclude_with_referral(clue.referral_id, outcome, actor)
                return
            clue.conclude(outcome, actor)

        return self.retrying(Clue, item_id, conclude)

    def reply_to_reporter(
        self: _App,
        item_id: UUID,
        text: str,
        channel: str,
        actor: str,
        at: datetime | None = None,
    ) -> CommandResult:
        return self.retrying(Clue, item_id, lambda clue: clue.reply(text, channel, _now(at), actor))

    # -- the protected identity -----------------------------------------------------------

    def reveal_reporter(
        self: _App,
        item_id: UUID,
        agency: UUID,
        reason: str,
        actor: str,
        at: datetime | None = None,
    ) -> tuple[ReporterIdentity, CommandResult]:
        """Open the identity for the handling agency's staff; the reveal is recorded first,
        so nobody sees it without a ReporterRevealed event in the clue's history."""

        for _ in range(MAX_ATTEMPTS):
            clue = self.get_clue(item_id)
            clue.reveal(agency, reason, _now(at), actor)
            assert clue.sealed_identity is not None  # reveal refuses an anonymous clue
            identity = unseal(clue.sealed_identity, self.identity_keys(), clue.id)
            try:
                return identity, CommandResult(item_id, self._save(clue))
            except IntegrityError:
                continue
        raise Conflict(f"clue {item_id} kept changing; try again")

    def reseal_clue(self: _App, item_id: UUID, actor: str) -> CommandResult:
        """Seal the identity again under the current key (an IdentityResealed event)."""
        keys = self.identity_keys()

        def reseal(clue: Clue) -> None:
            if clue.sealed_identity is not None and clue.identity_key_id != keys.current:
                identity = unseal(clue.sealed_identity, keys, clue.id)
                clue.reseal(seal(identity, keys, clue.id), actor)

        return self.retrying(Clue, item_id, reseal)

    def reseal_all_clues(self: _App, actor: str, batch: int = 500) -> list[UUID]:
        """Key rotation: every clue whose identity is under an older key gets an
        IdentityResealed event. Idempotent: a second run changes nothing."""
        changed: list[UUID] = []
        start = 1
        while True:
            found = self.recorder.select_notifications(start, batch, topics=[Clue.Received.TOPIC])
            for notification in found:
                if self.reseal_clue(notification.originator_id, actor).changed:
                    changed.append(notification.originator_id)
            if len(found) < batch:
                return changed
            start = found[-1].id + 1
