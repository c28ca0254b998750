"""What leaves for auditors speaks human and names nobody (issue 13 items 4 and 9): no
personal name from a clue anywhere in `rectify audit log`, in the forms clues really carry
them; case files and GraphQL trails with agencies by name, Chinese field labels and China
time."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.names import agency_id
from domain.reporter_identity import ReporterIdentity
from rectify.cli import app as cli
from tests.integration.api_fixtures import (
    HEALTH,
    MARKET,
    Api,
    api,
    import_known_ledger,
    issue,
    projection_thread,
)

FIXTURES = (api, projection_thread)
Run = Callable[..., Result]
POLICE = "县公安局"
NAMES = ("陈大明", "李某某")
PHONE = "１３５１２３４５６７８"
REPORTER, REPORTER_PHONE = "孙晓七", "Tel: 8801-2233"  # a number the patterns do not know


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def _clue_naming_people(app: RectifyApp) -> UUID:
    """A clue on a shop owner and a nurse, quoted in its text, its referral's reason and
    the answer to the referral, as staff write them."""
    for name in (HEALTH, POLICE):
        app.register_agency(name, actor="t")
    clue = app.receive_clue(
        agency_id(HEALTH), "HOTLINE_12320",
        f"店主陈大明在诊所无证行医，护士李某某协助，联系电话{PHONE}",
        actor="卫健局张三", institution="某某诊所", person="陈大明（店主）、李某某（护士）",
        reporter=ReporterIdentity(REPORTER, REPORTER_PHONE), real_name=True,
    ).id  # fmt: skip
    app.refer_clue(clue, agency_id(POLICE), "陈大明涉嫌非法行医，请查处", "卫健局张三")
    return clue


def _referral_of(app: RectifyApp, clue: UUID) -> UUID:
    referred = [e for e in app.audit_trail(clue) if e.event_type == "Referred"]
    return UUID(referred[0].payload["referral_id"])


def test_no_name_from_a_clue_appears_anywhere_in_the_log(
    app: RectifyApp, run: Run, tmp_path: Path
) -> None:
    clue = _clue_naming_people(app)
    app.reply_to_reporter(
        clue, f"{REPORTER}您好，已受理，回电{REPORTER_PHONE}", "PHONE", "卫健局张三"
    )
    referral = _referral_of(app, clue)
    app.claim_referral(referral, agency_id(POLICE), "公安局赵警官")
    app.answer_referral(referral, agency_id(POLICE), "已对店主陈大明立案侦查", "公安局赵警官")
    out = tmp_path / "log.ndjson"

    result = run("audit", "log", "--out", str(out))

    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for personal in (*NAMES, PHONE, REPORTER, REPORTER_PHONE):
        assert personal not in text
    assert "某某诊所" in text and "公安局赵警官" in text  # institutions and staff are kept
    assert "已对店主[已屏蔽]立案侦查" in text


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_a_case_file_of_the_clue_names_nobody(app: RectifyApp, run: Run, fmt: str) -> None:
    clue = _clue_naming_people(app)
    app.reply_to_reporter(clue, f"{REPORTER}您好，已受理", "PHONE", "卫健局张三")

    result = run("audit", "export", str(clue), "--format", fmt)

    assert result.exit_code == 0, result.output
    for personal in (*NAMES, PHONE, REPORTER):
        assert personal not in result.stdout


def _worked_issue(app: RectifyApp) -> UUID:
    import_known_ledger(app)
    item = UUID(issue("5"))
    app.request_extension(item, Deadline.on(date(2099, 6, 30)), "需第三方检测", "卫健局张三")
    app.approve_extension(item, "同意", "县领导李四")
    return item


def test_a_json_case_file_shows_agencies_by_name_labels_and_china_time(
    app: RectifyApp, run: Run
) -> None:
    item = _worked_issue(app)

    result = run("audit", "export", str(item))

    assert result.exit_code == 0, result.output
    case = json.loads(result.stdout)
    assert case["exported_at"].endswith("+08:00")
    assert all(e["at"].endswith("+08:00") for e in case["trail"])
    assert case["state"]["lead_agency_id"] == HEALTH
    assert case["labels"]["lead_agency_id"] == "牵头单位"
    assert case["labels"]["clock_keys"] == "已记录的时限节点"
    registered = {c["field"]: c for c in case["trail"][0]["changes"]}
    assert registered["lead_agency_id"]["label"] == "牵头单位"
    assert registered["lead_agency_id"]["after"] == HEALTH
    assert case["trail"][0]["payload"]["lead_agency_id"] == HEALTH
    assert case["state"]["created_on"].endswith("+08:00")
    assert [e["integrity"] for e in case["trail"]] == ["VERIFIED"] * 3


def test_an_html_case_file_speaks_in_labels_not_field_names(app: RectifyApp, run: Run) -> None:
    item = _worked_issue(app)

    result = run("audit", "export", str(item), "--format", "html")

    assert result.exit_code == 0, result.output
    page = result.stdout
    for shown in ("牵头单位", "已记录的时限节点", "整改时限", HEALTH, "+08:00"):
        assert shown in page
    for raw in ("lead_agency_id", "clock_keys", "co_agency_ids", str(agency_id(HEALTH))):
        assert raw not in page


TRAIL = """query($id: ID!) { auditTrail(id: $id) {
  at changes { field label before after beforeShown afterShown } } }"""


async def test_graphql_trail_changes_have_labels_agency_names_and_china_time(api: Api) -> None:
    trail = (await api.gql(TRAIL, "auditor", id=issue("4")))["auditTrail"]

    assert all(e["at"].endswith("+08:00") for e in trail)
    registered = {c["field"]: c for c in trail[0]["changes"]}
    lead = registered["lead_agency_id"]
    assert lead["label"] == "牵头单位"
    assert lead["after"] == str(agency_id(MARKET))  # the raw value stays for machines
    assert lead["afterShown"] == MARKET
    assert registered["created_on"]["afterShown"].endswith("+08:00")
