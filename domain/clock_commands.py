"""Use cases of the clock engine, mixed into `RectifyApp`.

The engine side (called by the clock activities) works on any registered clocked kind:
schedule a clock (pin its due instant and policy version) and record a milestone by key.
The calendar is passed in: the domain does not know where calendar data comes from.
Pause/resume are the issue's clock controls; policies are set per campaign and kind.

Dues kept from a start and a period (referrals, case transfers, clues: `Reschedulable`)
are recomputed on that calendar whenever the engine reads or records: a due the calendar
now puts elsewhere is recorded as the item's `DueDateRecomputed` first, so the milestones
follow the new due and a stale key (the old overdue inside a newly loaded holiday) is
never recorded (ADR 0023).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.calendar import WorkingCalendar
from domain.calendar.service import get_official_calendar
from domain.campaigns import Campaign
from domain.clock_settings import ClockSettings
from domain.clocks import (
    Clocked,
    Ladder,
    Milestone,
    Reschedulable,
    Rung,
    clocked_kind,
    moved_dues,
)
from domain.command_results import CommandResult
from domain.errors import Conflict, InvalidInput
from domain.issues import RectificationIssue
from domain.messages import KINDS, label, says
from domain.policies import EscalationPolicy, applicable_ladder, policy_id
from domain.retrying import CanRetry

if TYPE_CHECKING:
    from eventsourcing.application import Repository


A = TypeVar("A", bound=Aggregate)
MAX_ATTEMPTS = 5
CLOCK_ACTOR = "system:clock"


class _App(CanRetry, Protocol):
    """What the mixin uses of `RectifyApp`."""

    clock_settings: ClockSettings

    @property
    def repository(self) -> Repository[UUID]: ...
    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...


@dataclass(frozen=True)
class ClockView:
    """An item's clock as the engine needs it, read at one moment."""

    open: bool  # False: the clock is over (the workflow may end)
    running: bool  # False while paused (or over)
    due: datetime | None
    provisional: bool
    ladder: Ladder
    milestones: list[Milestone]  # every milestone of the current clock, sorted
    recorded: frozenset[str]  # keys of those already recorded
    # Dues kept from a start and a period, as this calendar computes them (by clock name):
    # two calendars that differ here move the item's due although its milestones, read
    # from the due it keeps, do not differ yet.
    derived_dues: tuple[tuple[str, datetime], ...] = ()


class ClockCommands:
    # Set by the composition root (RECTIFY_REMINDER_WORKING_DAYS): see domain/clock_settings.
    clock_settings: ClockSettings = ClockSettings()

    # -- the engine ----------------------------------------------------------------------

    def get_clocked(self: _App, kind: str, item_id: UUID) -> Clocked:
        entry = clocked_kind(kind)
        item: Any = self._get(entry.aggregate, item_id, kind)
        if not isinstance(item, Clocked):
            raise InvalidInput("kind", says("not_clock_protocol", kind=kind))
        return item

    def policy_of(self: _App, campaign: UUID | None, kind: str) -> EscalationPolicy | None:
        if campaign is None:
            return None
        try:
            found: object = self.repository.get(policy_id(campaign, kind))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, EscalationPolicy) else None

    def ladder_in_force(self: _App, campaign: UUID, kind: str) -> Ladder:
        """The ladder new clocks of `kind` in the campaign get: the latest version set, or
        the built-in one (version 0) before any (`rectify policy show`, the 督办规则 page)."""
        clocked_kind(kind)  # an unknown kind is refused before the campaign is looked up
        self._get(Campaign, campaign, "campaign")
        policy = ClockCommands.policy_of(self, campaign, kind)
        if policy is None or policy.latest_version == 0:
            return self.clock_settings.default_ladder(kind)
        return policy.ladder(policy.latest_version)

    def clock_view(self: _App, kind: str, item_id: UUID, calendar: WorkingCalendar) -> ClockView:
        item = ClockCommands.get_clocked(self, kind, item_id)
        return _view(self, kind, item, calendar)

    def schedule_clock(
        self: _App, kind: str, item_id: UUID, calendar: WorkingCalendar, actor: str = CLOCK_ACTOR
    ) -> tuple[ClockView, bool]:
        """Pin the clock's due instant and policy version in the item's stream when new.

        Returns the view and whether an event (ClockScheduled / DueDateRecomputed) was
        appended. Idempotent: the same facts append nothing.
        """
        for _ in range(MAX_ATTEMPTS):
            item: Any = ClockCommands.get_clocked(self, kind, item_id)
            moved = ClockCommands.recompute_dues(self, item, calendar, actor)
            view = _view(self, kind, item, calendar)
            scheduled = False
            if view.due is not None and view.open and hasattr(item, "schedule_clock"):
                rings = [f"{m.rung}@{m.at.isoformat()}" for m in view.milestones]
                scheduled = item.schedule_clock(
                    view.due, view.provisional, view.ladder.version, rings, actor
                )
            if not (moved or scheduled):
                return view, False
            try:
                self._save(item)
            except IntegrityError:
                continue
            return view, True
        raise Conflict.kept_changing(kind, item_id)

    def record_clock_milestone(
        self: _App,
        kind: str,
        item_id: UUID,
        key: str,
        calendar: WorkingCalendar,
        actor: str = CLOCK_ACTOR,
        caught_up: bool = False,
    ) -> bool:
        """Record the milestone with this key if it is still one of the clock's; else nothing.

        Reloaded and recomputed on every attempt, so a key made stale by an extension, a
        pause, a calendar or policy change, or a closing in the meantime records nothing.
        `caught_up`: a later rung is already due too (the clock says so), so this one goes
        into the history without notices of its own.
        """
        for _ in range(MAX_ATTEMPTS):
            item: Any = ClockCommands.get_clocked(self, kind, item_id)
            # A calendar loaded since the workflow read the key may have moved the due: the
            # move is recorded and the old key is then not among the milestones any more.
            moved = ClockCommands.recompute_dues(self, item, calendar, actor)
            view = _view(self, kind, item, calendar)
            found = next((m for m in view.milestones if m.key == key), None)
            if found is not None and caught_up:
                found = replace(found, caught_up=True)
            recorded = found is not None and item.record_milestone(found, actor)
            if not (recorded or moved):
                return False
            try:
                self._save(item)
            except IntegrityError:
                continue
            return recorded
        raise Conflict.kept_changing(kind, item_id)

    def recompute_dues(
        self: _App, item: Any, calendar: WorkingCalendar, actor: str = CLOCK_ACTOR
    ) -> bool:
        """Record, unsaved, each kept due this calendar moves; True if any moved.

        Idempotent: on the same calendar the second call finds every due in place. Items
        whose dues are fixed dates (issues, report dues) have none to recompute.
        """
        if not isinstance(item, Reschedulable):
            return False
        changed = False
        for moved in moved_dues(item.period_clocks(), calendar):
            notes = _calendar_notes(self, calendar, moved.years)
            changed = item.record_moved_due(moved, notes, actor) or changed
        return changed

    # -- issue clock controls ------------------------------------------------------------

    def pause_clock(
        self: _App, item: UUID, reason: str, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = at or datetime.now(UTC)
        return self.retrying(RectificationIssue, item, lambda i: i.pause_clock(when, reason, actor))

    def resume_clock(
        self: _App, item: UUID, reason: str, actor: str, at: datetime | None = None
    ) -> CommandResult:
        when = at or datetime.now(UTC)
        return self.retrying(
            RectificationIssue, item, lambda i: i.resume_clock(when, reason, actor)
        )

    # -- policies ------------------------------------------------------------------------

    def set_escalation_policy(
        self: _App,
        campaign: UUID,
        kind: str,
        rungs: list[Rung],
        *,
        actor: str,
        apply_to_running: bool = False,
        reason: str = "",
    ) -> CommandResult:

        clocked_kind(kind)
        self._get(Campaign, campaign, "campaign")
        for _ in range(MAX_ATTEMPTS):
            policy = ClockCommands.policy_of(self, campaign, kind)
            if policy is None:
                policy = EscalationPolicy(campaign, kind)
            if not policy.set_ladder(rungs, apply_to_running, reason, actor):
                return CommandResult(policy.id, None, changed=False)
            try:
                return CommandResult(policy.id, self._save(policy))
            except IntegrityError:
                continue
        raise Conflict(
            says(
                "policy_kept_changing", kind=kind, kind_label=label(KINDS, kind), campaign=campaign
            )
        )


def _calendar_notes(app: _App, calendar: WorkingCalendar, years: range) -> list[str]:
    """What a recomputed due rests on, per year: the arrangement's source, and for a year
    an administrator loaded, the version of its stream (the load that changed it)."""
    notes = []
    for year in years:
        arrangement = calendar.arrangement(year)
        kind = "official" if arrangement.official else "provisional"
        note = f"{year}: {arrangement.source or kind}"
        loaded = get_official_calendar(app, year)  # type: ignore[arg-type]
        in_force = loaded.arrangement() if loaded is not None else None
        if loaded is not None and in_force is not None and in_force.same_days(arrangement):
            note += f" (v{loaded.version})"
        notes.append(note)
    return notes


def _view(app: _App, kind: str, item: Any, calendar: WorkingCalendar) -> ClockView:
    policy = ClockCommands.policy_of(app, item.clock_campaign_id, kind)
    pinned = getattr(item, "policy_version", None)
    ladder = applicable_ladder(policy, kind, pinned, app.clock_settings.default_ladder(kind))
    milestones: list[Milestone] = item.milestones(calendar, ladder) if item.clock_open() else []
    due = milestones[0].due if milestones else None
    return ClockView(
        open=bool(item.clock_open()),
        running=bool(item.clock_running()),
        due=due,
        provisional=any(m.provisional for m in milestones),
        ladder=ladder,
        milestones=milestones,
        recorded=frozenset(m.key for m in milestones if item.has_milestone(m.key)),
        derived_dues=tuple(
            (c.name, c.due_on(calendar))
            for c in (item.period_clocks() if isinstance(item, Reschedulable) else [])
        ),
    )
