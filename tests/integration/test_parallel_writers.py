"""Writers that do not queue behind each other (docs/decisions/0051): no table lock, yet a
follower never passes an event that commits late, every event is read exactly once, two
writers of one stream still collide on the primary key so the hash chain stays exact, and
a log written by the recorder before the change reads and verifies after it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from psycopg import sql

from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.ledger_rows import LedgerRow
from infrastructure.checkpoints import take_checkpoint
from infrastructure.custody import custody_of
from infrastructure.event_hashes import GENESIS, event_hash
from infrastructure.event_store import CHUNK, ChunkedApplicationRecorder
from infrastructure.verification import verify
from rectify.settings import DEV_AUDIT_KEY

EVENTS, HASHES = "rectify_events", "rectify_events_hashes"
BEFORE_0051 = "tests.fixtures.recorder_before_0051:RecorderBefore0051"


def _recorder(app: RectifyApp) -> ChunkedApplicationRecorder:
    recorder = app.recorder
    assert isinstance(recorder, ChunkedApplicationRecorder)
    return recorder


def _event(stream: UUID, version: int, text: str = "x") -> StoredEvent:
    return StoredEvent(
        originator_id=stream,
        originator_version=version,
        topic="tests.parallel:Happened",
        state=f'{{"text": "{text}"}}'.encode(),
    )


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        yield conn


class _Held:
    """A save held open after it drew its notification id: another transaction holds an
    uncommitted hash row of the same (stream, version), so the save's own hash row waits
    for it. Rolling the other transaction back lets the save commit."""

    def __init__(self, database_url: str, schema: str, recorder: ChunkedApplicationRecorder):
        self.blocker = psycopg.connect(database_url)
        self.blocker.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        self.recorder, self.schema = recorder, schema
        self.errors: list[BaseException] = []
        self.ids: list[int] = []

    def hold(self, event: StoredEvent) -> None:
        self.blocker.execute(
            f"INSERT INTO {HASHES} VALUES (%s, %s, %s, -1)",
            (event.originator_id, event.originator_version, b"\0" * 32),
        )
        self.thread = threading.Thread(target=self._save, args=(event,))
        self.thread.start()
        self._wait_until_blocked()

    def _save(self, event: StoredEvent) -> None:
        try:
            self.ids.extend(self.recorder.insert_events([event]) or [])
        except BaseException as error:  # collected: a thread's exception is lost
            self.errors.append(error)

    def _wait_until_blocked(self) -> None:
        """Until the save waits for a lock: it has drawn its id and inserted its event."""
        with psycopg.connect(self.blocker.info.dsn, autocommit=True) as watcher:
            for _ in range(1000):
                row = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND pid <> %s AND strpos(query, %s) > 0",
                    (self.blocker.info.backend_pid, f'"{self.schema}"."{EVENTS}"'),
                ).fetchone()
                if row and row[0]:
                    return
                time.sleep(0.02)
        raise AssertionError("the held save never reached its hash row")

    def release(self, *, commit_blocker: bool = False) -> None:
        if commit_blocker:
            self.blocker.commit()
        else:
            self.blocker.rollback()
        self.blocker.close()
        self.thread.join()


class _Follower:
    """Reads the log as every follower does: from its position, moving the position to
    the last id it read."""

    def __init__(self, recorder: ChunkedApplicationRecorder, limit: int = 100) -> None:
        self.recorder, self.limit = recorder, limit
        self.position = 0
        self.seen: list[int] = []

    def read(self) -> int:
        batch = self.recorder.select_notifications(start=self.position + 1, limit=self.limit)
        self.seen.extend(n.id for n in batch)
        if batch:
            self.position = batch[-1].id
        return len(batch)

    def drain(self) -> None:
        while self.read():
            pass


def test_a_follower_waits_for_a_save_still_open_and_reads_it_once_it_commits(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    recorder = _recorder(app)
    earlier = recorder.insert_events([_event(uuid4(), 1)]) or []
    follower = _Follower(recorder)
    follower.drain()
    held = _Held(database_url, schema, recorder)
    held.hold(_event(uuid4(), 1))
    try:
        later = [
            id_ for _ in range(3) for id_ in recorder.insert_events([_event(uuid4(), 1)]) or []
        ]

        follower.drain()
        assert follower.seen == earlier  # the later commits wait behind the open save
        assert recorder.max_notification_id() == earlier[-1]
    finally:
        held.release()
    assert held.errors == []

    follower.drain()
    assert follower.seen == earlier + held.ids + later
    assert held.ids[0] < later[0]


def test_a_save_that_rolls_back_holds_followers_only_while_it_is_open(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    recorder = _recorder(app)
    held = _Held(database_url, schema, recorder)
    held.hold(_event(uuid4(), 1))
    follower = _Follower(recorder)
    try:
        later = recorder.insert_events([_event(uuid4(), 1)]) or []
        follower.drain()
        assert follower.seen == []
    finally:
        held.release(commit_blocker=True)  # the held save's hash row collides: it rolls back
    assert [type(error) for error in held.errors] == [IntegrityError]

    follower.drain()
    assert follower.seen == later  # past the gap its id left


def test_many_concurrent_writers_and_one_follower_see_every_event_exactly_once(
    app: RectifyApp, db: psycopg.Connection[Any]
) -> None:
    recorder = _recorder(app)
    writers, saves = 8, 30
    written: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()
    lock = threading.Lock()
    barrier = threading.Barrier(writers + 1)

    def write(n: int) -> None:
        barrier.wait()
        try:
            for i in range(saves):
                stream = uuid4()
                if n == 0 and i % 10 == 0:  # a save of several chunks stays open longer
                    events = [_event(uuid4(), 1) for _ in range(CHUNK + 50)]
                else:
                    events = [_event(stream, v) for v in range(1, 1 + i % 3 + 1)]
                ids = recorder.insert_events(events) or []
                with lock:
                    written.extend(ids)
                if i % 7 == 0:  # a conflict: ids drawn and rolled back leave a gap
                    with pytest.raises(IntegrityError):
                        recorder.insert_events([_event(uuid4(), 1), events[0]])
        except BaseException as error:  # collected: a thread's exception is lost
            errors.append(error)

    follower = _Follower(recorder, limit=37)

    def follow() -> None:
        barrier.wait()
        while not done.is_set():
            follower.read()
        follower.drain()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    reader = threading.Thread(target=follow)
    for thread in [*threads, reader]:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()

    assert errors == []
    stored = [row[0] for row in db.execute(f"SELECT notification_id FROM {EVENTS} ORDER BY 1")]
    assert len(follower.seen) == len(set(follower.seen))
    assert follower.seen == sorted(follower.seen) == stored == sorted(written)


def test_two_writers_of_one_stream_collide_and_the_chain_still_verifies(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    recorder = _recorder(app)
    stream = uuid4()
    recorder.insert_events([_event(stream, 1)])
    held = _Held(database_url, schema, recorder)
    held.hold(_event(stream, 2, "first"))  # has drawn its id, not committed
    second: list[BaseException] = []

    def save_second() -> None:
        try:
            recorder.insert_events([_event(stream, 2, "second"), _event(stream, 3, "second")])
        except BaseException as error:
            second.append(error)

    thread = threading.Thread(target=save_second)
    thread.start()
    held.release()
    thread.join()

    assert held.errors == []
    assert [type(error) for error in second] == [IntegrityError]
    stored = app.recorder.select_events(stream)
    assert [(e.originator_version, e.state) for e in stored] == [
        (1, b'{"text": "x"}'),
        (2, b'{"text": "first"}'),
    ]
    assert verify(recorder, custody_of(app, DEV_AUDIT_KEY, 0)).intact


def test_many_writers_racing_on_one_stream_leave_one_chain_without_a_fork(
    app: RectifyApp,
) -> None:
    recorder = _recorder(app)
    stream = uuid4()
    recorder.insert_events([_event(stream, 1)])
    writers, attempts = 6, 15
    conflicts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def race(n: int) -> None:
        barrier.wait()
        try:
            for i in range(attempts):
                head = recorder.select_events(stream, desc=True, limit=1)[0].originator_version
                try:
                    recorder.insert_events([_event(stream, head + 1, f"{n}-{i}")])
                except IntegrityError:
                    conflicts.append(n)
        except BaseException as error:  # collected: a thread's exception is lost
            errors.append(error)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    versions = [e.originator_version for e in recorder.select_events(stream)]
    assert versions == list(range(1, 2 + writers * attempts - len(conflicts)))
    assert verify(recorder, custody_of(app, DEV_AUDIT_KEY, 0)).intact


def _rows(*numbers: str) -> list[LedgerRow]:
    return [
        LedgerRow(2, n, "问题", ["措施"], "县卫健局", ["县医保局"], parse_deadline("2026年3月底"))
        for n in numbers
    ]


def test_a_log_written_before_the_change_upgrades_at_start_without_loss(
    es_env: dict[str, str], db: psycopg.Connection[Any]
) -> None:
    before = RectifyApp(env={**es_env, "APPLICATION_RECORDER_TOPIC": BEFORE_0051})
    try:
        before.import_ledger("旧台账", _rows("1", "2"), actor="t", source="f", create_agencies=True)
        health = before.find_agency("县卫健局")
        assert health is not None
        agency = before.get_agency(health)
        agency.add_alias("卫健局", "t")
        before.save(agency)
    finally:
        before.close()
    written_before = [row[0] for row in db.execute(f"SELECT notification_id FROM {EVENTS}")]

    for _ in range(2):  # the upgrade runs at every start, and changes nothing the second time
        RectifyApp(env=es_env).close()
    after = RectifyApp(env=es_env)
    try:
        agency = after.get_agency(health)
        agency.add_alias("卫健委", "t")  # the stream's chain continues from the old hashes
        after.save(agency)
        after.import_ledger("新台账", _rows("3"), actor="t", source="f", create_agencies=True)
        recorder = _recorder(after)
        follower = _Follower(recorder)
        follower.drain()
        stored = [row[0] for row in db.execute(f"SELECT notification_id FROM {EVENTS} ORDER BY 1")]
        assert follower.seen == stored
        assert set(written_before) < set(stored)
        assert verify(recorder, custody_of(after, DEV_AUDIT_KEY, 0)).intact
    finally:
        after.close()


def _heard(listener: psycopg.Connection[Any]) -> bool:
    return any(True for _ in listener.notifies(timeout=10, stop_after=1))


def test_a_listener_hears_of_a_save_and_of_one_that_rolled_back(
    app: RectifyApp, database_url: str
) -> None:
    recorder = _recorder(app)
    stream = uuid4()
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(recorder.channel_name)))

        recorder.insert_events([_event(stream, 1)])
        assert _heard(listener)

        # a rollback can move the decided position too: followers waiting behind it wake
        with pytest.raises(IntegrityError):
            recorder.insert_events([_event(stream, 1)])
        assert _heard(listener)


def test_a_checkpoint_stops_before_a_save_still_open_and_covers_it_once_committed(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    recorder = _recorder(app)
    custody = custody_of(app, DEV_AUDIT_KEY, 10)
    earlier = recorder.insert_events([_event(uuid4(), 1)]) or []
    held = _Held(database_url, schema, recorder)
    held.hold(_event(uuid4(), 1))
    try:
        later = recorder.insert_events([_event(uuid4(), 1)]) or []
        first, _ = take_checkpoint(recorder, custody)
    finally:
        held.release()
    assert first is not None and first.position == earlier[-1]

    second, taken = take_checkpoint(recorder, custody)
    assert taken and second is not None and second.position == later[-1]
    assert verify(recorder, custody).intact


def test_the_hashes_chained_in_the_save_statement_are_those_event_hashes_computes(
    app: RectifyApp, db: psycopg.Connection[Any]
) -> None:
    recorder = _recorder(app)
    one, other = uuid4(), uuid4()
    recorder.insert_events([_event(one, 1, "第一")])
    saved = [_event(other, 1, "甲"), _event(one, 2, "第二"), _event(one, 3, "第三"),
             _event(other, 2, "乙")]  # fmt: skip
    recorder.insert_events(saved)

    expected: dict[tuple[UUID, int], bytes] = {}
    previous = {one: GENESIS, other: GENESIS}
    for event in sorted([_event(one, 1, "第一"), *saved], key=lambda e: e.originator_version):
        stream = event.originator_id
        previous[stream] = event_hash(
            previous[stream], stream, event.originator_version, event.topic, event.state
        )
        expected[(stream, event.originator_version)] = previous[stream]
    stored = {
        (row[0], row[1]): bytes(row[2])
        for row in db.execute(f"SELECT originator_id, originator_version, hash FROM {HASHES}")
    }
    assert stored == expected
