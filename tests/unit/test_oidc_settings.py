"""OIDC settings: which verifier production builds, and half a configuration refused."""

from __future__ import annotations

import base64

import pytest

from api.tokens import JwksVerifier, SecretVerifier
from rectify.composition import verifier_from_settings
from rectify.settings import Settings

KEYS = "k1:" + base64.b64encode(bytes(range(32))).decode()
OIDC = {
    "RECTIFY_OIDC_ISSUER": "https://idp.example.test",
    "RECTIFY_OIDC_AUDIENCE": "rectify-api",
    "RECTIFY_OIDC_JWKS_URL": "http://127.0.0.1:9/jwks.json",
}
NAMES = ("RECTIFY_MODE", "RECTIFY_JWT_SECRET", "RECTIFY_IDENTITY_KEYS", *OIDC)


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RECTIFY_AUDIT_KEY", "a" * 40)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_production_with_oidc_needs_no_strong_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, RECTIFY_MODE="production", RECTIFY_IDENTITY_KEYS=KEYS, **OIDC)
    assert settings.production_problems() == []


def test_production_refuses_half_an_oidc_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        RECTIFY_MODE="production",
        RECTIFY_IDENTITY_KEYS=KEYS,
        RECTIFY_JWT_SECRET="x" * 40,
        RECTIFY_OIDC_ISSUER="https://idp.example.test",
    )
    problems = settings.production_problems()
    assert len(problems) == 1 and problems[0].startswith("RECTIFY_OIDC_")


def test_oidc_settings_build_the_jwks_verifier(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = verifier_from_settings(_settings(monkeypatch, **OIDC))
    assert isinstance(verifier, JwksVerifier) and verifier.audience == "rectify-api"


def test_without_oidc_the_shared_secret_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(verifier_from_settings(_settings(monkeypatch)), SecretVerifier)


def test_the_api_imports_without_a_deprecation_warning_from_authlib() -> None:
    """Authlib's httpx integration warns that it wants httpx2; the sign-in sends its
    requests over the project's httpx instead (api/oidc_sign_in.py)."""
    import subprocess
    import sys

    probe = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    import api.app, api.oidc_sign_in\n"
        "print([str(w.message) for w in seen if 'Authlib' in type(w.message).__name__])\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"
