"""Rebuilding read models: one or all, the same rows as incremental processing, the runner
held off meanwhile, and `rectify rebuild-projections [--model NAME]`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
from typer.testing import CliRunner

from domain.application import RectifyApp
from domain.delivery import ChannelKind
from domain.discipline_transfers import DisciplineOutcome, PersonCategory
from domain.names import agency_id, campaign_id
from domain.notices import Notice
from domain.referrals import ReturnReason
from domain.reporter_identity import ReporterIdentity
from domain.reporting import Cadence, CadenceKind
from infrastructure.calendar_data import build_calendar
from projections import catch_up, projection_position, rebuild_projections
from projections.changes import channel
from projections.registry import UnknownReadModel, model_names, read_tables
from projections.runner import connect, process_batch
from rectify.cli import app as cli
from tests.integration import test_projection
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    import_known_ledger,
    issue,
)
from workflows.notifier import issue_notices_in

POLICE, PROCURATORATE, COMMISSION = "县公安局", "县人民检察院", "县纪委监委"
WHO = "重建测试"


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with closing(connect(database_url, schema)) as conn:
        yield conn


def snapshot(db: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read table and the tracking row, all columns, in a total order."""
    found = {}
    for table in [*read_tables(), "projection_tracking"]:
        width = len(db.execute(f"SELECT * FROM {table} LIMIT 0").description or [])
        order = ", ".join(str(n) for n in range(1, width + 1))
        found[table] = db.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    return found


def _issues(app: RectifyApp) -> None:
    import_known_ledger(app)
    test_projection.run_lifecycle(app)  # every issue event on issue 1
    five = UUID(issue("5"))
    app.schedule_clock("issue", five, build_calendar())
    app.pause_clock(five, "等待检测", WHO)
    app.resume_clock(five, "检测完成", WHO)
    evidence = "sha256:" + "ab" * 32  # an uploaded file's reference (file_references)
    app.report_progress(five, agency_id(HEALTH), "附整改佐证材料", [evidence], WHO)


def _referrals(app: RectifyApp) -> None:
    health, insurance, market = agency_id(HEALTH), agency_id(INSURANCE), agency_id(MARKET)
    done = app.send_referral(insurance, health, "美容院开展医疗美容", actor=WHO).id
    app.claim_referral(done, health, WHO)
    app.answer_referral(done, health, "已查处", WHO, case_number="卫罚〔2026〕1号")
    app.accept_referral(done, "同意", WHO)
    back = app.send_referral(health, market, "药店串换药品", actor=WHO).id
    app.return_referral(back, market, ReturnReason.NOT_OUR_REMIT, "非本部门职责", WHO)
    app.send_referral(market, insurance, "诊所套保", actor=WHO)


def _clues(app: RectifyApp) -> None:
    health = agency_id(HEALTH)
    named = app.receive_clue(
        health,
        "HOTLINE_12320",
        "收受红包",
        actor=WHO,
        institution="县医院",
        reporter=ReporterIdentity("张三", "13800000000"),
        real_name=True,
    ).id
    app.handle_clue(named, "", WHO)
    app.reveal_reporter(named, health, "需要核实细节", WHO)
    app.reply_to_reporter(named, "已受理", "PHONE", WHO)
    referred = app.receive_clue(
        health, "HOTLINE_12320", "诊所套保", actor=WHO, institution="某诊所"
    ).id
    app.refer_clue(referred, agency_id(INSURANCE), "医保基金问题", WHO)
    dismissed = app.receive_clue(
        health, "HOTLINE_12320", "无具体事实", actor=WHO, institution="某药店"
    ).id
    app.dismiss_clue(dismissed, "缺少线索要素", WHO)


def _transfers(app: RectifyApp) -> None:
    health, police = agency_id(HEALTH), agency_id(POLICE)
    filed = app.report_case_transfer(health, police, "虚构病历骗保", actor=WHO).id
    app.approve_case_transfer(filed, "", WHO)
    app.send_case_transfer(filed, WHO)
    app.receive_case_transfer(filed, police, WHO)
    app.file_criminal_case(filed, police, "公刑〔2026〕7号", WHO)
    refused = app.report_case_transfer(health, police, "挂床住院", actor=WHO).id
    app.approve_case_transfer(refused, "", WHO)
    app.send_case_transfer(refused, WHO)
    app.receive_case_transfer(refused, police, WHO)
    app.refuse_case_transfer(refused, police, "证据不足", WHO)
    app.request_transfer_reconsideration(refused, "已达立案标准", WHO)
    commission = agency_id(COMMISSION)
    discipline = app.send_discipline_transfer(
        health, commission, "李四", PersonCategory.PUBLIC_OFFICIAL, "收受回扣", actor=WHO
    ).id
    app.receive_discipline_transfer(discipline, commission, WHO)
    app.decide_discipline_transfer(discipline, commission, DisciplineOutcome.OPENED, "", WHO)


def _progress(app: RectifyApp) -> None:
    """Issue 5: a coverage target and threshold, an inspection visited twice, a case, and a
    report owed by two agencies of which one has submitted."""
    campaign, health = campaign_id(CAMPAIGN), agency_id(HEALTH)
    app.set_coverage_target(campaign, "诊所", 20, 50, WHO, region="某县")
    app.set_case_threshold(campaign, 8, WHO)
    first, again = date(2026, 5, 6), date(2026, 6, 6)
    app.record_inspection(campaign, "某诊所", "诊所", health, first, "处方不规范", WHO, "某县")
    app.record_inspection(campaign, "某诊所", "诊所", health, again, "已整改", WHO, "某县")
    app.file_enforcement_case(health, "卫罚〔2026〕9号", first, WHO, campaign)
    duty = app.set_reporting_duty(
        campaign, "月报", Cadence(CadenceKind.MONTHLY, 10), [health, agency_id(MARKET)], WHO
    ).id
    report = app.open_report_due(duty, datetime(2026, 5, 1, tzinfo=UTC)).id
    app.submit_report(report, health, "本月无新增", WHO)


def _notices(app: RectifyApp) -> None:
    """The notices of the milestones so far, as the notifier issues them, and deliveries."""
    log = app.recorder.select_notifications(start=1, limit=100_000)
    assert issue_notices_in(app, log) > 0
    start = log[-1].id + 1
    notice = next(
        event.originator_id
        for event in map(
            app.mapper.to_domain_event,
            app.recorder.select_notifications(start=start, limit=100_000),
        )
        if isinstance(event, Notice.Issued)
    )
    health = agency_id(HEALTH)
    app.add_endpoint(
        health, ChannelKind.WEBHOOK, "https://hooks.example.org/a", secret="s" * 32, actor=WHO
    )
    app.add_endpoint(health, ChannelKind.EMAIL, "office@example.org", actor=WHO)
    hook, mail = app.endpoints_of(health)
    failed = app.open_delivery(notice, hook, health, "到期提醒").id
    app.record_delivery_failure(failed, 1, "HTTP 503", permanent=False)
    app.record_delivered(failed, 2, "HTTP 200")
    abandoned = app.open_delivery(notice, mail, health, "到期提醒").id
    app.abandon_delivery(abandoned, "邮箱不存在")


def _accounts(app: RectifyApp) -> None:
    """A web account granted, failing a sign-in, then locked (the accounts read model)."""
    app.add_account("zhang.san", "张三", "$argon2id$hash", WHO)
    app.grant_role("zhang.san", "liaison", agency_id(HEALTH), HEALTH, None, WHO)
    app.record_failed_sign_in("zhang.san", datetime(2026, 5, 6, tzinfo=UTC))
    app.lock_account("zhang.san", WHO)


HISTORY = ((_issues, 3), (_referrals, 2), (_clues, 5), (_transfers, 1), (_notices, 4),
           (_progress, 2), (_accounts, 2))  # fmt: skip


def write_history(app: RectifyApp) -> None:
    """A varied history touching every read table, written without projecting it."""
    for name in (POLICE, PROCURATORATE, COMMISSION):
        app.register_agency(name, actor=WHO)
    for step, _ in HISTORY:
        step(app)


def drive_history(app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str) -> None:
    """A varied history, projected incrementally in small batches as it is written."""
    for name in (POLICE, PROCURATORATE, COMMISSION):
        app.register_agency(name, actor=WHO)
    for step, batch in HISTORY:
        step(app)
        catch_up(es_env, database_url, schema, batch_size=batch)


@pytest.fixture
def history(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows incremental processing gave; every read table has some."""
    drive_history(app, es_env, database_url, schema)
    rows = snapshot(db)
    assert [table for table, found in rows.items() if not found] == []
    return rows


def test_rebuilding_all_models_gives_the_rows_of_incremental_processing(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
    history: dict[str, list[tuple[Any, ...]]],
) -> None:
    progress: list[tuple[int, int]] = []

    replayed = rebuild_projections(
        es_env, database_url, schema, lambda done, total: progress.append((done, total)), 7
    )

    events = len(app.recorder.select_notifications(start=1, limit=100_000))
    assert replayed == events
    assert progress[0] == (0, events) and progress[-1] == (events, events)
    assert snapshot(db) == history


def test_rebuilding_one_model_restores_its_rows_and_touches_no_other(
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
    history: dict[str, list[tuple[Any, ...]]],
) -> None:
    db.execute("UPDATE referrals SET status = 'DAMAGED'")
    db.execute("DELETE FROM referral_history WHERE version > 1")
    db.execute("UPDATE issues SET problem = 'DAMAGED'")

    rebuild_projections(es_env, database_url, schema, model="referral", batch_size=4)

    after = snapshot(db)
    assert after["referrals"] == history["referrals"]
    assert after["referral_history"] == history["referral_history"]
    assert after["issues"] != history["issues"]  # the ledger model was left alone
    assert all(after[t] == history[t] for t in history if t != "issues")


def test_rebuilding_progress_fills_the_case_numbers_an_upgrade_left_empty(
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
    history: dict[str, list[tuple[Any, ...]]],
) -> None:
    # progress.sql adds the column with '' for the cases projected before (ADR 0048)
    db.execute("UPDATE progress_cases SET number = ''")

    rebuild_projections(es_env, database_url, schema, model="progress", batch_size=3)

    assert snapshot(db)["progress_cases"] == history["progress_cases"]
    numbers = db.execute("SELECT number FROM progress_cases").fetchall()
    assert numbers == [("卫罚〔2026〕9号",)]


def test_a_rebuilt_model_is_exactly_as_fresh_as_the_others(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    db: psycopg.Connection[Any],
    history: dict[str, list[tuple[Any, ...]]],
) -> None:
    reached = projection_position(database_url, schema)
    late = app.send_referral(agency_id(HEALTH), agency_id(MARKET), "新的移送", actor=WHO).id

    rebuild_projections(es_env, database_url, schema, model="referral")

    assert projection_position(database_url, schema) == reached
    assert snapshot(db) == history  # the referral written after the runner's position: not yet
    assert catch_up(es_env, database_url, schema) > 0
    rows = db.execute("SELECT count(*) FROM referrals WHERE id = %s", (late,)).fetchone()
    assert rows == (1,)


def test_the_runner_waits_while_a_model_is_rebuilt(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> None:
    import_known_ledger(app)
    catch_up(es_env, database_url, schema)
    app.send_referral(agency_id(HEALTH), agency_id(MARKET), "移送", actor=WHO)
    refused: list[type[BaseException]] = []

    def try_a_runner_batch(done: int, total: int) -> None:
        if done:  # called inside the rebuild's transaction, after some events are replayed
            return
        with closing(connect(database_url, schema)) as other:
            other.execute("SET lock_timeout = '200ms'")
            try:
                process_batch(other, app, channel(schema))
            except psycopg.errors.LockNotAvailable as error:
                refused.append(type(error))

    rebuild_projections(es_env, database_url, schema, try_a_runner_batch, model="ledger")

    assert refused == [psycopg.errors.LockNotAvailable]
    assert catch_up(es_env, database_url, schema) == 1  # the referral, applied once, after


def test_an_unknown_model_name_is_refused_listing_the_known_ones(
    es_env: dict[str, str], database_url: str, schema: str
) -> None:
    with pytest.raises(UnknownReadModel) as refused:
        rebuild_projections(es_env, database_url, schema, model="issuez")

    assert all(name in str(refused.value) for name in model_names())


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_the_command_rebuilds_the_named_model(run, app: RectifyApp, db: Any) -> None:  # type: ignore[no-untyped-def]
    import_known_ledger(app)
    run("rebuild-projections")
    db.execute("UPDATE issues SET problem = 'DAMAGED'")

    result = run("rebuild-projections", "--model", "ledger")

    assert result.exit_code == 0, result.output
    assert "rebuilt ledger" in result.output
    assert db.execute("SELECT count(*) FROM issues WHERE problem = 'DAMAGED'").fetchone() == (0,)


def test_the_command_refuses_an_unknown_model_listing_the_known_ones(run) -> None:  # type: ignore[no-untyped-def]
    result = run("rebuild-projections", "--model", "issuez")

    assert result.exit_code == 1
    assert "issuez" in result.output
    assert all(name in result.output for name in model_names())
