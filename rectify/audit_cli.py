"""`rectify audit verify|checkpoint|seal|new-key|rekey`: prove the event log has not been
tampered with, and rotate the key of its checkpoints (docs/decisions/0064).

Exit codes of `verify`: 0 intact, 1 tampering found or something that cannot be proven
(the first break named first: a stream and version when there is one), 2 a malformed
--checkpoint digest. See docs/decisions/0009-tamper-evidence.md and 0025.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import typer

from infrastructure.audit_keys import AuditKeyError, AuditKeys, new_key, shown
from infrastructure.audit_queries import Checkpoint, latest_checkpoint
from infrastructure.checkpoints import (
    AlreadySealed,
    CheckpointRefused,
    checkpoint_periodically,
    seal,
    take_checkpoint,
)
from infrastructure.custody import Custody, custody_of
from infrastructure.event_store import ChunkedApplicationRecorder
from infrastructure.rekeying import RekeyRefused, rekey
from infrastructure.verification import verify
from rectify.runtime import database
from rectify.settings import Settings

if TYPE_CHECKING:
    from domain.application import RectifyApp

audit_app = typer.Typer(help="审计：防篡改校验 / audit: tamper evidence.", no_args_is_help=True)

SHOWN_BREAKS = 20


@contextmanager
def _recorder() -> Iterator[tuple[ChunkedApplicationRecorder, Custody]]:
    from rectify.composition import rectify_app

    settings = Settings()
    for problem in settings.audit_key_problems():  # a checkpoint under the published key
        typer.echo(problem, err=True)  # would prove nothing
        raise typer.Exit(2)
    with database(settings) as db:
        ledger = rectify_app(db.es_env)
        try:
            recorder = ledger.recorder
            if not isinstance(recorder, ChunkedApplicationRecorder):
                typer.echo(
                    "APPLICATION_RECORDER_TOPIC：不是带哈希链的记录器 / "
                    "not the hash-chaining recorder",
                    err=True,
                )
                raise typer.Exit(2)
            yield (
                recorder,
                custody_of(ledger, settings.audit_keyring(), settings.audit_checkpoint_minutes),
            )
        finally:
            ledger.close()


def _as_dict(checkpoint: Checkpoint) -> dict[str, object]:
    return {
        "seq": checkpoint.seq,
        "position": checkpoint.position,
        "events": checkpoint.events,
        "taken_at": checkpoint.taken_at.astimezone(UTC).isoformat(),
        "digest": checkpoint.digest.hex(),
        "key_id": checkpoint.key_id,
    }


def _show(checkpoint: Checkpoint) -> None:
    typer.echo(f"检查点 checkpoint #{checkpoint.seq}")
    typer.echo(f"位置 position: {checkpoint.position}")
    typer.echo(f"事件数 events: {checkpoint.events}")
    typer.echo(f"时间 time: {checkpoint.taken_at.astimezone(UTC).isoformat()}")
    typer.echo(f"摘要 digest: {checkpoint.digest.hex()}")
    typer.echo(f"密钥 key: {shown(checkpoint.key_id)}")


@audit_app.command("verify")
def verify_command(
    checkpoint: str | None = typer.Option(
        None, "--checkpoint", help="审计员保存的检查点摘要 a checkpoint digest kept elsewhere (hex)"
    ),
) -> None:
    """重新计算全部哈希链与检查点 / recompute every stream's hash chain and every checkpoint."""
    kept: bytes | None = None
    if checkpoint is not None:
        try:
            kept = bytes.fromhex(checkpoint.strip())
        except ValueError:
            kept = None
        if kept is None or len(kept) != 32:
            typer.echo(
                "--checkpoint: 应为 64 位十六进制摘要 / expected a 64-digit hex digest", err=True
            )
            raise typer.Exit(2)
    with _recorder() as (recorder, custody):
        result = verify(recorder, custody, kept)
    summary = (
        f"{result.events} 个事件 events, {result.streams} 个流 streams, "
        f"{result.checkpoints} 个检查点 checkpoints"
    )
    ordered = result.ordered()
    if not ordered:
        typer.echo(f"日志完整 / log intact: {summary}")
        if result.proven is not None:
            typer.echo(
                f"检查点 #{result.proven.seq} 之前的日志未被改写 / the log up to position "
                f"{result.proven.position} is unchanged since checkpoint #{result.proven.seq} "
                f"({result.proven.taken_at.astimezone(UTC).isoformat()})"
            )
        for note in result.notes:
            typer.echo(f"注意 note: {note}")
        return
    first, others = ordered[0], ordered[1:]
    headline = "发现篡改 / TAMPERING FOUND" if result.tampered else "无法证明 / CANNOT BE PROVEN"
    typer.echo(f"{headline}: {first.describe()}")
    for other in others[: SHOWN_BREAKS - 1]:
        typer.echo(f"  另有 also: {other.describe()}")
    if len(others) > SHOWN_BREAKS - 1:
        typer.echo(f"  … 另有 {len(others) - SHOWN_BREAKS + 1} 处 more")
    typer.echo(f"已检查 checked: {summary}")
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint_command(
    print_only: bool = typer.Option(
        False, "--print-only", help="只显示最新检查点，不新建 only print the latest checkpoint"
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出 print as JSON"),
    acknowledge_gap: bool = typer.Option(
        False,
        "--acknowledge-gap",
        help="确认空缺后接续检查点链 continue the chain over events that waited longer than "
        "the checkpoint interval (recorded in the checkpoint; verify shows it)",
    ),
) -> None:
    """记录并显示最新检查点 / take a checkpoint of the whole log (if it grew) and print it."""
    with _recorder() as (recorder, custody):
        if print_only:
            latest, new = latest_checkpoint(recorder), False
        else:
            try:
                latest, new = take_checkpoint(recorder, custody, acknowledge=acknowledge_gap)
            except CheckpointRefused as refused:
                typer.echo(refused.message, err=True)
                raise typer.Exit(1) from None
    if latest is None:
        typer.echo("尚无检查点（日志为空？）/ no checkpoint yet (is the log empty?)", err=True)
        return
    if as_json:
        typer.echo(json.dumps(_as_dict(latest)))
        return
    if not print_only and not new:
        typer.echo(
            "日志无新事件，最新检查点仍然有效 / no new events; the latest checkpoint is current"
        )
    _show(latest)


@audit_app.command("seal")
def seal_command() -> None:
    """为升级前写入的日志补算哈希（仅一次）/ hash a log written before tamper evidence, once."""
    with _recorder() as (recorder, custody):
        try:
            count = seal(recorder)
            # sealing is the operator's explicit act over an old log: the gap is acknowledged
            latest, _ = take_checkpoint(recorder, custody, acknowledge=True)
        except AlreadySealed as refused:
            typer.echo(str(refused), err=True)
            raise typer.Exit(1) from None
    typer.echo(f"已封存 sealed: {count} 个事件 events")
    if latest is not None:
        _show(latest)


@audit_app.command("new-key")
def new_key_command(
    key_id: str = typer.Argument(..., help="新密钥的编号，如 2027a / the new key's id, e.g. 2027a"),
) -> None:
    """生成新的审计密钥 / print a fresh audit key as an entry of RECTIFY_AUDIT_KEYS."""
    try:
        typer.echo(new_key(key_id.strip()))
    except AuditKeyError as refused:
        typer.echo(refused.message, err=True)
        raise typer.Exit(2) from None


@audit_app.command("rekey")
def rekey_command() -> None:
    """核实后将检查点改由当前密钥认证 / verify every checkpoint under its own key, then move
    it to the current one (RECTIFY_AUDIT_KEYS' first), so older keys can be removed."""
    with _recorder() as (recorder, custody):
        try:
            done = rekey(recorder, custody.keys)
        except RekeyRefused as refused:
            typer.echo(refused.message, err=True)
            raise typer.Exit(1) from None
    to = shown(done.to)
    if not done.moved:
        typer.echo(
            f"{done.checkpoints} 个检查点均已由当前密钥 {to} 认证 / all {done.checkpoints} "
            f"checkpoint(s) are under the current key {to} already"
        )
        return
    at = done.at.astimezone(UTC).isoformat()
    for before, count in done.moved.items():
        typer.echo(
            f"已改换 rekeyed: {count} 个检查点经密钥 {shown(before)} 核实后改由 {to} 认证 / "
            f"{count} checkpoint(s) verified under key {shown(before)} and moved to key {to} "
            f"at {at}"
        )
    typer.echo(
        "旧密钥可从配置中移除；`rectify audit verify` 会列出此次改换 / the old key(s) may now "
        "be removed from the configuration; `rectify audit verify` lists this move"
    )


@contextmanager
def checkpointing(
    es_env: dict[str, str], minutes: float, key: AuditKeys | str
) -> Iterator[Callable[[], None]]:
    """Take audit checkpoints in a thread while the body runs, authenticated with the
    current key of `key` (the keyring of settings.audit_keyring(); a string is the unnamed
    RECTIFY_AUDIT_KEY): whenever the body calls the function it is given (the projection
    runner, on every batch it commits), at most once a second, and at least every
    `minutes` (0: never), and one more as it ends.

    Hosted by `rectify projections`, the one long-running process that is synchronous and
    already follows the whole log; see docs/decisions/0009-tamper-evidence.md and 0025.
    """
    if minutes <= 0:
        yield lambda: None
        return
    from rectify.composition import rectify_app

    ledger = rectify_app(es_env)
    stop, wake = threading.Event(), threading.Event()
    recorder = ledger.recorder
    assert isinstance(recorder, ChunkedApplicationRecorder)
    custody = custody_of(ledger, key, minutes)
    taker = threading.Thread(
        target=checkpoint_periodically,
        args=(recorder, stop, custody, wake),
        name="audit-checkpoints",
    )
    taker.start()
    try:
        yield wake.set
    finally:
        stop.set()
        wake.set()
        taker.join()
        ledger.close()


# -- case files and the whole log (issue 6 item 4) ---------------------------------------


@contextmanager
def _ledger() -> Iterator[RectifyApp]:
    from rectify.composition import rectify_app

    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            yield ledger
        finally:
            ledger.close()


@audit_app.command("export")
def export_command(
    item_id: str = typer.Argument(..., help="事项编号 the item's id (UUID)"),
    fmt: str = typer.Option("json", "--format", help="json 或 html（可打印）/ json or html"),
    out: Path | None = typer.Option(None, "--out", help="输出文件 write to this file"),
) -> None:
    """导出案卷：当前状态与全部经过 / export an item's case file: its state and full trail."""
    from domain.errors import NotFound
    from projections.case_files import case_file, case_file_html

    if fmt not in ("json", "html"):
        typer.echo("--format: 应为 json 或 html / expected json or html", err=True)
        raise typer.Exit(2)
    try:
        item = UUID(item_id.strip())
    except ValueError:
        typer.echo(f"ITEM_ID: '{item_id}' 不是有效编号 / not a UUID", err=True)
        raise typer.Exit(2) from None
    with _ledger() as ledger:
        try:
            case = case_file(ledger, item)
        except NotFound:
            typer.echo(f"未找到该事项 / item not found: {item}", err=True)
            raise typer.Exit(1) from None
    text = (
        case_file_html(case)
        if fmt == "html"
        else json.dumps(case, ensure_ascii=False, indent=2) + "\n"
    )
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"已导出 exported: {out} ({len(case['trail'])} 个事件 events)", err=True)


@audit_app.command("log")
def log_command(
    out: Path | None = typer.Option(None, "--out", help="输出文件 write to this file"),
) -> None:
    """以 NDJSON 流式导出全部事件日志（个人信息已屏蔽）/ stream the whole log as NDJSON."""
    from rectify.case_files import write_log

    with _ledger() as ledger:
        if out is None:
            count = write_log(ledger, sys.stdout)
        else:
            with out.open("w", encoding="utf-8") as file:
                count = write_log(ledger, file)
    typer.echo(f"已导出 exported: {count} 个事件 events", err=True)
