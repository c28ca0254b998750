"""Audit trails, states as of a time or version, case files and the NDJSON log, on
PostgreSQL: what each event changed, what the API showed back then, and that the
reporter's identity never leaves."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner, Result

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.errors import InvalidInput, NotFound
from domain.names import agency_id
from domain.reporter_identity import PROTECTED, ReporterIdentity
from rectify.cli import app as cli
from tests.integration.api_fixtures import (
    HEALTH,
    INSURANCE,
    MARKET,
    Api,
    api,
    import_known_ledger,
    issue,
    projection_thread,
    token,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
PHONE, NAME = "13987654321", "实名举报人孙七"
Run = Callable[..., Result]

TRAIL = """query($id: ID!) { auditTrail(id: $id) {
  version at actor type topic changes { field before after } payload } }"""
AS_OF = """query($id: ID!, $at: DateTime, $version: Int) {
  itemAsOf(id: $id, at: $at, version: $version) }"""
ISSUE = """query($id: ID!) { issue(id: $id) {
  status cycle pendingExtensionDue deadline { dueDate text } } }"""


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def work_through(app: RectifyApp, item: UUID) -> None:
    """Progress, an approved extension, submission and sign-off."""
    app.report_progress(item, agency_id(HEALTH), "已约谈涉事医院", ["约谈记录.pdf"], "卫健局张三")
    app.request_extension(item, Deadline.on(date(2099, 6, 30)), "需第三方检测", "卫健局张三")
    app.approve_extension(item, "同意", "县领导李四")
    app.submit_for_verification(item, "已整改完毕", "卫健局张三")
    app.sign_off(item, "核验通过", "协调办王五")


def receive_clue(app: RectifyApp) -> UUID:
    app.register_agency(HEALTH, actor="t")
    return app.receive_clue(
        agency_id(HEALTH),
        "HOTLINE_12320",
        "无证开展医疗美容",
        actor="卫健局张三",
        institution="某美容院",
        reporter=ReporterIdentity(NAME, PHONE, "440301197707071234"),
        real_name=True,
    ).id


def changes(entry: Any) -> dict[str, tuple[Any, Any]]:
    return {c.field: (c.before, c.after) for c in entry.changes}


# -- the domain: trail and as-of ---------------------------------------------------------


def test_trail_names_who_when_and_the_fields_each_event_changed(app: RectifyApp) -> None:
    import_known_ledger(app)
    item = UUID(issue("5"))
    work_through(app, item)

    trail = app.audit_trail(item)

    assert [e.event_type for e in trail] == [
        "Registered",
        "ProgressReported",
        "ExtensionRequested",
        "ExtensionApproved",
        "SubmittedForVerification",
        "SignedOff",
    ]
    assert [e.version for e in trail] == [1, 2, 3, 4, 5, 6]
    assert [e.actor for e in trail][1:] == [
        "卫健局张三",
        "卫健局张三",
        "县领导李四",
        "卫健局张三",
        "协调办王五",
    ]
    assert all(a.at <= b.at for a, b in itertools.pairwise(trail))
    assert changes(trail[0])["status"] == (None, "OPEN")
    # a progress report changes nothing but the time of the last review (ADR 0026)
    assert changes(trail[1]) == {"reviewed_at": (None, trail[1].at.isoformat())}
    assert trail[1].payload["text"] == "已约谈涉事医院"
    assert changes(trail[2])["pending_extension"][1]["due_date"] == "2099-06-30"
    approved = changes(trail[3])
    assert approved["deadline"][0]["due_date"] == "2099-03-31"
    assert approved["deadline"][1]["due_date"] == "2099-06-30"
    assert approved["pending_extension"][1] is None
    assert changes(trail[4])["status"] == ("OPEN", "SUBMITTED")
    assert changes(trail[5])["status"] == ("SUBMITTED", "CLOSED")


def test_state_as_of_a_version_is_the_state_right_after_that_event(app: RectifyApp) -> None:
    import_known_ledger(app)
    item = UUID(issue("5"))
    work_through(app, item)

    third = app.state_as_of(item, version=3)

    assert third["version"] == 3
    assert third["status"] == "OPEN"
    assert third["deadline"]["due_date"] == "2099-03-31"
    assert third["pending_extension"]["due_date"] == "2099-06-30"
    assert app.state_as_of(item)["status"] == "CLOSED"


def test_state_as_of_a_time_between_two_events_is_the_earlier_ones(app: RectifyApp) -> None:
    import_known_ledger(app)
    item = UUID(issue("5"))
    work_through(app, item)
    trail = app.audit_trail(item)

    between = app.state_as_of(item, at=trail[3].at)

    assert between["version"] == 4
    assert between["deadline"]["due_date"] == "2099-06-30"
    assert between["status"] == "OPEN"


def test_state_as_of_a_time_and_a_later_version_is_the_state_at_that_time(
    app: RectifyApp,
) -> None:
    """The version bound is one the item has (6 events): the time decides."""
    import_known_ledger(app)
    item = UUID(issue("5"))
    work_through(app, item)
    trail = app.audit_trail(item)

    both = app.state_as_of(item, at=trail[1].at, version=len(trail))

    assert both["version"] == 2


def test_state_before_the_item_existed_is_not_found(app: RectifyApp) -> None:
    import_known_ledger(app)
    with pytest.raises(NotFound):
        app.state_as_of(UUID(issue("5")), at=datetime(2000, 1, 1, tzinfo=UTC))


def test_state_as_of_a_version_past_the_last_one_is_not_found(app: RectifyApp) -> None:
    import_known_ledger(app)
    item = UUID(issue("5"))
    with pytest.raises(NotFound, match="has 1 versions"):
        app.state_as_of(item, version=2)


def test_trail_of_an_unknown_item_is_not_found(app: RectifyApp) -> None:
    with pytest.raises(NotFound):
        app.audit_trail(UUID(int=7))


def test_state_as_of_a_time_without_offset_is_refused(app: RectifyApp) -> None:
    import_known_ledger(app)
    with pytest.raises(InvalidInput) as refused:
        app.state_as_of(UUID(issue("5")), at=datetime(2099, 1, 1))
    assert refused.value.field == "at"


def test_trail_and_state_show_the_reporter_only_as_protected(app: RectifyApp) -> None:
    clue = receive_clue(app)
    sealed = app.get_clue(clue).sealed_identity
    assert sealed is not None

    trail = app.audit_trail(clue)
    state = app.state_as_of(clue)

    assert state["sealed_identity"] == PROTECTED
    assert trail[0].payload["sealed_identity"] == PROTECTED
    text = json.dumps([state, [e.payload for e in trail]], ensure_ascii=False) + repr(trail)
    for secret in (PHONE, NAME, sealed["ct"]):
        assert secret not in text


# -- GraphQL -----------------------------------------------------------------------------


async def test_item_as_of_a_past_time_equals_what_the_issue_query_showed(
    api: Api, app: RectifyApp
) -> None:
    item = issue("5")
    app.report_progress(UUID(item), agency_id(HEALTH), "已约谈", [], "卫健局张三")
    app.request_extension(UUID(item), Deadline.on(date(2099, 6, 30)), "需检测", "卫健局张三")
    await wait_until_projected(api.client, app)
    shown = (await api.gql(ISSUE, id=item))["issue"]
    seen_at = datetime.now(UTC)
    app.approve_extension(UUID(item), "同意", "县领导李四")
    app.submit_for_verification(UUID(item), "已整改", "卫健局张三")
    app.sign_off(UUID(item), "通过", "协调办王五")
    await wait_until_projected(api.client, app)
    assert (await api.gql(ISSUE, id=item))["issue"]["status"] == "CLOSED"

    then = (await api.gql(AS_OF, "auditor", id=item, at=seen_at.isoformat()))["itemAsOf"]

    assert then["status"] == shown["status"] == "OPEN"
    assert then["cycle"] == shown["cycle"]
    assert then["deadline"]["due_date"] == shown["deadline"]["dueDate"]
    assert then["deadline"]["text"] == shown["deadline"]["text"]
    assert then["pending_extension"]["due_date"] == shown["pendingExtensionDue"] == "2099-06-30"


async def test_item_as_of_a_version_through_graphql(api: Api) -> None:
    item = issue("4")  # registered, submitted, signed off
    first = (await api.gql(AS_OF, "coordinator", id=item, version=1))["itemAsOf"]
    assert first["status"] == "OPEN"
    assert first["version"] == 1


async def test_item_as_of_a_version_past_the_end_is_refused_naming_the_version(
    api: Api,
) -> None:
    item = issue("4")  # three events
    assert (await api.gql(AS_OF, "coordinator", id=item, version=3))["itemAsOf"]["version"] == 3

    response = await api.client.post(
        "/graphql",
        json={"query": AS_OF, "variables": {"id": item, "version": 4}},
        headers={"Authorization": "Bearer " + token("coordinator")},
    )
    answer = response.json()

    assert answer["data"]["itemAsOf"] is None
    [error] = answer["errors"]
    assert error["message"] == "version: 该事项只有 3 个版本 / the item has only 3 versions"
    assert error["extensions"]["field"] == "version"


async def test_auditor_reads_the_trail_with_before_and_after(api: Api) -> None:
    trail = (await api.gql(TRAIL, "auditor", id=issue("4")))["auditTrail"]
    assert [e["type"] for e in trail] == ["Registered", "SubmittedForVerification", "SignedOff"]
    signed = {c["field"]: c for c in trail[2]["changes"]}
    assert (signed["status"]["before"], signed["status"]["after"]) == ("SUBMITTED", "CLOSED")
    assert trail[2]["actor"] == "协调办"


async def test_liaison_of_the_lead_agency_reads_its_issues_trail(api: Api) -> None:
    trail = (await api.gql(TRAIL, "liaison", HEALTH, id=issue("1")))["auditTrail"]
    assert trail[0]["type"] == "Registered"


async def test_liaison_of_a_co_responsible_agency_reads_the_trail(api: Api) -> None:
    trail = (await api.gql(TRAIL, "liaison", INSURANCE, id=issue("1")))["auditTrail"]
    assert len(trail) == 1


async def _answer(
    api: Api, query: str, role: str, agency: str | None, item: str = ""
) -> dict[str, Any]:
    from tests.integration.api_fixtures import token

    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": {"id": item or issue("4")}},
        headers={"Authorization": "Bearer " + token(role, agency)},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


UNKNOWN = str(UUID(int=7))


@pytest.mark.parametrize(
    ("query", "field"), [(TRAIL, "auditTrail"), (AS_OF, "itemAsOf")], ids=["trail", "as-of"]
)
@pytest.mark.parametrize(
    ("role", "agency"), [("liaison", INSURANCE), ("investigator", HEALTH), ("agency_head", HEALTH)]
)
async def test_another_agencys_item_is_answered_exactly_as_an_unknown_one(
    api: Api, query: str, field: str, role: str, agency: str
) -> None:
    """Issue 4 is 县市场监管局's: a refusal there and null for an unknown id would tell a
    liaison which ids exist (issue 12)."""
    theirs = await _answer(api, query, role, agency, issue("4"))
    unknown = await _answer(api, query, role, agency, UNKNOWN)

    assert theirs == unknown == {"data": {field: None}}


@pytest.mark.parametrize(
    ("query", "field"), [(TRAIL, "auditTrail"), (AS_OF, "itemAsOf")], ids=["trail", "as-of"]
)
@pytest.mark.parametrize("role", ["auditor", "coordinator", "admin"])
async def test_a_reader_of_every_item_still_tells_an_unknown_id_from_an_existing_one(
    api: Api, query: str, field: str, role: str
) -> None:
    existing = await _answer(api, query, role, None, issue("4"))
    unknown = await _answer(api, query, role, None, UNKNOWN)

    assert existing["data"][field]
    assert unknown == {"data": {field: None}}


async def test_the_own_agency_still_reads_its_item_that_others_get_null_for(api: Api) -> None:
    own = await _answer(api, TRAIL, "liaison", MARKET, issue("4"))
    assert own["data"]["auditTrail"][0]["type"] == "Registered"


async def test_leadership_may_not_read_the_trail(api: Api) -> None:
    """A role that reads no history is refused whatever the id: that tells nothing."""
    for item in (issue("4"), UNKNOWN):
        errors = (await _answer(api, TRAIL, "leadership", None, item)).get("errors") or []
        assert "only auditors" in errors[0]["message"]


async def test_trail_of_an_unknown_item_is_null(api: Api) -> None:
    assert (await api.gql(TRAIL, "auditor", id=UNKNOWN))["auditTrail"] is None


# -- the CLI: case files and the NDJSON log ----------------------------------------------


def test_export_json_holds_the_state_and_the_whole_history(
    app: RectifyApp, run: Run, tmp_path: Path
) -> None:
    import_known_ledger(app)
    work_through(app, UUID(issue("5")))
    out = tmp_path / "case.json"

    result = run("audit", "export", issue("5"), "--out", str(out))

    assert result.exit_code == 0, result.output
    case = json.loads(out.read_text(encoding="utf-8"))
    assert case["state"]["status"] == "CLOSED"
    assert [e["event"] for e in case["trail"]][-2:] == ["SubmittedForVerification", "SignedOff"]
    assert case["trail"][3]["changes"][0]["field"] == "deadline"


def test_export_html_is_a_printable_page_with_the_history(app: RectifyApp, run: Run) -> None:
    import_known_ledger(app)
    work_through(app, UUID(issue("5")))

    result = run("audit", "export", issue("5"), "--format", "html")

    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http" not in page
    for label in (
        "案卷",
        "全部经过",
        "操作人",
        "变更前",
        "变更后",
        "ExtensionApproved",
        "协调办王五",
    ):
        assert label in page


def test_export_of_a_clue_masks_the_reporter(app: RectifyApp, run: Run) -> None:
    clue = receive_clue(app)
    for fmt in ("json", "html"):
        result = run("audit", "export", str(clue), "--format", fmt)
        assert result.exit_code == 0, result.output
        assert PHONE not in result.stdout and NAME not in result.stdout
        assert "受保护" in result.stdout


SUSPECT, SUBJECT, PERSON = "嫌疑人赵六", "党员医生钱八", "被举报医生周九"
SUSPECT_PHONE = "13700001111"


def _person_data(app: RectifyApp) -> tuple[UUID, UUID, UUID]:
    """A clue reporting on a person, a case transfer naming a suspect (also in its facts),
    and a discipline transfer naming a party member: what exports must not carry."""
    from domain.discipline_transfers import PersonCategory

    for name in (HEALTH, "县公安局", "县纪委监委"):
        app.register_agency(name, actor="t")
    clue = app.receive_clue(
        agency_id(HEALTH), "HOTLINE_12320", f"{PERSON}收受红包", actor="卫健局张三",
        institution="县医院", person=PERSON,
    ).id  # fmt: skip
    transfer = app.report_case_transfer(
        agency_id(HEALTH), agency_id("县公安局"),
        f"{SUSPECT}（电话{SUSPECT_PHONE}）虚构病历骗保", actor="卫健局张三", suspect=SUSPECT,
    ).id  # fmt: skip
    discipline = app.send_discipline_transfer(
        agency_id(HEALTH), agency_id("县纪委监委"), SUBJECT, PersonCategory.PARTY_MEMBER,
        "收受回扣", actor="卫健局张三",
    ).id  # fmt: skip
    return clue, transfer, discipline


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_export_masks_the_person_a_clue_reports_on_and_keeps_the_institution(
    app: RectifyApp, run: Run, fmt: str
) -> None:
    clue, _, _ = _person_data(app)

    result = run("audit", "export", str(clue), "--format", fmt)

    assert result.exit_code == 0, result.output
    assert PERSON not in result.stdout
    assert "已屏蔽" in result.stdout and "县医院" in result.stdout and "卫健局张三" in result.stdout


def test_export_of_a_case_transfer_masks_the_suspect_in_state_trail_and_facts(
    app: RectifyApp, run: Run
) -> None:
    _, transfer, _ = _person_data(app)

    result = run("audit", "export", str(transfer))

    assert result.exit_code == 0, result.output
    case = json.loads(result.stdout)
    assert case["state"]["suspect"] == "已屏蔽 / masked"
    assert case["trail"][0]["payload"]["suspect"] == "已屏蔽 / masked"
    assert "虚构病历骗保" in case["state"]["facts"]
    assert SUSPECT not in result.stdout and SUSPECT_PHONE not in result.stdout


def test_export_of_a_discipline_transfer_masks_the_person_it_names(
    app: RectifyApp, run: Run
) -> None:
    _, _, discipline = _person_data(app)

    result = run("audit", "export", str(discipline), "--format", "html")

    assert result.exit_code == 0, result.output
    assert SUBJECT not in result.stdout and "县纪委监委" in result.stdout


def test_log_masks_persons_suspects_and_their_phone_numbers(
    app: RectifyApp, run: Run, tmp_path: Path
) -> None:
    clue, transfer, discipline = _person_data(app)
    out = tmp_path / "log.ndjson"

    result = run("audit", "log", "--out", str(out))

    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for personal in (PERSON, SUSPECT, SUBJECT, SUSPECT_PHONE):
        assert personal not in text
    lines = {line["stream"]: line for line in map(json.loads, text.splitlines())}
    assert lines[str(clue)]["payload"]["person"] == "已屏蔽 / masked"
    assert lines[str(clue)]["payload"]["institution"] == "县医院"
    assert lines[str(transfer)]["payload"]["suspect"] == "已屏蔽 / masked"
    assert lines[str(discipline)]["payload"]["person"] == "已屏蔽 / masked"


def test_export_of_an_unknown_item_exits_1(app: RectifyApp, run: Run) -> None:
    result = run("audit", "export", str(UUID(int=7)))
    assert result.exit_code == 1
    assert "not found" in result.stderr


def test_export_refuses_an_unknown_format(app: RectifyApp, run: Run) -> None:
    result = run("audit", "export", issue("5"), "--format", "pdf")
    assert result.exit_code == 2


def test_log_has_one_line_per_event_with_its_hash_and_no_reporter(
    app: RectifyApp, run: Run, tmp_path: Path, database_url: str, schema: str
) -> None:
    import_known_ledger(app)
    clue = receive_clue(app)
    out = tmp_path / "log.ndjson"

    result = run("audit", "log", "--out", str(out))

    assert result.exit_code == 0, result.output
    with psycopg.connect(database_url) as conn:
        query = sql.SQL("SELECT count(*) FROM {}.rectify_events").format(sql.Identifier(schema))
        row = conn.execute(query).fetchone()
    assert row is not None
    text = out.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == row[0]
    assert [line["position"] for line in lines] == sorted(line["position"] for line in lines)
    assert all(len(line["hash"]) == 64 for line in lines)
    received = next(line for line in lines if line["stream"] == str(clue))
    assert received["payload"]["sealed_identity"] == PROTECTED
    assert received["version"] == 1 and received["topic"] == "rectify:Clue.Received"
    assert PHONE not in text and NAME not in text


def test_log_streams_in_batches_smaller_than_the_log(app: RectifyApp, tmp_path: Path) -> None:
    import io

    from rectify.case_files import write_log

    import_known_ledger(app)
    buffer = io.StringIO()
    count = write_log(app, buffer, batch=2)
    assert count == len(buffer.getvalue().splitlines()) > 2


def test_log_masks_webhook_signing_secrets(app: RectifyApp, run: Run, tmp_path: Path) -> None:
    from domain.delivery import ChannelKind

    import_known_ledger(app)
    secret = "s3cret-webhook-signing-key"
    app.add_endpoint(
        agency_id(HEALTH), ChannelKind.WEBHOOK, "https://hooks.example/rectify",
        secret=secret, actor="管理员",
    )  # fmt: skip
    out = tmp_path / "log.ndjson"

    result = run("audit", "log", "--out", str(out))

    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "hooks.example" in text  # the endpoint's event is there
    assert secret not in text


async def test_the_procuratorate_and_the_commission_read_the_trails_they_are_party_to(
    api: Api, app: RectifyApp
) -> None:
    """The procuratorate supervising a transfer and the commission a discipline transfer
    went to read their trails, as they read the items themselves."""
    procuratorate = app.register_agency("县人民检察院", actor="t").id
    _, transfer, discipline = _person_data(app)
    app.approve_case_transfer(transfer, "同意移送", "负责人")
    app.send_case_transfer(transfer, "执法员")
    app.receive_case_transfer(transfer, agency_id("县公安局"), "民警")
    app.refuse_case_transfer(transfer, agency_id("县公安局"), "证据不足", "民警")
    app.request_transfer_supervision(transfer, procuratorate, "不予立案理由不成立", "执法员")

    for item, agency in ((transfer, "县人民检察院"), (discipline, "县纪委监委")):
        trail = (await api.gql(TRAIL, "liaison", agency, id=str(item)))["auditTrail"]
        assert trail and trail[0]["version"] == 1, agency
    outsider = await _answer(api, TRAIL, "liaison", INSURANCE, str(transfer))
    assert outsider == {"data": {"auditTrail": None}}


def test_state_as_of_holds_the_words_the_item_views_show(app: RectifyApp) -> None:
    """An answer's outcome and case number, a refusal's reasons, a triage note: what the
    referral, case transfer and clue views showed at the time, rebuilt from the log."""
    _, transfer, _ = _person_data(app)
    health, police = agency_id(HEALTH), agency_id("县公安局")
    insurance = app.register_agency(INSURANCE, actor="t").id
    referral = app.send_referral(health, insurance, "涉嫌骗保", actor="卫健局张三").id
    app.claim_referral(referral, insurance, "医保局李四")
    app.answer_referral(
        referral, insurance, "已立案调查，追回基金", "医保局李四", measures=["追回基金"],
        penalties="罚款5万元", case_number="医保罚〔2026〕3号",
    )  # fmt: skip
    app.approve_case_transfer(transfer, "同意移送", "负责人")
    app.send_case_transfer(transfer, "执法员")
    app.receive_case_transfer(transfer, police, "民警")
    app.refuse_case_transfer(transfer, police, "证据不足，不予立案", "民警")
    clue = app.receive_clue(health, "MAILBOX", "某诊所无证行医", actor="t", institution="某诊所").id
    app.handle_clue(clue, "本局立案核查", "卫健局张三")

    answered = app.state_as_of(referral)
    assert (answered["outcome"], answered["case_number"]) == (
        "已立案调查，追回基金",
        "医保罚〔2026〕3号",
    )
    assert answered["penalties"] == "罚款5万元"
    assert app.state_as_of(referral, version=2)["outcome"] == ""  # before the answer
    assert app.state_as_of(transfer)["outcome"] == "证据不足，不予立案"
    assert app.state_as_of(clue)["triage_note"] == "本局立案核查"
