"""Rotating the audit key against real PostgreSQL (docs/decisions/0064): checkpoints name
their key, verify and the taker follow the name across a rotation, `rectify audit rekey`
moves old checkpoints to the new key so the old one can be retired, and the migration of
a checkpoints table written before key ids existed."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner, Result

from domain.application import RectifyApp
from infrastructure.audit_keys import AuditKeys
from infrastructure.audit_queries import latest_checkpoint
from infrastructure.checkpoints import CheckpointRefused, take_checkpoint
from infrastructure.custody import custody_of
from infrastructure.rekeying import RekeyRefused, rekey
from infrastructure.verification import BreakKind, verify
from rectify.cli import app as cli
from tests.integration.test_audit import _recorder, db

__all__ = ["db"]  # a fixture of test_audit.py, used below

Run = Callable[..., Result]
LEGACY = "the-audit-key-of-before-at-least-32-characters"
OLD = "2026a:" + base64.b64encode(b"o" * 32).decode()
NEW = "2027a:" + base64.b64encode(b"n" * 32).decode()


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    monkeypatch.delenv("RECTIFY_AUDIT_KEYS", raising=False)
    monkeypatch.setenv("RECTIFY_AUDIT_KEY", LEGACY)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def _keys(text: str = "", legacy: str | None = None) -> AuditKeys:
    return AuditKeys.parse(text, legacy)


def _checkpoint(app: RectifyApp, keys: AuditKeys) -> None:
    checkpoint, new = take_checkpoint(_recorder(app), custody_of(app, keys, 10))
    assert new and checkpoint is not None


def _grow(app: RectifyApp, name: str) -> None:
    app.register_agency(name, actor="t")


def _key_ids(db: psycopg.Connection[Any]) -> list[Any]:
    return [r[0] for r in db.execute("SELECT key_id FROM audit_checkpoints ORDER BY seq")]


def test_verify_passes_across_a_rotation(app: RectifyApp, db: psycopg.Connection[Any]) -> None:
    _grow(app, "县卫健局")
    _checkpoint(app, _keys(legacy=LEGACY))  # as today: the unnamed key
    _grow(app, "县医保局")
    _checkpoint(app, _keys(OLD, LEGACY))
    _grow(app, "县教育局")
    _checkpoint(app, _keys(f"{NEW},{OLD}", LEGACY))

    assert _key_ids(db) == [None, "2026a", "2027a"]
    result = verify(_recorder(app), custody_of(app, _keys(f"{NEW},{OLD}", LEGACY), 10))
    assert result.intact, [b.describe() for b in result.breaks]
    assert result.checkpoints == 3


def test_a_checkpoint_under_a_removed_key_is_named(
    app: RectifyApp, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _grow(app, "县卫健局")
    _checkpoint(app, _keys(OLD))
    _grow(app, "县医保局")
    _checkpoint(app, _keys(f"{NEW},{OLD}"))
    monkeypatch.setenv("RECTIFY_AUDIT_KEYS", NEW)  # 2026a removed before a rekey

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "无法证明 / CANNOT BE PROVEN" in result.output
    assert "检查点 #1 的密钥 2026a 未配置" in result.output
    assert "checkpoint #1 was authenticated with key 2026a, which is not configured" in (
        result.output
    )
    assert "#2" not in result.output  # the other checkpoint holds


def test_the_published_default_does_not_verify_beside_the_keyring(
    app: RectifyApp, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set alone, RECTIFY_AUDIT_KEYS leaves out the unnamed key: had it fallen back to the
    published development key, a checkpoint naming no key could be forged with it."""
    monkeypatch.delenv("RECTIFY_AUDIT_KEY")
    _grow(app, "县卫健局")
    assert run("audit", "checkpoint").exit_code == 0  # under the development key
    monkeypatch.setenv("RECTIFY_AUDIT_KEYS", NEW)

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert "checkpoint #1 was authenticated with key (RECTIFY_AUDIT_KEY)" in result.output


def test_the_taker_continues_the_chain_across_a_rotation(
    app: RectifyApp, db: psycopg.Connection[Any]
) -> None:
    recorder = _recorder(app)
    _grow(app, "县卫健局")
    before, _ = take_checkpoint(recorder, custody_of(app, _keys(legacy=LEGACY), 10))
    _grow(app, "县医保局")

    # the process restarted with the new key in front; the one it took is still known
    after, new = take_checkpoint(recorder, custody_of(app, _keys(NEW, LEGACY), 10), known=before)

    assert new and after is not None and before is not None
    assert (after.seq, after.key_id) == (2, "2027a")
    assert _key_ids(db) == [None, "2027a"]


def test_the_taker_refuses_when_the_latest_checkpoints_key_is_gone(app: RectifyApp) -> None:
    _grow(app, "县卫健局")
    _checkpoint(app, _keys(OLD))
    _grow(app, "县医保局")

    with pytest.raises(CheckpointRefused) as refused:
        take_checkpoint(_recorder(app), custody_of(app, _keys(NEW), 10))

    assert "checkpoint #1 was authenticated with key 2026a" in refused.value.message
    assert "拒绝接续" in refused.value.message


def test_rekey_then_retiring_the_old_key_verifies(
    app: RectifyApp, run: Run, db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _grow(app, "县卫健局")
    assert run("audit", "checkpoint").exit_code == 0  # the unnamed key of before
    _grow(app, "县医保局")
    monkeypatch.setenv("RECTIFY_AUDIT_KEYS", NEW)  # in front; RECTIFY_AUDIT_KEY kept
    assert run("audit", "checkpoint").exit_code == 0

    moved = run("audit", "rekey")

    assert moved.exit_code == 0, moved.output
    assert "1 checkpoint(s) verified under key (RECTIFY_AUDIT_KEY) and moved to key 2027a" in (
        moved.output
    )
    assert _key_ids(db) == ["2027a", "2027a"]
    again = run("audit", "rekey")  # idempotent
    assert "all 2 checkpoint(s) are under the current key 2027a already" in again.output

    monkeypatch.delenv("RECTIFY_AUDIT_KEY")  # retired
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "log intact" in result.output
    assert (
        "checkpoint(s) #1 were verified under key (RECTIFY_AUDIT_KEY) and moved to key 2027a"
        in result.output
    )
    _grow(app, "县教育局")
    assert run("audit", "checkpoint").exit_code == 0  # the taker goes on under the new key
    assert '"key_id": "2027a"' in run("audit", "checkpoint", "--print-only", "--json").output
    assert _key_ids(db) == ["2027a", "2027a", "2027a"]


def test_rekey_refuses_a_checkpoint_that_does_not_verify(
    app: RectifyApp, db: psycopg.Connection[Any]
) -> None:
    _grow(app, "县卫健局")
    _checkpoint(app, _keys(OLD))
    _grow(app, "县医保局")
    _checkpoint(app, _keys(OLD))
    db.execute("UPDATE audit_checkpoints SET mac = %s WHERE seq = 2", (bytes(32),))
    macs = [r[0] for r in db.execute("SELECT mac FROM audit_checkpoints ORDER BY seq")]

    with pytest.raises(RekeyRefused) as refused:
        rekey(_recorder(app), _keys(f"{NEW},{OLD}"))

    assert "checkpoint #2 does not authenticate under key 2026a" in refused.value.message
    assert [r[0] for r in db.execute("SELECT mac FROM audit_checkpoints ORDER BY seq")] == macs
    assert _key_ids(db) == ["2026a", "2026a"]  # nothing moved, not even #1


def test_rekey_refuses_a_checkpoint_whose_key_is_gone(app: RectifyApp) -> None:
    _grow(app, "县卫健局")
    _checkpoint(app, _keys(OLD))

    with pytest.raises(RekeyRefused, match="checkpoint #1 was authenticated with key 2026a"):
        rekey(_recorder(app), _keys(NEW))


@pytest.mark.parametrize(
    ("tamper", "kind"),
    [
        # the record of the move altered or dropped
        ("UPDATE audit_checkpoints SET rekeyed_from = '2025a'", BreakKind.CHECKPOINT_FORGED),
        ("UPDATE audit_checkpoints SET rekeyed_at = NULL", BreakKind.CHECKPOINT_FORGED),
        # a checkpoint made to name another configured key
        ("UPDATE audit_checkpoints SET key_id = NULL", BreakKind.CHECKPOINT_FORGED),
        # or one nobody has: cannot be proven, and said so
        ("UPDATE audit_checkpoints SET key_id = 'nobody'", BreakKind.CHECKPOINT_KEY_UNKNOWN),
    ],
)
def test_tampering_is_still_found_after_a_rotation(
    app: RectifyApp, db: psycopg.Connection[Any], tamper: str, kind: BreakKind
) -> None:
    _grow(app, "县卫健局")
    _checkpoint(app, _keys(legacy=LEGACY))
    keys = _keys(NEW, LEGACY)
    rekey(_recorder(app), keys)
    assert verify(_recorder(app), custody_of(app, _keys(NEW), 10)).intact

    db.execute(tamper)

    result = verify(_recorder(app), custody_of(app, keys, 10))
    assert [b.kind for b in result.breaks] == [kind]
    assert "#1" in result.breaks[0].detail


def test_an_altered_event_is_still_found_after_a_rotation(
    app: RectifyApp, db: psycopg.Connection[Any]
) -> None:
    _grow(app, "县卫健局")
    _checkpoint(app, _keys(legacy=LEGACY))
    rekey(_recorder(app), _keys(NEW, LEGACY))
    db.execute("UPDATE rectify_events SET topic = topic || 'x' WHERE originator_version = 1")

    result = verify(_recorder(app), custody_of(app, _keys(NEW), 10))

    assert result.tampered
    assert BreakKind.CONTENT_CHANGED in {b.kind for b in result.breaks}


def test_the_migration_keeps_a_table_written_before_key_ids(
    es_env: dict[str, str], db: psycopg.Connection[Any]
) -> None:
    """A checkpoints table as the code before 0064 left it: no key_id, rekeyed_from or
    rekeyed_at, a checkpoint under the one key. Starting the new code adds the columns
    (twice: idempotent), and the old checkpoint verifies as the unnamed key's."""
    before = RectifyApp(env=es_env)
    try:
        _grow(before, "县卫健局")
        _checkpoint(before, _keys(legacy=LEGACY))
    finally:
        before.close()
    db.execute(
        "ALTER TABLE audit_checkpoints DROP COLUMN key_id, DROP COLUMN rekeyed_from, "
        "DROP COLUMN rekeyed_at"
    )
    for _ in range(2):
        RectifyApp(env=es_env).close()

    after = RectifyApp(env=es_env)
    try:
        assert _key_ids(db) == [None]
        recorder = _recorder(after)
        assert verify(recorder, custody_of(after, LEGACY, 10)).intact
        _grow(after, "县医保局")
        _checkpoint(after, _keys(NEW, LEGACY))
        assert verify(recorder, custody_of(after, _keys(NEW, LEGACY), 10)).intact
        latest = latest_checkpoint(recorder)
        assert latest is not None and latest.key_id == "2027a"
    finally:
        after.close()
