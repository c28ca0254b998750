"""Settings: production mode refuses what is only fit for a developer's machine."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from rectify.settings import DEV_AUDIT_KEY, DEV_JWT_SECRET, Settings

STRONG = "x" * 40
AUDIT_KEY = "a" * 40
KEYS = "k1:" + base64.b64encode(bytes(range(32))).decode()


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("RECTIFY_MODE", "RECTIFY_JWT_SECRET", "RECTIFY_IDENTITY_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RECTIFY_AUDIT_KEY", AUDIT_KEY)  # set unless a test says otherwise
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_development_mode_accepts_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    assert settings.jwt_secret == DEV_JWT_SECRET
    assert not settings.production and settings.production_problems() == []


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _settings(
        monkeypatch, RECTIFY_MODE="production", RECTIFY_IDENTITY_KEYS=KEYS
    ).production_problems()
    assert len(problems) == 1 and problems[0].startswith("RECTIFY_JWT_SECRET")


def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, RECTIFY_MODE="production", RECTIFY_JWT_SECRET="short")
    assert settings.production_problems()


def test_production_accepts_a_strong_secret_and_identity_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_JWT_SECRET=STRONG,
        RECTIFY_IDENTITY_KEYS=KEYS,
    )
    assert settings.production and settings.production_problems() == []


def test_production_refuses_to_run_without_identity_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _settings(
        monkeypatch, RECTIFY_MODE="production", RECTIFY_JWT_SECRET=STRONG
    ).production_problems()
    assert len(problems) == 1 and problems[0].startswith("RECTIFY_IDENTITY_KEYS")


def test_production_refuses_malformed_identity_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_JWT_SECRET=STRONG,
        RECTIFY_IDENTITY_KEYS="k1:not-base64!",
    ).production_problems()
    assert problems == [
        "RECTIFY_IDENTITY_KEYS：密钥'k1'不是 base64 / RECTIFY_IDENTITY_KEYS: key 'k1' is not base64"
    ]


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="RECTIFY_MODE"):
        _settings(monkeypatch, RECTIFY_MODE="prod")


def test_serving_in_production_with_the_development_secret_stops_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from rectify.cli import app

    _settings(monkeypatch, RECTIFY_MODE="production")
    for command in ("serve", "run"):
        result = CliRunner().invoke(app, [command])
        assert result.exit_code == 2
        assert "RECTIFY_JWT_SECRET" in result.stderr


def test_production_refuses_the_development_audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_JWT_SECRET=STRONG,
        RECTIFY_IDENTITY_KEYS=KEYS,
        RECTIFY_AUDIT_KEY=DEV_AUDIT_KEY,
    ).audit_key_problems()
    assert len(problems) == 1 and problems[0].startswith("RECTIFY_AUDIT_KEY")


def test_production_refuses_a_short_audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_JWT_SECRET=STRONG,
        RECTIFY_IDENTITY_KEYS=KEYS,
        RECTIFY_AUDIT_KEY="short",
    ).audit_key_problems()
    assert len(problems) == 1 and problems[0].startswith("RECTIFY_AUDIT_KEY")


def test_development_uses_the_marked_development_audit_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RECTIFY_AUDIT_KEY", raising=False)
    assert Settings().audit_key == DEV_AUDIT_KEY and Settings().production_problems() == []
    assert Settings().audit_key_problems() == []


def test_the_api_in_production_does_not_need_the_audit_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_JWT_SECRET=STRONG,
        RECTIFY_IDENTITY_KEYS=KEYS,
        RECTIFY_AUDIT_KEY=DEV_AUDIT_KEY,
    )
    assert settings.production_problems() == []  # what `rectify serve` checks
    assert settings.audit_key_problems()  # what the key's holders check


def test_the_checkpoint_taker_and_audit_refuse_the_development_key_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from rectify.cli import app

    _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_JWT_SECRET=STRONG,
        RECTIFY_IDENTITY_KEYS=KEYS,
        RECTIFY_AUDIT_KEY=DEV_AUDIT_KEY,
    )
    for command in (["projections"], ["audit", "verify"], ["audit", "checkpoint"], ["run"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert "RECTIFY_AUDIT_KEY" in result.stderr


def test_token_refuses_to_mint_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from rectify.cli import app

    _settings(monkeypatch, RECTIFY_MODE="production", RECTIFY_JWT_SECRET=STRONG)
    result = CliRunner().invoke(app, ["token", "--role", "coordinator"])
    assert result.exit_code == 2
    assert "refuses to mint tokens in production" in result.stderr and not result.stdout


def test_token_mints_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from rectify.cli import app

    _settings(monkeypatch)
    result = CliRunner().invoke(app, ["token", "--role", "coordinator"])
    assert result.exit_code == 0 and result.stdout.count(".") == 2


def test_the_sign_in_log_is_kept_a_year_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RECTIFY_SIGN_IN_LOG_DAYS", raising=False)
    assert Settings().sign_in_log_days == 365
    monkeypatch.setenv("RECTIFY_SIGN_IN_LOG_DAYS", "0")
    assert Settings().sign_in_log_days == 0  # kept for ever


@pytest.mark.parametrize("days", ["183", "30", "-1"])
def test_a_sign_in_log_retention_under_six_months_is_refused_in_both_languages(
    monkeypatch: pytest.MonkeyPatch, days: str
) -> None:
    monkeypatch.setenv("RECTIFY_SIGN_IN_LOG_DAYS", days)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "RECTIFY_SIGN_IN_LOG_DAYS" in message
    assert "登录日志至少保留 184 天" in message and "at least 184 days" in message


def test_a_command_started_with_a_wrong_setting_names_it_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rectify.cli import main

    monkeypatch.setenv("RECTIFY_SIGN_IN_LOG_DAYS", "30")
    monkeypatch.setattr("sys.argv", ["rectify", "token", "--role", "coordinator"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    shown = capsys.readouterr().err
    assert "RECTIFY_SIGN_IN_LOG_DAYS: 登录日志至少保留 184 天" in shown
    assert "Traceback" not in shown and "Value error" not in shown
