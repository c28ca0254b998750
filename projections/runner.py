"""Runs the read models: batches of events, one transaction and one tracking write each.

Each model folds a whole batch in memory and writes it with a few statements per table
(projections/rowset.py, ADR 0052), model after model.

The tracking row is read `FOR UPDATE` at the start of every batch, so two runners (or a
runner and a rebuild) never apply the same events twice: the second waits, then starts
from the position the first committed. Gaps in notification ids (rolled-back inserts)
are harmless here: the recorder reads only up to the decided position, below which every
id has committed or rolled back (ADR 0051).

A batch that fails for anything but the connection is applied again one event at a time,
each in a savepoint, and the event that fails is sanitised or skipped and recorded
(projections/parked.py): one poisoned event never stops the read side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import closing
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from psycopg import sql

from domain.application import RectifyApp
from projections import bulk_registrations, changes, parked, staging
from projections.analyze import BULK_EVENTS, analyze
from projections.audiences import audience_of
from projections.reading import ReadAhead, read
from projections.registry import READ_MODELS, ReadModel, model_name, read_model, read_tables
from projections.wakeup import Listener

log = logging.getLogger(__name__)

NAME = "ledger"
BATCH_SIZE = 2000  # events per transaction: fewer statements per event than 500 (ADR 0059)
# a catch-up from position 0 over at least this many positions is a rebuild (ADR 0075)
REBUILD_FROM = 10_000
POLL_SECONDS = 1.0  # the fallback when no notice comes (a save's NOTIFY wakes the runner)
RETRY_FIRST, RETRY_CEILING = 0.01, 0.5  # after a notice that found nothing readable


def connect(database_url: str, schema: str) -> psycopg.Connection[Any]:
    """A connection whose search_path is the configured schema (transactions explicit)."""
    conn = psycopg.connect(database_url, autocommit=True)
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    return conn


def ensure_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Create the read tables if missing; serialised, as API and runner may start together."""
    ddl = staging.read_ddl()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rectify-ddl:{schema}",))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for statements in ddl:
            conn.execute(statements.encode())
        conn.execute(parked.DDL.encode())
        conn.execute(
            "INSERT INTO projection_tracking (name, position) VALUES (%s, 0)"
            " ON CONFLICT DO NOTHING",
            (NAME,),
        )


def _lock_position(cur: psycopg.Cursor[Any]) -> int:
    row = cur.execute(
        "SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE", (NAME,)
    ).fetchone()
    return int(row[0]) if row else 0


def _apply_batch(
    cur: psycopg.Cursor[Any],
    app: RectifyApp,
    after: int,
    limit: int,
    stop: int | None = None,
    models: Sequence[type[ReadModel]] = READ_MODELS,
    seen: list[Any] | None = None,
    reader: ReadAhead | None = None,
    every_model: bool | None = None,
) -> tuple[int, int]:
    """Apply up to `limit` events after `after` (up to `stop` when given) to `models`;
    return (events applied, last position). The events are appended to `seen` if given.

    Inside the caller's transaction; if the batch fails for anything but the connection
    (TRANSIENT), it is rolled back to a savepoint and applied one event at a time, each
    event that still fails sanitised or skipped and parked. `every_model` says the batch
    stands for all read models (by default: `models` is all of them); it then unparks."""
    if every_model is None:
        every_model = len(models) == len(READ_MODELS)
    if reader is not None:
        notifications, decoded = reader.read(after, limit, stop)
    else:
        notifications, decoded = read(app, after, limit, stop)
    last = notifications[-1].id if notifications else after
    events: list[Any] = []
    set_aside: set[int] = set()
    try:
        with cur.connection.transaction():
            events = _apply(cur, app, notifications, models, decoded)
    except parked.TRANSIENT:
        raise
    except Exception:
        log.warning("projection: a batch after %s failed; applying it event by event", after)
        for notification in notifications:
            applied, was_parked = _apply_alone(cur, app, notification, models)
            events.extend(applied)
            if was_parked:
                set_aside.add(notification.id)
    if every_model:  # a full replay that applies a parked event clears it
        parked.unpark(cur, NAME, [n.id for n in notifications if n.id not in set_aside])
    if seen is not None:
        seen.extend(events)
    return len(notifications), last


def _apply(
    cur: psycopg.Cursor[Any],
    app: RectifyApp,
    notifications: Sequence[Notification],
    models: Sequence[type[ReadModel]],
    decoded: list[Any] | None = None,
) -> list[Any]:
    """Each model in turn folds the whole batch (`prepare` loads the rows it touches,
    `apply` changes them in memory, `flush` writes them: a few statements per model, not
    per event). Model after model, so one that reads another's table (agency names) finds
    the rows the earlier one wrote for this very batch."""
    events = decoded
    if events is None:
        events = [app.mapper.to_domain_event(notification) for notification in notifications]
    batch = [
        (event, notification.id) for event, notification in zip(events, notifications, strict=True)
    ]
    for model in (model(cur) for model in models):
        prepare = getattr(model, "prepare", None)
        if prepare is not None:
            prepare(batch)
        for event, position in batch:
            model.apply(event, position)
        flush = getattr(model, "flush", None)
        if flush is not None:
            flush()
    return events


def _apply_alone(
    cur: psycopg.Cursor[Any],
    app: RectifyApp,
    notification: Notification,
    models: Sequence[type[ReadModel]],
) -> tuple[list[Any], bool]:
    """One event in its own savepoint; then its sanitised copy; then nothing. Returns the
    events applied and whether the event was parked (sanitised or skipped)."""
    conn = cur.connection
    try:
        with conn.transaction():
            return _apply(cur, app, [notification], models), False
    except parked.TRANSIENT:
        raise
    except Exception as error:
        failure: BaseException = error
    cleaned = parked.sanitised(notification)
    if cleaned is not None:
        try:
            with conn.transaction():
                events = _apply(cur, app, [cleaned], models)
            parked.park(cur, NAME, notification, parked.SANITISED, failure)
            log.error("projection: event %s projected without its NUL characters", notification.id)
            return events, True
        except parked.TRANSIENT:
            raise
        except Exception as error:
            failure = error
    parked.park(cur, NAME, notification, parked.SKIPPED, failure)
    log.error("projection: event %s skipped: %s", notification.id, parked.describe(failure))
    return [], True


def _save_position(cur: psycopg.Cursor[Any], position: int) -> None:
    cur.execute("UPDATE projection_tracking SET position = %s WHERE name = %s", (position, NAME))


def process_batch(
    conn: psycopg.Connection[Any],
    app: RectifyApp,
    channel: str,
    limit: int = BATCH_SIZE,
    reader: ReadAhead | None = None,
) -> int:
    """One transaction: the rows of up to `limit` events and the new position, together,
    and a notice to live clients on `channel` (changes.channel of the schema)."""
    events: list[Any] = []
    with conn.transaction(), conn.cursor() as cur:
        position = _lock_position(cur)
        count, last = _apply_batch(cur, app, position, limit, seen=events, reader=reader)
        if count:
            _save_position(cur, last)
            _announce(cur, channel, last, events)
    return count


def _announce(cur: psycopg.Cursor[Any], channel: str, position: int, events: list[Any]) -> None:
    """NOTIFY live clients of the batch; delivered at commit, so they refetch rows that
    are already there, and never for a batch rolled back."""
    kinds = {changes.kind_of(event) for event in events}
    agencies = audience_of(cur, (event.originator_id for event in events))
    payload = changes.notice(position, kinds, agencies)
    cur.execute("SELECT pg_notify(%s, %s)", (channel, payload))


def _catch_up(
    conn: psycopg.Connection[Any],
    app: RectifyApp,
    schema: str,
    limit: int,
    on_commit: Callable[[], None] | None = None,
    rebuild_from: int = REBUILD_FROM,
) -> int:
    total, channel = 0, changes.channel(schema)
    if _from_scratch(conn, app, rebuild_from):
        total = _rebuild(conn, app, schema, batch_size=limit, from_scratch=True)
        if total and on_commit is not None:
            on_commit()
    with ReadAhead(app) as reader:  # the next batch read while this one is written
        while count := process_batch(conn, app, channel, limit, reader):
            total += count
            if on_commit is not None:  # e.g. an audit checkpoint over what was just projected
                on_commit()
    return total


def _from_scratch(conn: psycopg.Connection[Any], app: RectifyApp, rebuild_from: int) -> bool:
    """Whether the read side has applied nothing of a log of at least `rebuild_from`
    positions (a restored or imported log, a new read side): then a rebuild builds it,
    at several times the speed of batches onto live tables (ADR 0075)."""
    row = conn.execute(
        "SELECT position FROM projection_tracking WHERE name = %s", (NAME,)
    ).fetchone()
    if row is None or row[0] != 0:
        return False
    return (app.recorder.max_notification_id() or 0) >= rebuild_from


def catch_up(
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    batch_size: int = BATCH_SIZE,
    rebuild_from: int = REBUILD_FROM,
) -> int:
    """One pass to the head of the log; returns how many events were applied. From
    position 0 over a log of at least `rebuild_from` positions, the pass is a rebuild."""
    app = RectifyApp(env=es_env)
    try:
        with closing(connect(database_url, schema)) as conn:
            ensure_schema(conn, schema)
            return _catch_up(conn, app, schema, batch_size, rebuild_from=rebuild_from)
    finally:
        app.close()


def run_projections(
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    stop: threading.Event,
    poll_seconds: float = POLL_SECONDS,
    on_commit: Callable[[], None] | None = None,
) -> None:
    """Catch up, then follow until `stop` is set: a pass as soon as a save's NOTIFY
    arrives, and every `poll_seconds` without one (projections/wakeup.py). A failed batch
    is retried after a pause. `on_commit` is called after every batch committed
    (rectify.audit_cli.checkpointing)."""
    app = RectifyApp(env=es_env)
    listener = Listener(database_url, app.recorder.channel_name)  # type: ignore[attr-defined]
    conn: psycopg.Connection[Any] | None = None
    woken, retry = False, None
    try:
        while not stop.is_set():
            try:
                if conn is None or conn.closed:
                    conn = connect(database_url, schema)
                    ensure_schema(conn, schema)
                listener.listen()  # before the pass: a save during it wakes the wait after
                applied = _catch_up(conn, app, schema, BATCH_SIZE, on_commit)
                if applied >= BULK_EVENTS:  # an import or a first catch-up: fresh statistics
                    analyze(conn, read_tables())
            except psycopg.OperationalError:
                log.warning("projection: database unavailable, retrying", exc_info=True)
                if conn is not None:
                    conn.close()
                conn = None
                stop.wait(max(poll_seconds, 1.0))
                continue
            except Exception:
                log.exception("projection: batch failed, retrying")
                stop.wait(max(poll_seconds, 1.0))
                continue
            retry = _next_retry(retry, woken, applied)
            woken = listener.wait(poll_seconds if retry is None else retry, stop)
    finally:
        if conn is not None:
            conn.close()
        listener.close()
        app.close()


def _next_retry(retry: float | None, woken: bool, applied: int) -> float | None:
    """How soon to look again without a notice (None: after the poll interval). A notice
    whose pass found nothing may announce a commit readable only once an older transaction
    ends (or the pass before took it): look again soon, ever less often, then stop."""
    if applied:
        return None
    if woken:
        return RETRY_FIRST
    if retry is not None and retry * 2 <= RETRY_CEILING:
        return retry * 2
    return None


def _events_up_to(cur: psycopg.Cursor[Any], app: RectifyApp, position: int) -> int:
    """How many events the log holds up to `position` (ids have gaps: not `position`)."""
    table = sql.Identifier(app.recorder.events_table_name)  # type: ignore[attr-defined]
    query = sql.SQL("SELECT count(*) FROM {} WHERE notification_id <= %s").format(table)
    row = cur.execute(query, (position,)).fetchone()
    return int(row[0]) if row else 0


def rebuild_projections(
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    model: str | None = None,
) -> int:
    """Replay the log into fresh tables of one read model (`model`, a registry name) or of
    all, swap them in place of the live ones and analyse them (projections/staging.py), in
    one transaction; returns how many events were replayed.

    The tracking row is locked first, as the runner locks it for each batch, so the runner
    waits for the whole rebuild and never interleaves with it. One model is replayed up to
    the position the runner had reached, so it ends exactly as fresh as the models left
    alone; all models are replayed up to the head and the position moves there.
    Readers see the old tables until the commit; only the swap at the end takes the
    exclusive lock (TRUNCATE's would block every API read for the whole replay).
    Progress is reported as (events replayed, events to replay).
    """
    app = RectifyApp(env=es_env)
    try:
        with closing(connect(database_url, schema)) as conn:
            ensure_schema(conn, schema)
            return _rebuild(conn, app, schema, progress, batch_size, model)
    finally:
        app.close()


def _rebuild(
    conn: psycopg.Connection[Any],
    app: RectifyApp,
    schema: str,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    model: str | None = None,
    from_scratch: bool = False,
) -> int:
    """`rebuild_projections` on `conn`; `from_scratch`: only if the position is still 0
    once locked (another runner may have caught up meanwhile), else nothing."""
    chosen = list(READ_MODELS) if model is None else [read_model(model)]
    # a model with `rebuild(cur)` is filled once after the replay, not batch by batch
    replayed = [m for m in chosen if not hasattr(m, "rebuild")]
    at_end = [m for m in chosen if hasattr(m, "rebuild")]
    report = progress or (lambda done, total: None)
    with conn.transaction(), conn.cursor() as cur:
        reached = _lock_position(cur)
        if from_scratch and reached != 0:
            return 0
        target = reached if model is not None else app.recorder.max_notification_id() or 0
        total = _events_up_to(cur, app, target)
        tables = [table for each in chosen for table in each.TABLES]
        staged = staging.stage(cur, schema, tables)
        deferred = staging.defer_indexes(cur, staged)
        applied, position = 0, 0
        report(applied, total)
        skip, registered = _registrations(cur, app, target, replayed, model is None)
        if registered:
            applied += registered
            report(applied, total)
        # the next batch read while this one is written
        with ReadAhead(app, skip) as reader:
            while replayed and position < target:
                count, position = _apply_batch(
                    cur,
                    app,
                    position,
                    batch_size,
                    target,
                    replayed,
                    reader=reader,
                    every_model=model is None,
                )
                if not count:
                    break
                applied += count
                report(applied, total)
        for each in at_end:
            each.rebuild(cur)
        # every event accounted for, those passed over (or left to `at_end`) too
        if (not replayed or skip is not None) and applied != total:
            applied = total
            report(applied, total)
        staging.build_indexes(cur, deferred)
        staging.swap(cur, schema, staged, tables)
        if model is None:
            _save_position(cur, target)
        # any row may have changed: every live client refetches (at commit)
        payload = changes.notice(reached if model is not None else target, [], None)
        cur.execute("SELECT pg_notify(%s, %s)", (changes.channel(schema), payload))
    return applied


def _registrations(
    cur: psycopg.Cursor[Any],
    app: RectifyApp,
    target: int,
    models: Sequence[type[ReadModel]],
    every_model: bool,
) -> tuple[str | None, int]:
    """Issue registrations projected by the database for the replayed `models` that make
    rows of them (projections/bulk_registrations.py, ADR 0075); with `every_model`, those
    parked are forgotten, as a full replay forgets what it applies. Returns the topic the
    replay may pass over (None: it must read every event) and how many were projected.
    Models without statements there make nothing of a registration
    (tests/unit/test_bulk_registrations.py), so with none of the others replayed the
    registrations are passed over without a statement."""
    names = [name for name in map(model_name, models) if name in bulk_registrations.STATEMENTS]
    if not names:
        return bulk_registrations.TOPIC, 0
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    follower = NAME if every_model else None
    projected = bulk_registrations.project(cur, table, target, names, follower)
    if projected is None:
        return None, 0
    return bulk_registrations.TOPIC, projected


def projection_position(database_url: str, schema: str) -> int:
    """The log position the read tables reflect (0 before the first batch)."""
    with closing(connect(database_url, schema)) as conn:
        try:
            row = conn.execute(
                "SELECT position FROM projection_tracking WHERE name = %s", (NAME,)
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
        return int(row[0]) if row else 0
