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
from rectify.audit import latest_checkpoint, take_checkpoint, verify
from rectify.audit_commands import checkpointing
from rectify.cli import app as cli
from rectify.event_hashes import GENESIS, event_hash
from rectify.event_store import ChunkedApplicationRecorder

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
    run("audit", "checkpoint")

    plain = run("audit", "verify")
    against_kept = run("audit", "verify", "--checkpoint", kept)

    assert plain.exit_code == 0, "a rewrite of everything is consistent on its own"
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
    recorder = _recorder(app)
    first, first_new = take_checkpoint(recorder)
    again, again_new = take_checkpoint(recorder)
    app.register_agency("市公安局", actor="t")
    second, second_new = take_checkpoint(recorder)

    assert first is not None and second is not None
    assert (first_new, again_new, second_new) == (True, False, True)
    assert again == first
    assert (first.seq, first.events, second.seq, second.events) == (1, 6, 2, 7)
    assert second.position > first.position
    assert verify(recorder).intact


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
    with checkpointing(es_env, minutes=60):
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
    result = verify(_recorder(app))
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
    result = verify(_recorder(app))
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
