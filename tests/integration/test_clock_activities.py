"""The clock's activities against the real event store (no Temporal server needed)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from temporalio.testing import ActivityEnvironment

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.deadlines import Deadline
from domain.issues import RectificationIssue
from tests.integration.temporal_fixtures import milestones, register_issue, sign_off
from workflows.clock_activities import ClockActivities
from workflows.clock_inputs import ClockInput, ClockPlan, MilestoneInput

DUE = date(2026, 3, 27)  # a Friday


def _record(activities: ClockActivities, issue_id: UUID, key: str) -> bool:
    result: bool = ActivityEnvironment().run(
        activities.record_milestone, MilestoneInput(str(issue_id), key)
    )
    return result


def _load(activities: ClockActivities, issue_id: UUID) -> ClockPlan:
    plan: ClockPlan = ActivityEnvironment().run(activities.load_clock, ClockInput(str(issue_id)))
    return plan


def test_recording_overdue_twice_records_it_once(app: RectifyApp) -> None:
    issue_id = register_issue(app, Deadline.on(DUE))
    activities = ClockActivities(app)
    key = app.get_issue(issue_id).clock_key("overdue")

    assert (_record(activities, issue_id, key), _record(activities, issue_id, key)) == (
        True,
        False,
    )
    assert milestones(app, issue_id) == [("OverdueRecorded", key)]


def test_a_stale_reminder_key_records_nothing(app: RectifyApp) -> None:
    issue_id = register_issue(app, Deadline.on(DUE))
    stale = f"issue:{issue_id}:cycle1:remind-3wd:2020-01-01"

    assert not _record(ClockActivities(app), issue_id, stale)
    assert milestones(app, issue_id) == []


def test_clock_plan_of_an_open_issue_gives_the_ladder_in_china_time_with_keys(
    app: RectifyApp,
) -> None:
    issue_id = register_issue(app, Deadline.on(DUE))
    activities = ClockActivities(app)
    key = app.get_issue(issue_id).clock_key("remind-3wd")
    _record(activities, issue_id, key)

    plan = _load(activities, issue_id)

    assert not plan.closed and plan.running
    assert [(p.key.split(":")[3], p.at) for p in plan.pending] == [
        ("remind-1wd", "2026-03-26T09:00:00+08:00"),
        ("overdue", "2026-03-28T00:00:00+08:00"),
        ("supervision", "2026-03-30T09:00:00+08:00"),
        ("listed-supervision", "2026-04-03T09:00:00+08:00"),  # 4–6 April: 清明
        ("admonition", "2026-04-13T09:00:00+08:00"),
        ("accountability", "2026-04-27T09:00:00+08:00"),
    ]
    assert plan.pending[1].key == app.get_issue(issue_id).clock_key("overdue")


def test_first_load_pins_the_due_instant_and_the_policy_once(app: RectifyApp) -> None:
    issue_id = register_issue(app, Deadline.on(DUE))
    activities = ClockActivities(app)

    _load(activities, issue_id)
    _load(activities, issue_id)

    scheduled = [
        e for e in app.events.get(issue_id) if isinstance(e, RectificationIssue.ClockScheduled)
    ]
    assert [(e.due, e.provisional, e.policy_version) for e in scheduled] == [
        (datetime(2026, 3, 28, tzinfo=TIMEZONE), False, 0)
    ]


def test_a_signed_off_issue_has_nothing_to_time(app: RectifyApp) -> None:
    activities = ClockActivities(app)
    signed_off = register_issue(app, Deadline.on(DUE), number="1")
    sign_off(app, signed_off)
    ongoing = register_issue(app, Deadline.ongoing(), number="2")
    sign_off(app, ongoing)

    assert _load(activities, signed_off).closed
    assert _load(activities, ongoing).closed


def test_a_paused_issue_is_open_but_not_running(app: RectifyApp) -> None:
    issue_id = register_issue(app, Deadline.on(DUE))
    app.pause_clock(issue_id, "等待检测报告", "test", at=datetime(2026, 3, 2, tzinfo=TIMEZONE))

    plan = _load(ClockActivities(app), issue_id)

    assert not plan.closed and not plan.running
    assert not _record(ClockActivities(app), issue_id, plan.pending[0].key)
