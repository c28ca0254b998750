"""The dependency audit's verdict from pip-audit's output: skip offline, fail on findings."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "audit_dependencies.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


decide = _script().decide


def _json(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def _not_found(name: str) -> dict[str, Any]:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI: {name} (1.0)"}


def test_nothing_audited_offline_is_skipped() -> None:
    code, message = decide(0, _json(_not_found("anyio"), _not_found("jwt")), "")
    assert code == 0 and message.startswith("skipped: vulnerability database unreachable")


def test_a_connection_error_is_skipped() -> None:
    stderr = "requests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/x/json"
    code, message = decide(1, "", stderr)
    assert code == 0 and message.startswith("skipped:")


def test_a_known_vulnerability_fails() -> None:
    vulnerable = {
        "name": "jinja2",
        "version": "3.1.2",
        "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
    }
    code, message = decide(
        1, _json(vulnerable, {"name": "anyio", "version": "4.16.0", "vulns": []}), ""
    )
    assert code == 1 and "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fix: 3.1.3)" in message


def test_a_clean_audit_passes() -> None:
    code, message = decide(0, _json({"name": "anyio", "version": "4.16.0", "vulns": []}), "")
    assert code == 0 and "1 packages audited" in message


def test_a_pip_audit_failure_that_is_not_the_network_fails() -> None:
    code, _ = decide(2, "", "error: invalid requirement: 'foo=='")
    assert code == 2
