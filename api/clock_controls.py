"""Clock controls of an issue: pause and resume, each with a reason; and the clock itself
(`issueClock`: the due instant the engine runs on, provisional or not, paused or not).

Who may: api/authz/issues.py's table (PAUSE_CLOCK, RESUME_CLOCK: coordinators and
administrators, the people who run the ledger and see the external test or appraisal the
issue waits for; a liaison asks them). The clock is read as its issue is (READ_ISSUE):
another agency's staff get null.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api import commands
from api.authz import Action
from api.context import Context
from api.query import may_read_issue
from api.results import IssueResult
from projections import clock_queries, queries

Info = strawberry.Info[Context, None]


@strawberry.type
class ClockControlMutation:
    @strawberry.mutation(description="暂停计时 / pause the issue's clock, with a reason")
    async def pause_clock(self, info: Info, issue_id: strawberry.ID, reason: str) -> IssueResult:
        who = commands.actor(info.context)
        return await commands.on_issue(
            info,
            Action.PAUSE_CLOCK,
            issue_id,
            lambda app, i: app.pause_clock(i.id, reason, who),
        )

    @strawberry.mutation(description="恢复计时 / resume the issue's clock, with a reason")
    async def resume_clock(self, info: Info, issue_id: strawberry.ID, reason: str) -> IssueResult:
        who = commands.actor(info.context)
        return await commands.on_issue(
            info,
            Action.RESUME_CLOCK,
            issue_id,
            lambda app, i: app.resume_clock(i.id, reason, who),
        )


@strawberry.type
class ClockMilestone:
    rung: str
    at: datetime


@strawberry.type
class IssueClock:
    due_at: datetime | None = strawberry.field(
        description="截止时刻 / the due instant the clock runs on (pauses and calendar loads "
        "included); null until the clock has first read the issue"
    )
    provisional: bool = strawberry.field(
        description="暂定 / computed on a year whose official calendar is not loaded yet"
    )
    paused_since: datetime | None
    pause_reason: str
    policy_version: int | None = strawberry.field(
        description="督办规则版本 / escalation policy version (0: the built-in ladder)"
    )
    milestones: list[ClockMilestone] = strawberry.field(
        description="reminders, overdue and escalation rungs of the current schedule"
    )
    last_milestone: str | None = strawberry.field(
        description="最近一次节点 / the latest milestone of the current schedule (a reopening, "
        "an extension or a pause that moves the due starts a new one); null when none yet"
    )
    last_milestone_at: datetime | None
    closed: bool


@strawberry.type
class ClockQuery:
    @strawberry.field(description="问题计时 / an issue's clock; null for an issue without one")
    async def issue_clock(self, info: Info, issue_id: strawberry.ID) -> IssueClock | None:
        item = commands.parse_id(issue_id, "issueId")
        issue = await queries.issue_by_id(info.context.pool, item, info.context.today)
        if issue is None or not may_read_issue(info.context.user, issue):
            return None
        row = await clock_queries.issue_clock(info.context.pool, item)
        if row is None:
            return None
        milestones = []
        for ring in row.rings:
            rung, _, at = str(ring).partition("@")
            milestones.append(ClockMilestone(rung=rung, at=datetime.fromisoformat(at)))
        return IssueClock(
            due_at=row.due_at,
            provisional=row.provisional,
            paused_since=row.paused_since,
            pause_reason=row.pause_reason,
            policy_version=row.policy_version,
            milestones=milestones,
            last_milestone=row.last_milestone or None,
            last_milestone_at=row.last_milestone_at,
            closed=row.closed,
        )
