"""`rectify clues …`: the keys that seal reporters' identities (docs/decisions/0014)."""

from __future__ import annotations

import typer
from rich.console import Console

from domain.errors import DomainError
from domain.reporter_identity import KEYS_VARIABLE, new_key
from rectify.composition import rectify_app
from rectify.runtime import database
from rectify.settings import Settings

clue_app = typer.Typer(help="线索/举报 / clues and reporter protection.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ACTOR = "cli:clues"


@clue_app.command("new-key")
def generate_key(key_id: str = typer.Argument(..., help="the new key's id, e.g. 2026a")) -> None:
    """生成密钥 / print a fresh key to put in front of RECTIFY_IDENTITY_KEYS."""
    out.print(f"{key_id}:{new_key()}", markup=False)
    err.print(
        f"请把它加在 {KEYS_VARIABLE} 最前面，重启后运行 `rectify clues reseal` / "
        f"prepend it to {KEYS_VARIABLE}, restart, then run `rectify clues reseal`"
    )


@clue_app.command("reseal")
def reseal() -> None:
    """重新加密 / seal every reporter identity again under the current key."""
    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            keys = ledger.identity_keys()
            changed = ledger.reseal_all_clues(ACTOR)
            out.print(f"resealed {len(changed)} clue(s) under key '{keys.current}'")
        except DomainError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        finally:
            ledger.close()
