"""The configuration reference (docs/configuration.md), generated from the settings class.

Every field of `Settings` must have a meaning here and every meaning a field (a test
checks both, and that the committed file is what `rectify settings-reference` prints), so
a new setting cannot ship undocumented. Defaults are read from the class, never restated.
A few variables are read outside the class (the identity keys, SMTP): they are listed
after it, with the module that reads them.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticUndefined

from rectify.settings import DEV_AUDIT_KEY, DEV_JWT_SECRET, Settings

MEANINGS: dict[str, str] = {
    "rectify_home": "Folder of the embedded PostgreSQL, the Temporal dev server's database"
    " and logs when no DATABASE_URL / TEMPORAL_ADDRESS is set (`make run`).",
    "database_url": "PostgreSQL server to use (`postgresql://user:pass@host:5432/db`);"
    " unset: the embedded server under RECTIFY_HOME.",
    "db_schema": "Schema holding the event log, the read tables and the tracking rows; one"
    " installation per schema. One projection runner per schema is active (ADR 0057).",
    "temporal_address": "Temporal frontend (`host:port`) of an existing cluster or dev server;"
    " unset: `rectify run` starts a dev server on RECTIFY_TEMPORAL_PORT.",
    "temporal_port": "Port of the Temporal dev server `rectify run` starts when"
    " TEMPORAL_ADDRESS is unset.",
    "temporal_namespace": "Temporal namespace of the clocks' workflows.",
    "task_queue": "Temporal task queue the workers poll and the dispatcher starts clocks on.",
    "http_host": "Address `rectify serve` listens on.",
    "http_port": "Port `rectify serve` listens on.",
    "jwt_secret": "HS256 secret of API tokens without OIDC; production refuses the"
    " development one and anything under 32 characters.",
    "oidc_issuer": "OIDC issuer; with RECTIFY_OIDC_AUDIENCE and RECTIFY_OIDC_JWKS_URL,"
    " tokens are verified as RS256/ES256 from the provider's keys (ADR 0016).",
    "oidc_audience": "Audience the OIDC tokens must name.",
    "oidc_jwks_url": "Where the provider publishes its signing keys (JWKS).",
    "oidc_leeway_seconds": "Clock skew allowed when checking a token's times.",
    "oidc_role_claim": "Claim holding the user's role.",
    "oidc_agency_id_claim": "Claim holding the user's agency id.",
    "oidc_agency_name_claim": "Claim holding the user's agency name.",
    "oidc_region_claim": "Claim holding the user's region.",
    "oidc_client_id": "Client id registered with the provider, for browser sign-in"
    " (authorization code with PKCE).",
    "oidc_client_secret": "Secret of that client, if the provider issued one.",
    "oidc_redirect_url": "This server's callback address registered with the provider.",
    "oidc_username_claim": "Claim shown as the user's name after browser sign-in.",
    "reminder_working_days": "Working days before a deadline that the clocks remind.",
    "timezone": "Time zone of working days, deadlines and the figures.",
    "mode": "`production` refuses unsafe settings at start, naming each; `development`"
    " allows the published development secrets.",
    "audit_checkpoint_minutes": "Longest interval between audit checkpoints taken by the"
    " active projection runner; 0 takes none.",
    "audit_key": "Key of the audit checkpoints' MAC; held by `rectify projections` and"
    " `rectify audit`, never by the API. Production refuses the development key and keys"
    " under 32 characters. With RECTIFY_AUDIT_KEYS set, it only verifies the checkpoints"
    " taken under it (ADR 0064).",
    "audit_keys": "Audit keys by id, `ID:base64` (32+ bytes, from `rectify audit new-key"
    " ID`) separated by commas, the first one current: new checkpoints record its id, and"
    " every listed key verifies the checkpoints that name it (ADR 0064). Empty:"
    " RECTIFY_AUDIT_KEY alone.",
    "max_body_bytes": "Largest request body (and websocket frame) the API accepts; 0 turns"
    " the limit off.",
    "max_file_bytes": "Largest evidence file or uploaded ledger.",
    "mutations_per_minute": "Mutations one user may make per minute; counted in PostgreSQL,"
    " so the limit holds across API processes.",
    "max_export_rows": "Longest list `/export` writes; longer ones are refused.",
    "cors_origins": "Comma-separated origins allowed to call the API from a browser; empty:"
    " no CORS headers.",
    "persisted_queries": "File of the production allow-list of GraphQL operations; unset:"
    " the checked-in api/persisted_queries.json.",
    "session_idle_minutes": "A web session ends after this long unused.",
    "sign_ins_per_minute": "Sign-in attempts allowed per minute per key (0: unlimited).",
    "session_absolute_hours": "A web session ends this long after sign-in, used or not.",
    "sign_in_log_days": "Days the sign-in log is kept before pruning (at least 184; 0: for ever).",
    "metrics_port": "Prometheus port of a role (`rectify worker | dispatcher | notifier |"
    " projections`); unset: none. The API serves /metrics itself (ADR 0056).",
    "temporal_metrics_port": "Port of the worker's Temporal SDK metrics (Prometheus); unset: none.",
    "ready_max_lag_events": "/readyz answers 503 while the slowest projection is more events"
    " behind than this.",
}

SMTP = "workflows/delivery_channels.py"

# read outside Settings: (variable, default, meaning, where)
OTHER_VARIABLES: list[tuple[str, str, str, str]] = [
    (
        "RECTIFY_IDENTITY_KEYS",
        "(development key)",
        "Reporters' identity keys, `kid:base64-32-bytes` separated by commas, the first one"
        " current; older ones still open what they sealed. Required in production.",
        "domain/reporter_identity.py",
    ),
    ("RECTIFY_SMTP_HOST", "", "Outgoing mail server; empty: no e-mail.", SMTP),
    ("RECTIFY_SMTP_PORT", "25", "Its port.", SMTP),
    ("RECTIFY_SMTP_FROM", "rectify@localhost", "Sender address.", SMTP),
    ("RECTIFY_SMTP_USER", "", "User to log in as; empty: no login.", SMTP),
    ("RECTIFY_SMTP_PASSWORD", "", "Its password.", SMTP),
    ("RECTIFY_SMTP_STARTTLS", "", "`1`, `y`, `yes` or `true`: STARTTLS.", SMTP),
    (
        "RECTIFY_WEBHOOK_SECRET",
        "",
        "Stands in for `--secret` of `rectify notifications add-webhook`: the HMAC-SHA256"
        " key (16+ characters) that signs the endpoint's deliveries.",
        "rectify/notification_cli.py",
    ),
]


class MissingMeaning(RuntimeError):
    pass


def _default(value: Any) -> str:
    if value is PydanticUndefined or value is None:
        return "(unset)"
    if value == "":
        return '""'
    return f"`{value}`"


def reference() -> str:
    """The Markdown of docs/configuration.md."""
    fields = Settings.model_fields
    missing = sorted(set(fields) - set(MEANINGS))
    extra = sorted(set(MEANINGS) - set(fields))
    if missing or extra:
        raise MissingMeaning(f"settings without a meaning: {missing}; meanings without: {extra}")
    lines = [
        "# Configuration reference",
        "",
        "Generated by `rectify settings-reference > docs/configuration.md` from",
        "`rectify/settings.py` and `rectify/settings_reference.py`; a test checks it is",
        "current. Every process reads its settings from environment variables once, at start.",
        "",
        "| Variable | Default | Meaning |",
        "| --- | --- | --- |",
    ]
    for name, field in fields.items():
        variable = field.alias or name.upper()
        published = field.default in (DEV_JWT_SECRET, DEV_AUDIT_KEY)
        shown = "(the published development value)" if published else _default(field.default)
        lines.append(f"| `{variable}` | {shown} | {MEANINGS[name]} |")
    lines += [
        "",
        "## Read outside the settings class",
        "",
        "| Variable | Default | Meaning | Read by |",
        "| --- | --- | --- | --- |",
    ]
    for variable, default, meaning, where in OTHER_VARIABLES:
        lines.append(f"| `{variable}` | {_default(default)} | {meaning} | `{where}` |")
    return "\n".join(lines) + "\n"
