"""Reads of the accounts read model and the sign-in log, keyset-paged (projections/keyset.py)."""

from __future__ import annotations

from typing import Any

import asyncpg

from projections.keyset import Key, Keyset

Pool = asyncpg.Pool
USERS = Keyset((Key("username", "text"),))  # by user name (unique)
SIGN_INS = Keyset((Key("id", "bigint"),), descending=True)  # newest first


async def users_page(pool: Pool, first: int, after: tuple[Any, ...] | None) -> list[Any]:
    """Up to `first` + 1 accounts after the cursor's (the extra row says a next page exists)."""
    params: list[Any] = []
    where = USERS.after(params, after)
    params.append(first + 1)
    return list(
        await pool.fetch(
            f"SELECT *, {USERS.select()} FROM accounts WHERE {where}"
            f" ORDER BY {USERS.order_by()} LIMIT ${len(params)}",
            *params,
        )
    )


async def sign_in_page(pool: Pool, first: int, after: tuple[Any, ...] | None) -> list[Any]:
    params: list[Any] = []
    where = SIGN_INS.after(params, after)
    params.append(first + 1)
    return list(
        await pool.fetch(
            f"SELECT *, {SIGN_INS.select()} FROM sign_in_log WHERE {where}"
            f" ORDER BY {SIGN_INS.order_by()} LIMIT ${len(params)}",
            *params,
        )
    )
