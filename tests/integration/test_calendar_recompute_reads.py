"""What readers see of a due a loaded calendar moved (ADR 0023): the read tables and GraphQL
show the new due, the history lists the recompute, and `provisional` marks a running
clock's due in a year without an official arrangement until one is loaded.

The audit's case: sent / reported / received 2026-12-30 10:00; the provisional 2027
calendar gives the dues, an arrangement making 4–6 January holidays moves them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import psycopg

from domain.application import RectifyApp
from domain.calendar import YearArrangement
from domain.calendar.service import load_arrangement
from domain.clocks import TIMEZONE
from domain.reporter_identity import ReporterIdentity
from infrastructure.calendar_data import build_calendar
from infrastructure.stored_calendar import StoredCalendar
from tests.integration.api_fixtures import (
    HEALTH,
    MARKET,
    Api,
    api,
    projection_thread,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
AT = datetime(2026, 12, 30, 10, 0, tzinfo=TIMEZONE)
REFERRAL = """query($id: ID!) {
  referral(id: $id) { claimDue dueAt provisional history { type summary } } }"""
TRANSFER = """query($id: ID!) {
  caseTransfer(id: $id) { dueAt dueStep provisional history { type summary } } }"""
CLUE = "query($id: ID!) { clue(id: $id) { replyDue provisional history { type summary } } }"


def end_of(day: date) -> str:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=TIMEZONE).isoformat()


def official_2027() -> YearArrangement:
    rule = build_calendar().arrangement(2027)
    days_off = rule.holidays | {date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6)}
    return YearArrangement(2027, days_off, rule.working_days)


def load_2027(app: RectifyApp) -> None:
    official = official_2027()
    load_arrangement(app, 2027, sorted(official.holidays), [], "国办发明电（测试）", "admin")


def same_instant(text: str, expected: str) -> bool:
    return datetime.fromisoformat(text) == datetime.fromisoformat(expected)


async def read(api: Api, app: RectifyApp, query: str, item: UUID, **who: Any) -> dict[str, Any]:
    await wait_until_projected(api.client, app)
    data = await api.gql(query, id=str(item), **who)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def test_reads_show_the_moved_dues_their_history_and_the_provisional_mark(
    api: Api, app: RectifyApp, database_url: str, schema: str
) -> None:
    app.calendar_source = StoredCalendar
    market, health = app.find_agency(MARKET), app.find_agency(HEALTH)
    assert market and health
    police = app.register_agency("县公安局", actor="admin").id
    referral = app.send_referral(market, health, "医疗美容", actor="张三", at=AT).id
    transfer = app.report_case_transfer(health, police, "骗保", actor="执法员", at=AT).id
    clue = app.receive_clue(
        health, "HOTLINE_12320", "某诊所收取回扣", actor="接线员", institution="某诊所",
        reporter=ReporterIdentity("实名举报人", "13600000000"), real_name=True, at=AT,
    ).id  # fmt: skip

    before = await read(api, app, REFERRAL, referral)
    assert same_instant(before["dueAt"], end_of(date(2027, 1, 5)))
    assert before["provisional"] is True  # 2027 has no official arrangement yet
    assert (await read(api, app, TRANSFER, transfer))["provisional"] is True
    assert (await read(api, app, CLUE, clue, role="liaison", agency=HEALTH))["provisional"]

    load_2027(app)
    for kind, item in (("referral", referral), ("case-transfer", transfer), ("clue", clue)):
        _, changed = app.schedule_clock(kind, item, StoredCalendar(app))  # the clock's read
        assert changed

    after = await read(api, app, REFERRAL, referral)
    assert same_instant(after["claimDue"], end_of(date(2027, 1, 8)))
    assert same_instant(after["dueAt"], end_of(date(2027, 1, 8)))
    assert after["provisional"] is False
    last = after["history"][-1]
    assert last["type"] == "DueDateRecomputed"
    assert "签收期限由 2027-01-05 改为 2027-01-08" in last["summary"]
    assert "国办发明电（测试） (v2)" in last["summary"]

    moved = await read(api, app, TRANSFER, transfer)
    assert (moved["dueStep"], moved["provisional"]) == ("approval", False)
    assert same_instant(moved["dueAt"], end_of(date(2027, 1, 7)))
    assert moved["history"][-1]["type"] == "DueDateRecomputed"
    assert "负责人决定期限由 2027-01-04 改为 2027-01-07" in moved["history"][-1]["summary"]

    replied = await read(api, app, CLUE, clue, role="liaison", agency=HEALTH)
    reply_day = build_calendar([official_2027()]).add_working_days(AT.date(), 15)
    assert same_instant(replied["replyDue"], end_of(reply_day))
    assert replied["provisional"] is False
    assert replied["history"][-1]["type"] == "DueDateRecomputed"
    assert "答复举报人期限由" in replied["history"][-1]["summary"]

    # The dashboard's figures judge the moved due too.
    with psycopg.connect(database_url) as conn:
        rows = dict(
            conn.execute(
                f'SELECT item_id, due_date FROM "{schema}".stat_items WHERE item_id = ANY(%s)',
                ([referral, transfer],),
            ).fetchall()
        )
    assert rows == {referral: date(2027, 1, 8), transfer: date(2027, 1, 7)}
