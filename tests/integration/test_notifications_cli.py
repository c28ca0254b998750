"""`rectify notifications add-webhook|add-email|list|remove` against real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from domain.application import RectifyApp
from domain.delivery import ChannelKind
from domain.names import agency_id
from rectify.cli import app as cli

Run = Callable[..., Result]
SECRET = "webhook-secret-0123456789"


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    monkeypatch.setenv("RECTIFY_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    invoke = lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)  # noqa: E731
    assert invoke("agency", "add", "县卫健局").exit_code == 0
    return invoke


def test_an_agency_gets_a_webhook_and_a_mailbox(run: Run, es_env: dict[str, str]) -> None:
    hook = run("notifications", "add-webhook", "县卫健局", "https://hook.example/r", "--secret",
               SECRET, "--kind", "overdue")  # fmt: skip
    mail = run("notifications", "add-email", "县卫健局", "ban@wsj.example.cn")
    assert (hook.exit_code, mail.exit_code) == (0, 0)
    ledger = RectifyApp(env=es_env)
    try:
        endpoints = {e.channel: e for e in ledger.endpoints_of(agency_id("县卫健局"))}
    finally:
        ledger.close()
    assert endpoints[ChannelKind.WEBHOOK].kinds == ("overdue",)
    assert endpoints[ChannelKind.EMAIL].address == "ban@wsj.example.cn"
    listed = run("notifications", "list", "县卫健局")
    assert "https://hook.example/r" in listed.stdout and SECRET not in listed.stdout


def test_a_removed_endpoint_is_no_longer_listed(run: Run, es_env: dict[str, str]) -> None:
    run("notifications", "add-email", "县卫健局", "ban@wsj.example.cn")
    ledger = RectifyApp(env=es_env)
    try:
        (endpoint,) = ledger.endpoints_of(agency_id("县卫健局"))
    finally:
        ledger.close()
    assert run("notifications", "remove", "县卫健局", str(endpoint.id)).exit_code == 0
    assert "ban@wsj.example.cn" not in run("notifications", "list", "县卫健局").stdout


def test_a_webhook_with_a_short_secret_is_refused_naming_the_field(run: Run) -> None:
    result = run("notifications", "add-webhook", "县卫健局", "https://x.example", "--secret", "k")
    assert result.exit_code == 1
    assert "secret" in result.stderr


def test_an_unknown_agency_is_refused(run: Run) -> None:
    result = run("notifications", "add-email", "不存在的局", "a@b.cn")
    assert result.exit_code == 1
    assert "不存在的局" in result.stderr
