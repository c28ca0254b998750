"""Verifying the hash chains and taking checkpoints of the whole log.

`verify` reads everything in one read-only REPEATABLE READ transaction, so writers may go
on meanwhile and both passes see the same log:
1. every stream in version order: its events joined with their hash rows, each hash
   recomputed from the event and the recomputed hash of the event before it;
2. every hash row in notification-id order, folded into the log digest, against every
   checkpoint (pass 1 has shown the hash rows are the events' true hashes);
3. every checkpoint's MAC, keyed by a secret outside the database, and the stream heads
   each checkpoint recorded against the streams as they are now (a cut tail, a rewrite);
4. whether events older than the checkpoint interval are covered by any checkpoint.
The long passes stream through server-side cursors: memory does not grow with the log.
See docs/decisions/0009-tamper-evidence.md and 0025-keyed-checkpoints.md.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from itertools import groupby
from typing import Any

from eventsourcing.persistence import StoredEvent
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

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

ITERSIZE = 2000
MOVE_CANDIDATES = 50  # arrivals and departures kept for matching moved events; bounded work
# Checkpoints follow the projection runner's batches at most this often: the window in which
# a cut tail goes unseen, against one checkpoint row (and its heads) per busy second.
SPACING = timedelta(seconds=1)


class BreakKind(Enum):
    CONTENT_CHANGED = "事件内容被改动 / event content (topic or state) changed"
    HASH_ALTERED = "哈希记录被改动 / hash row altered"
    CHANGED = "事件或其哈希记录被改动 / event or its hash row changed"
    DELETED = "事件被删除（哈希记录仍在）/ event deleted (its hash row remains)"
    DELETED_WITH_HASH = "事件及其哈希记录被删除 / event deleted together with its hash row"
    TRUNCATED = (
        "流末尾的事件连同哈希记录被删除 / the stream's newest events were deleted together "
        "with their hash rows"
    )
    REWRITTEN = (
        "流被改写并重算哈希（与检查点记录的流头不符）/ stream rewritten and rehashed (its "
        "head differs from what a checkpoint recorded)"
    )
    MOVED_OUT = "事件被移到另一个流 / event moved to another stream"
    MOVED_IN = "事件从另一个流移来 / event moved here from another stream"
    INSERTED = (
        "事件没有哈希记录（被插入，或哈希记录被删除）/ "
        "event has no hash row (inserted, or its hash row deleted)"
    )
    RENUMBERED = "事件的日志位置与哈希记录不符 / event's log position differs from its hash row"
    CHECKPOINT_MISMATCH = "检查点与日志不符 / checkpoint does not match the log"
    CHECKPOINT_MISSING = "检查点缺失 / checkpoint missing"
    CHECKPOINT_FORGED = (
        "检查点认证码不符（伪造、被改动，或用了另一个密钥）/ checkpoint MAC does not verify "
        "(forged, edited, or taken with another RECTIFY_AUDIT_KEY)"
    )
    UNCOVERED = (
        "超过检查点间隔仍无检查点覆盖，无法证明未被改写 / not covered by any checkpoint "
        "although older than the checkpoint interval: cannot be proven unchanged"
    )
    CHECKPOINT_UNKNOWN = (
        "库中没有该摘要的检查点（日志被重写或检查点被删除）/ "
        "no checkpoint with that digest (log rewritten or checkpoint deleted)"
    )


# Breaks that say what cannot be proven rather than what was changed.
UNPROVEN = frozenset({BreakKind.UNCOVERED})
# At one log position, the event found where it does not belong comes after the one that
# says where it came from.
_ARRIVALS = frozenset({BreakKind.INSERTED, BreakKind.MOVED_IN})


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
    mac: bytes | None = None  # None: taken before keyed checkpoints (docs/decisions/0025)
    acknowledged: bool = False  # taken over a gap an operator accepted


@dataclass
class Verification:
    events: int = 0
    streams: int = 0
    checkpoints: int = 0
    breaks: list[Break] = field(default_factory=list)
    proven: Checkpoint | None = None  # the checkpoint named with --checkpoint, if it held
    notes: list[str] = field(default_factory=list)  # worth saying even when intact

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def tampered(self) -> bool:
        """Something was changed, not only left unprovable."""
        return any(b.kind not in UNPROVEN for b in self.breaks)

    def ordered(self) -> list[Break]:
        """Breaks that name a stream and version first, earliest in the log first (those
        without a known position after them), then those of checkpoints and coverage: the
        first line names what an investigator looks at. At one position the event found
        where it does not belong comes last: the hash row left behind names the stream and
        version it really had."""
        return sorted(
            self.breaks,
            key=lambda b: (
                b.originator_id is None,
                b.position is None,
                b.position or 0,
                b.kind in _ARRIVALS,
            ),
        )


@dataclass(frozen=True)
class Custody:
    """What the audit needs from outside the database: the checkpoint key, the interval
    checkpoints are promised at (None: not taken periodically), how to read an event's
    time, and the clock."""

    key: bytes
    interval: timedelta | None
    event_time: Callable[[StoredEvent], datetime]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def late_after(self) -> timedelta | None:
        """How long an event may wait for a checkpoint: the taker runs every interval, so
        twice that leaves room for a slow run without letting a deleted one pass."""
        return 2 * self.interval if self.interval else None


def custody_of(app: Any, key: str | bytes, minutes: float) -> Custody:
    """Custody for the application `app` (its mapper decodes event times)."""
    mapper = app.mapper

    def event_time(stored: StoredEvent) -> datetime:
        return mapper.to_domain_event(stored).timestamp  # type: ignore[no-any-return]

    return Custody(
        key=key.encode() if isinstance(key, str) else key,
        interval=timedelta(minutes=minutes) if minutes > 0 else None,
        event_time=event_time,
    )


# -- SQL ----------------------------------------------------------------------------------


def _names(recorder: ChunkedApplicationRecorder) -> dict[str, Identifier]:
    return {
        "schema": Identifier(recorder.datastore.schema),
        "events": Identifier(recorder.events_table_name),
        "hashes": Identifier(recorder.hashes_table_name),
        "checkpoints": Identifier(recorder.checkpoints_table_name),
        "heads": Identifier(recorder.heads_table_name),
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


def _checkpoints(
    curs: Cursor[DictRow], recorder: ChunkedApplicationRecorder, since: int | None = 0
) -> list[Checkpoint]:
    """The checkpoints of seq `since` on (all by default), or only the latest (None): a
    taker that runs on every projection batch must not read thousands to extend one."""
    columns = "seq, position, events, taken_at, log_digest, digest, mac, acknowledged"
    if since is None:
        query = SQL(
            "SELECT * FROM (SELECT " + columns + " FROM {schema}.{checkpoints} WHERE log = %s "
            "ORDER BY seq DESC LIMIT 1) AS latest"
        ).format(**_names(recorder))
        curs.execute(query, (recorder.events_table_name,))
    else:
        query = SQL(
            "SELECT " + columns + " FROM {schema}.{checkpoints} WHERE log = %s AND seq >= %s "
            "ORDER BY seq"
        ).format(**_names(recorder))
        curs.execute(query, (recorder.events_table_name, since))
    return [
        Checkpoint(
            row["seq"],
            row["position"],
            row["events"],
            row["taken_at"],
            bytes(row["log_digest"]),
            bytes(row["digest"]),
            bytes(row["mac"]) if row["mac"] is not None else None,
            bool(row["acknowledged"]),
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
    topic: str
    state: bytes


@dataclass(frozen=True)
class _Arrival:
    """An event whose stored hash does not chain in its stream: perhaps moved here from
    another stream together with its hash row (the hash names the stream it was built in)."""

    found: Break
    version: int
    position: int | None
    topic: str
    state: bytes
    stored: bytes


@dataclass(frozen=True)
class _Departure:
    """Where a stream lost versions (a gap, or a cut tail): the hash the first missing
    version chained onto."""

    found: Break
    originator_id: str
    version: int
    previous: bytes


@dataclass
class _Moves:
    arrivals: list[_Arrival] = field(default_factory=list)
    departures: list[_Departure] = field(default_factory=list)

    def arrive(self, arrival: _Arrival) -> None:
        if len(self.arrivals) < MOVE_CANDIDATES:
            self.arrivals.append(arrival)

    def depart(self, departure: _Departure) -> None:
        if len(self.departures) < MOVE_CANDIDATES:
            self.departures.append(departure)


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


def _check_streams(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, moves: _Moves
) -> Verification:
    result = Verification()
    current: Any = object()
    previous = GENESIS
    expected = 1
    broken = False
    suspect: _Suspect | None = None

    def settle(oid: str, after: DictRow | None) -> None:
        assert suspect is not None
        found = _classify(suspect, oid, after)
        result.breaks.append(found)
        moves.arrive(
            _Arrival(
                found,
                suspect.version,
                suspect.position,
                suspect.topic,
                suspect.state,
                suspect.stored,
            )
        )

    for row in _rows(conn, "audit_streams", _streams_query(recorder)):
        oid = str(row["originator_id"])
        version = row["originator_version"]
        if oid != current:
            if suspect is not None:
                settle(str(current), None)
            current, previous, expected, broken, suspect = oid, GENESIS, 1, False, None
            result.streams += 1
        result.events += bool(row["has_event"])
        if suspect is not None:
            settle(oid, row)
            suspect, broken = None, True
        if broken:
            continue
        position = row["event_position"] or row["hash_position"]
        broken = True
        if version != expected:
            found = Break(BreakKind.DELETED_WITH_HASH, oid, expected)
            result.breaks.append(found)
            moves.depart(_Departure(found, oid, expected, previous))
            if row["has_event"] and row["has_hash"]:  # a stranger, if the gap is at its start
                stored = bytes(row["hash"])
                state = bytes(row["state"])
                moves.arrive(_Arrival(found, version, position, row["topic"], state, stored))
        elif not row["has_event"]:
            result.breaks.append(Break(BreakKind.DELETED, oid, version, position))
        elif not row["has_hash"]:
            result.breaks.append(Break(BreakKind.INSERTED, oid, version, position))
        else:
            state = bytes(row["state"])
            recomputed = event_hash(previous, oid, version, row["topic"], state)
            if recomputed != bytes(row["hash"]):
                stored = bytes(row["hash"])
                suspect = _Suspect(version, position, stored, recomputed, row["topic"], state)
            elif row["event_position"] != row["hash_position"]:
                detail = f"hash row says {row['hash_position']}"
                result.breaks.append(Break(BreakKind.RENUMBERED, oid, version, position, detail))
            else:
                previous, expected, broken = recomputed, version + 1, False
    if suspect is not None:
        settle(str(current), None)
    return result


def _replace(result: Verification, old: Break, new: Break) -> None:
    for i, found in enumerate(result.breaks):
        if found is old:
            result.breaks[i] = new
            return


def _label_moves(result: Verification, moves: _Moves) -> None:
    """An event moved to another stream id shows as a loss in one stream and a stranger in
    another. Without its hash row it is a hash row without event and an event without hash
    row at one log position; with it, its stored hash is the one it had in the stream it
    left, chained onto that stream's version before the gap."""
    left: dict[int, Break] = {
        b.position: b
        for b in result.breaks
        if b.kind is BreakKind.DELETED and b.position is not None
    }
    for found in list(result.breaks):
        origin = left.get(found.position or -1)
        if found.kind is not BreakKind.INSERTED or origin is None:
            continue
        if origin.originator_id == found.originator_id:
            continue
        _moved(result, origin, found, origin.version, found.version, found.position)
    for arrival in moves.arrivals:
        for departure in moves.departures:
            if departure.originator_id == arrival.found.originator_id:
                continue
            built = event_hash(
                departure.previous,
                departure.originator_id,
                arrival.version,
                arrival.topic,
                arrival.state,
            )
            if built == arrival.stored:
                _moved(
                    result,
                    departure.found,
                    arrival.found,
                    arrival.version,
                    arrival.version,
                    arrival.position,
                )
                break


def _moved(
    result: Verification,
    origin: Break,
    arrived: Break,
    from_version: int | None,
    to_version: int | None,
    position: int | None,
) -> None:
    _replace(
        result,
        origin,
        Break(
            BreakKind.MOVED_OUT,
            origin.originator_id,
            from_version,
            position if origin.position is None else origin.position,
            f"现为 now 流 stream {arrived.originator_id} 版本 version {to_version}",
        ),
    )
    # a stream that starts late was reported at version 1: name where the event is now
    _replace(
        result,
        arrived,
        Break(
            BreakKind.MOVED_IN,
            arrived.originator_id,
            to_version,
            position,
            f"原为 was 流 stream {origin.originator_id} 版本 version {from_version}",
        ),
    )


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


# -- pass 3: the MAC of every checkpoint, and the stream heads they recorded -------------


def _head(row: DictRow) -> tuple[Any, int, int, bytes]:
    """A stream head as the checkpoint MAC covers it: stream, version, position, hash."""
    return (row["originator_id"], row["originator_version"], row["notification_id"],
            bytes(row["hash"]))  # fmt: skip


def _heads_of(conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, seq: int) -> bytes:
    query = SQL(
        "SELECT originator_id, originator_version, notification_id, hash FROM {schema}.{heads} "
        "WHERE log = %s AND seq = %s ORDER BY originator_id"
    ).format(**_names(recorder))
    rows = conn.execute(query, (recorder.events_table_name, seq)).fetchall()
    return heads_digest(_head(r) for r in rows)


def _authentic(key: bytes, checkpoint: Checkpoint, heads: bytes) -> bool:
    if checkpoint.mac is None:
        return False
    expected = checkpoint_mac(key, checkpoint.digest, heads, checkpoint.acknowledged)
    return hmac.compare_digest(expected, checkpoint.mac)


def _check_macs(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    checkpoints: list[Checkpoint],
    key: bytes,
    result: Verification,
) -> None:
    """Each checkpoint's MAC over its stored digest and the heads it recorded. The digest
    chains every checkpoint before it, so a forged one anywhere breaks every later MAC's
    meaning, and a checkpoint recomputed without the key fails here."""
    query = SQL(
        "SELECT seq, originator_id, originator_version, notification_id, hash "
        "FROM {schema}.{heads} WHERE log = %s ORDER BY seq, originator_id"
    ).format(**_names(recorder))
    digests: dict[int, bytes] = {}
    rows = _rows(conn, "audit_heads", query, (recorder.events_table_name,))
    for seq, group in groupby(rows, key=lambda r: int(r["seq"])):
        digests[seq] = heads_digest(_head(r) for r in group)
    # heads of checkpoints after the last one: its rows were deleted, its heads left behind
    last = checkpoints[-1].seq if checkpoints else 0
    orphans = sorted(seq for seq in digests if seq > last)
    if orphans:
        result.breaks.append(
            Break(
                BreakKind.CHECKPOINT_MISSING,
                detail=f"#{orphans[0]}–#{orphans[-1]}: 其流头记录仍在 / their stream heads remain",
            )
        )
    empty = heads_digest(())
    for checkpoint in checkpoints:
        if not _authentic(key, checkpoint, digests.get(checkpoint.seq, empty)):
            result.breaks.append(
                Break(
                    BreakKind.CHECKPOINT_FORGED,
                    position=checkpoint.position,
                    detail=f"检查点 checkpoint #{checkpoint.seq}"
                    + (" 无认证码 / has no MAC" if checkpoint.mac is None else ""),
                )
            )
        elif checkpoint.acknowledged:
            result.notes.append(
                f"检查点 #{checkpoint.seq} 是经操作员确认空缺后接续的：其之前的事件曾超过间隔未被"
                f"覆盖 / checkpoint #{checkpoint.seq} "
                f"({checkpoint.taken_at.astimezone(UTC).isoformat()}) continued the chain over "
                "a gap an operator acknowledged (--acknowledge-gap)"
            )


def _heads_query(recorder: ChunkedApplicationRecorder) -> Composed:
    """Recorded heads that no longer match the stream: their hash row or event is gone or
    differs. With each, the newest version of the stream left, its hash row, and the newest
    recorded head of the stream below it that still matches."""
    return SQL(
        "SELECT c.originator_id, c.originator_version, c.seq, "
        "h.hash AS stored, h.hash IS NOT NULL AND h.hash <> c.hash AS differs, "
        "e.originator_id IS NOT NULL AS has_event, "
        "(SELECT max(l.originator_version) FROM {schema}.{events} AS l "
        " WHERE l.originator_id = c.originator_id) AS last_version, "
        "(SELECT t.hash FROM {schema}.{hashes} AS t WHERE t.originator_id = c.originator_id "
        " ORDER BY t.originator_version DESC LIMIT 1) AS tail_hash, "
        "(SELECT max(k.originator_version) FROM {schema}.{heads} AS k "
        " JOIN {schema}.{hashes} AS kh USING (originator_id, originator_version) "
        " WHERE k.log = c.log AND k.originator_id = c.originator_id "
        " AND k.originator_version < c.originator_version AND kh.hash = k.hash) AS last_good "
        "FROM {schema}.{heads} AS c "
        "LEFT JOIN {schema}.{hashes} AS h USING (originator_id, originator_version) "
        "LEFT JOIN {schema}.{events} AS e USING (originator_id, originator_version) "
        "WHERE c.log = %s AND (h.hash IS DISTINCT FROM c.hash OR e.originator_id IS NULL) "
        "ORDER BY c.originator_id, c.originator_version"
    ).format(**_names(recorder))


def _versions(first: int, last: int) -> str:
    return f"version {first}" if first == last else f"versions {first}–{last}"


def _check_heads(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    result: Verification,
    moves: _Moves,
) -> None:
    """Name the stream and version of what pass 1 cannot see: a stream whose newest events
    were deleted with their hash rows (its chain is shorter but valid), or one rewritten and
    rehashed consistently. Streams pass 1 found broken are named already, more precisely."""
    broken = {b.originator_id for b in result.breaks if b.originator_id is not None}
    rows = _rows(conn, "audit_stream_heads", _heads_query(recorder), (recorder.events_table_name,))
    for oid, group in groupby(rows, key=lambda r: str(r["originator_id"])):
        if oid in broken:
            continue
        head = next(group)  # the lowest recorded version that no longer matches
        recorded = int(head["originator_version"])
        if head["stored"] is None and not head["has_event"]:
            last = int(head["last_version"] or 0)
            found = Break(
                BreakKind.TRUNCATED,
                oid,
                last + 1,
                detail=f"已不在 gone: {_versions(last + 1, recorded)}; 检查点 checkpoint "
                f"#{head['seq']} recorded the stream up to version {recorded}",
            )
            result.breaks.append(found)
            previous = bytes(head["tail_hash"]) if last and head["tail_hash"] else GENESIS
            moves.depart(_Departure(found, oid, last + 1, previous))
        elif head["differs"]:
            good = int(head["last_good"] or 0)
            result.breaks.append(
                Break(
                    BreakKind.REWRITTEN,
                    oid,
                    good + 1,
                    detail=f"改写发生在 rewritten somewhere in {_versions(good + 1, recorded)} "
                    f"(checkpoint #{head['seq']} recorded version {recorded})",
                )
            )


# -- pass 4: is everything old enough covered by a checkpoint? ---------------------------


def _first_after(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, position: int
) -> tuple[int, StoredEvent] | None:
    row = conn.execute(
        SQL(
            "SELECT originator_id, originator_version, topic, state, notification_id "
            "FROM {schema}.{events} WHERE notification_id > %s ORDER BY notification_id LIMIT 1"
        ).format(**_names(recorder)),
        (position,),
    ).fetchone()
    if row is None:
        return None
    stored = StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )
    return int(row["notification_id"]), stored


def _overdue(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    custody: Custody,
    last: Checkpoint | None,
) -> tuple[int, datetime] | None:
    """The position and time of the oldest event no checkpoint covers, if it has waited
    longer than a checkpoint may take; None when nothing is overdue (or checkpoints are not
    promised at all). An event whose time cannot be read is left to pass 1, which names it."""
    late_after = custody.late_after
    if late_after is None:
        return None
    first = _first_after(conn, recorder, last.position if last else 0)
    if first is None:
        return None
    try:
        at = custody.event_time(first[1])
    except Exception:
        return None
    return (first[0], at) if custody.now() - at > late_after else None


def _events_from(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, position: int
) -> int:
    """How many events the log holds at or after `position`."""
    row = conn.execute(
        SQL("SELECT count(*) AS n FROM {schema}.{events} WHERE notification_id >= %s").format(
            **_names(recorder)
        ),
        (position,),
    ).fetchone()
    return int(row["n"]) if row else 0


def _note_recent(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    last: Checkpoint | None,
    result: Verification,
) -> None:
    """Events after the newest checkpoint are proven by the keyless chains only until the
    next one: say how many, so nobody reads "intact" as covering them too."""
    after = last.position if last else 0
    count = _events_from(conn, recorder, after + 1)
    if count:
        result.notes.append(
            f"位置 {after} 之后的 {count} 个事件尚待下一个检查点：在此之前，连同哈希记录"
            f"一起删除其末尾不会被发现 / {count} event(s) after position {after} await the "
            "next checkpoint: until then, cutting them together with their hash rows would "
            "not show"
        )


def _check_coverage(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    checkpoints: list[Checkpoint],
    custody: Custody,
    result: Verification,
) -> None:
    last = checkpoints[-1] if checkpoints else None
    if custody.interval is None:
        result.notes.append(
            "未设定检查点间隔（RECTIFY_AUDIT_CHECKPOINT_MINUTES=0）：最新检查点之后的事件只有"
            "无密钥的哈希链证明 / checkpoints are not taken periodically: events after "
            f"position {last.position if last else 0} are proven only by the keyless chains"
        )
        return
    overdue = _overdue(conn, recorder, custody, last)
    if overdue is None:
        _note_recent(conn, recorder, last, result)
        return
    position, at = overdue
    count = _events_from(conn, recorder, position)
    minutes = custody.interval.total_seconds() / 60
    since = (
        "库中没有任何检查点（被全部删除？）/ there is no checkpoint at all (all deleted?)"
        if last is None
        else f"检查点 #{last.seq} 之后的检查点可能被删除 / checkpoints after #{last.seq} "
        f"({last.taken_at.astimezone(UTC).isoformat()}) may have been deleted"
    )
    result.breaks.append(
        Break(
            BreakKind.UNCOVERED,
            position=position,
            detail=f"位置 {position} 起的 {count} 个事件 events from "
            f"position {position} on, the oldest of {at.astimezone(UTC).isoformat()}; "
            f"间隔 interval {minutes:g} min; {since}",
        )
    )


def verify(
    recorder: ChunkedApplicationRecorder, custody: Custody, checkpoint: bytes | None = None
) -> Verification:
    """Recompute every stream's chain and every checkpoint, authenticate the checkpoints,
    and require the log to be covered by them; with `checkpoint` (a digest an auditor
    kept), also require that checkpoint to be in the log and to still hold."""
    moves = _Moves()
    with _snapshot(recorder) as conn:
        result = _check_streams(conn, recorder, moves)
        with conn.cursor() as curs:
            checkpoints = _checkpoints(curs, recorder)
        result.checkpoints = len(checkpoints)
        held = _check_checkpoints(conn, recorder, checkpoints, result)
        _check_macs(conn, recorder, checkpoints, custody.key, result)
        _check_heads(conn, recorder, result, moves)
        _check_coverage(conn, recorder, checkpoints, custody, result)
    _label_moves(result, moves)
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
        checkpoints = _checkpoints(curs, recorder, None)
    return checkpoints[-1] if checkpoints else None


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
    if last is not None and not _authentic(custody.key, last, _heads_of(conn, recorder, last.seq)):
        raise CheckpointRefused(
            f"最新检查点 #{last.seq} 认证码不符，拒绝接续 / the latest checkpoint #{last.seq} "
            "does not authenticate (forged, or another RECTIFY_AUDIT_KEY); refusing to extend "
            "it (run `rectify audit verify`)"
        )


def _refuse_after_deleted(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, last: Checkpoint | None
) -> None:
    """Stream heads of a seq after the latest checkpoint: that checkpoint was deleted."""
    row = conn.execute(
        SQL("SELECT max(seq) AS seq FROM {schema}.{heads} WHERE log = %s").format(
            **_names(recorder)
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
        ).format(**_names(recorder)),
        (after, upto),
    ).fetchall()
    return [_head(r) for r in rows]


def take_checkpoint(
    recorder: ChunkedApplicationRecorder,
    custody: Custody,
    *,
    acknowledge: bool = False,
    known: Checkpoint | None = None,
) -> tuple[Checkpoint | None, bool]:
    """Fold the hash rows written since the latest checkpoint into a new one, with the
    newest head of every stream written since, authenticated with the custody's key.

    Returns (latest checkpoint, whether it is new): none is taken when the log has not
    grown. Every id up to the largest one visible has committed or rolled back, since the
    table lock makes ids commit in order, so the position is a complete prefix of the log.
    Takers are serialised by an advisory lock, so two never both take the same seq.

    Refused (CheckpointRefused) when the latest checkpoint does not authenticate, when
    `known` (the last one this process took) was deleted or altered, and, unless an
    operator `acknowledge`s the gap, when the oldest event to cover has waited longer than
    checkpoints are promised: the checkpoints after it may have been deleted, and taking a
    new one would bless whatever was done to the log meanwhile.
    """
    names = _names(recorder)
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            (f"rectify-audit-checkpoint:{recorder.datastore.schema}:{recorder.events_table_name}",),
        )
        with conn.cursor() as curs:
            checkpoints = _checkpoints(curs, recorder, known.seq if known else None)
        _refuse_unless_intact(conn, recorder, custody, checkpoints, known)
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
        if not acknowledge:
            _refuse_after_deleted(conn, recorder, last)
        overdue = None if acknowledge else _overdue(conn, recorder, custody, last)
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
        mac = checkpoint_mac(custody.key, chained, heads_digest(heads), acknowledge)
        new = Checkpoint(seq, position, events, taken_at, digest, chained, mac, acknowledge)
        conn.execute(
            SQL(
                "INSERT INTO {schema}.{checkpoints} "
                "(log, seq, position, events, taken_at, log_digest, digest, mac, acknowledged) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
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
