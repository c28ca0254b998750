"""The follower that turns the event log into clock starts and signals.

It reads the notification log like a projection, and for every event that can move a
clocked item's clock (domain.clocks registry) it signals-with-start the item's workflow
("look again"). It keeps a table of open clocks, so that a calendar load signals the open
clocks whose milestones it changes, and a policy applied to running clocks signals those
of its campaign and kind. Its position is
written only after a whole batch is dispatched, so a crash re-dispatches at most one
batch: delivery is at-least-once, which is safe because the workflow re-reads the issue
instead of trusting the signal. It never appends events; the clocks record what changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from psycopg import sql
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.application import RectifyApp
from domain.calendar import OfficialCalendar, YearArrangement
from domain.clocks import clocked_kinds, kind_of_topic
from domain.policies import EscalationPolicy
from infrastructure import trace_context
from infrastructure.stored_calendar import StoredCalendar
from projections.wakeup import AsyncListener
from workflows.clock_inputs import ClockInput, clock_workflow_id
from workflows.clock_workflow import ClockWorkflow
from workflows.following import TRANSIENT, follow
from workflows.positions import TRACKING, Positions
from workflows.reconcile import (
    RECONCILE_SECONDS,
    reconcile_clocks,
    running_clocks,
    temporal_epoch,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 100
CONCURRENT_SIGNALS = 16
DEFAULT_NAME = "issue-clocks"
CLOCKS = "dispatcher_clocks"  # every clocked item and whether its clock is open
CLOCKS_TRACKING = "dispatcher_clocks_tracking"
TRACER = trace.get_tracer("rectify.dispatcher")  # a no-op until the role starts tracing

CALENDAR_TOPICS = frozenset({OfficialCalendar.ArrangementLoaded.TOPIC})
POLICY_TOPICS = frozenset({EscalationPolicy.LadderSet.TOPIC})

Target = tuple[str, UUID]  # (clocked kind, item id)


def clock_topics() -> frozenset[str]:
    """Topics worth decoding; anything else (progress, the clock's own records) is skipped
    without reading its state."""
    topics = set(CALENDAR_TOPICS | POLICY_TOPICS)
    for entry in clocked_kinds():
        topics |= entry.topics | entry.closes_clock
    return frozenset(topics)


class _Item(NamedTuple):
    id: int  # the notification id, our position once dispatched
    target: Target | None  # the item whose clock to signal, if the event moves one
    open: bool = True  # the item's clock is still open after this event
    campaign: UUID | None = None
    event: Any = None  # a calendar load or policy change, fanned out to open clocks
    traceparent: str | None = None  # the trace the event was appended in (ADR 0063)


class Dispatcher:
    def __init__(
        self,
        app: RectifyApp,
        database_url: str,
        schema: str,
        client: Client,
        task_queue: str,
        name: str = DEFAULT_NAME,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.app = app
        self.database_url = database_url
        self.schema = schema
        self.client = client
        self.task_queue = task_queue
        self.name = name
        self.batch_size = batch_size
        self.topics = clock_topics()  # once every clocked kind has registered
        events_table = app.recorder.events_table_name  # type: ignore[attr-defined]
        self._take_traces = trace_context.take_statement(schema, events_table)
        self._positions = Positions(
            database_url,
            schema,
            tracking=(TRACKING, CLOCKS_TRACKING),
            ddl=[
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (kind text NOT NULL, item_id uuid NOT NULL, "
                    "campaign_id uuid, open boolean NOT NULL, PRIMARY KEY (kind, item_id))"
                ).format(sql.Identifier(schema, CLOCKS))
            ],
        )

    async def dispatch_pending(self, stop: asyncio.Event | None = None) -> int:
        """Catch up with the log; returns how many notifications were read past.

        With a backlog this can take a while: `stop` is honoured between batches (each
        batch's position is written, so nothing is lost or dispatched twice by stopping)."""
        position = await asyncio.to_thread(self._read_position)
        await asyncio.to_thread(self._backfill_clocks, position)
        processed = 0
        while True:
            batch = await asyncio.to_thread(self._read_batch, position)
            if not batch:
                return processed
            await self._dispatch(batch)
            position = batch[-1].id
            await asyncio.to_thread(self._write_clocks_position, position)
            await asyncio.to_thread(self._write_position, position)
            processed += len(batch)
            if stop is not None and stop.is_set():
                return processed

    async def reconcile(self) -> list[Target]:
        """(Re)start the clock of every open item Temporal does not run (workflows.reconcile);
        returns those started. Call it once the open-clocks table is current (after a pass)."""
        position = await asyncio.to_thread(self._read_position)
        open_clocks = await asyncio.to_thread(self._open_clocks)
        running = await running_clocks(self.client, self.task_queue, ClockWorkflow.__name__)
        return await reconcile_clocks(
            [(kind, item) for kind, item, _ in open_clocks],
            running,
            lambda target: self._signal(target, position),
        )

    # -- the log --------------------------------------------------------------------------

    def _read_batch(self, position: int) -> list[_Item]:
        """Every notification of the next batch: the position must pass skipped ones too."""
        notifications: Sequence[Notification] = self.app.recorder.select_notifications(
            start=position + 1, limit=self.batch_size
        )
        items = [self._classify_or_park(n) for n in notifications]
        if not items:
            return items
        traces = self._traces_upto(items[-1].id)
        return [i._replace(traceparent=traces.get(i.id)) for i in items]

    def _traces_upto(self, position: int) -> dict[int, str]:
        """The trace contexts of the events up to `position`, taken from their table (so
        pruned): a batch dispatched again after a failure starts traces of its own."""
        try:
            rows = self._execute(self._take_traces, (position,)).fetchall()
        except psycopg.errors.UndefinedTable:  # a log whose writers predate the table
            return {}
        return {int(n): str(t) for n, t in rows}

    def _classify_or_park(self, notification: Notification) -> _Item:
        """An event that cannot even be read (decoded, its clock entry consulted) is set
        aside and passed, rather than stopping every clock behind it."""
        try:
            return self._classify(notification)
        except TRANSIENT:
            raise
        except Exception as error:
            log.exception("dispatcher: event %s set aside", notification.id)
            self._positions.park(self.name, notification, error)
            return _Item(notification.id, None)

    def _classify(self, notification: Notification) -> _Item:
        if notification.topic not in self.topics:
            return _Item(notification.id, None)
        event = self.app.mapper.to_domain_event(notification)
        if notification.topic in CALENDAR_TOPICS or notification.topic in POLICY_TOPICS:
            return _Item(notification.id, None, event=event)
        entry = kind_of_topic(notification.topic)
        if entry is None or not entry.moves_clock(event):
            return _Item(notification.id, None)
        return _Item(
            notification.id,
            (entry.kind, event.originator_id),
            open=notification.topic not in entry.closes_clock,
            campaign=getattr(event, "campaign_id", None),
        )

    async def _dispatch(self, batch: list[_Item]) -> None:
        # The open clocks first, in log order, so a fan-out later in the batch sees them.
        opened = [i for i in batch if i.target is not None]
        if opened:
            await asyncio.to_thread(self._track_clocks, opened)
        # One signal per item per batch: the workflow re-reads everything anyway.
        latest: dict[Target, _Item] = {}
        for item in batch:
            if item.target is not None:
                latest[item.target] = item
            elif item.event is not None:
                for target in await asyncio.to_thread(self._affected_by, item.event):
                    latest[target] = item
        limit = asyncio.Semaphore(CONCURRENT_SIGNALS)

        async def signal(target: Target, cause: _Item) -> None:
            async with limit, signal_span(target, cause.id, cause.traceparent):
                await self._signal(target, cause.id)

        results = await asyncio.gather(
            *(signal(t, i) for t, i in latest.items()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result  # the position stays put; the batch is dispatched again

    async def _signal(self, target: Target, position: int) -> None:
        kind, item_id = target
        try:
            await self.client.start_workflow(
                ClockWorkflow.run,
                ClockInput(str(item_id), kind),
                id=clock_workflow_id(item_id, kind),
                task_queue=self.task_queue,
                start_signal="changed",
                start_signal_args=[position],
            )
        except WorkflowAlreadyStartedError:
            # A closed clock whose id may not be reused: the item ended, nothing to time.
            log.debug("clock of %s %s already closed", kind, item_id)

    # -- fan-out: a calendar load or a policy applied to running clocks ------------------

    def _affected_by(self, event: Any) -> list[Target]:
        if isinstance(event, EscalationPolicy.LadderSet):
            return self._affected_by_policy(event)
        if isinstance(event, OfficialCalendar.ArrangementLoaded):
            return self._affected_by_calendar(event)
        return []

    def _affected_by_policy(self, event: EscalationPolicy.LadderSet) -> list[Target]:
        """Only a version set for running clocks concerns them; new clocks read it anyway."""
        if not event.apply_to_running:
            return []
        policy: EscalationPolicy = self.app.repository.get(
            event.originator_id, version=event.originator_version
        )
        return [
            (kind, item_id)
            for kind, item_id, campaign in self._open_clocks()
            if kind == policy.kind and campaign == policy.campaign_id
        ]

    def _affected_by_calendar(self, event: OfficialCalendar.ArrangementLoaded) -> list[Target]:
        """The open clocks whose milestones differ with the year's days before and after,
        or whose due kept from a start and a period (a referral's claim, a clue's reply, a
        statutory step in days) the new days move: their clock records the move on its
        next read (ADR 0023)."""
        before: YearArrangement | None = None
        if event.originator_version > 1:
            previous: OfficialCalendar = self.app.repository.get(
                event.originator_id, version=event.originator_version - 1
            )
            before = previous.arrangement()
        after = YearArrangement.parse(event.year, event.holidays, event.working_days)
        affected: list[Target] = []
        for kind, item_id, _ in self._open_clocks():
            try:
                old = self.app.clock_view(
                    kind, item_id, StoredCalendar(self.app, {event.year: before})
                )
                new = self.app.clock_view(
                    kind, item_id, StoredCalendar(self.app, {event.year: after})
                )
            except Exception:
                # An item we cannot compare is signalled anyway: a needless read is cheap,
                # a missed recomputation is not.
                log.exception("cannot compare the clock of %s %s; signalling it", kind, item_id)
                affected.append((kind, item_id))
                continue
            if (
                _plan(old.milestones) != _plan(new.milestones)
                or old.derived_dues != new.derived_dues
            ):
                affected.append((kind, item_id))
        return affected

    # -- the open clocks -----------------------------------------------------------------

    def _clocks_table(self) -> sql.Composed:
        return self._positions.table(CLOCKS)

    def _track_clocks(self, items: list[_Item]) -> None:
        query = sql.SQL(
            "INSERT INTO {} (kind, item_id, campaign_id, open) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (kind, item_id) DO UPDATE SET open = EXCLUDED.open, "
            "campaign_id = COALESCE(EXCLUDED.campaign_id, {}.campaign_id)"
        ).format(self._clocks_table(), sql.Identifier("dispatcher_clocks"))
        for item in items:
            assert item.target is not None
            self._execute(query, (*item.target, item.campaign, item.open))

    def _backfill_clocks(self, position: int) -> None:
        """Fill the open-clocks table up to our position if it lags (a log dispatched
        before the table existed): the items' clock events, in log order, no signals."""
        done = self._read_clocks_position()
        topics = sorted(self.topics - CALENDAR_TOPICS - POLICY_TOPICS)
        while done < position:
            notifications = self.app.recorder.select_notifications(
                start=done + 1, limit=self.batch_size, stop=position, topics=topics
            )
            if not notifications:
                break
            items = [i for i in map(self._classify, notifications) if i.target is not None]
            self._track_clocks(items)
            done = notifications[-1].id
            self._write_clocks_position(done)
        if done < position:
            self._write_clocks_position(position)

    def _read_clocks_position(self) -> int:
        return self._positions.read(self.name, CLOCKS_TRACKING)

    def _write_clocks_position(self, position: int) -> None:
        self._positions.write(self.name, position, CLOCKS_TRACKING)

    def _open_clocks(self) -> list[tuple[str, UUID, UUID | None]]:
        query = sql.SQL("SELECT kind, item_id, campaign_id FROM {} WHERE open").format(
            self._clocks_table()
        )
        return [(str(k), UUID(str(i)), c) for k, i, c in self._execute(query).fetchall()]

    # -- our position ---------------------------------------------------------------------

    def _execute(
        self, query: sql.SQL | sql.Composed, params: tuple[Any, ...] = ()
    ) -> psycopg.Cursor[Any]:
        return self._positions.execute(query, params)

    def _read_position(self) -> int:
        return self._positions.read(self.name)

    def _write_position(self, position: int) -> None:
        self._positions.write(self.name, position)

    def close(self) -> None:
        self._positions.close()


@asynccontextmanager
async def signal_span(target: Target, position: int, traceparent: str | None) -> Any:
    """The span of one signal, a child of the append that caused it when that was traced
    (its W3C context read back from the log's trace table), else a trace of its own;
    Temporal's client interceptor then carries it into the workflow's headers."""
    parent = trace_context.PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else None
    with TRACER.start_as_current_span(
        "dispatcher.signal",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={"rectify.clock_kind": target[0], "rectify.position": position},
    ) as span:
        yield span


def _plan(milestones: Sequence[Any]) -> list[tuple[str, Any, bool]]:
    return [(m.key, m.at, m.provisional) for m in milestones]


async def run_dispatcher(
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    client: Client,
    task_queue: str,
    stop: asyncio.Event,
    make_app: Callable[[dict[str, str]], RectifyApp] = RectifyApp,
    reconcile_seconds: float = RECONCILE_SECONDS,
) -> None:
    """Follow the log until `stop` is set; errors are logged and retried with backoff.

    `make_app` builds the application (the composition root wires its calendar)."""
    app = make_app(es_env)
    dispatcher = Dispatcher(app, database_url, schema, client, task_queue)
    listener = AsyncListener(database_url, app.recorder.channel_name)  # type: ignore[attr-defined]
    try:
        await follow(
            dispatcher.dispatch_pending,
            stop,
            "clock dispatch",
            reconcile=dispatcher.reconcile,  # clocks Temporal lost are started again
            reconcile_seconds=reconcile_seconds,
            epoch=lambda: temporal_epoch(client),
            listener=listener,  # woken by each save's NOTIFY
        )
    finally:
        await listener.close()
        await asyncio.to_thread(dispatcher.close)
        app.close()
