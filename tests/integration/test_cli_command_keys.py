"""A CLI command runs under one idempotency key for its invocation: its write records the
key, and a second write meeting the key (a commit whose answer was lost, retried) is
reported as done instead of made twice. The long-running roles run without one."""

from __future__ import annotations

import sys
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from domain.application import CommandResult
from domain.command_keys import CommandAlreadyDone, current
from rectify import cli


@pytest.fixture
def env(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    monkeypatch.setenv("RECTIFY_HOME", str(tmp_path / "home"))


def _keys(database_url: str, schema: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(f'SELECT scope FROM "{schema}".command_keys').fetchall()
    return [row[0] for row in rows]


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["rectify", *args])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code in (0, None)


def test_a_cli_write_records_the_invocation_key(
    env: None, database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _main(monkeypatch, "agency", "add", "县卫健局")
    assert len(_keys(database_url, schema)) == 1
    _main(monkeypatch, "agency", "add", "县医保局")
    assert len(_keys(database_url, schema)) == 2  # a new invocation, a new key


def test_a_write_found_already_committed_is_reported_done(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def committed_before(prog_name: str) -> None:
        raise CommandAlreadyDone(CommandResult(uuid4(), 42))

    monkeypatch.setattr(sys, "argv", ["rectify", "agency", "add", "县卫健局"])
    monkeypatch.setattr(cli, "app", committed_before)
    cli.main()
    assert "已完成 / done (log position 42)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "keyed"),
    [(["agency", "add", "县卫健局"], True), (["serve"], False), (["worker"], False)],
)
def test_one_shot_commands_run_under_a_key_and_roles_without(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], keyed: bool
) -> None:
    seen: list[object] = []
    monkeypatch.setattr(sys, "argv", ["rectify", *argv])
    monkeypatch.setattr(cli, "app", lambda prog_name: seen.append(current.get()))
    cli.main()
    assert (seen[0] is not None) is keyed
