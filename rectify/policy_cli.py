"""`rectify policy …`: the escalation ladder of a campaign for one item kind.

File (JSON) for `set`:
    {"rungs": [
        {"name": "remind-3wd", "kind": "reminder", "offset": "3wd",
         "addressee": "责任单位", "label": "到期提醒"},
        {"name": "overdue", "kind": "overdue", "offset": "0wd", "addressee": "责任单位"},
        {"name": "supervision", "kind": "escalation", "offset": "1wd",
         "addressee": "责任单位", "label": "督办"}]}
offset: 3wd (working days), 15d (calendar days), 24h (hours); before due for reminders,
after due for escalations. `show` prints the ladder in force (or the built-in one), which
is a valid file to start from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from domain.clocks import clocked_kind
from domain.errors import InvalidInput
from domain.policies import ladder_from_dicts, rung_as_dict
from rectify.cli_ledger import campaign_titled, open_ledger
from rectify.cli_text import free_text, name_text

policy_app = typer.Typer(help="督办规则 / escalation policies.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ACTOR = "cli:policy"

CAMPAIGN = typer.Option(..., "--campaign", help="campaign title", callback=name_text)
KIND = typer.Option("issue", "--kind", help="item kind: issue, referral, …", callback=name_text)


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(
            "file", f"无法读取 {path.name} / cannot read {path.name}: {error}"
        ) from None
    rungs = data.get("rungs") if isinstance(data, dict) else None
    if not isinstance(rungs, list) or not all(isinstance(r, dict) for r in rungs):
        raise InvalidInput(
            "rungs",
            '应为 {"rungs": [{name, kind, offset, …}, …]} / expected {"rungs": [{name, kind, '
            "offset, …}, …]}",
        )
    return rungs


@policy_app.command("show")
def show(campaign: str = CAMPAIGN, kind: str = KIND) -> None:
    """Print the ladder new clocks get, as JSON (a file `set` accepts)."""
    with open_ledger() as ledger:
        clocked_kind(kind)  # an unknown kind is refused before the campaign is looked up
        ladder = ledger.ladder_in_force(campaign_titled(ledger, campaign), kind)
    document = {"version": ladder.version, "rungs": [rung_as_dict(r) for r in ladder.rungs]}
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


@policy_app.command("set")
def set_policy(
    file: Path = typer.Argument(..., help="JSON file with the rungs"),
    campaign: str = CAMPAIGN,
    kind: str = KIND,
    apply_to_running: bool = typer.Option(
        False, "--apply-to-running", help="also move the clocks already running"
    ),
    reason: str = typer.Option("", "--reason", help="why the ladder changes", callback=free_text),
) -> None:
    """Record a new version of the ladder (who, what, when are in its stream)."""
    with open_ledger() as ledger:
        rungs = list(ladder_from_dicts(_read(file), 0).rungs)
        result = ledger.set_escalation_policy(
            campaign_titled(ledger, campaign),
            kind,
            rungs,
            actor=ACTOR,
            apply_to_running=apply_to_running,
            reason=reason,
        )
    out.print(f"{result.id}  {'recorded' if result.changed else 'unchanged'}")
