"""The HTTP hygiene settings: defaults, and read from the environment."""

from __future__ import annotations

import json

import pytest

from api.hygiene import count_mutations, parse_origins
from api.rate_limits import SharedWindow, wait_for
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


def _count(query: str, **extra: str) -> int:
    return count_mutations(json.dumps({"query": query, **extra}).encode())


def test_each_aliased_mutation_field_counts() -> None:
    aliased = " ".join(f'm{n}: signOff(issueId: "{n}") {{ __typename }}' for n in range(30))
    assert _count(f"mutation {{ {aliased} }}") == 30


def test_mutation_fields_in_fragments_on_the_mutation_type_count() -> None:
    document = (
        "mutation { ...Two ... on Mutation { c: signOff(issueId: 3) { __typename } } }"
        " fragment Two on Mutation { a: signOff(issueId: 1) { __typename } ...One }"
        " fragment One on Mutation { b: signOff(issueId: 2) { __typename } }"
    )
    assert _count(document) == 3


def test_fields_inside_a_mutation_result_and_typename_do_not_count() -> None:
    document = "mutation { __typename signOff(issueId: 1) { __typename ... on X { a b } } }"
    assert _count(document) == 1


def test_a_fragment_cycle_is_counted_once_not_forever() -> None:
    document = (
        "mutation { ...A } fragment A on Mutation { a: signOff(issueId: 1) { x } ...B }"
        " fragment B on Mutation { b: signOff(issueId: 2) { x } ...A }"
    )
    assert _count(document) == 2


def test_only_the_named_operations_fields_count() -> None:
    document = "query R { a } mutation W { b c }"
    assert (_count(document, operationName="W"), _count(document, operationName="R")) == (2, 0)


def test_a_body_that_does_not_parse_counts_no_mutation() -> None:
    assert count_mutations(b"mutation { a }") == 0
    assert count_mutations(b'{"query": "mutation {"}') == 0


async def test_a_batch_larger_than_the_limit_is_refused_whole_without_asking_the_database() -> None:
    window = SharedWindow("mutations", 2, clock=lambda: 0.0)
    assert await window.take(None, "u", 3) == 60.0


async def test_no_limit_asks_nothing_of_the_database() -> None:
    assert await SharedWindow("mutations", 0).take(None, "u", 5) == 0.0


def test_the_wait_is_until_enough_of_the_oldest_hits_leave_the_window() -> None:
    counts = [0] * 60
    counts[9], counts[29] = 1, 1  # hits at second 1000 and 1020, now 1050.5 (bucket 1050)
    assert wait_for(counts, 1050, 1050.5, 1, 2) == 9.5
    assert wait_for(counts, 1050, 1050.5, 2, 2) == 29.5


def test_websocket_frames_are_bounded_like_request_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    from rectify.cli import server_options

    monkeypatch.setenv("RECTIFY_MAX_BODY_BYTES", "2048")
    assert server_options(Settings())["ws_max_size"] == 2048


def test_websocket_frames_keep_a_bound_when_the_body_limit_is_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rectify.cli import server_options

    monkeypatch.setenv("RECTIFY_MAX_BODY_BYTES", "0")
    assert server_options(Settings())["ws_max_size"] == 16 * 2**20
