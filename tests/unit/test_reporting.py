"""Periodic duties: cadences, the report-due item of each period, its clock and submissions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain.application import RectifyApp
from domain.clocks import DEFAULT_LADDER, TIMEZONE, MilestoneKind
from domain.errors import InvalidInput, InvalidTransition
from domain.notices import milestone_of
from domain.reporting import Cadence, CadenceKind, report_due_id
from infrastructure.calendar_data import build_calendar

MONTHLY_30 = Cadence(CadenceKind.MONTHLY, 30)
QUARTERLY = Cadence(CadenceKind.QUARTERLY)


def test_a_monthly_report_by_the_30th_is_due_on_the_30th() -> None:
    assert MONTHLY_30.period(datetime(2026, 4, 1, tzinfo=TIMEZONE)) == (
        "2026-04",
        date(2026, 4, 30),
    )


def test_a_monthly_report_by_the_30th_is_due_on_the_last_day_of_february() -> None:
    assert MONTHLY_30.period(datetime(2028, 2, 1, tzinfo=TIMEZONE)) == (
        "2028-02",
        date(2028, 2, 29),
    )


def test_a_quarterly_report_is_due_on_the_quarters_last_day() -> None:
    assert QUARTERLY.period(datetime(2026, 5, 20, tzinfo=TIMEZONE)) == (
        "2026-Q2",
        date(2026, 6, 30),
    )


def test_the_period_is_taken_in_china_standard_time() -> None:
    # 2026-03-31 17:00 UTC is already 1 April in Beijing.
    assert MONTHLY_30.period(datetime(2026, 3, 31, 17, tzinfo=UTC))[0] == "2026-04"


def test_a_day_of_month_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Cadence(CadenceKind.MONTHLY, 32)
    assert refused.value.field == "day"


def _app_with_duty() -> tuple[RectifyApp, UUID, list[UUID]]:
    app = RectifyApp()
    agencies = [app.register_agency(n, actor="t").id for n in ("县卫健局", "县医保局")]
    campaign = app.launch_campaign("医疗乱象专项整治", actor="t").id
    duty = app.set_reporting_duty(campaign, "督查整改月报", MONTHLY_30, agencies, "协调办").id
    return app, duty, agencies


def test_a_duty_without_agencies_is_refused() -> None:
    app = RectifyApp()
    campaign = app.launch_campaign("医疗乱象专项整治", actor="t").id
    with pytest.raises(InvalidInput) as refused:
        app.set_reporting_duty(campaign, "月报", MONTHLY_30, [], "协调办")
    assert refused.value.field == "agencies"


def test_opening_a_period_twice_opens_one_report() -> None:
    app, duty, agencies = _app_with_duty()
    first = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE))
    again = app.open_report_due(duty, datetime(2026, 4, 1, 0, 5, tzinfo=TIMEZONE))
    assert first.changed and not again.changed
    assert first.id == report_due_id(duty, "2026-04")
    report = app.get_report_due(first.id)
    assert (report.due_date, report.agency_ids) == (date(2026, 4, 30), agencies)


def test_an_ended_duty_opens_no_report() -> None:
    app, duty, _ = _app_with_duty()
    app.end_reporting_duty(duty, "协调办")
    assert not app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).changed


def test_ending_a_duty_twice_is_refused() -> None:
    app, duty, _ = _app_with_duty()
    app.end_reporting_duty(duty, "协调办")
    with pytest.raises(InvalidTransition):
        app.end_reporting_duty(duty, "协调办")


def test_the_clock_stops_once_every_agency_has_submitted() -> None:
    app, duty, (health, insurance) = _app_with_duty()
    item = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id
    app.submit_report(item, health, "4月督查整改情况", "联络员")
    report = app.get_report_due(item)
    assert report.clock_open() and report.responsible_agency_ids == [insurance]
    app.submit_report(item, insurance, "4月督查整改情况", "联络员")
    assert not app.get_report_due(item).clock_open()


def test_submitting_twice_is_refused() -> None:
    app, duty, (health, _) = _app_with_duty()
    item = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id
    app.submit_report(item, health, "已报送", "联络员")
    with pytest.raises(InvalidTransition):
        app.submit_report(item, health, "已报送", "联络员")


def test_an_agency_that_owes_nothing_cannot_submit() -> None:
    app, duty, _ = _app_with_duty()
    other = app.register_agency("县公安局", actor="t").id
    item = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id
    with pytest.raises(InvalidInput) as refused:
        app.submit_report(item, other, "已报送", "联络员")
    assert refused.value.field == "agency"


def test_a_report_overdue_becomes_a_notice_for_the_agencies_that_have_not_reported() -> None:
    app, duty, (health, insurance) = _app_with_duty()
    item = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id
    app.submit_report(item, health, "已报送", "联络员")
    report = app.get_report_due(item)
    overdue = next(
        m
        for m in report.milestones(build_calendar(), DEFAULT_LADDER)
        if m.kind is MilestoneKind.OVERDUE
    )
    assert overdue.at == datetime(2026, 5, 1, tzinfo=TIMEZONE)
    assert report.record_milestone(overdue, "clock")
    app.save(report)
    *_, recorded = app.events.get(item)
    found = milestone_of(recorded)
    assert found is not None and found.item_kind == "report"
    app.issue_notices(found)
    notices = [
        e for n in app.recorder.select_notifications(start=1, limit=100)
        if n.topic == "rectify:Notice.Issued"
        for e in [app.mapper.to_domain_event(n)]
    ]  # fmt: skip
    assert [(n.agency_id, n.title) for n in notices] == [
        (insurance, "【已逾期】督查整改月报（2026-04） / Overdue")
    ]


def test_the_clock_engine_times_a_report_like_any_clocked_item() -> None:
    app, duty, _ = _app_with_duty()
    item = app.open_report_due(duty, datetime(2026, 4, 1, tzinfo=TIMEZONE)).id
    view = app.clock_view("report", item, build_calendar())
    assert view.open and view.due == datetime(2026, 5, 1, tzinfo=TIMEZONE)
    assert [m.rung for m in view.milestones][:3] == ["remind-3wd", "remind-1wd", "overdue"]
    assert app.get_report_due(item).clock_started_at is not None
