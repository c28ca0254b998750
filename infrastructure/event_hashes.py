"""The hashes that make the event log tamper-evident: pure functions, no I/O.

Every field is length-prefixed before hashing, so no two different events (or checkpoints)
can encode to the same bytes by moving a boundary (topic "ab" + state "c" must not hash
like topic "a" + state "bc"). A version tag leads each encoding so that a future change of
the scheme can be told apart from tampering.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from domain.audit_trail import Integrity

GENESIS = bytes(32)  # the "previous hash" of a stream's first event and the empty log
EVENT_TAG = b"rectify-event-v1"
LOG_TAG = b"rectify-log-v1"
CHECKPOINT_TAG = b"rectify-checkpoint-v1"
HEADS_TAG = b"rectify-heads-v1"
MAC_TAG = b"rectify-checkpoint-mac-v1"
REKEYED_MAC_TAG = b"rectify-checkpoint-rekeyed-mac-v1"


def encode(*fields: bytes) -> bytes:
    """Each field as its 8-byte big-endian length followed by its bytes."""
    return b"".join(struct.pack(">Q", len(field)) + field for field in fields)


def _int(value: int) -> bytes:
    return struct.pack(">q", value)


# `encode` spelled out for the two hashes computed once per event by every verify
# (docs/decisions/0069): the same bytes without a generator and a pack per field.
_length = struct.Struct(">Q").pack
_int64 = struct.Struct(">q").pack
_EVENT_HEAD = encode(EVENT_TAG)
_LOG_HEAD = encode(LOG_TAG)
_HEADS_HEAD = encode(HEADS_TAG)
_INT_LENGTH = _length(8)
_sha256 = hashlib.sha256


def event_hash(
    previous: bytes, originator_id: UUID | str, originator_version: int, topic: str, state: bytes
) -> bytes:
    """hash_v = SHA-256(tag, hash of the stream's previous event, id, version, topic, state)."""
    stream = str(originator_id).encode()
    name = topic.encode()
    return _sha256(
        b"".join(
            (
                _EVENT_HEAD,
                _length(len(previous)),
                previous,
                _length(len(stream)),
                stream,
                _INT_LENGTH,
                _int64(originator_version),
                _length(len(name)),
                name,
                _length(len(state)),
                state,
            )
        )
    ).digest()


def fold_log(digest: bytes, notification_id: int, event_hash_: bytes) -> bytes:
    """The running digest of the whole log, one event further in notification-id order.

    The position is part of it, so renumbering or reordering events changes the digest.
    """
    return _sha256(
        b"".join(
            (
                _LOG_HEAD,
                _length(len(digest)),
                digest,
                _INT_LENGTH,
                _int64(notification_id),
                _length(len(event_hash_)),
                event_hash_,
            )
        )
    ).digest()


def canonical_time(moment: datetime) -> bytes:
    """UTC, microseconds: what PostgreSQL's timestamptz stores and gives back unchanged."""
    if moment.tzinfo is None:
        raise ValueError("checkpoint time must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds").encode()


def checkpoint_digest(
    previous: bytes, seq: int, position: int, events: int, taken_at: datetime, log_digest: bytes
) -> bytes:
    """A checkpoint chains to the one before it and binds the log digest to its time."""
    return hashlib.sha256(
        encode(
            CHECKPOINT_TAG,
            previous,
            _int(seq),
            _int(position),
            _int(events),
            canonical_time(taken_at),
            log_digest,
        )
    ).digest()


def heads_digest(heads: Iterable[tuple[UUID | str, int, int, bytes]]) -> bytes:
    """The stream heads a checkpoint records (id, version, log position, hash of each stream
    written since the checkpoint before), in the order given (by stream id). Each head is
    `encode(id, version, position, hash)`, spelled out: verify digests every head recorded
    (docs/decisions/0072)."""
    digest = _sha256(_HEADS_HEAD)
    update = digest.update
    for originator_id, version, position, hash_ in heads:
        stream = str(originator_id).encode()
        update(
            b"".join(
                (
                    _length(len(stream)),
                    stream,
                    _INT_LENGTH,
                    _int64(version),
                    _INT_LENGTH,
                    _int64(position),
                    _length(len(hash_)),
                    hash_,
                )
            )
        )
    return digest.digest()


def checkpoint_mac(key: bytes, digest: bytes, heads: bytes, acknowledged: bool) -> bytes:
    """HMAC-SHA256 with a key kept outside the database: whoever can only write to the
    database can no longer recompute a checkpoint after rewriting the log. The digest
    already chains every earlier checkpoint, so this authenticates the whole chain up to it;
    `acknowledged` marks a checkpoint taken over a gap an operator accepted."""
    return hmac.new(
        key, encode(MAC_TAG, digest, heads, b"\x01" if acknowledged else b"\x00"), hashlib.sha256
    ).digest()


def rekeyed_mac(
    key: bytes,
    digest: bytes,
    heads: bytes,
    acknowledged: bool,
    rekeyed_from: str | None,
    rekeyed_at: datetime,
) -> bytes:
    """The MAC of a checkpoint moved to another key (docs/decisions/0064): what the first
    MAC covered, and which key it was verified under and when, so the record of the move
    cannot be dropped or altered without the new key (None: the unnamed key)."""
    return hmac.new(
        key,
        encode(
            REKEYED_MAC_TAG,
            digest,
            heads,
            b"\x01" if acknowledged else b"\x00",
            b"" if rekeyed_from is None else rekeyed_from.encode(),
            canonical_time(rekeyed_at),
        ),
        hashlib.sha256,
    ).digest()


def chain_integrity(
    originator_id: UUID | str, rows: Iterable[tuple[int, str | None, bytes | None, bytes | None]]
) -> dict[int, Integrity]:
    """Version -> integrity of each event of one stream, from its rows in version order:
    (version, topic, state, stored hash), topic and state None for a hash row whose event is
    gone, the hash None for an event without a hash row.

    An event is VERIFIED when the chain recomputed from the stream's first event reaches
    its stored hash (so it and everything before it are what was hashed); ALTERED when it
    does not hash to its own row on the stored hash before it (or has no row); UNCHAINED
    when it does, but the chain before it is broken (a version missing, an event altered)
    or the hash before it is gone too. The full check, with checkpoints and stream heads,
    is `rectify audit verify`."""
    found: dict[int, Integrity] = {}
    recomputed = GENESIS
    chained, expected = True, 1
    previous: bytes | None = GENESIS
    for version, topic, state, stored in rows:
        if version != expected:  # versions deleted together with their hash rows
            chained, previous = False, None
        expected = version + 1
        if topic is None or state is None:  # an event deleted, its hash row left
            chained, previous = False, stored
            continue
        if stored is None:
            found[version] = Integrity.ALTERED
            chained, previous = False, None
            continue
        own = (
            None if previous is None else event_hash(previous, originator_id, version, topic, state)
        )
        if chained:
            recomputed = event_hash(recomputed, originator_id, version, topic, state)
            chained = recomputed == stored
        if chained:
            found[version] = Integrity.VERIFIED
        elif own is not None and own != stored:
            found[version] = Integrity.ALTERED
        else:
            found[version] = Integrity.UNCHAINED
        previous = stored
    return found
