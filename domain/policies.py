"""Escalation policies as data: the ladder of one campaign for one item kind.

One stream per (campaign, kind), so the log answers "who set which ladder, when, and did
it apply to running clocks". Versions count from 1; version 0 is the built-in default of
the kind (domain.clocks.DEFAULT_LADDER unless the kind registered its own).

Which version a clock runs on: the latest when the clock is first scheduled (pinned in the
item's stream), later replaced only by a version set with apply_to_running.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.clocks import Ladder, MilestoneKind, Period, Rung, clocked_kind
from domain.errors import InvalidInput
from domain.names import NAMESPACE


def policy_id(campaign_id: UUID, kind: str) -> UUID:
    return uuid5(NAMESPACE, f"escalation-policy:{campaign_id}:{kind}")


def rung_as_dict(rung: Rung) -> dict[str, Any]:
    return {
        "name": rung.name,
        "kind": rung.kind.value,
        "offset": str(rung.offset),
        "addressee": rung.addressee,
        "label": rung.label,
    }


def rung_from_dict(data: dict[str, Any], index: int = 0) -> Rung:
    """From the stored (or file) form; problems name the rung (rungs[2].offset)."""
    where = f"rungs[{index}]"
    try:
        kind = MilestoneKind(str(data.get("kind", "")))
    except ValueError:
        kinds = ", ".join(k.value for k in MilestoneKind)
        raise InvalidInput(f"{where}.kind", f"'{data.get('kind')}'; expected {kinds}") from None
    try:
        offset = Period.parse(str(data.get("offset", "")))
    except InvalidInput as error:
        raise InvalidInput(f"{where}.offset", error.message) from None
    try:
        return Rung(
            str(data.get("name", "")),
            kind,
            offset,
            str(data.get("addressee", "")),
            str(data.get("label", "")),
        )
    except InvalidInput as error:
        raise InvalidInput(f"{where}.name", error.message) from None


def ladder_from_dicts(rungs: list[dict[str, Any]], version: int) -> Ladder:
    if not rungs:
        raise InvalidInput("rungs", "a policy needs at least one rung")
    return Ladder(tuple(rung_from_dict(r, i) for i, r in enumerate(rungs)), version)


class EscalationPolicy(Aggregate):
    TOPIC = "rectify:EscalationPolicy"

    class Event(Aggregate.Event):
        TOPIC = "rectify:EscalationPolicy.Event"

    class Opened(Aggregate.Created):
        TOPIC = "rectify:EscalationPolicy.Opened"
        campaign_id: UUID
        kind: str

    class LadderSet(Aggregate.Event):
        TOPIC = "rectify:EscalationPolicy.LadderSet"
        version: int
        rungs: list[dict[str, Any]]
        apply_to_running: bool
        reason: str
        actor: str

    @staticmethod
    def create_id(campaign_id: UUID, kind: str, *_: Any, **__: Any) -> UUID:
        return policy_id(campaign_id, kind)

    @event(Opened)
    def __init__(self, campaign_id: UUID, kind: str) -> None:
        self.campaign_id = campaign_id
        self.kind = kind
        self.ladders: list[list[dict[str, Any]]] = []  # index = version - 1
        self.running_versions: list[int] = []  # versions set with apply_to_running

    @property
    def latest_version(self) -> int:
        return len(self.ladders)

    def set_ladder(
        self, rungs: list[Rung], apply_to_running: bool, reason: str, actor: str
    ) -> bool:
        """A new version; the same rungs again record nothing (unless now applied to running)."""
        if not actor.strip():
            raise InvalidInput("actor", "empty")
        stored = [rung_as_dict(r) for r in rungs]
        ladder_from_dicts(stored, 0)  # the same checks as when it is read back
        if self.ladders and self.ladders[-1] == stored and not apply_to_running:
            return False
        self._ladder_set(self.latest_version + 1, stored, apply_to_running, reason.strip(), actor)
        return True

    @event(LadderSet)
    def _ladder_set(
        self,
        version: int,
        rungs: list[dict[str, Any]],
        apply_to_running: bool,
        reason: str,
        actor: str,
    ) -> None:
        self.ladders.append(rungs)
        if apply_to_running:
            self.running_versions.append(version)

    def ladder(self, version: int) -> Ladder:
        if not 1 <= version <= self.latest_version:
            raise InvalidInput("version", f"{version} is not a version of this policy")
        return ladder_from_dicts(self.ladders[version - 1], version)

    def version_for(self, pinned: int | None) -> int:
        """The version a clock runs on: pinned (None: not yet scheduled) or a later forced one."""
        if pinned is None:
            return self.latest_version
        forced = [v for v in self.running_versions if v > pinned]
        return max(forced) if forced else pinned


def applicable_ladder(
    policy: EscalationPolicy | None, kind: str, pinned: int | None, default: Ladder | None = None
) -> Ladder:
    """The ladder of a clock of `kind` with its pinned version, given the campaign's policy;
    `default`: the ladder without a policy (ClockSettings.default_ladder), else the kind's."""
    if default is None:
        default = clocked_kind(kind).default_ladder
    if policy is None:
        return default
    version = policy.version_for(pinned)
    return policy.ladder(version) if version > 0 else default
