"""The lifecycle of a case transfer (行刑衔接) and of a transfer to discipline inspection:
each allowed and each refused transition, the statutory deadlines around holidays, and
breaches recorded once by key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.application import RectifyApp
from domain.case_transfers import (
    TRANSFER_LADDER,
    CaseTransfer,
    ReconsiderationOutcome,
    SupervisionOutcome,
    TransferRefused,
    TransferStatus,
    WrongTransferAgency,
    case_transfer_id,
)
from domain.clocks import TIMEZONE, Clocked, Ladder, MilestoneKind, Period, Rung, end_of_day
from domain.discipline_transfers import (
    DisciplineOutcome,
    DisciplineRefused,
    DisciplineStatus,
    DisciplineTransfer,
    PersonCategory,
    discipline_transfer_id,
)
from domain.errors import InvalidInput, InvalidTransition, NotFound
from infrastructure.calendar_data import build_calendar

CAL = build_calendar()
HEALTH, POLICE, OTHER_POLICE, PROCURATORATE, COMMISSION = (uuid4() for _ in range(5))
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TIMEZONE)
HOUR = timedelta(hours=1)


def _due(days: int, start: datetime = MONDAY) -> datetime:
    return end_of_day(start.date() + timedelta(days=days))


def _reported() -> CaseTransfer:
    transfer = CaseTransfer(
        id=case_transfer_id(),
        agency_id=HEALTH,
        agency_name="县卫健局",
        police_agency_id=POLICE,
        police_name="县公安局",
        case_number="卫医罚〔2026〕7号",
        suspect="某美容诊所",
        suspected_offence="诈骗罪（骗取医保基金）",
        facts="虚构诊疗项目骗取医保基金12万元",
        attachments=["询问笔录.pdf"],
        campaign_id=None,
        at=MONDAY,
        approval_due=_due(3),
        actor="卫健局-执法员",
    )
    transfer.collect_events()
    return transfer


def _step(transfer: CaseTransfer) -> CaseTransfer:
    transfer.collect_events()
    return transfer


def _approved() -> CaseTransfer:
    transfer = _reported()
    transfer.approve("同意移送", MONDAY + HOUR, MONDAY + 25 * HOUR, "卫健局-局长")
    return _step(transfer)


def _sent() -> CaseTransfer:
    transfer = _approved()
    transfer.send(MONDAY + 2 * HOUR, "卫健局-执法员")
    return _step(transfer)


def _received(at: datetime = MONDAY + 3 * HOUR) -> CaseTransfer:
    transfer = _sent()
    transfer.receive(POLICE, at, at + 24 * HOUR, _due(3, at), "公安局-民警")
    return _step(transfer)


def _refused() -> CaseTransfer:
    transfer = _received()
    transfer.refuse(POLICE, "证据不足，不构成犯罪", MONDAY + 4 * HOUR, _due(3), "公安局-民警")
    return _step(transfer)


def _reconsidering() -> CaseTransfer:
    transfer = _refused()
    transfer.request_reconsideration("骗保金额已达立案标准", MONDAY + 5 * HOUR, _due(3), "卫健局")
    return _step(transfer)


def _upheld() -> CaseTransfer:
    transfer = _reconsidering()
    transfer.answer_reconsideration(
        POLICE, ReconsiderationOutcome.UPHOLD, "维持原决定", "", MONDAY + 6 * HOUR, "公安局"
    )
    return _step(transfer)


def _supervised() -> CaseTransfer:
    transfer = _upheld()
    transfer.request_supervision(PROCURATORATE, "县检察院", "请求立案监督", MONDAY, "卫健局")
    return _step(transfer)


def _events(transfer: CaseTransfer) -> list[str]:
    return [type(e).__name__ for e in transfer.collect_events()]


# -- allowed transitions ---------------------------------------------------------------------


def test_report_awaits_the_head_with_the_approval_due() -> None:
    transfer = _reported()
    assert transfer.status is TransferStatus.REPORTED
    assert transfer.deadlines == {"approval": _due(3)}


def test_head_approves_and_the_sending_clock_starts() -> None:
    transfer = _reported()
    transfer.approve("同意", MONDAY + HOUR, MONDAY + 25 * HOUR, "局长")
    assert _events(transfer) == ["Approved"]
    assert transfer.status is TransferStatus.APPROVED
    assert transfer.deadlines["sending"] == MONDAY + 25 * HOUR


def test_head_declines_with_reasons_and_the_transfer_is_closed() -> None:
    transfer = _reported()
    transfer.decline("尚不构成犯罪", MONDAY + HOUR, "局长")
    assert _events(transfer) == ["Declined"]
    assert transfer.status is TransferStatus.DECLINED
    assert not transfer.clock_open()


def test_agency_sends_an_approved_transfer() -> None:
    transfer = _approved()
    transfer.send(MONDAY + 2 * HOUR, "执法员")
    assert _events(transfer) == ["Sent"]
    assert transfer.status is TransferStatus.SENT


def test_police_receive_and_the_decision_clock_starts() -> None:
    transfer = _sent()
    at = MONDAY + 3 * HOUR
    transfer.receive(POLICE, at, at + 24 * HOUR, _due(3), "民警")
    assert _events(transfer) == ["Received"]
    assert transfer.status is TransferStatus.RECEIVED
    assert transfer.deadlines["decision1"] == _due(3)
    assert transfer.deadlines["forwarding1"] == at + 24 * HOUR


def test_police_file_a_criminal_case() -> None:
    transfer = _received()
    transfer.file_case(POLICE, "县公立〔2026〕12号", MONDAY + 4 * HOUR, "民警")
    assert _events(transfer) == ["Filed"]
    assert transfer.status is TransferStatus.FILED
    assert transfer.criminal_case_number == "县公立〔2026〕12号"
    assert not transfer.clock_open()


def test_police_refuse_with_reasons_and_the_reconsideration_window_opens() -> None:
    transfer = _received()
    transfer.refuse(POLICE, "证据不足", MONDAY + 4 * HOUR, _due(3), "民警")
    assert _events(transfer) == ["Refused"]
    assert transfer.status is TransferStatus.REFUSED
    assert transfer.deadlines["reconsideration_request"] == _due(3)
    assert transfer.clock_open() and not transfer.clock_running()


def test_police_forward_to_the_competent_police_who_then_receive_it() -> None:
    transfer = _received()
    transfer.forward(POLICE, OTHER_POLICE, "市公安局", "属市局管辖", MONDAY + 4 * HOUR, "民警")
    assert _events(transfer) == ["Forwarded"]
    assert transfer.status is TransferStatus.FORWARDED
    assert transfer.police_agency_id == OTHER_POLICE
    later = MONDAY + 30 * HOUR
    transfer.receive(OTHER_POLICE, later, later + 24 * HOUR, _due(3, later), "市局民警")
    assert transfer.status is TransferStatus.RECEIVED
    assert transfer.deadlines["decision2"] == _due(3, later)
    assert transfer.police_ids == [POLICE, OTHER_POLICE]


def test_agency_requests_reconsideration_within_the_window() -> None:
    transfer = _refused()
    transfer.request_reconsideration("已达立案标准", MONDAY + 5 * HOUR, _due(3), "卫健局")
    assert _events(transfer) == ["ReconsiderationRequested"]
    assert transfer.status is TransferStatus.RECONSIDERING
    assert transfer.deadlines["reconsideration"] == _due(3)


def test_police_reconsider_and_file_the_case() -> None:
    transfer = _reconsidering()
    transfer.answer_reconsideration(
        POLICE, ReconsiderationOutcome.FILE, "", "县公立〔2026〕13号", MONDAY + 6 * HOUR, "民警"
    )
    assert _events(transfer) == ["ReconsiderationAnswered"]
    assert transfer.status is TransferStatus.FILED


def test_police_reconsider_and_uphold_the_refusal() -> None:
    transfer = _reconsidering()
    transfer.answer_reconsideration(
        POLICE, ReconsiderationOutcome.UPHOLD, "维持", "", MONDAY + 6 * HOUR, "民警"
    )
    assert _events(transfer) == ["ReconsiderationAnswered"]
    assert transfer.status is TransferStatus.REFUSAL_UPHELD


def test_agency_asks_the_procuratorate_to_supervise_a_refusal() -> None:
    transfer = _refused()
    transfer.request_supervision(PROCURATORATE, "县检察院", "应当立案", MONDAY, "卫健局")
    assert _events(transfer) == ["SupervisionRequested"]
    assert transfer.status is TransferStatus.UNDER_SUPERVISION


def test_agency_asks_for_supervision_after_the_refusal_is_upheld() -> None:
    transfer = _upheld()
    transfer.request_supervision(PROCURATORATE, "县检察院", "应当立案", MONDAY, "卫健局")
    assert transfer.status is TransferStatus.UNDER_SUPERVISION


def test_procuratorate_orders_filing_and_the_police_file() -> None:
    transfer = _supervised()
    transfer.conclude_supervision(
        PROCURATORATE, SupervisionOutcome.FILING_ORDERED, "理由不成立", MONDAY, "检察官"
    )
    assert _events(transfer) == ["SupervisionConcluded"]
    assert transfer.status is TransferStatus.FILING_ORDERED
    transfer.file_case(POLICE, "县公立〔2026〕14号", MONDAY, "民警")
    assert transfer.status is TransferStatus.FILED


def test_procuratorate_finds_the_refusal_justified_and_supervision_ends() -> None:
    transfer = _supervised()
    transfer.conclude_supervision(
        PROCURATORATE, SupervisionOutcome.REFUSAL_SUSTAINED, "理由成立", MONDAY, "检察官"
    )
    assert transfer.status is TransferStatus.SUPERVISION_CLOSED
    assert not transfer.clock_open()


# -- refused transitions: each names the current state ----------------------------------------


def _declined() -> CaseTransfer:
    transfer = _reported()
    transfer.decline("尚不构成犯罪", MONDAY + HOUR, "局长")
    return _step(transfer)


def _forwarded() -> CaseTransfer:
    transfer = _received()
    transfer.forward(POLICE, OTHER_POLICE, "市公安局", "属市局", MONDAY + 4 * HOUR, "民警")
    return _step(transfer)


def _filed() -> CaseTransfer:
    transfer = _received()
    transfer.file_case(POLICE, "县公立〔2026〕12号", MONDAY + 4 * HOUR, "民警")
    return _step(transfer)


def _concluded(outcome: SupervisionOutcome) -> CaseTransfer:
    transfer = _supervised()
    transfer.conclude_supervision(PROCURATORATE, outcome, "意见", MONDAY, "检察官")
    return _step(transfer)


BUILDERS = {
    TransferStatus.REPORTED: _reported,
    TransferStatus.APPROVED: _approved,
    TransferStatus.DECLINED: _declined,
    TransferStatus.SENT: _sent,
    TransferStatus.RECEIVED: _received,
    TransferStatus.FORWARDED: _forwarded,
    TransferStatus.FILED: _filed,
    TransferStatus.REFUSED: _refused,
    TransferStatus.RECONSIDERING: _reconsidering,
    TransferStatus.REFUSAL_UPHELD: _upheld,
    TransferStatus.UNDER_SUPERVISION: _supervised,
    TransferStatus.FILING_ORDERED: lambda: _concluded(SupervisionOutcome.FILING_ORDERED),
    TransferStatus.SUPERVISION_CLOSED: lambda: _concluded(SupervisionOutcome.REFUSAL_SUSTAINED),
}


def _police_of(t: CaseTransfer) -> UUID:
    return t.police_agency_id  # the agency now in charge, so only the state can refuse


# Every step, by the agency it belongs to, and the states that allow it; the allowed
# transitions are the tests above, every other (state, step) pair must be refused.
STEPS = {
    "approve": (lambda t: t.approve("", MONDAY, MONDAY, "局长"), {"REPORTED"}),
    "decline": (lambda t: t.decline("x", MONDAY, "局长"), {"REPORTED"}),
    "send": (lambda t: t.send(MONDAY, "执法员"), {"APPROVED"}),
    "receive": (lambda t: t.receive(_police_of(t), MONDAY, MONDAY, MONDAY, "警"),
                {"SENT", "FORWARDED"}),
    "forward": (lambda t: t.forward(_police_of(t), uuid4(), "他局", "x", MONDAY, "警"),
                {"RECEIVED"}),
    "file": (lambda t: t.file_case(_police_of(t), "", MONDAY, "警"),
             {"RECEIVED", "FILING_ORDERED"}),
    "refuse": (lambda t: t.refuse(_police_of(t), "x", MONDAY, MONDAY, "警"), {"RECEIVED"}),
    "request reconsideration": (
        lambda t: t.request_reconsideration("x", MONDAY, MONDAY, "卫健局"), {"REFUSED"}),
    "answer reconsideration": (
        lambda t: t.answer_reconsideration(_police_of(t), ReconsiderationOutcome.FILE, "", "",
                                           MONDAY, "警"), {"RECONSIDERING"}),
    "request supervision": (
        lambda t: t.request_supervision(PROCURATORATE, "检察院", "x", MONDAY, "卫健局"),
        {"REFUSED", "REFUSAL_UPHELD"}),
    "record the supervision outcome": (
        lambda t: t.conclude_supervision(t.procuratorate_id or PROCURATORATE,
                                         SupervisionOutcome.FILING_ORDERED, "x", MONDAY, "检察官"),
        {"UNDER_SUPERVISION"}),
}  # fmt: skip

REFUSED = [
    (state, action)
    for action, (_, allowed) in STEPS.items()
    for state in TransferStatus
    if state.value not in allowed
]


@pytest.mark.parametrize(("state", "action"), REFUSED, ids=[f"{a}@{s}" for s, a in REFUSED])
def test_a_step_the_state_does_not_allow_is_refused_naming_the_state(
    state: TransferStatus, action: str
) -> None:
    transfer = BUILDERS[state]()
    assert transfer.status is state
    with pytest.raises(TransferRefused) as refused:
        STEPS[action][0](transfer)
    assert refused.value.current_state == state.value
    assert f"cannot {action} while the case transfer is {state.value}" in str(refused.value)
    assert transfer.collect_events() == []


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for a, (_, allowed) in STEPS.items() for s in TransferStatus if s.value in allowed],
)
def test_a_step_the_state_allows_is_taken(state: TransferStatus, action: str) -> None:
    transfer = BUILDERS[state]()
    STEPS[action][0](transfer)
    assert transfer.collect_events()


WRONG_AGENCY = [
    ("receive", _sent, lambda t: t.receive(OTHER_POLICE, MONDAY, MONDAY, MONDAY, "警")),
    ("forward", _received,
     lambda t: t.forward(OTHER_POLICE, PROCURATORATE, "x", "x", MONDAY, "警")),
    ("file", _received, lambda t: t.file_case(HEALTH, "", MONDAY, "卫健局")),
    ("refuse", _received, lambda t: t.refuse(OTHER_POLICE, "x", MONDAY, MONDAY, "警")),
    ("answer reconsideration", _reconsidering,
     lambda t: t.answer_reconsideration(HEALTH, ReconsiderationOutcome.FILE, "", "", MONDAY, "x")),
    ("conclude supervision", _supervised,
     lambda t: t.conclude_supervision(POLICE, SupervisionOutcome.FILING_ORDERED, "x", MONDAY,
                                      "警")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "act"), [r[1:] for r in WRONG_AGENCY], ids=[r[0] for r in WRONG_AGENCY]
)
def test_a_step_by_another_agency_is_refused(build: object, act: object) -> None:
    transfer = build()  # type: ignore[operator]
    with pytest.raises(WrongTransferAgency):
        act(transfer)  # type: ignore[operator]
    assert transfer.collect_events() == []


def test_decline_without_reasons_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _reported().decline(" ", MONDAY, "局长")
    assert refused.value.field == "reason"


def test_refusal_without_reasons_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _received().refuse(POLICE, "", MONDAY, MONDAY, "警")
    assert refused.value.field == "reasons"


def test_upholding_a_refusal_without_reasons_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _reconsidering().answer_reconsideration(
            POLICE, ReconsiderationOutcome.UPHOLD, "", "", MONDAY, "警"
        )
    assert refused.value.field == "reasons"


def test_forward_back_to_the_same_police_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _received().forward(POLICE, POLICE, "县公安局", "x", MONDAY, "警")
    assert refused.value.field == "police"


def test_reconsideration_asked_after_the_window_is_refused() -> None:
    transfer = _refused()
    with pytest.raises(TransferRefused) as refused:
        transfer.request_reconsideration("x", _due(3), _due(6), "卫健局")
    assert refused.value.current_state == "REFUSED"
    assert "提请复议期限" in str(refused.value)


def test_supervision_by_the_police_itself_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _refused().request_supervision(POLICE, "县公安局", "x", MONDAY, "卫健局")
    assert refused.value.field == "procuratorate"


# -- statutory clocks and breaches --------------------------------------------------------------


def test_each_state_runs_the_clock_of_its_statutory_step() -> None:
    expected = {
        "REPORTED": ("approval", _due(3)),
        "APPROVED": ("sending", MONDAY + 25 * HOUR),
        "RECEIVED": ("decision1", _due(3)),
        "RECONSIDERING": ("reconsideration", _due(3)),
    }
    for build in (_reported, _approved, _received, _reconsidering):
        transfer = build()
        clock = transfer.running_clock()
        assert clock is not None
        step, due = expected[transfer.status.value]
        assert clock.prefix == f"case-transfer:{transfer.id}:{step}"
        assert clock.due == due
    for build in (_sent, _refused, _upheld, _supervised):
        assert build().running_clock() is None


def test_a_transfer_implements_the_clock_contract() -> None:
    assert isinstance(_reported(), Clocked)


def test_the_milestone_of_a_running_clock_is_its_statutory_breach_at_due() -> None:
    transfer = _received()
    [milestone] = transfer.milestones(CAL, TRANSFER_LADDER)
    assert milestone.kind is MilestoneKind.STATUTORY_BREACH
    assert milestone.at == _due(3)
    assert milestone.key == f"case-transfer:{transfer.id}:decision1:breach:2026-03-05"
    assert milestone.addressee == "公安机关"


def test_a_policy_ladder_adds_rungs_but_cannot_drop_the_statutory_breach() -> None:
    reminder = Rung("remind-1d", MilestoneKind.REMINDER, Period.calendar_days(1), "公安机关")
    found = _received().milestones(CAL, Ladder((reminder,), version=2))
    assert [m.rung for m in found] == ["remind-1d", "breach"]


def test_the_engine_records_a_breach_once() -> None:
    transfer = _received()
    [milestone] = transfer.milestones(CAL, TRANSFER_LADDER)
    assert transfer.record_milestone(milestone, "system:clock")
    assert not transfer.record_milestone(milestone, "system:clock")
    [recorded] = transfer.collect_events()
    assert isinstance(recorded, CaseTransfer.StatutoryBreachRecorded)
    assert (recorded.step, recorded.due) == ("decision1", _due(3))
    assert transfer.breaches == [milestone.key]


def test_a_breach_of_a_clock_no_longer_running_records_nothing() -> None:
    transfer = _received()
    [milestone] = transfer.milestones(CAL, TRANSFER_LADDER)
    transfer.file_case(POLICE, "", MONDAY + 4 * HOUR, "警")
    transfer.collect_events()
    assert not transfer.record_milestone(milestone, "system:clock")
    assert transfer.collect_events() == []


def test_a_late_decision_records_the_breach_first_with_the_engines_key() -> None:
    transfer = _received()
    [milestone] = transfer.milestones(CAL, TRANSFER_LADDER)
    transfer.refuse(POLICE, "证据不足", _due(5), _due(8), "民警")
    assert _events(transfer) == ["StatutoryBreachRecorded", "Refused"]
    assert transfer.breaches == [milestone.key]


def test_a_late_step_after_the_engine_recorded_the_breach_records_it_no_more() -> None:
    transfer = _received()
    [milestone] = transfer.milestones(CAL, TRANSFER_LADDER)
    transfer.record_milestone(milestone, "system:clock")
    transfer.collect_events()
    transfer.file_case(POLICE, "", _due(5), "民警")
    assert _events(transfer) == ["Filed"]


def test_a_forward_later_than_24_hours_after_receipt_records_its_breach() -> None:
    transfer = _received()
    transfer.forward(POLICE, OTHER_POLICE, "市公安局", "属市局", MONDAY + 28 * HOUR, "民警")
    events = transfer.collect_events()
    assert [type(e).__name__ for e in events] == ["StatutoryBreachRecorded", "Forwarded"]
    assert isinstance(events[0], CaseTransfer.StatutoryBreachRecorded)
    assert events[0].step == "forwarding1"


def test_a_step_on_time_records_no_breach() -> None:
    transfer = _reported()
    transfer.approve("", _due(3) - HOUR, _due(3) + 23 * HOUR, "局长")
    assert _events(transfer) == ["Approved"]


# -- the application: deadline arithmetic on the working calendar ------------------------------


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    application.calendar_source = lambda _app: CAL
    yield application
    application.close()


def _agencies(app: RectifyApp) -> dict[str, UUID]:
    names = ["县卫健局", "县公安局", "市公安局", "县人民检察院", "县纪委监委"]
    found = {n: app.register_agency(n, actor="admin").id for n in names}
    found["group"] = app.register_agency("各乡镇人民政府", actor="admin").id
    return found


def _report(app: RectifyApp, a: dict[str, UUID], at: datetime) -> UUID:
    return app.report_case_transfer(
        a["县卫健局"], a["县公安局"], "虚构诊疗项目骗取医保基金", actor="执法员", at=at
    ).id


def test_a_3_day_period_ending_on_national_day_moves_to_the_next_working_day(
    app: RectifyApp,
) -> None:
    a = _agencies(app)
    # Monday 28 September 2026 + 3 days = 1 October, a holiday: the period ends when work
    # resumes after the National Day break.
    item = _report(app, a, datetime(2026, 9, 28, 9, 0, tzinfo=TIMEZONE))
    due = app.get_case_transfer(item).deadlines["approval"]
    first_working = CAL.next_working_day(date(2026, 10, 1))
    assert first_working > date(2026, 10, 7)
    assert due == end_of_day(first_working)


def test_a_3_day_period_ending_on_a_working_day_is_plain_calendar_days(app: RectifyApp) -> None:
    a = _agencies(app)
    item = _report(app, a, MONDAY)
    assert app.get_case_transfer(item).deadlines["approval"] == end_of_day(date(2026, 3, 5))


def test_a_3_day_period_ending_on_a_weekend_moves_to_monday(app: RectifyApp) -> None:
    a = _agencies(app)
    thursday = datetime(2026, 3, 5, 16, 0, tzinfo=TIMEZONE)
    item = _report(app, a, thursday)
    assert app.get_case_transfer(item).deadlines["approval"] == end_of_day(date(2026, 3, 9))


def test_the_24_hour_sending_period_runs_through_a_holiday(app: RectifyApp) -> None:
    a = _agencies(app)
    eve = datetime(2026, 9, 30, 17, 30, tzinfo=TIMEZONE)
    item = _report(app, a, eve - HOUR)
    app.approve_case_transfer(item, "同意", "局长", at=eve)
    assert app.get_case_transfer(item).deadlines["sending"] == eve + 24 * HOUR


def test_the_whole_path_through_the_application(app: RectifyApp) -> None:
    a = _agencies(app)
    item = _report(app, a, MONDAY)
    app.approve_case_transfer(item, "同意", "局长", at=MONDAY + HOUR)
    app.send_case_transfer(item, "执法员", at=MONDAY + 2 * HOUR)
    app.receive_case_transfer(item, a["县公安局"], "民警", at=MONDAY + 3 * HOUR)
    app.refuse_case_transfer(item, a["县公安局"], "证据不足", "民警", at=MONDAY + 4 * HOUR)
    app.request_transfer_reconsideration(item, "已达标准", "卫健局", at=MONDAY + 5 * HOUR)
    app.answer_transfer_reconsideration(
        item, a["县公安局"], ReconsiderationOutcome.UPHOLD, "维持", "民警", at=MONDAY + 6 * HOUR
    )
    app.request_transfer_supervision(item, a["县人民检察院"], "请求监督", "卫健局", at=MONDAY)
    app.conclude_transfer_supervision(
        item, a["县人民检察院"], SupervisionOutcome.FILING_ORDERED, "应当立案", "检察官"
    )
    app.file_criminal_case(item, a["县公安局"], "县公立〔2026〕1号", "民警")
    transfer = app.get_case_transfer(item)
    assert transfer.status is TransferStatus.FILED
    assert transfer.deadlines["reconsideration"] == end_of_day(date(2026, 3, 5))
    assert [type(e).__name__ for e in app.events.get(item)] == [
        "Reported", "Approved", "Sent", "Received", "Refused", "ReconsiderationRequested",
        "ReconsiderationAnswered", "SupervisionRequested", "SupervisionConcluded", "Filed",
    ]  # fmt: skip


def test_the_clock_engine_records_a_breach_of_a_transfer_once(app: RectifyApp) -> None:
    a = _agencies(app)
    item = _report(app, a, MONDAY)
    view = app.clock_view("case-transfer", item, CAL)
    [milestone] = view.milestones
    assert app.record_clock_milestone("case-transfer", item, milestone.key, CAL)
    assert not app.record_clock_milestone("case-transfer", item, milestone.key, CAL)
    breaches = [
        e for e in app.events.get(item) if isinstance(e, CaseTransfer.StatutoryBreachRecorded)
    ]
    assert [b.key for b in breaches] == [milestone.key]


def test_a_report_with_a_key_twice_reports_once(app: RectifyApp) -> None:
    a = _agencies(app)
    first = app.report_case_transfer(a["县卫健局"], a["县公安局"], "x", actor="执法员", key="k1")
    again = app.report_case_transfer(a["县卫健局"], a["县公安局"], "x", actor="执法员", key="k1")
    assert first.id == again.id and first.changed and not again.changed


def test_a_report_to_a_group_is_refused(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.report_case_transfer(a["县卫健局"], a["group"], "x", actor="执法员")
    assert refused.value.field == "police"


def test_a_report_without_facts_is_refused(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.report_case_transfer(a["县卫健局"], a["县公安局"], " ", actor="执法员")
    assert refused.value.field == "facts"


def test_an_unknown_transfer_is_not_found(app: RectifyApp) -> None:
    with pytest.raises(NotFound):
        app.send_case_transfer(uuid4(), "执法员")


def test_an_agency_id_is_not_a_transfer(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(NotFound):
        app.send_case_transfer(a["县卫健局"], "执法员")


# -- transfers to discipline inspection ----------------------------------------------------------


def _discipline() -> DisciplineTransfer:
    transfer = DisciplineTransfer(
        id=discipline_transfer_id(),
        agency_id=HEALTH,
        agency_name="县卫健局",
        commission_id=COMMISSION,
        commission_name="县纪委监委",
        person="某院长",
        category=PersonCategory.BOTH.value,
        facts="收受回扣",
        attachments=[],
        case_transfer_id=None,
        campaign_id=None,
        at=MONDAY,
        actor="卫健局",
    )
    transfer.collect_events()
    return transfer


def test_commission_receives_then_decides() -> None:
    transfer = _discipline()
    transfer.receive(COMMISSION, MONDAY, "纪委")
    transfer.decide(COMMISSION, DisciplineOutcome.OPENED, "立案审查调查", MONDAY, "纪委")
    assert [type(e).__name__ for e in transfer.collect_events()] == ["Received", "Decided"]
    assert transfer.status is DisciplineStatus.DECIDED


def test_discipline_decision_before_receipt_is_refused_naming_the_state() -> None:
    with pytest.raises(DisciplineRefused) as refused:
        _discipline().decide(COMMISSION, DisciplineOutcome.OPENED, "", MONDAY, "纪委")
    assert refused.value.current_state == "SENT"


def test_discipline_receipt_twice_is_refused_naming_the_state() -> None:
    transfer = _discipline()
    transfer.receive(COMMISSION, MONDAY, "纪委")
    with pytest.raises(InvalidTransition) as refused:
        transfer.receive(COMMISSION, MONDAY, "纪委")
    assert refused.value.current_state == "RECEIVED"


def _discipline_in(state: DisciplineStatus) -> DisciplineTransfer:
    transfer = _discipline()
    if state is not DisciplineStatus.SENT:
        transfer.receive(COMMISSION, MONDAY, "纪委")
    if state is DisciplineStatus.DECIDED:
        transfer.decide(COMMISSION, DisciplineOutcome.OPENED, "立案审查调查", MONDAY, "纪委")
    transfer.collect_events()
    return transfer


DISCIPLINE_STEPS = {
    "receive": (lambda t: t.receive(COMMISSION, MONDAY, "纪委"), "Received", {"SENT"}),
    "decide": (lambda t: t.decide(COMMISSION, DisciplineOutcome.OPENED, "", MONDAY, "纪委"),
               "Decided", {"RECEIVED"}),
}  # fmt: skip
DISCIPLINE_PAIRS = [(s, a) for a in DISCIPLINE_STEPS for s in DisciplineStatus]


@pytest.mark.parametrize(
    ("state", "action"), DISCIPLINE_PAIRS, ids=[f"{a}@{s}" for s, a in DISCIPLINE_PAIRS]
)
def test_every_discipline_step_in_every_state_is_taken_or_refused_naming_the_state(
    state: DisciplineStatus, action: str
) -> None:
    transfer = _discipline_in(state)
    assert transfer.status is state
    take, recorded, allowed = DISCIPLINE_STEPS[action]
    if state.value in allowed:
        take(transfer)
        assert [type(e).__name__ for e in transfer.collect_events()] == [recorded]
        return
    with pytest.raises(DisciplineRefused) as refused:
        take(transfer)
    assert refused.value.current_state == state.value
    assert state.value in str(refused.value)
    assert transfer.collect_events() == []


def test_discipline_steps_by_another_agency_are_refused() -> None:
    with pytest.raises(WrongTransferAgency):
        _discipline().receive(HEALTH, MONDAY, "卫健局")


def test_discipline_refusal_without_reasons_is_refused() -> None:
    transfer = _discipline()
    transfer.receive(COMMISSION, MONDAY, "纪委")
    with pytest.raises(InvalidInput) as refused:
        transfer.decide(COMMISSION, DisciplineOutcome.NOT_OPENED, " ", MONDAY, "纪委")
    assert refused.value.field == "detail"


def test_app_sends_a_discipline_transfer_linked_to_the_case_transfer(app: RectifyApp) -> None:
    a = _agencies(app)
    case = _report(app, a, MONDAY)
    sent = app.send_discipline_transfer(
        a["县卫健局"], a["县纪委监委"], "某院长", PersonCategory.PARTY_MEMBER, "收受回扣",
        actor="卫健局", case_transfer=case,
    )  # fmt: skip
    app.receive_discipline_transfer(sent.id, a["县纪委监委"], "纪委")
    app.decide_discipline_transfer(sent.id, a["县纪委监委"], DisciplineOutcome.OPENED, "", "纪委")
    transfer = app.get_discipline_transfer(sent.id)
    assert transfer.status is DisciplineStatus.DECIDED and transfer.case_transfer_id == case


def test_app_discipline_transfer_to_oneself_is_refused(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.send_discipline_transfer(
            a["县卫健局"], a["县卫健局"], "某院长", PersonCategory.BOTH, "x", actor="卫健局"
        )
    assert refused.value.field == "commission"


# -- the statutory parties: police, procuratorate, discipline commission ------------------


def test_a_suspected_crime_goes_to_a_police_agency_only(app: RectifyApp) -> None:
    a = _agencies(app)
    market = app.register_agency("县市场监管局", actor="admin").id
    with pytest.raises(InvalidInput) as refused:
        app.report_case_transfer(a["县卫健局"], market, "非法行医", actor="执法员")
    assert refused.value.field == "police"
    assert "不是公安机关" in str(refused.value)


def test_a_transfer_is_forwarded_to_a_police_agency_only(app: RectifyApp) -> None:
    a = _agencies(app)
    item = _report(app, a, MONDAY)
    app.approve_case_transfer(item, "同意", "负责人", at=MONDAY)
    app.send_case_transfer(item, "执法员", at=MONDAY)
    app.receive_case_transfer(item, a["县公安局"], "民警", at=MONDAY)
    with pytest.raises(InvalidInput) as refused:
        app.forward_case_transfer(item, a["县公安局"], a["县人民检察院"], "非本局管辖", "民警")
    assert refused.value.field == "police"


def test_supervision_is_asked_of_a_procuratorate_only(app: RectifyApp) -> None:
    a = _agencies(app)
    item = _report(app, a, MONDAY)
    with pytest.raises(InvalidInput) as refused:
        app.request_transfer_supervision(item, a["市公安局"], "不予立案理由不成立", "执法员")
    assert refused.value.field == "procuratorate"


def test_a_discipline_transfer_goes_to_a_discipline_commission_only(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.send_discipline_transfer(
            a["县卫健局"], a["县公安局"], "某院长", PersonCategory.PARTY_MEMBER, "收受回扣",
            actor="执法员",
        )  # fmt: skip
    assert refused.value.field == "commission"


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("县公安局", "police"),
        ("市公安局经侦支队", "police"),
        ("城关派出所", "police"),
        ("County Public Security Bureau", "police"),
        ("县人民检察院", "procuratorate"),
        ("县纪委监委", "discipline"),
        ("县纪委县监委", "discipline"),
    ],
)
def test_the_name_tells_the_statutory_role(name: str, function: str) -> None:
    from domain.agencies import FUNCTION_WORDS, has_function

    assert has_function(name, function)
    assert not any(has_function(name, other) for other in FUNCTION_WORDS if other != function)
    assert not has_function("县卫健局", function)


def test_a_discipline_transfer_links_only_a_case_transfer_of_its_own_agency(
    app: RectifyApp,
) -> None:
    from domain.errors import NotAllowed

    a = _agencies(app)
    drugs = app.register_agency("县药监局", actor="admin").id
    healths = _report(app, a, MONDAY)
    with pytest.raises(NotAllowed):
        app.send_discipline_transfer(
            drugs, a["县纪委监委"], "某院长", PersonCategory.PARTY_MEMBER, "收受回扣",
            actor="执法员", case_transfer=healths,
        )  # fmt: skip
    linked = app.send_discipline_transfer(
        a["县卫健局"], a["县纪委监委"], "某院长", PersonCategory.PARTY_MEMBER, "收受回扣",
        actor="执法员", case_transfer=healths,
    )  # fmt: skip
    assert app.get_discipline_transfer(linked.id).case_transfer_id == healths
