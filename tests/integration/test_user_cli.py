"""`rectify user …` and the first admin of `rectify run`, against real PostgreSQL."""

from __future__ import annotations

import stat
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner, Result

from api.passwords import verify_password
from domain.accounts import AccountStatus
from domain.application import RectifyApp
from domain.names import agency_id
from projections.runner import connect, ensure_schema
from rectify.cli import app as cli
from rectify.first_admin import PASSWORD_FILE, ensure_first_admin
from tests.integration.conftest import Run

PASSWORD = "correct horse battery"


@pytest.fixture
def typed(run: Run) -> object:
    """`rectify …` with text typed on standard input (the `run` fixture's environment)."""
    runner = CliRunner()
    return lambda text, *args: runner.invoke(cli, list(args), input=text, catch_exceptions=False)


def _add(typed: object, *args: str) -> Result:
    return typed(f"{PASSWORD}\n", "user", "add", *args, "--password-stdin")  # type: ignore[operator,no-any-return]


@pytest.fixture
def health(app: RectifyApp) -> str:
    app.register_agency("县卫健局", actor="admin")
    return "县卫健局"


def test_add_with_a_role_and_agency_creates_an_account_that_verifies(
    typed: object, app: RectifyApp, health: str
) -> None:
    result = _add(typed, "Zhang.San", "--name", "张三", "--role", "liaison", "--agency", health)
    assert result.exit_code == 0, result.output
    account = app.get_account("zhang.san")
    assert (account.display_name, account.role, account.agency_id) == (
        "张三",
        "liaison",
        agency_id(health),
    )
    assert verify_password(account.password_hash, PASSWORD)
    assert PASSWORD not in result.output


def test_add_reads_the_password_from_a_hidden_prompt_asked_twice(
    typed: object, app: RectifyApp
) -> None:
    result = typed(f"{PASSWORD}\n{PASSWORD}\n", "user", "add", "li.si")  # type: ignore[operator]
    assert result.exit_code == 0, result.output
    assert verify_password(app.get_account("li.si").password_hash, PASSWORD)
    assert PASSWORD not in result.output


def test_a_password_on_the_command_line_is_not_accepted(run: Run) -> None:
    result = run("user", "add", "li.si", "--password", PASSWORD)
    assert result.exit_code == 2


def test_a_short_password_is_refused_in_both_languages(typed: object, app: RectifyApp) -> None:
    result = typed("short\n", "user", "add", "li.si", "--password-stdin")  # type: ignore[operator]
    assert result.exit_code == 2
    assert "密码至少 8 个字符" in result.output and "at least 8 characters" in result.output
    assert app.find_account("li.si") is None


def test_a_liaison_without_an_agency_is_refused(typed: object, app: RectifyApp) -> None:
    result = _add(typed, "li.si", "--role", "liaison")
    assert result.exit_code == 1
    assert "agency" in result.output
    assert app.find_account("li.si") is None


def test_grant_revoke_lock_unlock_and_reset_change_the_account(
    run: Run, typed: object, app: RectifyApp, health: str
) -> None:
    assert _add(typed, "li.si").exit_code == 0
    assert (
        run("user", "grant", "li.si", "--role", "leadership", "--region", "某某县").exit_code == 0
    )
    assert (app.get_account("li.si").role, app.get_account("li.si").region) == (
        "leadership",
        "某某县",
    )
    assert run("user", "revoke", "li.si").exit_code == 0
    assert app.get_account("li.si").role is None
    assert run("user", "lock", "li.si").exit_code == 0
    assert app.get_account("li.si").status is AccountStatus.LOCKED
    assert run("user", "unlock", "li.si").exit_code == 0
    assert app.get_account("li.si").status is AccountStatus.ACTIVE
    reset = typed("another password\n", "user", "reset-password", "li.si", "--password-stdin")  # type: ignore[operator]
    assert reset.exit_code == 0
    assert verify_password(app.get_account("li.si").password_hash, "another password")
    assert run("user", "disable", "li.si").exit_code == 0
    refused = run("user", "unlock", "li.si")
    assert refused.exit_code == 1 and "已停用" in refused.output


def test_an_unknown_user_is_refused_naming_it(run: Run) -> None:
    result = run("user", "lock", "nobody.here")
    assert result.exit_code == 1
    assert "nobody.here" in result.output


def test_list_shows_every_account_and_never_a_password(
    run: Run, typed: object, health: str
) -> None:
    _add(typed, "zhang.san", "--name", "张三", "--role", "liaison", "--agency", health)
    _add(typed, "li.si", "--role", "auditor")
    shown = run("user", "list").output
    assert "zhang.san" in shown and "张三" in shown and health in shown
    assert "li.si" in shown and "auditor" in shown
    assert "argon2" not in shown and PASSWORD not in shown


def test_a_change_to_an_account_ends_its_web_sessions(
    run: Run, typed: object, database_url: str, schema: str
) -> None:
    _add(typed, "li.si", "--role", "auditor")
    with closing(connect(database_url, schema)) as conn:
        ensure_schema(conn, schema)
    now = datetime.now(UTC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(
            "INSERT INTO web_sessions (token_sha256, username, display_name, role, csrf_token,"
            " created_at, last_seen_at) VALUES ('k', 'li.si', '李四', 'auditor', 'c', %s, %s)",
            (now, now),
        )
        assert run("user", "lock", "li.si").exit_code == 0
        left = conn.execute("SELECT count(*) FROM web_sessions").fetchone()
    assert left == (0,)


def test_the_first_start_creates_an_admin_with_a_password_only_its_owner_reads(
    es_env: dict[str, str], tmp_path: Path, app: RectifyApp
) -> None:
    password = ensure_first_admin(es_env, tmp_path)
    assert password is not None and len(password) >= 16
    file = tmp_path / PASSWORD_FILE
    assert file.read_text(encoding="utf-8").strip() == password
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    admin = app.get_account("admin")
    assert admin.role == "admin" and verify_password(admin.password_hash, password)
    assert ensure_first_admin(es_env, tmp_path) is None  # an account exists: nothing more
    assert file.read_text(encoding="utf-8").strip() == password


def test_no_first_admin_when_an_account_exists(
    typed: object, es_env: dict[str, str], tmp_path: Path, app: RectifyApp
) -> None:
    _add(typed, "li.si", "--role", "auditor")
    assert ensure_first_admin(es_env, tmp_path) is None
    assert app.find_account("admin") is None
    assert not (tmp_path / PASSWORD_FILE).exists()
