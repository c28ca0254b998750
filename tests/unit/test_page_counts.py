"""A paged list counts its rows only when the count is asked for (ADR 0053): the
`count(*)` visits every matching row, so a page that does not show totalCount skips it."""

from __future__ import annotations

from typing import Any

from projections.keyset import Key, Keyset, fetch_page, known

ORDER = Keyset((Key("i.position", "bigint"),))


class RecordingPool:
    """Records each statement; answers a count with 7 and a page with no rows."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    async def fetchval(self, statement: str, *params: Any) -> int:
        self.statements.append((statement, params))
        return 7

    async def fetch(self, statement: str, *params: Any) -> list[Any]:
        self.statements.append((statement, params))
        return []


def _counts(pool: RecordingPool) -> list[tuple[str, tuple[Any, ...]]]:
    return [(s, p) for s, p in pool.statements if "count(*)" in s]


async def _page(pool: RecordingPool) -> Any:
    return await fetch_page(
        pool, "i.id", "FROM issues i", "i.campaign_id = $1", ["c"], ORDER, None, 20, ["today"]
    )


async def test_a_page_whose_count_is_not_asked_for_never_counts() -> None:
    pool = RecordingPool()

    page = await _page(pool)

    assert page.rows == [] and not page.has_next
    assert _counts(pool) == []
    assert len(pool.statements) == 1  # the page's rows alone


async def test_a_page_counts_the_filters_rows_when_its_count_is_awaited() -> None:
    pool = RecordingPool()
    page = await _page(pool)

    assert await page.total() == 7

    assert _counts(pool) == [("SELECT count(*) FROM issues i WHERE i.campaign_id = $1", ("c",))]


async def test_an_empty_answers_count_is_known_without_a_statement() -> None:
    assert await known(0)() == 0
