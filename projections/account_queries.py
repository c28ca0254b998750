"""Reads of the accounts read model and the sign-in log, keyset-paged (projections/keyset.py)."""

from __future__ import annotations

from typing import Any

import asyncpg

from projections.keyset import Key, Keyset

# Each table's one order: accounts by user name (unique), sign-in attempts newest first.
ORDERS = {
    "accounts": Keyset((Key("username", "text"),)),
    "sign_in_log": Keyset((Key("id", "bigint"),), descending=True),
}


async def page(
    pool: asyncpg.Pool, table: str, first: int, after: tuple[Any, ...] | None
) -> list[Any]:
    """Up to `first` + 1 rows of `table` (a key of ORDERS) after the cursor's; the extra row
    says a next page exists."""
    keyset = ORDERS[table]
    params: list[Any] = []
    where = keyset.after(params, after)
    params.append(first + 1)
    return list(
        await pool.fetch(
            f"SELECT *, {keyset.select()} FROM {table} WHERE {where}"
            f" ORDER BY {keyset.order_by()} LIMIT ${len(params)}",
            *params,
        )
    )
