"""Escalation policies per campaign and kind drive the clocks: new clocks take the latest
version, running ones keep theirs unless the administrator applies a change to them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import uuid4

import pytest

from domain.application import RectifyApp
from domain.clocks import TIMEZONE, MilestoneKind, Period, Rung
from domain.deadlines import Deadline
from domain.errors import InvalidInput, NotFound
from domain.issues import RectificationIssue
from infrastructure.calendar_data import build_calendar
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
    register_issue,
    rungs,
)

CAL = build_calendar()
OVERDUE = Rung("overdue", MilestoneKind.OVERDUE, Period.working_days(0), "责任单位", "已逾期")


def supervise(days: int, name: str = "supervision") -> Rung:
    return Rung(name, MilestoneKind.ESCALATION, Period.working_days(days), "责任单位", "督办")


def nine(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=TIMEZONE)


async def test_a_policy_change_applies_to_new_clocks_and_not_to_running_ones(
    clocks: Clocks,
) -> None:
    app = clocks.app
    campaign_id = app.launch_campaign("医保基金专项整治", actor="test").id
    app.set_escalation_policy(campaign_id, "issue", [OVERDUE, supervise(2)], actor="admin")
    due = CAL.add_working_days(await clocks.today(), 10)
    running = register_issue(app, Deadline.on(due), number="1")
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))

    app.set_escalation_policy(campaign_id, "issue", [OVERDUE, supervise(3)], actor="admin")
    new = register_issue(app, Deadline.on(due), number="2")
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(days=40))

    end = datetime.combine(due + timedelta(days=1), time(0), tzinfo=TIMEZONE)
    assert rungs(app, running) == [
        ("OverdueRecorded", "overdue", end),
        ("EscalationRecorded", "supervision", nine(CAL.add_working_days(due, 2))),
    ]
    assert rungs(app, new) == [
        ("OverdueRecorded", "overdue", end),
        ("EscalationRecorded", "supervision", nine(CAL.add_working_days(due, 3))),
    ]
    assert (app.get_issue(running).policy_version, app.get_issue(new).policy_version) == (1, 2)


async def test_a_policy_applied_to_running_clocks_signals_them_and_they_follow_it(
    clocks: Clocks,
) -> None:
    app = clocks.app
    due = CAL.add_working_days(await clocks.today(), 10)
    issue_id = register_issue(app, Deadline.on(due))
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    assert app.get_issue(issue_id).policy_version == 0  # the built-in ladder

    campaign_id = app.get_issue(issue_id).campaign_id
    app.set_escalation_policy(
        campaign_id,
        "issue",
        [OVERDUE, supervise(1, "county-supervision")],
        actor="admin",
        apply_to_running=True,
        reason="统一督办口径",
    )
    await clocks.dispatcher.dispatch_pending()
    await clocks.env.sleep(timedelta(hours=1))
    recomputed = [
        e for e in app.events.get(issue_id) if isinstance(e, RectificationIssue.DueDateRecomputed)
    ]
    assert [(e.previous, e.due, e.policy_version) for e in recomputed] == [
        (recomputed[0].due, recomputed[0].due, 1)
    ]

    await clocks.env.sleep(timedelta(days=40))
    assert [rung for _, rung, _ in rungs(app, issue_id)] == ["overdue", "county-supervision"]


def test_a_policy_for_an_unknown_kind_is_refused(app: RectifyApp) -> None:
    campaign_id = app.launch_campaign("医保基金专项整治", actor="test").id
    with pytest.raises(InvalidInput) as refused:
        app.set_escalation_policy(campaign_id, "parcel", [OVERDUE], actor="admin")
    assert refused.value.field == "kind"


def test_a_policy_for_an_unknown_campaign_is_refused(app: RectifyApp) -> None:
    with pytest.raises(NotFound):
        app.set_escalation_policy(uuid4(), "issue", [OVERDUE], actor="admin")


def test_setting_the_same_policy_twice_changes_nothing(app: RectifyApp) -> None:
    campaign_id = app.launch_campaign("医保基金专项整治", actor="test").id
    assert app.set_escalation_policy(campaign_id, "issue", [OVERDUE], actor="admin").changed
    assert not app.set_escalation_policy(campaign_id, "issue", [OVERDUE], actor="admin").changed
