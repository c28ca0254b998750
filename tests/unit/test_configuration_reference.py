"""docs/configuration.md is what the settings class generates, and every setting has a
meaning (rectify/settings_reference.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from rectify import settings_reference
from rectify.settings import Settings
from rectify.settings_reference import MissingMeaning, reference

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_committed_reference_is_what_the_settings_generate() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == reference(), (
        "regenerate: rectify settings-reference > docs/configuration.md"
    )


def test_every_setting_is_listed_with_its_variable_and_default() -> None:
    text = reference()
    for name, field in Settings.model_fields.items():
        assert f"| `{field.alias or name.upper()}` |" in text
    assert "| `RECTIFY_HTTP_PORT` | `8000` |" in text
    assert "| `DATABASE_URL` | (unset) |" in text


def test_a_setting_without_a_meaning_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Grown(Settings):
        new_knob: int = Field(default=1, alias="RECTIFY_NEW_KNOB")

    monkeypatch.setattr(settings_reference, "Settings", Grown)
    with pytest.raises(MissingMeaning, match="new_knob"):
        reference()
