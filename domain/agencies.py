"""Agencies (部门/单位) and agency groups that stand for a set of agencies.

Agencies are data, never an enum: names come with many spellings, hence aliases.
A group such as "各乡镇人民政府" or "县综合监管协调机制各成员单位" is an Agency whose kind is
GROUP; its members can be filled in later without touching the issues that name it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.messages import says
from domain.names import agency_id, alias_id, normalise_name


class AgencyKind(StrEnum):
    AGENCY = "AGENCY"
    GROUP = "GROUP"


_GROUP_MARKERS = ("成员单位", "各有关", "各相关", "各级")


# The statutory parties of a case transfer, told by the words officials put in the name
# (agencies are data: no list of police stations in code).
FUNCTION_WORDS = {
    "police": ("公安", "派出所", "police", "publicsecurity"),
    "procuratorate": ("检察院", "检察", "procuratorate"),
    "discipline": ("纪委", "监委", "纪检", "监察委", "discipline", "supervisorycommission"),
}
FUNCTION_LABELS = {
    "police": "公安机关 / a police agency",
    "procuratorate": "检察机关 / a procuratorate",
    "discipline": "纪检监察机关 / a discipline inspection commission",
}


def has_function(name: str, function: str) -> bool:
    """Whether the agency's name says it is a police agency, a procuratorate or a
    discipline inspection commission (e.g. 县公安局, 县人民检察院, 县纪委监委)."""
    text = normalise_name(name).lower()
    return any(word in text for word in FUNCTION_WORDS[function])


def looks_like_group(name: str) -> bool:
    """Officials name groups with 各… (each …) or …成员单位 (member units)."""
    text = normalise_name(name)
    return text.startswith("各") or any(marker in text for marker in _GROUP_MARKERS)


class Agency(Aggregate):
    TOPIC = "rectify:Agency"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Agency.Event"

    class Registered(Aggregate.Created):
        """v2 says the agency's region (ADR 0029): the area it counts in is known when it
        is registered (`rectify agency add NAME --region R`), so one event can say so."""

        TOPIC = "rectify:Agency.Registered"
        class_version = 2
        name: str
        kind: str
        level: str
        parent_id: UUID | None
        region: str | None
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 code registered every agency without a region (one came only with a later
            # RegionAssigned), so None is what a v1 registration said, not a guess.
            state["region"] = None

    class AliasAdded(Aggregate.Event):
        TOPIC = "rectify:Agency.AliasAdded"
        alias: str
        actor: str

    class MemberAdded(Aggregate.Event):
        TOPIC = "rectify:Agency.MemberAdded"
        member_id: UUID
        actor: str

    class MemberRemoved(Aggregate.Event):
        TOPIC = "rectify:Agency.MemberRemoved"
        member_id: UUID
        actor: str

    class RegionAssigned(Aggregate.Event):
        TOPIC = "rectify:Agency.RegionAssigned"
        region: str
        actor: str

    @staticmethod
    def create_id(name: str, *_: Any, **__: Any) -> UUID:
        return agency_id(name)

    @event(Registered)
    def __init__(
        self,
        name: str,
        kind: str,
        level: str,
        parent_id: UUID | None,
        actor: str,
        region: str | None = None,
    ) -> None:
        self.name = name
        self.kind = AgencyKind(kind)
        self.level = level
        self.parent_id = parent_id
        self.aliases: list[str] = []
        self.member_ids: list[UUID] = []
        # The area (e.g. a county) whose figures the agency counts in; None until one is
        # given. Callers pass it normalised, as `assign_region` records it.
        self.region: str | None = region

    def add_alias(self, alias: str, actor: str) -> None:
        if normalise_name(alias) in {normalise_name(a) for a in [self.name, *self.aliases]}:
            return
        self._add_alias(alias, actor)

    @event(AliasAdded)
    def _add_alias(self, alias: str, actor: str) -> None:
        self.aliases.append(alias)

    def add_member(self, member_id: UUID, actor: str) -> None:
        if self.kind is not AgencyKind.GROUP:
            from domain.errors import InvalidInput

            raise InvalidInput("kind", says("agency_not_group", name=self.name))
        if member_id not in self.member_ids:
            self._add_member(member_id, actor)

    @event(MemberAdded)
    def _add_member(self, member_id: UUID, actor: str) -> None:
        self.member_ids.append(member_id)

    def remove_member(self, member_id: UUID, actor: str) -> None:
        """A referral already sent to the group keeps its receivers; only later ones are
        addressed without the agency. Removing a non-member records nothing."""
        if self.kind is not AgencyKind.GROUP:
            from domain.errors import InvalidInput

            raise InvalidInput("group", says("agency_not_group", name=self.name))
        if member_id in self.member_ids:
            self._remove_member(member_id, actor)

    @event(MemberRemoved)
    def _remove_member(self, member_id: UUID, actor: str) -> None:
        self.member_ids.remove(member_id)

    def assign_region(self, region: str, actor: str) -> None:
        clean = normalise_name(region)
        if not clean:
            from domain.errors import InvalidInput

            raise InvalidInput("region", says("empty"))
        if clean != self.region:
            self._assign_region(clean, actor)

    @event(RegionAssigned)
    def _assign_region(self, region: str, actor: str) -> None:
        self.region = region


class AgencyAlias(Aggregate):
    """Index aggregate: one per alias, pointing at its agency, so lookups need no read model."""

    TOPIC = "rectify:AgencyAlias"

    class Event(Aggregate.Event):
        TOPIC = "rectify:AgencyAlias.Event"

    class Created(Aggregate.Created):
        TOPIC = "rectify:AgencyAlias.Created"
        alias: str
        agency_id: UUID

    @staticmethod
    def create_id(alias: str, *_: Any, **__: Any) -> UUID:
        return alias_id(alias)

    @event(Created)
    def __init__(self, alias: str, agency_id: UUID) -> None:
        self.alias = alias
        self.agency_id = agency_id
