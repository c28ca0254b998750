"""The HTTP hygiene settings: defaults, and read from the environment."""

from __future__ import annotations

import pytest

from api.hygiene import SlidingWindow, count_mutations, parse_origins
from rectify.settings import Settings

NAMES = ("RECTIFY_MAX_BODY_BYTES", "RECTIFY_MUTATIONS_PER_MINUTE", "RECTIFY_CORS_ORIGINS")


def test_hygiene_defaults_are_one_mebibyte_three_hundred_mutations_and_no_cors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.mutations_per_minute == 300
    assert parse_origins(settings.cors_origins) == ()


def test_hygiene_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFY_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("RECTIFY_MUTATIONS_PER_MINUTE", "5")
    monkeypatch.setenv("RECTIFY_CORS_ORIGINS", "https://a.example, https://b.example,")
    settings = Settings()
    assert (settings.max_body_bytes, settings.mutations_per_minute) == (2048, 5)
    assert parse_origins(settings.cors_origins) == ("https://a.example", "https://b.example")


def test_a_batch_counts_each_of_its_mutations() -> None:
    body = b'[{"query": "mutation { a }"}, {"query": "{ b }"}, {"query": "mutation { c }"}]'
    assert count_mutations(body) == 2


def test_a_body_that_does_not_parse_counts_no_mutation() -> None:
    assert count_mutations(b"mutation { a }") == 0
    assert count_mutations(b'{"query": "mutation {"}') == 0


def test_a_batch_larger_than_the_limit_is_refused_whole() -> None:
    window = SlidingWindow(2, clock=lambda: 0.0)
    assert window.take("u", 3) == 60.0
    assert window.take("u", 2) == 0.0
