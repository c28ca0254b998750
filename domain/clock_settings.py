"""The clock settings, given to the application by the composition root.

`RECTIFY_REMINDER_WORKING_DAYS` moves the first reminder of the issues' built-in ladder.
The worker records milestones on that ladder, the dispatcher compares an item's clock
before and after a calendar change on it, the CLI shows it: each process builds its
application in rectify.composition, which reads the setting and passes `ClockSettings`
here, so every process rings on the same ladder. (A process-wide registry change, made
only by the worker, once left the dispatcher and the API on the default.)

A campaign's escalation policy, once set, replaces the built-in ladder anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.clocks import DEFAULT_LADDER, Ladder, MilestoneKind, Period, Rung, clocked_kind

DEFAULT_REMINDER_WORKING_DAYS = 3
SETTABLE_KIND = "issue"  # the kind whose built-in ladder the setting moves


def reminder_ladder(first_reminder_working_days: int = DEFAULT_REMINDER_WORKING_DAYS) -> Ladder:
    """The built-in ladder with its first reminder moved (RECTIFY_REMINDER_WORKING_DAYS)."""
    if first_reminder_working_days == DEFAULT_REMINDER_WORKING_DAYS:
        return DEFAULT_LADDER
    rungs = [r for r in DEFAULT_LADDER.rungs if r.name != "remind-3wd"]
    first = Rung(
        f"remind-{first_reminder_working_days}wd",
        MilestoneKind.REMINDER,
        Period.working_days(first_reminder_working_days),
        "责任单位",
        f"到期提醒（{first_reminder_working_days}个工作日）",
    )
    if first.name in {r.name for r in rungs}:
        return Ladder(tuple(rungs))
    return Ladder((first, *rungs))


@dataclass(frozen=True)
class ClockSettings:
    reminder_working_days: int = DEFAULT_REMINDER_WORKING_DAYS

    def __post_init__(self) -> None:
        reminder_ladder(self.reminder_working_days)  # a bad setting stops the process start

    def default_ladder(self, kind: str) -> Ladder:
        """The ladder of a clock of `kind` when no campaign policy applies."""
        if kind == SETTABLE_KIND:
            return reminder_ladder(self.reminder_working_days)
        return clocked_kind(kind).default_ladder
