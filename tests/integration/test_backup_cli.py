"""`rectify backup` and `rectify restore` against a real PostgreSQL, with that server's own
tools: a round trip, and every refusal (events already there, an unreadable or altered
file, tools of another major version, a home the system runs on)."""

from __future__ import annotations

import itertools
import json
import shutil
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.application import RectifyApp
from rectify.backup import PgTools, Refused, embedded_bin, major, server_version
from rectify.embedded import start_embedded_postgres
from tests.integration.api_fixtures import import_known_ledger
from tests.integration.conftest import Run


def _tools_of(database_url: str) -> Path:
    """The folder of the server's own pg_dump/pg_restore/psql: the embedded wheel's when it
    is the embedded server, else PATH's or Debian's for its major version."""
    wanted = major(server_version(database_url))
    found = shutil.which("pg_dump")
    candidates = [embedded_bin(), Path(f"/usr/lib/postgresql/{wanted}/bin")]
    candidates += [Path(found).resolve().parent] if found else []
    for folder in candidates:
        if (folder / "pg_dump").exists() and major(PgTools(folder).version("pg_dump")) == wanted:
            return folder
    raise AssertionError(f"no PostgreSQL {wanted} client tools on this machine")


@pytest.fixture
def pg_bin(database_url: str) -> str:
    return str(_tools_of(database_url))


@pytest.fixture
def ledger(es_env: dict[str, str]) -> Iterator[RectifyApp]:
    from rectify.composition import rectify_app

    app = rectify_app(es_env)
    import_known_ledger(app)
    yield app
    app.close()


@pytest.fixture
def other_schema(database_url: str) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:12]
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _log(url: str, schema: str) -> list[tuple[Any, ...]]:
    """Every event with its hash row, in log order."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
            f' h.hash FROM "{schema}".rectify_events e JOIN "{schema}".rectify_events_hashes h'
            " USING (originator_id, originator_version) ORDER BY e.notification_id"
        ).fetchall()


def _issues(url: str, schema: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT id, status FROM "{schema}".issues ORDER BY id').fetchall()


def _backup(run: Run, pg_bin: str, tmp_path: Path) -> Path:
    out = tmp_path / "rectify.dump"
    result = run("backup", "--out", str(out), "--pg-bin", pg_bin)
    assert result.exit_code == 0, result.output
    return out


def _fake_tools(tmp_path: Path, version: str) -> str:
    """pg_dump, pg_restore and psql that only tell their version: another major version than
    the server's, which must be refused before any of them is run for real."""
    folder = tmp_path / "other-tools"
    folder.mkdir()
    for name in ("pg_dump", "pg_restore", "psql"):
        tool = folder / name
        tool.write_text(
            f'#!/bin/sh\n[ "$1" = --version ] && echo "{name} (PostgreSQL) {version}" && exit 0\n'
            'echo ran >> "$(dirname "$0")/ran"; exit 1\n'
        )
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return str(folder)


def test_a_backup_restored_into_another_schema_holds_the_same_log_and_read_models(
    run: Run, ledger: RectifyApp, pg_bin: str, database_url: str, schema: str,
    other_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from projections import rebuild_projections
    from rectify.settings import eventsourcing_env

    rebuild_projections(eventsourcing_env(database_url, schema), database_url, schema)
    log, issues = _log(database_url, schema), _issues(database_url, schema)
    out = _backup(run, pg_bin, tmp_path)
    manifest = json.loads((tmp_path / "rectify.dump.json").read_text(encoding="utf-8"))
    assert (manifest["schema"], manifest["events"]) == (schema, len(log))
    assert manifest["position"] == log[-1][0]
    assert manifest["checkpoint_position"] == manifest["position"]  # proven at restore
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')  # the backup's schema must be free

    monkeypatch.setenv("RECTIFY_DB_SCHEMA", other_schema)
    result = run("restore", str(out), "--pg-bin", pg_bin)

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')  # for the fixture's teardown

    assert result.exit_code == 0, result.output
    assert _log(database_url, other_schema) == log
    assert _issues(database_url, other_schema) == issues and len(issues) == 5
    assert "与清单一致 / as the manifest says" in result.stdout
    assert "audit chain verifies" in result.stdout
    assert f"{len(log)} 个事件 events" in result.stdout
    assert "Temporal's state is not in the backup" in result.stdout


def test_restore_refuses_a_schema_holding_events_and_force_replaces_them(
    run: Run, ledger: RectifyApp, pg_bin: str, database_url: str, schema: str, tmp_path: Path
) -> None:
    log = _log(database_url, schema)
    out = _backup(run, pg_bin, tmp_path)
    ledger.register_agency("备份后登记的机构", actor="测试")
    later = _log(database_url, schema)

    refused = run("restore", str(out), "--pg-bin", pg_bin)

    assert refused.exit_code == 1
    assert f"已有 {len(later)} 个事件" in refused.stderr and "--force" in refused.stderr
    assert _log(database_url, schema) == later  # untouched
    forced = run("restore", str(out), "--force", "--pg-bin", pg_bin)
    assert forced.exit_code == 0, forced.output
    assert _log(database_url, schema) == log  # as it was at the backup


def test_restore_refuses_a_file_that_is_missing_or_not_an_archive(
    run: Run, pg_bin: str, tmp_path: Path
) -> None:
    missing = run("restore", str(tmp_path / "nowhere.dump"), "--pg-bin", pg_bin)
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"not a pg_dump archive\n")
    unreadable = run("restore", str(garbage), "--pg-bin", pg_bin)

    assert missing.exit_code == 1 and "cannot read the backup file" in missing.stderr
    assert unreadable.exit_code == 1
    assert "无法读取备份文件" in unreadable.stderr and "valid archive" in unreadable.stderr


def test_a_truncated_archive_changes_nothing(
    run: Run, ledger: RectifyApp, pg_bin: str, database_url: str, schema: str, tmp_path: Path
) -> None:
    """Cut short near its end: the table of contents still reads, the data does not. The
    schema dropped at the start of the transaction is still there afterwards."""
    out = _backup(run, pg_bin, tmp_path)
    log = _log(database_url, schema)
    data = out.read_bytes()
    cut = tmp_path / "cut.dump"
    cut.write_bytes(data[: len(data) - 200])

    result = run("restore", str(cut), "--force", "--pg-bin", pg_bin)

    assert result.exit_code == 1
    assert "cannot read the backup file" in result.stderr
    assert _log(database_url, schema) == log


def test_restore_refuses_a_file_that_does_not_match_its_manifest(
    run: Run, ledger: RectifyApp, pg_bin: str, database_url: str, schema: str, tmp_path: Path
) -> None:
    out = _backup(run, pg_bin, tmp_path)
    data = bytearray(out.read_bytes())
    data[-1] ^= 0xFF
    out.write_bytes(bytes(data))
    log = _log(database_url, schema)

    result = run("restore", str(out), "--force", "--pg-bin", pg_bin)

    assert result.exit_code == 1
    assert "does not match its manifest" in result.stderr and "不符" in result.stderr
    assert _log(database_url, schema) == log


def test_backup_refuses_tools_of_another_major_version(
    run: Run, ledger: RectifyApp, tmp_path: Path
) -> None:
    tools = _fake_tools(tmp_path, "9.6.24")

    result = run("backup", "--out", str(tmp_path / "x.dump"), "--pg-bin", tools)

    assert result.exit_code == 1
    assert "pg_dump 9.6.24" in result.stderr and "does not match the server's" in result.stderr
    assert "主版本不一致" in result.stderr
    assert not (tmp_path / "x.dump").exists() and not (tmp_path / "x.dump.json").exists()
    assert not (Path(tools) / "ran").exists()


def test_restore_refuses_tools_of_another_major_version(
    run: Run, ledger: RectifyApp, pg_bin: str, database_url: str, schema: str, tmp_path: Path
) -> None:
    out = _backup(run, pg_bin, tmp_path)
    log = _log(database_url, schema)
    (tmp_path / "rectify.dump.json").unlink()  # a manifest is not needed to restore
    real = Path(pg_bin) / "pg_restore"
    tools = _fake_tools(tmp_path, "99.1")
    (Path(tools) / "pg_restore").unlink()
    (Path(tools) / "pg_restore").symlink_to(real)  # reads the archive; psql is another major

    result = run("restore", str(out), "--force", "--pg-bin", tools)

    assert result.exit_code == 1
    assert "psql 99.1" in result.stderr and "does not match the server's" in result.stderr
    assert _log(database_url, schema) == log
    assert not (Path(tools) / "ran").exists()


def test_backup_refuses_to_overwrite_a_file(
    run: Run, ledger: RectifyApp, pg_bin: str, tmp_path: Path
) -> None:
    out = tmp_path / "kept.dump"
    out.write_bytes(b"an older backup")

    result = run("backup", "--out", str(out), "--pg-bin", pg_bin)

    assert result.exit_code == 1 and "already exists" in result.stderr
    assert out.read_bytes() == b"an older backup"


def test_backup_refuses_a_schema_without_an_event_log(
    run: Run, pg_bin: str, tmp_path: Path
) -> None:
    result = run("backup", "--out", str(tmp_path / "x.dump"), "--pg-bin", pg_bin)

    assert result.exit_code == 1 and "holds no event log" in result.stderr
    assert not (tmp_path / "x.dump").exists()


def test_a_restored_log_that_was_tampered_with_fails_loudly(
    run: Run, ledger: RectifyApp, pg_bin: str, database_url: str, schema: str, tmp_path: Path
) -> None:
    """An event's recorded actor rewritten in the database before the backup: the restore
    completes, but says the chain does not verify, and exits 1."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        changed = conn.execute(
            f'UPDATE "{schema}".rectify_events SET state = convert_to(replace('
            "convert_from(state, 'UTF8'), '\"actor\":\"导入\"', '\"actor\":\"某人\"'), 'UTF8')"
            f' WHERE notification_id = (SELECT min(notification_id) FROM "{schema}".'
            "rectify_events WHERE convert_from(state, 'UTF8') LIKE '%\"actor\":\"导入\"%')"
        ).rowcount
    assert changed == 1
    out = _backup(run, pg_bin, tmp_path)

    result = run("restore", str(out), "--force", "--pg-bin", pg_bin)

    assert result.exit_code == 1
    assert "AUDIT CHAIN DOES NOT VERIFY" in result.stderr and "TAMPERING FOUND" in result.stderr
    assert "THE DATA WAS RESTORED BUT IS NOT PROVEN INTACT" in result.stderr


def test_restore_refuses_a_home_the_system_runs_on(
    run: Run, ledger: RectifyApp, pg_bin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = _backup(run, pg_bin, tmp_path)
    home = tmp_path / "running"
    _, server = start_embedded_postgres(home / "pg")  # as `rectify run` leaves it
    try:
        monkeypatch.delenv("DATABASE_URL")
        monkeypatch.setenv("RECTIFY_HOME", str(home))
        result = run("restore", str(out))
    finally:
        server.cleanup()  # type: ignore[attr-defined]

    assert result.exit_code == 1
    assert "is running on" in result.stderr and "stop it first" in result.stderr


def test_a_tool_version_is_read_whole_from_its_banner(tmp_path: Path) -> None:
    folder = Path(_fake_tools(tmp_path, "15.20 (Debian 15.20-0+deb12u1)"))

    assert PgTools(folder).version("pg_dump") == "15.20"
    PgTools(folder).check(("pg_dump", "psql"), "15.3")  # minor versions may differ


def test_a_missing_tool_is_refused_naming_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(Refused) as refused:
        PgTools(tmp_path).path("pg_restore")

    assert "pg_restore not found" in str(refused.value) and str(tmp_path) in str(refused.value)
    assert "--pg-bin" in str(refused.value)


def test_restore_under_another_name_refuses_when_the_backups_schema_exists(
    run: Run, ledger: RectifyApp, pg_bin: str, database_url: str, schema: str,
    other_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    out = _backup(run, pg_bin, tmp_path)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", other_schema)

    result = run("restore", str(out), "--pg-bin", pg_bin)

    assert result.exit_code == 1
    assert f"the backup's schema {schema} already exists" in result.stderr
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (other_schema,)
        ).fetchone() == (0,)


def test_a_backup_taken_while_a_writer_writes_is_covered_by_its_checkpoint(
    run: Run, ledger: RectifyApp, pg_bin: str, es_env: dict[str, str], tmp_path: Path
) -> None:
    """Writers wait while the checkpoint is taken and the snapshot exported, none fails,
    and the checkpoint covers every event the archive holds."""
    from rectify.composition import rectify_app

    stop, started = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        writer = rectify_app(es_env)
        try:
            for number in itertools.count():
                writer.register_agency(f"并发写入机构{number}", actor="测试")
                started.set()
                if stop.is_set():
                    return
        except BaseException as error:
            failures.append(error)
        finally:
            started.set()
            writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        started.wait(60)
        out = _backup(run, pg_bin, tmp_path)
    finally:
        stop.set()
        thread.join(60)

    assert not failures
    manifest = json.loads(Path(f"{out}.json").read_text(encoding="utf-8"))
    assert manifest["checkpoint_position"] == manifest["position"], manifest["notes"]
    assert manifest["notes"] == []
