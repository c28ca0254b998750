"""RECTIFY_REMINDER_WORKING_DAYS reaches every process through the composition root, as
the application's ClockSettings, never as a change to a process-wide registry."""

from collections.abc import Iterator
from datetime import date

import pytest

from domain.application import RectifyApp
from domain.clock_settings import ClockSettings
from domain.clocks import DEFAULT_LADDER, clocked_kind
from domain.deadlines import Deadline
from domain.errors import InvalidInput
from rectify.calendar_data import build_calendar
from rectify.composition import rectify_app
from workflows.schedule import default_ladder

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@pytest.fixture
def five_days() -> Iterator[RectifyApp]:
    app = RectifyApp(env=IN_MEMORY, clock_settings=ClockSettings(reminder_working_days=5))
    yield app
    app.close()


def test_the_setting_moves_the_first_reminder_of_the_issues_ladder_only() -> None:
    settings = ClockSettings(reminder_working_days=5)

    assert settings.default_ladder("issue") == default_ladder(5)
    assert settings.default_ladder("referral") == clocked_kind("referral").default_ladder
    assert settings.default_ladder("report") == DEFAULT_LADDER


def test_the_setting_changes_nothing_process_wide() -> None:
    ClockSettings(reminder_working_days=5).default_ladder("issue")

    assert clocked_kind("issue").default_ladder == DEFAULT_LADDER
    assert RectifyApp(env=IN_MEMORY).clock_settings == ClockSettings()


def test_a_negative_setting_is_refused_when_the_settings_are_made() -> None:
    with pytest.raises(InvalidInput):
        ClockSettings(reminder_working_days=-1)


def test_an_issue_clock_rings_its_first_reminder_on_the_applications_setting(
    five_days: RectifyApp,
) -> None:
    campaign = five_days.launch_campaign("医药领域腐败问题集中整治", actor="admin").id
    lead = five_days.register_agency("县卫健局", actor="admin").id
    due = Deadline.on(date(2026, 6, 30))
    item = five_days.register_issue(campaign, "1", "问题", ["措施"], lead, [], due, actor="admin")

    view = five_days.clock_view("issue", item.id, build_calendar())

    rungs = [m.rung for m in view.milestones]
    assert rungs[:2] == ["remind-5wd", "remind-1wd"]
    assert "remind-3wd" not in rungs


def test_every_process_built_by_the_composition_root_gets_the_environments_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECTIFY_REMINDER_WORKING_DAYS", "5")

    app = rectify_app(IN_MEMORY)
    try:
        assert app.clock_settings == ClockSettings(reminder_working_days=5)
    finally:
        app.close()
