"""The audit keyring (docs/decisions/0064): RECTIFY_AUDIT_KEYS by id, the unnamed
RECTIFY_AUDIT_KEY of before, `rectify audit new-key`, and each refusal naming its entry."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from infrastructure.audit_keys import LEGACY_NAME, AuditKeyError, AuditKeys, new_key, unknown_key
from infrastructure.event_hashes import checkpoint_mac, rekeyed_mac
from rectify.cli import app
from rectify.settings import DEV_AUDIT_KEY, Settings

NEW = base64.b64encode(b"n" * 32).decode()
OLD = base64.b64encode(b"o" * 32).decode()
LEGACY = "a-legacy-audit-key-of-at-least-32-characters"


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("RECTIFY_MODE", "RECTIFY_AUDIT_KEY", "RECTIFY_AUDIT_KEYS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_the_first_named_key_is_current_and_every_one_verifies() -> None:
    keys = AuditKeys.parse(f"2027a:{NEW}, 2026a:{OLD}")
    assert keys.current == "2027a" and keys.current_key == b"n" * 32
    assert keys.key("2026a") == b"o" * 32 and keys.key(None) is None


def test_the_unnamed_key_alone_is_current_as_before() -> None:
    keys = AuditKeys.parse("", LEGACY)
    assert keys.current is None and keys.current_key == LEGACY.encode()


def test_the_unnamed_key_beside_named_ones_only_verifies() -> None:
    keys = AuditKeys.parse(f"2027a:{NEW}", LEGACY)
    assert keys.current == "2027a" and keys.key(None) == LEGACY.encode()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (f"2027a:{NEW},2026a{OLD}", "#2"),  # no colon: named by position, the key not shown
        (f"2027a:{NEW},:{OLD}", "#2"),  # no id
        (f"2027 a:{NEW}", "#1 '2027 a'"),  # a space in the id
        (f"2027a:{NEW},2027a:{OLD}", "#2 '2027a'"),  # listed twice
        ("2027a:not base64!", "#1 '2027a'"),
        (f"2027a:{base64.b64encode(b'k' * 16).decode()}", "#1 '2027a'"),  # 16 bytes
    ],
)
def test_a_malformed_entry_is_refused_naming_it(text: str, named: str) -> None:
    with pytest.raises(AuditKeyError) as refused:
        AuditKeys.parse(text)
    assert f"entry {named}" in refused.value.message
    assert NEW not in refused.value.message and OLD not in refused.value.message
    assert (
        f"第 {named} 项" in refused.value.message and "RECTIFY_AUDIT_KEYS" in refused.value.message
    )


def test_no_key_at_all_is_refused() -> None:
    with pytest.raises(AuditKeyError, match="no audit key"):
        AuditKeys.parse(" , ")


def test_an_unknown_key_names_the_checkpoint_and_the_key_id() -> None:
    named = unknown_key(7, "2026a")
    assert "检查点 #7 的密钥 2026a 未配置" in named
    assert "checkpoint #7 was authenticated with key 2026a, which is not configured" in named
    assert LEGACY_NAME in unknown_key(1, None)


def test_a_new_key_is_an_entry_of_the_keyring() -> None:
    entry = new_key("2027a")
    kid, _, encoded = entry.partition(":")
    assert kid == "2027a" and len(base64.b64decode(encoded)) == 32
    assert AuditKeys.parse(entry).current == "2027a"
    assert new_key("2027a") != entry


def test_a_new_key_with_a_malformed_id_is_refused() -> None:
    with pytest.raises(AuditKeyError, match="key id '2027:a'"):
        new_key("2027:a")


def test_rectify_audit_new_key_prints_id_and_key() -> None:
    result = CliRunner().invoke(app, ["audit", "new-key", "2027a"])
    assert result.exit_code == 0, result.output
    assert AuditKeys.parse(result.stdout.strip()).current == "2027a"


def test_rectify_audit_new_key_refuses_a_malformed_id() -> None:
    result = CliRunner().invoke(app, ["audit", "new-key", "a,b"])
    assert result.exit_code == 2 and "key id 'a,b'" in result.stderr


def test_a_rekeyed_mac_covers_the_move() -> None:
    at = datetime(2027, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    key, digest, heads = b"n" * 32, bytes(32), bytes(range(32))
    moved = rekeyed_mac(key, digest, heads, False, None, at)
    assert moved != checkpoint_mac(key, digest, heads, False)
    assert moved != rekeyed_mac(key, digest, heads, False, "2026a", at)
    assert moved != rekeyed_mac(key, digest, heads, False, None, at.replace(microsecond=7))


def test_settings_without_the_keyring_keep_rectify_audit_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = _settings(monkeypatch, RECTIFY_AUDIT_KEY=LEGACY).audit_keyring()
    assert keys.current is None and keys.current_key == LEGACY.encode()
    assert _settings(monkeypatch).audit_keyring().current_key == DEV_AUDIT_KEY.encode()


def test_settings_with_the_keyring_leave_out_the_published_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The development key is published: were it kept beside named keys when nobody set
    it, a checkpoint naming no key could be forged with it."""
    keys = _settings(monkeypatch, RECTIFY_AUDIT_KEYS=f"2027a:{NEW}").audit_keyring()
    assert keys.current == "2027a" and keys.key(None) is None


def test_settings_with_the_keyring_keep_a_set_rectify_audit_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch, RECTIFY_AUDIT_KEYS=f"2027a:{NEW}", RECTIFY_AUDIT_KEY=LEGACY)
    keys = settings.audit_keyring()
    assert keys.current == "2027a" and keys.key(None) == LEGACY.encode()


def test_a_malformed_keyring_is_a_problem_naming_the_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problems = _settings(
        monkeypatch, RECTIFY_AUDIT_KEYS=f"2027a:{NEW},2026a:!!"
    ).audit_key_problems()
    assert len(problems) == 1 and "entry #2 '2026a'" in problems[0]


def test_production_accepts_the_keyring_without_rectify_audit_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch, RECTIFY_MODE="production", RECTIFY_AUDIT_KEYS=f"k:{NEW}")
    assert settings.audit_key_problems() == []


def test_production_refuses_the_development_key_beside_the_keyring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problems = _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_AUDIT_KEYS=f"k:{NEW}",
        RECTIFY_AUDIT_KEY=DEV_AUDIT_KEY,
    ).audit_key_problems()
    assert len(problems) == 1 and problems[0].startswith("RECTIFY_AUDIT_KEY:")


def test_the_checkpoint_taker_refuses_a_malformed_keyring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _settings(monkeypatch, RECTIFY_AUDIT_KEYS="2027a:c2hvcnQ=")
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 2 and "entry #1 '2027a'" in result.stderr
