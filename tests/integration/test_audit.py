"""Tamper evidence against real PostgreSQL: hash chains, checkpoints, `rectify audit …`.

The tampering is done the way an attacker with database access would: plain SQL on the
events, hash and checkpoint tables.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from psycopg import sql
from typer.testing import CliRunner, Result

from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.ledger_rows import LedgerRow
from infrastructure.audit_queries import latest_checkpoint
from infrastructure.checkpoints import CheckpointRefused, take_checkpoint
from infrastructure.custody import Custody, custody_of
from infrastructure.event_hashes import GENESIS, checkpoint_digest, event_hash, fold_log
from infrastructure.event_store import ChunkedApplicationRecorder
from infrastructure.verification import verify
from rectify.audit_cli import checkpointing
from rectify.cli import app as cli
from rectify.settings import DEV_AUDIT_KEY

Run = Callable[..., Result]
EVENTS = "rectify_events"
HASHES = "rectify_events_hashes"


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def db(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        yield conn


def _recorder(app: RectifyApp) -> ChunkedApplicationRecorder:
    assert isinstance(app.recorder, ChunkedApplicationRecorder)
    return app.recorder


def _custody(app: RectifyApp, minutes: float = 10) -> Custody:
    """What `rectify audit` uses with the development settings."""
    return custody_of(app, DEV_AUDIT_KEY, minutes)


@pytest.fixture
def agency(app: RectifyApp) -> UUID:
    """An agency whose stream has three events (registered, two aliases added), two alias
    streams and one more agency: six events in four streams."""
    result = app.register_agency("县卫健局", actor="t")
    app.register_agency("县卫健局", actor="t", aliases=("卫健局",))
    app.register_agency("县卫健局", actor="t", aliases=("县卫生健康局",))
    app.register_agency("县医保局", actor="t")
    return result.id


def _flip_byte(db: psycopg.Connection[Any], stream: UUID, version: int) -> None:
    row = db.execute(
        f"SELECT state FROM {EVENTS} WHERE originator_id = %s AND originator_version = %s",
        (stream, version),
    ).fetchone()
    assert row is not None
    state = bytearray(row[0])
    state[len(state) // 2] ^= 0x01
    db.execute(
        f"UPDATE {EVENTS} SET state = %s WHERE originator_id = %s AND originator_version = %s",
        (bytes(state), stream, version),
    )


def _rehash_everything(db: psycopg.Connection[Any]) -> None:
    """What a thorough attacker does after changing events: recompute every hash row."""
    previous: dict[UUID, bytes] = {}
    rows = db.execute(
        f"SELECT originator_id, originator_version, topic, state FROM {EVENTS} "
        "ORDER BY originator_id, originator_version"
    ).fetchall()
    for oid, version, topic, state in rows:
        previous[oid] = event_hash(previous.get(oid, GENESIS), oid, version, topic, bytes(state))
        db.execute(
            f"UPDATE {HASHES} SET hash = %s WHERE originator_id = %s AND originator_version = %s",
            (previous[oid], oid, version),
        )


def _digest(output: str) -> str:
    found = re.search(r"digest: ([0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


def test_an_untouched_log_verifies_intact(run: Run, agency: UUID) -> None:
    result = run("audit", "verify")

    assert result.exit_code == 0, result.output
    assert "log intact: 6 个事件 events, 4 个流 streams" in result.output
    # no checkpoint yet: what it cannot cover is said, not implied intact
    assert "6 event(s) after position 0 await the next checkpoint" in result.output


def test_after_a_checkpoint_verify_says_nothing_awaits_one(run: Run, agency: UUID) -> None:
    assert run("audit", "checkpoint").exit_code == 0
    result = run("audit", "verify")

    assert result.exit_code == 0, result.output
    assert "await the next checkpoint" not in result.output


def test_a_flipped_byte_in_an_event_names_its_stream_and_version(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    _flip_byte(db, agency, 2)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"TAMPERING FOUND: 流 stream {agency}  版本 version 2  " in result.output
    assert "event content (topic or state) changed" in result.output


def test_a_flipped_byte_in_the_latest_event_of_a_stream_names_it(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    _flip_byte(db, agency, 3)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"TAMPERING FOUND: 流 stream {agency}  版本 version 3  " in result.output


def test_a_changed_latest_event_under_a_checkpoint_is_told_from_an_altered_hash_row(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    _flip_byte(db, agency, 3)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"流 stream {agency}  版本 version 3" in result.output
    assert "event content (topic or state) changed" in result.output


def test_a_deleted_event_is_named(run: Run, agency: UUID, db: psycopg.Connection[Any]) -> None:
    db.execute(
        f"DELETE FROM {EVENTS} WHERE originator_id = %s AND originator_version = 2", (agency,)
    )

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"流 stream {agency}  版本 version 2" in result.output
    assert "event deleted (its hash row remains)" in result.output


def test_an_event_deleted_with_its_hash_row_is_named(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    for table in (EVENTS, HASHES):
        db.execute(
            f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = 2", (agency,)
        )

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"流 stream {agency}  版本 version 2" in result.output
    assert "event deleted together with its hash row" in result.output


def test_an_altered_hash_row_is_named(run: Run, agency: UUID, db: psycopg.Connection[Any]) -> None:
    db.execute(
        f"UPDATE {HASHES} SET hash = %s WHERE originator_id = %s AND originator_version = 2",
        (bytes(32), agency),
    )

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"流 stream {agency}  版本 version 2" in result.output
    assert "hash row altered" in result.output


def test_an_event_inserted_without_a_hash_row_is_named(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    db.execute(
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
        f"SELECT originator_id, 4, topic, state FROM {EVENTS} "
        "WHERE originator_id = %s AND originator_version = 3",
        (agency,),
    )

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"流 stream {agency}  版本 version 4" in result.output
    assert "event has no hash row" in result.output


def test_an_event_moved_to_another_stream_names_the_stream_it_was_in(
    run: Run, app: RectifyApp, db: psycopg.Connection[Any]
) -> None:
    streams = [app.register_agency(f"机构{n}", actor="t").id for n in range(6)]
    # one bit of a stored id changed, so that the new id sorts before the real one
    original = next(s for s in streams if s.int & 1)
    moved = UUID(int=original.int ^ 1)
    db.execute(
        f"UPDATE {EVENTS} SET originator_id = %s WHERE originator_id = %s", (moved, original)
    )

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"TAMPERING FOUND: 流 stream {original}  版本 version 1" in result.output
    assert f"also: 流 stream {moved}  版本 version 1" in result.output
    first = result.output.splitlines()[0]
    assert "event moved to another stream" in first and f"now 流 stream {moved}" in first
    assert "event moved here from another stream" in result.output


def test_a_renumbered_event_is_named(run: Run, agency: UUID, db: psycopg.Connection[Any]) -> None:
    db.execute(
        f"UPDATE {EVENTS} SET notification_id = notification_id + 1000 "
        "WHERE originator_id = %s AND originator_version = 1",
        (agency,),
    )

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"流 stream {agency}  版本 version 1" in result.output
    assert "log position differs from its hash row" in result.output


def test_a_kept_checkpoint_proves_the_log_unchanged_since(run: Run, agency: UUID) -> None:
    kept = _digest(run("audit", "checkpoint").output)

    result = run("audit", "verify", "--checkpoint", kept)

    assert result.exit_code == 0, result.output
    assert "unchanged since checkpoint #1" in result.output


def test_a_kept_checkpoint_no_longer_matches_after_a_thorough_rewrite(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    kept = _digest(run("audit", "checkpoint").output)
    _flip_byte(db, agency, 2)
    _rehash_everything(db)
    db.execute("DELETE FROM audit_checkpoints")
    db.execute("DELETE FROM audit_checkpoint_heads")
    assert run("audit", "checkpoint").exit_code == 0

    plain = run("audit", "verify")
    against_kept = run("audit", "verify", "--checkpoint", kept)

    # what remains possible: someone holding RECTIFY_AUDIT_KEY (here the CLI's development
    # key) re-taking checkpoints over a rewrite within one interval (docs/decisions/0025)
    assert plain.exit_code == 0, "a rewrite re-checkpointed by a key holder is consistent"
    assert against_kept.exit_code == 1
    assert "no checkpoint with that digest" in against_kept.output


def test_a_rewrite_under_a_stored_checkpoint_is_a_checkpoint_mismatch(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    _flip_byte(db, agency, 2)
    _rehash_everything(db)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint does not match the log" in result.output
    assert "checkpoint #1" in result.output


def test_an_altered_checkpoint_time_is_a_checkpoint_mismatch(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    db.execute("UPDATE audit_checkpoints SET taken_at = taken_at - interval '1 day'")

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint does not match the log" in result.output


def test_a_deleted_checkpoint_is_named(
    run: Run, app: RectifyApp, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    app.register_agency("市公安局", actor="t")
    run("audit", "checkpoint")
    db.execute("DELETE FROM audit_checkpoints WHERE seq = 1")

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint missing (#1–#1)" in result.output


def test_verify_refuses_a_malformed_checkpoint_digest(run: Run, agency: UUID) -> None:
    result = run("audit", "verify", "--checkpoint", "not-hex")

    assert result.exit_code == 2


def test_a_checkpoint_is_taken_only_when_the_log_grew(app: RectifyApp, agency: UUID) -> None:
    recorder, custody = _recorder(app), _custody(app)
    first, first_new = take_checkpoint(recorder, custody)
    again, again_new = take_checkpoint(recorder, custody)
    app.register_agency("市公安局", actor="t")
    second, second_new = take_checkpoint(recorder, custody)

    assert first is not None and second is not None
    assert (first_new, again_new, second_new) == (True, False, True)
    assert again == first
    assert (first.seq, first.events, second.seq, second.events) == (1, 6, 2, 7)
    assert second.position > first.position
    assert verify(recorder, custody).intact


def test_print_only_shows_the_latest_checkpoint_without_taking_one(
    run: Run, app: RectifyApp, agency: UUID
) -> None:
    taken = run("audit", "checkpoint", "--json")
    app.register_agency("市公安局", actor="t")

    shown = run("audit", "checkpoint", "--print-only")

    assert _digest(shown.output) == re.findall(r'"digest": "([0-9a-f]{64})"', taken.output)[0]
    latest = latest_checkpoint(_recorder(app))
    assert latest is not None and latest.seq == 1


def test_an_empty_log_has_no_checkpoint(run: Run) -> None:
    result = run("audit", "checkpoint")

    assert result.exit_code == 0
    assert "no checkpoint yet" in result.output


def test_the_projection_process_takes_checkpoints_while_it_runs(
    app: RectifyApp, agency: UUID, es_env: dict[str, str]
) -> None:
    recorder = _recorder(app)
    with checkpointing(es_env, minutes=60, key=DEV_AUDIT_KEY):
        for _ in range(400):  # the first one is taken at once; wait for it, not for a time
            if latest_checkpoint(recorder) is not None:
                break
            threading.Event().wait(0.05)

    latest = latest_checkpoint(recorder)
    assert latest is not None and latest.events == 6


def test_concurrent_writers_keep_every_chain_valid(app: RectifyApp, es_env: dict[str, str]) -> None:
    shared = app.register_agency("共用机构", actor="t").id
    failures: list[BaseException] = []

    # constructed one by one: the library's table creation is not safe to run concurrently
    writers = [RectifyApp(env=es_env) for _ in range(6)]

    def write(n: int) -> None:
        writer = writers[n]
        try:
            own = writer.register_agency(f"机构{n}", actor="t").id
            for k in range(5):
                writer.register_agency(f"机构{n}", actor="t", aliases=(f"机构{n}别名{k}",))
                while True:  # the shared stream: retry on a version conflict
                    try:
                        writer.register_agency("共用机构", actor="t", aliases=(f"共用{n}-{k}",))
                        break
                    except IntegrityError:
                        continue
            assert writer.get_agency(own).version == 6
        except BaseException as error:
            failures.append(error)
        finally:
            writer.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert app.get_agency(shared).version == 31
    result = verify(_recorder(app), _custody(app))
    assert result.intact, [b.describe() for b in result.breaks]
    # the shared agency and its 30 aliases, 6 agencies with 5 aliases each, 60 alias streams
    assert result.events == 1 + 30 + 6 * 6 + 60


def test_a_save_of_thousands_of_events_chains_every_one(
    app: RectifyApp, db: psycopg.Connection[Any]
) -> None:
    rows = [
        LedgerRow(2, str(n), "问题", ["措施"], "县卫健局", [], parse_deadline("2026年3月底"))
        for n in range(1, 2101)
    ]

    app.import_ledger("大台账", rows, actor="t", source="f", create_agencies=True)

    counts = db.execute(
        f"SELECT (SELECT count(*) FROM {EVENTS}), (SELECT count(*) FROM {HASHES} h "
        f"JOIN {EVENTS} e USING (originator_id, originator_version, notification_id))"
    ).fetchone()
    assert counts is not None and counts[0] == counts[1] > 2100
    result = verify(_recorder(app), _custody(app))
    assert result.intact, [b.describe() for b in result.breaks[:5]]
    assert result.events == counts[0]


def test_seal_hashes_a_log_written_before_tamper_evidence(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    db.execute(f"DELETE FROM {HASHES}")  # as if written by the recorder of before
    assert run("audit", "verify").exit_code == 1

    sealed = run("audit", "seal")
    verified = run("audit", "verify")

    assert sealed.exit_code == 0, sealed.output
    assert "sealed: 6 个事件 events" in sealed.output
    assert "检查点 checkpoint #1" in sealed.output
    assert verified.exit_code == 0, verified.output


def test_seal_refuses_a_log_that_already_has_hash_rows(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    _flip_byte(db, agency, 2)

    result = run("audit", "seal")

    assert result.exit_code == 1
    assert "sealing it again would bless any tampering" in result.output
    assert run("audit", "verify").exit_code == 1


# --- keyed checkpoints (docs/decisions/0025) --------------------------------------------

SHORT_MINUTES = "0.01"  # checkpoints promised every 0.6 s: an event waits at most 1.2 s
LATE = 1.3  # seconds: long enough for the events of a test to be overdue


Shorten = Callable[[], None]


@pytest.fixture
def short_interval(monkeypatch: pytest.MonkeyPatch) -> Shorten:
    """Promise checkpoints every 0.6 s from the moment it is called: a test's own first
    checkpoint is taken before, under the default interval, so however long the machine
    took to get there (seconds at a load average of 20) its events are not already late."""
    return lambda: monkeypatch.setenv("RECTIFY_AUDIT_CHECKPOINT_MINUTES", SHORT_MINUTES)


def _recompute_checkpoints(db: psycopg.Connection[Any]) -> None:
    """What a thorough attacker without the key does after rewriting the log: recompute
    every checkpoint's log digest and chained digest (keyless SHA-256) in place."""
    hashes = db.execute(f"SELECT notification_id, hash FROM {HASHES} ORDER BY notification_id")
    rows = hashes.fetchall()
    previous, log_digest, done = GENESIS, GENESIS, 0
    for seq, position, events, taken_at in db.execute(
        "SELECT seq, position, events, taken_at FROM audit_checkpoints ORDER BY seq"
    ).fetchall():
        while done < len(rows) and rows[done][0] <= position:
            log_digest = fold_log(log_digest, rows[done][0], bytes(rows[done][1]))
            done += 1
        previous = checkpoint_digest(previous, seq, position, events, taken_at, log_digest)
        db.execute(
            "UPDATE audit_checkpoints SET log_digest = %s, digest = %s WHERE seq = %s",
            (log_digest, previous, seq),
        )


def test_a_rewrite_with_recomputed_checkpoints_fails_their_mac(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    _flip_byte(db, agency, 2)
    _rehash_everything(db)
    _recompute_checkpoints(db)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "TAMPERING FOUND" in result.output
    assert "checkpoint MAC does not verify" in result.output and "#1" in result.output
    assert "checkpoint does not match the log" not in result.output  # the digests were redone


def test_verify_with_another_key_refuses_the_checkpoints(
    run: Run, agency: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("audit", "checkpoint")
    monkeypatch.setenv("RECTIFY_AUDIT_KEY", "another-key-" + "x" * 32)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint MAC does not verify" in result.output


def test_a_checkpoint_without_a_mac_is_named(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    db.execute("UPDATE audit_checkpoints SET mac = NULL")

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint #1 无认证码 / has no MAC" in result.output


def test_a_deleted_checkpoint_head_fails_the_mac(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    db.execute("DELETE FROM audit_checkpoint_heads WHERE originator_id = %s", (agency,))

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint MAC does not verify" in result.output


def test_a_checkpoint_marked_acknowledged_afterwards_fails_the_mac(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    db.execute("UPDATE audit_checkpoints SET acknowledged = true")

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint MAC does not verify" in result.output


def test_deleting_every_checkpoint_leaves_old_events_unprovable(
    run: Run, agency: UUID, db: psycopg.Connection[Any], short_interval: Shorten
) -> None:
    assert run("audit", "checkpoint").exit_code == 0
    short_interval()
    db.execute("DELETE FROM audit_checkpoints")
    db.execute("DELETE FROM audit_checkpoint_heads")  # all trace of them
    threading.Event().wait(LATE)

    result = run("audit", "verify")

    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("无法证明 / CANNOT BE PROVEN: 位置 position ")
    assert "not covered by any checkpoint" in first and "6 个事件" in first
    assert "there is no checkpoint at all" in first


def test_deleting_the_latest_checkpoint_leaves_the_events_after_the_one_before_unprovable(
    run: Run, app: RectifyApp, agency: UUID, db: psycopg.Connection[Any], short_interval: Shorten
) -> None:
    assert run("audit", "checkpoint").exit_code == 0
    app.register_agency("市公安局", actor="t")
    assert run("audit", "checkpoint").exit_code == 0
    short_interval()
    for table in ("audit_checkpoints", "audit_checkpoint_heads"):
        db.execute(f"DELETE FROM {table} WHERE seq = 2")
    threading.Event().wait(LATE)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "CANNOT BE PROVEN" in result.output
    assert "1 个事件 events from position" in result.output
    assert "checkpoints after #1" in result.output and "may have been deleted" in result.output


def test_deleting_the_latest_checkpoint_is_named_at_once_by_the_heads_it_leaves(
    run: Run, app: RectifyApp, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    app.register_agency("市公安局", actor="t")
    run("audit", "checkpoint")
    db.execute("DELETE FROM audit_checkpoints WHERE seq = 2")

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint missing (#2–#2: 其流头记录仍在 / their stream heads remain)" in result.output


def test_the_taker_refuses_to_continue_after_a_deleted_checkpoint(
    run: Run, app: RectifyApp, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    db.execute("DELETE FROM audit_checkpoints")
    app.register_agency("市公安局", actor="t")

    refused = run("audit", "checkpoint")
    acknowledged = run("audit", "checkpoint", "--acknowledge-gap")

    assert refused.exit_code == 1 and "checkpoint #1 was deleted" in refused.output
    assert acknowledged.exit_code == 0, acknowledged.output


def test_the_taker_refuses_to_bless_events_that_waited_too_long(
    run: Run, agency: UUID, db: psycopg.Connection[Any], short_interval: Shorten
) -> None:
    assert run("audit", "checkpoint").exit_code == 0
    short_interval()
    db.execute("DELETE FROM audit_checkpoints")
    db.execute("DELETE FROM audit_checkpoint_heads")
    threading.Event().wait(LATE)

    refused = run("audit", "checkpoint")

    assert refused.exit_code == 1
    assert "--acknowledge-gap" in refused.output
    assert db.execute("SELECT count(*) FROM audit_checkpoints").fetchone() == (0,)


def test_an_acknowledged_gap_continues_the_chain_and_verify_shows_it(
    run: Run, agency: UUID, short_interval: Shorten
) -> None:
    short_interval()
    threading.Event().wait(LATE)

    taken = run("audit", "checkpoint", "--acknowledge-gap")
    result = run("audit", "verify")

    assert taken.exit_code == 0, taken.output
    assert result.exit_code == 0, result.output
    assert "checkpoint #1" in result.output and "gap an operator acknowledged" in result.output


def test_with_checkpoints_off_verify_says_what_only_the_chains_prove(
    run: Run, agency: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECTIFY_AUDIT_CHECKPOINT_MINUTES", "0")

    result = run("audit", "verify")

    assert result.exit_code == 0, result.output
    assert "proven only by the keyless chains" in result.output


def test_the_running_taker_refuses_when_its_last_checkpoint_was_deleted(
    app: RectifyApp, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    recorder, custody = _recorder(app), _custody(app)
    known, _ = take_checkpoint(recorder, custody)
    db.execute("DELETE FROM audit_checkpoints")
    app.register_agency("市公安局", actor="t")

    with pytest.raises(CheckpointRefused, match="was deleted or altered"):
        take_checkpoint(recorder, custody, known=known)


def test_the_taker_refuses_to_extend_a_forged_checkpoint(
    app: RectifyApp, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    recorder, custody = _recorder(app), _custody(app)
    take_checkpoint(recorder, custody)
    db.execute("UPDATE audit_checkpoints SET mac = %s", (bytes(32),))
    app.register_agency("市公安局", actor="t")

    with pytest.raises(CheckpointRefused, match="does not authenticate"):
        take_checkpoint(recorder, custody)


def test_the_projection_process_takes_a_last_checkpoint_when_it_stops(
    app: RectifyApp, agency: UUID, es_env: dict[str, str]
) -> None:
    recorder = _recorder(app)
    with checkpointing(es_env, minutes=60, key=DEV_AUDIT_KEY):
        for _ in range(400):
            if latest_checkpoint(recorder) is not None:
                break
            threading.Event().wait(0.05)
        app.register_agency("市公安局", actor="t")

    latest = latest_checkpoint(recorder)
    assert latest is not None and latest.events == 7
    assert verify(recorder, _custody(app)).intact


# --- deletions and truncations named first (issue 6 audit, item 2) ---------------------


def test_an_event_deleted_with_its_hash_row_under_a_checkpoint_is_named_on_the_first_line(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    for table in (EVENTS, HASHES):
        db.execute(
            f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = 2", (agency,)
        )

    result = run("audit", "verify")

    first = result.output.splitlines()[0]
    assert first.startswith(f"发现篡改 / TAMPERING FOUND: 流 stream {agency}  版本 version 2")
    assert "checkpoint does not match the log" in result.output  # on an "also" line


def test_a_stream_tail_cut_under_a_checkpoint_names_the_stream_and_version(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    for table in (EVENTS, HASHES):
        db.execute(
            f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = 3", (agency,)
        )

    result = run("audit", "verify")

    first = result.output.splitlines()[0]
    assert first.startswith(f"发现篡改 / TAMPERING FOUND: 流 stream {agency}  版本 version 3")
    assert "newest events were deleted together with their hash rows" in first
    assert "gone: version 3;" in first


def test_a_whole_stream_deleted_under_a_checkpoint_is_named_from_version_one(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    for table in (EVENTS, HASHES):
        db.execute(f"DELETE FROM {table} WHERE originator_id = %s", (agency,))

    result = run("audit", "verify")

    first = result.output.splitlines()[0]
    assert first.startswith(f"发现篡改 / TAMPERING FOUND: 流 stream {agency}  版本 version 1")
    assert "gone: versions 1–3" in first


def test_a_stream_rewritten_and_rehashed_under_a_checkpoint_is_located(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    _flip_byte(db, agency, 2)
    _rehash_everything(db)

    result = run("audit", "verify")

    first = result.output.splitlines()[0]
    assert first.startswith(f"发现篡改 / TAMPERING FOUND: 流 stream {agency}  版本 version 1")
    assert "stream rewritten and rehashed" in first and "somewhere in versions 1–3" in first


def _move(db: psycopg.Connection[Any], stream: UUID, version: int, to: UUID) -> None:
    """Move one event of `stream` to the stream id `to`, hash row and all."""
    for table in (EVENTS, HASHES):
        db.execute(
            f"UPDATE {table} SET originator_id = %s "
            "WHERE originator_id = %s AND originator_version = %s",
            (to, stream, version),
        )


def test_an_event_moved_with_its_hash_row_is_labelled_moved_not_deleted(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    elsewhere = UUID(int=agency.int ^ 0xFF)
    _move(db, agency, 2, elsewhere)

    result = run("audit", "verify")

    first = result.output.splitlines()[0]
    assert first.startswith(f"发现篡改 / TAMPERING FOUND: 流 stream {agency}  版本 version 2")
    assert "event moved to another stream" in first and f"now 流 stream {elsewhere}" in first
    assert f"流 stream {elsewhere}  版本 version 2" in result.output
    assert "deleted together with its hash row" not in result.output


def test_the_newest_event_moved_under_a_checkpoint_is_labelled_moved(
    run: Run, agency: UUID, db: psycopg.Connection[Any]
) -> None:
    run("audit", "checkpoint")
    elsewhere = UUID(int=agency.int ^ 0xFF)
    _move(db, agency, 3, elsewhere)

    result = run("audit", "verify")

    first = result.output.splitlines()[0]
    assert first.startswith(f"发现篡改 / TAMPERING FOUND: 流 stream {agency}  版本 version 3")
    assert "event moved to another stream" in first
    assert "event moved here from another stream" in result.output
