"""The lifecycle of a referral (移送/转办): each allowed and each refused transition,
group fan-out and roll-up, clocks and their keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.application import RectifyApp
from domain.clocks import TIMEZONE, MilestoneKind, end_of_day
from domain.deadlines import Deadline
from domain.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.referrals import (
    REFERRAL_LADDER,
    AlreadyClaimed,
    Referral,
    ReferralRefused,
    ReferralStatus,
    ReturnReason,
    WrongAgency,
    child_referral_id,
    referral_id,
)
from rectify.calendar_data import build_calendar

CAL = build_calendar()
MARKET, HEALTH, INSURANCE = uuid4(), uuid4(), uuid4()  # 市场监管局, 卫健局, 医保局
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TIMEZONE)
CLAIM_DUE = end_of_day(MONDAY.date() + timedelta(days=3))  # Thursday 5 March, end of day
ANSWER_DUE = end_of_day(MONDAY.date() + timedelta(days=21))


def _sent(receiver: UUID = HEALTH) -> Referral:
    referral = Referral(
        id=referral_id(),
        sender_agency_id=MARKET,
        receiver_agency_id=receiver,
        receiver_name="县卫健局",
        reason="美容院开展医疗美容项目，属卫生健康部门职责",
        subject_kind="clue",
        subject_id=uuid4(),
        attachments=["现场检查笔录.pdf"],
        campaign_id=None,
        parent_id=None,
        children={},
        claim_days=3,
        answer_days=15,
        at=MONDAY,
        claim_due=CLAIM_DUE,
        actor="市场监管局-张三",
    )
    referral.collect_events()
    return referral


def _claimed() -> Referral:
    referral = _sent()
    referral.claim(HEALTH, MONDAY, ANSWER_DUE, "卫健局-李四")
    referral.collect_events()
    return referral


def _answered() -> Referral:
    referral = _claimed()
    referral.answer(
        HEALTH, "已立案查处", ["责令停止"], "罚款5万元", "卫医罚〔2026〕1号", [], "李四"
    )
    referral.collect_events()
    return referral


def _returned() -> Referral:
    referral = _sent()
    referral.return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, "", "李四")
    referral.collect_events()
    return referral


def _events(referral: Referral) -> list[str]:
    return [type(e).__name__ for e in referral.collect_events()]


# -- allowed transitions ---------------------------------------------------------------------


def test_sending_records_sent_with_the_claim_due() -> None:
    referral = _sent()
    assert referral.status is ReferralStatus.SENT
    assert referral.claim_due == CLAIM_DUE
    assert referral.attachments == ["现场检查笔录.pdf"]


def test_receiver_claims_a_sent_referral() -> None:
    referral = _sent()
    referral.claim(HEALTH, MONDAY, ANSWER_DUE, "卫健局-李四")
    assert _events(referral) == ["Claimed"]
    assert referral.status is ReferralStatus.CLAIMED
    assert referral.answer_due == ANSWER_DUE
    assert referral.claimed_by == "卫健局-李四"


def test_receiver_returns_a_sent_referral_as_not_its_remit() -> None:
    referral = _sent()
    referral.return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, "", "李四")
    assert _events(referral) == ["Returned"]
    assert referral.status is ReferralStatus.RETURNED


def test_receiver_answers_a_claimed_referral() -> None:
    referral = _claimed()
    referral.answer(
        HEALTH, "已立案查处", ["责令停止"], "罚款5万元", "卫医罚〔2026〕1号", [], "李四"
    )
    [answered] = referral.collect_events()
    assert isinstance(answered, Referral.Answered)
    assert answered.case_number == "卫医罚〔2026〕1号"
    assert answered.penalties == "罚款5万元"
    assert referral.status is ReferralStatus.ANSWERED


def test_sender_accepts_an_answer() -> None:
    referral = _answered()
    referral.accept("同意办结", "张三")
    assert _events(referral) == ["Accepted"]
    assert referral.status is ReferralStatus.ACCEPTED


def test_sender_sends_an_answer_back_for_more_work_with_a_fresh_answer_clock() -> None:
    referral = _answered()
    later = MONDAY + timedelta(days=7)
    new_due = end_of_day(later.date() + timedelta(days=21))
    referral.send_back("未说明处罚依据", later, new_due, "张三")
    assert _events(referral) == ["SentBack"]
    assert referral.status is ReferralStatus.CLAIMED
    assert referral.answer_due == new_due
    assert referral.answer_cycle == 2


def test_receiver_returns_a_claimed_referral_saying_who_claimed_and_why() -> None:
    referral = _claimed()
    referral.return_to_sender(HEALTH, ReturnReason.NEEDS_ANOTHER_AGENCY, " 误签收，属医保 ", "李四")
    [event] = referral.collect_events()
    assert isinstance(event, Referral.Returned)
    assert (event.reason, event.detail, event.actor) == (
        "NEEDS_ANOTHER_AGENCY",
        "误签收，属医保",
        "李四",
    )
    assert event.claimed_by == "卫健局-李四"
    assert referral.status is ReferralStatus.RETURNED
    assert referral.answer_due is None


def test_return_before_claiming_records_no_claimant() -> None:
    referral = _sent()
    referral.return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, "", "李四")
    [event] = referral.collect_events()
    assert isinstance(event, Referral.Returned) and event.claimed_by == ""


def test_coordinator_reassigns_a_referral_returned_after_claiming_for_a_new_round() -> None:
    referral = _claimed()
    referral.return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, "误签收", "李四")
    referral.reassign(INSURANCE, "县医保局", "涉及医保基金", MONDAY, CLAIM_DUE, "协调办")
    assert _events(referral) == ["Returned", "Reassigned"]
    assert referral.status is ReferralStatus.SENT
    assert (referral.round, referral.claimed_by, referral.answer_due) == (2, "", None)
    referral.claim(INSURANCE, MONDAY, ANSWER_DUE, "医保局-王五")
    referral.answer(INSURANCE, "已查处", [], "", "", [], "医保局-王五")
    assert referral.status is ReferralStatus.ANSWERED


def test_coordinator_takes_a_claimed_referral_from_its_receiver() -> None:
    referral = _claimed()
    referral.reassign(INSURANCE, "县医保局", "签收单位无执法权", MONDAY, CLAIM_DUE, "协调办")
    [event] = referral.collect_events()
    assert isinstance(event, Referral.Reassigned)
    assert (event.previous_agency_id, event.actor) == (HEALTH, "协调办")
    assert referral.status is ReferralStatus.SENT and referral.claimed_by == ""


def test_coordinator_reassigns_a_returned_referral_to_another_agency() -> None:
    referral = _returned()
    due = CLAIM_DUE + timedelta(days=7)
    referral.reassign(INSURANCE, "县医保局", "涉及医保基金", MONDAY, due, "协调办")
    [event] = referral.collect_events()
    assert isinstance(event, Referral.Reassigned)
    assert event.previous_agency_id == HEALTH
    assert referral.status is ReferralStatus.SENT
    assert referral.receiver_agency_id == INSURANCE
    assert referral.assignments == [HEALTH, INSURANCE]
    assert referral.claim_due == due
    assert referral.round == 2


def test_coordinator_reassigns_a_referral_nobody_claimed() -> None:
    referral = _sent()
    referral.reassign(INSURANCE, "县医保局", "逾期未签收", MONDAY, CLAIM_DUE, "协调办")
    assert _events(referral) == ["Reassigned"]


def test_new_receiver_claims_after_reassignment() -> None:
    referral = _returned()
    referral.reassign(INSURANCE, "县医保局", "涉及医保基金", MONDAY, CLAIM_DUE, "协调办")
    referral.claim(INSURANCE, MONDAY, ANSWER_DUE, "医保局-王五")
    assert referral.status is ReferralStatus.CLAIMED


# -- refused transitions ---------------------------------------------------------------------


def test_second_claim_is_refused_naming_who_claimed() -> None:
    referral = _claimed()
    with pytest.raises(AlreadyClaimed) as refused:
        referral.claim(HEALTH, MONDAY, ANSWER_DUE, "卫健局-赵六")
    assert refused.value.current_state == "CLAIMED"
    assert str(refused.value).startswith("已被县卫健局签收 / already claimed by 县卫健局")
    assert "卫健局-李四" in str(refused.value)
    assert referral.collect_events() == []


def test_claim_of_an_answered_referral_is_refused_as_already_claimed() -> None:
    with pytest.raises(AlreadyClaimed) as refused:
        _answered().claim(HEALTH, MONDAY, ANSWER_DUE, "赵六")
    assert refused.value.current_state == "ANSWERED"


def test_claim_of_a_returned_referral_is_refused_naming_the_state() -> None:
    with pytest.raises(ReferralRefused) as refused:
        _returned().claim(HEALTH, MONDAY, ANSWER_DUE, "李四")
    assert refused.value.current_state == "RETURNED"
    assert "已退回状态下不能签收" in str(refused.value)


def test_claim_by_another_agency_is_refused() -> None:
    with pytest.raises(WrongAgency, match="仅接收单位县卫健局可以签收"):
        _sent().claim(INSURANCE, MONDAY, ANSWER_DUE, "王五")


def test_return_by_another_agency_is_refused() -> None:
    with pytest.raises(WrongAgency):
        _sent().return_to_sender(INSURANCE, ReturnReason.NOT_OUR_REMIT, "", "王五")


def test_return_after_claiming_without_a_detail_is_refused_naming_detail() -> None:
    referral = _claimed()
    with pytest.raises(InvalidInput) as refused:
        referral.return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, " ", "李四")
    assert refused.value.field == "detail"
    assert "签收后退回须说明理由" in str(refused.value)
    assert referral.collect_events() == [] and referral.status is ReferralStatus.CLAIMED


def test_return_after_claiming_by_another_agency_is_refused() -> None:
    with pytest.raises(WrongAgency):
        _claimed().return_to_sender(INSURANCE, ReturnReason.NOT_OUR_REMIT, "误签收", "王五")


def test_return_of_an_answered_referral_is_refused_naming_the_state() -> None:
    with pytest.raises(ReferralRefused) as refused:
        _answered().return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, "误签收", "李四")
    assert refused.value.current_state == "ANSWERED"
    assert "已反馈状态下不能退回" in str(refused.value)


def test_return_for_another_reason_without_detail_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _sent().return_to_sender(HEALTH, ReturnReason.OTHER, " ", "李四")
    assert refused.value.field == "detail"


def test_answer_before_claiming_is_refused() -> None:
    with pytest.raises(InvalidTransition) as refused:
        _sent().answer(HEALTH, "已处理", [], "", "", [], "李四")
    assert refused.value.current_state == "SENT"


def test_answer_by_another_agency_is_refused() -> None:
    with pytest.raises(WrongAgency):
        _claimed().answer(INSURANCE, "已处理", [], "", "", [], "王五")


def test_answer_without_outcome_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        _claimed().answer(HEALTH, "  ", [], "", "", [], "李四")
    assert refused.value.field == "outcome"


def test_accept_before_an_answer_is_refused() -> None:
    with pytest.raises(InvalidTransition) as refused:
        _claimed().accept("", "张三")
    assert refused.value.current_state == "CLAIMED"


def test_accept_twice_is_refused() -> None:
    referral = _answered()
    referral.accept("", "张三")
    with pytest.raises(InvalidTransition) as refused:
        referral.accept("", "张三")
    assert refused.value.current_state == "ACCEPTED"


def test_send_back_before_an_answer_is_refused() -> None:
    with pytest.raises(InvalidTransition) as refused:
        _claimed().send_back("再查", MONDAY, ANSWER_DUE, "张三")
    assert refused.value.current_state == "CLAIMED"


def test_send_back_without_reason_is_refused() -> None:
    with pytest.raises(InvalidInput):
        _answered().send_back(" ", MONDAY, ANSWER_DUE, "张三")


def test_reassign_of_an_answered_referral_is_refused_naming_the_state() -> None:
    with pytest.raises(InvalidTransition) as refused:
        _answered().reassign(INSURANCE, "县医保局", "x", MONDAY, CLAIM_DUE, "协调办")
    assert refused.value.current_state == "ANSWERED"


def test_reassign_to_the_same_agency_is_refused() -> None:
    with pytest.raises(InvalidInput):
        _returned().reassign(HEALTH, "县卫健局", "x", MONDAY, CLAIM_DUE, "协调办")


def test_reassign_to_the_sender_is_refused() -> None:
    with pytest.raises(InvalidInput):
        _returned().reassign(MARKET, "县市场监管局", "x", MONDAY, CLAIM_DUE, "协调办")


# -- the whole matrix: every (state, step) pair ---------------------------------------------


def _accepted() -> Referral:
    referral = _answered()
    referral.accept("同意办结", "张三")
    referral.collect_events()
    return referral


def _group_parent() -> Referral:
    parent = referral_id()
    children = {str(child_referral_id(parent, m)): m for m in (HEALTH, INSURANCE)}
    referral = Referral(
        id=parent, sender_agency_id=MARKET, receiver_agency_id=uuid4(),
        receiver_name="综合监管各成员单位", reason="联合检查", subject_kind="",
        subject_id=None, attachments=[], campaign_id=None, parent_id=None, children=children,
        claim_days=3, answer_days=15, at=MONDAY, claim_due=None, actor="张三",
    )  # fmt: skip
    referral.collect_events()
    return referral


STATES = {
    ReferralStatus.SENT: _sent,
    ReferralStatus.CLAIMED: _claimed,
    ReferralStatus.ANSWERED: _answered,
    ReferralStatus.ACCEPTED: _accepted,
    ReferralStatus.RETURNED: _returned,
    ReferralStatus.DISPATCHED: _group_parent,
}

# Every step, taken by the party it belongs to (so only the state can refuse it), the
# event it records, and the states that allow it.
STEPS = {
    "claim": (lambda r: r.claim(r.receiver_agency_id, MONDAY, ANSWER_DUE, "联络员"),
              Referral.Claimed, {"SENT"}),
    "return": (lambda r: r.return_to_sender(r.receiver_agency_id, ReturnReason.NOT_OUR_REMIT,
                                            "误签收", "联络员"),
               Referral.Returned, {"SENT", "CLAIMED"}),
    "answer": (lambda r: r.answer(r.receiver_agency_id, "已处理", [], "", "", [], "联络员"),
               Referral.Answered, {"CLAIMED"}),
    "accept": (lambda r: r.accept("", "张三"), Referral.Accepted, {"ANSWERED"}),
    "send back": (lambda r: r.send_back("再查", MONDAY, ANSWER_DUE, "张三"),
                  Referral.SentBack, {"ANSWERED"}),
    "reassign": (lambda r: r.reassign(INSURANCE, "县医保局", "改派", MONDAY, CLAIM_DUE, "协调办"),
                 Referral.Reassigned, {"SENT", "CLAIMED", "RETURNED"}),
}  # fmt: skip

ALLOWED = [(s, a) for a, (_, _, ok) in STEPS.items() for s in ReferralStatus if s.value in ok]
REFUSED = [(s, a) for a, (_, _, ok) in STEPS.items() for s in ReferralStatus if s.value not in ok]


def test_the_matrix_covers_every_state_and_step() -> None:
    assert set(STATES) == set(ReferralStatus)
    assert len(ALLOWED) + len(REFUSED) == len(ReferralStatus) * len(STEPS)
    assert len(ALLOWED) == 9


@pytest.mark.parametrize(("state", "action"), ALLOWED, ids=[f"{a}@{s}" for s, a in ALLOWED])
def test_a_step_the_state_allows_records_its_event(state: ReferralStatus, action: str) -> None:
    referral = STATES[state]()
    assert referral.status is state
    take, recorded, _ = STEPS[action]
    take(referral)
    assert [type(e) for e in referral.collect_events()] == [recorded]


@pytest.mark.parametrize(("state", "action"), REFUSED, ids=[f"{a}@{s}" for s, a in REFUSED])
def test_a_step_the_state_does_not_allow_is_refused_naming_the_state(
    state: ReferralStatus, action: str
) -> None:
    referral = STATES[state]()
    with pytest.raises(ReferralRefused) as refused:
        STEPS[action][0](referral)
    assert refused.value.current_state == state.value
    if isinstance(refused.value, AlreadyClaimed):  # claimed already: says by whom instead
        assert "already claimed by 县卫健局 (卫健局-李四)" in str(refused.value)
    else:
        assert f"cannot {action}" in str(refused.value)
        assert f"the referral is {state.value}" in str(refused.value)
    assert referral.collect_events() == []
    assert referral.status is state


# -- clocks ----------------------------------------------------------------------------------


def test_claim_clock_rings_before_and_after_the_claim_due() -> None:
    milestones = _sent().milestones(CAL, REFERRAL_LADDER)
    overdue = next(m for m in milestones if m.kind is MilestoneKind.OVERDUE)
    assert overdue.at == CLAIM_DUE
    assert ":round1:claim:" in overdue.key


def test_answer_clock_replaces_the_claim_clock_once_claimed() -> None:
    milestones = _claimed().milestones(CAL, REFERRAL_LADDER)
    overdue = next(m for m in milestones if m.kind is MilestoneKind.OVERDUE)
    assert overdue.at == ANSWER_DUE
    assert ":round1:answer1:" in overdue.key


def test_milestone_is_recorded_once() -> None:
    referral = _sent()
    first = referral.milestones(CAL, REFERRAL_LADDER)[0]
    assert referral.record_milestone(first, "system:clock") is True
    assert referral.record_milestone(first, "system:clock") is False
    assert _events(referral) == ["MilestoneRecorded"]


def test_claim_clock_milestone_is_stale_once_claimed() -> None:
    referral = _sent()
    first = referral.milestones(CAL, REFERRAL_LADDER)[0]
    referral.claim(HEALTH, MONDAY, ANSWER_DUE, "李四")
    referral.collect_events()
    assert referral.record_milestone(first, "system:clock") is False


def test_returned_referral_is_open_but_its_clock_does_not_run() -> None:
    referral = _returned()
    assert referral.clock_open() and not referral.clock_running()
    assert referral.milestones(CAL, REFERRAL_LADDER) == []


def test_return_after_claiming_stops_the_answer_clock() -> None:
    referral = _claimed()
    answer_milestones = referral.milestones(CAL, REFERRAL_LADDER)
    referral.return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, "误签收", "李四")
    referral.collect_events()
    assert referral.clock_open() and not referral.clock_running()
    assert referral.milestones(CAL, REFERRAL_LADDER) == []
    assert not any(referral.record_milestone(m, "system:clock") for m in answer_milestones)


def test_reassignment_after_a_claim_gives_the_new_receiver_a_claim_clock_only() -> None:
    referral = _claimed()
    old = referral.milestones(CAL, REFERRAL_LADDER)
    referral.return_to_sender(HEALTH, ReturnReason.NOT_OUR_REMIT, "误签收", "李四")
    later = MONDAY + timedelta(days=2)
    referral.reassign(INSURANCE, "县医保局", "x", later, CLAIM_DUE + timedelta(days=2), "协调办")
    referral.collect_events()
    keys = [m.key for m in referral.milestones(CAL, REFERRAL_LADDER)]
    assert keys and all(":round2:claim:" in k for k in keys)
    assert not any(referral.record_milestone(m, "system:clock") for m in old)
    assert [p.name for p in referral.period_clocks()] == ["claim"]


def test_reassignment_restarts_the_claim_clock_with_new_keys() -> None:
    referral = _returned()
    referral.reassign(INSURANCE, "县医保局", "x", MONDAY, CLAIM_DUE, "协调办")
    keys = [m.key for m in referral.milestones(CAL, REFERRAL_LADDER)]
    assert keys and all(":round2:claim:" in k for k in keys)


def test_accepted_referral_clock_is_closed() -> None:
    referral = _answered()
    referral.accept("", "张三")
    assert not referral.clock_open()


# -- the application: fan-out to a group, roll-up, persistence ------------------------------


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    application.calendar_source = lambda _app: CAL
    yield application
    application.close()


def _agencies(app: RectifyApp) -> dict[str, UUID]:
    names = ["县市场监管局", "县卫健局", "县医保局", "县公安局"]
    found = {n: app.register_agency(n, actor="admin").id for n in names}
    group = app.register_agency("综合监管各成员单位", actor="admin").id
    for member in ("县卫健局", "县医保局", "县市场监管局"):
        app.add_group_member(group, found[member], "admin")
    found["group"] = group
    return found


def test_app_sends_to_an_agency_with_the_claim_due_on_the_working_calendar(
    app: RectifyApp,
) -> None:
    a = _agencies(app)
    # Tuesday 29 September 2026: the National Day holiday (1–7 October) does not count.
    tuesday = datetime(2026, 9, 29, 15, 0, tzinfo=TIMEZONE)
    sent = app.send_referral(a["县市场监管局"], a["县卫健局"], "医疗美容", actor="张三", at=tuesday)
    referral = app.get_referral(sent.id)
    assert referral.claim_due == end_of_day(date(2026, 10, 9))


def test_app_sends_to_a_group_one_child_per_member_except_the_sender(app: RectifyApp) -> None:
    a = _agencies(app)
    sent = app.send_referral(a["县市场监管局"], a["group"], "联合检查", actor="张三", at=MONDAY)
    parent = app.get_referral(sent.id)
    assert parent.is_group and parent.status is ReferralStatus.DISPATCHED
    assert sorted(parent.children.values()) == sorted([a["县卫健局"], a["县医保局"]])
    for child_id, member in parent.children.items():
        assert child_id == child_referral_id(parent.id, member)
        child = app.get_referral(child_id)
        assert child.parent_id == parent.id and child.receiver_agency_id == member


def test_app_group_parent_is_answered_when_all_children_are_and_accepted_when_all_are(
    app: RectifyApp,
) -> None:
    a = _agencies(app)
    parent_id = app.send_referral(a["县市场监管局"], a["group"], "联合检查", actor="张三").id
    children = app.get_referral(parent_id).children
    for child, member in children.items():
        app.claim_referral(child, member, "联络员")
    first, second = list(children)
    app.answer_referral(first, children[first], "已查处", "联络员")
    assert app.referral_status(parent_id) is ReferralStatus.DISPATCHED
    app.answer_referral(second, children[second], "已查处", "联络员")
    assert app.referral_status(parent_id) is ReferralStatus.ANSWERED
    app.accept_referral(first, "", "张三")
    assert app.referral_status(parent_id) is ReferralStatus.ANSWERED
    app.accept_referral(second, "", "张三")
    assert app.referral_status(parent_id) is ReferralStatus.ACCEPTED
    recorded = [type(e).__name__ for e in app.events.get(parent_id)]
    assert recorded == ["Sent"] + ["ChildUpdated"] * 6


def test_app_group_parent_refuses_to_be_claimed(app: RectifyApp) -> None:
    a = _agencies(app)
    parent_id = app.send_referral(a["县市场监管局"], a["group"], "联合检查", actor="张三").id
    with pytest.raises(InvalidTransition) as refused:
        app.claim_referral(parent_id, a["group"], "联络员")
    assert refused.value.current_state == "DISPATCHED"


def test_app_send_to_oneself_is_refused(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.send_referral(a["县卫健局"], a["县卫健局"], "x", actor="李四")
    assert refused.value.field == "receiver"


def test_app_send_without_reason_is_refused(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.send_referral(a["县市场监管局"], a["县卫健局"], " ", actor="张三")
    assert refused.value.field == "reason"


def test_app_send_with_a_key_twice_sends_once(app: RectifyApp) -> None:
    a = _agencies(app)
    first = app.send_referral(a["县市场监管局"], a["县卫健局"], "x", actor="张三", key="clue:1")
    again = app.send_referral(a["县市场监管局"], a["县卫健局"], "x", actor="张三", key="clue:1")
    assert first.id == again.id and first.changed and not again.changed


def test_app_campaign_terms_set_the_clocks_of_new_referrals(app: RectifyApp) -> None:
    a = _agencies(app)
    campaign = app.launch_campaign("专项整治", actor="协调办").id
    app.set_referral_terms(campaign, 5, 10, "协调办")
    sent = app.send_referral(
        a["县市场监管局"], a["县卫健局"], "x", actor="张三", campaign=campaign, at=MONDAY
    )
    referral = app.get_referral(sent.id)
    assert (referral.claim_days, referral.answer_days) == (5, 10)
    assert referral.claim_due == end_of_day(CAL.add_working_days(MONDAY.date(), 5))
    app.claim_referral(sent.id, a["县卫健局"], "李四", at=MONDAY)
    answer_due = app.get_referral(sent.id).answer_due
    assert answer_due == end_of_day(CAL.add_working_days(MONDAY.date(), 10))


def test_app_terms_out_of_range_are_refused(app: RectifyApp) -> None:
    campaign = app.launch_campaign("专项整治", actor="协调办").id
    with pytest.raises(InvalidInput) as refused:
        app.set_referral_terms(campaign, 0, 10, "协调办")
    assert refused.value.field == "claimDays"


def test_app_unknown_referral_is_not_found(app: RectifyApp) -> None:
    with pytest.raises(NotFound):
        app.claim_referral(uuid4(), uuid4(), "李四")


def test_app_reassign_to_a_group_is_refused(app: RectifyApp) -> None:
    a = _agencies(app)
    sent = app.send_referral(a["县市场监管局"], a["县卫健局"], "x", actor="张三")
    app.return_referral(sent.id, a["县卫健局"], ReturnReason.NOT_OUR_REMIT, "", "李四")
    with pytest.raises(InvalidInput):
        app.reassign_referral(sent.id, a["group"], "x", "协调办")


def test_app_without_a_calendar_source_counts_monday_to_friday_where_it_has_no_data() -> None:
    bare = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    bare.calendar_source = None  # as a bare application, whatever the process wired
    try:
        a = _agencies(bare)
        friday = datetime(2031, 3, 7, 10, 0, tzinfo=TIMEZONE)
        sent = bare.send_referral(a["县市场监管局"], a["县卫健局"], "x", actor="张三", at=friday)
        assert bare.get_referral(sent.id).claim_due == end_of_day(date(2031, 3, 12))
    finally:
        bare.close()


# -- the linked subject: it exists and the sender has a part in it (ADR 0022) ---------------


def _clue_of(app: RectifyApp, agency: UUID) -> UUID:
    return app.receive_clue(agency, "LETTER", "收取红包", actor="李四", person="某医生").id


def _issue_led_by(app: RectifyApp, lead: UUID, co: list[UUID]) -> UUID:
    campaign = app.launch_campaign("专项整治", actor="协调办").id
    deadline = Deadline.on(date(2026, 6, 30), "2026年6月底")
    return app.register_issue(
        campaign, "7", "执法案件偏少", ["加强执法"], lead, co, deadline, actor="协调办"
    ).id


def test_app_sends_a_referral_linked_to_its_own_clue_issue_and_case(app: RectifyApp) -> None:
    a = _agencies(app)
    health, market = a["县卫健局"], a["县市场监管局"]
    case = app.report_case_transfer(health, a["县公安局"], "骗保", actor="执法员").id
    for kind, subject in (
        ("clue", _clue_of(app, health)),
        ("issue", _issue_led_by(app, market, [health])),  # co-responsible is enough
        ("case", case),
    ):
        sent = app.send_referral(
            health, a["县医保局"], "请协查", actor="李四", subject_kind=kind, subject_id=subject
        )
        referral = app.get_referral(sent.id)
        assert (referral.subject_kind, referral.subject_id) == (kind, subject)


@pytest.mark.parametrize("kind", ["clue", "issue", "case"])
def test_app_refuses_a_referral_linked_to_nothing_naming_subject_id(
    app: RectifyApp, kind: str
) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.send_referral(
            a["县卫健局"], a["县医保局"], "请协查", actor="李四", subject_kind=kind,
            subject_id=uuid4(),
        )  # fmt: skip
    assert refused.value.field == "subjectId"


def test_app_refuses_a_subject_of_another_kind_naming_subject_id(app: RectifyApp) -> None:
    a = _agencies(app)
    clue = _clue_of(app, a["县卫健局"])
    with pytest.raises(InvalidInput) as refused:
        app.send_referral(
            a["县卫健局"], a["县医保局"], "请协查", actor="李四", subject_kind="issue",
            subject_id=clue,
        )  # fmt: skip
    assert refused.value.field == "subjectId"


def test_app_refuses_a_subject_id_without_its_kind(app: RectifyApp) -> None:
    a = _agencies(app)
    with pytest.raises(InvalidInput) as refused:
        app.send_referral(
            a["县卫健局"], a["县医保局"], "请协查", actor="李四",
            subject_id=_clue_of(app, a["县卫健局"]),
        )  # fmt: skip
    assert refused.value.field == "subjectKind"


def test_app_refuses_a_referral_linked_to_another_agencys_items(app: RectifyApp) -> None:
    a = _agencies(app)
    health, market, police = a["县卫健局"], a["县市场监管局"], a["县公安局"]
    theirs = {
        "clue": _clue_of(app, health),
        "issue": _issue_led_by(app, health, [a["县医保局"]]),
        "case": app.report_case_transfer(health, police, "骗保", actor="执法员").id,
    }
    for kind, subject in theirs.items():
        with pytest.raises(NotAllowed, match="subjectId"):
            app.send_referral(
                market, a["县医保局"], "请协查", actor="张三", subject_kind=kind,
                subject_id=subject,
            )  # fmt: skip
    assert not [n for n in app.recorder.select_notifications(1, 1000) if "Referral" in n.topic]


def test_app_lets_the_leading_group_office_link_any_existing_subject(app: RectifyApp) -> None:
    a = _agencies(app)
    clue = _clue_of(app, a["县卫健局"])
    sent = app.send_referral(
        a["县市场监管局"], a["县医保局"], "请协查", actor="协调办", subject_kind="clue",
        subject_id=clue, office=True,
    )  # fmt: skip
    assert app.get_referral(sent.id).subject_id == clue
    with pytest.raises(InvalidInput):
        app.send_referral(
            a["县市场监管局"], a["县医保局"], "请协查", actor="协调办", subject_kind="clue",
            subject_id=uuid4(), office=True,
        )  # fmt: skip
