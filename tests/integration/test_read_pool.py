"""The API's read pool (projections/queries.py): a connection given back is ready for the
next request without a reset statement of its own, and never hands on an open
transaction."""

from __future__ import annotations

import asyncio

from projections.queries import create_pool


def test_a_read_sends_its_statement_and_nothing_else(database_url: str, schema: str) -> None:
    async def run() -> list[str]:
        pool = await create_pool(database_url, schema, max_size=1)
        sent: list[str] = []
        try:
            async with pool.acquire() as conn:
                conn.add_query_logger(lambda record: sent.append(record.query))
            await pool.fetchval("SELECT 1")
            await pool.fetchval("SELECT 2")
        finally:
            await pool.close()
        return sent

    assert asyncio.run(run()) == ["SELECT 1", "SELECT 2"]


def test_a_connection_given_back_inside_a_transaction_is_rolled_back(
    database_url: str, schema: str
) -> None:
    async def run() -> tuple[bool, int]:
        pool = await create_pool(database_url, schema, max_size=1)
        try:
            async with pool.acquire() as conn:
                await conn.execute("CREATE TABLE left_open (n int)")
                await conn.transaction().start()  # never committed nor rolled back
                await conn.execute("INSERT INTO left_open VALUES (1)")
            async with pool.acquire() as conn:
                return conn.is_in_transaction(), await conn.fetchval(
                    "SELECT count(*) FROM left_open"
                )
        finally:
            await pool.close()

    assert asyncio.run(run()) == (False, 0)
