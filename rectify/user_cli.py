"""`rectify user …`: web accounts (domain/accounts.py, ADR 0042).

Passwords are read from a hidden prompt (asked twice) or, for scripts, from the first line
of standard input with `--password-stdin`; never from the command line, where `ps` and
the shell's history would show them. A change to an account (grant, revoke, new password,
lock) ends its open web sessions: it signs in again under the new terms.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from uuid import UUID

import psycopg
import typer
from psycopg import sql
from rich.console import Console
from rich.table import Table

from api.passwords import hash_password
from api.sessions import END_USER_PSYCOPG
from domain.accounts import ROLES, STATUS_LABELS, Account, normalise_username
from domain.application import RectifyApp
from domain.command_results import CommandResult
from domain.errors import DomainError
from rectify.composition import rectify_app
from rectify.runtime import Database, database
from rectify.settings import Settings

user_app = typer.Typer(help="用户账号 / web user accounts.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ACTOR = "cli:user"

PasswordStdin = typer.Option(
    False, "--password-stdin", help="从标准输入第一行读取密码 / read the password from stdin"
)
RoleOption = typer.Option(..., "--role", help="/".join(ROLES))
AgencyOption = typer.Option(None, "--agency", help="机构名称 agency name or alias")
RegionOption = typer.Option(None, "--region", help="领导所辖地区 leadership of this region only")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True))


def _hash(password: str) -> str:
    try:
        return hash_password(password)
    except DomainError as error:
        err.print(str(error), markup=False)
        raise typer.Exit(2) from None


def end_sessions(db: Database, username: str) -> None:
    """Sign `username` out of every browser (no session table yet: nobody is signed in)."""
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(db.schema)))
        with contextlib.suppress(psycopg.errors.UndefinedTable):
            conn.execute(END_USER_PSYCOPG, (username,))


def _grant(
    ledger: RectifyApp, role: str, agency: str | None, region: str | None
) -> tuple[str, UUID | None, str | None, str | None]:
    agency_id = agency_name = None
    if agency:
        found = ledger.find_agency(agency)
        if found is None:
            err.print(f"--agency: 未知单位 / unknown agency '{agency}'", markup=False)
            raise typer.Exit(2)
        agency_id, agency_name = found, ledger.get_agency(found).name
    return role, agency_id, agency_name, region


def _command(
    username: str, change: Callable[[RectifyApp, Database], CommandResult], done: str
) -> None:
    """Run `change` on the account, end its sessions, say what happened."""
    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            result = change(ledger, db)
        except DomainError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        finally:
            ledger.close()
        if result.changed:
            end_sessions(db, normalise_username(username))
        out.print(done if result.changed else "unchanged / 未变", markup=False)


@user_app.command("add")
def add(
    username: str = typer.Argument(..., help="用户名 user name"),
    name: str = typer.Option("", "--name", help="姓名 display name"),
    role: str | None = typer.Option(None, "--role", help="/".join(ROLES)),
    agency: str | None = AgencyOption,
    region: str | None = RegionOption,
    password_stdin: bool = PasswordStdin,
) -> None:
    """新建账号 / add an account with a password (and a role)."""
    password_hash = _hash(_password(password_stdin))
    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            grant = _grant(ledger, role, agency, region) if role else None
            ledger.add_account(username, name, password_hash, ACTOR, grant=grant)
            out.print(f"added / 已新建 {ledger.get_account(username).username}", markup=False)
        except DomainError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        finally:
            ledger.close()


@user_app.command("grant")
def grant(
    username: str = typer.Argument(..., help="用户名 user name"),
    role: str = RoleOption,
    agency: str | None = AgencyOption,
    region: str | None = RegionOption,
) -> None:
    """授予角色 / grant a role (replacing the one the account held)."""

    def change(ledger: RectifyApp, _: Database) -> CommandResult:
        found = _grant(ledger, role, agency, region)
        return ledger.grant_role(username, *found, actor=ACTOR)

    _command(username, change, "granted / 已授予")


@user_app.command("revoke")
def revoke(username: str = typer.Argument(..., help="用户名 user name")) -> None:
    """撤销角色 / revoke the account's role."""
    _command(username, lambda ledger, _: ledger.revoke_role(username, ACTOR), "revoked / 已撤销")


@user_app.command("reset-password")
def reset_password(
    username: str = typer.Argument(..., help="用户名 user name"),
    password_stdin: bool = PasswordStdin,
) -> None:
    """重置密码 / set a new password."""
    password_hash = _hash(_password(password_stdin))
    _command(
        username,
        lambda ledger, _: ledger.set_account_password(username, password_hash, ACTOR),
        "password set / 密码已重置",
    )


@user_app.command("lock")
def lock(username: str = typer.Argument(..., help="用户名 user name")) -> None:
    """锁定账号 / lock the account."""
    _command(username, lambda ledger, _: ledger.lock_account(username, ACTOR), "locked / 已锁定")


@user_app.command("unlock")
def unlock(username: str = typer.Argument(..., help="用户名 user name")) -> None:
    """解锁账号 / unlock the account (its failure count starts again)."""
    _command(
        username, lambda ledger, _: ledger.unlock_account(username, ACTOR), "unlocked / 已解锁"
    )


@user_app.command("disable")
def disable(username: str = typer.Argument(..., help="用户名 user name")) -> None:
    """停用账号 / disable the account for good."""
    _command(
        username, lambda ledger, _: ledger.disable_account(username, ACTOR), "disabled / 已停用"
    )


def _row(account: Account) -> list[str]:
    return [
        account.username,
        account.display_name,
        account.role or "—",
        account.agency_name or "—",
        account.region or "—",
        f"{STATUS_LABELS[account.status]} {account.status.value}",
    ]


@user_app.command("list")
def list_users() -> None:
    """账号列表 / every account, its role and status (never a password)."""
    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            found = ledger.accounts()
        finally:
            ledger.close()
    table = Table(
        "用户名 user", "姓名 name", "角色 role", "单位 agency", "地区 region", "状态 status"
    )
    for account in found:
        table.add_row(*_row(account))
    out.print(table)
