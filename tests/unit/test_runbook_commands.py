"""Every `rectify …` command docs/runbook.md shows exists, with the options it is given."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import typer

from rectify.cli import app

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"


def shown_commands(text: str) -> list[list[str]]:
    """The `rectify` lines of the runbook's sh blocks, comments and redirections cut."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line.split("#", 1)[0].split(">", 1)[0])
            if words[:1] == ["rectify"]:
                found.append(words[1:])
    return found


def unknown(words: list[str]) -> str | None:
    """What of `words` the CLI does not know: a command, or an option of it."""
    command: Any = typer.main.get_command(app)
    for position, word in enumerate(words):
        if hasattr(command, "commands") and not word.startswith("-"):
            sub = command.commands.get(word)
            if sub is None:
                return " ".join(words[: position + 1])
            command = sub
        elif word.startswith("--"):
            options = {o for p in command.params for o in getattr(p, "opts", [])}
            if word.split("=", 1)[0] not in options:
                return f"{' '.join(words[:position])} {word}"
    return None


def test_the_runbook_shows_only_commands_and_options_that_exist() -> None:
    commands = shown_commands(RUNBOOK.read_text(encoding="utf-8"))
    assert len(commands) >= 12
    assert [" ".join(c) for c in commands if unknown(c)] == []


def test_a_command_that_does_not_exist_is_caught() -> None:
    assert unknown(["calendar", "import", "2027.json"]) == "calendar import"
    assert unknown(["backup", "--to", "x.dump"]) == "backup --to"
    assert unknown(["rebuild-projections", "--model", "clock"]) is None
