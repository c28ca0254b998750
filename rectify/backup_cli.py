"""`rectify backup` and `rectify restore` (the logic: rectify/backup.py).

Exit codes: 0 done; 1 refused (nothing written or changed) or, for restore, restored but
not proven: the audit chain does not verify, or the log is not the one the manifest
describes; 2 a setting unfit for production (the development audit key).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from rectify.backup import (
    Archive,
    Manifest,
    PgTools,
    Refused,
    Restored,
    after_restore,
    manifest_path,
    restore_archive,
    restore_target,
    take_backup,
    verify_manifest,
)
from rectify.runtime import database
from rectify.settings import Settings

PG_BIN_HELP = (
    "PostgreSQL 客户端工具目录（须与服务器主版本相同）/ folder of pg_dump, pg_restore and psql "
    "of the server's major version (default: the embedded server's own; with DATABASE_URL, PATH)"
)


def _settings() -> Settings:
    """Backup takes an audit checkpoint and restore verifies the chain: both hold the audit
    key, refused in production when it is the published development key."""
    settings = Settings()
    for problem in settings.audit_key_problems():
        typer.echo(problem, err=True)
    if settings.audit_key_problems():
        raise typer.Exit(2)
    return settings


def _refused(refused: Refused) -> typer.Exit:
    typer.echo(str(refused), err=True)
    return typer.Exit(1)


def backup(
    out: Path | None = typer.Option(
        None, "--out", help="备份文件 archive to write (default: rectify-<UTC time>.dump here)"
    ),
    pg_bin: Path | None = typer.Option(None, "--pg-bin", help=PG_BIN_HELP),
) -> None:
    """备份 Rectify 模式（运行中亦可）/ back up the Rectify schema, safely while it runs."""
    settings = _settings()
    out = out or Path(f"rectify-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump")
    tools = PgTools.choose(settings, pg_bin)
    try:
        with database(settings) as db:
            manifest = take_backup(
                db, tools, out, settings.audit_keyring(), settings.audit_checkpoint_minutes
            )
    except Refused as refused:
        raise _refused(refused) from None
    typer.echo(f"已备份 backed up: {out}")
    typer.echo(f"清单 manifest: {manifest_path(out)}")
    for line in manifest.lines():
        typer.echo(f"  {line}")


def restore(
    file: Path = typer.Argument(
        ..., help="rectify backup 写的备份文件 / an archive of rectify backup"
    ),
    force: bool = typer.Option(
        False, "--force", help="覆盖已有事件的模式 / replace a schema that already holds events"
    ),
    pg_bin: Path | None = typer.Option(None, "--pg-bin", help=PG_BIN_HELP),
) -> None:
    """恢复到新的 RECTIFY_HOME 或 DATABASE_URL，校验审计链并重建读模型 / restore into a fresh
    RECTIFY_HOME or DATABASE_URL, then verify the audit chain and rebuild the read models."""
    settings = _settings()
    tools = PgTools.choose(settings, pg_bin)
    try:
        manifest = verify_manifest(file)
        archive = Archive.read(tools, file)
        with restore_target(settings) as db:
            restore_archive(tools, file, archive, db, force=force)
            typer.echo(f"已恢复 restored: {file} → 模式 schema {db.schema}")
            typer.echo("正在校验审计链并重建读模型 / verifying the audit, rebuilding read models…")
            restored = after_restore(
                db, settings.audit_keyring(), settings.audit_checkpoint_minutes
            )
    except Refused as refused:
        raise _refused(refused) from None
    problems = _report(restored, manifest)
    if problems:
        for problem in problems:
            typer.echo(f"!!! {problem}", err=True)
        typer.echo(
            "!!! 数据已恢复，但未能证明其完整 / THE DATA WAS RESTORED BUT IS NOT PROVEN INTACT",
            err=True,
        )
        raise typer.Exit(1)


def _report(restored: Restored, manifest: Manifest | None) -> list[str]:
    """Print what was restored; return what fails it (each a line)."""
    problems: list[str] = []
    typer.echo(f"事件 events: {restored.events}, 日志头位置 log head position: {restored.position}")
    if manifest is None:
        typer.echo("注意 note: 备份旁没有清单，未核对事件数 / no manifest next to the backup: "
                   "the event count was not checked against it")  # fmt: skip
    elif (manifest.events, manifest.position) != (restored.events, restored.position):
        problems.append(
            f"恢复的日志与清单不符 / the restored log does not match the manifest: "
            f"{restored.events} events up to {restored.position}, the manifest says "
            f"{manifest.events} up to {manifest.position}"
        )
    else:
        typer.echo("与清单一致 / as the manifest says")
    result = restored.verification
    summary = (
        f"{result.events} 个事件 events, {result.streams} 个流 streams, "
        f"{result.checkpoints} 个检查点 checkpoints"
    )
    ordered = result.ordered()
    if ordered:
        headline = (
            "发现篡改 / TAMPERING FOUND" if result.tampered else "无法证明 / CANNOT BE PROVEN"
        )
        problems.append(f"审计链校验未通过 AUDIT CHAIN DOES NOT VERIFY — {headline}: "
                        f"{ordered[0].describe()} ({len(ordered)} in all; {summary})")  # fmt: skip
    else:
        typer.echo(f"审计链校验通过 audit chain verifies: {summary}")
        for note in result.notes:
            typer.echo(f"注意 note: {note}")
    if restored.rebuild_error is not None:
        problems.append(
            f"读模型重建失败 REBUILDING THE READ MODELS FAILED: {restored.rebuild_error}"
        )
    else:
        typer.echo(f"读模型已重建 read models rebuilt from {restored.rebuilt} events")
    known = (
        f"（调度器记录的未结事项 {restored.open_clocks} 个 / open items known to it: "
        f"{restored.open_clocks}）"
        if restored.open_clocks is not None
        else ""
    )
    typer.echo(
        "时钟 clocks: 备份不含 Temporal 的状态；系统启动（rectify run）后，调度器在启动时及此后每 "
        "5 分钟为每个未结的有期限事项重新启动时钟，通知进程重建定期报送的计划 / Temporal's state "
        "is not in the backup: once the system runs (`rectify run`), the dispatcher (re)starts "
        "the clock of every open dated item, and the notifier the reporting duties' schedules, "
        f"at start and every 5 minutes{known}"
    )
    return problems
