"""Verifying the hash chains and taking checkpoints of the whole log.

`verify` reads everything in one read-only REPEATABLE READ transaction, so writers may go
on meanwhile and both passes see the same log:
1. every stream in version order: its events joined with their hash rows, each hash
   recomputed from the event and the recomputed hash of the event before it;
2. every hash row in notification-id order, folded into the log digest, against every
   checkpoint (pass 1 has shown the hash rows are the events' true hashes).
Both passes stream through server-side cursors: memory does not grow with the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from rectify.event_hashes import GENESIS, checkpoint_digest, event_hash, fold_log
from rectify.event_store import ChunkedApplicationRecorder

log = logging.getLogger(__name__)

ITERSIZE = 2000


class BreakKind(Enum):
    CONTENT_CHANGED = "事件内容被改动 / event content (topic or state) changed"
    HASH_ALTERED = "哈希记录被改动 / hash row altered"
    CHANGED = "事件或其哈希记录被改动 / event or its hash row changed"
    DELETED = "事件被删除（哈希记录仍在）/ event deleted (its hash row remains)"
    DELETED_WITH_HASH = "事件及其哈希记录被删除 / event deleted together with its hash row"
    INSERTED = (
        "事件没有哈希记录（被插入，或哈希记录被删除）/ "
        "event has no hash row (inserted, or its hash row deleted)"
    )
    RENUMBERED = "事件的日志位置与哈希记录不符 / event's log position differs from its hash row"
    CHECKPOINT_MISMATCH = "检查点与日志不符 / checkpoint does not match the log"
    CHECKPOINT_MISSING = "检查点缺失 / checkpoint missing"
    CHECKPOINT_UNKNOWN = (
        "库中没有该摘要的检查点（日志被重写或检查点被删除）/ "
        "no checkpoint with that digest (log rewritten or checkpoint deleted)"
    )


@dataclass(frozen=True)
class Break:
    kind: BreakKind
    originator_id: str | None = None
    version: int | None = None
    position: int | None = None
    detail: str = ""

    def describe(self) -> str:
        where = []
        if self.originator_id is not None:
            where.append(f"流 stream {self.originator_id}")
        if self.version is not None:
            where.append(f"版本 version {self.version}")
        if self.position is not None:
            where.append(f"位置 position {self.position}")
        text = ("  ".join(where) + ": " if where else "") + self.kind.value
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    position: int
    events: int
    taken_at: datetime
    log_digest: bytes
    digest: bytes


@dataclass
class Verification:
    events: int = 0
    streams: int = 0
    checkpoints: int = 0
    breaks: list[Break] = field(default_factory=list)
    proven: Checkpoint | None = None  # the checkpoint named with --checkpoint, if it held

    @property
    def intact(self) -> bool:
        return not self.breaks

    def first(self) -> Break | None:
        """The break earliest in the log (those without a known position last). At one
        position an unhashed event comes after the rest: when an event's id or version is
        edited, the hash row left behind names the stream and version it really had."""
        return min(
            self.breaks,
            key=lambda b: (b.position is None, b.position or 0, b.kind is BreakKind.INSERTED),
            default=None,
        )


# -- SQL ----------------------------------------------------------------------------------


def _names(recorder: ChunkedApplicationRecorder) -> dict[str, Identifier]:
    return {
        "schema": Identifier(recorder.datastore.schema),
        "events": Identifier(recorder.events_table_name),
        "hashes": Identifier(recorder.hashes_table_name),
        "checkpoints": Identifier(recorder.checkpoints_table_name),
    }


def _streams_query(recorder: ChunkedApplicationRecorder) -> Composed:
    return SQL(
        "SELECT originator_id, originator_version, e.topic, e.state, "
        "e.notification_id AS event_position, h.hash, h.notification_id AS hash_position, "
        "e.originator_id IS NOT NULL AS has_event, h.originator_id IS NOT NULL AS has_hash "
        "FROM {schema}.{events} AS e FULL OUTER JOIN {schema}.{hashes} AS h "
        "USING (originator_id, originator_version) "
        "ORDER BY originator_id, originator_version"
    ).format(**_names(recorder))


def _hashes_query(recorder: ChunkedApplicationRecorder) -> Composed:
    return SQL(
        "SELECT notification_id, hash FROM {schema}.{hashes} "
        "WHERE notification_id > %s ORDER BY notification_id"
    ).format(**_names(recorder))


def _checkpoints(curs: Cursor[DictRow], recorder: ChunkedApplicationRecorder) -> list[Checkpoint]:
    curs.execute(
        SQL(
            "SELECT seq, position, events, taken_at, log_digest, digest "
            "FROM {schema}.{checkpoints} WHERE log = %s ORDER BY seq"
        ).format(**_names(recorder)),
        (recorder.events_table_name,),
    )
    return [
        Checkpoint(
            row["seq"],
            row["position"],
            row["events"],
            row["taken_at"],
            bytes(row["log_digest"]),
            bytes(row["digest"]),
        )
        for row in curs.fetchall()
    ]


@contextmanager
def _snapshot(recorder: ChunkedApplicationRecorder) -> Iterator[Connection[DictRow]]:
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn


def _rows(
    conn: Connection[DictRow], name: str, query: Composed, params: tuple[Any, ...] = ()
) -> Iterator[DictRow]:
    with conn.cursor(name=name) as curs:
        curs.itersize = ITERSIZE
        curs.execute(query, params)
        yield from curs


# -- pass 1: the chain of every stream ----------------------------------------------------


@dataclass
class _Suspect:
    """A hash mismatch whose cause the next event of the stream tells."""

    version: int
    position: int | None
    stored: bytes
    recomputed: bytes


def _classify(suspect: _Suspect, oid: str, after: DictRow | None) -> Break:
    kind = BreakKind.CHANGED
    if after is not None and after["has_event"] and after["has_hash"]:
        content = (oid, after["originator_version"], after["topic"], bytes(after["state"]))
        stored_next = bytes(after["hash"])
        if stored_next == event_hash(suspect.stored, *content):
            kind = BreakKind.CONTENT_CHANGED  # the old hash row still chains on
        elif stored_next == event_hash(suspect.recomputed, *content):
            kind = BreakKind.HASH_ALTERED  # the event is what the next hash was built on
    return Break(kind, oid, suspect.version, suspect.position)


def _check_streams(conn: Connection[DictRow], recorder: ChunkedApplicationRecorder) -> Verification:
    result = Verification()
    current: Any = object()
    previous = GENESIS
    expected = 1
    broken = False
    suspect: _Suspect | None = None
    for row in _rows(conn, "audit_streams", _streams_query(recorder)):
        oid = str(row["originator_id"])
        version = row["originator_version"]
        if oid != current:
            if suspect is not None:
                result.breaks.append(_classify(suspect, str(current), None))
            current, previous, expected, broken, suspect = oid, GENESIS, 1, False, None
            result.streams += 1
        result.events += bool(row["has_event"])
        if suspect is not None:
            result.breaks.append(_classify(suspect, oid, row))
            suspect, broken = None, True
        if broken:
            continue
        position = row["event_position"] or row["hash_position"]
        broken = True
        if version != expected:
            result.breaks.append(Break(BreakKind.DELETED_WITH_HASH, oid, expected))
        elif not row["has_event"]:
            result.breaks.append(Break(BreakKind.DELETED, oid, version, position))
        elif not row["has_hash"]:
            result.breaks.append(Break(BreakKind.INSERTED, oid, version, position))
        else:
            recomputed = event_hash(previous, oid, version, row["topic"], bytes(row["state"]))
            if recomputed != bytes(row["hash"]):
                suspect = _Suspect(version, position, bytes(row["hash"]), recomputed)
            elif row["event_position"] != row["hash_position"]:
                detail = f"hash row says {row['hash_position']}"
                result.breaks.append(Break(BreakKind.RENUMBERED, oid, version, position, detail))
            else:
                previous, expected, broken = recomputed, version + 1, False
    if suspect is not None:
        result.breaks.append(_classify(suspect, str(current), None))
    return result


# -- pass 2: the checkpoints --------------------------------------------------------------


def _check_checkpoints(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    checkpoints: list[Checkpoint],
    result: Verification,
) -> dict[bytes, bool]:
    """Recompute every checkpoint from the hash rows; which stored digests held."""
    held: dict[bytes, bool] = {}
    pending = iter(checkpoints)
    target = next(pending, None)
    digest, events, chained = GENESIS, 0, GENESIS

    def settle(checkpoint: Checkpoint) -> None:
        nonlocal chained
        recomputed = checkpoint_digest(
            chained, checkpoint.seq, checkpoint.position, events, checkpoint.taken_at, digest
        )
        held[checkpoint.digest] = recomputed == checkpoint.digest
        if recomputed != checkpoint.digest:
            result.breaks.append(
                Break(
                    BreakKind.CHECKPOINT_MISMATCH,
                    position=checkpoint.position,
                    detail=f"检查点 checkpoint #{checkpoint.seq} "
                    f"taken {checkpoint.taken_at.astimezone(UTC).isoformat()}",
                )
            )
        chained = recomputed

    expected_seq = 1
    for checkpoint in checkpoints:
        if checkpoint.seq != expected_seq:
            result.breaks.append(
                Break(BreakKind.CHECKPOINT_MISSING, detail=f"#{expected_seq}–#{checkpoint.seq - 1}")
            )
        expected_seq = checkpoint.seq + 1
    if target is None:
        return held
    for row in _rows(conn, "audit_log", _hashes_query(recorder), (0,)):
        while target is not None and row["notification_id"] > target.position:
            settle(target)
            target = next(pending, None)
        if target is None:
            break
        digest = fold_log(digest, row["notification_id"], bytes(row["hash"]))
        events += 1
    while target is not None:
        settle(target)
        target = next(pending, None)
    return held


def _settle_with_checkpoints(
    result: Verification, checkpoints: list[Checkpoint], held: dict[bytes, bool]
) -> None:
    """The last event of a stream has no successor to tell a changed event from an altered
    hash row; a checkpoint taken after it that still holds tells: its hash row is original."""
    for i, found in enumerate(result.breaks):
        if found.kind is not BreakKind.CHANGED or found.position is None:
            continue
        cover = next((c for c in checkpoints if c.position >= found.position), None)
        if cover is not None and held.get(cover.digest):
            result.breaks[i] = replace(
                found,
                kind=BreakKind.CONTENT_CHANGED,
                detail=f"哈希记录与检查点 #{cover.seq} 相符 / its hash row matches checkpoint "
                f"#{cover.seq}",
            )


def verify(recorder: ChunkedApplicationRecorder, checkpoint: bytes | None = None) -> Verification:
    """Recompute every stream's chain and every checkpoint; with `checkpoint` (a digest an
    auditor kept), also require that checkpoint to be in the log and to still hold."""
    with _snapshot(recorder) as conn:
        result = _check_streams(conn, recorder)
        with conn.cursor() as curs:
            checkpoints = _checkpoints(curs, recorder)
        result.checkpoints = len(checkpoints)
        held = _check_checkpoints(conn, recorder, checkpoints, result)
    _settle_with_checkpoints(result, checkpoints, held)
    if checkpoint is not None:
        if checkpoint not in held:
            result.breaks.append(Break(BreakKind.CHECKPOINT_UNKNOWN, detail=checkpoint.hex()))
        elif held[checkpoint]:
            result.proven = next(c for c in checkpoints if c.digest == checkpoint)
    return result


# -- taking checkpoints -------------------------------------------------------------------


def latest_checkpoint(recorder: ChunkedApplicationRecorder) -> Checkpoint | None:
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        checkpoints = _checkpoints(curs, recorder)
    return checkpoints[-1] if checkpoints else None


def take_checkpoint(recorder: ChunkedApplicationRecorder) -> tuple[Checkpoint | None, bool]:
    """Fold the hash rows written since the latest checkpoint into a new one.

    Returns (latest checkpoint, whether it is new): none is taken when the log has not
    grown. Every id up to the largest one visible has committed or rolled back, since the
    table lock makes ids commit in order, so the position is a complete prefix of the log.
    Takers are serialised by an advisory lock, so two never both take the same seq.
    """
    names = _names(recorder)
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            (f"rectify-audit-checkpoint:{recorder.datastore.schema}:{recorder.events_table_name}",),
        )
        with conn.cursor() as curs:
            checkpoints = _checkpoints(curs, recorder)
        last = checkpoints[-1] if checkpoints else None
        digest = last.log_digest if last else GENESIS
        events = last.events if last else 0
        position = last.position if last else 0
        for row in _rows(conn, "audit_checkpoint", _hashes_query(recorder), (position,)):
            digest = fold_log(digest, row["notification_id"], bytes(row["hash"]))
            position = row["notification_id"]
            events += 1
        if last is not None and position == last.position:
            return last, False
        if last is None and events == 0:
            return None, False
        seq = last.seq + 1 if last else 1
        taken_at = datetime.now(UTC)
        new = Checkpoint(
            seq,
            position,
            events,
            taken_at,
            digest,
            checkpoint_digest(
                last.digest if last else GENESIS, seq, position, events, taken_at, digest
            ),
        )
        conn.execute(
            SQL(
                "INSERT INTO {schema}.{checkpoints} "
                "(log, seq, position, events, taken_at, log_digest, digest) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)"
            ).format(**names),
            (
                recorder.events_table_name,
                new.seq,
                new.position,
                new.events,
                new.taken_at,
                new.log_digest,
                new.digest,
            ),
        )
    return new, True


class AlreadySealed(Exception):
    """Sealing hashes a log written before tamper evidence existed, once; doing it to a log
    that already has hash rows or checkpoints would bless whatever was changed in it."""

    def __str__(self) -> str:
        return (
            "日志已有哈希记录或检查点，不能再次封存 / the log already has hash rows or "
            "checkpoints; sealing it again would bless any tampering"
        )


def seal(recorder: ChunkedApplicationRecorder) -> int:
    """Hash every event of a log written before this feature (none in production); returns
    how many. Writers wait on the table lock meanwhile, so no event slips in unhashed."""
    names = _names(recorder)
    insert = SQL(
        "INSERT INTO {schema}.{hashes} "
        "(originator_id, originator_version, hash, notification_id) "
        "SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::bytea[], %s::bigint[])"
    ).format(id_type=Identifier(recorder.datastore.originator_id_type), **names)
    sealed = 0
    with recorder.datastore.get_connection() as conn, conn.transaction():
        with conn.cursor() as curs:
            recorder._lock_table(curs)
            curs.execute(
                SQL(
                    "SELECT EXISTS (SELECT 1 FROM {schema}.{hashes}) OR EXISTS "
                    "(SELECT 1 FROM {schema}.{checkpoints} WHERE log = %s) AS used"
                ).format(**names),
                (recorder.events_table_name,),
            )
            row = curs.fetchone()
            if row is None or row["used"]:
                raise AlreadySealed
        batch: list[tuple[Any, int, bytes, int]] = []

        def flush() -> None:
            if batch:
                conn.execute(insert, [list(column) for column in zip(*batch, strict=True)])
                batch.clear()

        current: Any = None
        previous = GENESIS
        query = SQL(
            "SELECT originator_id, originator_version, topic, state, notification_id "
            "FROM {schema}.{events} ORDER BY originator_id, originator_version"
        ).format(**names)
        for event in _rows(conn, "audit_seal", query):
            if event["originator_id"] != current:
                current, previous = event["originator_id"], GENESIS
            previous = event_hash(
                previous,
                current,
                event["originator_version"],
                event["topic"],
                bytes(event["state"]),
            )
            batch.append((current, event["originator_version"], previous, event["notification_id"]))
            sealed += 1
            if len(batch) >= ITERSIZE:
                flush()
        flush()
    return sealed


def checkpoint_periodically(
    recorder: ChunkedApplicationRecorder, stop: threading.Event, minutes: float
) -> None:
    """Take a checkpoint now and every `minutes` until `stop`; a failure waits for the next."""
    while not stop.is_set():
        try:
            checkpoint, new = take_checkpoint(recorder)
            if new and checkpoint is not None:
                log.info(
                    "audit checkpoint #%s at position %s: %s",
                    checkpoint.seq,
                    checkpoint.position,
                    checkpoint.digest.hex(),
                )
        except Exception:
            log.exception("audit checkpoint failed; trying again at the next interval")
        stop.wait(minutes * 60)
