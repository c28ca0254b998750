"""Milestone events become notices for the right recipients, once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

from domain.application import RectifyApp
from domain.clocks import TIMEZONE, Milestone, MilestoneKind, due_stamp, end_of_day
from domain.deadlines import Deadline
from domain.issues import RectificationIssue
from domain.notices import (
    COORDINATOR,
    ItemFacts,
    MilestoneRecord,
    Notice,
    Recipient,
    StepKind,
    milestone_of,
    notice_id,
    notice_of,
    recipients,
)
from domain.referrals import ReturnReason

DUE = date(2026, 3, 31)
LEAD, CO, OFFICE, DISCIPLINE = uuid4(), uuid4(), uuid4(), uuid4()
FACTS = ItemFacts("问题1：违规收费", (LEAD, CO), OFFICE, DISCIPLINE, {})


def _issue() -> RectificationIssue:
    issue = RectificationIssue(
        uuid4(), "1", "违规收费", ["退费"], LEAD, [CO], Deadline.on(DUE, "2026年3月底"), "t", "t"
    )
    issue.collect_events()
    return issue


def _milestone(addressee: str) -> MilestoneRecord:
    at = datetime(2026, 4, 2, 9, tzinfo=TIMEZONE)
    return MilestoneRecord(
        "issue", uuid4(), 3, "k", MilestoneKind.ESCALATION, "r", addressee, "督办", at, None
    )


def test_a_reminder_event_is_a_milestone_of_an_issue() -> None:
    issue = _issue()
    issue.record_reminder(issue.clock_key("remind"), "clock")
    (event,) = issue.collect_events()
    found = milestone_of(event)
    assert found is not None
    assert (found.item_kind, found.kind, found.item_id) == (
        "issue",
        MilestoneKind.REMINDER,
        issue.id,
    )


def test_an_escalation_event_carries_its_rung_addressee_and_label() -> None:
    issue = _issue()
    due = end_of_day(DUE)
    rung = Milestone(
        f"{issue.clock_prefix}:listed-supervision:2026-03-31",
        due + timedelta(days=7),
        MilestoneKind.ESCALATION,
        rung="listed-supervision",
        addressee="领导小组办公室",
        label="挂牌督办",
        due=due,
    )
    assert issue.record_milestone(rung, "clock")
    (event,) = issue.collect_events()
    found = milestone_of(event)
    assert found is not None
    assert (found.kind, found.rung, found.addressee, found.label) == (
        MilestoneKind.ESCALATION,
        "listed-supervision",
        "领导小组办公室",
        "挂牌督办",
    )


def test_other_events_are_not_milestones() -> None:
    issue = _issue()
    issue.report_progress(LEAD, "已退费", [], "liaison")
    (event,) = issue.collect_events()
    assert milestone_of(event) is None


def test_responsible_agencies_are_told_of_a_supervision_notice() -> None:
    assert recipients(_milestone("责任单位"), FACTS) == [Recipient(LEAD, ""), Recipient(CO, "")]


def test_the_leading_group_office_is_told_of_a_listed_supervision() -> None:
    assert recipients(_milestone("领导小组办公室"), FACTS) == [Recipient(OFFICE, COORDINATOR)]


def test_an_admonition_goes_to_the_agencies_and_the_office_that_holds_it() -> None:
    assert recipients(_milestone("责任单位主要负责人"), FACTS) == [
        Recipient(LEAD, ""),
        Recipient(CO, ""),
        Recipient(OFFICE, COORDINATOR),
    ]


def test_an_accountability_referral_goes_to_discipline_inspection_and_the_office() -> None:
    assert recipients(_milestone("纪检监察机关"), FACTS) == [
        Recipient(DISCIPLINE, ""),
        Recipient(OFFICE, COORDINATOR),
    ]


def test_an_unknown_addressee_falls_back_to_the_office() -> None:
    assert recipients(_milestone("某某委员会"), FACTS) == [Recipient(OFFICE, COORDINATOR)]


def test_issuing_the_notices_of_a_milestone_twice_issues_them_once() -> None:
    app = RectifyApp()
    lead = app.register_agency("县卫健局", actor="t").id
    co = app.register_agency("县医保局", actor="t").id
    campaign = app.launch_campaign("专项整治", actor="t").id
    item = app.register_issue(
        campaign, "1", "违规收费", ["退费"], lead, [co], Deadline.on(DUE, "x"), actor="t"
    ).id
    issue = app.get_issue(item)
    app.record_reminder(item, issue.clock_key("remind"), "clock")
    event = app.events.get(item, gt=1)
    milestone = milestone_of(next(iter(event)))
    assert milestone is not None
    first = app.issue_notices(milestone)
    again = app.issue_notices(milestone)
    assert first.changed and not again.changed
    for agency in (lead, co):
        notice = app.repository.get(notice_id(item, 2, Recipient(agency, "")))
        assert isinstance(notice, Notice)
        assert notice.title.startswith("【到期提醒】问题1：违规收费")


def test_a_referral_milestone_tells_the_receiving_agency() -> None:
    app = RectifyApp()
    market = app.register_agency("县市场监管局", actor="t").id
    health = app.register_agency("县卫健局", actor="t").id
    sent = app.send_referral(market, health, "医疗美容机构无证行医", actor="t")
    referral = app.get_referral(sent.id)
    due = referral.current_due
    assert due is not None
    milestone = Milestone(
        f"{referral.clock_prefix}:claim-overdue:{due_stamp(due)}",
        due,
        MilestoneKind.OVERDUE,
        rung="claim-overdue",
        addressee="责任单位",
        label="逾期未签收",
        due=due,
    )
    assert referral.record_milestone(milestone, "clock")
    app.save(referral)
    *_, recorded = app.events.get(sent.id)
    found = milestone_of(recorded)
    assert found is not None and (found.item_kind, found.kind) == (
        "referral",
        MilestoneKind.OVERDUE,
    )
    assert app.issue_notices(found).changed
    notice = app.repository.get(notice_id(sent.id, found.version, Recipient(health, "")))
    assert notice.title == "【逾期未签收】移送：医疗美容机构无证行医 / Overdue"


def test_a_returned_referral_tells_the_leading_group_office_at_once() -> None:
    app = RectifyApp()
    market = app.register_agency("县市场监管局", actor="t").id
    health = app.register_agency("县卫健局", actor="t").id
    office = app.register_agency("县卫健委", actor="t").id
    campaign = app.launch_campaign("专项整治", actor="t", lead_agency=office).id
    sent = app.send_referral(market, health, "医疗美容机构无证行医", actor="t", campaign=campaign)
    app.return_referral(sent.id, health, ReturnReason.NOT_OUR_REMIT, "", "卫健局-李四")
    *_, returned = app.events.get(sent.id)
    found = notice_of(returned)
    assert found is not None and (found.item_kind, found.kind) == ("referral", StepKind.RETURNED)
    assert app.issue_notices(found).changed
    assert not app.issue_notices(found).changed  # once, however often the log is read
    notice = app.repository.get(notice_id(sent.id, found.version, Recipient(office, COORDINATOR)))
    assert isinstance(notice, Notice) and notice.kind == "returned"
    assert notice.title == (
        "【移送被退回（不属于本单位职责），请重新指派】移送：医疗美容机构无证行医"
        " / Referral returned: to be reassigned"
    )
    for agency in (health, market):  # the office alone: it is the one to reassign
        assert notice_id(sent.id, found.version, Recipient(agency, "")) not in app.repository


def test_a_referral_returned_after_claiming_tells_the_leading_group_office_too() -> None:
    app = RectifyApp()
    market = app.register_agency("县市场监管局", actor="t").id
    health = app.register_agency("县卫健局", actor="t").id
    office = app.register_agency("县卫健委", actor="t").id
    campaign = app.launch_campaign("专项整治", actor="t", lead_agency=office).id
    sent = app.send_referral(market, health, "医保基金问题", actor="t", campaign=campaign)
    app.claim_referral(sent.id, health, "卫健局-李四")
    app.return_referral(sent.id, health, ReturnReason.NEEDS_ANOTHER_AGENCY, "误签收", "卫健局-李四")
    *_, returned = app.events.get(sent.id)
    found = notice_of(returned)
    assert found is not None and found.kind == StepKind.RETURNED
    assert app.issue_notices(found).changed
    notice = app.repository.get(notice_id(sent.id, found.version, Recipient(office, COORDINATOR)))
    assert isinstance(notice, Notice) and notice.kind == "returned"
    assert notice.title.startswith("【移送被退回（需其他单位办理），请重新指派】移送：医保基金问题")


def test_other_referral_steps_tell_nobody() -> None:
    app = RectifyApp()
    market = app.register_agency("县市场监管局", actor="t").id
    health = app.register_agency("县卫健局", actor="t").id
    sent = app.send_referral(market, health, "医疗美容", actor="t")
    app.claim_referral(sent.id, health, "卫健局-李四")
    assert [notice_of(e) for e in app.events.get(sent.id)] == [None, None]
