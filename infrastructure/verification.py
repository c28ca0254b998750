"""Verifying the hash chains and checkpoints of the whole log.

`verify` reads everything in one read-only REPEATABLE READ transaction, so writers may go
on meanwhile and both passes see the same log:
1. every event with its hash row, each hash recomputed from the event and the recomputed
   hash of the stream's event before it: first in log order, holding each stream's last
   hash (chains_in_log_order, docs/decisions/0072); only if that does not hold, every
   stream in version order, which names and classifies each break;
2. every hash row in notification-id order, folded into the log digest, against every
   checkpoint (pass 1 has shown the hash rows are the events' true hashes): from the
   log-order pass's rows when it held, else read again;
3. every checkpoint's MAC, under the key it names (kept outside the database), and the heads
   each checkpoint recorded against the streams as they are now (a cut tail, a rewrite);
4. whether events older than the checkpoint interval are covered by any checkpoint.
The long passes stream in chunks: memory does not grow with the log, only the log-order
pass's with the number of streams, up to a bound (MAX_STREAMS).
See docs/decisions/0009-tamper-evidence.md and 0025-keyed-checkpoints.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC
from enum import Enum
from itertools import groupby
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow

from infrastructure.audit_keys import AuditKeys, shown, unknown_key
from infrastructure.audit_queries import (
    Checkpoint,
    Opening,
    broken_heads_query,
    decided_hashes_query,
    heads_digests_checked,
    read_only_snapshot,
    stream_rows,
    streams_query,
)
from infrastructure.chains_in_log_order import Recent, chains_in_log_order
from infrastructure.checkpoint_fold import CheckpointFold
from infrastructure.custody import Custody, authentic, overdue
from infrastructure.event_hashes import GENESIS, event_hash, heads_digest
from infrastructure.event_store import ChunkedApplicationRecorder

MOVE_CANDIDATES = 50  # arrivals and departures kept for matching moved events; bounded work


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
        "(forged, edited, or that key id's key changed)"
    )
    UNCOVERED = (
        "超过检查点间隔仍无检查点覆盖，无法证明未被改写 / not covered by any checkpoint "
        "although older than the checkpoint interval: cannot be proven unchanged"
    )
    CHECKPOINT_KEY_UNKNOWN = (
        "检查点的密钥未配置，无法认证 / checkpoint's key is not configured: it cannot be "
        "authenticated"
    )
    CHECKPOINT_UNKNOWN = (
        "库中没有该摘要的检查点（日志被重写或检查点被删除）/ "
        "no checkpoint with that digest (log rewritten or checkpoint deleted)"
    )


# Breaks that say what cannot be proven rather than what was changed.
UNPROVEN = frozenset({BreakKind.UNCOVERED, BreakKind.CHECKPOINT_KEY_UNKNOWN})
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


def _classify(suspect: _Suspect, oid: str, after: tuple[Any, ...] | None) -> Break:
    kind = BreakKind.CHANGED
    if after is not None:
        _, version, topic, state, _, stored_next, _, has_event, has_hash = after
        if has_event and has_hash:
            if stored_next == event_hash(suspect.stored, oid, version, topic, state):
                kind = BreakKind.CONTENT_CHANGED  # the old hash row still chains on
            elif stored_next == event_hash(suspect.recomputed, oid, version, topic, state):
                kind = BreakKind.HASH_ALTERED  # the event is what the next hash was built on
    return Break(kind, oid, suspect.version, suspect.position)


def _check_streams(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    moves: _Moves,
    recent: Recent,
) -> Verification:
    result = Verification()
    after, count, first = recent.after, 0, None
    events = streams = 0
    current: Any = object()
    previous = GENESIS
    expected = 1
    broken = False
    suspect: _Suspect | None = None

    def settle(oid: str, after: tuple[Any, ...] | None) -> None:
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

    # Tuples in binary, unpacked: this loop runs once per event and hash row (0069).
    for row in stream_rows(conn, "audit_streams", streams_query(recorder)):
        oid, version, topic, state, event_position, stored, hash_position, has_event, has_hash = row
        if oid != current:
            if suspect is not None:
                settle(current, None)
            current, previous, expected, broken, suspect = oid, GENESIS, 1, False, None
            streams += 1
        if has_event:
            events += 1
            if event_position > after:
                count += 1
                if first is None or event_position < first:
                    first = event_position
                    recent.first = (oid, version, topic, state)
        if suspect is not None:
            settle(oid, row)
            suspect, broken = None, True
        if broken:
            continue
        position = event_position or hash_position
        broken = True
        if version != expected:
            found = Break(BreakKind.DELETED_WITH_HASH, oid, expected)
            result.breaks.append(found)
            moves.depart(_Departure(found, oid, expected, previous))
            if has_event and has_hash:  # a stranger, if the gap is at its start
                moves.arrive(_Arrival(found, version, position, topic, state, stored))
        elif not has_event:
            result.breaks.append(Break(BreakKind.DELETED, oid, version, position))
        elif not has_hash:
            result.breaks.append(Break(BreakKind.INSERTED, oid, version, position))
        else:
            recomputed = event_hash(previous, oid, version, topic, state)
            if recomputed != stored:
                suspect = _Suspect(version, position, stored, recomputed, topic, state)
            elif event_position != hash_position:
                detail = f"hash row says {hash_position}"
                result.breaks.append(Break(BreakKind.RENUMBERED, oid, version, position, detail))
            else:
                previous, expected, broken = recomputed, version + 1, False
    if suspect is not None:
        settle(current, None)
    result.events, result.streams = events, streams
    recent.count, recent.position = count, first
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


def _fold_hash_rows(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, fold: CheckpointFold
) -> None:
    """The hash rows up to the furthest checkpoint, read from their table: when pass 1 ran
    in stream order. A stream must be read to its end (0069), so no further."""
    if fold.upto <= 0:
        return
    for position, hash_ in stream_rows(
        conn, "audit_log", decided_hashes_query(recorder), (0, fold.upto)
    ):
        fold.add(position, hash_)


def _check_checkpoints(
    checkpoints: list[Checkpoint], fold: CheckpointFold, result: Verification
) -> dict[bytes, bool]:
    """Every checkpoint against the digest the hash rows recompute for it (fed to `fold`
    already); which stored digests held."""
    expected_seq = 1
    for checkpoint in checkpoints:
        if checkpoint.seq != expected_seq:
            result.breaks.append(
                Break(BreakKind.CHECKPOINT_MISSING, detail=f"#{expected_seq}–#{checkpoint.seq - 1}")
            )
        expected_seq = checkpoint.seq + 1
    held: dict[bytes, bool] = {}
    for checkpoint, recomputed in fold.finish():
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


def _check_macs(
    digests: dict[int, bytes],
    checkpoints: list[Checkpoint],
    keys: AuditKeys,
    result: Verification,
) -> None:
    """Each checkpoint's MAC over its stored digest and the heads it recorded, under the key
    its key id names (docs/decisions/0064). The digest chains every checkpoint before it,
    so a forged one anywhere breaks every later MAC's meaning, and a checkpoint recomputed
    without the key fails here. `digests`: the digest of the heads each seq recorded."""
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
        key = keys.key(checkpoint.key_id)
        if key is None:
            result.breaks.append(
                Break(
                    BreakKind.CHECKPOINT_KEY_UNKNOWN,
                    position=checkpoint.position,
                    detail=unknown_key(checkpoint.seq, checkpoint.key_id),
                )
            )
        elif not authentic(key, checkpoint, digests.get(checkpoint.seq, empty)):
            result.breaks.append(
                Break(
                    BreakKind.CHECKPOINT_FORGED,
                    position=checkpoint.position,
                    detail=f"检查点 checkpoint #{checkpoint.seq}"
                    + (" 无认证码 / has no MAC" if checkpoint.mac is None else "")
                    + f", 密钥 key {shown(checkpoint.key_id)}",
                )
            )
        elif checkpoint.acknowledged:
            result.notes.append(
                f"检查点 #{checkpoint.seq} 是经操作员确认空缺后接续的：其之前的事件曾超过间隔未被"
                f"覆盖 / checkpoint #{checkpoint.seq} "
                f"({checkpoint.taken_at.astimezone(UTC).isoformat()}) continued the chain over "
                "a gap an operator acknowledged (--acknowledge-gap)"
            )
    _note_rekeyed(checkpoints, result)


def _note_rekeyed(checkpoints: list[Checkpoint], result: Verification) -> None:
    """Say which checkpoints `rectify audit rekey` moved to another key, from which, when:
    the record is under the new MAC, so it is as proven as the checkpoint."""
    moved = [c for c in checkpoints if c.rekeyed_at is not None]
    for (before, after, at), group in groupby(
        moved, key=lambda c: (c.rekeyed_from, c.key_id, c.rekeyed_at)
    ):
        seqs = [c.seq for c in group]
        span = f"#{seqs[0]}" if len(seqs) == 1 else f"#{seqs[0]}–#{seqs[-1]} ({len(seqs)})"
        when = at.astimezone(UTC).isoformat() if at else ""
        result.notes.append(
            f"检查点 {span} 于 {when} 经密钥 {shown(before)} 核实后改由密钥 {shown(after)} 认证 "
            f"/ checkpoint(s) {span} were verified under key {shown(before)} and moved to key "
            f"{shown(after)} at {when} (`rectify audit rekey`)"
        )


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
    rows = stream_rows(
        conn, "audit_stream_heads", broken_heads_query(recorder), (recorder.events_table_name,)
    )
    for oid, group in groupby(rows, key=lambda r: str(r[0])):
        if oid in broken:
            continue
        # the lowest recorded version that no longer matches
        _, version, seq, stored, differs, has_event, last_version, tail_hash, last_good = next(
            group
        )
        recorded = int(version)
        if stored is None and not has_event:
            last = int(last_version or 0)
            found = Break(
                BreakKind.TRUNCATED,
                oid,
                last + 1,
                detail=f"已不在 gone: {_versions(last + 1, recorded)}; 检查点 checkpoint "
                f"#{seq} recorded the stream up to version {recorded}",
            )
            result.breaks.append(found)
            previous = bytes(tail_hash) if last and tail_hash else GENESIS
            moves.depart(_Departure(found, oid, last + 1, previous))
        elif differs:
            good = int(last_good or 0)
            result.breaks.append(
                Break(
                    BreakKind.REWRITTEN,
                    oid,
                    good + 1,
                    detail=f"改写发生在 rewritten somewhere in {_versions(good + 1, recorded)} "
                    f"(checkpoint #{seq} recorded version {recorded})",
                )
            )


# -- pass 4: is everything old enough covered by a checkpoint? ---------------------------


def _note_recent(recent: Recent, result: Verification) -> None:
    """Events after the newest checkpoint are proven by the keyless chains only until the
    next one: say how many, so nobody reads "intact" as covering them too."""
    after, count = recent.after, recent.count
    if count:
        result.notes.append(
            f"位置 {after} 之后的 {count} 个事件尚待下一个检查点：在此之前，连同哈希记录"
            f"一起删除其末尾不会被发现 / {count} event(s) after position {after} await the "
            "next checkpoint: until then, cutting them together with their hash rows would "
            "not show"
        )


def _check_coverage(
    checkpoints: list[Checkpoint], custody: Custody, recent: Recent, result: Verification
) -> None:
    last = checkpoints[-1] if checkpoints else None
    if custody.interval is None:
        result.notes.append(
            "未设定检查点间隔（RECTIFY_AUDIT_CHECKPOINT_MINUTES=0）：最新检查点之后的事件只有"
            "无密钥的哈希链证明 / checkpoints are not taken periodically: events after "
            f"position {last.position if last else 0} are proven only by the keyless chains"
        )
        return
    late = overdue(custody, recent.first_event())
    if late is None:
        _note_recent(recent, result)
        return
    position, at = late
    count = recent.count  # from the first event after the newest checkpoint: all of them
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


def _check_chains(
    conn: Connection[DictRow],
    recorder: ChunkedApplicationRecorder,
    opening: Opening,
    moves: _Moves,
) -> tuple[Verification, CheckpointFold, Recent, bool]:
    """Passes 1 and 2: in log order when every chain holds there (0072), else the streams in
    version order and the hash rows read again for the checkpoints; and whether the first
    held."""
    checkpoints = opening.checkpoints
    after = checkpoints[-1].position if checkpoints else 0
    fold, recent = CheckpointFold(checkpoints), Recent(after)
    held = chains_in_log_order(conn, recorder, opening, fold, recent)
    if held is not None:
        return Verification(events=held.events, streams=held.streams), fold, recent, True
    fold, recent = CheckpointFold(checkpoints), Recent(after)
    result = _check_streams(conn, recorder, moves, recent)
    _fold_hash_rows(conn, recorder, fold)
    return result, fold, recent, False


def verify(
    recorder: ChunkedApplicationRecorder, custody: Custody, checkpoint: bytes | None = None
) -> Verification:
    """Recompute every stream's chain and every checkpoint, authenticate the checkpoints,
    and require the log to be covered by them; with `checkpoint` (a digest an auditor
    kept), also require that checkpoint to be in the log and to still hold."""
    moves = _Moves()
    # one snapshot: the order of the reads does not matter. The checkpoints first: the first
    # pass folds the hash rows for them and counts what comes after the newest (0069)
    with read_only_snapshot(recorder) as (conn, opening):
        checkpoints = opening.checkpoints
        result, fold, recent, in_log_order = _check_chains(conn, recorder, opening, moves)
        result.checkpoints = len(checkpoints)
        held = _check_checkpoints(checkpoints, fold, result)
        # No stream heads recorded (no checkpoint was ever taken): nothing for pass 3's
        # heads to find. When the log-order pass held, every event has its hash row and
        # every hash row its event, so a recorded head is broken exactly when its hash row
        # is gone or differs, which the digests' statement tells (0072).
        digests, changed = heads_digests_checked(conn, recorder) if opening.heads else ({}, False)
        _check_macs(digests, checkpoints, custody.keys, result)
        if changed or (opening.heads and not in_log_order):
            _check_heads(conn, recorder, result, moves)
    _check_coverage(checkpoints, custody, recent, result)
    _label_moves(result, moves)
    _settle_with_checkpoints(result, checkpoints, held)
    if checkpoint is not None:
        if checkpoint not in held:
            result.breaks.append(Break(BreakKind.CHECKPOINT_UNKNOWN, detail=checkpoint.hex()))
        elif held[checkpoint]:
            result.proven = next(c for c in checkpoints if c.digest == checkpoint)
    return result
