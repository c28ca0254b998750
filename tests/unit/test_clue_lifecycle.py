"""The lifecycle of a clue (线索): each allowed and each refused transition, the reply owed
to a real-name reporter and its clock, and the application service's triage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.application import RectifyApp
from domain.clocks import TIMEZONE, MilestoneKind, end_of_day
from domain.clues import CLUE_REPLY_LADDER, Clue, ClueRefused, ClueStatus, clue_id
from domain.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.referrals import Referral, ReturnReason
from domain.reporter_identity import ReporterIdentity
from rectify.calendar_data import build_calendar

CAL = build_calendar()
MARKET, HEALTH = uuid4(), uuid4()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TIMEZONE)
SEALED = {"kid": "k1", "nonce": "bm9uY2U=", "ct": "Y2lwaGVy"}
REPORTER = ReporterIdentity("王五", phone="13912345678", id_number="110101199001011234")


def _clue(real_name: bool = True, status: ClueStatus = ClueStatus.RECEIVED) -> Clue:
    clue = Clue(
        id=clue_id(),
        agency_id=HEALTH,
        channel="HOTLINE_12320",
        institution="某某医院",
        person="",
        content="收取红包",
        attachments=["录音.mp3"],
        anonymous=not real_name,
        real_name=real_name,
        sealed_identity=SEALED if real_name else None,
        campaign_id=None,
        reply_days=15,
        at=MONDAY,
        reply_due=end_of_day(date(2026, 3, 20)) if real_name else None,
        actor="卫健局-李四",
    )
    if status is ClueStatus.HANDLING:
        clue.handle("", "李四")
    elif status is ClueStatus.REFERRED:
        clue.refer(MARKET, "县市场监管局", "属市场监管职责", uuid4(), "李四")
    elif status is ClueStatus.MERGED:
        clue.merge_into(_clue(), "重复举报", "李四")
    elif status is ClueStatus.DISMISSED:
        clue.dismiss("无具体线索", "李四")
    elif status is ClueStatus.CONCLUDED:
        clue.handle("", "李四")
        clue.conclude("查实，已处罚", "李四")
    clue.collect_events()
    return clue


# -- allowed transitions --------------------------------------------------------------------


def test_received_clue_is_taken_for_handling() -> None:
    clue = _clue()
    clue.handle("本局办理", "李四")
    assert clue.status is ClueStatus.HANDLING


def test_received_clue_is_referred_and_the_target_becomes_the_handling_agency() -> None:
    clue = _clue()
    target_referral = uuid4()
    clue.refer(MARKET, "县市场监管局", "属市场监管职责", target_referral, "李四")
    (event,) = clue.collect_events()
    assert isinstance(event, Clue.Referred)
    assert (event.receiver_agency_id, event.reason) == (MARKET, "属市场监管职责")
    assert clue.status is ClueStatus.REFERRED
    assert clue.handling_agency_id == MARKET
    assert clue.referral_id == target_referral


def test_received_clue_is_merged_into_another_as_duplicate() -> None:
    clue, original = _clue(), _clue()
    clue.merge_into(original, "同一事项", "李四")
    assert clue.status is ClueStatus.MERGED
    assert clue.merged_into == original.id


def test_received_clue_is_dismissed_with_a_reason() -> None:
    clue = _clue()
    clue.dismiss("不属于医疗卫生领域", "李四")
    (event,) = clue.collect_events()
    assert isinstance(event, Clue.Dismissed)
    assert event.reason == "不属于医疗卫生领域"
    assert clue.status is ClueStatus.DISMISSED


def test_handled_clue_is_concluded() -> None:
    clue = _clue(status=ClueStatus.HANDLING)
    clue.conclude("查实，已处罚", "李四")
    assert clue.status is ClueStatus.CONCLUDED


def test_reply_to_real_name_reporter_is_recorded_and_stops_its_clock() -> None:
    clue = _clue(status=ClueStatus.HANDLING)
    assert clue.clock_running()
    clue.reply("已查实并处理", "电话", MONDAY, "李四")
    (event,) = clue.collect_events()
    assert isinstance(event, Clue.ReplyRecorded)
    assert (event.text, event.channel, event.at, event.actor) == (
        "已查实并处理",
        "电话",
        MONDAY,
        "李四",
    )
    assert not clue.clock_open()
    assert clue.milestones(CAL, CLUE_REPLY_LADDER) == []


def test_handling_agency_reveal_is_recorded_with_reason() -> None:
    clue = _clue(status=ClueStatus.HANDLING)
    clue.reveal(HEALTH, "需联系举报人核实", MONDAY, "李四")
    (event,) = clue.collect_events()
    assert isinstance(event, Clue.ReporterRevealed)
    assert (event.agency_id, event.reason, event.actor) == (HEALTH, "需联系举报人核实", "李四")


def test_reseal_replaces_the_sealed_identity_and_names_the_old_key() -> None:
    clue = _clue()
    clue.reseal({"kid": "k2", "nonce": "x", "ct": "y"}, "admin")
    (event,) = clue.collect_events()
    assert isinstance(event, Clue.IdentityResealed)
    assert event.previous_key_id == "k1"
    assert clue.identity_key_id == "k2"


def test_reseal_under_the_same_key_appends_nothing() -> None:
    clue = _clue()
    clue.reseal(dict(SEALED), "admin")
    assert clue.collect_events() == []


# -- refused transitions --------------------------------------------------------------------

TRIAGE_REFUSED = [
    (action, state)
    for action in ("handle", "refer", "merge", "dismiss")
    for state in (
        ClueStatus.HANDLING,
        ClueStatus.REFERRED,
        ClueStatus.MERGED,
        ClueStatus.DISMISSED,
        ClueStatus.CONCLUDED,
    )
]


def _triage(clue: Clue, action: str) -> None:
    if action == "handle":
        clue.handle("", "李四")
    elif action == "refer":
        clue.refer(MARKET, "县市场监管局", "理由", uuid4(), "李四")
    elif action == "merge":
        clue.merge_into(_clue(), "", "李四")
    else:
        clue.dismiss("理由", "李四")


@pytest.mark.parametrize(("action", "state"), TRIAGE_REFUSED)
def test_triage_of_an_already_triaged_clue_is_refused_naming_the_state(
    action: str, state: ClueStatus
) -> None:
    clue = _clue(status=state)
    with pytest.raises(ClueRefused) as refused:
        _triage(clue, action)
    assert refused.value.current_state == state.value
    assert state.value in str(refused.value)
    assert clue.collect_events() == []


@pytest.mark.parametrize(
    "state",
    [s for s in ClueStatus if s is not ClueStatus.HANDLING],
)
def test_conclude_outside_handling_is_refused_naming_the_state(state: ClueStatus) -> None:
    clue = _clue(status=state)
    with pytest.raises(InvalidTransition) as refused:
        clue.conclude("结论", "李四")
    assert refused.value.current_state == state.value


def test_reply_before_triage_is_refused() -> None:
    with pytest.raises(ClueRefused, match="RECEIVED"):
        _clue().reply("答复", "电话", MONDAY, "李四")


def test_reply_to_an_anonymous_reporter_is_refused() -> None:
    with pytest.raises(ClueRefused, match="no reply is owed"):
        _clue(real_name=False, status=ClueStatus.HANDLING).reply("答复", "电话", MONDAY, "李四")


def test_second_reply_is_refused_as_already_replied_whatever_the_state() -> None:
    clue = _clue(status=ClueStatus.REFERRED)
    clue.reply("答复", "电话", MONDAY, "李四")
    with pytest.raises(ClueRefused) as refused:
        clue.reply("再答复", "电话", MONDAY, "李四")
    assert str(refused.value) == (
        "不能答复举报人：已答复过举报人（问题线索当前为已移送） / "
        "cannot reply: the reporter has already been replied to (the clue is REFERRED)"
    )


def test_reveal_of_an_anonymous_clue_is_refused() -> None:
    with pytest.raises(ClueRefused, match="anonymous"):
        _clue(real_name=False).reveal(HEALTH, "核实", MONDAY, "李四")


def test_reveal_by_another_agency_is_refused() -> None:
    with pytest.raises(InvalidInput, match="agency"):
        _clue().reveal(MARKET, "核实", MONDAY, "张三")


def test_reveal_without_reason_is_refused() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        _clue().reveal(HEALTH, "  ", MONDAY, "李四")


def test_referred_clue_may_no_longer_be_revealed_by_the_receiving_agency() -> None:
    clue = _clue(status=ClueStatus.REFERRED)
    with pytest.raises(InvalidInput, match="agency"):
        clue.reveal(HEALTH, "核实", MONDAY, "李四")


def test_referral_to_oneself_is_refused() -> None:
    with pytest.raises(InvalidInput, match="receiver"):
        _clue().refer(HEALTH, "县卫健局", "理由", uuid4(), "李四")


def test_referral_without_reason_is_refused() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        _clue().refer(MARKET, "县市场监管局", " ", uuid4(), "李四")


def test_dismissal_without_reason_is_refused() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        _clue().dismiss("", "李四")


def test_merge_into_itself_is_refused() -> None:
    clue = _clue()
    with pytest.raises(InvalidInput, match="intoClueId"):
        clue.merge_into(clue, "", "李四")


def test_merge_into_a_merged_clue_is_refused() -> None:
    with pytest.raises(InvalidInput, match="intoClueId"):
        _clue().merge_into(_clue(status=ClueStatus.MERGED), "", "李四")


@pytest.mark.parametrize(
    ("channel", "institution", "person", "content", "anonymous", "real_name", "field"),
    [
        ("PIGEON", "某医院", "", "内容", True, False, "channel"),
        ("LETTER", "", " ", "内容", True, False, "institution"),
        ("LETTER", "某医院", "", " ", True, False, "content"),
        ("LETTER", "某医院", "", "内容", True, True, "realName"),
    ],
)
def test_intake_with_bad_input_is_refused_naming_the_field(
    channel: str,
    institution: str,
    person: str,
    content: str,
    anonymous: bool,
    real_name: bool,
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as refused:
        Clue.validate_intake(channel, institution, person, content, anonymous, real_name)
    assert refused.value.field == field


# -- the reply clock ------------------------------------------------------------------------


def test_reply_clock_rings_reminder_overdue_and_supervision_on_working_days() -> None:
    clue = _clue()
    kinds = [m.kind for m in clue.milestones(CAL, CLUE_REPLY_LADDER)]
    assert kinds == [MilestoneKind.REMINDER, MilestoneKind.OVERDUE, MilestoneKind.ESCALATION]
    assert all(
        m.key.startswith(f"clue:{clue.id}:reply:") for m in clue.milestones(CAL, CLUE_REPLY_LADDER)
    )


def test_milestone_is_recorded_once() -> None:
    clue = _clue()
    first = clue.milestones(CAL, CLUE_REPLY_LADDER)[0]
    assert clue.record_milestone(first, "clock")
    assert not clue.record_milestone(first, "clock")
    assert len(clue.collect_events()) == 1


def test_anonymous_clue_has_no_clock() -> None:
    clue = _clue(real_name=False)
    assert not clue.clock_open()
    assert clue.milestones(CAL, CLUE_REPLY_LADDER) == []


# -- the application service ----------------------------------------------------------------


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    application.calendar_source = lambda _app: CAL
    yield application
    application.close()


def _agencies(app: RectifyApp) -> tuple[UUID, UUID]:
    health = app.register_agency("县卫健局", actor="admin").id
    market = app.register_agency("县市场监管局", actor="admin").id
    return health, market


def _receive(app: RectifyApp, agency: UUID, **kwargs: object) -> UUID:
    return app.receive_clue(
        agency, "HOTLINE_12320", "收取红包", actor="李四", institution="某某医院",
        reporter=REPORTER, real_name=True, at=MONDAY, **kwargs,  # type: ignore[arg-type]
    ).id  # fmt: skip


def test_app_receives_a_real_name_clue_with_reply_due_in_working_days(app: RectifyApp) -> None:
    health, _ = _agencies(app)
    # Tuesday 29 September 2026: the National Day holiday (1–7 October) does not count.
    tuesday = datetime(2026, 9, 29, 15, 0, tzinfo=TIMEZONE)
    item = app.receive_clue(
        health, "LETTER", "收取红包", actor="李四", institution="某医院",
        reporter=REPORTER, real_name=True, at=tuesday,
    )  # fmt: skip
    clue = app.get_clue(item.id)
    # The day of receipt does not count: 30 Sep, 8–10 Oct (Saturday 10 Oct is a make-up
    # working day), 12–16, 19–23, 26 Oct.
    assert clue.reply_due == end_of_day(date(2026, 10, 26))
    assert clue.identity_key_id


def test_app_uses_the_campaign_reply_days(app: RectifyApp) -> None:
    health, _ = _agencies(app)
    campaign = app.launch_campaign("医药领域腐败整治", actor="admin", lead_agency=health).id
    app.set_clue_reply_days(campaign, 5, "admin")
    clue = app.get_clue(_receive(app, health, campaign=campaign))
    assert clue.reply_days == 5
    assert clue.reply_due == end_of_day(date(2026, 3, 9))  # Monday 2 March does not count


def test_app_receives_with_a_natural_key_once(app: RectifyApp) -> None:
    health, _ = _agencies(app)
    first = app.receive_clue(health, "HOTLINE_12320", "内容", actor="李四", person="某人", key="T1")
    again = app.receive_clue(health, "HOTLINE_12320", "内容", actor="李四", person="某人", key="T1")
    assert again.id == first.id
    assert not again.changed


def test_app_refers_a_clue_with_its_referral_in_one_save(app: RectifyApp) -> None:
    health, market = _agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    clue = app.get_clue(item)
    assert clue.referral_id is not None
    referral = app.repository.get(clue.referral_id)
    assert isinstance(referral, Referral)
    assert (referral.subject_kind, referral.subject_id) == ("clue", item)
    assert "13912345678" not in repr(referral.__dict__)


def test_app_refuses_referral_to_a_group(app: RectifyApp) -> None:
    health, market = _agencies(app)
    group = app.register_agency("综合监管各成员单位", actor="admin").id
    app.add_group_member(group, market, "admin")
    with pytest.raises(InvalidInput, match="receiver"):
        app.refer_clue(_receive(app, health), group, "理由", "李四")


def test_app_reveals_the_identity_to_the_handling_agency_and_records_it(app: RectifyApp) -> None:
    health, _ = _agencies(app)
    item = _receive(app, health)
    identity, _result = app.reveal_reporter(item, health, "需联系核实", "李四")
    assert identity == REPORTER
    history = app.repository.get(item)
    assert history.version == 2


def test_app_refuses_an_unknown_clue(app: RectifyApp) -> None:
    with pytest.raises(NotFound):
        app.handle_clue(uuid4(), "", "李四")


# -- the handling agency follows the clue's referral (ADR 0022) -----------------------------


def test_referred_clue_follows_its_referral_to_a_new_handler_on_record() -> None:
    clue = _clue(status=ClueStatus.REFERRED)
    assert clue.referral_id is not None
    insurance = uuid4()
    clue.change_handler(
        insurance, "县医保局", clue.referral_id, "重新指派：涉及医保", MONDAY, "协调办"
    )
    (event,) = clue.collect_events()
    assert isinstance(event, Clue.HandlerChanged)
    assert (event.previous_agency_id, event.handling_agency_id, event.handling_name) == (
        MARKET,
        insurance,
        "县医保局",
    )
    assert (event.reason, event.at, event.actor) == ("重新指派：涉及医保", MONDAY, "协调办")
    assert clue.handling_agency_id == insurance
    clue.reveal(insurance, "查处骗保", MONDAY, "医保局-王五")
    with pytest.raises(InvalidInput, match="agency"):
        clue.reveal(MARKET, "核实", MONDAY, "市场监管局-张三")


def test_handler_change_by_another_referral_than_the_clues_own_is_refused() -> None:
    clue = _clue(status=ClueStatus.REFERRED)
    with pytest.raises(ClueRefused) as refused:
        clue.change_handler(uuid4(), "县医保局", uuid4(), "重新指派", MONDAY, "协调办")
    assert refused.value.current_state == "REFERRED"
    assert clue.collect_events() == []


@pytest.mark.parametrize("state", [s for s in ClueStatus if s is not ClueStatus.REFERRED])
def test_handler_change_of_a_clue_not_referred_is_refused_naming_the_state(
    state: ClueStatus,
) -> None:
    clue = _clue(status=state)
    with pytest.raises(ClueRefused) as refused:
        clue.change_handler(MARKET, "县市场监管局", uuid4(), "x", MONDAY, "协调办")
    assert refused.value.current_state == state.value


def test_handler_change_to_the_current_handler_records_nothing() -> None:
    clue = _clue(status=ClueStatus.REFERRED)
    assert clue.referral_id is not None
    clue.change_handler(MARKET, "县市场监管局", clue.referral_id, "x", MONDAY, "协调办")
    assert clue.collect_events() == []


def test_merge_into_a_clue_another_agency_handles_is_refused_as_not_allowed() -> None:
    theirs = _clue(status=ClueStatus.REFERRED)  # handled by 县市场监管局 now
    clue = _clue()
    with pytest.raises(NotAllowed):
        clue.merge_into(theirs, "重复", "李四")
    assert clue.collect_events() == []


def _three_agencies(app: RectifyApp) -> tuple[UUID, UUID, UUID]:
    health, market = _agencies(app)
    return health, market, app.register_agency("县医保局", actor="admin").id


def test_app_reassigning_a_returned_clue_referral_hands_the_clue_to_the_new_agency(
    app: RectifyApp,
) -> None:
    health, market, insurance = _three_agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    referral = app.get_clue(item).referral_id
    assert referral is not None
    app.return_referral(referral, market, ReturnReason.NOT_OUR_REMIT, "", "张三")
    app.reassign_referral(referral, insurance, "涉及医保基金", "协调办", at=MONDAY)
    app.claim_referral(referral, insurance, "医保局-王五", at=MONDAY)
    assert app.get_clue(item).handling_agency_id == insurance
    identity, _ = app.reveal_reporter(item, insurance, "查处骗保", "医保局-王五")
    assert identity == REPORTER
    for other in (market, health):
        with pytest.raises(InvalidInput, match="agency"):
            app.reveal_reporter(item, other, "核实", "某人")
    moves = [e for e in app.events.get(item) if isinstance(e, Clue.HandlerChanged)]
    assert [(m.previous_agency_id, m.handling_agency_id) for m in moves] == [
        (market, health),
        (health, insurance),
    ]
    assert moves[1].reason == "重新指派：涉及医保基金" and moves[1].actor == "协调办"


def test_app_returning_a_clue_referral_takes_the_identity_from_the_returning_agency(
    app: RectifyApp,
) -> None:
    health, market, _ = _three_agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    referral = app.get_clue(item).referral_id
    assert referral is not None
    app.return_referral(referral, market, ReturnReason.OTHER, "非本辖区", "张三")
    clue = app.get_clue(item)
    assert clue.handling_agency_id == health and clue.status is ClueStatus.REFERRED
    with pytest.raises(InvalidInput, match="agency"):
        app.reveal_reporter(item, market, "核实", "张三")
    *_, moved = app.events.get(item)
    assert isinstance(moved, Clue.HandlerChanged)
    assert "不属于" not in moved.reason and "非本辖区" in moved.reason


def test_app_moves_the_clue_in_the_same_save_as_the_reassignment(
    app: RectifyApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    health, market, insurance = _three_agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    referral = app.get_clue(item).referral_id
    assert referral is not None
    saves: list[list[str]] = []
    save = app._save

    def recording(*aggregates: Any) -> int | None:
        saves.append([type(a).__name__ for a in aggregates])
        return save(*aggregates)

    monkeypatch.setattr(app, "_save", recording)
    app.return_referral(referral, market, ReturnReason.NOT_OUR_REMIT, "", "张三")
    app.reassign_referral(referral, insurance, "涉及医保基金", "协调办", at=MONDAY)
    assert saves == [["Referral", "Clue"], ["Referral", "Clue"]]


def test_app_a_referral_that_only_names_a_clue_does_not_move_it(app: RectifyApp) -> None:
    health, market, insurance = _three_agencies(app)
    item = _receive(app, health)
    app.handle_clue(item, "本局办理", "李四")
    sent = app.send_referral(
        health, market, "请协查", actor="李四", subject_kind="clue", subject_id=item
    )
    app.return_referral(sent.id, market, ReturnReason.NOT_OUR_REMIT, "", "张三")
    app.reassign_referral(sent.id, insurance, "请医保协查", "协调办")
    assert app.get_clue(item).handling_agency_id == health
    assert [type(e).__name__ for e in app.events.get(item)] == ["Received", "TakenForHandling"]


def test_app_merges_two_clues_of_the_acting_agency(app: RectifyApp) -> None:
    health, _ = _agencies(app)
    first, second = _receive(app, health), _receive(app, health)
    app.merge_clue(second, first, "同一事项", "李四", agency=health)
    assert app.get_clue(second).merged_into == first


def test_app_refuses_to_merge_into_another_agencys_clue(app: RectifyApp) -> None:
    health, market = _agencies(app)
    ours, theirs = _receive(app, health), _receive(app, market)
    with pytest.raises(NotAllowed):
        app.merge_clue(ours, theirs, "同一事项", "李四", agency=health)
    assert app.get_clue(ours).status is ClueStatus.RECEIVED


def test_app_refuses_a_merge_by_an_agency_that_does_not_handle_the_clue(
    app: RectifyApp,
) -> None:
    health, market = _agencies(app)
    first, second = _receive(app, health), _receive(app, health)
    with pytest.raises(NotAllowed):
        app.merge_clue(second, first, "同一事项", "张三", agency=market)


# -- a referred clue reaches an end (ADR 0035) -----------------------------------------------


def test_referred_clue_concludes_with_its_own_referral() -> None:
    clue = _clue(status=ClueStatus.REFERRED)
    assert clue.referral_id is not None
    clue.conclude_with_referral(clue.referral_id, "移送县市场监管局办结：已处罚", "张三")
    [event] = clue.collect_events()
    assert isinstance(event, Clue.Concluded)
    assert event.outcome == "移送县市场监管局办结：已处罚" and event.actor == "张三"
    assert clue.status is ClueStatus.CONCLUDED and clue.outcome.endswith("已处罚")


def test_conclusion_by_another_referral_than_the_clues_own_is_refused() -> None:
    clue = _clue(status=ClueStatus.REFERRED)
    with pytest.raises(ClueRefused, match="仅随本线索的移送办结") as refused:
        clue.conclude_with_referral(uuid4(), "已处罚", "张三")
    assert refused.value.current_state == "REFERRED"
    assert clue.collect_events() == []


@pytest.mark.parametrize(
    "state",
    [ClueStatus.RECEIVED, ClueStatus.HANDLING, ClueStatus.MERGED, ClueStatus.DISMISSED,
     ClueStatus.CONCLUDED],
)  # fmt: skip
def test_conclusion_with_a_referral_of_a_clue_not_referred_is_refused_naming_the_state(
    state: ClueStatus,
) -> None:
    clue = _clue(status=state)
    with pytest.raises(ClueRefused) as refused:
        clue.conclude_with_referral(uuid4(), "已处罚", "张三")
    assert refused.value.current_state == state.value
    assert (
        "cannot conclude with its referral: concludes only with its own referral "
        f"(the clue is {state.value})"
    ) in str(refused.value)


def test_a_referred_clue_is_not_closed() -> None:
    assert not _clue(real_name=False, status=ClueStatus.REFERRED).is_closed


def test_an_ended_clue_owing_a_reply_is_not_closed_until_the_reply() -> None:
    clue = _clue(real_name=True, status=ClueStatus.CONCLUDED)
    assert not clue.is_closed
    clue.reply("已办结", "电话", MONDAY, "李四")
    assert clue.is_closed


@pytest.mark.parametrize("state", [ClueStatus.CONCLUDED, ClueStatus.DISMISSED, ClueStatus.MERGED])
def test_an_ended_anonymous_clue_is_closed(state: ClueStatus) -> None:
    assert _clue(real_name=False, status=state).is_closed


def test_app_accepting_the_clues_referral_concludes_the_clue_in_the_same_save(
    app: RectifyApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    health, market = _agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    referral = app.get_clue(item).referral_id
    assert referral is not None
    app.claim_referral(referral, market, "市场监管局-张三", at=MONDAY)
    app.answer_referral(referral, market, "已立案查处", "市场监管局-张三")
    assert app.get_clue(item).status is ClueStatus.REFERRED  # answered, not yet accepted
    saves: list[list[str]] = []
    save = app._save

    def recording(*aggregates: Any) -> int | None:
        saves.append([type(a).__name__ for a in aggregates])
        return save(*aggregates)

    monkeypatch.setattr(app, "_save", recording)
    app.accept_referral(referral, "同意办结", "卫健局-李四")
    assert saves == [["Referral", "Clue"]]
    clue = app.get_clue(item)
    assert clue.status is ClueStatus.CONCLUDED
    assert clue.outcome == "移送县市场监管局办结 / concluded by its referral：已立案查处"
    assert not clue.is_closed  # the real-name reporter is still owed a reply


def test_app_a_referral_that_only_names_a_clue_does_not_conclude_it(app: RectifyApp) -> None:
    health, market = _agencies(app)
    item = _receive(app, health)
    app.handle_clue(item, "本局办理", "李四")
    sent = app.send_referral(
        health, market, "请协查", actor="李四", subject_kind="clue", subject_id=item
    )
    app.claim_referral(sent.id, market, "张三", at=MONDAY)
    app.answer_referral(sent.id, market, "已协查", "张三")
    app.accept_referral(sent.id, "", "李四")
    assert app.get_clue(item).status is ClueStatus.HANDLING


def test_app_clue_follows_a_return_after_claiming_and_the_reassignment(app: RectifyApp) -> None:
    health, market, insurance = _three_agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    referral = app.get_clue(item).referral_id
    assert referral is not None
    app.claim_referral(referral, market, "市场监管局-张三", at=MONDAY)
    app.return_referral(referral, market, ReturnReason.NEEDS_ANOTHER_AGENCY, "误签收", "张三")
    assert app.get_clue(item).handling_agency_id == health
    with pytest.raises(InvalidInput, match="agency"):
        app.reveal_reporter(item, market, "核实", "张三")
    app.reassign_referral(referral, insurance, "涉及医保基金", "协调办", at=MONDAY)
    assert app.get_clue(item).handling_agency_id == insurance
    moves = [e for e in app.events.get(item) if isinstance(e, Clue.HandlerChanged)]
    assert [(m.previous_agency_id, m.handling_agency_id) for m in moves] == [
        (market, health),
        (health, insurance),
    ]
    assert "误签收" in moves[0].reason and moves[0].actor == "张三"


def test_app_refuses_to_conclude_a_referred_clue_before_its_referral_is_accepted(
    app: RectifyApp,
) -> None:
    health, market = _agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    with pytest.raises(ClueRefused, match="concludes when its referral is accepted") as refused:
        app.conclude_clue(item, "已办结", "张三")
    assert refused.value.current_state == "REFERRED"


def test_app_concludes_by_hand_a_referred_clue_whose_referral_was_accepted_before(
    app: RectifyApp,
) -> None:
    """A referral accepted before clues concluded with their referrals left its clue
    REFERRED; the handling agency concludes it by hand."""
    health, market = _agencies(app)
    item = _receive(app, health)
    app.refer_clue(item, market, "属市场监管职责", "李四", at=MONDAY)
    referral = app.get_clue(item).referral_id
    assert referral is not None
    app.claim_referral(referral, market, "张三", at=MONDAY)
    app.answer_referral(referral, market, "已查处", "张三")
    accepted = app.get_referral(referral)
    accepted.accept("", "李四")  # saved alone, as the code before ADR 0035 did
    app._save(accepted)
    assert app.get_clue(item).status is ClueStatus.REFERRED
    app.conclude_clue(item, "已由市场监管局查处", "张三")
    clue = app.get_clue(item)
    assert clue.status is ClueStatus.CONCLUDED and clue.outcome == "已由市场监管局查处"
