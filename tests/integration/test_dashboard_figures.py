"""Every dashboard figure (GraphQL `statistics`) equals the one recomputed from the raw
events by tests/cross_check.py, on a dataset spread over several weeks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import eventsourcing.domain
import pytest

from domain.application import RectifyApp
from domain.clues import Channel
from domain.deadlines import Deadline
from domain.names import agency_id, campaign_id
from domain.referrals import ReturnReason
from domain.reporter_identity import ReporterIdentity
from infrastructure.calendar_data import build_calendar
from infrastructure.stored_calendar import StoredCalendar
from tests import cross_check
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    projection_thread,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
TODAY = date(2026, 4, 15)  # a Wednesday, six weeks after the first event
WEEKS = 8
POLICE = "县公安局"
CALENDAR = build_calendar()


class Clock:
    """The log's clock: every event created while patched gets this timestamp."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: date, hour: int = 10) -> datetime:
        """Move to `hour` o'clock China time on `day` (never backwards)."""
        moment = datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)
        assert moment > self.now
        self.now = moment
        return moment

    def later(self, hours: float) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # eventsourcing stamps events through this module-level function, looked up per call.
    found = Clock(datetime(2026, 3, 2, 1, tzinfo=UTC))  # Monday 09:00 China time
    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", found)
    return found


@pytest.fixture
def data(clock: Clock, api: Api, app: RectifyApp) -> Iterator[Api]:
    """The known ledger (stamped at the clock's start) and the dataset below."""
    app.calendar_source = StoredCalendar
    build_dataset(app, clock)
    yield api


def close_issue(app: RectifyApp, item: UUID) -> None:
    app.submit_for_verification(item, "已整改", "联络员")
    app.sign_off(item, "同意销号", "协调办")


def build_dataset(app: RectifyApp, clock: Clock) -> None:
    """Issues closed before and after their due dates (one after an extension, one
    reopened), referrals claimed and answered at different speeds (one sent back, one
    returned and reassigned, one returned after claiming and reassigned, one never claimed,
    one without a campaign), clues (handled here; referred on, concluded by the referral's
    acceptance before and after the reply owed; referred and returned), rungs."""
    campaign = campaign_id(CAMPAIGN)
    health, insurance, market = agency_id(HEALTH), agency_id(INSURANCE), agency_id(MARKET)
    police = app.register_agency(POLICE, actor="管理员", region="某县").id
    app.register_agency(HEALTH, actor="管理员", region="某市")
    app.register_agency(INSURANCE, actor="管理员", region="某县")  # market: no region
    issues: dict[str, UUID] = {}
    transfers: dict[str, UUID] = {}
    referrals: dict[str, UUID] = {}

    def register(number: str, lead: UUID, due: date | None) -> None:
        deadline = Deadline.on(due) if due else Deadline.ongoing()
        issues[number] = app.register_issue(
            campaign, number, f"问题{number}", ["措施"], lead, [], deadline, actor="导入"
        ).id

    def send(name: str, to: UUID, in_campaign: bool = True) -> None:
        referrals[name] = app.send_referral(
            health, to, f"移送{name}", actor="卫健联络员",
            campaign=campaign if in_campaign else None, at=clock.now,
        ).id  # fmt: skip

    def claim(name: str, by: UUID) -> None:
        app.claim_referral(referrals[name], by, "联络员", at=clock.now)

    def answer(name: str, by: UUID) -> None:
        app.answer_referral(referrals[name], by, "已查处", "联络员")

    def report(name: str, by: UUID, in_campaign: bool = True) -> None:
        transfers[name] = app.report_case_transfer(
            by, police, "涉嫌非法行医", actor="执法人员", case_number=name,
            campaign=campaign if in_campaign else None, at=clock.now,
        ).id  # fmt: skip

    def record(kind: str, item: UUID, *rungs: str) -> None:
        view, _ = app.schedule_clock(kind, item, CALENDAR)
        for milestone in view.milestones:
            if milestone.rung in rungs:
                assert app.record_clock_milestone(kind, item, milestone.key, CALENDAR)

    clock.at(date(2026, 3, 3))
    register("A", health, date(2026, 3, 10))
    register("B", health, date(2026, 3, 10))
    register("C", insurance, date(2026, 3, 20))
    register("D", market, date(2026, 3, 13))
    register("F", market, None)
    register("G", market, date(2026, 3, 5))
    register("H", health, date(2026, 3, 12))
    send("R1", market)
    send("R2", market)
    send("R3", insurance)
    clue = app.receive_clue(
        health, Channel.HOTLINE_12320, "无证行医", actor="接线员", institution="某诊所",
        campaign=campaign, at=clock.now,
    ).id  # fmt: skip
    app.receive_clue(
        health, Channel.LETTER, "虚假宣传", actor="接线员", institution="某美容院", at=clock.now
    )
    report("T1", health)

    def referred_clue(content: str, to: UUID) -> tuple[UUID, UUID]:
        item = app.receive_clue(
            health, Channel.HOTLINE_12320, content, actor="接线员", institution="某门诊部",
            reporter=ReporterIdentity("举报人", "13800000000"), real_name=True,
            campaign=campaign, at=clock.now,
        ).id  # fmt: skip
        app.refer_clue(item, to, "属其职责", "办理人", at=clock.now)
        return item, app.get_clue(item).referral_id  # type: ignore[return-value]

    replied_first, rc1 = referred_clue("药品回扣", market)  # replied, then concluded
    _, rc2 = referred_clue("挂证", market)  # concluded, the reply still owed
    replied_last, rc3 = referred_clue("过度检查", market)  # concluded, then replied
    _, rc4 = referred_clue("套保", market)  # its referral returned after claim
    clock.later(5)
    claim("R1", market)
    for referral in (rc1, rc2, rc3, rc4):
        app.claim_referral(referral, market, "联络员", at=clock.now)
    clock.at(date(2026, 3, 4), 9)
    close_issue(app, issues["G"])  # on time
    clock.later(1.5)
    claim("R3", insurance)
    app.approve_case_transfer(transfers["T1"], "同意移送", "负责人", at=clock.now)
    clock.later(2)
    app.send_case_transfer(transfers["T1"], "执法人员", at=clock.now)
    clock.later(3)
    app.receive_case_transfer(transfers["T1"], police, "公安", at=clock.now)
    clock.at(date(2026, 3, 5))
    close_issue(app, issues["A"])  # on time
    clock.later(2)
    claim("R2", market)
    app.file_criminal_case(transfers["T1"], police, "刑案1号", "公安", at=clock.now)  # on time
    clock.at(date(2026, 3, 6))
    answer("R1", market)
    clock.later(3)
    answer("R3", insurance)
    app.handle_clue(clue, "本单位办理", "办理人")
    app.conclude_clue(clue, "已立案查处", "办理人")
    app.reply_to_reporter(replied_first, "已转市场监管局办理", "电话", "办理人")
    for referral in (rc1, rc2, rc3):
        app.answer_referral(referral, market, "已查处", "联络员")
    app.return_referral(rc4, market, ReturnReason.NEEDS_ANOTHER_AGENCY, "误签收，属医保", "联络员")
    clock.at(date(2026, 3, 9))
    app.send_back_referral(referrals["R3"], "材料不全", "协调办", at=clock.now)
    send("R4", insurance)  # never claimed: overdue
    report("T2", market)
    send("R5", market)
    clock.at(date(2026, 3, 10))
    answer("R3", insurance)
    app.accept_referral(referrals["R1"], "同意", "卫健联络员")
    app.return_referral(referrals["R5"], market, ReturnReason.NOT_OUR_REMIT, "", "联络员")
    for referral in (rc1, rc2, rc3):
        app.accept_referral(referral, "同意", "卫健联络员")
    send("R7", market)
    claim("R7", market)
    send("R6", market, in_campaign=False)
    clock.at(date(2026, 3, 11))
    app.reassign_referral(referrals["R5"], insurance, "改派医保局", "协调办", at=clock.now)
    app.return_referral(referrals["R7"], market, ReturnReason.NOT_OUR_REMIT, "误签收", "联络员")
    app.reply_to_reporter(replied_last, "已办结", "电话", "办理人")
    register("E", insurance, date(2026, 3, 31))
    clock.later(1)
    claim("R6", market)
    clock.later(3)
    answer("R6", market)
    clock.at(date(2026, 3, 12))
    close_issue(app, issues["B"])  # late
    close_issue(app, issues["H"])  # on its due day: on time
    app.request_extension(issues["C"], Deadline.on(date(2026, 4, 10)), "需要招标", "联络员")
    app.approve_extension(issues["C"], "同意", "领导")
    app.accept_referral(referrals["R3"], "同意", "卫健联络员")
    clock.at(date(2026, 3, 13))
    app.reopen(issues["G"], "回头看发现反弹", Deadline.on(date(2026, 3, 25)), "督查组")
    clock.at(date(2026, 3, 16))
    record("issue", issues["D"], "overdue", "supervision")
    record("referral", referrals["R4"], "overdue", "supervision")
    batch = [f"S{n}" for n in range(10)]  # enough claims that median, p90 and max differ
    for name in batch:
        clock.later(0.1)
        send(name, market)
    for n, name in enumerate(batch):
        clock.later(n + 0.5)
        claim(name, market)
    clock.at(date(2026, 3, 19))
    app.reassign_referral(referrals["R7"], insurance, "改派医保局", "协调办", at=clock.now)
    claim("R5", insurance)
    clock.later(1)
    claim("R7", insurance)
    for n, name in enumerate(reversed(batch)):
        clock.later(n * 2 + 1)
        answer(name, market)
    clock.at(date(2026, 3, 24))
    record("issue", issues["D"], "listed-supervision")
    app.decline_case_transfer(transfers["T2"], "证据不足", "负责人", at=clock.now)  # late: breach
    clock.at(date(2026, 4, 1))
    record("issue", issues["E"], "overdue")
    report("T3", insurance, in_campaign=False)  # overdue by 04-15
    clock.at(date(2026, 4, 7))
    answer("R2", market)  # late: the answer was due 15 working days after 03-05
    clock.at(date(2026, 4, 8))
    close_issue(app, issues["C"])  # on time against the extended due date
    clock.at(date(2026, 4, 9))
    app.accept_referral(referrals["R2"], "同意", "卫健联络员")
    answer("R7", insurance)


QUERY = """query($campaign: ID, $asOf: Date, $weeks: Int!) {
  statistics(campaign: $campaign, asOf: $asOf) {
    asOf campaign { title }
    total { ...counts }
    byKind { kind counts { ...counts } }
    byAgency { agency { id name } counts { ...counts } }
    byRegion { region counts { ...counts } }
    referralTimes { agency { id } claimed answered claimMedianHours claimP90Hours
                    answerMedianHours answerP90Hours }
    escalations { rung count }
    overdue(first: 200) { totalCount items { id kind label dueDate workingDaysOverdue
                                             agency { name } } }
    weekly(weeks: $weeks) { weekStart opened closed }
  }
}
fragment counts on Counts {
  open closed overdue closedWithDueDate closedOnTime onTimeRate
}"""


async def figures(api: Api, app: RectifyApp, campaign: str | None) -> dict[str, Any]:
    await wait_until_projected(api.client, app)
    data = await api.gql(QUERY, campaign=campaign, asOf=TODAY.isoformat(), weeks=WEEKS)
    return data["statistics"]  # type: ignore[no-any-return]


SCOPES = pytest.mark.parametrize("scope", [CAMPAIGN, None], ids=["campaign", "global"])


def scope_id(scope: str | None) -> UUID | None:
    return campaign_id(scope) if scope else None


@SCOPES
async def test_open_closed_overdue_and_on_time_by_kind_equal_the_log(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    got = await figures(data, app, scope)

    expected = cross_check.by_kind(cross_check.read_log(app), scope_id(scope), TODAY)
    assert {k["kind"]: k["counts"] for k in got["byKind"]} == expected
    assert set(expected) == {"ISSUE", "REFERRAL", "CLUE", "CASE_TRANSFER"}
    total = got["total"]
    assert total["open"] == sum(c["open"] for c in expected.values())
    assert total["closedOnTime"] == sum(c["closedOnTime"] for c in expected.values())
    assert 0 < total["closedOnTime"] < total["closedWithDueDate"] < total["closed"]


@SCOPES
async def test_counts_and_on_time_rate_by_agency_equal_the_log(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    got = await figures(data, app, scope)

    expected = cross_check.by_agency(cross_check.read_log(app), scope_id(scope), TODAY)
    assert {UUID(a["agency"]["id"]): a["counts"] for a in got["byAgency"]} == expected
    rates = [c["onTimeRate"] for c in expected.values() if c["onTimeRate"] is not None]
    assert len(set(rates)) > 1  # agencies differ: the figure is not the same everywhere


@SCOPES
async def test_counts_and_on_time_rate_by_region_equal_the_log(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    got = await figures(data, app, scope)

    expected = cross_check.by_region(cross_check.read_log(app), scope_id(scope), TODAY)
    assert {r["region"]: r["counts"] for r in got["byRegion"]} == expected
    assert set(expected) == {"某市", "某县", None}  # the market bureau has no region
    assert [r["region"] for r in got["byRegion"]][-1] is None


@SCOPES
async def test_referral_claim_and_answer_times_are_the_logs_nearest_rank_percentiles(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    got = await figures(data, app, scope)

    expected = cross_check.referral_times(cross_check.read_log(app), scope_id(scope))
    found = {UUID(r.pop("agency")["id"]): r for r in got["referralTimes"]}
    assert found.keys() == expected.keys()
    for agency, times in expected.items():
        for name, value in times.items():
            assert found[agency][name] == (value if value is None else pytest.approx(value))
    assert found[agency_id(MARKET)]["claimMedianHours"] != found[agency_id(MARKET)]["claimP90Hours"]


async def test_escalations_by_rung_equal_the_log(data: Api, app: RectifyApp) -> None:
    log = cross_check.read_log(app)
    for scope in (CAMPAIGN, None):
        got = await figures(data, app, scope)

        expected = cross_check.escalations(log, scope_id(scope))
        assert {r["rung"]: r["count"] for r in got["escalations"]} == expected
        assert [r["rung"] for r in got["escalations"]] == [
            "overdue", "supervision", "listed-supervision", "breach"
        ]  # fmt: skip


@SCOPES
async def test_the_overdue_list_is_ordered_by_working_days_overdue_as_the_log_gives(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    got = (await figures(data, app, scope))["overdue"]

    expected = cross_check.overdue(cross_check.read_log(app), scope_id(scope), TODAY, CALENDAR)
    assert [(UUID(i["id"]), i["workingDaysOverdue"]) for i in got["items"]] == expected
    assert got["totalCount"] == len(expected)
    assert {"ISSUE", "REFERRAL"} <= {i["kind"] for i in got["items"]}


@SCOPES
async def test_weekly_opened_and_closed_equal_the_log(
    data: Api, app: RectifyApp, scope: str | None
) -> None:
    got = (await figures(data, app, scope))["weekly"]

    expected = cross_check.weekly(cross_check.read_log(app), scope_id(scope), TODAY, WEEKS)
    assert [(date.fromisoformat(w["weekStart"]), w["opened"], w["closed"]) for w in got] == (
        expected
    )
    assert sum(1 for _, opened, closed in expected if opened or closed) >= 3


async def test_items_without_a_campaign_count_in_the_global_figures_only(
    data: Api, app: RectifyApp
) -> None:
    campaign = await figures(data, app, CAMPAIGN)
    everything = await figures(data, app, None)

    kinds = {k["kind"]: k["counts"] for k in campaign["byKind"]}
    all_kinds = {k["kind"]: k["counts"] for k in everything["byKind"]}
    # one referral (R6, answered, not accepted), one clue and one transfer have no campaign
    assert all_kinds["REFERRAL"]["open"] == kinds["REFERRAL"]["open"] + 1
    assert all_kinds["CLUE"]["open"] == kinds["CLUE"]["open"] + 1
    assert all_kinds["CASE_TRANSFER"]["overdue"] == kinds["CASE_TRANSFER"]["overdue"] + 1
    assert everything["campaign"] is None and campaign["campaign"]["title"] == CAMPAIGN


async def test_statistics_of_an_unknown_campaign_is_null(data: Api) -> None:
    assert (await data.gql(QUERY, campaign="没有这个专项", weeks=1))["statistics"] is None
