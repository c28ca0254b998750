"""The contract between items that have deadlines and the clock engine.

An item kind becomes *clocked* by implementing `Clocked` on its aggregate and calling
`register_clocked` once (at the bottom of its module). The engine then does the rest:

- the dispatcher starts or signals the item's workflow (`<kind>-clock-<id>`) for every
  event whose topic is in `ClockedKind.topics`, and keeps a table of open clocks so that a
  calendar load or a policy change can signal the clocks it concerns;
- the workflow (one class for every kind) asks an activity for the item's milestones, sleeps
  until the next one not yet recorded, and asks an activity to record it by key;
- the activity reloads the item, recomputes its milestones with the working calendar and
  the applicable `Ladder`, and calls `record_milestone` only for a key still among them,
  so a stale, repeated or retried record appends nothing.

Keys are built from domain facts (item, cycle, rung, due instant): a moved deadline or a
new cycle gives new keys; the same facts always give the same key.

Errors are deterministic: a `DomainError` (other than `Conflict`, a race the engine
retries) raised while computing or recording milestones — `NoCalendarData` for a year the
calendar cannot count — is a *clock fault*: the engine reports it (workflows/clock_faults)
and waits for the item to change rather than retrying. Dates a user gives are kept within
what the calendar counts (domain.calendar.supported) so that faults stay rare.

To make an aggregate clocked (domain/reporting.py's ReportDue is the smallest example,
domain/referrals.py one with several clocks):
1. mix `clock_recording.ClockRecord` in before `Aggregate`, set `self.clock_keys = []` in
   the created event's `__init__`, and give `clock_prefix` (the item and its current clock:
   `referral:<id>:round1:claim`), `clock_campaign_id`, `clock_open()` and `clock_running()`;
2. compute `milestones(calendar, ladder)`: the due instant (a kept one, or
   `due_at(calendar, start, period)`) and `ladder_milestones(self.clock_prefix, due, ladder,
   calendar)`;
3. declare `class MilestoneRecorded(clock_recording.MilestoneRecorded)` with a TOPIC of its
   own (`rectify:Referral.MilestoneRecorded`): ClockRecord's `record_milestone` appends it
   once per key, only while the clock runs and only for a key of the current clock.
   Override `_record_milestone_event` for events of your own (issues: ReminderRecorded,
   OverdueRecorded, EscalationRecorded; case transfers: StatutoryBreachRecorded);
4. dues kept from a start and a period (referrals, clues, case transfers): mix in
   `Reschedulable` as well, with `period_clocks()` and a `DueDateRecomputed` event method
   `_due_recomputed(clock, previous, due, provisional, calendar, actor)`, so that a
   calendar loaded later moves them (ADR 0023);
5. optionally (issues) `policy_version` and `schedule_clock(due, provisional,
   policy_version, rings, actor) -> bool` to pin the policy version and record schedule
   changes (without them the latest policy always applies and no ClockScheduled is written);
6. at the bottom of the module: `register_clocked("referral", Referral, topics,
   REFERRAL_LADDER, moves_clock=…, closes_clock=(Referral.Accepted.TOPIC,))`, and make sure
   the module is imported by domain.application (every process imports that).

Without a campaign's policy a clock runs on its kind's registered ladder; the issues' first
reminder is moved by the application's `ClockSettings` (domain.clock_settings), which the
composition root gives every process (RECTIFY_REMINDER_WORKING_DAYS).

Times: a due *date* means "by the end of that day" in China Standard Time, so its due
instant is 00:00 of the next day. Reminders and escalation rungs ring at 09:00 of the
working day their offset points at; offsets in hours count from the due instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.calendar import WorkingCalendar
from domain.errors import InvalidInput
from domain.messages import says

TIMEZONE = ZoneInfo("Asia/Shanghai")
RING_TIME = time(9, 0)  # reminders and rungs go out at the start of the working day
ONE_DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)


# -- periods ------------------------------------------------------------------------------


class PeriodUnit(StrEnum):
    WORKING_DAYS = "working_days"  # 工作日
    CALENDAR_DAYS = "calendar_days"  # 日 (statutory: a last day off moves to the next working day)
    HOURS = "hours"  # 小时, plain elapsed hours


@dataclass(frozen=True)
class Period:
    count: int
    unit: PeriodUnit

    def __post_init__(self) -> None:
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 0:
            raise InvalidInput("period", says("not_a_count", count=self.count))

    @classmethod
    def working_days(cls, count: int) -> Period:
        return cls(count, PeriodUnit.WORKING_DAYS)

    @classmethod
    def calendar_days(cls, count: int) -> Period:
        return cls(count, PeriodUnit.CALENDAR_DAYS)

    @classmethod
    def hours(cls, count: int) -> Period:
        return cls(count, PeriodUnit.HOURS)

    @classmethod
    def parse(cls, text: str) -> Period:
        """'3wd' / '3 working_days', '15d' / '15 calendar_days', '24h' / '24 hours'."""
        cleaned = text.strip().lower().replace(" ", "")
        for suffix, unit in (
            ("working_days", PeriodUnit.WORKING_DAYS),
            ("calendar_days", PeriodUnit.CALENDAR_DAYS),
            ("hours", PeriodUnit.HOURS),
            ("wd", PeriodUnit.WORKING_DAYS),
            ("d", PeriodUnit.CALENDAR_DAYS),
            ("h", PeriodUnit.HOURS),
        ):
            if cleaned.endswith(suffix) and cleaned[: -len(suffix)].isdigit():
                return cls(int(cleaned[: -len(suffix)]), unit)
        raise InvalidInput("period", says("not_a_period", text=text))

    def __str__(self) -> str:
        suffix = {"working_days": "wd", "calendar_days": "d", "hours": "h"}[self.unit.value]
        return f"{self.count}{suffix}"


def end_of_day(day: date, tz: ZoneInfo = TIMEZONE) -> datetime:
    """The due instant of a due date: 00:00 of the next day."""
    return datetime.combine(day + ONE_DAY, time(0, 0), tzinfo=tz)


def due_day(due: datetime, tz: ZoneInfo = TIMEZONE) -> date:
    """The calendar day a due instant belongs to (end_of_day's inverse)."""
    return (_aware(due, "due") - TICK).astimezone(tz).date()


def due_wording(due: datetime, tz: ZoneInfo = TIMEZONE) -> str:
    """A due instant as people write it before 前: the end of a day is that day's end
    (`须于2026-12-09日终前`, not `2026-12-10 00:00前`, which reads as a day later); any other
    instant (a period in hours) is its China time to the minute."""
    local = _aware(due, "due").astimezone(tz)
    if local.time() == time(0, 0):
        return f"{due_day(due, tz).isoformat()}日终"
    return local.strftime("%Y-%m-%d %H:%M")


def due_at(
    calendar: WorkingCalendar, start: datetime, period: Period, tz: ZoneInfo = TIMEZONE
) -> datetime:
    """When a period that starts at `start` runs out.

    Working days: the end of the n-th working day after the start day (the start day never
    counts). Calendar days: the end of day start + n, moved to the next working day if that
    one is not worked. Hours: start + n hours, exactly.
    """
    start = _aware(start, "start")
    if period.unit is PeriodUnit.HOURS:
        return calendar.add_hours(start, period.count)
    day = start.astimezone(tz).date()
    if period.unit is PeriodUnit.WORKING_DAYS:
        return end_of_day(calendar.add_working_days(day, period.count), tz)
    return end_of_day(calendar.add_calendar_days_statutory(day, period.count), tz)


def is_provisional(calendar: WorkingCalendar, start: datetime, due: datetime) -> bool:
    """Whether any year from start to due is computed by the provisional rule. The due
    day is the day it ends (00:00 of 1 January ends 31 December, not a day of the next
    year)."""
    last = due_day(due)
    first = min(_aware(start, "start").astimezone(TIMEZONE).date(), last)
    return calendar.provisional_between(first, last)


# -- dues derived from a start and a period (recomputed when the calendar changes) --------


@dataclass(frozen=True)
class PeriodClock:
    """A due an item keeps that was derived from a start instant and a period.

    Referrals, case transfers and clues record such dues in their events (the history says
    what was asked); a later calendar (an arrangement loaded for the year) may give another
    due for the same start and period, and the item then records the new one.
    name: which of the item's clocks (claim, answer, approval, decision1, reply, …).
    """

    name: str
    start: datetime
    period: Period
    due: datetime  # as the item has it now

    def due_on(self, calendar: WorkingCalendar) -> datetime:
        return due_at(calendar, self.start, self.period)


@dataclass(frozen=True)
class MovedDue:
    """A kept due the calendar now puts elsewhere: what the item should record."""

    clock: PeriodClock
    due: datetime
    provisional: bool

    @property
    def years(self) -> range:
        """The calendar years the decision rests on: from the start to the later due."""
        first = _aware(self.clock.start, "start").astimezone(TIMEZONE).year
        return range(first, max(due_day(self.clock.due), due_day(self.due)).year + 1)


def moved_dues(clocks: Iterable[PeriodClock], calendar: WorkingCalendar) -> list[MovedDue]:
    """The clocks whose due this calendar moves; a due that stays where it is is left out,
    so recomputing twice on the same calendar decides nothing the second time."""
    moved = []
    for clock in clocks:
        due = clock.due_on(calendar)
        if due != clock.due:
            moved.append(MovedDue(clock, due, is_provisional(calendar, clock.start, due)))
    return moved


# -- working time (pauses) ----------------------------------------------------------------


def working_time_between(
    calendar: WorkingCalendar, a: datetime, b: datetime, tz: ZoneInfo = TIMEZONE
) -> timedelta:
    """The part of [a, b) that falls on working days (whole 24-hour days in `tz`)."""
    a, b = _aware(a, "from"), _aware(b, "to")
    total = timedelta(0)
    day = a.astimezone(tz).date()
    while True:
        start = datetime.combine(day, time(0, 0), tzinfo=tz)
        if start >= b:
            return total
        end = start + ONE_DAY
        if calendar.is_working_day(day):
            overlap = min(end, b) - max(start, a)
            if overlap > timedelta(0):
                total += overlap
        day += ONE_DAY


def add_working_time(
    calendar: WorkingCalendar, instant: datetime, amount: timedelta, tz: ZoneInfo = TIMEZONE
) -> datetime:
    """The instant reached after `amount` of working time from `instant` (days off skipped).

    The end of a working day plus one working day's time is the end of the next one, so
    shifting a due date by whole paused working days keeps it at the end of a day.
    """
    at = _aware(instant, "instant").astimezone(tz)
    left = amount
    if left < timedelta(0):
        raise InvalidInput("amount", says("negative_working_time"))
    while left > timedelta(0):
        day = at.date()
        end = datetime.combine(day + ONE_DAY, time(0, 0), tzinfo=tz)
        if calendar.is_working_day(day):
            room = end - at
            if left <= room:
                return at + left
            left -= room
        at = end
    return at


# -- milestones ---------------------------------------------------------------------------


class MilestoneKind(StrEnum):
    REMINDER = "reminder"  # 提醒, before due
    OVERDUE = "overdue"  # 逾期, at due
    ESCALATION = "escalation"  # a rung of the ladder after due
    STATUTORY_BREACH = "statutory_breach"  # 超过法定时限


@dataclass(frozen=True)
class Milestone:
    """One moment an item's clock rings; recorded once as an event of the item's stream."""

    key: str  # unique in the item's stream; built from domain facts
    at: datetime  # aware
    kind: MilestoneKind
    rung: str = ""  # e.g. remind-3wd, overdue, supervision
    addressee: str = ""  # who is told: 责任单位, 领导小组办公室, …
    label: str = ""  # Chinese label for history and notifications
    due: datetime | None = None  # the due instant the milestone derives from
    provisional: bool = False  # computed on a year without official calendar data
    # Recorded late together with a later rung already due (an import of old items, a
    # worker down for days): kept in the history, but only the latest rung is notified.
    caught_up: bool = False

    def __post_init__(self) -> None:
        _aware(self.at, "at")
        if not self.key:
            raise InvalidInput("key", says("empty"))


@dataclass(frozen=True)
class Rung:
    """One step of a ladder: when (relative to due) and to whom."""

    name: str  # stable identifier, part of the idempotency key
    kind: MilestoneKind
    offset: Period  # before due for reminders, after due for escalations
    addressee: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip() or ":" in self.name:
            raise InvalidInput("rung", says("not_a_rung_name", name=self.name))


@dataclass(frozen=True)
class Ladder:
    """The applicable escalation policy of one clock: its rungs, in any order."""

    rungs: tuple[Rung, ...] = ()
    version: int = 0  # of the policy it comes from (0: the built-in default)

    def __post_init__(self) -> None:
        names = [r.name for r in self.rungs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidInput("rungs", says("repeated_rungs", names="、".join(duplicates)))


# Reminders 3 and 1 working days before due, overdue at due, then the ladder of
# domain.md: 督办 → 挂牌督办 → 约谈 → 问责, one, five, ten and twenty working days after due.
DEFAULT_LADDER = Ladder(
    (
        Rung("remind-3wd", MilestoneKind.REMINDER, Period.working_days(3), "责任单位",
             "到期提醒（3个工作日）"),
        Rung("remind-1wd", MilestoneKind.REMINDER, Period.working_days(1), "责任单位",
             "到期提醒（1个工作日）"),
        Rung("overdue", MilestoneKind.OVERDUE, Period.working_days(0), "责任单位", "已逾期"),
        Rung("supervision", MilestoneKind.ESCALATION, Period.working_days(1), "责任单位",
             "督办"),
        Rung("listed-supervision", MilestoneKind.ESCALATION, Period.working_days(5),
             "领导小组办公室", "挂牌督办"),
        Rung("admonition", MilestoneKind.ESCALATION, Period.working_days(10), "责任单位主要负责人",
             "约谈"),
        Rung("accountability", MilestoneKind.ESCALATION, Period.working_days(20), "纪检监察机关",
             "问责"),
    )
)  # fmt: skip


def ring_at(
    calendar: WorkingCalendar, due: datetime, rung: Rung, tz: ZoneInfo = TIMEZONE
) -> datetime:
    """When a rung rings for a due instant. Overdue rings at due; hours count from due."""
    due = _aware(due, "due")
    if rung.kind is MilestoneKind.OVERDUE and rung.offset.count == 0:
        return due
    sign = -1 if rung.kind is MilestoneKind.REMINDER else 1
    if rung.offset.unit is PeriodUnit.HOURS:
        return due + sign * timedelta(hours=rung.offset.count)
    last = due_day(due, tz)
    if rung.offset.unit is PeriodUnit.WORKING_DAYS:
        day = calendar.add_working_days(last, sign * rung.offset.count)
    elif sign < 0:
        # A reminder N calendar days before rings on the last working day on or before
        # that day: earlier rather than on a holiday nobody reads it (or after due).
        day = calendar.add_working_days(last - timedelta(days=rung.offset.count - 1), -1)
    else:
        day = calendar.next_working_day(last + timedelta(days=rung.offset.count))
    at = datetime.combine(day, RING_TIME, tzinfo=tz)
    # A reminder never rings after due, an escalation never before it.
    return min(at, due) if sign < 0 else max(at, due)


def ladder_milestones(
    key_prefix: str,
    due: datetime,
    ladder: Ladder,
    calendar: WorkingCalendar,
    *,
    provisional: bool = False,
) -> list[Milestone]:
    """Every milestone of a due instant, sorted by time; keys are prefix:rung:due."""
    stamp = due_stamp(due)
    found = [
        Milestone(
            key=f"{key_prefix}:{rung.name}:{stamp}",
            at=ring_at(calendar, due, rung),
            kind=rung.kind,
            rung=rung.name,
            addressee=rung.addressee,
            label=rung.label,
            due=due,
            provisional=provisional,
        )
        for rung in ladder.rungs
    ]
    return sorted(found, key=lambda m: (m.at, _KIND_ORDER[m.kind], m.rung))


def due_stamp(due: datetime) -> str:
    """A due instant in keys: its day when it is the end of a day, else the exact instant."""
    due = _aware(due, "due")
    local = due.astimezone(TIMEZONE)
    if local.time() == time(0, 0):
        return due_day(due).isoformat()
    return local.isoformat()


def next_milestone(
    milestones: Sequence[Milestone], recorded: Callable[[str], bool], now: datetime
) -> Milestone | None:
    """The first milestone not yet recorded, skipping reminders whose due has passed."""
    for milestone in sorted(milestones, key=lambda m: (m.at, _KIND_ORDER[m.kind], m.rung)):
        if recorded(milestone.key):
            continue
        if milestone.kind is MilestoneKind.REMINDER and milestone.due and now >= milestone.due:
            continue  # a reminder once the deadline has passed would only be noise
        return milestone
    return None


_KIND_ORDER = {
    MilestoneKind.REMINDER: 0,
    MilestoneKind.OVERDUE: 1,
    MilestoneKind.STATUTORY_BREACH: 2,
    MilestoneKind.ESCALATION: 3,
}


# -- the protocol of a clocked item -------------------------------------------------------


@runtime_checkable
class Clocked(Protocol):
    """What the engine needs of an aggregate whose deadlines it times."""

    @property
    def id(self) -> UUID: ...

    @property
    def clock_campaign_id(self) -> UUID | None:
        """Whose escalation policy applies (None: the default of the kind)."""
        ...

    def clock_running(self) -> bool:
        """False when closed, paused or without a due date: nothing rings."""
        ...

    def clock_open(self) -> bool:
        """False once the item is closed for good (the workflow may end); True if paused."""
        ...

    def milestones(self, calendar: WorkingCalendar, ladder: Ladder) -> list[Milestone]:
        """Every milestone of the current clock, recorded or not, sorted by time."""
        ...

    def has_milestone(self, key: str) -> bool: ...

    def record_milestone(self, milestone: Milestone, actor: str) -> bool:
        """Append the milestone's event once; False if recorded already or not running."""
        ...


class Reschedulable:
    """A clocked item whose kept dues come from a start and a period (not a fixed date):
    the engine recomputes them on the calendar in force and the item records a move. The
    item gives `period_clocks` and an event method `_due_recomputed(clock, previous, due,
    provisional, calendar, actor)` of its own; recording the move is the same for all."""

    def period_clocks(self) -> list[PeriodClock]:
        """The dues in force now that derive from a start and a period (none once closed)."""
        raise NotImplementedError

    def _due_recomputed(
        self,
        clock: str,
        previous: datetime,
        due: datetime,
        provisional: bool,
        calendar: list[str],
        actor: str,
    ) -> None:
        raise NotImplementedError

    def record_moved_due(self, moved: MovedDue, calendar: list[str], actor: str) -> bool:
        """Append the item's DueDateRecomputed (previous, new due, the calendar data it rests
        on); False if the clock is no longer in force (stopped or restarted since it was
        read) or the due is already there."""
        if moved.clock not in self.period_clocks() or moved.due == moved.clock.due:
            return False
        self._due_recomputed(
            moved.clock.name, moved.clock.due, moved.due, moved.provisional, list(calendar), actor
        )
        return True


# -- the registry -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockedKind:
    """An item kind the engine times.

    kind: short stable name (workflow ids, policies): "issue", "referral", "case-transfer".
    topics: event topics that start or signal the item's clock (the originator's clock).
    default_ladder: the ladder when no policy is set for (campaign, kind).
    moves_clock: a finer filter on a decoded event of those topics (e.g. an issue
    registered without a due date has no clock); by default every such event does.
    closes_clock: events after which the clock is over unless a later one reopens it
    (kept in the dispatcher's table of open clocks).
    """

    kind: str
    aggregate: type[Any]
    topics: frozenset[str]
    default_ladder: Ladder
    moves_clock: Callable[[Any], bool] = field(default=lambda _event: True)
    closes_clock: frozenset[str] = frozenset()


_REGISTRY: dict[str, ClockedKind] = {}


def register_clocked(
    kind: str,
    aggregate: type[Any],
    topics: Iterable[str],
    default_ladder: Ladder,
    *,
    moves_clock: Callable[[Any], bool] | None = None,
    closes_clock: Iterable[str] = (),
) -> ClockedKind:
    """Make an aggregate class clocked; registering the same kind again replaces it."""
    if not kind or ":" in kind or " " in kind:
        raise InvalidInput("kind", says("not_a_kind_name", kind=kind))
    entry = ClockedKind(
        kind,
        aggregate,
        frozenset(topics),
        default_ladder,
        moves_clock or (lambda _event: True),
        frozenset(closes_clock),
    )
    _REGISTRY[kind] = entry
    return entry


def clocked_kinds() -> list[ClockedKind]:
    return list(_REGISTRY.values())


def clocked_kind(kind: str) -> ClockedKind:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise InvalidInput("kind", says("not_a_clocked_kind", kind=kind)) from None


def kind_of_aggregate(aggregate: type[Any] | object) -> ClockedKind | None:
    cls = aggregate if isinstance(aggregate, type) else type(aggregate)
    for entry in _REGISTRY.values():
        if issubclass(cls, entry.aggregate):
            return entry
    return None


def kind_of_topic(topic: str) -> ClockedKind | None:
    for entry in _REGISTRY.values():
        if topic in entry.topics or topic in entry.closes_clock:
            return entry
    return None


def _aware(value: datetime, field_name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(field_name, says("aware_time"))
    return value
