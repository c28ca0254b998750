"""Read-your-writes waits (ADR 0053): which results ask for the read side, and waiting for
a position on the runner's notices."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from api.freshness import PositionWaiter, asks_for
from api.live import Notice


def _info(document: str) -> Any:
    """The resolve info of the operation's one root field, as graphql-core gives it: its
    field node and the document's fragments."""
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = operation.selection_set.selections[0]
    return SimpleNamespace(field_nodes=[root], fragments=fragments)


def test_a_result_of_outcome_and_position_does_not_ask_for_the_read_side() -> None:
    info = _info(
        "mutation { signOff { __typename ... on IssueChanged { position } "
        "... on NotAllowed { message } } }"
    )

    assert not asks_for(info, "issue")


def test_a_result_asking_for_the_issue_in_an_inline_fragment_asks_for_the_read_side() -> None:
    info = _info("mutation { signOff { ... on IssueChanged { issue { status } } } }")

    assert asks_for(info, "issue")


def test_a_result_asking_for_the_issue_in_a_named_fragment_asks_for_the_read_side() -> None:
    info = _info(
        "mutation { signOff { __typename ...shown } } "
        "fragment shown on IssueChanged { issue { status } }"
    )

    assert asks_for(info, "issue")


def test_a_field_of_the_same_name_deeper_down_is_not_the_results() -> None:
    info = _info("mutation { signOff { ... on IssueChanged { other { issue } } } }")

    assert not asks_for(info, "issue")


def test_a_result_asking_for_the_issue_under_an_alias_asks_for_the_read_side() -> None:
    info = _info("mutation { signOff { ... on IssueChanged { shown: issue { status } } } }")

    assert asks_for(info, "issue")


class FixedPool:
    """The tracking row stays at `position`: only notices move the waiter."""

    def __init__(self, position: int) -> None:
        self.position = position
        self.reads = 0

    async def fetchval(self, _statement: str, *_params: Any) -> int:
        self.reads += 1
        return self.position


async def test_a_notice_of_the_position_releases_its_waiter() -> None:
    waiter = PositionWaiter(FixedPool(3))
    waiting = asyncio.create_task(waiter.wait(7, timeout=3600))
    await asyncio.sleep(0.01)
    waiter.heard(Notice(5, (), None))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # 5 is not yet 7

    waiter.heard(Notice(9, (), None))

    assert await asyncio.wait_for(waiting, 5) is True


async def test_a_position_already_heard_is_not_asked_of_the_database() -> None:
    pool = FixedPool(0)
    waiter = PositionWaiter(pool)
    waiter.heard(Notice(9, (), None))

    assert await waiter.wait(9, timeout=3600) is True
    assert pool.reads == 0


async def test_a_position_the_tracking_row_shows_needs_no_notice() -> None:
    waiter = PositionWaiter(FixedPool(9))

    assert await asyncio.wait_for(waiter.wait(9, timeout=3600), 5) is True


async def test_a_wait_gives_up_at_its_bound() -> None:
    waiter = PositionWaiter(FixedPool(3))

    assert await waiter.wait(7, timeout=0.05) is False
    assert waiter._waiting == {}
