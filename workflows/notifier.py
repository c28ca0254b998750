"""The follower that turns clock milestones into notices and notices into deliveries.

It reads the notification log like the clock dispatcher (batches, its position in
`dispatcher_tracking` under the name "notifications", written after each batch, so a
crash redoes at most one batch). Two steps, each safe to repeat:

1. a milestone event (reminder, overdue, escalation rung, statutory breach — of any
   clocked item kind), or a referral's return (退回, for the leading group office, which
   must reassign it), becomes `Notice` events, one per recipient, ids derived from the
   event, so a repeat issues nothing new;
2. a `Notice.Issued` event (further down the log) starts one `DeliveryWorkflow` per
   endpoint of the recipient agency that wants this kind, with the workflow id derived
   from (notice, endpoint) and duplicates rejected: a re-dispatched notice starts nothing.
   The delivery's own record (`Delivery`) stops a second send even after Temporal has
   forgotten a finished workflow.

It also keeps each periodic duty's Temporal schedule in step with the duty's events
(`ReportingDuty` set, changed or ended): it is the follower that already talks to Temporal
about notices, and schedule changes are rare.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg import sql
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.application import RectifyApp
from domain.delivery import delivery_id
from domain.notices import STEP_TOPICS, Notice, notice_of
from domain.reporting import ReportingDuty
from projections.wakeup import AsyncListener
from workflows.delivery_channels import Message
from workflows.delivery_inputs import DeliveryInput, delivery_workflow_id
from workflows.delivery_workflow import DeliveryWorkflow
from workflows.following import TRANSIENT, follow
from workflows.positions import TRACKING, Positions
from workflows.reconcile import temporal_epoch
from workflows.reporting_activities import schedule_id, sync_schedule

log = logging.getLogger(__name__)

NAME = "notifications"
DUTIES = "notifier_duties"  # every reporting duty and whether it has ended
DUTIES_TRACKING = "notifier_duties_tracking"
BATCH_SIZE = 100
CONCURRENT_STARTS = 16
DUTY_TOPICS = frozenset(
    (ReportingDuty.Set.TOPIC, ReportingDuty.Changed.TOPIC, ReportingDuty.Ended.TOPIC)
)


def _stream_id(notification: Notification) -> UUID:
    """Our streams are named by UUIDs; the library types an originator id as UUID | str."""
    found = notification.originator_id
    return found if isinstance(found, UUID) else UUID(found)


class Notifier:
    def __init__(
        self,
        app: RectifyApp,
        database_url: str,
        schema: str,
        client: Client,
        task_queue: str,
        name: str = NAME,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.app = app
        self.database_url = database_url
        self.schema = schema
        self.client = client
        self.task_queue = task_queue
        self.name = name
        self.batch_size = batch_size
        self._positions = Positions(
            database_url,
            schema,
            tracking=(TRACKING, DUTIES_TRACKING),
            ddl=[
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} "
                    "(duty_id uuid PRIMARY KEY, ended boolean NOT NULL)"
                ).format(sql.Identifier(schema, DUTIES))
            ],
        )

    async def notify_pending(self, stop: asyncio.Event | None = None) -> int:
        """Catch up with the log; returns how many notifications were read past. `stop` is
        honoured between batches, whose positions are written as they complete."""
        position = await asyncio.to_thread(self._read_position)
        await asyncio.to_thread(self._backfill_duties, position)
        processed = 0
        while True:
            batch = await asyncio.to_thread(
                self.app.recorder.select_notifications, position + 1, self.batch_size
            )
            if not batch:
                return processed
            await self._process_or_park(batch)
            position = batch[-1].id
            await asyncio.to_thread(self._write_position, position)
            processed += len(batch)
            if stop is not None and stop.is_set():
                return processed

    async def _process_or_park(self, batch: Sequence[Notification]) -> None:
        """A batch that fails for anything but PostgreSQL or Temporal is processed again
        one event at a time; an event that still fails is set aside, not retried for ever."""
        try:
            await self._process(batch)
            return
        except TRANSIENT:
            raise
        except Exception:
            log.warning("notifier: a batch failed; processing it event by event")
        for notification in batch:
            try:
                await self._process([notification])
            except TRANSIENT:
                raise
            except Exception as error:
                log.exception("notifier: event %s set aside", notification.id)
                await asyncio.to_thread(self._positions.park, self.name, notification, error)

    async def _process(self, batch: Sequence[Notification]) -> None:
        await asyncio.to_thread(issue_notices_in, self.app, batch)
        notices: list[Notice.Issued] = [
            self.app.mapper.to_domain_event(n)  # type: ignore[misc]
            for n in batch
            if n.topic == Notice.Issued.TOPIC
        ]
        starts = [start for notice in notices for start in await self._deliveries(notice)]
        limit = asyncio.Semaphore(CONCURRENT_STARTS)

        async def start(input: DeliveryInput) -> None:
            async with limit:
                await self._start(input)

        results = await asyncio.gather(*(start(s) for s in starts), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result  # the position stays put; the batch is processed again
        for duty in dict.fromkeys(_stream_id(n) for n in batch if n.topic in DUTY_TOPICS):
            found = await asyncio.to_thread(self.app.get_reporting_duty, duty)
            await sync_schedule(self.client, found, self.task_queue)
            await asyncio.to_thread(self._track_duty, found.id, found.ended)

    # -- the duties' schedules, re-created if Temporal lost them (workflows/reconcile.py) --

    def _track_duty(self, duty: UUID, ended: bool) -> None:
        self._positions.execute(
            sql.SQL(
                "INSERT INTO {} (duty_id, ended) VALUES (%s, %s) "
                "ON CONFLICT (duty_id) DO UPDATE SET ended = EXCLUDED.ended"
            ).format(self._positions.table(DUTIES)),
            (duty, ended),
        )

    def _backfill_duties(self, position: int) -> None:
        """Fill the duties table up to our position once (a log followed before it existed)."""
        done = self._positions.read(self.name, DUTIES_TRACKING)
        if done >= position:
            return
        while notifications := self.app.recorder.select_notifications(
            start=done + 1, limit=self.batch_size, stop=position, topics=sorted(DUTY_TOPICS)
        ):
            for duty in dict.fromkeys(_stream_id(n) for n in notifications):
                self._track_duty(duty, self.app.get_reporting_duty(duty).ended)
            done = notifications[-1].id
        self._positions.write(self.name, position, DUTIES_TRACKING)

    async def reconcile(self) -> list[UUID]:
        """Create again the schedule of every running duty Temporal does not have."""
        rows = await asyncio.to_thread(
            lambda: self._positions.execute(
                sql.SQL("SELECT duty_id FROM {} WHERE NOT ended").format(
                    self._positions.table(DUTIES)
                )
            ).fetchall()
        )
        missing: list[UUID] = []
        for (duty,) in rows:
            try:
                await self.client.get_schedule_handle(schedule_id(duty)).describe()
            except RPCError as error:
                if error.status is not RPCStatusCode.NOT_FOUND:
                    raise
                found = await asyncio.to_thread(self.app.get_reporting_duty, duty)
                await sync_schedule(self.client, found, self.task_queue)
                missing.append(duty)
        if missing:
            log.warning("re-created %d reporting schedule(s) missing in Temporal", len(missing))
        return missing

    async def _deliveries(self, notice: Notice.Issued) -> list[DeliveryInput]:
        if notice.agency_id is None:
            return []
        agency = notice.agency_id
        endpoints = await asyncio.to_thread(self.app.endpoints_of, agency)
        wanted = [e for e in endpoints if e.wants(notice.kind)]
        if not wanted:
            return []
        name = (await asyncio.to_thread(self.app.get_agency, agency)).name
        return [
            DeliveryInput(
                Message(
                    delivery_id=str(delivery_id(notice.originator_id, endpoint.id)),
                    notice_id=str(notice.originator_id),
                    kind=notice.kind,
                    rung=notice.rung,
                    title=notice.title,
                    body=notice.body,
                    item_kind=notice.item_kind,
                    item_id=str(notice.item_id),
                    agency_id=str(agency),
                    agency_name=name,
                    at=notice.at.isoformat(),
                ),
                str(endpoint.id),
            )
            for endpoint in wanted
        ]

    async def _start(self, input: DeliveryInput) -> None:
        try:
            await self.client.start_workflow(
                DeliveryWorkflow.run,
                input,
                id=delivery_workflow_id(input.message.delivery_id),
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            log.debug("delivery %s already started", input.message.delivery_id)

    # -- our position ---------------------------------------------------------------------

    def _read_position(self) -> int:
        return self._positions.read(self.name)

    def _write_position(self, position: int) -> None:
        self._positions.write(self.name, position)

    def close(self) -> None:
        self._positions.close()


def issue_notices_in(app: RectifyApp, batch: Sequence[Notification]) -> int:
    """Step 1 for a batch of the log: the notices of its milestone events (and returned
    referrals); how many new."""
    issued = 0
    for notification in batch:
        topic = notification.topic
        if not topic.endswith("Recorded") and topic not in STEP_TOPICS:  # before decoding
            continue
        milestone = notice_of(app.mapper.to_domain_event(notification))
        if milestone is not None and app.issue_notices(milestone).changed:
            issued += 1
    return issued


async def run_notifier(
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    client: Client,
    task_queue: str,
    stop: asyncio.Event,
    make_app: Callable[[dict[str, str]], RectifyApp] = RectifyApp,
) -> None:
    """Follow the log until `stop` is set; errors are logged and retried with backoff.

    `make_app` builds the application (the composition root wires its calendar)."""
    app = make_app(es_env)
    notifier = Notifier(app, database_url, schema, client, task_queue)
    listener = AsyncListener(database_url, app.recorder.channel_name)  # type: ignore[attr-defined]
    try:
        await follow(
            notifier.notify_pending,
            stop,
            "notification dispatch",
            reconcile=notifier.reconcile,  # schedules Temporal lost are created again
            epoch=lambda: temporal_epoch(client),
            listener=listener,  # woken by each save's NOTIFY
        )
    finally:
        await listener.close()
        await asyncio.to_thread(notifier.close)
        app.close()
