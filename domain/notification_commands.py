"""Commands of notifications, mixed into `RectifyApp`: notices issued for clock
milestones (by the notifier), agency endpoints, and the record of every delivery attempt
(by the delivery activities)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.agencies import has_function
from domain.command_results import CommandResult
from domain.delivery import (
    ChannelKind,
    Delivery,
    Endpoint,
    Endpoints,
    delivery_id,
    endpoints_id,
)
from domain.errors import Conflict, InvalidInput
from domain.notices import (
    DISCIPLINE,
    RESPONSIBLE,
    ItemFacts,
    MilestoneRecord,
    notices_for,
)
from domain.retrying import CanRetry

if TYPE_CHECKING:
    from domain.agencies import Agency

A = TypeVar("A", bound=Aggregate)


class _App(CanRetry, Protocol):
    """What the mixin uses of `RectifyApp`."""

    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _exists(self, item_id: UUID) -> bool: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...
    def get_agency(self, item_id: UUID) -> Agency: ...
    def find_agency(self, name: str) -> UUID | None: ...
    @property
    def repository(self) -> Any: ...


TITLE_LENGTH = 40
ITEM_LABELS = {"issue": "问题", "referral": "移送", "case-transfer": "移送涉嫌犯罪案件"}


class NotificationCommands:
    # -- notices (issued by the notifier for each milestone event) ------------------------

    def issue_notices(self: _App, milestone: MilestoneRecord) -> CommandResult:
        """Issue the milestone's notices once: ids come from (item, version, recipient)."""

        facts = NotificationCommands._facts(self, milestone)
        for _ in range(3):
            notices = notices_for(milestone, facts, self._exists)
            if not notices:
                return CommandResult(milestone.item_id, None, changed=False)
            try:
                return CommandResult(milestone.item_id, self._save(*notices))
            except IntegrityError:
                continue  # issued concurrently (two notifiers): skip what is there now
        raise Conflict(f"notices of {milestone.key} kept changing; try again")

    @staticmethod
    def _facts(app: _App, milestone: MilestoneRecord) -> ItemFacts:
        """Recipients as the item stood when the milestone was recorded."""
        item = app.repository.get(milestone.item_id, version=milestone.version)
        responsible = list(getattr(item, "responsible_agency_ids", None) or [])
        for name in ("lead_agency_id", "receiver_agency_id", "agency_id"):
            if not responsible and getattr(item, name, None) is not None:
                responsible = [getattr(item, name)]
        office = None
        members: list[UUID] = []
        campaign_id = getattr(item, "clock_campaign_id", None) or getattr(item, "campaign_id", None)
        if campaign_id is not None and app._exists(campaign_id):
            campaign = app.repository.get(campaign_id)
            office = getattr(campaign, "lead_agency_id", None)
            members = list(getattr(campaign, "member_agency_ids", []))
        discipline = None
        if milestone.addressee == DISCIPLINE:
            for agency in dict.fromkeys([*responsible, *members]):
                name = app.get_agency(agency).name
                if has_function(name, "discipline"):
                    discipline = agency
                    break
        named: dict[str, UUID] = {}
        if milestone.addressee and milestone.addressee not in (RESPONSIBLE, DISCIPLINE):
            found = app.find_agency(milestone.addressee)
            if found is not None:
                named[milestone.addressee] = found
        return ItemFacts(_title(item, milestone), tuple(responsible), office, discipline, named)

    # -- endpoints (per agency) ----------------------------------------------------------

    def add_endpoint(
        self: _App,
        agency: UUID,
        channel: ChannelKind,
        address: str,
        *,
        secret: str = "",
        kinds: list[str] | None = None,
        actor: str,
    ) -> CommandResult:

        self.get_agency(agency)
        wanted = list(kinds or [])
        if self._exists(endpoints_id(agency)):
            return self.retrying(
                Endpoints,
                endpoints_id(agency),
                lambda e: e.add(channel, address, secret, wanted, actor),
            )
        endpoints = Endpoints(agency)
        endpoints.add(channel, address, secret, wanted, actor)
        try:
            return CommandResult(endpoints.id, self._save(endpoints))
        except IntegrityError:
            raise Conflict(f"endpoints of {agency} changed concurrently; try again") from None

    def remove_endpoint(self: _App, agency: UUID, endpoint: UUID, actor: str) -> CommandResult:
        return self.retrying(Endpoints, endpoints_id(agency), lambda e: e.remove(endpoint, actor))

    def endpoints_of(self: _App, agency: UUID) -> list[Endpoint]:
        if not self._exists(endpoints_id(agency)):
            return []
        found = self._get(Endpoints, endpoints_id(agency), "endpoints")
        return list(found.endpoints.values())

    # -- deliveries (written by the delivery activities) -----------------------------------

    def open_delivery(
        self: _App, notice_id: UUID, endpoint: Endpoint, agency: UUID, subject: str
    ) -> Delivery:
        """The delivery of this notice to this endpoint, requested once however often asked."""
        item = delivery_id(notice_id, endpoint.id)
        if not self._exists(item):
            delivery = Delivery(
                notice_id, endpoint.id, agency, endpoint.channel.value, endpoint.address, subject
            )
            try:
                self._save(delivery)
                return delivery
            except IntegrityError:
                pass  # requested by a concurrent run of the same activity: read theirs
        return self._get(Delivery, item, "delivery")

    def has_delivery(self: _App, item: UUID) -> bool:
        return self._exists(item)

    def get_delivery(self: _App, item: UUID) -> Delivery:
        return self._get(Delivery, item, "delivery")

    def record_delivery_failure(
        self: _App, item: UUID, attempt: int, error: str, permanent: bool
    ) -> CommandResult:
        if attempt < 1:
            raise InvalidInput("attempt", "attempts count from 1")
        return self.retrying(Delivery, item, lambda d: d.record_failure(attempt, error, permanent))

    def record_delivered(self: _App, item: UUID, attempt: int, detail: str) -> CommandResult:
        return self.retrying(Delivery, item, lambda d: d.record_delivered(attempt, detail))

    def abandon_delivery(self: _App, item: UUID, reason: str) -> CommandResult:
        return self.retrying(Delivery, item, lambda d: d.abandon(reason))


def _title(item: Any, milestone: MilestoneRecord) -> str:
    """Issues: 问题7：<problem>; referrals: 移送：<reason>; any kind may define `notice_title`."""
    own = getattr(item, "notice_title", None)
    if isinstance(own, str) and own:
        return own
    number, problem = getattr(item, "number", None), getattr(item, "problem", None)
    reason = getattr(item, "reason", None)
    if number and problem:
        text = f"问题{number}：{problem}"
    elif isinstance(reason, str) and reason:
        text = f"{ITEM_LABELS.get(milestone.item_kind, milestone.item_kind)}：{reason}"
    else:
        return f"{ITEM_LABELS.get(milestone.item_kind, milestone.item_kind)} {milestone.item_id}"
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1] + "…"
