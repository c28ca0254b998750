"""The first administrator: on a fresh home nobody could sign in to the web workbench, so
`rectify run` creates the account `admin` (role admin) when no account exists at all, with
a random password shown once on the console and kept in $RECTIFY_HOME/admin-password.txt,
readable by its owner only. `rectify user reset-password admin` sets another one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from api.passwords import hash_password
from domain.errors import InvalidInput
from rectify.composition import rectify_app

USERNAME = "admin"
DISPLAY_NAME = "系统管理员"
PASSWORD_FILE = "admin-password.txt"
ACTOR = "system:first-start"


def write_secret(path: Path, text: str) -> None:
    """`text` in `path`, created readable and writable by the owner only (0600) from the
    start: never a moment when others could read it."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")


def ensure_first_admin(es_env: Mapping[str, str], home: Path) -> str | None:
    """The new admin's password if this call created the account; None when any account
    exists already (or another process created the admin first)."""
    ledger = rectify_app(es_env)
    try:
        if ledger.accounts(limit=1):
            return None
        password = secrets.token_urlsafe(12)
        try:
            ledger.add_account(
                USERNAME,
                DISPLAY_NAME,
                hash_password(password),
                ACTOR,
                grant=("admin", None, None, None),
            )
        except InvalidInput:
            return None  # created meanwhile by another start
    finally:
        ledger.close()
    write_secret(home / PASSWORD_FILE, password)
    return password


def announcement(password: str, home: Path) -> str:
    return (
        f"首次启动：已创建管理员账号 {USERNAME}，初始密码 {password}（已保存至 "
        f"{home / PASSWORD_FILE}，仅本人可读；可用 rectify user reset-password {USERNAME} 修改）"
        f"\nfirst start: created the administrator account '{USERNAME}' with the password "
        f"{password} (also in {home / PASSWORD_FILE}, readable by you only; change it with "
        f"`rectify user reset-password {USERNAME}`)"
    )
