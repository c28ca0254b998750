"""The part of an asyncpg pool the read side uses, with types (asyncpg ships no stubs, so
without these every query's result would be Any to mypy), and the row parts several
queries share."""

from __future__ import annotations

from collections.abc import ItemsView, KeysView, ValuesView
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict
from uuid import UUID


class Record(Protocol):
    """A row as asyncpg returns it: read by column name (or position)."""

    def __getitem__(self, key: str | int, /) -> Any: ...
    def get(self, key: str, default: Any = None, /) -> Any: ...
    def keys(self) -> KeysView[str]: ...
    def values(self) -> ValuesView[Any]: ...
    def items(self) -> ItemsView[str, Any]: ...


class Pool(Protocol):
    """An asyncpg pool, as far as the queries use it."""

    async def fetch(self, query: str, /, *args: Any) -> list[Record]: ...
    async def fetchrow(self, query: str, /, *args: Any) -> Record | None: ...
    async def fetchval(self, query: str, /, *args: Any) -> Any: ...
    async def execute(self, query: str, /, *args: Any) -> str: ...
    def acquire(self) -> AbstractAsyncContextManager[Any]: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class AgencyRef:
    """An agency as a read row names it: id, name and kind (AGENCY or GROUP)."""

    id: UUID
    name: str
    kind: str | None

    @classmethod
    def of(cls, row: Record, prefix: str = "") -> AgencyRef:
        """From the columns `{prefix}id`, `{prefix}name` and `{prefix}kind` of `row`."""
        return cls(row[f"{prefix}id"], row[f"{prefix}name"], row[f"{prefix}kind"])


class HistoryRow(TypedDict):
    """An entry of an item's history table (issue, referral, clue, case transfer)."""

    version: int
    at: datetime
    type: str
    actor: str
    summary: str
