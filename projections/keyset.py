"""Keyset pagination in any of a list's orders: no OFFSET, so a page costs the same deep
in a long list, and an item added meanwhile neither repeats nor skips a row.

An order is a tuple of SQL expressions whose last one is unique (a log position), all
sorted one way. A cursor holds the values of the last row's keys as text; `parse` turns
them back into typed values, refusing what is not of the key's type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

PARSERS: dict[str, Callable[[str], Any]] = {
    "bigint": int,
    "date": date.fromisoformat,
    "timestamptz": datetime.fromisoformat,
    "text": str,
    "uuid": UUID,
}
# Undated items sort after every due date (dates end in 2099, ADR 0032). Not 9999-12-31:
# asyncpg sends date.max, a cursor's value, as 'infinity', after which no row ever comes.
FAR_DATE = "DATE '9000-01-01'"
FAR_TIME = "TIMESTAMPTZ '9000-01-01 00:00:00+00'"


@dataclass(frozen=True)
class Key:
    expression: str
    type: str  # a key of PARSERS


@dataclass(frozen=True)
class Keyset:
    keys: tuple[Key, ...]
    descending: bool = False

    def select(self) -> str:
        return ", ".join(f"{key.expression} AS keyset_{n}" for n, key in enumerate(self.keys))

    def order_by(self) -> str:
        way = " DESC" if self.descending else ""
        return ", ".join(f"{key.expression}{way}" for key in self.keys)

    def after(self, params: list[Any], values: Sequence[Any] | None) -> str:
        """The condition "after the row with these key values", appending them to params."""
        if values is None:
            return "TRUE"
        placeholders = []
        for key, value in zip(self.keys, values, strict=True):
            params.append(value)
            placeholders.append(f"${len(params)}::{key.type}")
        columns = ", ".join(key.expression for key in self.keys)
        return f"({columns}) {'<' if self.descending else '>'} ({', '.join(placeholders)})"

    def values_of(self, row: Mapping[str, Any]) -> list[str]:
        found = (row[f"keyset_{n}"] for n in range(len(self.keys)))
        return [v.isoformat() if isinstance(v, (date, datetime)) else str(v) for v in found]

    def parse(self, texts: Sequence[str]) -> tuple[Any, ...]:
        """Typed key values of a cursor; ValueError when they do not fit this order."""
        if len(texts) != len(self.keys) or not all(isinstance(t, str) for t in texts):
            raise ValueError("cursor of another order")
        return tuple(PARSERS[key.type](text) for key, text in zip(self.keys, texts, strict=True))


Total = Callable[[], Awaitable[int]]


def counted(pool: Any, statement: str, params: Sequence[Any]) -> Total:
    """The filter's row count, run only if awaited: a `count(*)` visits every matching
    row, so a page whose totalCount nobody selected never runs it (ADR 0053)."""

    async def count() -> int:
        return int(await pool.fetchval(statement, *params))

    return count


def known(value: int) -> Total:
    """A count known without asking (an empty answer)."""

    async def count() -> int:
        return value

    return count


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: Total
    has_next: bool


async def fetch_page(
    pool: Any,
    columns: str,
    source: str,
    where: str,
    params: list[Any],
    keyset: Keyset,
    after: Sequence[Any] | None,
    first: int,
    column_params: Sequence[Any] = (),
) -> Page:
    """`first` rows of `SELECT columns FROM source WHERE where` in `keyset`'s order after
    the keyset values `after`, the total count of the filter (counted when awaited), and
    whether more follow. `column_params` are values only the columns use (numbered after
    `params`): the count does not get them."""
    total = counted(pool, f"SELECT count(*) {source} WHERE {where}", list(params))
    params = [*params, *column_params]
    beyond = keyset.after(params, after)
    params.append(first + 1)
    rows = await pool.fetch(
        f"SELECT {columns}, {keyset.select()} {source} WHERE {where} AND {beyond}"
        f" ORDER BY {keyset.order_by()} LIMIT ${len(params)}",
        *params,
    )
    return Page(list(rows[:first]), total, len(rows) > first)
