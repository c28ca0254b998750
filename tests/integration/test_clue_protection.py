"""Clues against the real event store and read tables: the reporter's identity is found
nowhere in plaintext, a referral is saved with the triage, reveals are recorded, keys rotate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from domain.application import CommandResult, RectifyApp
from domain.clocks import TIMEZONE, Period, due_at
from domain.clues import Clue, ClueStatus
from domain.errors import NotFound
from domain.names import agency_id, campaign_id
from domain.referrals import Referral
from domain.reporter_identity import KeyConfigurationError, ReporterIdentity, new_key
from projections import catch_up
from tests.integration.api_fixtures import CAMPAIGN, HEALTH, INSURANCE, import_known_ledger

PHONE, ID_NUMBER = "13912345678", "330102198805051234"
NAME, ADDRESS = "举报人赵六", "县城关镇幸福路8号"
REPORTER = ReporterIdentity(NAME, PHONE, ID_NUMBER, ADDRESS)
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TIMEZONE)


@pytest.fixture
def ledger_app(app: RectifyApp) -> RectifyApp:
    import_known_ledger(app)
    return app


def _receive(
    app: RectifyApp,
    reporter: ReporterIdentity | None = REPORTER,
    campaign: UUID | None = None,
    key: str | None = None,
) -> CommandResult:
    return app.receive_clue(
        agency_id(HEALTH), "HOTLINE_12320", "某美容院无证开展医疗美容，并骗取医保基金",
        actor="卫健局-接线员", institution="某美容院", reporter=reporter,
        real_name=reporter is not None, campaign=campaign, key=key, at=MONDAY,
    )  # fmt: skip


def _dump(database_url: str, schema: str) -> str:
    """Every text, bytea and jsonb value of every table of the schema, bytes decoded."""
    parts: list[str] = []
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND (data_type IN ('text', 'bytea', 'jsonb', 'json',"
            " 'character varying') OR data_type = 'ARRAY')",
            (schema,),
        ).fetchall()
        assert any(table == "rectify_events" for table, _, _ in columns)  # stored events
        for table, column, _ in columns:
            query = sql.SQL("SELECT {}::text, {} FROM {}.{}").format(
                sql.Identifier(column),
                sql.Identifier(column),
                sql.Identifier(schema),
                sql.Identifier(table),
            )
            for as_text, raw in conn.execute(query):
                parts.append(as_text or "")
                if isinstance(raw, bytes):
                    parts.append(raw.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_database_dump_never_holds_the_reporters_identity(
    ledger_app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    app = ledger_app
    clue = _receive(app).id
    app.refer_clue(clue, agency_id(INSURANCE), "涉嫌骗取医保基金", "卫健局-李四")
    app.reveal_reporter(clue, agency_id(INSURANCE), "核实举报内容", "医保局-调查员")
    app.reply_to_reporter(clue, "已移送县医保局查处", "电话", "卫健局-李四")
    catch_up(es_env, database_url, schema)
    dump = _dump(database_url, schema)
    assert "某美容院无证开展医疗美容" in dump  # the dump does read the events and rows
    assert "核实举报内容" in dump
    for secret in (PHONE, ID_NUMBER, NAME, ADDRESS):
        assert secret not in dump


def test_refer_saves_the_referral_with_the_clue(ledger_app: RectifyApp) -> None:
    app = ledger_app
    clue = _receive(app).id
    result = app.refer_clue(clue, agency_id(INSURANCE), "涉嫌骗取医保基金", "卫健局-李四")
    found = app.get_clue(clue)
    assert found.status is ClueStatus.REFERRED and found.referral_id is not None
    referral = app.get_referral(found.referral_id)
    assert isinstance(referral, Referral)
    assert (referral.subject_kind, referral.subject_id) == ("clue", clue)
    assert referral.sender_agency_id == agency_id(HEALTH)
    assert referral.receiver_agency_id == agency_id(INSURANCE)
    assert result.position is not None


def test_a_refused_referral_leaves_the_clue_untriaged(ledger_app: RectifyApp) -> None:
    app = ledger_app
    clue = _receive(app).id
    with pytest.raises(NotFound):
        app.refer_clue(clue, agency_id("不存在的局"), "r", "x")
    assert app.get_clue(clue).status is ClueStatus.RECEIVED


def test_reveal_records_who_when_and_why(ledger_app: RectifyApp) -> None:
    app = ledger_app
    clue = _receive(app).id
    identity, result = app.reveal_reporter(clue, agency_id(HEALTH), "联系举报人补充证据", "调查员")
    assert identity == REPORTER and result.position is not None
    events = list(app.repository.event_store.get(clue))
    revealed = [e for e in events if isinstance(e, Clue.ReporterRevealed)]
    assert len(revealed) == 1
    assert (revealed[0].reason, revealed[0].actor) == ("联系举报人补充证据", "调查员")


def test_reply_is_due_after_the_campaigns_reply_days(ledger_app: RectifyApp) -> None:
    app = ledger_app
    campaign = campaign_id(CAMPAIGN)
    app.set_clue_reply_days(campaign, 5, "协调办")
    clue = app.get_clue(_receive(app, campaign=campaign).id)
    calendar = app.referral_calendar(range(2026, 2028))
    assert clue.reply_days == 5
    assert clue.reply_due == due_at(calendar, MONDAY, Period.working_days(5))


def test_anonymous_report_owes_no_reply_and_cannot_be_revealed(ledger_app: RectifyApp) -> None:
    clue = ledger_app.get_clue(_receive(ledger_app, reporter=None).id)
    assert clue.anonymous and clue.reply_due is None and clue.sealed_identity is None


def test_intake_with_a_natural_key_is_received_once(ledger_app: RectifyApp) -> None:
    first = _receive(ledger_app, key="12320-2026-0001")
    again = _receive(ledger_app, key="12320-2026-0001")
    assert first.id == again.id and first.changed and not again.changed


@pytest.fixture
def keyed(es_env: dict[str, str]) -> Iterator[tuple[dict[str, str], str, str]]:
    yield es_env, new_key(), new_key()


def _app_with(env: dict[str, str], keys: str) -> RectifyApp:
    return RectifyApp(env={**env, "RECTIFY_IDENTITY_KEYS": keys})


def test_key_rotation_reseals_every_clue_and_retires_the_old_key(
    ledger_app: RectifyApp, keyed: tuple[dict[str, str], str, str]
) -> None:
    env, old, new = keyed
    with closing(_app_with(env, f"k1:{old}")) as before:
        named = _receive(before).id
        _receive(before, reporter=None)
        assert before.get_clue(named).identity_key_id == "k1"
    with closing(_app_with(env, f"k2:{new},k1:{old}")) as rotating:
        # Until resealed, the old key still opens it.
        assert rotating.reveal_reporter(named, agency_id(HEALTH), "核实", "x")[0] == REPORTER
        assert rotating.reseal_all_clues("密钥轮换") == [named]
        assert rotating.reseal_all_clues("密钥轮换") == []  # idempotent
        events = list(rotating.repository.event_store.get(named))
        assert isinstance(events[-1], Clue.IdentityResealed)
        assert events[-1].previous_key_id == "k1"
    with closing(_app_with(env, f"k2:{new}")) as after:
        assert after.reveal_reporter(named, agency_id(HEALTH), "核实", "x")[0] == REPORTER
    with closing(_app_with(env, f"k1:{old}")) as stale, pytest.raises(KeyConfigurationError):
        stale.reveal_reporter(named, agency_id(HEALTH), "核实", "x")


def test_an_identity_copied_into_the_content_is_withheld_before_it_is_stored(
    ledger_app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    """The intake staff typed the caller's name and number into the content too."""
    app = ledger_app
    app.receive_clue(
        agency_id(HEALTH), "HOTLINE_12320",
        f"{NAME}（电话{PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}）反映某美容院无证开展医疗美容",
        actor="卫健局-接线员", institution="某美容院", reporter=REPORTER, real_name=True,
        attachments=[f"录音-{PHONE}.mp3"], at=MONDAY,
    )  # fmt: skip
    catch_up(es_env, database_url, schema)
    dump = _dump(database_url, schema)

    assert "反映某美容院无证开展医疗美容" in dump and "[举报人信息已隐去]" in dump
    for secret in (PHONE, PHONE[:3] + "-" + PHONE[3:7], NAME):
        assert secret not in dump
