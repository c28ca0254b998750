"""Page cursors (api/cursors.py): what one encodes, `decode` gives back, whatever text the
keys hold, and cursors handed out before the encoder changed still decode."""

from __future__ import annotations

import base64
import json

import pytest
from graphql import GraphQLError

from api import cursors
from projections.keyset import Key, Keyset

BY_TITLE = Keyset((Key("title", "text"), Key("position", "bigint")))


def test_a_cursor_gives_back_the_keys_it_was_made_from_whatever_their_text() -> None:
    row = {"keyset_0": "县卫健局“整改”\\台账\u2028", "keyset_1": 42}

    cursor = cursors.encode("work", "TITLE", BY_TITLE, row)

    assert cursors.decode(cursor, "work", "TITLE", BY_TITLE) == ("县卫健局“整改”\\台账\u2028", 42)


def test_a_cursor_encoded_with_escaped_text_as_before_still_decodes() -> None:
    before = json.dumps(["work", "TITLE", "县卫健局", "42"], separators=(",", ":"))
    cursor = base64.urlsafe_b64encode(before.encode()).decode()

    assert cursors.decode(cursor, "work", "TITLE", BY_TITLE) == ("县卫健局", 42)


def test_a_cursor_of_another_order_is_refused_naming_the_argument() -> None:
    cursor = cursors.encode_values("work", "DUE", ["2026-12-31", "1"])

    with pytest.raises(GraphQLError) as refused:
        cursors.decode(cursor, "work", "TITLE", BY_TITLE)

    assert refused.value.extensions == {"field": "after"}
