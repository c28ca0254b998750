"""Fixtures shared by the integration tests (a module's own fixture of the same name wins)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rectify.cli import app as cli

Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """`rectify …` in process, against this test's schema, refusals as exit codes."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    monkeypatch.setenv("RECTIFY_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)
