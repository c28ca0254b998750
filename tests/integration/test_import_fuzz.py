"""Property-based fuzzing of `rectify import-issues` against a real PostgreSQL: whatever the
file holds, the command imports (exit 0) or refuses (exit 1) without a traceback; a refusal
writes nothing; an import stores no text that text_rules refuses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from domain.application import RectifyApp
from domain.text_rules import text_problem
from rectify.cli import app as cli
from tests.ledger_strategies import EXAMPLES, ledger_files


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args))  # an exception is caught, to be asserted on

    return invoke


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _stored_after(app: RectifyApp, position: int) -> list[str]:
    """Every text in the state of the events stored after `position`."""
    texts: list[str] = []
    for notification in app.recorder.select_notifications(start=position + 1, limit=100_000):
        texts.append(notification.topic)
        texts.extend(_strings(json.loads(notification.state)))
    return texts


@settings(
    max_examples=EXAMPLES or 50,
    derandomize=not EXAMPLES,  # the same examples each normal run; random in a long one
    database=None if not EXAMPLES else settings.default.database,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_import_writes_all_or_nothing_and_never_a_poisoned_text(
    run, app: RectifyApp, tmp_path: Path, data: st.DataObject
) -> None:
    path = data.draw(ledger_files(tmp_path))
    before = app.recorder.max_notification_id() or 0

    result = run(
        "import-issues", str(path), "--campaign", f"专项-{uuid.uuid4()}", "--create-agencies"
    )

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    event(f"exit status {result.exit_code}")
    after = app.recorder.max_notification_id() or 0
    if result.exit_code == 1:
        assert "nothing imported" in result.output
        assert after == before
    else:
        assert after > before  # a new campaign and its issues
        for text in _stored_after(app, before):
            assert text_problem(text, 2**63) is None, text
