"""deploy/compose.yaml, checked offline: against the compose specification's JSON schema
and for what Rectify needs of it (every role, secrets never inline, health checks, start
order). The schema is the copy vendored in the pinned check-jsonschema package
(check_jsonschema/builtin_schemas/vendor/compose-spec.json, from
https://github.com/compose-spec/compose-spec/blob/main/schema/compose-spec.json, Apache
License 2.0, its licence beside it in vendor/licenses/): nothing is fetched at test time."""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from rectify.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
CADDYFILE = ROOT / "deploy" / "compose" / "Caddyfile"
ENV_EXAMPLE = ROOT / "deploy" / "rectify.env.example"
ROLES = ("serve", "worker", "dispatcher", "notifier", "projections")
TEMPORAL_ROLES = ("worker", "dispatcher", "notifier")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PWD|KEYS?$|TOKEN|DATABASE_URL")
REQUIRED_VARIABLE = re.compile(r"\$\{\w+:\?[^}]*\}")
# read from the environment outside the Settings class (domain/, workflows/, uvicorn)
OTHER_VARIABLES = {"RECTIFY_IDENTITY_KEYS", "FORWARDED_ALLOW_IPS"}
OTHER_PREFIXES = ("RECTIFY_SMTP_",)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def schema_problems(document: dict[str, Any]) -> list[str]:
    text = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(text.joinpath("compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def role_of(service: dict[str, Any]) -> str | None:
    command = service.get("command") or []
    return command[0] if command and command[0] in ROLES else None


def rectify_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in document["services"].items() if role_of(s)}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment as a mapping, so each value can be checked"
    return {key: str(value) for key, value in env.items()}


def compose_problems(document: dict[str, Any]) -> list[str]:
    """What Rectify needs of its compose file and is missing; empty when nothing is."""
    problems: list[str] = []
    services = document["services"]
    ours = rectify_services(document)
    counts = {role: [n for n, s in ours.items() if role_of(s) == role] for role in ROLES}
    wanted = {"serve": 2, "worker": 2, "dispatcher": 1, "notifier": 1, "projections": 2}
    problems += [
        f"{role}: {len(counts[role])} services, expected {n}"
        for role, n in wanted.items()
        if len(counts[role]) != n
    ]
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key) and not REQUIRED_VARIABLE.search(value):
                problems.append(f"{name}: {key} is written inline, not taken from ${{{key}:?}}")
            if re.search(r"://[^/:@]+:(?!\$\{)[^@]*@", value):
                problems.append(f"{name}: {key} holds a password inline")
        holds_audit_key = {"RECTIFY_AUDIT_KEY", "RECTIFY_AUDIT_KEYS"} & set(environment(service))
        if holds_audit_key and role_of(service) != "projections":
            problems.append(f"{name}: holds the audit key (only projections may, ADR 0025)")
    for name, service in ours.items():
        role = role_of(service)
        test = (service.get("healthcheck") or {}).get("test") or []
        if test[-2:] != ["/opt/rectify/healthcheck.py", role]:
            problems.append(f"{name}: no health check of its role {role}")
        env_files = [f["path"] if isinstance(f, dict) else f for f in service.get("env_file", [])]
        if env_files != ["./rectify.env"]:
            problems.append(f"{name}: settings not read from ./rectify.env")
        needs = {"postgres"} | ({"temporal"} if role in TEMPORAL_ROLES else set())
        depends = service.get("depends_on") or {}
        for other in sorted(needs):
            if (depends.get(other) or {}).get("condition") != "service_healthy":
                problems.append(f"{name}: does not wait for {other} to be healthy")
    for name in ("postgres", "temporal", "proxy"):
        if "healthcheck" not in services.get(name, {}):
            problems.append(f"{name}: no health check")
    temporal = environment(services.get("temporal", {}))
    if temporal.get("DB") != "postgres12" or temporal.get("POSTGRES_SEEDS") != "postgres":
        problems.append("temporal: not persisted in the compose PostgreSQL")
    if environment(services.get("temporal-ui", {})).get("TEMPORAL_ADDRESS") != "temporal:7233":
        problems.append("temporal-ui: missing or not pointed at temporal:7233")
    proxy_waits = (services.get("proxy") or {}).get("depends_on") or {}
    for api in counts["serve"]:
        if (proxy_waits.get(api) or {}).get("condition") != "service_healthy":
            problems.append(f"proxy: does not wait for {api} to be healthy")
    return problems


def test_the_compose_file_follows_the_compose_specification() -> None:
    assert schema_problems(compose()) == []


def test_the_compose_file_has_what_rectify_needs() -> None:
    assert compose_problems(compose()) == []


def test_the_schema_refuses_what_compose_would() -> None:
    document = _changed(["services", "worker-1", "restart_policy"], "always")  # misplaced
    document["services"]["postgres"]["healthcheck"]["retries"] = [10]
    found = schema_problems(document)
    assert any(p.startswith("services/worker-1:") and "restart_policy" in p for p in found)
    assert any(p.startswith("services/postgres/healthcheck/retries") for p in found)


def test_two_projection_runners_start_one_taking_over_from_the_other() -> None:
    services = compose()["services"]
    for name in ("projections-1", "projections-2"):  # the advisory lock makes one active
        assert "profiles" not in services[name]
        assert services[name]["command"] == services["projections-1"]["command"]


def test_every_variable_set_is_one_rectify_reads() -> None:
    known = {field.alias for field in Settings.model_fields.values()} | OTHER_VARIABLES
    written = {key for s in rectify_services(compose()).values() for key in environment(s)}
    written |= {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    }
    ours = {k for k in written if k.startswith(("RECTIFY_", "TEMPORAL_", "DATABASE_URL"))}
    unknown = {k for k in ours - known if not k.startswith(OTHER_PREFIXES)}
    assert unknown == set()


def test_the_proxy_balances_over_every_api_process() -> None:
    document = compose()
    apis = sorted(n for n, s in rectify_services(document).items() if role_of(s) == "serve")
    upstreams = re.search(r"reverse_proxy\s+([^{]+)\{", CADDYFILE.read_text())
    assert upstreams is not None
    assert sorted(upstreams.group(1).split()) == [f"{api}:8000" for api in apis]
    mounts = document["services"]["proxy"]["volumes"]
    assert "./compose/Caddyfile:/etc/caddy/Caddyfile:ro" in mounts


def test_the_filled_in_settings_are_never_committed() -> None:
    assert "deploy/rectify.env" in (ROOT / ".gitignore").read_text().split()


def _changed(path: list[str], value: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(compose()))  # anchors unshared: one service changed
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (["services", "notifier"], None, "notifier: 0 services"),
        (["services", "worker-2"], None, "worker: 1 services"),
        (
            ["services", "api-1", "environment", "RECTIFY_JWT_SECRET"],
            "a-secret-written-here",
            "api-1: RECTIFY_JWT_SECRET is written inline",
        ),
        (
            ["services", "api-2", "environment", "DATABASE_URL"],
            "postgresql://rectify:hunter2@postgres/rectify",
            "api-2: DATABASE_URL is written inline",
        ),
        (
            ["services", "worker-1", "environment", "RECTIFY_AUDIT_KEY"],
            "${RECTIFY_AUDIT_KEY:?}",
            "worker-1: holds the audit key",
        ),
        (["services", "dispatcher", "healthcheck"], None, "dispatcher: no health check"),
        (["services", "temporal", "healthcheck"], None, "temporal: no health check"),
        (
            ["services", "worker-2", "depends_on", "temporal"],
            None,
            "worker-2: does not wait for temporal",
        ),
        (["services", "temporal", "environment", "DB"], "sqlite", "temporal: not persisted"),
        (["services", "temporal-ui"], None, "temporal-ui: missing"),
        (["services", "proxy", "depends_on", "api-2"], None, "proxy: does not wait for api-2"),
    ],
)
def test_a_compose_file_missing_what_rectify_needs_is_refused(
    path: list[str], value: Any, problem: str
) -> None:
    assert any(problem in found for found in compose_problems(_changed(path, value)))
