"""The GraphQL answer's JSON (api/app.py `http_json`, ADR 0073): orjson's bytes decode to
what the standard encoder wrote, and what it would refuse is still refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pytest

from api.graphql_view import http_json


def test_an_answer_decodes_to_what_the_standard_encoder_wrote() -> None:
    answer = {"data": {"workQueue": {"totalCount": 3, "edges": [
        {"node": {"title": "问题1：整改", "overdue": False, "workingDaysLeft": -2,
                  "dueDate": "2026-12-31", "campaign": None, "score": 1.5}}]}},
        "errors": [{"message": "坏 \"引号\" \n", "path": ["a", 0]}]}  # fmt: skip

    encoded = http_json(answer)

    assert json.loads(encoded) == json.loads(json.dumps(answer, separators=(",", ":")))
    assert "问题1".encode() in encoded  # as it is, not \u-escaped


def test_what_orjson_will_not_take_is_encoded_as_before() -> None:
    # a key that is not a string, an integer past 64 bits, a lone surrogate (not UTF-8)
    answer = {"data": {1: "a key that is not a string"}, "big": 2**70}
    assert json.loads(http_json({"message": "a\ud800b"})) == {"message": "a\ud800b"}

    assert json.loads(http_json(answer)) == {
        "data": {"1": "a key that is not a string"},
        "big": 2**70,
    }


@dataclass
class Row:
    x: int


def test_values_the_standard_encoder_refuses_are_still_refused() -> None:
    with pytest.raises(TypeError):
        http_json({"data": Row(1)})
    with pytest.raises(TypeError):
        http_json({"data": datetime(2026, 12, 7)})
