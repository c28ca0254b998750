"""`rectify clues new-key` and `rectify clues reseal` against real PostgreSQL."""

from __future__ import annotations

from contextlib import closing

import pytest

from domain.application import RectifyApp
from domain.reporter_identity import KEYS_VARIABLE, ReporterIdentity, new_key
from tests.integration.conftest import Run

REPORTER = ReporterIdentity("举报人", "13700000000")


def test_new_key_prints_an_id_and_a_key(run: Run) -> None:
    result = run("clues", "new-key", "2026b")
    assert result.exit_code == 0
    kid, _, key = result.stdout.strip().partition(":")
    assert kid == "2026b" and len(key) == 44


def test_reseal_moves_every_clue_to_the_current_key(
    run: Run, es_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = new_key(), new_key()
    with closing(RectifyApp(env={**es_env, KEYS_VARIABLE: f"k1:{old}"})) as app:
        health = app.register_agency("县卫健局", actor="admin").id
        item = app.receive_clue(
            health, "LETTER", "收取红包", actor="x", person="某医生", reporter=REPORTER,
            real_name=True,
        ).id  # fmt: skip
    monkeypatch.setenv(KEYS_VARIABLE, f"k2:{new},k1:{old}")
    result = run("clues", "reseal")
    assert result.exit_code == 0 and "resealed 1 clue(s) under key 'k2'" in result.output
    assert "resealed 0" in run("clues", "reseal").output
    with closing(RectifyApp(env={**es_env, KEYS_VARIABLE: f"k2:{new}"})) as app:
        assert app.get_clue(item).identity_key_id == "k2"
        assert app.reveal_reporter(item, health, "核实", "x")[0] == REPORTER
