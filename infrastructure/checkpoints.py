"""Taking checkpoints of the whole log: by hand, periodically after the projection
runner's batches, and sealing a log written before tamper evidence existed
(docs/decisions/0009, 0025 and 0031); each under the current audit key, naming it (0064)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from infrastructure.audit_keys import shown, unknown_key
from infrastructure.audit_queries import (
    ITERSIZE,
    Checkpoint,
    cursor_rows,
    decided_hashes_query,
    heads_digest_of,
    read_checkpoints,
    stream_head,
    table_names,
)
from infrastructure.custody import Custody, authentic, oldest_overdue
from infrastructure.event_hashes import (
    GENESIS,
    checkpoint_digest,
    checkpoint_mac,
    event_hash,
    fold_log,
    heads_digest,
)
from infrastructure.event_store import ChunkedApplicationRecorder

log = logging.getLogger(__name__)


# Checkpoints follow the projection runner's batches at most this often: the window in which
# a cut tail goes unseen, against one checkpoint row (and its heads) per busy second.
SPACING = timedelta(seconds=1)


class CheckpointRefused(Exception):
    """The taker will not extend (or start) the checkpoint chain; the message says why and
    what an operator may do. Blessing a log nobody can vouch for would defeat the chain."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _refuse_unless_intact(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    custody: Custody,
    checkpoints: list[Checkpoint],
    known: Checkpoint | None,
) -> None:
    last = checkpoints[-1] if checkpoints else None
    if known is not None:
        kept = next((c for c in checkpoints if c.seq == known.seq), None)
        if kept is None or kept.digest != known.digest:
            raise CheckpointRefused(
                f"检查点 #{known.seq} 已被删除或改动，拒绝接续 / checkpoint #{known.seq}, "
                "which this process took, was deleted or altered since; refusing to extend the "
                "chain (run `rectify audit verify`)"
            )
    if last is None:
        return
    key = custody.keys.key(last.key_id)
    if key is None:
        raise CheckpointRefused(
            f"{unknown_key(last.seq, last.key_id)}；拒绝接续 / refusing to extend the chain "
            "(put the key back in RECTIFY_AUDIT_KEYS, or run `rectify audit verify`)"
        )
    if not authentic(key, last, heads_digest_of(conn, recorder, last.seq)):
        raise CheckpointRefused(
            f"最新检查点 #{last.seq} 认证码不符，拒绝接续 / the latest checkpoint #{last.seq} "
            f"does not authenticate under key {shown(last.key_id)} (forged, or that key "
            "changed); refusing to extend it (run `rectify audit verify`)"
        )


def lock_chain(conn: Connection[DictRow], recorder: ChunkedApplicationRecorder) -> None:
    """Serialise whoever writes the log's checkpoints (takers, `rectify audit rekey`) until
    the transaction ends."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext(%s))",
        (f"rectify-audit-checkpoint:{recorder.datastore.schema}:{recorder.events_table_name}",),
    )


def _refuse_after_deleted(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, last: Checkpoint | None
) -> None:
    """Stream heads of a seq after the latest checkpoint: that checkpoint was deleted."""
    row = conn.execute(
        SQL("SELECT max(seq) AS seq FROM {schema}.{heads} WHERE log = %s").format(
            **table_names(recorder)
        ),
        (recorder.events_table_name,),
    ).fetchone()
    left = row["seq"] if row else None
    if left is not None and left > (last.seq if last else 0):
        raise CheckpointRefused(
            f"检查点 #{left} 已被删除（其流头记录仍在），拒绝接续 / checkpoint #{left} was "
            "deleted (its stream heads remain); refusing to extend the chain (run `rectify "
            "audit verify`; after checking, `rectify audit checkpoint --acknowledge-gap`)"
        )


def _heads_since(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, after: int, upto: int
) -> list[tuple[Any, int, int, bytes]]:
    """The newest version of every stream written in (after, upto], by stream id."""
    rows = conn.execute(
        SQL(
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, "
            "notification_id, hash FROM {schema}.{hashes} "
            "WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY originator_id, originator_version DESC"
        ).format(**table_names(recorder)),
        (after, upto),
    ).fetchall()
    return [stream_head(r) for r in rows]


def take_checkpoint(
    recorder: ChunkedApplicationRecorder,
    custody: Custody,
    *,
    acknowledge: bool = False,
    known: Checkpoint | None = None,
) -> tuple[Checkpoint | None, bool]:
    """Fold the hash rows written since the latest checkpoint into a new one, with the
    newest head of every stream written since, authenticated with the custody's current key
    (whose id it records).

    Returns (latest checkpoint, whether it is new): none is taken when the log has not
    grown. It covers the log up to the decided position only (docs/decisions/0051): every id
    up to it has committed or rolled back, so the position is a complete prefix of the log
    and no event that commits later can land below it.
    Takers are serialised by an advisory lock, so two never both take the same seq.

    Refused (CheckpointRefused) when the latest checkpoint does not authenticate under the
    key it names (or names one not configured), when
    `known` (the last one this process took) was deleted or altered, and, unless an
    operator `acknowledge`s the gap, when the oldest event to cover has waited longer than
    checkpoints are promised: the checkpoints after it may have been deleted, and taking a
    new one would bless whatever was done to the log meanwhile.
    """
    names = table_names(recorder)
    with recorder.datastore.get_connection() as conn, conn.transaction():
        lock_chain(conn, recorder)
        with conn.cursor() as curs:
            checkpoints = read_checkpoints(curs, recorder, known.seq if known else None)
        _refuse_unless_intact(conn, recorder, custody, checkpoints, known)
        last = checkpoints[-1] if checkpoints else None
        digest = last.log_digest if last else GENESIS
        events = last.events if last else 0
        position = last.position if last else 0
        decided = recorder.decided_position(conn)
        query = decided_hashes_query(recorder)
        for row in cursor_rows(conn, "audit_checkpoint", query, (position, decided)):
            digest = fold_log(digest, row["notification_id"], bytes(row["hash"]))
            position = row["notification_id"]
            events += 1
        if last is not None and position == last.position:
            return last, False
        if last is None and events == 0:
            return None, False
        if not acknowledge:
            _refuse_after_deleted(conn, recorder, last)
        overdue = None if acknowledge else oldest_overdue(conn, recorder, custody, last)
        if overdue is not None:
            waited_since, at = overdue
            raise CheckpointRefused(
                f"位置 {waited_since} 起的事件（最早于 {at.astimezone(UTC).isoformat()}）等待检查点"
                "已超过两个间隔：之后的检查点可能被删除，或检查点进程曾停止。核实后（如 `rectify "
                "audit verify --checkpoint <留存的摘要>`）用 `rectify audit checkpoint "
                f"--acknowledge-gap` 接续 / events from position {waited_since} on (the oldest "
                f"of {at.astimezone(UTC).isoformat()}) have waited longer than twice the "
                "checkpoint interval: checkpoints may have been deleted, or the taker was "
                "stopped. Check (e.g. `rectify audit verify --checkpoint <a kept digest>`), "
                "then continue the chain with `rectify audit checkpoint --acknowledge-gap`"
            )
        heads = _heads_since(conn, recorder, last.position if last else 0, position)
        seq = last.seq + 1 if last else 1
        taken_at = datetime.now(UTC)
        chained = checkpoint_digest(
            last.digest if last else GENESIS, seq, position, events, taken_at, digest
        )
        keys = custody.keys
        mac = checkpoint_mac(keys.current_key, chained, heads_digest(heads), acknowledge)
        new = Checkpoint(
            seq, position, events, taken_at, digest, chained, mac, acknowledge, keys.current
        )
        conn.execute(
            SQL(
                "INSERT INTO {schema}.{checkpoints} (log, seq, position, events, taken_at, "
                "log_digest, digest, mac, acknowledged, key_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(**names),
            (
                recorder.events_table_name,
                new.seq,
                new.position,
                new.events,
                new.taken_at,
                new.log_digest,
                new.digest,
                new.mac,
                new.acknowledged,
                new.key_id,
            ),
        )
        insert_heads = SQL(
            "INSERT INTO {schema}.{heads} "
            "(log, seq, originator_id, originator_version, notification_id, hash) "
            "SELECT %s, %s, * FROM unnest(%s::{id_type}[], %s::bigint[], %s::bigint[], "
            "%s::bytea[])"
        ).format(id_type=Identifier(recorder.datastore.originator_id_type), **names)
        # heads left behind by deleted checkpoints of this seq on are nobody's any more
        conn.execute(
            SQL("DELETE FROM {schema}.{heads} WHERE log = %s AND seq >= %s").format(**names),
            (recorder.events_table_name, seq),
        )
        for start in range(0, len(heads), ITERSIZE):
            chunk = heads[start : start + ITERSIZE]
            conn.execute(
                insert_heads,
                (
                    recorder.events_table_name,
                    seq,
                    *[list(column) for column in zip(*chunk, strict=True)],
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
    names = table_names(recorder)
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
        for event in cursor_rows(conn, "audit_seal", query):
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
    recorder: ChunkedApplicationRecorder,
    stop: threading.Event,
    custody: Custody,
    wake: threading.Event | None = None,
) -> None:
    """Take a checkpoint now, again whenever `wake` is set (the projection runner sets it
    on every batch it commits) but at most once every SPACING, at least every interval
    until `stop`, and once more on the way out (so that a clean stop leaves no event
    waiting for one); a failure waits for the next. The last checkpoint taken is
    remembered: if it disappears or changes, the taker stops extending the chain rather
    than bless what was done to the log."""
    assert custody.interval is not None
    wake = wake or threading.Event()
    known: Checkpoint | None = None

    def take() -> None:
        nonlocal known
        try:
            checkpoint, new = take_checkpoint(recorder, custody, known=known)
        except CheckpointRefused as refused:
            log.error("audit checkpoint refused: %s", refused.message)
            return
        except Exception:
            log.exception("audit checkpoint failed; trying again at the next interval")
            return
        if checkpoint is not None:
            known = checkpoint
        if new and checkpoint is not None:
            # the digest in the process log is a copy kept outside the database
            log.info(
                "audit checkpoint #%s at position %s: %s",
                checkpoint.seq,
                checkpoint.position,
                checkpoint.digest.hex(),
            )

    while not stop.is_set():
        take()
        # a nudge set while taking is kept: the next take covers its events anyway
        wake.wait(custody.interval.total_seconds())
        wake.clear()
        stop.wait(SPACING.total_seconds())  # a burst of batches makes one checkpoint
    take()
