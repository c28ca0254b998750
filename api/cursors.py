"""Opaque page cursors: the list they belong to, its order and the keyset values of the
last row (projections/keyset.py). A cursor of another list or order is refused."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import orjson
from graphql import GraphQLError

from projections.keyset import Keyset


def page_size(first: int, limit: int, field: str = "first") -> int:
    """`first` when it is a page size this list serves (1 to `limit`), else a refusal naming
    the argument: a negative LIMIT would reach PostgreSQL and come back as an unexpected
    error, a huge one would read a whole table."""
    if not 0 < first <= limit:
        raise GraphQLError(
            f"{field}: 须在 1 到 {limit} 之间 / must be between 1 and {limit}",
            extensions={"field": field},
        )
    return first


def encode(kind: str, order: str, keyset: Keyset, row: Any) -> str:
    """The cursor of `row`, a row selected with `keyset.select()`."""
    return encode_values(kind, order, keyset.values_of(row))


def decode(cursor: str, kind: str, order: str, keyset: Keyset) -> tuple[Any, ...]:
    try:
        found = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(found, list) or found[:2] != [kind, order]:
            raise ValueError("cursor of another list or order")
        return keyset.parse(found[2:])
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise GraphQLError(
            f"after: 游标无效或不属于此列表及排序 / invalid cursor for this list and order:"
            f" {cursor}",
            extensions={"field": "after"},
        ) from None


def encode_values(kind: str, order: str, values: list[str]) -> str:
    # orjson: a page encodes twenty cursors, and the standard encoder makes a new encoder
    # for each when given separators. Its text is UTF-8 as it is where json.dumps escapes:
    # `decode` reads both, so cursors handed out before still work.
    return base64.urlsafe_b64encode(orjson.dumps([kind, order, *values])).decode()
