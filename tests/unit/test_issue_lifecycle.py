"""The lifecycle of a rectification issue: every allowed and every refused transition."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.errors import InvalidInput, InvalidTransition, NotFound
from domain.issues import IssueStatus, RectificationIssue, extended_deadline
from domain.names import issue_id

CAMPAIGN = uuid4()
LEAD = uuid4()  # 县卫健局
CO = uuid4()  # 县医疗保障局
OTHER = uuid4()  # an agency not responsible for the issue
DUE = Deadline.on(date(2026, 3, 31), "2026年3月底")
ONGOING = Deadline.ongoing()


def _issue(deadline: Deadline = DUE) -> RectificationIssue:
    issue = RectificationIssue(
        CAMPAIGN,
        "1",
        "部分医疗机构未落实检验检查结果互认,重复检查问题群众反映强烈。",
        ["建立检验检查结果互认清单", "将重复检查纳入医疗机构绩效考核"],
        LEAD,
        [CO],
        deadline,
        "ledger_sample.csv",
        "importer",
    )
    issue.collect_events()
    return issue


def _submitted() -> RectificationIssue:
    issue = _issue()
    issue.submit_for_verification("已完成", "liaison")
    issue.collect_events()
    return issue


def _closed() -> RectificationIssue:
    issue = _submitted()
    issue.sign_off("同意销号", "coordinator")
    issue.collect_events()
    return issue


def _pending_extension() -> RectificationIssue:
    issue = _issue()
    issue.request_extension(
        Deadline.on(date(2026, 6, 30), "2026年6月底"), "设备采购延迟", "liaison"
    )
    issue.collect_events()
    return issue


def _refused(issue: RectificationIssue, error: pytest.ExceptionInfo[BaseException]) -> None:
    """A refusal emits nothing."""
    assert issue.collect_events() == []
    assert isinstance(error.value, InvalidTransition | InvalidInput)


# -- registration -----------------------------------------------------------------------


def test_register_emits_registered_with_every_fact() -> None:
    issue = RectificationIssue(
        CAMPAIGN, "1", "问题", ["措施一", "措施二"], LEAD, [CO], DUE, "file.csv", "importer"
    )
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.Registered]
    registered = events[0]
    assert isinstance(registered, RectificationIssue.Registered)
    assert registered.originator_id == issue_id(CAMPAIGN, "1")
    assert registered.campaign_id == CAMPAIGN
    assert registered.number == "1"
    assert registered.measures == ["措施一", "措施二"]
    assert registered.lead_agency_id == LEAD
    assert registered.co_agency_ids == [CO]
    assert registered.deadline == DUE
    assert registered.source == "file.csv"
    assert registered.actor == "importer"
    assert issue.status is IssueStatus.OPEN
    assert issue.cycle == 1
    assert issue.responsible_agency_ids == [LEAD, CO]


def test_issue_id_is_the_same_for_the_same_campaign_and_number() -> None:
    assert _issue().id == issue_id(CAMPAIGN, " 1 ")


def test_register_refused_without_number() -> None:
    with pytest.raises(InvalidInput) as refused:
        RectificationIssue.check_registration(" ", "问题", LEAD, [CO])
    assert refused.value.field == "number"


def test_register_refused_without_problem() -> None:
    with pytest.raises(InvalidInput) as refused:
        RectificationIssue.check_registration("1", "", LEAD, [CO])
    assert refused.value.field == "problem"


def test_register_refused_when_lead_is_also_co_responsible() -> None:
    with pytest.raises(InvalidInput) as refused:
        RectificationIssue.check_registration("1", "问题", LEAD, [CO, LEAD])
    assert refused.value.field == "responsible"


# -- progress ---------------------------------------------------------------------------


def test_progress_by_lead_agency_is_reported() -> None:
    issue = _issue()
    issue.report_progress(LEAD, " 已建立互认清单 ", ["att-1.pdf"], "liaison")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.ProgressReported]
    reported = events[0]
    assert isinstance(reported, RectificationIssue.ProgressReported)
    assert (reported.agency_id, reported.text, reported.attachments, reported.actor) == (
        LEAD,
        "已建立互认清单",
        ["att-1.pdf"],
        "liaison",
    )
    assert issue.status is IssueStatus.OPEN


def test_progress_by_co_responsible_agency_is_reported() -> None:
    issue = _issue()
    issue.report_progress(CO, "已纳入考核", [], "liaison")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.ProgressReported]
    assert getattr(events[0], "agency_id", None) == CO


def test_progress_by_non_responsible_agency_is_refused() -> None:
    issue = _issue()
    with pytest.raises(InvalidInput) as refused:
        issue.report_progress(OTHER, "进展", [], "liaison")
    assert refused.value.field == "agency"
    _refused(issue, refused)


def test_progress_without_text_is_refused() -> None:
    issue = _issue()
    with pytest.raises(InvalidInput) as refused:
        issue.report_progress(LEAD, "  ", [], "liaison")
    assert refused.value.field == "text"
    _refused(issue, refused)


def test_progress_refused_while_submitted_names_current_state() -> None:
    issue = _submitted()
    with pytest.raises(InvalidTransition) as refused:
        issue.report_progress(LEAD, "进展", [], "liaison")
    assert refused.value.current_state == "SUBMITTED"
    assert "cannot report progress while the issue is SUBMITTED" in str(refused.value)
    _refused(issue, refused)


def test_progress_refused_while_closed_names_current_state() -> None:
    issue = _closed()
    with pytest.raises(InvalidTransition, match="while the issue is CLOSED") as refused:
        issue.report_progress(LEAD, "进展", [], "liaison")
    _refused(issue, refused)


# -- submit / sign off / reject ---------------------------------------------------------


def test_submit_moves_open_issue_to_submitted() -> None:
    issue = _issue()
    issue.submit_for_verification(" 整改完成 ", "liaison")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.SubmittedForVerification]
    assert getattr(events[0], "summary", None) == "整改完成"
    assert getattr(events[0], "actor", None) == "liaison"
    assert issue.status is IssueStatus.SUBMITTED


def test_submit_refused_while_submitted_names_current_state() -> None:
    issue = _submitted()
    with pytest.raises(InvalidTransition) as refused:
        issue.submit_for_verification("again", "liaison")
    assert refused.value.current_state == "SUBMITTED"
    assert refused.value.action == "submit for verification"
    _refused(issue, refused)


def test_submit_refused_while_closed_names_current_state() -> None:
    issue = _closed()
    with pytest.raises(InvalidTransition, match="while the issue is CLOSED") as refused:
        issue.submit_for_verification("again", "liaison")
    _refused(issue, refused)


def test_sign_off_closes_submitted_issue() -> None:
    issue = _submitted()
    issue.sign_off(" 同意销号 ", "coordinator")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.SignedOff]
    assert getattr(events[0], "comment", None) == "同意销号"
    assert getattr(events[0], "actor", None) == "coordinator"
    assert issue.status is IssueStatus.CLOSED
    assert issue.is_closed


def test_sign_off_refused_while_open_names_current_state() -> None:
    issue = _issue()
    with pytest.raises(InvalidTransition) as refused:
        issue.sign_off("同意", "coordinator")
    assert refused.value.current_state == "OPEN"
    assert str(refused.value) == "整改中状态下不能销号 / cannot sign off while the issue is OPEN"
    _refused(issue, refused)


def test_sign_off_refused_while_closed_names_current_state() -> None:
    issue = _closed()
    with pytest.raises(
        InvalidTransition, match="cannot sign off while the issue is CLOSED"
    ) as refused:
        issue.sign_off("again", "coordinator")
    _refused(issue, refused)


def test_reject_with_reason_returns_issue_to_open() -> None:
    issue = _submitted()
    issue.reject(" 佐证材料不全 ", "coordinator")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.Rejected]
    assert getattr(events[0], "reason", None) == "佐证材料不全"
    assert getattr(events[0], "actor", None) == "coordinator"
    assert issue.status is IssueStatus.OPEN


def test_reject_without_reason_is_refused() -> None:
    issue = _submitted()
    with pytest.raises(InvalidInput) as refused:
        issue.reject("   ", "coordinator")
    assert refused.value.field == "reason"
    assert issue.status is IssueStatus.SUBMITTED
    _refused(issue, refused)


def test_reject_refused_while_open_names_current_state() -> None:
    issue = _issue()
    with pytest.raises(InvalidTransition, match="cannot reject while the issue is OPEN") as refused:
        issue.reject("理由", "coordinator")
    _refused(issue, refused)


def test_reject_refused_while_closed_names_current_state() -> None:
    issue = _closed()
    with pytest.raises(
        InvalidTransition, match="cannot reject while the issue is CLOSED"
    ) as refused:
        issue.reject("理由", "coordinator")
    _refused(issue, refused)


def test_rejected_issue_can_be_submitted_again() -> None:
    issue = _submitted()
    issue.reject("材料不全", "coordinator")
    issue.submit_for_verification("已补充", "liaison")
    events = issue.collect_events()
    assert [type(e) for e in events] == [
        RectificationIssue.Rejected,
        RectificationIssue.SubmittedForVerification,
    ]
    assert issue.status is IssueStatus.SUBMITTED


# -- extensions -------------------------------------------------------------------------


def test_request_extension_records_the_requested_deadline() -> None:
    issue = _issue()
    later = Deadline.on(date(2026, 6, 30), "2026年6月底")
    issue.request_extension(later, " 设备采购延迟 ", "liaison")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.ExtensionRequested]
    assert getattr(events[0], "requested", None) == later
    assert getattr(events[0], "reason", None) == "设备采购延迟"
    assert issue.pending_extension == later
    assert issue.deadline == DUE


def test_request_extension_is_allowed_while_submitted() -> None:
    issue = _submitted()
    issue.request_extension(Deadline.on(date(2026, 4, 30)), "等待验收", "liaison")
    assert [type(e) for e in issue.collect_events()] == [RectificationIssue.ExtensionRequested]


def test_request_extension_refused_while_closed_names_current_state() -> None:
    issue = _closed()
    with pytest.raises(
        InvalidTransition, match="cannot request an extension while the issue is CLOSED"
    ) as refused:
        issue.request_extension(Deadline.on(date(2026, 6, 30)), "理由", "liaison")
    _refused(issue, refused)


def test_request_extension_refused_while_one_is_pending() -> None:
    issue = _pending_extension()
    with pytest.raises(InvalidTransition) as refused:
        issue.request_extension(Deadline.on(date(2026, 9, 30)), "再延", "liaison")
    assert refused.value.current_state == "OPEN"
    assert "an extension request is pending" in str(refused.value)
    _refused(issue, refused)


def test_request_extension_refused_for_ongoing_deadline() -> None:
    issue = _issue(ONGOING)
    with pytest.raises(InvalidInput, match="ongoing issue has no due date") as refused:
        issue.request_extension(Deadline.on(date(2026, 6, 30)), "理由", "liaison")
    assert refused.value.field == "deadline"
    _refused(issue, refused)


def test_request_extension_refused_without_reason() -> None:
    issue = _issue()
    with pytest.raises(InvalidInput) as refused:
        issue.request_extension(Deadline.on(date(2026, 6, 30)), " ", "liaison")
    assert refused.value.field == "reason"
    _refused(issue, refused)


@pytest.mark.parametrize(
    "requested", [Deadline.on(date(2026, 3, 31)), Deadline.on(date(2026, 1, 1)), ONGOING]
)
def test_request_extension_refused_unless_later_than_current_due_date(
    requested: Deadline,
) -> None:
    issue = _issue()
    with pytest.raises(InvalidInput, match="must be after the current one") as refused:
        issue.request_extension(requested, "理由", "liaison")
    _refused(issue, refused)


def test_approve_extension_moves_the_deadline_and_keeps_the_ledgers_wording() -> None:
    issue = _pending_extension()
    issue.approve_extension(" 同意 ", "coordinator")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.ExtensionApproved]
    approved = events[0]
    assert getattr(approved, "previous", None) == DUE
    assert getattr(approved, "deadline", None) == Deadline.on(
        date(2026, 6, 30), "2026年3月底（延期至2026-06-30）"
    )
    assert getattr(approved, "comment", None) == "同意"
    assert issue.deadline.due_date == date(2026, 6, 30)
    assert issue.pending_extension is None


def test_an_extended_deadline_read_again_stays_the_same() -> None:
    """The read side applies the wording to extensions recorded before it was kept."""
    plain = Deadline.on(date(2026, 6, 30), "2026年6月底")
    kept = extended_deadline(DUE, plain)

    assert kept.text == "2026年3月底（延期至2026-06-30）"
    assert extended_deadline(DUE, kept) == kept
    assert extended_deadline(kept, Deadline.on(date(2026, 9, 30))).text == (
        "2026年3月底（延期至2026-09-30）"
    )


def test_approve_extension_refused_without_pending_request() -> None:
    issue = _issue()
    with pytest.raises(InvalidTransition) as refused:
        issue.approve_extension("同意", "coordinator")
    assert refused.value.current_state == "OPEN"
    assert "no extension request is pending" in str(refused.value)
    _refused(issue, refused)


def test_deny_extension_keeps_the_deadline() -> None:
    issue = _pending_extension()
    issue.deny_extension(" 理由不充分 ", "coordinator")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.ExtensionDenied]
    assert getattr(events[0], "reason", None) == "理由不充分"
    assert issue.deadline == DUE
    assert issue.pending_extension is None


def test_deny_extension_refused_without_reason() -> None:
    issue = _pending_extension()
    with pytest.raises(InvalidInput) as refused:
        issue.deny_extension("", "coordinator")
    assert refused.value.field == "reason"
    assert issue.pending_extension is not None
    _refused(issue, refused)


def test_deny_extension_refused_without_pending_request() -> None:
    issue = _issue()
    with pytest.raises(InvalidTransition, match="no extension request is pending") as refused:
        issue.deny_extension("理由", "coordinator")
    _refused(issue, refused)


def test_a_new_extension_can_be_requested_after_a_denial() -> None:
    issue = _pending_extension()
    issue.deny_extension("理由不充分", "coordinator")
    issue.request_extension(Deadline.on(date(2026, 4, 30)), "补充理由", "liaison")
    assert [type(e) for e in issue.collect_events()] == [
        RectificationIssue.ExtensionDenied,
        RectificationIssue.ExtensionRequested,
    ]


def test_sign_off_drops_a_pending_extension_request() -> None:
    issue = _pending_extension()
    issue.submit_for_verification("完成", "liaison")
    issue.sign_off("同意", "coordinator")
    issue.collect_events()
    assert issue.pending_extension is None
    with pytest.raises(InvalidTransition) as refused:
        issue.approve_extension("同意", "coordinator")
    assert str(refused.value) == (
        "不能批准延期：没有待审批的延期申请（问题当前为已销号） / "
        "cannot approve an extension: no extension request is pending (the issue is CLOSED)"
    )


# -- reopen (回头看) ---------------------------------------------------------------------


def test_reopen_with_new_deadline_starts_a_new_cycle() -> None:
    issue = _closed()
    new = Deadline.on(date(2026, 12, 31), "2026年底")
    issue.reopen(" 回头看发现问题反弹 ", new, "coordinator")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.Reopened]
    assert getattr(events[0], "reason", None) == "回头看发现问题反弹"
    assert getattr(events[0], "deadline", None) == new
    assert issue.status is IssueStatus.OPEN
    assert issue.deadline == new
    assert issue.cycle == 2


def test_reopen_without_new_deadline_keeps_the_old_one() -> None:
    issue = _closed()
    issue.reopen("问题反弹", None, "coordinator")
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.Reopened]
    assert getattr(events[0], "deadline", None) == DUE
    assert issue.deadline == DUE
    assert issue.cycle == 2


def test_each_reopen_increments_the_cycle() -> None:
    issue = _closed()
    for _ in range(2):
        issue.reopen("问题反弹", None, "coordinator")
        issue.submit_for_verification("完成", "liaison")
        issue.sign_off("同意", "coordinator")
    assert issue.cycle == 3
    assert [type(e).__name__ for e in issue.collect_events()] == [
        "Reopened",
        "SubmittedForVerification",
        "SignedOff",
    ] * 2


def test_reopen_without_reason_is_refused() -> None:
    issue = _closed()
    with pytest.raises(InvalidInput) as refused:
        issue.reopen(" ", None, "coordinator")
    assert refused.value.field == "reason"
    assert issue.cycle == 1
    _refused(issue, refused)


@pytest.mark.parametrize("state", ["OPEN", "SUBMITTED"])
def test_reopen_refused_unless_closed_names_current_state(state: str) -> None:
    issue = _issue() if state == "OPEN" else _submitted()
    with pytest.raises(InvalidTransition) as refused:
        issue.reopen("理由", None, "coordinator")
    assert refused.value.current_state == state
    assert f"cannot reopen while the issue is {state}" in str(refused.value)
    _refused(issue, refused)


# -- clock milestones -------------------------------------------------------------------


def test_clock_key_is_built_from_id_cycle_milestone_and_due_date() -> None:
    issue = _issue()
    assert issue.clock_key("remind") == f"issue:{issue.id}:cycle1:remind:2026-03-31"


def test_record_reminder_records_once() -> None:
    issue = _issue()
    key = issue.clock_key("remind")
    assert issue.record_reminder(key, "clock") is True
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.ReminderRecorded]
    assert getattr(events[0], "key", None) == key
    assert getattr(events[0], "deadline", None) == DUE
    assert getattr(events[0], "actor", None) == "clock"


def test_record_reminder_twice_with_the_same_key_records_nothing_more() -> None:
    issue = _issue()
    key = issue.clock_key("remind")
    issue.record_reminder(key, "clock")
    issue.collect_events()
    assert issue.record_reminder(key, "clock") is False
    assert issue.collect_events() == []


def test_record_reminder_with_overdue_key_records_nothing() -> None:
    issue = _issue()
    assert issue.record_reminder(issue.clock_key("overdue"), "clock") is False
    assert issue.collect_events() == []


def test_record_reminder_with_stale_key_after_extension_records_nothing() -> None:
    issue = _pending_extension()
    stale = issue.clock_key("remind")
    issue.approve_extension("同意", "coordinator")
    issue.collect_events()
    assert issue.record_reminder(stale, "clock") is False
    assert issue.collect_events() == []
    fresh = issue.clock_key("remind")
    assert fresh.endswith(":remind:2026-06-30")
    assert issue.record_reminder(fresh, "clock") is True
    assert [type(e) for e in issue.collect_events()] == [RectificationIssue.ReminderRecorded]


def test_record_reminder_on_closed_issue_records_nothing() -> None:
    issue = _closed()
    assert issue.record_reminder(issue.clock_key("remind"), "clock") is False
    assert issue.collect_events() == []


def test_record_overdue_records_once() -> None:
    issue = _issue()
    key = issue.clock_key("overdue")
    assert issue.record_overdue(key, "clock") is True
    events = issue.collect_events()
    assert [type(e) for e in events] == [RectificationIssue.OverdueRecorded]
    assert getattr(events[0], "key", None) == key
    assert getattr(events[0], "deadline", None) == DUE


def test_record_overdue_twice_with_the_same_key_records_nothing_more() -> None:
    issue = _issue()
    key = issue.clock_key("overdue")
    issue.record_overdue(key, "clock")
    issue.collect_events()
    assert issue.record_overdue(key, "clock") is False
    assert issue.collect_events() == []


def test_record_overdue_with_stale_key_of_previous_cycle_records_nothing() -> None:
    issue = _closed()
    stale = issue.clock_key("overdue")
    issue.reopen("问题反弹", None, "coordinator")
    issue.collect_events()
    assert issue.record_overdue(stale, "clock") is False
    assert issue.collect_events() == []
    fresh = issue.clock_key("overdue")
    assert ":cycle2:overdue:" in fresh
    assert issue.record_overdue(fresh, "clock") is True
    assert [type(e) for e in issue.collect_events()] == [RectificationIssue.OverdueRecorded]


def test_record_overdue_on_closed_issue_records_nothing() -> None:
    issue = _closed()
    assert issue.record_overdue(issue.clock_key("overdue"), "clock") is False
    assert issue.collect_events() == []


def test_record_overdue_while_submitted_is_recorded() -> None:
    issue = _submitted()
    assert issue.record_overdue(issue.clock_key("overdue"), "clock") is True
    assert [type(e) for e in issue.collect_events()] == [RectificationIssue.OverdueRecorded]


def test_issue_is_rebuilt_from_its_events() -> None:
    issue = _issue()
    issue.submit_for_verification("完成", "liaison")
    issue.sign_off("同意", "coordinator")
    issue.reopen("反弹", Deadline.on(date(2026, 12, 31)), "coordinator")
    history = issue.collect_events()
    copy = _issue()
    for domain_event in history:
        domain_event.mutate(copy)
    assert (copy.status, copy.cycle, copy.deadline) == (issue.status, 2, issue.deadline)


# -- the same commands through the application (in-memory store) -----------------------


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


def _registered(app: RectifyApp) -> tuple[UUID, UUID, UUID]:
    campaign = app.launch_campaign("医药领域腐败问题集中整治", actor="admin").id
    lead = app.register_agency("县卫健局", actor="admin").id
    co = app.register_agency("县医疗保障局", actor="admin").id
    item = app.register_issue(campaign, "1", "问题", ["措施"], lead, [co], DUE, actor="admin").id
    return item, lead, co


def _history(app: RectifyApp, item: UUID) -> list[str]:
    return [type(e).__name__ for e in app.events.get(item)]


def test_app_whole_lifecycle_is_stored_and_read_back(app: RectifyApp) -> None:
    item, lead, _ = _registered(app)
    app.report_progress(item, lead, "已建立清单", ["a.pdf"], "liaison")
    app.request_extension(item, Deadline.on(date(2026, 6, 30), "2026年6月底"), "延迟", "liaison")
    app.approve_extension(item, "同意", "coordinator")
    app.submit_for_verification(item, "完成", "liaison")
    app.reject(item, "材料不全", "coordinator")
    app.submit_for_verification(item, "已补充", "liaison")
    app.sign_off(item, "同意销号", "coordinator")
    app.reopen(item, "回头看反弹", Deadline.on(date(2099, 6, 30)), "coordinator")
    assert _history(app, item) == [
        "Registered",
        "ProgressReported",
        "ExtensionRequested",
        "ExtensionApproved",
        "SubmittedForVerification",
        "Rejected",
        "SubmittedForVerification",
        "SignedOff",
        "Reopened",
    ]
    issue = app.get_issue(item)
    assert issue.status is IssueStatus.OPEN
    assert issue.cycle == 2
    assert issue.deadline == Deadline.on(date(2099, 6, 30))


def test_app_refusal_saves_nothing(app: RectifyApp) -> None:
    item, _, _ = _registered(app)
    with pytest.raises(InvalidTransition, match="cannot sign off while the issue is OPEN"):
        app.sign_off(item, "同意", "coordinator")
    assert _history(app, item) == ["Registered"]


def test_app_record_reminder_twice_records_once(app: RectifyApp) -> None:
    item, _, _ = _registered(app)
    key = app.get_issue(item).clock_key("remind")
    first = app.record_reminder(item, key, "clock")
    again = app.record_reminder(item, key, "clock")
    assert first.changed and first.position is not None
    assert not again.changed and again.position is None
    assert _history(app, item) == ["Registered", "ReminderRecorded"]


def test_app_record_overdue_with_stale_key_records_nothing(app: RectifyApp) -> None:
    item, _, _ = _registered(app)
    stale = app.get_issue(item).clock_key("overdue")
    app.request_extension(item, Deadline.on(date(2026, 6, 30)), "延迟", "liaison")
    app.approve_extension(item, "同意", "coordinator")
    assert not app.record_overdue(item, stale, "clock").changed
    assert _history(app, item)[-1] == "ExtensionApproved"


def test_app_register_issue_twice_is_refused(app: RectifyApp) -> None:
    item, lead, co = _registered(app)
    campaign = app.get_issue(item).campaign_id
    with pytest.raises(InvalidInput, match="'1' is already in this campaign"):
        app.register_issue(campaign, "1", "问题", ["措施"], lead, [co], DUE, actor="admin")


def test_app_register_issue_without_measures_is_refused(app: RectifyApp) -> None:
    campaign = app.launch_campaign("行动", actor="admin").id
    lead = app.register_agency("县卫健局", actor="admin").id
    with pytest.raises(InvalidInput, match="measures"):
        app.register_issue(campaign, "1", "问题", [], lead, [], DUE, actor="admin")


def test_app_register_issue_for_unknown_agency_is_refused(app: RectifyApp) -> None:
    campaign = app.launch_campaign("行动", actor="admin").id
    with pytest.raises(NotFound, match="agency not found"):
        app.register_issue(campaign, "1", "问题", ["措施"], uuid4(), [], DUE, actor="admin")


def test_app_command_on_unknown_issue_is_not_found(app: RectifyApp) -> None:
    with pytest.raises(NotFound, match="issue not found"):
        app.sign_off(uuid4(), "同意", "coordinator")


def test_reopen_after_the_deadline_passed_needs_a_new_deadline() -> None:
    """The old deadline would be no fresh clock: every rung would ring at once."""
    issue = _closed()
    assert DUE.due_date is not None
    with pytest.raises(InvalidInput) as refused:
        issue.reopen("问题反弹", None, "coordinator", today=DUE.due_date + timedelta(days=1))
    assert refused.value.field == "deadline"
    assert "has passed" in str(refused.value)
    _refused(issue, refused)


def test_reopen_with_a_deadline_before_today_is_refused() -> None:
    issue = _closed()
    assert DUE.due_date is not None
    today = DUE.due_date + timedelta(days=30)
    with pytest.raises(InvalidInput) as refused:
        issue.reopen("问题反弹", Deadline.on(today - timedelta(days=1)), "coordinator", today)
    assert refused.value.field == "deadline"
    _refused(issue, refused)


def test_reopen_before_the_old_deadline_keeps_it() -> None:
    issue = _closed()
    assert DUE.due_date is not None
    issue.reopen("问题反弹", None, "coordinator", today=DUE.due_date)
    assert issue.deadline == DUE and issue.cycle == 2


def test_app_reopen_of_a_long_overdue_issue_without_a_deadline_saves_nothing(
    app: RectifyApp,
) -> None:
    item, _, _ = _registered(app)
    app.submit_for_verification(item, "完成", "liaison")
    app.sign_off(item, "同意销号", "coordinator")
    with pytest.raises(InvalidInput, match="deadline"):
        app.reopen(item, "回头看反弹", None, "coordinator")
    assert _history(app, item)[-1] == "SignedOff"
