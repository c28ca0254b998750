"""What the hash chain says of each event an audit trail shows (infrastructure.event_hashes)."""

from __future__ import annotations

from uuid import UUID

from domain.audit_trail import Integrity
from domain.trail_labels import china_time, label, shown
from infrastructure.event_hashes import GENESIS, chain_integrity, event_hash

STREAM = UUID(int=1)
TOPIC = "rectify:RectificationIssue.SignedOff"
Row = tuple[int, str | None, bytes | None, bytes | None]


def _stream(count: int) -> list[Row]:
    rows: list[Row] = []
    previous = GENESIS
    for version in range(1, count + 1):
        state = f'{{"n":{version}}}'.encode()
        previous = event_hash(previous, STREAM, version, TOPIC, state)
        rows.append((version, TOPIC, state, previous))
    return rows


V, A, U = Integrity.VERIFIED, Integrity.ALTERED, Integrity.UNCHAINED


def test_an_untouched_stream_is_verified_throughout() -> None:
    assert chain_integrity(STREAM, _stream(3)) == {1: V, 2: V, 3: V}


def test_a_changed_event_is_altered_and_the_ones_after_it_unchained() -> None:
    rows = _stream(3)
    rows[1] = (2, TOPIC, b'{"n":20}', rows[1][3])
    assert chain_integrity(STREAM, rows) == {1: V, 2: A, 3: U}


def test_an_altered_hash_row_is_flagged_on_its_event() -> None:
    rows = _stream(2)
    rows[1] = (2, TOPIC, rows[1][2], bytes(32))
    assert chain_integrity(STREAM, rows) == {1: V, 2: A}


def test_an_event_deleted_with_its_hash_row_leaves_the_next_unchained() -> None:
    rows = _stream(3)
    del rows[1]
    assert chain_integrity(STREAM, rows) == {1: V, 3: U}


def test_an_event_deleted_without_its_hash_row_leaves_the_next_unchained() -> None:
    rows = _stream(3)
    rows[1] = (2, None, None, rows[1][3])
    assert chain_integrity(STREAM, rows) == {1: V, 3: U}


def test_an_event_without_a_hash_row_is_altered() -> None:
    rows = _stream(2)
    rows[1] = (2, TOPIC, rows[1][2], None)
    assert chain_integrity(STREAM, rows) == {1: V, 2: A}


def test_an_event_changed_after_a_gap_is_still_told_apart_when_its_hash_row_remains() -> None:
    rows = _stream(4)
    rows[1] = (2, None, None, rows[1][3])  # v2's event gone, its hash row left
    rows[2] = (3, TOPIC, b'{"n":30}', rows[2][3])
    assert chain_integrity(STREAM, rows) == {1: V, 3: A, 4: U}


def test_fields_have_chinese_labels_and_unknown_ones_keep_their_name() -> None:
    assert label("lead_agency_id") == "牵头单位"
    assert label("clock_keys") == "已记录的时限节点"
    assert label("brand_new_field") == "brand_new_field"


def test_times_are_shown_in_china_time_with_their_offset() -> None:
    assert china_time("2026-12-09T16:00:00+00:00") == "2026-12-10T00:00:00+08:00"
    assert china_time("2026-12-09") == "2026-12-09"
    assert china_time("问题5") == "问题5"


def test_agency_ids_are_shown_by_name_at_any_depth() -> None:
    names = {"a1": "县卫健局", "a2": "县医保局"}.get
    assert shown("co_agency_ids", ["a1", "a2"], names) == ["县卫健局", "县医保局"]
    assert shown("pending", {"agency_id": "a1", "at": "2026-01-01T00:00:00Z"}, names) == {
        "agency_id": "县卫健局",
        "at": "2026-01-01T08:00:00+08:00",
    }
    assert shown("number", "a1", names) == "a1"  # not an agency field: kept
