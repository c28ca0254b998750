"""The embedded PostgreSQL runs with its settings (rectify/embedded.py SETTINGS, ADR 0079):
a new data folder gets them, an older one is brought to them on its next start, and a
server another handle already started is joined as it runs, never restarted under it. The
wheel's own step-by-step lines stay out of the log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rectify import embedded
from rectify.embedded import SETTINGS, start_embedded_postgres


def _shown(url: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in SETTINGS}  # type: ignore[index]


def _started_at(url: str) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]  # type: ignore[index]


def test_a_new_data_folder_runs_with_minimal_wal(tmp_path: Path) -> None:
    url, server = start_embedded_postgres(tmp_path / "pg")
    try:
        assert _shown(url) == {"wal_level": "minimal", "max_wal_senders": "0"}
    finally:
        server.cleanup()  # type: ignore[attr-defined]
    assert not embedded.postgres_alive(tmp_path / "pg")  # the restarted server was stopped


def test_the_wheels_step_by_step_lines_are_not_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _, server = start_embedded_postgres(tmp_path / "pg")
    server.cleanup()  # type: ignore[attr-defined]
    assert [r.getMessage() for r in caplog.records if r.name == "embedded_postgres"] == []


def test_a_folder_made_before_the_settings_is_brought_to_them_on_its_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "SETTINGS", {})  # as the folder was made before ADR 0079
    url, server = start_embedded_postgres(tmp_path / "pg")
    assert _shown(url)["wal_level"] == "replica"  # PostgreSQL's default
    server.cleanup()  # type: ignore[attr-defined]
    monkeypatch.undo()

    url, server = start_embedded_postgres(tmp_path / "pg")
    try:
        assert _shown(url) == {"wal_level": "minimal", "max_wal_senders": "0"}
    finally:
        server.cleanup()  # type: ignore[attr-defined]


def test_a_running_server_is_joined_as_it_runs_not_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "SETTINGS", {})
    url, server = start_embedded_postgres(tmp_path / "pg")
    try:
        started = _started_at(url)
        monkeypatch.undo()
        # another command joining the running system: its clients must not be cut off
        joined_url, joined = embedded.start_embedded_postgres(tmp_path / "pg")
        assert joined is server
        assert _started_at(joined_url) == started
        assert _shown(joined_url)["wal_level"] == "replica"
    finally:
        server.cleanup()  # type: ignore[attr-defined]
