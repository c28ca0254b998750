"""The clock dispatcher sets aside an event it cannot read and keeps every other clock
moving; the event is recorded as parked."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import psycopg
from psycopg import sql
from temporalio.client import WorkflowExecutionStatus

from domain.deadlines import Deadline
from domain.issues import RectificationIssue
from domain.notices import Notice
from tests.integration.temporal_fixtures import (
    Clocks,
    clocks_fixture,  # noqa: F401  (provides the `clocks` fixture)
    register_issue,
)
from workflows.notifier import NAME as NOTIFIER
from workflows.notifier import Notifier


def _store_unreadable_event(
    clocks: Clocks, topic: str = RectificationIssue.Registered.TOPIC
) -> int:
    """A row no code can decode, as a damaged or foreign write would leave it."""
    table = sql.Identifier(clocks.schema, clocks.app.recorder.events_table_name)  # type: ignore[attr-defined]
    with psycopg.connect(clocks.database_url, autocommit=True) as conn:
        row = conn.execute(
            sql.SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, %s, %s) RETURNING notification_id"
            ).format(table),
            (uuid4(), topic, b"{not json"),
        ).fetchone()
    assert row is not None
    return int(row[0])


async def test_an_unreadable_event_is_set_aside_and_later_clocks_still_start(
    clocks: Clocks,
) -> None:
    bad = _store_unreadable_event(clocks)
    item = register_issue(clocks.app, Deadline.on(await clocks.today() + timedelta(days=60)))

    processed = await clocks.dispatcher.dispatch_pending()

    assert processed == clocks.app.recorder.max_notification_id()
    assert (await clocks.handle(item).describe()).status == WorkflowExecutionStatus.RUNNING
    assert _parked(clocks) == [("issue-clocks", bad, "skipped")]


def _parked(clocks: Clocks) -> list[tuple[str, int, str]]:
    with psycopg.connect(clocks.database_url) as conn:
        return conn.execute(  # type: ignore[return-value]
            sql.SQL("SELECT follower, position, outcome FROM {}.follower_parked").format(
                sql.Identifier(clocks.schema)
            )
        ).fetchall()


async def test_the_notifier_sets_aside_an_unreadable_notice_and_moves_on(clocks: Clocks) -> None:
    notifier = Notifier(
        clocks.app, clocks.database_url, clocks.schema, clocks.env.client, "notices"
    )
    try:
        bad = _store_unreadable_event(clocks, Notice.Issued.TOPIC)
        register_issue(clocks.app, Deadline.on(await clocks.today() + timedelta(days=60)))

        assert await notifier.notify_pending() == clocks.app.recorder.max_notification_id()
        assert await notifier.notify_pending() == 0  # its position moved past the event
    finally:
        notifier.close()
    assert _parked(clocks) == [(NOTIFIER, bad, "skipped")]
