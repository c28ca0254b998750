"""The canonical encoding and the hashes of the tamper-evident log."""

from __future__ import annotations

import hashlib
import hmac
import struct
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from infrastructure.event_hashes import (
    GENESIS,
    canonical_time,
    checkpoint_digest,
    checkpoint_mac,
    encode,
    event_hash,
    fold_log,
    heads_digest,
)

STREAM = UUID("3186be9d-330c-599b-b1c8-64bade835c2a")
TOPIC = "rectify:Agency.Registered"
STATE = b'{"name":"\xe5\x8e\xbf"}'
AT = datetime(2026, 11, 23, 1, 2, 3, 456789, tzinfo=UTC)


def test_encoding_prefixes_every_field_with_its_length() -> None:
    assert encode(b"ab", b"") == bytes.fromhex("0000000000000002") + b"ab" + bytes(8)


def test_moving_a_boundary_between_fields_changes_the_hash() -> None:
    assert event_hash(GENESIS, STREAM, 1, "ab", b"c") != event_hash(GENESIS, STREAM, 1, "a", b"bc")


def test_the_event_hash_is_sha256_of_the_tagged_encoding() -> None:
    expected = hashlib.sha256(
        encode(
            b"rectify-event-v1",
            GENESIS,
            str(STREAM).encode(),
            (1).to_bytes(8, "big"),
            TOPIC.encode(),
            STATE,
        )
    ).digest()

    assert event_hash(GENESIS, STREAM, 1, TOPIC, STATE) == expected


def test_a_string_id_hashes_like_the_same_uuid() -> None:
    assert event_hash(GENESIS, str(STREAM), 1, TOPIC, STATE) == event_hash(
        GENESIS, STREAM, 1, TOPIC, STATE
    )


@pytest.mark.parametrize(
    "changed",
    [
        (bytes([1]) + GENESIS[1:], STREAM, 1, TOPIC, STATE),
        (GENESIS, UUID(int=STREAM.int ^ 1), 1, TOPIC, STATE),
        (GENESIS, STREAM, 2, TOPIC, STATE),
        (GENESIS, STREAM, 1, TOPIC + "x", STATE),
        (GENESIS, STREAM, 1, TOPIC, STATE[:-1] + bytes([STATE[-1] ^ 1])),
    ],
    ids=["previous", "stream", "version", "topic", "one state bit"],
)
def test_changing_any_hashed_field_changes_the_event_hash(
    changed: tuple[bytes, UUID, int, str, bytes],
) -> None:
    assert event_hash(*changed) != event_hash(GENESIS, STREAM, 1, TOPIC, STATE)


def test_the_log_digest_depends_on_order_and_positions() -> None:
    a, b = event_hash(GENESIS, STREAM, 1, TOPIC, b"a"), event_hash(GENESIS, STREAM, 1, TOPIC, b"b")
    in_order = fold_log(fold_log(GENESIS, 1, a), 2, b)

    assert in_order != fold_log(fold_log(GENESIS, 1, b), 2, a)
    assert in_order != fold_log(fold_log(GENESIS, 1, a), 3, b)


def test_the_same_instant_in_another_zone_is_the_same_checkpoint_time() -> None:
    beijing = AT.astimezone(timezone(timedelta(hours=8)))

    assert canonical_time(beijing) == canonical_time(AT) == b"2026-11-23T01:02:03.456789+00:00"


def test_a_checkpoint_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        canonical_time(datetime(2026, 11, 23))


def test_a_checkpoint_digest_chains_to_the_previous_one_and_binds_its_time() -> None:
    log = fold_log(GENESIS, 1, event_hash(GENESIS, STREAM, 1, TOPIC, STATE))
    digest = checkpoint_digest(GENESIS, 1, 1, 1, AT, log)

    assert digest != checkpoint_digest(bytes(31) + b"\x01", 1, 1, 1, AT, log)
    assert digest != checkpoint_digest(GENESIS, 1, 1, 1, AT + timedelta(microseconds=1), log)
    assert digest != checkpoint_digest(GENESIS, 1, 1, 2, AT, log)


# --- keyed checkpoints (docs/decisions/0025) --------------------------------------------

HEAD = (STREAM, 3, 17, bytes(range(32)))


def test_the_checkpoint_mac_is_hmac_sha256_of_the_tagged_encoding() -> None:
    heads = heads_digest([HEAD])
    expected = hmac.new(
        b"key", encode(b"rectify-checkpoint-mac-v1", GENESIS, heads, b"\x00"), hashlib.sha256
    ).digest()

    assert checkpoint_mac(b"key", GENESIS, heads, acknowledged=False) == expected


def test_the_checkpoint_mac_depends_on_the_key_the_digest_the_heads_and_the_acknowledgement() -> (
    None
):
    heads = heads_digest([HEAD])
    base = checkpoint_mac(b"key", GENESIS, heads, False)

    assert checkpoint_mac(b"other key", GENESIS, heads, False) != base
    assert checkpoint_mac(b"key", bytes([1]) + GENESIS[1:], heads, False) != base
    assert checkpoint_mac(b"key", GENESIS, heads_digest([]), False) != base
    assert checkpoint_mac(b"key", GENESIS, heads, True) != base


@pytest.mark.parametrize(
    "changed",
    [
        (UUID(int=STREAM.int ^ 1), 3, 17, HEAD[3]),
        (STREAM, 4, 17, HEAD[3]),
        (STREAM, 3, 18, HEAD[3]),
        (STREAM, 3, 17, GENESIS),
    ],
    ids=["stream", "version", "position", "hash"],
)
def test_every_field_of_a_recorded_head_changes_the_heads_digest(
    changed: tuple[UUID, int, int, bytes],
) -> None:
    assert heads_digest([changed]) != heads_digest([HEAD])


def test_the_heads_digest_is_sha256_of_the_tag_and_each_heads_encoding() -> None:
    other = (str(UUID(int=STREAM.int ^ 1)), 1, 5, GENESIS)
    expected = hashlib.sha256(encode(b"rectify-heads-v1"))
    for stream, version, position, hash_ in (HEAD, other):
        expected.update(
            encode(
                str(stream).encode(),
                struct.pack(">q", version),
                struct.pack(">q", position),
                hash_,
            )
        )

    assert heads_digest([HEAD, other]) == expected.digest()
    assert heads_digest([]) == hashlib.sha256(encode(b"rectify-heads-v1")).digest()


def test_a_head_left_out_changes_the_heads_digest() -> None:
    other = (UUID(int=STREAM.int ^ 1), 1, 5, GENESIS)
    assert heads_digest([HEAD]) != heads_digest([HEAD, other])
